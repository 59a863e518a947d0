"""Search as you type, Enter opens the hit where it is: code search over the index
(`SearchScreen`) and text across the files (`FindInFilesScreen`)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from aiide_tui.errors import AiideError
from aiide_tui.services.client import ServicesClient
from aiide_tui.ui.screens.locations import Location
from aiide_tui.ui.widgets.ordered_keys import OrderedInput

TYPING_PAUSE_S = 0.15


class LiveSearchScreen(ModalScreen["Location | Replacement | None"]):
    """An input, a status line and the hits of the query typed so far; returns the chosen
    hit's `Location`, or None. Subclasses say how to search and how a hit reads."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("down", "focus_results", "Results", show=False),
    ]

    DEFAULT_CSS = """
    LiveSearchScreen {
        align: center middle;
        & > Vertical {
            width: 100; max-width: 95%; height: 80%;
            border: round $accent; border-title-color: $text; background: $surface;
        }
        .search-results { height: 1fr; }
        .search-status { height: 1; color: $text-muted; padding: 0 1; }
    }
    """

    TITLE_TEXT = ""
    PLACEHOLDER = ""
    WAITING = "searching…"

    def __init__(self, client: ServicesClient, query: str = "") -> None:
        super().__init__()
        self.client = client
        self.initial_query = query
        self.hits: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        with Vertical() as frame:
            frame.border_title = f"{self.TITLE_TEXT} · Enter opens · Esc closes"
            yield OrderedInput(self.initial_query, placeholder=self.PLACEHOLDER, id="query")
            yield from self.compose_under_query()
            yield Static("", classes="search-status")
            yield OptionList(classes="search-results")

    def compose_under_query(self) -> ComposeResult:
        """More fields under the query (none here)."""
        yield from ()

    def on_mount(self) -> None:
        if self.initial_query:
            self.run_search(self.initial_query)

    # Each kind of search defines these three:
    search: Callable[[str], Awaitable[tuple[list[dict[str, Any]], str]]]
    """The hits for a query, and the status line to show with them."""
    label: Callable[[dict[str, Any]], Text]
    """How a hit reads in the list."""
    location: Callable[[dict[str, Any]], Location]
    """Where a hit opens."""

    @on(Input.Changed, "#query")
    def on_query(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    @on(Input.Submitted, "#query")
    def on_submit(self) -> None:
        """The first hit, or the one Down just moved to (Enter can arrive before the focus)."""
        highlighted = self.query_one(".search-results", OptionList).highlighted
        if self.hits:
            self._choose(highlighted or 0)

    @work(exclusive=True, group="search", description="Search")
    async def run_search(self, query: str) -> None:
        await asyncio.sleep(TYPING_PAUSE_S)
        status = self.query_one(".search-status", Static)
        results = self.query_one(".search-results", OptionList)
        if not query.strip():
            self.hits = []
            results.clear_options()
            status.update("")
            return
        status.update(self.WAITING)
        try:
            self.hits, summary = await self.search(query)
        except AiideError as error:
            status.update(Text(error.message))
            return
        results.clear_options()
        results.add_options(Option(self.label(hit)) for hit in self.hits)
        status.update(Text(summary))

    @on(OptionList.OptionSelected)
    def on_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option_index)

    def _choose(self, index: int) -> None:
        self.dismiss(self.location(self.hits[index]))

    def action_focus_results(self) -> None:
        """Down from the query: the first hit is the one Enter opens there, so the list
        starts on the next."""
        results = self.query_one(".search-results", OptionList)
        results.focus()
        if results.option_count:
            results.highlighted = min(1, results.option_count - 1)


class SearchScreen(LiveSearchScreen):
    """Hybrid code search over the index: names, or questions in words."""

    TITLE_TEXT = "Search code"
    PLACEHOLDER = "A name, or a question: where are movements recorded?"
    WAITING = "searching… (the first search waits for the index)"

    async def search(self, query: str) -> tuple[list[dict[str, Any]], str]:
        hits = await self.client.search(query, k=30)
        return hits, f"{len(hits)} results" if hits else "no results"

    def label(self, hit: dict[str, Any]) -> Text:
        label = Text()
        label.append(f"{hit['path']}:{hit['start_line']}", style="bold")
        if hit.get("symbol"):
            label.append(f"  {hit['symbol']}", style="cyan")
        lines = hit.get("text", "").splitlines()
        first = next((line.strip() for line in lines if line.strip()), "")
        if first:
            label.append(f"\n  {first[:90]}", style="dim")
        return label

    def location(self, hit: dict[str, Any]) -> Location:
        """The hit's first line, the cursor on its symbol's name (so F12 and shift+F12 work
        at once, not on `def`)."""
        name = re.split(r"[^\w$]+", hit.get("symbol") or "")[-1]
        return Location(hit["path"], int(hit["start_line"]), word=name)


@dataclass(frozen=True)
class Replacement:
    """Replace every match of `query` with `text`: what find in files returns for ctrl+r."""

    query: str
    text: str


class FindInFilesScreen(LiveSearchScreen):
    """Every line of the project's files holding the text typed (or a `/regex/`); ctrl+r
    asks for a replacement, which returns a `Replacement` (reviewed hunk by hunk)."""

    BINDINGS = [Binding("ctrl+r", "replace", "Replace", show=False)]
    DEFAULT_CSS = """
    FindInFilesScreen #replace-with { display: none; }
    FindInFilesScreen.-replacing #replace-with { display: block; }
    """

    TITLE_TEXT = "Find in files · ctrl+r replaces"
    PLACEHOLDER = "Text (a capital letter makes case matter), or /a regular expression/"

    def compose_under_query(self) -> ComposeResult:
        yield OrderedInput(
            placeholder="Replace with (\\1 for a /regex/ group) · Enter: review the change",
            id="replace-with",
        )

    def action_replace(self) -> None:
        self.add_class("-replacing")
        self.query_one("#replace-with", Input).focus()

    @on(Input.Submitted, "#replace-with")
    def on_replace(self, event: Input.Submitted) -> None:
        event.stop()
        query = self.query_one("#query", Input).value
        if query:
            self.dismiss(Replacement(query, event.value))

    async def search(self, query: str) -> tuple[list[dict[str, Any]], str]:
        found = await self.client.find_text(query)
        matches = found["matches"]
        if not matches:
            summary = f"no matches in {_count(found['files_searched'], 'file')}"
        elif found["truncated"]:
            summary = f"the first {len(matches)} matches (there are more)"
        else:
            summary = f"{_count(len(matches), 'match')} in {_count(found['files_matched'], 'file')}"
        if found["files_skipped"]:
            summary += f" · {_count(found['files_skipped'], 'file')} not searched (binary, large)"
        return matches, summary

    def label(self, hit: dict[str, Any]) -> Text:
        label = Text()
        label.append(f"{hit['path']}:{hit['line']}", style="bold")
        text, start = hit["text"], hit["text_column"]
        indent = len(text) - len(text.lstrip())
        line = Text(text[indent:], style="dim")
        shown = max(0, start - indent)
        line.stylize("bold reverse", shown, shown + hit["length"])
        label.append("\n  ")
        label.append_text(line)
        return label

    def location(self, hit: dict[str, Any]) -> Location:
        return Location(hit["path"], hit["line"], column=hit["column"], length=hit["length"])


def _count(number: int, noun: str) -> str:
    plural = noun + ("es" if noun.endswith("ch") else "s")
    return f"{number} {noun if number == 1 else plural}"
