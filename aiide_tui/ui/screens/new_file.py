"""Ask for the path of a new file; the screen creates it and stays open on an error."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

__all__ = ["NewFileScreen"]

Create = Callable[[str], Awaitable[str | None]]
"""Creates the file at a project-relative path; returns why it could not, or None."""


class NewFileScreen(ModalScreen[str | None]):
    """A path prompt, started in `folder`; returns the path of the file it created."""

    BINDINGS: list[BindingType] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    NewFileScreen {
        align: center middle;
        & > Vertical {
            width: 70; max-width: 95%; height: auto;
            border: round $accent; border-title-color: $text;
            background: $surface; padding: 0 1;
        }
        & #new-file-error { color: $text-error; width: 100%; height: auto; }
        & Input { margin: 1 0 0 0; }
    }
    """

    def __init__(self, folder: str, create: Create) -> None:
        super().__init__()
        self.folder = folder.strip("/")
        self.create = create

    def compose(self) -> ComposeResult:
        with Vertical() as dialog:
            dialog.border_title = "New file · Enter creates · Esc cancels"
            yield Input(
                value=f"{self.folder}/" if self.folder else "",
                placeholder="path/in/the/project.py",
                select_on_focus=False,  # type the name after the folder, not over it
                id="new-file-input",
            )
            yield Label("", id="new-file-error")

    @on(Input.Submitted, "#new-file-input")
    async def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        error = self.query_one("#new-file-error", Label)
        if not path or path.endswith("/"):
            error.update("Type a file name (folders that don't exist yet are created).")
            return
        problem = await self.create(path)
        if problem:
            error.update(problem)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
