"""Workspace (listing, read, journaled write, undo) and the file watcher, on real files."""

from __future__ import annotations

import asyncio
import codecs
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from aiide_tui.errors import (
    FileDeletedError,
    PathPolicyError,
    ProtectedPathError,
    StaleFileError,
    WorkspaceError,
)
from aiide_tui.workspace import Workspace, watch_changes
from aiide_tui.workspace.watcher import always_ignored
from tests.test_git import git, make_repo, write


@pytest.fixture
def root(tmp_path: Path) -> Path:
    path = tmp_path / "project"
    path.mkdir()
    write(path, {"main.py": "print('hi')\n", "pkg/util.py": "x = 1\n"})
    return path


@pytest.fixture
def ws(root: Path, tmp_path: Path) -> Iterator[Workspace]:
    with Workspace(root, tmp_path / "state") as opened:
        yield opened


def test_state_lives_outside_the_project(ws: Workspace, root: Path, tmp_path: Path) -> None:
    ws.write("main.py", "print('bye')\n")
    assert (tmp_path / "state" / "journal.sqlite").exists()
    assert sorted(os.listdir(root)) == ["main.py", "pkg"]


def test_list_files_without_git_skips_junk(ws: Workspace, root: Path) -> None:
    write(root, {".venv/lib/x.py": "", "node_modules/m/i.js": "", "__pycache__/c.pyc": ""})
    write(root, {".hidden/ok.txt": "", "docs/readme.md": ""})
    assert ws.git is None
    assert ws.list_files() == [".hidden/ok.txt", "docs/readme.md", "main.py", "pkg/util.py"]


def test_list_files_in_a_repo_honours_gitignore(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"a.py": "a\n", ".gitignore": "out/\n*.log\n"})
    write(root, {"out/gen.py": "", "x.log": "", "b.py": ""})
    with Workspace(root, tmp_path / "state") as ws:
        assert ws.git is not None
        assert ws.list_files() == [".gitignore", "a.py", "b.py"]


def test_read_then_write_keeps_crlf_and_bom(ws: Workspace, root: Path) -> None:
    (root / "win.txt").write_bytes(codecs.BOM_UTF8 + b"a\r\nb\r\n")
    content = ws.read("win.txt")
    ws.write(
        "win.txt",
        content.text + "c\n",
        encoding=content.encoding,
        newline=content.newline,
        expected_mtime_ns=content.mtime_ns,
    )
    assert (root / "win.txt").read_bytes() == codecs.BOM_UTF8 + b"a\r\nb\r\nc\r\n"


def test_write_returns_the_new_mtime(ws: Workspace, root: Path) -> None:
    mtime = ws.write("main.py", "print(1)\n")
    assert mtime == (root / "main.py").stat().st_mtime_ns
    assert ws.read("main.py").mtime_ns == mtime


def test_stale_write_is_refused(ws: Workspace, root: Path) -> None:
    content = ws.read("main.py")
    (root / "main.py").write_text("changed in vim\n")
    os.utime(root / "main.py", ns=(content.mtime_ns + 5_000_000, content.mtime_ns + 5_000_000))
    with pytest.raises(StaleFileError):
        ws.write("main.py", "mine\n", expected_mtime_ns=content.mtime_ns)
    assert (root / "main.py").read_text() == "changed in vim\n"
    assert ws.journal.entries() == []


def test_file_deleted_since_read_is_stale(ws: Workspace, root: Path) -> None:
    content = ws.read("main.py")
    (root / "main.py").unlink()
    with pytest.raises(FileDeletedError, match="was deleted on disk"):  # a StaleFileError
        ws.write("main.py", "x\n", expected_mtime_ns=content.mtime_ns)
    assert issubclass(FileDeletedError, StaleFileError)


def test_protected_paths_need_confirmation(ws: Workspace, root: Path) -> None:
    with pytest.raises(ProtectedPathError):
        ws.write(".env", "TOKEN=1\n")
    assert not (root / ".env").exists()
    ws.write(".env", "TOKEN=1\n", confirmed=True)
    assert (root / ".env").read_text() == "TOKEN=1\n"


