"""Search the code: hybrid search over the index as you type; Enter opens the hit at its line."""

from __future__ import annotations

import asyncio

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

TYPING_PAUSE_S = 0.15


class SearchScreen(ModalScreen[tuple[str, int] | None]):
    """Returns the chosen hit as (path, line), or None."""

    BINDINGS = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("down", "focus_results", "Results", show=False),
    ]

    DEFAULT_CSS = """
    SearchScreen {
        align: center middle;
        & > Vertical {
            width: 100; max-width: 95%; height: 80%;
            border: round $accent; border-title-color: $text; background: $surface;
        }
        #search-results { height: 1fr; }
        #search-status { height: 1; color: $text-muted; padding: 0 1; }
    }
    """

    def __init__(self, client: ServicesClient) -> None:
        super().__init__()
        self.client = client
        self.hits: list[dict] = []

    def compose(self) -> ComposeResult:
        with Vertical() as frame:
            frame.border_title = "Search code · Enter opens · Esc closes"
            yield Input(placeholder="A name, or a question: where are movements recorded?")
            yield Static("", id="search-status")
            yield OptionList(id="search-results")

    @on(Input.Changed)
    def on_query(self, event: Input.Changed) -> None:
        self.run_search(event.value)

    @on(Input.Submitted)
    def on_submit(self) -> None:
        if self.hits:
            self._choose(0)

    @work(exclusive=True, group="search", description="Search the index")
    async def run_search(self, query: str) -> None:
        await asyncio.sleep(TYPING_PAUSE_S)
        status = self.query_one("#search-status", Static)
        results = self.query_one("#search-results", OptionList)
        if not query.strip():
            self.hits = []
            results.clear_options()
            status.update("")
            return
        status.update("searching… (the first search waits for the index)")
        try:
            self.hits = await self.client.search(query, k=30)
        except AiideError as error:
            status.update(Text(error.message))
            return
        results.clear_options()
        results.add_options(Option(_label(hit)) for hit in self.hits)
        status.update(f"{len(self.hits)} results" if self.hits else "no results")

    @on(OptionList.OptionSelected)
    def on_selected(self, event: OptionList.OptionSelected) -> None:
        self._choose(event.option_index)

    def _choose(self, index: int) -> None:
        hit = self.hits[index]
        self.dismiss((hit["path"], int(hit["start_line"])))

    def action_focus_results(self) -> None:
        self.query_one("#search-results", OptionList).focus()


def _label(hit: dict) -> Text:
    label = Text()
    label.append(f"{hit['path']}:{hit['start_line']}", style="bold")
    if hit.get("symbol"):
        label.append(f"  {hit['symbol']}", style="cyan")
    first = next((line.strip() for line in hit.get("text", "").splitlines() if line.strip()), "")
    if first:
        label.append(f"\n  {first[:90]}", style="dim")
    return label
