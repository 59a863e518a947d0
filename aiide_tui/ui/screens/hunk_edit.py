"""Edit one proposed hunk before accepting it: its new lines in a text area, saved in memory.

Saving hands the text to the chat service, which replaces the hunk's new side
in the proposal (nothing touches the disk); the hunk then waits in the review
pane for accept or reject, like any other. An edit that does not fit is
reported here, and the user's text stays for another try.
"""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Label

from aiide_tui.chat.hunk_edit import new_side_text
from aiide_tui.errors import AiideError
from aiide_tui.review import Hunk
from aiide_tui.services.client import ServicesClient
from aiide_tui.ui.widgets.code_view import CodeView

__all__ = ["HunkEditScreen"]


class HunkEditScreen(ModalScreen[dict | None]):
    """Returns the updated proposal (as the service sends it) once saved, None if cancelled."""

    BINDINGS: list[BindingType] = [
        Binding("ctrl+s", "save", "Save hunk", id="save"),
        Binding("escape", "cancel", "Cancel", priority=True),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | ctrl+s | Save: the hunk's new lines become the text (the app's save key, if remapped). |
    | escape | Close without changing the hunk. |
    """

    DEFAULT_CSS = """
    HunkEditScreen {
        align: center middle;
        & > Vertical {
            width: 110; max-width: 95%; height: 80%;
            border: round $accent; border-title-color: $text; background: $surface;
        }
        & #hunk-edit-hint { color: $text-muted; padding: 0 1; width: 1fr; height: auto; }
        & #hunk-edit-error { color: $text-error; padding: 0 1; height: auto; }
        & CodeView { height: 1fr; }
    }
    """

    def __init__(
        self, client: ServicesClient, proposal: int, path: str, index: int, hunk: Hunk
    ) -> None:
        super().__init__()
        self.client = client
        self.proposal = proposal
        self.path = path
        self.index = index
        self.hunk = hunk

    def compose(self) -> ComposeResult:
        with Vertical() as dialog:
            dialog.border_title = f"Edit hunk {self.index + 1} of {self.path}"
            yield Label(
                f"The proposed lines, context included. Accepting the hunk {self._where()}. "
                "Nothing is written until you accept it in the review pane.",
                id="hunk-edit-hint",
                markup=False,
            )
            # The editor's own view: highlighting, Enter indents, Tab and Backspace by
            # indentation stops, no suggestions (the screen's Esc comes first: it cancels).
            yield CodeView(
                self.path, new_side_text(self.hunk), mtime_ns=0, complete=False,
                id="hunk-edit-text",
            )  # fmt: skip
            yield Label("", id="hunk-edit-error", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.query_one(CodeView).focus()

    def _where(self) -> str:
        start, length = self.hunk.old_start, self.hunk.old_len
        if length == 0:
            return f"inserts them after line {start}" if start else "makes them the file"
        return f"puts them in place of lines {start}-{start + length - 1}"

    @property
    def text(self) -> str:
        """The text being edited."""
        return self.query_one(CodeView).text

    def action_save(self) -> None:
        self.save(self.text)

    def action_cancel(self) -> None:
        self.dismiss(None)

    @work(exclusive=True, group="hunk-edit", description="Replace the hunk's new lines")
    async def save(self, text: str) -> None:
        try:
            proposal = await self.client.chat_edit_hunk(self.proposal, self.path, self.index, text)
        except AiideError as error:
            self.query_one("#hunk-edit-error", Label).update(f"{error.title}: {error.message}")
            return
        self.dismiss(proposal)