def test_escaping_paths_are_refused(ws: Workspace, tmp_path: Path) -> None:
    for path in ("../evil.py", str(tmp_path / "evil.py"), "pkg/../../evil.py"):
        with pytest.raises(PathPolicyError):
            ws.write(path, "x\n")
    assert not (tmp_path / "evil.py").exists()


def test_new_file_in_new_folders_and_its_undo(ws: Workspace, root: Path) -> None:
    ws.write("src/deep/new.py", "new\n", label="create")
    assert (root / "src/deep/new.py").read_text() == "new\n"
    assert ws.undo_last() == "src/deep/new.py"
    assert not (root / "src/deep/new.py").exists()


def test_create_never_overwrites(ws: Workspace, root: Path) -> None:
    ws.write("pkg/fresh.py", "", create=True)
    assert (root / "pkg/fresh.py").read_bytes() == b""
    ws.write("pkg/fresh.py", "kept\n")
    with pytest.raises(WorkspaceError, match=r"pkg/fresh\.py already exists"):
        ws.write("pkg/fresh.py", "", create=True)
    (root / "dangling").symlink_to(root / "nowhere.py")
    with pytest.raises(WorkspaceError, match="already exists"):
        ws.write("dangling", "", create=True)
    assert (root / "pkg/fresh.py").read_text() == "kept\n"
    assert not (root / "nowhere.py").exists()


def test_delete_is_journaled_and_undone(ws: Workspace, root: Path) -> None:
    ws.write("gone.py", "x = 1\n")
    ws.delete("gone.py")
    assert not (root / "gone.py").exists()
    assert ws.undo_last() == "gone.py"
    assert (root / "gone.py").read_text() == "x = 1\n"
    with pytest.raises(WorkspaceError, match="does not exist"):
        ws.delete("missing.py")
    (root / "link.py").symlink_to(root / "gone.py")
    with pytest.raises(WorkspaceError, match="symbolic link"):
        ws.delete("link.py")
    with pytest.raises(PathPolicyError):
        ws.delete("../outside.py")
    (root / "folder").mkdir()
    for folder in ("folder", "."):
        with pytest.raises(WorkspaceError, match="is a folder, not a file"):
            ws.delete(folder)
    assert (root / "gone.py").exists() and (root / "link.py").is_symlink()


def test_rename_moves_into_new_folders_and_undoes_as_one_step(ws: Workspace, root: Path) -> None:
    ws.write("old.py", "x = 1\n")
    (root / "taken.py").write_text("keep\n")
    ws.rename("old.py", "pkg/new.py")
    assert (root / "pkg/new.py").read_text() == "x = 1\n" and not (root / "old.py").exists()
    with pytest.raises(WorkspaceError, match="already exists"):
        ws.rename("pkg/new.py", "taken.py")
    with pytest.raises(WorkspaceError, match="does not exist"):
        ws.rename("missing.py", "other.py")
    with pytest.raises(PathPolicyError):
        ws.rename("pkg/new.py", "../away.py")
    assert sorted(ws.undo_step()) == ["old.py", "pkg/new.py"]
    assert (root / "old.py").read_text() == "x = 1\n" and not (root / "pkg/new.py").exists()
    assert (root / "taken.py").read_text() == "keep\n"


def _mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


def test_undo_brings_back_the_mode_a_delete_or_move_took(ws: Workspace, root: Path) -> None:
    (root / "run.sh").write_text("echo hi\n")
    (root / "run.sh").chmod(0o750)
    ws.delete("run.sh")
    ws.undo_last()
    assert _mode(root / "run.sh") == 0o750
    ws.rename("run.sh", "bin/run.sh")
    assert _mode(root / "bin/run.sh") == 0o750
    ws.undo_step()
    assert _mode(root / "run.sh") == 0o750 and not (root / "bin/run.sh").exists()


