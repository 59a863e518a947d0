"""ChatPanel in a tiny host app: the no-model notice, submitting, streaming, copying."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Input, Static
from textual.widgets.markdown import MarkdownBlock, MarkdownFence

from aiide_tui.config import user_config_path
from aiide_tui.ui.widgets.chat_panel import ChatMessage, ChatPanel


class Host(App[None]):
    """Just the panel, recording what it submits."""

    def __init__(self) -> None:
        super().__init__()
        self.submitted: list[str] = []

    def compose(self) -> ComposeResult:
        yield ChatPanel()

    def on_chat_panel_submitted(self, event: ChatPanel.Submitted) -> None:
        self.submitted.append(event.text)


def notice(panel: ChatPanel) -> Static:
    return panel.query_one("#chat-notice", Static)


def rendered_text(message: ChatMessage) -> str:
    """What the Markdown widget shows, block by block."""
    return "\n".join(
        block.code if isinstance(block, MarkdownFence) else str(block.render())
        for block in message.query_children(MarkdownBlock)
    )


async def test_no_model_notice_tells_how_to_connect() -> None:
    app = Host()
    async with app.run_test() as pilot:
        panel = app.query_one(ChatPanel)
        await pilot.pause()
        assert panel.border_title == "Chat"
        text = str(notice(panel).render())
        assert text.startswith("No model connected.")
        assert "Start Ollama (`ollama serve`)" in text
        assert "`aiide models setup` to use the built-in local models offline" in text
        config = user_config_path()  # the tests' own folder (AIIDE_CONFIG_DIR), named whole
        assert text.endswith(f"set [models] in {config}; `aiide doctor` checks.")
        log = panel.query_one("#chat-log")
        assert notice(panel).display and notice(panel).region.y == panel.content_region.y
        assert notice(panel).region.bottom < log.region.y

        panel.set_model_state(True, "ollama · qwen2.5-coder:1.5b")
        await pilot.pause()
        assert not notice(panel).display
        assert panel.border_subtitle == "ollama · qwen2.5-coder:1.5b"

        panel.set_model_state(False, "Ollama at 127.0.0.1:11434 refused the connection.")
        await pilot.pause()
        lines = str(notice(panel).render()).splitlines()
        assert lines[:2] == [
            "No model connected.",
            "Ollama at 127.0.0.1:11434 refused the connection.",
        ]
        assert panel.border_subtitle == "no model"


async def test_submitting_echoes_and_posts_the_text() -> None:
    app = Host()
    async with app.run_test() as pilot:
        panel = app.query_one(ChatPanel)
        prompt = panel.query_one(Input)
        prompt.focus()
        await pilot.press("enter")
        await pilot.press(*"  explain main.py ", "enter")
        await pilot.pause()
        assert app.submitted == ["explain main.py"]
        assert prompt.value == ""
        (message,) = panel.messages
        assert (message.role, message.text) == ("user", "explain main.py")
        assert message.has_class("-user")
        assert rendered_text(message) == "explain main.py"


async def test_streaming_appends_to_the_reply() -> None:
    app = Host()
    async with app.run_test() as pilot:
        panel = app.query_one(ChatPanel)
        panel.add_message("user", "hi")
        for delta in ["Hel", "lo, **wor", "ld**.\n\n", "```python\nprint(1)\n", "```\n"]:
            reply = await panel.append_to_last(delta)
        await panel.finish_last()
        await pilot.pause()
        user, assistant = panel.messages
        assert user.text == "hi"
        assert assistant is reply and assistant.role == "assistant"
        assert assistant.text == "Hello, **world**.\n\n```python\nprint(1)\n```\n"
        assert assistant.source == assistant.text
        assert rendered_text(assistant).startswith("Hello, world.")
        assert "print(1)" in rendered_text(assistant)

        await panel.append_to_last(" More.")
        await panel.finish_last()
        assert len(panel.messages) == 2 and assistant.text.endswith("``\n More.")


async def test_copy_prefers_the_focused_message_then_the_last_reply() -> None:
    app = Host()
    async with app.run_test() as pilot:
        panel = app.query_one(ChatPanel)
        assert panel.copy_selected_message() is None
        question = panel.add_message("user", "what is `x`?")
        panel.add_message("assistant", "`x` is **1**")
        panel.add_message("system", "model switched")
        await pilot.pause()
        assert panel.copy_selected_message() == "`x` is **1**"
        question.focus()
        await pilot.pause()
        assert panel.copy_selected_message() == "what is `x`?"


async def test_clear_removes_messages_but_keeps_the_notice() -> None:
    app = Host()
    async with app.run_test() as pilot:
        panel = app.query_one(ChatPanel)
        panel.add_message("user", "one")
        await panel.append_to_last("two")
        await panel.clear()
        await pilot.pause()
        assert panel.messages == [] and not panel.query(ChatMessage)
        assert notice(panel).display


async def test_a_long_log_follows_the_newest_text() -> None:
    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        panel = app.query_one(ChatPanel)
        log = panel.query_one("#chat-log")
        panel.add_message("user", "short")
        await pilot.pause()
        assert notice(panel).region.bottom < log.region.y
        for n in range(15):
            panel.add_message("assistant", f"reply {n}")
        await panel.append_to_last("\n\nlast words")
        await panel.finish_last()
        await pilot.pause()
        assert log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y
        assert panel.messages[-1].region.bottom <= log.region.bottom


async def test_model_state_can_be_set_before_mount() -> None:
    class Early(Host):
        def compose(self) -> ComposeResult:
            panel = ChatPanel()
            panel.set_model_state(True, "vllm · qwen")
            yield panel

    app = Early()
    async with app.run_test() as pilot:
        await pilot.pause()
        panel = app.query_one(ChatPanel)
        assert not notice(panel).display
        assert panel.border_subtitle == "vllm · qwen"


async def test_appending_right_after_adding_keeps_the_initial_text() -> None:
    app = Host()
    async with app.run_test() as pilot:
        panel = app.query_one(ChatPanel)
        message = panel.add_message("assistant", "Start: ")
        await panel.append_to_last("more")
        await panel.finish_last()
        await pilot.pause()
        assert message.source == message.text == "Start: more"
        assert rendered_text(message) == "Start: more"


async def test_the_prompt_completes_commands_and_mentions(project):
    """`/un` shows `do` as ghost text and → takes it; `@inv` walks down the project's paths,
    which the screen keeps from the chat service (secrets left out)."""
    from textual.widgets import Input

    from tests.ui.conftest import wait_for
    from tests.ui.test_app import make_app, ready

    (project / ".env").write_text("TOKEN=1\n")
    async with make_app(project).run_test(size=(120, 30)) as pilot:
        await ready(pilot)
        screen = pilot.app.screen
        screen.action_focus_chat()
        await pilot.pause()
        prompt = screen.query_one("#chat-input", Input)
        await wait_for(pilot, lambda: "inventory/store.py" in screen.chat.suggester.files)
        assert ".env" not in screen.chat.suggester.files
        await pilot.press(*"/un")
        await wait_for(pilot, lambda: prompt._suggestion == "/undo")
        await pilot.press("right")
        assert prompt.value == "/undo"
        prompt.value = ""
        await pilot.press(*"see @inventory/st")
        await wait_for(pilot, lambda: prompt._suggestion == "see @inventory/store.py")
        await pilot.press("right", *" ok")
        assert prompt.value == "see @inventory/store.py ok"
