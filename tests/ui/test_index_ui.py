"""The index from the app: progress in the status bar, search that opens the hit at its line."""

from __future__ import annotations

from pathlib import Path

from aiide_tui.config import load_config
from aiide_tui.ui.app import AiideApp
from aiide_tui.ui.screens.search import SearchScreen
from aiide_tui.ui.widgets.editor import Editor
from tests.ui.conftest import wait_for


async def test_search_opens_the_hit_at_its_line(project: Path):
    config = load_config(project, overrides={"index": {"vectors": False}})
    app = AiideApp(project, config, remember_theme=False, probe_environment=False)
    async with app.run_test(size=(160, 48)) as pilot:
        status = app.screen.query_one("#status")
        await wait_for(pilot, lambda: "files" in status.segment_text("index"), timeout=30)
        await wait_for(pilot, lambda: "full-text" in status.segment_text("index"), timeout=30)
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: isinstance(app.screen, SearchScreen))
        search = app.screen
        await pilot.press(*"stock below zero")
        await wait_for(pilot, lambda: bool(search.hits), timeout=15)
        assert search.hits[0]["path"] == "inventory/store.py"
        await pilot.press("enter")
        editor = app.screen.query_one(Editor)
        await wait_for(pilot, lambda: editor.is_open("inventory/store.py"))
        hit = search.hits[0]
        name = hit["symbol"].rsplit(".", 1)[-1]
        # on the name of the hit's symbol (F12 and shift+F12 work from there), not on `def`
        await wait_for(pilot, lambda: editor.active.word_at_cursor() == name)
        assert 0 <= editor.active.cursor_location[0] + 1 - hit["start_line"] <= 10


async def test_index_follows_edits_made_on_disk(project: Path):
    config = load_config(project, overrides={"index": {"vectors": False}})
    app = AiideApp(project, config, remember_theme=False, probe_environment=False)
    async with app.run_test(size=(160, 48)) as pilot:
        status = app.screen.query_one("#status")
        await wait_for(pilot, lambda: "full-text" in status.segment_text("index"), timeout=30)
        (project / "inventory" / "audit.py").write_text(
            "def reconcile_warehouse_counts(store):\n    return store.level('A-1')\n"
        )
        client = app.screen.client

        async def found() -> bool:
            hits = await client.search("reconcile_warehouse_counts", k=3)
            return bool(hits) and hits[0]["path"] == "inventory/audit.py"

        for _ in range(100):
            if await found():
                break
            await pilot.pause(0.1)
        assert await found()
