"""The keys, from the keymap in force (so user overrides show up here too)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Static

from aiide_tui.config import shown_path, user_config_path
from aiide_tui.keymap import Action


class HelpScreen(ModalScreen[None]):
    """A table of every action and its keys; Escape closes it."""

    BINDINGS = [Binding("escape,f1,q", "dismiss", "Close")]

    DEFAULT_CSS = """
    HelpScreen {
        align: center middle;
        & > VerticalScroll {
            width: 110; max-width: 95%; height: auto; max-height: 90%;
            border: round $accent; border-title-color: $text;
            background: $surface; padding: 0 1;
        }
    }
    """

    def __init__(self, actions: list[tuple[Action, str]]) -> None:
        super().__init__()
        self.actions = actions

    def compose(self) -> ComposeResult:
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys · Esc to close"
            yield KeysTable(self.actions)
            yield Static(
                "\nThe command palette has every action but the suggestion keys, which act "
                "on a suggestion shown in the editor. Override keys in "
                f"{shown_path(user_config_path())} under [keys] by name,"
                ' e.g. save = "ctrl+s,f10".',
                classes="hint",
                markup=False,
            )


class KeysTable(Widget):
    """The keys as a table laid out for the width there is: below `FULL_WIDTH` columns the
    names for [keys] go (the palette shows them too), so the actions keep their room."""

    FULL_WIDTH = 90
    DEFAULT_CSS = "KeysTable { height: auto; }"

    def __init__(self, actions: list[tuple[Action, str]]) -> None:
        super().__init__()
        self.actions = actions

    def render(self) -> Table:
        full = self.size.width >= self.FULL_WIDTH
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Key", max_width=22 if full else 14)  # keys wrap after their commas
        table.add_column("Action", ratio=1)
        if full:
            table.add_column(Text("Name in [keys]"), style="dim", no_wrap=True)
        for action, keys in self.actions:
            row = [keys.replace(",", ", "), action.description]
            table.add_row(*row, *([action.id] if full else []))
        return table