def test_a_change_of_execute_bits_alone_is_journaled_and_undone(ws: Workspace, root: Path):
    """A sandbox run that only made a script executable can be undone like any write."""
    (root / "run.sh").write_text("echo hi\n")
    (root / "run.sh").chmod(0o644)
    ws.write_bytes("run.sh", b"echo hi\n", executable=True, label="sandbox run")
    assert _mode(root / "run.sh") == 0o755
    assert ws.journal.entries(1)[0].label == "sandbox run"
    assert ws.undo_last() == "run.sh"
    assert _mode(root / "run.sh") == 0o644 and (root / "run.sh").read_text() == "echo hi\n"
    ws.write_bytes("run.sh", b"echo bye\n", executable=True)  # new text and +x: one step
    ws.undo_last()
    assert _mode(root / "run.sh") == 0o644 and (root / "run.sh").read_text() == "echo hi\n"
    before = len(ws.journal.entries())
    ws.write_bytes("run.sh", b"echo hi\n", executable=False)  # nothing to change
    assert len(ws.journal.entries()) == before


def test_undo_restores_previous_bytes_in_order(ws: Workspace, root: Path) -> None:
    original = (root / "main.py").read_bytes()
    ws.write("main.py", "v1\n")
    ws.write("main.py", "v2\n")
    assert ws.undo_last() == "main.py"
    assert (root / "main.py").read_text() == "v1\n"
    assert ws.undo_last() == "main.py"
    assert (root / "main.py").read_bytes() == original
    assert ws.undo_last() is None


def test_identical_write_records_nothing(ws: Workspace) -> None:
    ws.write("main.py", "print('hi')\n")
    assert ws.journal.entries() == []


def test_group_undo_reverts_every_file(ws: Workspace, root: Path) -> None:
    ws.write("main.py", "user edit\n")
    ws.write("pkg/util.py", "x = 2\n", label="rename", group="g1")
    ws.write("pkg/new.py", "y = 3\n", label="rename", group="g1")
    assert sorted(ws.undo_step()) == ["pkg/new.py", "pkg/util.py"]
    assert (root / "pkg/util.py").read_text() == "x = 1\n"
    assert not (root / "pkg/new.py").exists()
    assert (root / "main.py").read_text() == "user edit\n"


def test_undo_refuses_to_clobber_later_changes(ws: Workspace, root: Path) -> None:
    ws.write("main.py", "model edit\n")
    (root / "main.py").write_text("user kept typing\n")
    with pytest.raises(StaleFileError):
        ws.undo_last()
    assert (root / "main.py").read_text() == "user kept typing\n"
    assert ws.undo_last(force=True) == "main.py"
    assert (root / "main.py").read_text() == "print('hi')\n"


def test_journal_survives_reopening(root: Path, tmp_path: Path) -> None:
    with Workspace(root, tmp_path / "state") as ws:
        ws.write("main.py", "edited\n")
    with Workspace(root, tmp_path / "state") as ws:
        assert ws.undo_last() == "main.py"
    assert (root / "main.py").read_text() == "print('hi')\n"


def test_failed_write_leaves_no_journal_entry(ws: Workspace, root: Path) -> None:
    (root / "adir").mkdir()
    with pytest.raises(WorkspaceError):
        ws.write("adir", "x\n")
    assert ws.journal.entries() == []


def test_read_errors(ws: Workspace, root: Path) -> None:
    (root / "big.txt").write_text("x" * 100)
    with pytest.raises(WorkspaceError):
        ws.read("big.txt", max_bytes=10)
    with pytest.raises(PathPolicyError):
        ws.read("../outside.txt")


def test_always_ignored() -> None:
    assert always_ignored(".git/objects/ab/cdef") and always_ignored(".git/index.lock")
    assert not always_ignored(".git/HEAD") and not always_ignored(".git/index")
    assert always_ignored("a/__pycache__/m.cpython-311.pyc")
    assert always_ignored(".venv/bin/python")
    assert always_ignored("web/node_modules/x/index.js")
    assert always_ignored("src/.aiide-tmp-abc123")
    assert not always_ignored("src/main.py")


Events = set[tuple[str, str]]


async def _collect(
    root: Path,
    action: Callable[[], object],
    *,
    until: Callable[[Events], bool],
    ignore: Callable[[str], bool] | None = None,
    quiet_s: float = 0.0,
) -> Events:
    """Run `action` while watching; gather events until `until(seen)` (then quiet_s more)."""
    stop = asyncio.Event()
    seen: set[tuple[str, str]] = set()

    async def watch() -> None:
        async for batch in watch_changes(root, ignore=ignore, debounce_ms=50, stop_event=stop):
            seen.update(batch)

    task = asyncio.create_task(watch())
    await asyncio.sleep(0.3)
    await asyncio.to_thread(action)
    deadline = time.monotonic() + 3
    while not until(seen) and time.monotonic() < deadline:
        await asyncio.sleep(0.05)
    await asyncio.sleep(quiet_s)
    stop.set()
    await asyncio.wait_for(task, timeout=5)
    return seen


