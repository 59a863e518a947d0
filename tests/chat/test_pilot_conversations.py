"""The Conversations screen under Textual's pilot: list, search, resume, export."""

from __future__ import annotations

from pathlib import Path

from aiide_tui.chat.store import ChatStore, export_name
from aiide_tui.ui.app import AiideApp
from aiide_tui.ui.screens.conversations import ConversationsScreen
from aiide_tui.ui.screens.main import MainScreen
from aiide_tui.ui.widgets.chat_panel import ChatPanel
from tests.chat.test_service import CHAT
from tests.ui.conftest import wait_for

ADD_Q, ADD_A = "how does add work?", "It returns `a + b`."
SUB_Q, SUB_A = "why does sub fail?", "It subtracts in the wrong order."


def _store_two(project: Path) -> tuple[int, int]:
    store = ChatStore.for_project(project)
    try:
        first = store.new_conversation()
        store.add_message(first, "user", ADD_Q)
        store.add_message(first, "assistant", ADD_A)
        second = store.new_conversation()
        store.add_message(second, "user", SUB_Q)
        store.add_message(second, "assistant", SUB_A, think="subtraction is not commutative")
    finally:
        store.close()
    return first, second


def test_export_names_are_slugs_that_never_overwrite():
    taken = {"why-does-sub-fail.md"}
    assert export_name("Why does sub() fail?", taken.__contains__) == "why-does-sub-fail-2.md"
    assert export_name("", taken.__contains__) == "conversation.md"
    assert export_name("Ça échoue", taken.__contains__) == "ça-échoue.md"


async def _open(pilot, *, via_palette: bool = False) -> ConversationsScreen:
    main = pilot.app.screen
    await wait_for(pilot, lambda: main.client is not None)
    if via_palette:
        await pilot.press("ctrl+p", *"conversations")
        await pilot.pause(0.5)
        await pilot.press("enter")
    else:
        await pilot.press("ctrl+o")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConversationsScreen))
    screen = pilot.app.screen
    await wait_for(pilot, lambda: len(screen.conversations) == 2)
    return screen


async def test_list_search_resume_and_continue(project: Path, chat_config, model_server):
    first, _ = _store_two(project)
    model_server.script(CHAT, text="Still `a + b`.")
    app = AiideApp(project, chat_config, probe_environment=False, remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open(pilot)
        assert [c["title"] for c in screen.conversations] == [SUB_Q, ADD_Q]
        assert [c["messages"] for c in screen.conversations] == [2, 2]
        await pilot.press(*"a + b")
        await wait_for(pilot, lambda: len(screen.conversations) == 1)
        assert screen.conversations[0]["id"] == first
        assert "a + b" in screen.conversations[0]["excerpt"]
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, MainScreen))
        chat = pilot.app.screen.query_one(ChatPanel)
        await wait_for(pilot, lambda: [m.text for m in chat.messages] == [ADD_Q, ADD_A])
        chat.query_one("#chat-input").focus()
        await pilot.press(*"and with negatives?", "enter")
        await wait_for(pilot, lambda: len(chat.messages) == 4 and chat.messages[3].text)
        (request,) = model_server.requests_to(CHAT)
        sent = [(m["role"], m["content"]) for m in request.body["messages"]]
        assert ("user", ADD_Q) in sent and ("assistant", ADD_A) in sent
        assert all(SUB_Q not in content for _, content in sent)
    store = ChatStore.for_project(project)
    try:
        contents = [m.content for m in store.messages(first)]
    finally:
        store.close()
    assert contents[:3] == [ADD_Q, ADD_A, "and with negatives?"]


async def test_the_app_opens_on_the_latest_conversation(project: Path, chat_config):
    _store_two(project)
    app = AiideApp(project, chat_config, probe_environment=False, remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        chat = pilot.app.screen.query_one(ChatPanel)
        await wait_for(pilot, lambda: [m.text for m in chat.messages] == [SUB_Q, SUB_A])


async def test_export_writes_markdown_beside_the_chat_history(project: Path, chat_config):
    _store_two(project)
    app = AiideApp(project, chat_config, probe_environment=False, remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = await _open(pilot, via_palette=True)
        await pilot.press("down", "down", "ctrl+s")
        status = screen.query_one("#conversations-status")
        await wait_for(pilot, lambda: "how-does-add-work.md" in str(status.render()))
        target = Path(str(status.render()).split()[1])
        assert target.name == "how-does-add-work.md" and target.exists()
        assert project not in target.parents  # never context for the next question
        await pilot.press("up", "ctrl+s")
        await wait_for(pilot, lambda: (target.parent / "why-does-sub-fail.md").exists())
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: (target.parent / "why-does-sub-fail-2.md").exists())
    text = target.read_text()
    assert text.startswith(f"# {ADD_Q}\n")
    assert f"## User\n\n{ADD_Q}" in text and f"## Assistant\n\n{ADD_A}" in text
    reasoning = (target.parent / "why-does-sub-fail.md").read_text()
    assert "<details><summary>Reasoning</summary>" in reasoning


def test_search_excerpts_cut_between_words(tmp_path: Path):
    store = ChatStore(tmp_path / "chat.sqlite")
    conversation = store.new_conversation()
    answer = (
        "Looking at pricing.py, the checkout path is short: the function returns the"
        " subtotal with the tax rate applied, rounded to cents,"
        " and it also logs the result for the audit trail of every checkout."
    )
    store.add_message(conversation, "assistant", answer)
    ((_, _, role, excerpt),) = store.search("tax rate")
    assert role == "assistant" and "tax rate" in excerpt
    assert excerpt.startswith("…") and excerpt.endswith("…")
    inner = excerpt.strip("…").split()
    assert all(word in answer.split() for word in inner)  # no word cut in two
    store.close()
