"""`aiide chat` as a real process: a scripted question through stdin, and in tmux."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from tests.chat.conftest import CALC
from tests.chat.test_service import CHAT, TWO_HUNKS
from tests.support.components import require_command

AIIDE = [sys.executable, "-m", "aiide_tui"]


def _env(model_server) -> dict[str, str]:
    return {**os.environ, "OLLAMA_HOST": model_server.url, "NO_COLOR": "1"}


def _configure(project: Path) -> None:
    (project / ".aiide.toml").write_text("[index]\nvectors = false\nworkers = 1\n")


def test_no_input_prints_the_answer_and_leaves_files_alone(project, model_server):
    _configure(project)
    model_server.script(CHAT, text=TWO_HUNKS)
    done = subprocess.run(
        [*AIIDE, "chat", "--no-input", "-C", str(project)],
        input="swap the operands\n",
        capture_output=True,
        text=True,
        env=_env(model_server),
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "I will change both functions." in done.stdout
    assert "+    return b + a" in done.stdout and "not applied" in done.stderr
    assert "context " not in done.stdout and "context " in done.stderr  # what went in: stderr
    assert (project / "calc.py").read_text() == CALC
    (request,) = model_server.requests_to(CHAT)
    assert request.body["messages"][-1]["content"].endswith("swap the operands")


def test_no_input_in_a_pipe_keeps_long_lines_whole(project, model_server):
    """Rich assumed 80 columns in a pipe: code was cut there and prose hard-wrapped."""
    _configure(project)
    long_line = "TABLE = [" + ", ".join(str(n) for n in range(60)) + "]  # END"
    prose = "This sentence is long enough that an eighty column console would wrap it " * 3
    model_server.script(CHAT, text=f"{prose.strip()}\n\n```python\n{long_line}\n```\n")
    done = subprocess.run(
        [*AIIDE, "chat", "--no-input", "-C", str(project), "a", "table"],
        capture_output=True, text=True, env=_env(model_server), timeout=60,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert long_line in lines and "```python" in lines
    assert prose.strip() in lines


def test_no_input_with_nothing_to_ask_says_so(project, model_server):
    done = subprocess.run(
        [*AIIDE, "chat", "--no-input", "-C", str(project)],
        input="  \n", capture_output=True, text=True, env=_env(model_server), timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and "nothing to ask" in done.stderr
    assert model_server.requests_to(CHAT) == []


def test_no_input_with_apply_writes_every_hunk(project, model_server):
    _configure(project)
    model_server.script(CHAT, text=TWO_HUNKS)
    done = subprocess.run(
        [*AIIDE, "chat", "--no-input", "--apply", "-C", str(project), "swap", "them"],
        capture_output=True,
        text=True,
        env=_env(model_server),
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    assert "wrote calc.py" in done.stdout
    text = (project / "calc.py").read_text()
    assert "return b + a" in text and "return -(b - a)" in text


def test_a_second_question_goes_on_unless_new(project, model_server):
    _configure(project)
    model_server.default(CHAT, text="An answer.")

    def ask(*extra: str) -> list[dict]:
        done = subprocess.run(
            [*AIIDE, "chat", "--no-input", *extra, "-C", str(project), "what", "is", "add?"],
            capture_output=True,
            text=True,
            env=_env(model_server),
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 0, done.stderr
        return model_server.requests_to(CHAT)[-1].body["messages"]

    first = ask()
    assert "An answer." in [m["content"] for m in ask()]  # the first turn is history
    assert len(ask("--new")) == len(first)  # a fresh conversation: no history
    assert len(ask()) > len(first)  # and the next one goes on with it


def _tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def _wait_pane(session: str, needle: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while True:
        screen = _tmux("capture-pane", "-p", "-t", session)
        if needle in screen:
            return screen
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} never showed:\n{screen}")
        time.sleep(0.1)


def _chat_in_tmux(project: Path, model_server, name: str) -> str:
    """`aiide chat` in a tmux session of its own, ready for a question; the session's name."""
    require_command("tmux", "install it with `apt-get install tmux` (make test does)")
    _configure(project)
    session = f"{name}-{os.getpid()}"
    env = _env(model_server)
    exports = " ".join(
        f"{k}={env[k]}" for k in ("OLLAMA_HOST", "AIIDE_CONFIG_DIR", "AIIDE_DATA_DIR")
    )
    command = f"env {exports} {sys.executable} -m aiide_tui chat -C {project}"
    _tmux("new-session", "-d", "-s", session, "-x", "120", "-y", "40", "-c", str(project), command)
    try:
        _wait_pane(session, "Ctrl-D quits")
    except BaseException:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
        raise
    return session


def test_tmux_ask_and_accept_one_hunk(project, model_server, tmp_path):
    model_server.script(CHAT, text=TWO_HUNKS)
    session = _chat_in_tmux(project, model_server, "aiide-chat")
    try:
        _tmux("send-keys", "-t", session, "swap the operands", "Enter")
        _wait_pane(session, "Apply this hunk?")
        _tmux("send-keys", "-t", session, "y", "Enter")
        _wait_pane(session, "return -(b - a)")
        _wait_pane(session, "accepted (calc.py is written once its hunks are all decided)")
        _tmux("send-keys", "-t", session, "n", "Enter")
        assert "rejected" in _wait_pane(session, "wrote calc.py")
        assert (project / "calc.py").read_text() == CALC.replace("return a + b", "return b + a")
        _tmux("send-keys", "-t", session, "Up")  # the last question, not the last y/n answer
        _wait_pane(session, "> swap the operands")
        _tmux("send-keys", "-t", session, "C-u")
        _tmux("send-keys", "-t", session, "/undo", "Enter")
        _wait_pane(session, "Reverted calc.py")
        assert (project / "calc.py").read_text() == CALC
        _tmux("send-keys", "-t", session, "/undo", "Enter")  # nothing left: an error, said
        _wait_pane(session, "no applied chat proposal")
        _tmux("send-keys", "-t", session, "/undoo", "Enter")
        _wait_pane(session, "did you mean /undo?")
        time.sleep(0.5)
        alive = subprocess.run(["tmux", "has-session", "-t", session], capture_output=True)
        assert alive.returncode == 0, "an error must not end the chat"
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def test_tmux_a_models_escape_codes_are_shown_not_obeyed(project, model_server, tmp_path):
    """An answer (a repository can talk a model into anything) that retitles the terminal."""
    model_server.script(CHAT, text="Sure \x1b]2;MODEL-INJECT\x07 done.")
    session = _chat_in_tmux(project, model_server, "aiide-chat-esc")
    try:
        _tmux("send-keys", "-t", session, "hello", "Enter")
        _wait_pane(session, "␛]2;MODEL-INJECT␇ done.")
        title = _tmux("display", "-p", "-t", session, "#{pane_title}")
        assert "INJECT" not in title
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
