"""`aiide models` as a user runs it: a real process from the venv."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aiide_tui.models.registry import DEFAULT_CODE_MODEL, MODELS, SMOLLM2
from tests.local.conftest import require_model_files


def aiide(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "aiide_tui", "models", *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=_wide())


def _wide() -> dict[str, str]:
    import os

    return {**os.environ, "COLUMNS": "200"}


def test_list_names_every_model_and_whether_it_is_here():
    result = aiide("list")
    assert result.returncode == 0, result.stderr
    for name in MODELS:
        assert name in result.stdout
    assert "not installed" in result.stdout


def test_path_of_an_installed_model_is_its_file():
    require_model_files(SMOLLM2)
    result = aiide("path", SMOLLM2.name)
    assert result.returncode == 0, result.stderr
    assert Path(result.stdout.strip()).stat().st_size == SMOLLM2.size


def test_path_of_a_missing_model_fails_saying_how_to_install_it():
    result = aiide("path", DEFAULT_CODE_MODEL)
    assert result.returncode == 1
    assert f"aiide models install {DEFAULT_CODE_MODEL}" in result.stderr


def test_installing_an_unknown_model_lists_the_known_ones():
    result = aiide("install", "no-such-model")
    assert result.returncode == 1
    assert DEFAULT_CODE_MODEL in result.stderr
