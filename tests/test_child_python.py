"""Python processes aiide starts never import from the folder they start in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from aiide_tui.child_python import SAFE_PATH, child_env, safe_path_while_starting


def test_a_child_started_in_a_project_does_not_import_the_projects_json(tmp_path: Path):
    ran = tmp_path / "ran.txt"
    (tmp_path / "json.py").write_text(f"open({str(ran)!r}, 'w').write('imported')\n")
    for env in (os.environ, child_env()):
        ran.unlink(missing_ok=True)
        subprocess.run([sys.executable, "-c", "import json"], cwd=tmp_path, env=env, check=False)
        assert ran.exists() is (env is os.environ)  # the shadowing is real; the fix stops it


def test_the_setting_is_put_back_after_starting(monkeypatch):
    monkeypatch.delenv(SAFE_PATH, raising=False)
    with safe_path_while_starting():
        assert os.environ[SAFE_PATH] == "1"
    assert SAFE_PATH not in os.environ
