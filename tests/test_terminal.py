"""aiide in a real terminal: tmux runs it, send-keys types, capture-pane reads the screen."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from aiide_tui.index.indexer import IN_PROCESS_MAX
from tests.support.components import require_command
from tests.support.projects import GIT, committed_example

AIIDE = Path(sys.executable).parent / "aiide"

pytestmark = pytest.mark.tmux


class Tmux:
    """One tmux server of our own (its own socket), holding one session running aiide."""

    def __init__(self, width: int, height: int, command: str) -> None:
        self.socket = f"aiide-test-{uuid.uuid4().hex[:8]}"
        self.tmux("new-session", "-d", "-s", "t", "-x", str(width), "-y", str(height), command)

    def tmux(self, *args: str) -> str:
        result = subprocess.run(
            ["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=10
        )
        return result.stdout

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "t", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "t", "-l", text)

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "t")

    def wait_for(self, predicate, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            screen = self.screen()
            if predicate(screen):
                return screen
            time.sleep(0.2)
        raise AssertionError(f"screen never matched; last screen:\n{self.screen()}")

    def quit(self, timeout: float = 10.0) -> None:
        """Press ctrl+q and wait for aiide (the session) to end."""
        self.send("C-q")
        deadline = time.monotonic() + timeout
        while "t" in self.tmux("list-sessions", "-F", "#{session_name}").split():
            assert time.monotonic() < deadline, "aiide did not quit"
            time.sleep(0.2)

    def close(self) -> None:
        self.tmux("kill-server")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the example project, committed in a fresh git repository."""
    return committed_example(tmp_path)


def launch(project: Path, width: int, height: int, user_dirs: Path) -> Tmux:
    require_command("tmux", "install it with `apt-get install tmux` (make test does)")
    env = {
        "AIIDE_CONFIG_DIR": str(user_dirs / "config"),
        "AIIDE_DATA_DIR": str(user_dirs / "data"),
        "OLLAMA_HOST": "http://127.0.0.1:9",
        "TERM": "tmux-256color",
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/root"),
    }
    assignments = " ".join(f"{key}={shlex.quote(value)}" for key, value in env.items())
    return Tmux(width, height, f"env -i {assignments} {shlex.quote(str(AIIDE))} {project}")


def open_readme(term: Tmux) -> None:
    """Open README.md from the tree (folders come first: inventory, tests, web, then files)."""
    term.wait_for(lambda s: "Files" in s and "README.md" in s)
    term.send("Down", "Down", "Down", "Down", "Enter")
    term.wait_for(lambda s: "A small stock-keeping library" in s)


@contextmanager
def readme_in_the_editor(project: Path, user_dirs: Path) -> Iterator[Tmux]:
    """aiide at 160x48 with README.md open and its editor focused; quits it at the end."""
    term = launch(project, 160, 48, user_dirs)
    try:
        open_readme(term)
        time.sleep(0.5)  # the editor takes focus once the document is mounted
        yield term
        term.quit()
    finally:
        term.close()


def test_wide_terminal_edit_save_quit(project: Path, isolated_user_dirs: Path):
    term = launch(project, 160, 48, isolated_user_dirs)
    try:
        regions = [f"─ {title} ─" for title in ("Files", "Editor", "Chat", "Review")]
        # all four regions at 160 columns (a frame caught half drawn is waited out)
        term.wait_for(lambda s: "README.md" in s and all(region in s for region in regions))
        # Folders first (inventory, tests, web), then pyproject.toml, README.md.
        term.send("Down", "Down", "Down", "Down", "Enter")
        term.wait_for(lambda s: "A small stock-keeping library" in s)
        term.type("Edited in tmux. ")
        term.send("C-s")
        term.wait_for(lambda s: "Saved README.md" in s)
        term.quit()
    finally:
        term.close()
    text = (project / "README.md").read_text()
    assert text.startswith("Edited in tmux. # inventory")


def test_find_and_replace_all_with_alt_keys(project: Path, isolated_user_dirs: Path):
    """alt+c and alt+a arrive as ESC c / ESC a: they must act, not type into the field."""
    with readme_in_the_editor(project, isolated_user_dirs) as term:
        term.send("C-r")
        term.wait_for(lambda s: "Replace" in s and "Find" in s)
        term.type("stock")
        term.send("Tab")
        time.sleep(0.3)
        term.type("STOCK")
        term.send("M-c")  # match case: "Stock" at the start of a sentence stays
        time.sleep(0.3)  # two ESC-prefixed keys in one read are not a person's typing
        term.send("M-a")
        term.wait_for(lambda s: "Replaced" in s)
        term.send("Escape", "C-s")
        term.wait_for(lambda s: "Saved README.md" in s)
    text = (project / "README.md").read_text()
    assert "A small STOCK-keeping library" in text and "stock" not in text


