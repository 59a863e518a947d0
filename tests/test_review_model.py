"""parse_diff against real `git diff` output from a temporary repository."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiide_tui.errors import AiideError
from aiide_tui.review import DiffParseError, FileDiff, hunk_old_new, parse_diff

SEVEN = "".join(f"line {n}\n" for n in range(1, 8))


def git(repo: Path, *args: str) -> str:
    """Run git in `repo` with a fixed identity and no user config."""
    result = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
        env={"PATH": "/usr/bin:/bin", "HOME": str(repo), "GIT_CONFIG_NOSYSTEM": "1"},
    )
    return result.stdout


def make_changed_repo(root: Path) -> Path:
    """A committed repo, then every kind of change `git diff HEAD` can show."""
    repo = root / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "mod.py").write_text("a = 1\nb = 2\nc = 3\n")
    (repo / "gone.txt").write_text("x\ny\n")
    (repo / "old_name.py").write_text(SEVEN)
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02\x03")
    (repo / "tail.txt").write_text("keep\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")

    (repo / "mod.py").write_text("a = 1\nb = 20\nc = 3\nd = 4\n")
    git(repo, "rm", "-q", "gone.txt")
    git(repo, "mv", "old_name.py", "new_name.py")
    (repo / "new_name.py").write_text(SEVEN.replace("line 7", "LINE SEVEN"))
    (repo / "blob.bin").write_bytes(b"\x00\x09")
    (repo / "tail.txt").write_text("keep")
    (repo / "fresh.txt").write_text("hello\nworld\n")
    git(repo, "add", "-N", "fresh.txt")
    return repo


@pytest.fixture
def changed_repo(tmp_path: Path) -> Path:
    return make_changed_repo(tmp_path)


def by_path(files: list[FileDiff]) -> dict[str, FileDiff]:
    return {file_diff.path: file_diff for file_diff in files}


def test_statuses_and_counts_from_real_git_diff(changed_repo: Path) -> None:
    files = by_path(parse_diff(git(changed_repo, "diff", "HEAD", "-M")))
    assert set(files) == {"mod.py", "gone.txt", "new_name.py", "blob.bin", "tail.txt", "fresh.txt"}
    assert files["mod.py"].status == "modified"
    assert (files["mod.py"].added, files["mod.py"].removed) == (2, 1)
    assert files["gone.txt"].status == "deleted"
    assert (files["gone.txt"].added, files["gone.txt"].removed) == (0, 2)
    assert files["fresh.txt"].status == "added"
    assert files["fresh.txt"].added == 2
    assert files["blob.bin"].status == "binary"
    assert files["blob.bin"].hunks == ()
    renamed = files["new_name.py"]
    assert (renamed.status, renamed.old_path) == ("renamed", "old_name.py")
    assert (renamed.added, renamed.removed) == (1, 1)
    assert all(f.old_path is None for f in files.values() if f.status != "renamed")


def test_line_numbers_follow_both_files(changed_repo: Path) -> None:
    files = by_path(parse_diff(git(changed_repo, "diff", "HEAD", "-M")))
    (hunk,) = files["mod.py"].hunks
    assert (hunk.old_start, hunk.old_len, hunk.new_start, hunk.new_len) == (1, 3, 1, 4)
    assert hunk.header == "@@ -1,3 +1,4 @@"
    kinds = [(line.kind, line.text, line.old_no, line.new_no) for line in hunk.lines]
    assert kinds == [
        (" ", "a = 1", 1, 1),
        ("-", "b = 2", 2, None),
        ("+", "b = 20", None, 2),
        (" ", "c = 3", 3, 3),
        ("+", "d = 4", None, 4),
    ]
    (renamed_hunk,) = files["new_name.py"].hunks
    assert renamed_hunk.old_start == 4
    last = renamed_hunk.lines[-1]
    assert (last.kind, last.text, last.old_no, last.new_no) == ("+", "LINE SEVEN", None, 7)


def test_missing_trailing_newline_is_flagged(changed_repo: Path) -> None:
    files = by_path(parse_diff(git(changed_repo, "diff", "HEAD")))
    (hunk,) = files["tail.txt"].hunks
    removed, added = hunk.lines
    assert (removed.kind, removed.text, removed.missing_newline) == ("-", "keep", False)
    assert (added.kind, added.text, added.missing_newline) == ("+", "keep", True)


def test_hunk_old_new_rebuilds_both_sides(changed_repo: Path) -> None:
    files = by_path(parse_diff(git(changed_repo, "diff", "HEAD")))
    old, new = hunk_old_new(files["mod.py"].hunks[0])
    assert old == "a = 1\nb = 2\nc = 3\n"
    assert new == "a = 1\nb = 20\nc = 3\nd = 4\n"
    old, new = hunk_old_new(files["gone.txt"].hunks[0])
    assert (old, new) == ("x\ny\n", "")


def test_pure_rename_mode_change_and_new_binary(changed_repo: Path) -> None:
    git(changed_repo, "add", "-A")
    git(changed_repo, "commit", "-qm", "second")
    git(changed_repo, "mv", "mod.py", "moved.py")
    (changed_repo / "fresh.txt").chmod(0o755)
    (changed_repo / "new.bin").write_bytes(b"\x00\xff")
    git(changed_repo, "add", "-A")
    files = by_path(parse_diff(git(changed_repo, "diff", "--cached", "--binary")))
    assert files["moved.py"].status == "renamed"
    assert files["moved.py"].old_path == "mod.py"
    assert files["moved.py"].hunks == ()
    assert files["fresh.txt"].status == "modified"
    assert files["fresh.txt"].hunks == ()
    assert files["fresh.txt"].mode == "now executable"
    assert files["moved.py"].mode == "" and files["new.bin"].status == "binary"
    (changed_repo / "fresh.txt").write_text("changed too\n")  # content and mode at once
    (changed_repo / "fresh.txt").chmod(0o755)
    git(changed_repo, "add", "-A")
    git(changed_repo, "commit", "-qm", "third")
    (changed_repo / "fresh.txt").write_text("and again\n")
    (changed_repo / "fresh.txt").chmod(0o644)
    [fresh] = parse_diff(git(changed_repo, "diff"))
    assert fresh.mode == "no longer executable" and len(fresh.hunks) == 1


def test_quoted_unicode_and_space_paths(tmp_path: Path) -> None:
    repo = tmp_path / "r"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "dir with space").mkdir()
    target = repo / "dir with space" / "café.txt"
    target.write_text("hi\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    target.write_text("hi\nho\n")
    diff = git(repo, "diff")
    assert '"a/dir with space/caf\\303\\251.txt"' in diff
    (file_diff,) = parse_diff(diff)
    assert file_diff.path == "dir with space/café.txt"
    assert file_diff.added == 1


@pytest.mark.parametrize("text", ["", "   \n", "hello world\nnot a diff\n", "Binary junk \x00\x01"])
def test_text_without_a_diff_gives_no_files(text: str) -> None:
    assert parse_diff(text) == []


def test_truncated_hunk_raises_a_clear_error() -> None:
    text = "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n"
    with pytest.raises(DiffParseError, match="Could not read the diff"):
        parse_diff(text)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "diff --git a/x b/x",
                "--- a/x",
                "+++ b/x",
                "@@ -1,2 +1,2 @@",
                "@@ -0,0 +1 @@",
                " ctx",
                "-old",
                "+new",
                "\\ No newline at end of file",
                "Binary files a/x and b/x differ",
                "rename from x",
                "rename to y",
                "garbage",
                "",
            ]
        ),
        max_size=12,
    ).map("\n".join)
)
def test_any_mix_of_diff_lines_parses_or_raises_aiide_error(text: str) -> None:
    try:
        files = parse_diff(text)
    except AiideError:
        return
    for file_diff in files:
        assert file_diff.status in {"modified", "added", "deleted", "renamed", "binary"}
