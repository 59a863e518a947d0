"""Snapshots of the three layouts: what a user sees at 160x48, 120x40 and 80x24."""

from __future__ import annotations

from pathlib import Path

import pytest

from aiide_tui.config import load_config
from aiide_tui.ui.app import AiideApp
from aiide_tui.ui.widgets.editor import Editor
from aiide_tui.ui.widgets.file_tree import FileTree
from tests.ui.conftest import wait_for


def snapshot_app(project: Path) -> AiideApp:
    # No model server answers (a closed port), whatever runs on this machine.
    overrides = {"index": {"vectors": False}, "models": {"ollama_host": "http://127.0.0.1:9"}}
    config = load_config(project, overrides=overrides)
    return AiideApp(project, config, remember_theme=False, probe_environment=False)


async def with_open_file(pilot) -> None:
    screen = pilot.app.screen
    await wait_for(pilot, lambda: screen.query_one(FileTree).file_count > 0)
    status = screen.query_one("#status")
    await wait_for(pilot, lambda: "full-text" in status.segment_text("index"), timeout=30)
    await wait_for(pilot, lambda: "fim" in status.segment_text("fim"), timeout=30)
    screen.open_file("inventory/store.py")
    editor = screen.query_one(Editor)
    await wait_for(pilot, lambda: editor.is_open("inventory/store.py"))
    await wait_for(pilot, lambda: editor.active is not None and pilot.app.focused is editor.active)
    await pilot.pause(0.3)


@pytest.mark.parametrize("size", [(160, 48), (120, 40), (80, 24)], ids=["wide", "medium", "narrow"])
def test_layout_snapshot(
    snap_compare, project: Path, size: tuple[int, int], tmp_path: Path, monkeypatch
):
    # The chat names the config file: the same one in every run (the test's own, under HOME)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AIIDE_CONFIG_DIR", str(tmp_path / ".config" / "aiide"))
    assert snap_compare(snapshot_app(project), terminal_size=size, run_before=with_open_file)
