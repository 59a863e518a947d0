"""A small question with a few answers ("Reload or keep?", "Open a large file?").

Each choice is a button and a key; the screen returns the chosen key.
Escape picks the last choice, so put the cancelling answer last.
"""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.events import Key
from textual.screen import ModalScreen
from textual.widgets import Button, Static

__all__ = ["ConfirmScreen"]


class ConfirmScreen(ModalScreen[str]):
    """Ask `message` and return the key of the choice made.

    Args:
        title: Shown in the dialog's border.
        message: The question, as plain text (no markup).
        choices: (key, label) pairs in order, e.g. `[("s", "Save"), ("c", "Cancel")]`;
            the key is a single key name that picks the choice.
    """

    BINDINGS: list[BindingType] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    ConfirmScreen {
        align: center middle;
        & > Vertical {
            width: auto; min-width: 40; max-width: 90%; height: auto;
            border: round $accent; border-title-color: $text;
            background: $surface; padding: 1 2;
        }
        & #confirm-message { width: auto; max-width: 100%; margin: 0 0 1 0; }
        & #confirm-choices { width: auto; height: auto; }
        & #confirm-choices.-stacked { layout: vertical; }
        & #confirm-choices.-stacked Button { margin: 0 0 0 0; }
        & Button { margin: 0 1 0 0; min-width: 10; }
    }
    """

    def __init__(self, title: str, message: str, choices: list[tuple[str, str]]) -> None:
        if not choices:
            raise ValueError("ConfirmScreen needs at least one choice")
        super().__init__()
        self.title_text = title
        self.message = message
        self.choices = list(choices)

    def compose(self) -> ComposeResult:
        with Vertical() as dialog:
            dialog.border_title = Content(self.title_text)
            yield Static(Content(self.message), id="confirm-message")
            with Horizontal(id="confirm-choices"):
                for index, (key, label) in enumerate(self.choices):
                    yield Button(
                        Content(f"{label} ({key})"),
                        name=key,
                        variant="primary" if index == 0 else "default",
                        compact=True,
                    )

    def on_mount(self) -> None:
        self.query(Button).first().focus()
        self._fit_choices()

    def on_resize(self) -> None:
        self._fit_choices()

    def _fit_choices(self) -> None:
        """One button under another when a row of them would be cut (a 60-column pane)."""
        needed = sum(len(label) + len(key) + 6 for key, label in self.choices)
        room = int(self.app.size.width * 0.9) - 6  # the dialog's max width, less border/padding
        self.query_one("#confirm-choices").set_class(needed > room, "-stacked")

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.name is not None:
            self.dismiss(event.button.name)

    def on_key(self, event: Key) -> None:
        keys = {key for key, _ in self.choices}
        if event.key in keys:
            event.stop()
            self.dismiss(event.key)

    def action_cancel(self) -> None:
        self.dismiss(self.choices[-1][0])
