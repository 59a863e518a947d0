"""`aiide chat` line mode: `e` opens a proposed hunk in $EDITOR, then applies the edit on a yes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console

from aiide_tui.commands.chat import _confirm_hunk
from tests.chat.conftest import CALC
from tests.chat.test_line_mode import _configure, _env, _tmux
from tests.chat.test_service import CHAT, TWO_HUNKS
from tests.support.components import require_command

EDITOR_SCRIPT = """#!/bin/sh
sed -i 's/return b + a/return b + a  # from the editor/' "$1"
"""


def _wait_until(session: str, condition, what: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        screen = _tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", session)
        if condition(screen):
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} never showed:\n{screen}")
        time.sleep(0.1)


def test_tmux_edit_a_hunk_in_the_editor_then_apply_it(project: Path, model_server, tmp_path):
    require_command("tmux", "install it with `apt-get install tmux` (make test does)")
    _configure(project)
    model_server.script(CHAT, text=TWO_HUNKS)
    editor = tmp_path / "editor.sh"
    editor.write_text(EDITOR_SCRIPT)
    editor.chmod(0o755)
    session = f"aiide-chat-edit-{os.getpid()}"
    env = _env(model_server)
    exports = " ".join(
        f"{k}={env[k]}" for k in ("OLLAMA_HOST", "AIIDE_CONFIG_DIR", "AIIDE_DATA_DIR")
    )
    command = (
        f"env -u VISUAL {exports} EDITOR={editor} {sys.executable} -m aiide_tui chat -C {project}"
    )
    _tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "60", "-c", str(project), command)
    try:
        _wait_until(session, lambda s: "Ctrl-D quits" in s, "the prompt")
        _tmux("send-keys", "-t", session, "swap the operands", "Enter")
        _wait_until(session, lambda s: "[y]es [n]o [e]dit [a]ll [q]uit" in s, "the e choice")
        _tmux("send-keys", "-t", session, "e", "Enter")
        _wait_until(session, lambda s: s.count("Apply this hunk?") == 2, "the edited hunk")
        screen = _tmux("capture-pane", "-p", "-J", "-S", "-200", "-t", session)
        assert "+    return b + a  # from the editor" in screen
        assert (project / "calc.py").read_text() == CALC  # nothing written before a yes
        _tmux("send-keys", "-t", session, "y", "Enter")
        _wait_until(session, lambda s: s.count("Apply this hunk?") == 3, "the second hunk")
        _tmux("send-keys", "-t", session, "n", "Enter")
        _wait_until(session, lambda s: "wrote calc.py" in s, "the write")
        expected = CALC.replace("return a + b", "return b + a  # from the editor")
        assert (project / "calc.py").read_text() == expected
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


async def test_edit_is_not_offered_when_stdin_is_not_a_terminal(client, model_server):
    assert not sys.stdin.isatty()  # pytest replaces stdin
    model_server.script(CHAT, text=TWO_HUNKS)
    proposal = (await client.chat_send("swap the operands"))["proposal"]
    asked: list[tuple[str, str]] = []

    async def answer(question: str, choices: str) -> str:
        asked.append((question, choices))
        return "n"

    console = Console(file=io.StringIO())
    result = await _confirm_hunk(
        client, console, proposal["id"], proposal["diff"], "calc.py", 0, answer
    )
    assert "return b + a" in console.file.getvalue()
    assert result == ("n", proposal["diff"])
    assert asked == [("Apply this hunk? [y]es [n]o [a]ll [q]uit (Enter) ", "ynaq")]