def test_alt_digit_focus_keys_work_from_the_editor(project: Path, isolated_user_dirs: Path):
    """ESC 3 is alt+3 (Textual alone reads it as "£"), and the editor does not type it."""
    with readme_in_the_editor(project, isolated_user_dirs) as term:
        term.send("M-3")
        time.sleep(0.3)
        term.type("asked from the editor")
        screen = term.wait_for(lambda s: "asked from the editor" in s)
        assert "● README.md" not in screen and "£" not in screen  # nothing typed in README.md
    assert (project / "README.md").read_text().startswith("# inventory")


def test_escape_codes_in_files_and_names_never_reach_the_terminal(
    project: Path, isolated_user_dirs: Path
):
    """A file (or its name) that says ESC ] 2 ; ... BEL would retitle the terminal."""
    (project / "evil.md").write_text("shown \x1b]2;CONTENT-INJECT\x07 end-marker\n")
    (project / "name\x1b]2;NAME-INJECT\x07.txt").write_text("x\n")
    term = launch(project, 160, 48, isolated_user_dirs)
    try:
        term.wait_for(lambda s: "evil.md" in s and "name␛]2;NAME-INJECT␇.txt" in s)
        term.send("M-p")
        term.type("evil.md")
        time.sleep(0.5)
        term.send("Enter")
        term.wait_for(lambda s: "end-marker" in s)
        time.sleep(0.5)
        assert "INJECT" not in term.tmux("display", "-p", "-t", "t", "#{pane_title}")
        term.quit()
    finally:
        term.close()


def test_a_paste_from_the_terminal_keeps_its_shape_after_an_auto_indent(
    project: Path, isolated_user_dirs: Path
):
    """tmux, xterm and iTerm2 paste with CR line ends, in bracketed-paste brackets."""
    (project / "shapes.py").write_text("")
    term = launch(project, 160, 48, isolated_user_dirs)
    try:
        term.wait_for(lambda s: "shapes.py" in s)
        term.send("M-p")
        term.type("shapes.py")
        time.sleep(0.5)
        term.send("Enter")
        term.wait_for(lambda s: "shapes.py" in s and "─ Editor" in s)
        time.sleep(0.5)
        term.type("class A:")
        term.send("Enter")
        time.sleep(0.3)
        term.tmux("set-buffer", "-b", "p", "def m(self, x):\n    if x:\n        return 1\n")
        term.tmux("paste-buffer", "-p", "-b", "p", "-t", "t")
        time.sleep(0.5)
        term.send("C-s")
        term.wait_for(lambda s: "Saved shapes.py" in s)
        term.quit()
    finally:
        term.close()
    assert (project / "shapes.py").read_text() == (
        "class A:\n    def m(self, x):\n        if x:\n            return 1\n"
    )


def test_find_in_files_from_the_editor_with_alt_g(project: Path, isolated_user_dirs: Path):
    """ESC g is alt+g: it opens find in files instead of typing "g" in the editor."""
    with readme_in_the_editor(project, isolated_user_dirs) as term:
        term.send("M-g")
        term.wait_for(lambda s: "Find in files" in s)
        term.type("below zero")
        term.wait_for(lambda s: "inventory/store.py:9" in s and "1 match in 1 file" in s)
        term.send("Enter")
        screen = term.wait_for(lambda s: "store.py" in s and "Find in files" not in s)
        assert "● README.md" not in screen  # nothing typed into README.md
    assert (project / "README.md").read_text().startswith("# inventory")


def test_ctrl_slash_comments_the_line_in_a_real_terminal(project: Path, isolated_user_dirs: Path):
    """Terminals send ctrl+/ as ^_ (ctrl+underscore): it must toggle the comment."""
    with readme_in_the_editor(project, isolated_user_dirs) as term:
        term.send("C-_")
        term.wait_for(lambda s: "<!-- # inventory -->" in s)
        term.send("C-s")
        term.wait_for(lambda s: "Saved README.md" in s)
    assert (project / "README.md").read_text().startswith("<!-- # inventory -->\n")


def test_ctrl_end_and_ctrl_home_in_a_real_terminal(project: Path, isolated_user_dirs: Path):
    """tmux sends ctrl+end / ctrl+home as xterm's modified keys; they reach the file's ends."""
    with readme_in_the_editor(project, isolated_user_dirs) as term:
        term.send("C-End")
        term.type("TAIL-MARK")
        term.wait_for(lambda s: "8  TAIL-MARK" in s)
        term.send("C-Home")
        term.type("HEAD-MARK")
        term.wait_for(lambda s: "HEAD-MARK# inventory" in s)
        term.send("C-s")
        term.wait_for(lambda s: "Saved README.md" in s)
    text = (project / "README.md").read_text()
    assert text.startswith("HEAD-MARK# inventory") and text.endswith("TAIL-MARK")


