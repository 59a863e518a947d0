"""The app under Textual's pilot: ask, watch the answer stream, accept one hunk of two."""

from __future__ import annotations

from pathlib import Path

from aiide_tui.ui.app import AiideApp
from aiide_tui.ui.widgets.chat_panel import ChatPanel
from aiide_tui.ui.widgets.review_pane import ReviewPane
from tests.chat.conftest import CALC
from tests.chat.test_service import CHAT, TWO_HUNKS
from tests.ui.conftest import wait_for


async def chat_ready(pilot) -> tuple:
    """The main screen and its chat panel, once the services answer, the prompt focused."""
    screen = pilot.app.screen
    chat = screen.query_one(ChatPanel)
    await wait_for(pilot, lambda: screen.client is not None)
    chat.query_one("#chat-input").focus()
    return screen, chat


async def test_ask_stream_accept_one_hunk_of_two(project: Path, chat_config, model_server):
    model_server.script(CHAT, text=TWO_HUNKS, chunk_delay=0.02)
    app = AiideApp(project, chat_config, probe_environment=False, remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = pilot.app.screen
        chat = screen.query_one(ChatPanel)
        review = screen.query_one(ReviewPane)
        await wait_for(pilot, lambda: screen.client is not None)
        chat.query_one("#chat-input").focus()
        await pilot.press(*"swap the operands", "enter")
        await wait_for(pilot, lambda: chat.streaming)
        await wait_for(pilot, lambda: len(chat.messages) == 2 and chat.messages[1].text)
        partial = chat.messages[1].text
        assert partial and "return -(b - a)" not in partial  # seen while streaming
        await wait_for(pilot, lambda: review.source == "chat" and review.files, timeout=15)
        assert chat.messages[1].text.startswith("I will change both functions.")
        bar = str(chat.query_one("#chat-context").render())
        assert bar.startswith("context\u00a0")  # each part wraps whole
        assert (project / "calc.py").read_text() == CALC
        review.focus()
        await wait_for(pilot, lambda: review.current_hunk is not None)
        assert review.current_hunk == ("calc.py", 0)
        await pilot.press("a", "x")
        await wait_for(
            pilot,
            lambda: (
                "-(b - a)" not in (project / "calc.py").read_text()
                and (project / "calc.py").read_text() != CALC
            ),
        )
        text = (project / "calc.py").read_text()
        assert text == CALC.replace("return a + b", "return b + a")


async def test_escape_stops_the_answer(project: Path, chat_config, model_server):
    model_server.script(CHAT, text="one two three four five six", stall_after=2)
    app = AiideApp(project, chat_config, probe_environment=False, remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        _, chat = await chat_ready(pilot)
        await pilot.press(*"go on", "enter")
        await wait_for(pilot, lambda: len(chat.messages) == 2 and chat.messages[1].text)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not chat.streaming)
        record = await model_server.settled(CHAT)
        assert record.outcome == "disconnected"
        await wait_for(pilot, lambda: "Stopped" in chat.messages[-1].text)


async def test_slash_clear_empties_the_panel_and_lists_no_empty_conversation(
    project: Path, chat_config, model_server
):
    model_server.default(CHAT, text="It adds.")
    app = AiideApp(project, chat_config, probe_environment=False, remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen, chat = await chat_ready(pilot)
        await pilot.press(*"what does add do", "enter")
        await wait_for(pilot, lambda: len(chat.messages) == 2 and not chat.streaming)
        await pilot.press(*"/clear", "enter")
        await wait_for(pilot, lambda: [m.text for m in chat.messages] == ["New conversation."])
        listed = await screen.client.chat_conversations()
        assert [item["messages"] for item in listed] == [2]  # not the empty new one


async def test_a_code_block_shows_progress_and_a_message_sent_meanwhile_waits_its_turn(
    project: Path, chat_config, model_server
):
    """A held code block used to show nothing for minutes on CPU, and sending anything then
    stopped the answer half way."""
    block = "".join(f"    line_{n} = {n}\n" for n in range(40))
    answer = f"Here it is:\n\n```python\ndef many():\n{block}```\n\nDone."
    model_server.script(CHAT, text=answer, chunk_delay=0.03)
    model_server.default(CHAT, text="Second answer.")
    app = AiideApp(project, chat_config, probe_environment=False, remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        _, chat = await chat_ready(pilot)
        progress = chat.query_one("#chat-progress")
        await pilot.press(*"write many", "enter")
        await wait_for(pilot, lambda: "writing a code block" in str(progress.render()))
        await pilot.press(*"and then?", "enter")
        await wait_for(pilot, lambda: any("once this answer ends" in m.text for m in chat.messages))
        await wait_for(pilot, lambda: any(m.text == "Second answer." for m in chat.messages), 30)
        texts = [m.text for m in chat.messages]
        roles = [m.role for m in chat.messages]
        # each answer in its own bubble below its own question, the queued one shown in turn
        assert roles[0] == "user" and sorted(roles[1:3]) == ["assistant", "system"]
        assert roles[3:] == ["user", "assistant"]
        assert texts[3:] == ["and then?", "Second answer."]
        assert any("and then?" in text for text in texts[1:3])  # the note names it
        first = next(t for t in texts if t.startswith("Here it is:"))
        assert "line_39 = 39" in first and first.rstrip().endswith("Done.")
        assert not any("Stopped" in t for t in texts)
        assert len(model_server.requests_to(CHAT)) == 2
        await wait_for(pilot, lambda: not progress.display)


async def test_a_question_sent_while_a_proposal_streams_leaves_the_proposal_in_review(
    project: Path, chat_config, model_server
):
    """The queued question's worker used to cancel the first one before it showed its
    proposal: the hunks waited, unseen."""
    model_server.script(CHAT, text=TWO_HUNKS, chunk_delay=0.03)
    model_server.default(CHAT, text="It subtracts.")
    app = AiideApp(project, chat_config, probe_environment=False, remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen, chat = await chat_ready(pilot)
        review = screen.query_one(ReviewPane)
        await pilot.press(*"swap the operands", "enter")
        await wait_for(pilot, lambda: chat.streaming)
        await pilot.press(*"what does sub do", "enter")
        await wait_for(pilot, lambda: any(m.text == "It subtracts." for m in chat.messages), 30)
        await wait_for(pilot, lambda: review.source == "chat" and review.files)
        assert [f.path for f in review.files] == ["calc.py"]
        assert await screen._undecided_hunks() == 2
