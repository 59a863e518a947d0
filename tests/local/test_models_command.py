"""`aiide models` as a user runs it: a real process from the venv."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aiide_tui.models.registry import DEFAULT_CODE_MODEL, MODELS, SMOLLM2
from tests.local.conftest import require_model_files


def aiide(*args: str) -> subprocess.CompletedProcess[str]:
    """In a pipe, as a script reads it (no COLUMNS: Rich would assume 80)."""
    command = [sys.executable, "-m", "aiide_tui", "models", *args]
    env = {key: value for key, value in os.environ.items() if key != "COLUMNS"}
    return subprocess.run(command, capture_output=True, text=True, timeout=60, env=env)


def test_list_names_every_model_and_whether_it_is_here_uncut_in_a_pipe():
    result = aiide("list")
    assert result.returncode == 0, result.stderr
    for name, spec in MODELS.items():
        row = next(line for line in result.stdout.splitlines() if f" {name} " in line)
        assert "…" not in row and f"{spec.size / 1e6:,.0f} MB" in row
    assert "no: aiide models install" in result.stdout and "from package" in result.stdout


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