async def test_watcher_settles_each_path_against_the_disk(root: Path) -> None:
    def act() -> None:
        (root / "main.py").unlink()
        (root / "main.py").write_text("recreated\n")
        (root / "flash.txt").write_text("here and gone\n")
        (root / "flash.txt").unlink()

    expected = {("modified", "main.py"), ("deleted", "flash.txt")}
    seen = await _collect(root, act, until=expected.issubset, quiet_s=0.3)
    assert expected <= seen
    assert ("deleted", "main.py") not in seen
    assert ("added", "flash.txt") not in seen


async def test_watcher_reports_real_changes(root: Path) -> None:
    def act() -> None:
        (root / "new.py").write_text("n\n")
        (root / "pkg" / "util.py").write_text("x = 2\n")
        (root / "main.py").unlink()

    expected = {("added", "new.py"), ("modified", "pkg/util.py"), ("deleted", "main.py")}
    seen = await _collect(root, act, until=expected.issubset)
    assert expected <= seen


async def test_watcher_skips_ignored_dirs_and_callers_ignore(root: Path) -> None:
    for junk in (".git", "__pycache__", ".venv", "node_modules", "build"):
        (root / junk).mkdir()

    def act() -> None:
        write(root, {".git/config": "i", "__pycache__/m.pyc": "c", ".venv/x.py": "v"})
        write(root, {"node_modules/p/i.js": "j", "build/out.o": "o", "src.py": "s"})

    seen = await _collect(
        root,
        act,
        until=lambda seen: ("added", "src.py") in seen,
        ignore=lambda rel: rel.startswith("build"),
        quiet_s=0.5,
    )
    assert seen == {("added", "src.py")}


async def test_watcher_sees_a_branch_switch(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", {"a.py": "a\n"})
    git(root, "branch", "other")
    seen = await _collect(
        root,
        lambda: git(root, "checkout", "-q", "other"),
        until=lambda seen: any(rel == ".git/HEAD" for _, rel in seen),
        quiet_s=0.3,
    )
    assert any(rel == ".git/HEAD" for _, rel in seen), seen
    signals = {".git/HEAD", ".git/index"}  # the branch, and the staging area it rewrites
    assert all(rel in signals or not rel.startswith(".git/") for _, rel in seen), seen


async def test_watcher_ignores_atomic_write_temporaries(ws: Workspace, root: Path) -> None:
    seen = await _collect(
        root,
        lambda: ws.write("main.py", "saved\n"),
        until=lambda seen: any(rel == "main.py" for _, rel in seen),
        quiet_s=0.3,
    )
    assert seen in ({("added", "main.py")}, {("modified", "main.py")})


def test_a_read_only_file_is_written_only_when_confirmed(ws: Workspace, root: Path) -> None:
    """An atomic save replaces the file by renaming, which a chmod 444 does not stop."""
    target = root / "main.py"
    target.chmod(0o444)
    with pytest.raises(ProtectedPathError, match="read-only"):
        ws.write("main.py", "print('changed')\n")
    assert target.read_text() == "print('hi')\n"
    ws.write("main.py", "print('changed')\n", confirmed=True)
    assert target.read_text() == "print('changed')\n"
    assert target.stat().st_mode & 0o777 == 0o444  # still read-only, as vim's :w! leaves it


def test_renaming_onto_an_existing_protected_file_says_it_exists_first(
    ws: Workspace, root: Path
) -> None:
    (root / "a.txt").write_text("a\n")
    (root / ".env").write_text("KEY=1\n")
    with pytest.raises(WorkspaceError, match=r"\.env already exists"):
        ws.rename("a.txt", ".env")  # not "needs confirmation", then "exists" after a yes
    assert (root / ".env").read_text() == "KEY=1\n" and (root / "a.txt").exists()
