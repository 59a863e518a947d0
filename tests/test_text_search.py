"""Find in files: literal and /regex/ queries in smart case, over the workspace's real files."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiide_tui.errors import WorkspaceError
from aiide_tui.workspace import Workspace
from aiide_tui.workspace.files import DEFAULT_MAX_BYTES
from aiide_tui.workspace.text_search import LINE_CHARS, compile_query, search_text
from tests.test_git import write


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    write(
        path,
        {
            "app.py": (
                "import shlex\n\ndef run(cmd):\n    return shlex.quote(cmd) + shlex.quote('x')\n"
            ),
            "docs/notes.md": "Quote the command.\nTODO: quote paths too\n",
            "win.txt": "first\r\nsecond quote\r\n",
        },
    )
    (path / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00quote")
    return path


@pytest.fixture
def ws(root: Path, tmp_path: Path) -> Iterator[Workspace]:
    with Workspace(root, tmp_path / "state") as opened:
        yield opened


def places(result) -> list[tuple[str, int, int]]:
    return [(m.path, m.line, m.column) for m in result.matches]


def test_literal_text_in_smart_case_with_lines_and_columns(ws: Workspace) -> None:
    found = ws.find_text("quote")
    assert places(found) == [
        ("app.py", 4, 17),
        ("app.py", 4, 36),
        ("docs/notes.md", 1, 0),
        ("docs/notes.md", 2, 6),
        ("win.txt", 2, 7),
    ]
    assert found.files_matched == 3 and found.files_searched == 3
    assert found.files_skipped == 1  # the PNG
    assert found.matches[1].text == "    return shlex.quote(cmd) + shlex.quote('x')"
    assert found.matches[4].text == "second quote"  # CRLF read as the editor reads it
    # a capital letter makes case matter
    assert places(ws.find_text("Quote")) == [("docs/notes.md", 1, 0)]
    # punctuation is literal, not a pattern
    assert places(ws.find_text("shlex.quote(cmd)")) == [("app.py", 4, 11)]
    assert ws.find_text("shlex.quote(cmd)").matches[0].length == len("shlex.quote(cmd)")


def test_regular_expressions_between_slashes(ws: Workspace) -> None:
    assert places(ws.find_text(r"/^def \w+/")) == [("app.py", 3, 0)]
    assert places(ws.find_text("/todo|import/")) == [("app.py", 1, 0), ("docs/notes.md", 2, 0)]
    # a pattern that can match nothing never yields empty matches
    assert ws.find_text("/z*/").matches == []
    with pytest.raises(WorkspaceError, match="Not a valid regular expression"):
        ws.find_text("/shlex.quote(/")
    with pytest.raises(WorkspaceError):
        compile_query("")


def test_a_search_can_be_kept_to_some_files_of_the_project(ws: Workspace) -> None:
    found = ws.find_text("quote", paths=["win.txt", "docs/notes.md", "not/listed.py"])
    assert places(found) == [("docs/notes.md", 1, 0), ("docs/notes.md", 2, 6), ("win.txt", 2, 7)]
    assert found.files_searched == 2  # a path the project does not list is not read


def test_limit_marks_the_result_truncated(ws: Workspace) -> None:
    found = ws.find_text("quote", limit=2)
    assert len(found.matches) == 2 and found.truncated
    assert not ws.find_text("quote", limit=5).truncated


def test_long_lines_are_trimmed_around_the_match(ws: Workspace, root: Path) -> None:
    (root / "bundle.min.js").write_text("a" * 50_000 + "needle" + "b" * 50_000)
    (match,) = ws.find_text("needle").matches
    assert match.column == 50_000 and len(match.text) == LINE_CHARS
    assert match.text[match.text_column : match.text_column + 6] == "needle"


def test_huge_unreadable_and_outside_files_are_skipped_not_fatal(
    ws: Workspace, root: Path, tmp_path: Path
) -> None:
    (root / "huge.log").write_bytes(b"quote\n" * (DEFAULT_MAX_BYTES // 6 + 1))
    secret = tmp_path / "outside.txt"
    secret.write_text("quote from outside the project\n")
    os.symlink(secret, root / "link.txt")
    found = ws.find_text("quote")
    assert {m.path for m in found.matches} == {"app.py", "docs/notes.md", "win.txt"}
    assert found.files_skipped == 3  # the PNG, the huge log, the link out of the project


def test_a_set_cancel_event_stops_the_scan() -> None:
    stop = threading.Event()
    stop.set()
    found = search_text(["a.py"], "x", lambda rel: "x", cancel=stop)
    assert found.matches == [] and found.files_searched == 0
