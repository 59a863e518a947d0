"""The keys, from the keymap in force (so user overrides show up here too)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

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
        table = Table(box=None, expand=True, show_header=True, header_style="bold")
        table.add_column("Key", max_width=22)  # several keys wrap after their commas
        table.add_column("Action", ratio=1)
        table.add_column(Text("Name in [keys]"), style="dim", no_wrap=True)
        for action, keys in self.actions:
            table.add_row(keys.replace(",", ", "), action.description, action.id)
        with VerticalScroll() as scroll:
            scroll.border_title = "Keys · Esc to close"
            yield Static(table)
            yield Static(
                "\nThe command palette has every action but the suggestion keys, which act "
                "on a suggestion shown in the editor. Override keys in "
                '~/.config/aiide/config.toml under [keys] by name, e.g. save = "ctrl+s,f10".',
                classes="hint",
                markup=False,
            )
