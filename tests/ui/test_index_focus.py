"""The app tells the index which files are open, so their code is embedded before the rest."""

from __future__ import annotations

from pathlib import Path

from aiide_tui.config import load_config
from aiide_tui.ui.app import AiideApp
from aiide_tui.ui.widgets.editor import Editor
from tests.ui.conftest import wait_for

OPENED = "inventory/models.py"
EDITED = "web/format.js"


def embedded_batches(model_server) -> list[list[str]]:
    """The paths of the chunks in each batch the index sent to embed (the probes left out)."""
    batches = []
    for request in model_server.requests_to("/api/embed"):
        texts = request.body["input"]
        if request.status == 200 and all("\n" in text for text in texts):
            batches.append([text.split("\n", 1)[0] for text in texts])
    return batches


async def test_open_file_then_the_latest_edit_are_embedded_first(project: Path, model_server):
    model_server.default("/api/embed", status=503, error="loading the model")
    config = load_config(project, overrides={"models": {"ollama_host": model_server.url}})
    app = AiideApp(project, config, remember_theme=False, probe_environment=False)
    async with app.run_test(size=(160, 48)) as pilot:
        status = app.screen.query_one("#status")
        await wait_for(pilot, lambda: "full-text" in status.segment_text("index"), timeout=30)
        await wait_for(pilot, lambda: model_server.requests_to("/api/embed"))  # refused: no vectors
        editor = app.screen.query_one(Editor)
        app.screen.open_file(OPENED)
        await wait_for(pilot, lambda: editor.active is not None and editor.active.path == OPENED)
        await pilot.pause(0.3)  # the screen names the file to the index in a worker
        model_server.default("/api/embed")
        edited = project / EDITED
        edited.write_text(edited.read_text() + "\nexport const VERSION = 2;\n")
        await wait_for(pilot, lambda: embedded_batches(model_server), timeout=30)
    first = embedded_batches(model_server)[0]
    opened = [path for path in first if path == OPENED]
    assert opened and first[: len(opened)] == opened, first
    assert first[len(opened)] == EDITED, first
    assert len(set(first)) > 2, "the rest of the project follows in the same batch"
