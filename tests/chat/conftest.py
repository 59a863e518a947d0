"""A real git project, a config pointing at the test model server, and a services client."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from aiide_tui.config import load_config
from aiide_tui.services.client import ServicesClient

SECRET = "sk-live-DO-NOT-LEAK-4242"
IGNORED_MARK = "IGNORED-BUILD-OUTPUT-7777"

CALC = "".join(
    [
        '"""Arithmetic helpers."""\n\n\n',
        "def add(a, b):\n    return a + b\n\n\n",
        *[f"def helper_{i}(x):\n    return x * {i}\n\n\n" for i in range(6)],
        "def sub(a, b):\n    return a - b\n",
    ]
)

PROJECT = {
    "calc.py": CALC,
    "main.py": "from calc import add\n\nprint(add(1, 2))\n",
    ".gitignore": "build/\n*.log\n",
    ".env": f"API_KEY={SECRET}\n",
    "build/generated.py": f"TOKEN = '{IGNORED_MARK}'\n",
    "debug.log": f"{IGNORED_MARK}\n",
}


def make_project(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in PROJECT.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    run = {"cwd": root, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q", "-b", "main"], **run)
    subprocess.run(["git", "add", "calc.py", "main.py", ".gitignore"], **run)
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init"], **run
    )
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return make_project(tmp_path / "proj")


@pytest.fixture
def chat_config(project: Path, model_server):
    return load_config(
        project,
        env={"OLLAMA_HOST": model_server.url},
        overrides={"index": {"vectors": False, "workers": 1}},
    )


@pytest.fixture
async def client(project: Path, chat_config):
    services = await ServicesClient.in_process(project, chat_config)
    try:
        yield services
    finally:
        await services.close()