def test_a_burst_of_keys_acts_in_the_order_typed(project: Path, isolated_user_dirs: Path):
    """Over SSH or with key repeat, keys arrive together: the arrows must act before the Enter
    and the letter that follow them (Textual let bound keys bubble up first)."""
    with readme_in_the_editor(project, isolated_user_dirs) as term:
        term.send("Down", "Down", "End", "Enter", "X")
        term.wait_for(lambda s: "● README.md" in s)
        term.send("C-s")
        term.wait_for(lambda s: "Saved README.md" in s)
    lines = (project / "README.md").read_text().splitlines()
    assert lines[2].startswith("A small stock-keeping library") and lines[3] == "X"


def test_a_burst_of_keys_in_the_find_field_acts_in_the_order_typed(
    project: Path, isolated_user_dirs: Path
):
    """`x Backspace items` deleted the `s` and `abc Home X` gave `abcX` in one-line fields."""
    with readme_in_the_editor(project, isolated_user_dirs) as term:
        term.send("C-f")
        term.wait_for(lambda s: "Find" in s)
        term.send("x", "BSpace", "s", "t", "o", "c", "k", "Home", "X")
        term.wait_for(lambda s: "Xstock" in s)


def test_narrow_terminal_shows_one_region(project: Path, isolated_user_dirs: Path):
    term = launch(project, 80, 24, isolated_user_dirs)
    try:
        screen = term.wait_for(lambda s: "Files" in s and "README.md" in s)
        assert "─ Chat ─" not in screen and "─ Review ─" not in screen
        assert "─ Editor ─" not in screen
        term.send("F6")
        screen = term.wait_for(lambda s: "─ Editor ─" in s)
        assert "─ Files ─" not in screen and "─ Chat ─" not in screen
    finally:
        term.close()


def test_ghost_text_in_a_real_terminal(project: Path, isolated_user_dirs: Path, model_server):
    user_config = isolated_user_dirs / "config" / "config.toml"
    user_config.parent.mkdir(parents=True, exist_ok=True)
    user_config.write_text(model_server.config_toml("ollama") + "[index]\nvectors = false\n")
    model_server.default("/api/generate", text="describe_stock_level(sku)")
    term = launch(project, 160, 48, isolated_user_dirs)
    try:
        term.wait_for(lambda s: "─ Files ─" in s and "README.md" in s)
        term.wait_for(lambda s: "fim:" in s)
        term.send("Down", "Down", "Down", "Down", "Enter")
        term.wait_for(lambda s: "A small stock-keeping library" in s)
        # The editor takes focus once the document is mounted: wait until a key lands there.
        term.type("x")
        term.wait_for(lambda s: "● README.md" in s)
        term.send("BSpace")
        term.send("C-g")  # go to the empty last line
        term.wait_for(lambda s: "line 1 to" in s)
        time.sleep(0.3)  # the dialog's input takes focus after it paints
        term.type("8")
        term.send("Enter")
        term.wait_for(lambda s: "line 1 to" not in s)
        term.type("call ")
        term.wait_for(lambda s: "describe_stock_level(sku)" in s)
        term.send("Tab")
        term.send("C-s")
        term.wait_for(lambda s: "Saved README.md" in s)
        term.send("C-q")
    finally:
        term.close()
    assert (project / "README.md").read_text().endswith("call describe_stock_level(sku)")


def test_the_app_indexes_a_project_big_enough_for_the_parse_pool(
    tmp_path: Path, isolated_user_dirs: Path
):
    """More files than are parsed in-process: the pool's helper processes start inside the
    app, where sys.stderr is Textual's capture (it once made every such index fail)."""
    root = tmp_path / "many"
    root.mkdir()
    count = IN_PROCESS_MAX + 8
    for number in range(count):
        (root / f"mod_{number}.py").write_text(f"def f_{number}():\n    return {number}\n")
    subprocess.run([*GIT, "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run([*GIT, "add", "-A"], cwd=root, check=True)
    subprocess.run([*GIT, "commit", "-qm", "init"], cwd=root, check=True)
    term = launch(root, 160, 48, isolated_user_dirs)
    try:
        term.wait_for(lambda s: f"index: {count} files" in s or "index: failed" in s, timeout=30)
        assert f"index: {count} files" in term.screen()
        term.quit()
    finally:
        term.close()
