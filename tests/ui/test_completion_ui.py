"""Ghost text in the whole app: the real services, the FIM role at the test model server."""

from __future__ import annotations

from pathlib import Path

from aiide_tui.config import load_config
from aiide_tui.ui.app import AiideApp
from aiide_tui.ui.widgets.editor import Editor
from tests.ui.conftest import wait_for


async def test_type_see_ghost_text_accept_and_save(project: Path, model_server):
    (project / ".aiide.toml").write_text(model_server.config_toml("ollama"))
    model_server.default("/api/generate", text="self._levels[sku] * 2")
    config = load_config(project, overrides={"index": {"vectors": False}})
    app = AiideApp(project, config, remember_theme=False, probe_environment=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        status = screen.query_one("#status")
        await wait_for(pilot, lambda: "fim:" in status.segment_text("fim"), timeout=20)
        screen.open_file("inventory/store.py")
        editor = screen.query_one(Editor)
        await wait_for(pilot, lambda: editor.is_open("inventory/store.py"))
        await wait_for(pilot, lambda: app.focused is editor.active)
        view = editor.active
        last = view.document.line_count - 1
        view.move_cursor((last, 0))
        await pilot.press(*"def doubled(self, sku):", "enter", *"return ")
        await wait_for(pilot, lambda: view.ghost is not None, timeout=15)
        await pilot.press("tab")
        assert view.ghost is None
        await pilot.press("ctrl+s")
        await wait_for(
            pilot,
            lambda: "return self._levels[sku] * 2" in (project / "inventory/store.py").read_text(),
        )
        sent = model_server.requests_to("/api/generate")[-1].body
        assert "def doubled(self, sku):" in (sent.get("prompt") or "")


async def test_suggestions_can_be_switched_off(project: Path, model_server):
    (project / ".aiide.toml").write_text(model_server.config_toml("ollama"))
    model_server.default("/api/generate", text="never shown")
    config = load_config(project, overrides={"index": {"vectors": False}})
    app = AiideApp(project, config, remember_theme=False, probe_environment=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: "fim:" in screen.status.segment_text("fim"), timeout=20)
        screen.open_file("README.md")
        editor = screen.query_one(Editor)
        await wait_for(pilot, lambda: editor.is_open("README.md") and app.focused is editor.active)
        await pilot.press("f4")
        assert screen.status.segment_text("fim") == "fim: off"
        before = len(model_server.requests_to("/api/generate"))
        await pilot.press(*"x = ")
        await pilot.pause(1.0)
        assert editor.active.ghost is None
        assert len(model_server.requests_to("/api/generate")) == before


async def test_suggestion_keys_follow_the_keymap(project: Path, model_server):
    (project / ".aiide.toml").write_text(model_server.config_toml("ollama"))
    model_server.default("/api/generate", text="self._levels[sku] * 3")
    config = load_config(
        project,
        overrides={"index": {"vectors": False}, "keys": {"accept_suggestion": "ctrl+l"}},
    )
    app = AiideApp(project, config, remember_theme=False, probe_environment=False)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = app.screen
        await wait_for(pilot, lambda: "fim:" in screen.status.segment_text("fim"), timeout=20)
        screen.open_file("inventory/store.py")
        editor = screen.query_one(Editor)
        await wait_for(pilot, lambda: editor.is_open("inventory/store.py"))
        await wait_for(pilot, lambda: app.focused is editor.active)
        view = editor.active
        view.move_cursor((view.document.line_count - 1, 0))
        await pilot.press(*"def tripled(self, sku):", "enter", *"return ")
        await wait_for(pilot, lambda: view.ghost is not None, timeout=15)
        await pilot.press("ctrl+l")
        assert view.ghost is None
        assert "return self._levels[sku] * 3" in view.text
        await pilot.press("enter", *"x = ")
        await wait_for(pilot, lambda: view.ghost is not None, timeout=15)
        await pilot.press("tab")  # no longer a suggestion key: it indents
        assert view.ghost is None
        assert "x = self._levels" not in view.text
        assert view.document.get_line(view.cursor_location[0]).startswith("x =  ")


async def test_f4_twice_brings_back_the_models_trouble_not_a_plain_on(project: Path):
    overrides = {"index": {"vectors": False}, "models": {"ollama_host": "http://127.0.0.1:9"}}
    app = AiideApp(project, load_config(project, overrides=overrides), remember_theme=False,
                   probe_environment=False)  # fmt: skip
    async with app.run_test(size=(160, 48)) as pilot:
        status = app.screen.status
        await wait_for(pilot, lambda: "✗" in status.segment_text("fim"), timeout=20)
        trouble = status.segment_text("fim")
        await pilot.press("f4")
        assert status.segment_text("fim") == "fim: off"
        await pilot.press("f4")
        assert status.segment_text("fim") == trouble
