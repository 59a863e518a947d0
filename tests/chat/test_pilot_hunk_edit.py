"""The app under Textual's pilot: edit a proposed hunk by hand, accept it, find it on disk."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TextArea

from aiide_tui.ui.app import AiideApp
from aiide_tui.ui.screens.hunk_edit import HunkEditScreen
from aiide_tui.ui.screens.main import MainScreen
from aiide_tui.ui.widgets.hunk_view import HunkView
from aiide_tui.ui.widgets.review_pane import ReviewPane
from tests.chat.conftest import CALC
from tests.chat.test_service import CHAT, TWO_HUNKS
from tests.ui.conftest import wait_for


async def _proposal_in_review(pilot, project: Path) -> tuple[MainScreen, ReviewPane]:
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.client is not None)
    screen.query_one("#chat-input").focus()
    await pilot.press(*"swap the operands", "enter")
    review = screen.query_one(ReviewPane)
    await wait_for(pilot, lambda: review.source == "chat" and review.files, timeout=15)
    review.focus()
    await wait_for(pilot, lambda: review.current_hunk == ("calc.py", 0))
    return screen, review


async def test_edit_a_hunk_then_accept_it_writes_the_edited_text(
    project: Path, chat_config, model_server
):
    model_server.script(CHAT, text=TWO_HUNKS)
    app = AiideApp(project, chat_config, probe_environment=False, remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        main, review = await _proposal_in_review(pilot, project)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HunkEditScreen))
        area = pilot.app.screen.query_one(TextArea)
        assert area.text.splitlines()[3] == "    return b + a"
        hint = pilot.app.screen.query_one("#hunk-edit-hint")
        assert hint.size.height >= 2  # wrapped, its last words not cut off
        assert area.language == "python"  # highlighted as the file is
        # Enter after the signature indents as the editor does: into the body.
        await pilot.press("down", "down", "end", "enter", *"assert a")
        await pilot.press("down", "end", *"  # by hand", "ctrl+s")
        await wait_for(pilot, lambda: pilot.app.screen is main)
        view = review.query(HunkView).first()
        assert view.edited and view.decision is None
        added = [line.text for line in view.hunk.lines if line.kind == "+"]
        assert added == ["    assert a", "    return b + a  # by hand"]
        assert (project / "calc.py").read_text() == CALC  # nothing written before a yes
        await pilot.press("a", "x")
        expected = CALC.replace("return a + b", "assert a\n    return b + a  # by hand")
        await wait_for(pilot, lambda: (project / "calc.py").read_text() == expected)


async def test_escape_leaves_the_hunk_as_proposed(project: Path, chat_config, model_server):
    model_server.script(CHAT, text=TWO_HUNKS)
    app = AiideApp(project, chat_config, probe_environment=False, remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        main, review = await _proposal_in_review(pilot, project)
        await pilot.press("e")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HunkEditScreen))
        await pilot.press(*"garbage", "escape")
        await wait_for(pilot, lambda: pilot.app.screen is main)
        view = review.query(HunkView).first()
        assert not view.edited
        await pilot.press("a", "a")
        both = CALC.replace("return a + b", "return b + a").replace(
            "return a - b", "return -(b - a)"
        )
        await wait_for(pilot, lambda: (project / "calc.py").read_text() == both)


async def test_edit_key_follows_the_keymap(project: Path, model_server):
    from aiide_tui.config import load_config

    config = load_config(
        project,
        env={"OLLAMA_HOST": model_server.url},
        overrides={"index": {"vectors": False, "workers": 1}, "keys": {"edit_hunk": "f11"}},
    )
    model_server.script(CHAT, text=TWO_HUNKS)
    app = AiideApp(project, config, probe_environment=False, remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        await _proposal_in_review(pilot, project)
        await pilot.press("e")
        await pilot.pause(0.2)
        assert not isinstance(pilot.app.screen, HunkEditScreen)
        await pilot.press("f11")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HunkEditScreen))
