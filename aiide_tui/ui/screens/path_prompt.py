"""Ask for a project path (a new file's, a file's new name); stays open on an error.

A protected path (git internals, CI config, secrets) is said once; Enter again on the same
path goes ahead, confirmed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

from aiide_tui.ui.widgets.ordered_keys import OrderedInput

__all__ = ["PathPrompt"]

Act = Callable[[str, bool], Awaitable[str | None]]
"""Does the thing with a project-relative path (confirmed for a protected one, or not);
returns why it could not, or None."""
NEEDS_CONFIRMATION = "needs confirmation"


class PathPrompt(ModalScreen[str | None]):
    """A path field started at `value`; Enter runs `act`, and returns the path once it worked."""

    BINDINGS: list[BindingType] = [Binding("escape", "cancel", "Cancel")]

    DEFAULT_CSS = """
    PathPrompt {
        align: center middle;
        & > Vertical {
            width: 70; max-width: 95%; height: auto;
            border: round $accent; border-title-color: $text;
            background: $surface; padding: 0 1;
        }
        & #path-error { color: $text-error; width: 100%; height: auto; }
        & Input { margin: 1 0 0 0; }
    }
    """

    def __init__(self, title: str, value: str, act: Act) -> None:
        super().__init__()
        self.title_text = title
        self.value = value
        self.act = act
        self._warned: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical() as dialog:
            dialog.border_title = f"{self.title_text} · Enter · Esc cancels"
            yield OrderedInput(
                value=self.value,
                placeholder="path/in/the/project.py",
                select_on_focus=False,  # type after what is there, not over it
                id="path-input",
            )
            yield Label("", id="path-error")

    @on(Input.Submitted, "#path-input")
    async def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        path = event.value.strip()
        error = self.query_one("#path-error", Label)
        if not path or path.endswith("/"):
            error.update("Type a file name (folders that don't exist yet are created).")
            return
        problem = await self.act(path, path == self._warned)
        if problem and NEEDS_CONFIRMATION in problem:
            self._warned = path
            error.update(f"{problem.rstrip('.')}: Enter again to go ahead.")
            return
        if problem:
            error.update(problem)
            return
        self.dismiss(path)

    def action_cancel(self) -> None:
        self.dismiss(None)
