"""Pick one of several places in the project (definitions of a name, its references)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import OptionList
from textual.widgets.option_list import Option

__all__ = ["Location", "LocationsScreen", "locations_of_definitions", "locations_of_references"]


@dataclass(frozen=True)
class Location:
    """A line of a project file, with what to show for it."""

    path: str
    line: int
    label: str = ""
    """The symbol or the definition the line lies in."""
    detail: str = ""
    """A second, dim line: a signature, say."""
    column: int = 0
    length: int = 0
    """Characters from `column` to select there (a text match), or none."""
    word: str = ""
    """A name to put the cursor on in that line (a definition's), found when it opens."""


class LocationsScreen(ModalScreen[Location | None]):
    """A list of places; Enter returns the chosen one, Esc returns None."""

    BINDINGS = [Binding("escape", "dismiss(None)", "Close")]

    DEFAULT_CSS = """
    LocationsScreen {
        align: center middle;
        & > Vertical {
            width: 100; max-width: 95%; height: auto; max-height: 80%;
            border: round $accent; border-title-color: $text; background: $surface;
        }
        & OptionList { height: auto; max-height: 100%; border: none; }
    }
    """

    def __init__(self, title: str, locations: list[Location]) -> None:
        super().__init__()
        self.title_text = title
        self.locations = locations

    def compose(self) -> ComposeResult:
        with Vertical() as frame:
            frame.border_title = f"{self.title_text} · Enter opens · Esc closes"
            yield OptionList(*(Option(_label(item)) for item in self.locations))

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.locations[event.option_index])


def locations_of_definitions(symbols: list[dict], current_path: str) -> list[Location]:
    """`index/definitions` answers as locations, those in the current file first."""
    found = [
        Location(
            s["path"], int(s["start_line"]), s["symbol"], s.get("signature") or "", word=s["name"]
        )
        for s in symbols
    ]
    return sorted(found, key=lambda item: item.path != current_path)


def locations_of_references(references: list[dict], name: str = "") -> list[Location]:
    """`index/references` answers as locations, one per line that uses the name (the cursor
    on `name` there when given)."""
    return [
        Location(ref["path"], int(line), ref.get("enclosing") or "", word=name)
        for ref in references
        for line in dict.fromkeys(ref["lines"])  # two calls on one line: one place
    ]


def locations_of_uses(
    references: list[dict],
    matches: list[dict],
    definitions: list[dict],
    name: str,
    *,
    namesakes_elsewhere: Sequence[dict] = (),
) -> list[Location]:
    """Where `name` is used: the index's references (calls, with the definition they lie
    in), then the other lines that hold the whole word in the same case (imports, type
    hints, `Name.attr`: uses the reference graph does not record), the definitions left out.
    A text match in a file with a namesake of its own (`namesakes_elsewhere`) is that
    namesake's use, not this one's, unless the index says otherwise."""
    found = locations_of_references(references, name)
    seen = {(item.path, item.line) for item in found}
    seen |= {(d["path"], int(d["start_line"])) for d in definitions}
    own_namesake = {d["path"] for d in namesakes_elsewhere}
    for match in matches:
        start = match["text_column"]
        if match["text"][start : start + match["length"]] != name:
            continue  # smart case matched another case
        if match["path"] in own_namesake:
            continue
        if (match["path"], match["line"]) not in seen:
            seen.add((match["path"], match["line"]))
            found.append(
                Location(
                    match["path"], match["line"], "", match["text"].strip(),
                    match["column"], match["length"],
                )
            )  # fmt: skip
    return found


def _label(item: Location) -> Text:
    label = Text()
    label.append(f"{item.path}:{item.line}", style="bold")
    if item.label:
        label.append(f"  {item.label}", style="cyan")
    if item.detail:
        label.append(f"\n  {item.detail[:90]}", style="dim")
    return label
