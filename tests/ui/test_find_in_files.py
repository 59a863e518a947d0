"""Find in files from the app: alt+g lists matching lines, Enter opens one, match selected."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from aiide_tui.config import load_config
from aiide_tui.ui.app import AiideApp
from aiide_tui.ui.screens.search import FindInFilesScreen
from aiide_tui.ui.widgets.editor import Editor
from aiide_tui.ui.widgets.review_pane import ReviewPane
from tests.ui.conftest import wait_for


def app_for(project: Path) -> AiideApp:
    config = load_config(project, overrides={"index": {"vectors": False}})
    return AiideApp(project, config, remember_theme=False, probe_environment=False)


async def test_find_in_files_opens_the_match_selected(project: Path):
    (project / "notes.txt").write_text("nothing here\nthe stock BELOW ZERO again\n")
    app = app_for(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.screen.client is not None)
        await pilot.press("alt+g")
        await wait_for(pilot, lambda: isinstance(app.screen, FindInFilesScreen))
        finder = app.screen
        await pilot.press(*"below zero")
        await wait_for(pilot, lambda: len(finder.hits) == 2, timeout=15)
        # smart case: both spellings, in path order
        assert [(hit["path"], hit["line"]) for hit in finder.hits] == [
            ("inventory/store.py", 9),
            ("notes.txt", 2),
        ]
        # Down then Enter, as a fast typist's keys arrive: Enter still in the query field
        finder.action_focus_results()
        finder.query_one(Input).post_message(Input.Submitted(finder.query_one(Input), "x"))
        await wait_for(pilot, lambda: not isinstance(app.screen, FindInFilesScreen))
        editor = app.screen.query_one(Editor)
        await wait_for(pilot, lambda: editor.is_open("notes.txt"))
        await wait_for(pilot, lambda: editor.active.selected_text == "BELOW ZERO")
        assert editor.active.path == "notes.txt" and editor.active.selection.start == (1, 10)


async def test_find_in_files_starts_from_the_selection_and_reports_bad_patterns(project: Path):
    app = app_for(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.screen.client is not None)
        app.screen.open_file("inventory/store.py", line=9, column=50, length=10)
        editor = app.screen.query_one(Editor)
        await wait_for(pilot, lambda: bool(editor.active and editor.active.selected_text))
        assert editor.active.selected_text == "below zero"
        await pilot.press("alt+g")
        await wait_for(pilot, lambda: isinstance(app.screen, FindInFilesScreen))
        finder = app.screen
        await wait_for(pilot, lambda: len(finder.hits) == 1, timeout=15)
        status = finder.query_one(".search-status")
        assert "1 match in 1 file" in str(status.render())
        await pilot.press("ctrl+a", "ctrl+k", *"/stock (/")
        await wait_for(pilot, lambda: "regular expression" in str(status.render()), timeout=15)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, FindInFilesScreen))


async def test_replace_in_files_waits_in_the_review_pane_for_a_yes(project: Path):
    store = project / "inventory" / "store.py"
    before = store.read_text()
    app = app_for(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.screen.client is not None)
        await pilot.press("alt+g", *"below zero")
        finder = app.screen
        await wait_for(pilot, lambda: len(getattr(finder, "hits", [])) == 1, timeout=15)
        await pilot.press("ctrl+r", *"under zero", "enter")
        main = app.screen
        await wait_for(pilot, lambda: main._proposal_id is not None, timeout=15)
        review = main.query_one(ReviewPane)
        await wait_for(pilot, lambda: review.source == "chat" and bool(review.files))
        assert [f.path for f in review.files] == ["inventory/store.py"]
        assert store.read_text() == before  # nothing written before a yes
        await wait_for(pilot, lambda: review.current_hunk is not None)
        await pilot.press("a")
        await wait_for(pilot, lambda: "under zero" in store.read_text(), timeout=15)
    assert store.read_text() == before.replace("below zero", "under zero")


async def test_a_proposal_for_a_file_with_unsaved_edits_warns_first(project: Path):
    app = app_for(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: app.screen.client is not None)
        main = app.screen
        main.open_file("inventory/store.py")
        editor = main.query_one(Editor)
        await wait_for(pilot, lambda: app.focused is editor.active)
        await pilot.press(*"# mine")
        await pilot.press("alt+g", *"below zero")
        finder = app.screen
        await wait_for(pilot, lambda: len(getattr(finder, "hits", [])) == 1, timeout=15)
        await pilot.press("ctrl+r", *"under zero", "enter")
        await wait_for(pilot, lambda: main._proposal_id is not None, timeout=15)
        said = lambda: any(  # noqa: E731
            "inventory/store.py has unsaved edits that this proposal does not see" in str(n.message)
            for n in app._notifications
        )
        await wait_for(pilot, said)
