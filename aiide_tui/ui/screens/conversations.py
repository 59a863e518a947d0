"""Past conversations of this project: search them, resume one in the chat panel, export one.

Everything goes through the chat service: the list and the search come from
the project's chat history, resuming makes the chosen conversation the one the
next question continues, and exporting writes `<title-slug>.md` in the project
root through the workspace (a numbered name when that file exists), so it shows
in the file tree and `git status` and can be undone like any other write.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from aiide_tui.errors import AiideError
from aiide_tui.services.client import ServicesClient
from aiide_tui.ui.widgets.ordered_keys import OrderedInput

__all__ = ["ConversationsScreen"]

TYPING_PAUSE_S = 0.15
HINT = (
    "Enter resumes the highlighted conversation in the chat panel (your next question "
    "continues it). Export writes it as Markdown, <title>.md, in the project root."
)


class ConversationsScreen(ModalScreen[list[dict[str, Any]] | None]):
    """Returns the resumed conversation's messages (role, content, think), or None."""

    BINDINGS: list[BindingType] = [
        Binding("escape", "dismiss(None)", "Close"),
        Binding("ctrl+s", "export", "Export to Markdown"),
        Binding("down", "focus_list", "List", show=False),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | escape | Close, leaving the chat as it was. |
    | ctrl+s | Export the highlighted conversation to `<title>.md` in the project root. |
    | down | From the search box, move into the list. |
    | enter | Resume the highlighted conversation (the first one, from the search box). |
    """

    DEFAULT_CSS = """
    ConversationsScreen {
        align: center middle;
        & > Vertical {
            width: 100; max-width: 95%; height: 80%;
            border: round $accent; border-title-color: $text; background: $surface;
        }
        & #conversations-list { height: 1fr; }
        & #conversations-status { height: auto; color: $text-muted; padding: 0 1; }
        & #conversations-hint { height: auto; color: $text-muted; padding: 0 1; }
    }
    """

    def __init__(self, client: ServicesClient) -> None:
        super().__init__()
        self.client = client
        self.conversations: list[dict[str, Any]] = []
        """What the list shows, in order (as `ServicesClient.chat_conversations` returns)."""

    def compose(self) -> ComposeResult:
        with Vertical() as frame:
            frame.border_title = "Conversations"
            yield OrderedInput(placeholder="Search the messages of this project's conversations")
            yield Static("", id="conversations-status", markup=False)
            yield OptionList(id="conversations-list")
            yield Static(HINT, id="conversations-hint", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.load("")

    @property
    def highlighted(self) -> dict[str, Any] | None:
        """The conversation under the list's cursor (the first one when none is)."""
        if not self.conversations:
            return None
        index = self.query_one(OptionList).highlighted
        return self.conversations[index if index is not None else 0]

    @on(Input.Changed)
    def _query_changed(self, event: Input.Changed) -> None:
        self.load(event.value)

    @on(Input.Submitted)
    def _query_submitted(self) -> None:
        if (chosen := self.highlighted) is not None:
            self.resume(chosen["id"])

    @on(OptionList.OptionSelected)
    def _option_selected(self, event: OptionList.OptionSelected) -> None:
        self.resume(self.conversations[event.option_index]["id"])

    def action_focus_list(self) -> None:
        self.query_one(OptionList).focus()

    def action_export(self) -> None:
        chosen = self.highlighted
        if chosen is None:
            self.app.bell()
            return
        self.export(chosen["id"])

    @work(exclusive=True, group="conversations", description="List conversations")
    async def load(self, query: str) -> None:
        if query:
            await asyncio.sleep(TYPING_PAUSE_S)
        try:
            found = await self.client.chat_conversations(query.strip())
        except AiideError as error:
            self._status(f"{error.title}: {error.message}")
            return
        self.conversations = found
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options(Option(_label(item)) for item in found)
        if found:
            results.highlighted = 0
        what = f'matching "{query.strip()}"' if query.strip() else "in this project"
        self._status(f"{len(found)} conversation{'s' if len(found) != 1 else ''} {what}")

    @work(exclusive=True, group="conversations-resume", description="Resume a conversation")
    async def resume(self, conversation: int) -> None:
        try:
            messages = await self.client.chat_resume(conversation)
        except AiideError as error:
            self._status(f"{error.title}: {error.message}")
            return
        self.dismiss(messages)

    @work(group="conversations-export", description="Export a conversation to Markdown")
    async def export(self, conversation: int) -> None:
        try:
            path = await self.client.chat_export_file(conversation)
        except AiideError as error:
            self._status(f"{error.title}: {error.message}")
            return
        self._status(
            f"Wrote {path} (outside the project: /export PATH in the chat writes one in it)."
        )
        self.notify(f"Exported the conversation to {path}", timeout=4)

    def _status(self, text: str) -> None:
        self.query_one("#conversations-status", Static).update(text)


def _label(item: dict[str, Any]) -> Text:
    label = Text()
    label.append(item["title"] or "(untitled)", style="bold")
    when = time.strftime("%Y-%m-%d %H:%M", time.localtime(item["updated_at"]))
    count = item["messages"]
    label.append(f"  {when} · {count} message{'s' if count != 1 else ''}", style="dim")
    if item.get("excerpt"):
        label.append(f"\n  …{item['excerpt'][:90]}…", style="dim italic")
    return label
