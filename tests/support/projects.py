"""The example project as the end-to-end tests use it: a copy, committed in a fresh git repo."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory"
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]


def committed_example(parent: Path) -> Path:
    """Copy examples/inventory under `parent` and commit it on branch `main`."""
    root = parent / "inventory"
    shutil.copytree(EXAMPLE, root)
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "init"], cwd=root, check=True)
    return root
