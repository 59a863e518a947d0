"""The chat panel: a scrolling log of Markdown messages above a prompt.

The panel renders and forwards: it echoes what the user typed and posts
`ChatPanel.Submitted`; the screen talks to the chat service and feeds replies
back through `add_message` and `append_to_last`. Streamed deltas go through
Textual's `MarkdownStream`, which batches appends when tokens arrive faster
than the widget can re-render.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.suggester import Suggester
from textual.widget import AwaitMount, Widget
from textual.widgets import Collapsible, Input, Markdown, Static
from textual.widgets.markdown import MarkdownStream

from aiide_tui.chat.suggest import suggest
from aiide_tui.config import shown_path, user_config_path
from aiide_tui.ui.widgets.ordered_keys import OrderedInput

__all__ = ["ChatMessage", "ChatPanel", "Role"]

Role = Literal["user", "assistant", "system"]

NO_MODEL_TEXT = "No model connected."
CONNECT_HINT = (
    "Start Ollama (`ollama serve`), or run `aiide models setup` to use the built-in local "
    "models offline, or set [models] in {config}; `aiide doctor` checks."
)


class ChatMessage(Markdown, can_focus=True):
    """One message; `text` is the whole Markdown source, even while rendering lags behind."""

    DEFAULT_CSS = """
    ChatMessage {
        height: auto;
        margin: 0 0 1 0;
        padding: 0 1;
        border-left: wide transparent;
        &.-user { background: $primary 12%; border-left: wide $primary; }
        &.-assistant { background: $surface; border-left: wide $success 60%; }
        &.-system { color: $text-muted; border-left: wide $warning 50%; }
        &:focus { background-tint: $foreground 6%; border-left: wide $accent; }
        & > MarkdownBlock:last-child { margin-bottom: 0; }
    }
    ChatMessage:ansi {
        background: ansi_default;
        &.-user { border-left: wide ansi_blue; }
        &.-assistant { border-left: wide ansi_green; }
        &.-system { border-left: wide ansi_yellow; }
    }
    """

    def __init__(self, role: Role, markdown: str) -> None:
        super().__init__(markdown, classes=f"-{role}", open_links=False)
        self.role: Role = role
        self.text = markdown
        self._stream: MarkdownStream | None = None
        self._mounting: AwaitMount | None = None

    def mount_in(self, log: Widget) -> None:
        """Mount into `log`; the first append waits for it, or Markdown's own
        first render (of the initial text) would overwrite streamed text."""
        self._mounting = log.mount(self)

    async def append_text(self, delta: str) -> None:
        """Stream `delta` onto the end of this message."""
        self.text += delta
        if self._mounting is not None:
            mounting, self._mounting = self._mounting, None
            await mounting
        if self._stream is None:
            self._stream = Markdown.get_stream(self)
        await self._stream.write(delta)

    async def finish(self) -> None:
        """Flush the stream; later appends start a new one."""
        if self._stream is not None:
            stream, self._stream = self._stream, None
            await stream.stop()


class PromptSuggester(Suggester):
    """Ghost text for `/command` and `@path` in the prompt (`chat.suggest`)."""

    def __init__(self) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.files: list[str] = []
        """Paths a mention may name; the screen fills it from the chat service."""

    async def get_suggestion(self, value: str) -> str | None:
        return suggest(value, self.files)


class ChatPanel(Vertical):
    """Messages above a prompt; a notice on top while no model is connected.

    The log is anchored, so new text stays in view and a short conversation
    sits just above the prompt, as in most chat tools.
    """

    BORDER_TITLE = "Chat"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop_or_focus", "Stop", show=False),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | escape | Stop the answer being streamed; otherwise put the cursor back in the prompt. |
    """

    DEFAULT_CSS = """
    ChatPanel {
        border: round $foreground 25%;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        &:focus-within { border: round $accent; border-title-color: $text; }
        & > #chat-log { height: 1fr; padding: 0 1; }
        & > #chat-notice {
            color: $text-warning;
            background: $warning 10%;
            padding: 0 1;
            margin: 0 1 1 1;
        }
        & > #chat-input { dock: bottom; }
        & > #chat-context { color: $text-muted; padding: 0 1; height: auto; }
        & > #chat-progress { color: $text-muted; text-style: italic; padding: 0 1; height: 1; }
        & Collapsible.-thinking { color: $text-muted; margin: 0 0 1 0; }
    }
    ChatPanel:ansi > #chat-notice { color: ansi_yellow; background: ansi_default; }
    """

    class Submitted(Message):
        """The user sent `text`; the screen decides what to do with it."""

        def __init__(self, panel: ChatPanel, text: str) -> None:
            super().__init__()
            self.panel = panel
            self.text = text

        @property
        def control(self) -> ChatPanel:
            return self.panel

    class StopRequested(Message):
        """The user pressed Esc while an answer was streaming."""

        def __init__(self, panel: ChatPanel) -> None:
            super().__init__()
            self.panel = panel

        @property
        def control(self) -> ChatPanel:
            return self.panel

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.model_connected = False
        self._messages: list[ChatMessage] = []
        self._notice = Static(self._notice_text(""), id="chat-notice", markup=False)
        self._context_bar = Static("", id="chat-context", markup=False)
        self._context_bar.display = False
        self._progress = Static("", id="chat-progress", markup=False)
        self._progress.display = False
        self._thinking: Static | None = None
        self._thought = ""
        self._answer: ChatMessage | None = None
        """The assistant message being streamed into."""
        self.streaming = False
        """An answer is arriving: Esc stops it."""
        self.suggester = PromptSuggester()
        """Completes `/command` and `@path` as ghost text (set `suggester.files`)."""

    def compose(self) -> ComposeResult:
        yield self._notice
        yield VerticalScroll(id="chat-log")
        yield self._progress
        yield self._context_bar
        yield OrderedInput(
            placeholder="Ask about your code (Enter to send)",
            id="chat-input",
            select_on_focus=False,
            suggester=self.suggester,
        )  # coming back to the prompt must not let the next key replace the draft

    def on_mount(self) -> None:
        if not self.model_connected:
            self.border_subtitle = "no model"
        self.query_one("#chat-log", VerticalScroll).anchor()

    @on(Input.Submitted, "#chat-input")
    def _prompt_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            return
        event.input.clear()
        if not self.streaming:  # sent meanwhile, it shows when its turn comes, after the answer
            self.add_message("user", text)
        self.post_message(self.Submitted(self, text))

    def action_focus_prompt(self) -> None:
        self.query_one("#chat-input", Input).focus()

    def action_stop_or_focus(self) -> None:
        if self.streaming:
            self.post_message(self.StopRequested(self))
        else:
            self.action_focus_prompt()

    # Public API

    @property
    def messages(self) -> list[ChatMessage]:
        """The messages in the log, oldest first."""
        return list(self._messages)

    def set_model_state(self, connected: bool, detail: str) -> None:
        """Show whether a model answers; `detail` names it, or says why it does not."""
        self.model_connected = connected
        self._notice.display = not connected
        if connected:
            self.border_subtitle = detail
        else:
            self._notice.update(self._notice_text(detail))
            self.border_subtitle = "no model"

    def add_message(self, role: Role, markdown: str) -> ChatMessage:
        """Append a message to the log and return its widget."""
        message = ChatMessage(role, markdown)
        self._messages.append(message)
        message.mount_in(self.query_one("#chat-log", VerticalScroll))
        return message

    async def append_to_last(self, delta: str) -> ChatMessage:
        """Stream `delta` onto the answer being written: messages sent or said while it
        streams (a question asked next) go below it, not into it. With none under way, an
        assistant message last in the log goes on, else a new one starts."""
        if self._answer is None:
            last = self._messages[-1] if self._messages else None
            keep = last is not None and last.role == "assistant"
            self._answer = last if keep else self.add_message("assistant", "")
        await self._answer.append_text(delta)
        return self._answer

    def set_progress(self, text: str) -> None:
        """What the model is doing where the log cannot show it yet ("" hides the line)."""
        self._progress.update(f"… {text}" if text else "")
        self._progress.display = bool(text)

    def set_context(self, summary: str) -> None:
        """Show what went into the last question's context, and its size; each `·` part wraps
        whole ("1 hit" on one line and its "23" alone on the next read as a stray number)."""
        parts = summary.split(" · ")
        self._context_bar.update(" · ".join(part.replace(" ", "\u00a0") for part in parts))
        self._context_bar.display = bool(summary)

    async def append_thinking(self, delta: str) -> None:
        """Stream reasoning into a folded section above the answer it belongs to."""
        if self._thinking is None:
            self._thinking = Static("", markup=False)
            folded = Collapsible(self._thinking, title="Thinking", classes="-thinking")
            await self.query_one("#chat-log", VerticalScroll).mount(folded)
            self._thought = ""
        self._thought += delta
        self._thinking.update(self._thought)

    async def finish_last(self) -> None:
        """End streaming into the answer, so its text is fully rendered."""
        self._thinking = None
        answer, self._answer = self._answer, None
        if answer is not None:
            await answer.finish()

    async def clear(self) -> None:
        """Remove every message (the no-model notice stays while it applies)."""
        messages, self._messages, self._answer = self._messages, [], None
        for message in messages:
            await message.finish()
        await self.query_one("#chat-log").remove_children(messages)

    async def show_history(self, messages: Iterable[tuple[Role, str, str]]) -> None:
        """Replace the log with a stored conversation: (role, Markdown, reasoning) each."""
        for message in self._messages:
            await message.finish()
        self._messages, self._thinking, self._answer = [], None, None
        await self.query_one("#chat-log").remove_children()
        self.set_context("")
        for role, markdown, think in messages:
            if think:
                await self.append_thinking(think)
                self._thinking = None
            self.add_message(role, markdown)

    def copy_selected_message(self) -> str | None:
        """Markdown of the focused message, else the last assistant reply, for OSC 52 copy."""
        messages = self._messages
        focused = self.screen.focused
        for node in focused.ancestors_with_self if focused is not None else ():
            if isinstance(node, ChatMessage) and node in messages:
                return node.text
        replies = [message for message in messages if message.role == "assistant"]
        if replies:
            return replies[-1].text
        return messages[-1].text if messages else None

    def _notice_text(self, detail: str) -> str:
        lines = [NO_MODEL_TEXT]
        if detail:
            lines.append(detail)
        lines.append(CONNECT_HINT.format(config=shown_path(user_config_path())))
        return "\n".join(lines)
