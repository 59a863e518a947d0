"""Ask for a line number to jump to; the editor moves its cursor there."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from aiide_tui.ui.widgets.ordered_keys import OrderedInput

__all__ = ["GotoLineScreen", "parse_line"]


def parse_line(value: str, last: int) -> int | None:
    """The line `value` names, clamped to 1..`last`; None if it is not a whole number."""
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return max(1, min(number, last))


class GotoLineScreen(ModalScreen[int | None]):
    """A one-line prompt; Enter jumps (clamped to the document), Escape cancels."""

    BINDINGS: list[BindingType] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    GotoLineScreen {
        align: center middle;
        & > Vertical {
            width: 40; height: auto;
            border: round $accent; border-title-color: $text;
            background: $surface; padding: 0 1;
        }
        & #goto-error { color: $text-error; height: auto; }
        & Input { margin: 1 0 0 0; }
    }
    """

    def __init__(self, current: int, last: int) -> None:
        super().__init__()
        self.current = current
        """The cursor's line now (1-based), shown as the placeholder."""
        self.last = max(1, last)
        """The document's last line number."""

    def compose(self) -> ComposeResult:
        with Vertical() as dialog:
            dialog.border_title = "Go to line"
            yield OrderedInput(
                placeholder=f"line 1 to {self.last} (now {self.current})",
                type="integer",
                id="goto-input",
            )
            yield Label("", id="goto-error")

    @on(Input.Submitted, "#goto-input")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        number = parse_line(event.value, self.last)
        if number is None:
            self.query_one("#goto-error", Label).update(f"Type a line number, 1 to {self.last}.")
            return
        self.dismiss(number)

    def action_cancel(self) -> None:
        self.dismiss(None)
