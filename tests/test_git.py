"""GitRepo against real repositories made with the git command line in tmp_path."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from unidiff import PatchSet

from aiide_tui.workspace.git import MAX_UNTRACKED_DIFF_BYTES, GitRepo

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    env = {**os.environ, **GIT_ENV, "HOME": str(cwd)}
    done = subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    )
    return done.stdout


def make_repo(path: Path, files: dict[str, str] | None = None) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    if files:
        write(path, files)
        git(path, "add", "-A")
        git(path, "commit", "-q", "-m", "initial")
    return path


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(
        tmp_path / "repo",
        {
            "keep.py": "keep\n",
            "edit.py": "one\ntwo\n",
            "gone.py": "bye\n",
            "old_name.py": "content that is long enough to be detected as a rename\n" * 3,
            ".gitignore": "*.log\nbuild/\n",
        },
    )


def test_open_outside_a_repo_is_none(tmp_path: Path) -> None:
    assert GitRepo.open(tmp_path) is None


def test_open_without_git_on_path_is_none(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(repo / "no-bin-here"))
    assert GitRepo.open(repo) is None


def test_branch_on_main_detached_and_new(repo: Path) -> None:
    opened = GitRepo.open(repo)
    assert opened is not None
    assert opened.branch() == "main"
    git(repo, "checkout", "-q", "-b", "feature/x")
    assert opened.branch() == "feature/x"
    short = git(repo, "rev-parse", "--short", "HEAD").strip()
    git(repo, "checkout", "-q", "--detach")
    assert opened.branch() == short


def test_branch_of_a_repo_without_commits(tmp_path: Path) -> None:
    opened = GitRepo.open(make_repo(tmp_path / "fresh"))
    assert opened is not None
    assert opened.branch() == "main"


def test_status_kinds(repo: Path) -> None:
    write(repo, {"edit.py": "one\nTWO\n", "new.py": "new\n", "staged.py": "s\n", "d/u.txt": "u"})
    write(repo, {"debug.log": "ignored\n"})
    (repo / "gone.py").unlink()
    write(repo, {"intent.py": "i\n"})
    git(repo, "add", "staged.py")
    git(repo, "add", "--intent-to-add", "intent.py")
    git(repo, "mv", "old_name.py", "new_name.py")
    opened = GitRepo.open(repo)
    assert opened is not None
    assert opened.status() == {
        "edit.py": "modified",
        "new.py": "untracked",
        "d/u.txt": "untracked",
        "staged.py": "added",
        "intent.py": "added",
        "gone.py": "deleted",
        "new_name.py": "renamed",
    }


def test_clean_repo_has_empty_status(repo: Path) -> None:
    opened = GitRepo.open(repo)
    assert opened is not None
    assert opened.status() == {}


def test_ignored(repo: Path) -> None:
    write(repo, {"debug.log": "x", "build/out.o": "x", "src/ok.py": "x"})
    opened = GitRepo.open(repo)
    assert opened is not None
    asked = ["debug.log", "build/out.o", "src/ok.py", "keep.py", "sp ace.log", "ü.log"]
    assert opened.ignored(asked) == {"debug.log", "build/out.o", "sp ace.log", "ü.log"}
    assert opened.ignored([]) == set()
    assert opened.ignored(["keep.py"]) == set()
    write(repo, {"forced.log": "tracked despite the rule\n"})
    git(repo, "add", "-f", "forced.log")
    assert opened.ignored(["forced.log", "other.log"]) == {"other.log"}


def test_files_honour_gitignore_and_deletions(repo: Path) -> None:
    write(repo, {"debug.log": "x", "build/out.o": "x", "src/new.py": "x"})
    (repo / "gone.py").unlink()
    opened = GitRepo.open(repo)
    assert opened is not None
    assert opened.files() == sorted(
        [".gitignore", "edit.py", "keep.py", "old_name.py", "src/new.py"]
    )


def test_diff_covers_tracked_changes_and_untracked_files(repo: Path) -> None:
    write(repo, {"edit.py": "one\nTWO\n", "notes/new.md": "# Title\nbody"})
    (repo / "blob.bin").write_bytes(b"\x00\x01\x02binary")
    (repo / "huge.txt").write_text("x" * (MAX_UNTRACKED_DIFF_BYTES + 1))
    (repo / "empty.txt").write_text("")
    opened = GitRepo.open(repo)
    assert opened is not None
    text = opened.diff().text
    patch = PatchSet(text)
    by_path = {f.path: f for f in patch}
    assert set(by_path) == {"edit.py", "notes/new.md", "empty.txt"}
    assert by_path["edit.py"].added == 1 and by_path["edit.py"].removed == 1
    new = by_path["notes/new.md"]
    assert new.is_added_file and new.added == 2
    assert "\\ No newline at end of file" in text
    assert "blob.bin" not in text and "huge.txt" not in text
    assert opened.diff().untracked_not_shown == ("blob.bin", "huge.txt")  # counted, not lost


def test_diff_of_files_in_a_legacy_encoding_reads_as_the_editor_shows_them(repo: Path) -> None:
    """A cp1252 file's lines are not UTF-8: each file's part of the diff is decoded alone, so
    `résumé` is not shown as replacement characters, and the UTF-8 files beside it stay right."""
    (repo / "latin.txt").write_bytes("caf\xe9\n".encode("cp1252"))
    git(repo, "add", "latin.txt")
    git(repo, "commit", "-q", "-m", "latin")
    (repo / "latin.txt").write_bytes("caf\xe9 r\xe9sum\xe9\n".encode("cp1252"))
    write(repo, {"edit.py": "one\nnaïve\n"})
    (repo / "new_latin.txt").write_bytes("\xfcber\n".encode("cp1252"))
    opened = GitRepo.open(repo)
    assert opened is not None
    text = opened.diff().text
    assert "+café résumé" in text and "+naïve" in text and "+über" in text
    assert "\ufffd" not in text


def test_untracked_text_past_the_budget_is_named_not_diffed(repo: Path) -> None:
    write(repo, {f"new{n}.py": f"value = {n}\n" * 50 for n in range(5)})
    opened = GitRepo.open(repo)
    assert opened is not None
    one_file = len(opened.diff(untracked_budget=10**9).text) // 5
    diff = opened.diff(untracked_budget=2 * one_file)
    assert sorted(f.path for f in PatchSet(diff.text)) == ["new0.py", "new1.py"]
    assert diff.untracked_not_shown == ("new2.py", "new3.py", "new4.py")
    assert opened.diff(untracked_budget=10**9).untracked_not_shown == ()


def test_untracked_diff_matches_gits_own(repo: Path) -> None:
    write(repo, {"fresh.py": "a = 1\n\nb = 2\n"})
    opened = GitRepo.open(repo)
    assert opened is not None
    ours = opened.diff().text
    git(repo, "add", "-N", "fresh.py")
    theirs = git(repo, "diff", "--no-color", "fresh.py")
    strip_index = [line for line in theirs.splitlines() if not line.startswith("index ")]
    assert ours.splitlines() == strip_index


def test_diff_with_an_unborn_head(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "fresh")
    write(root, {"staged.py": "s = 1\n", "loose.py": "l = 2\n"})
    git(root, "add", "staged.py")
    opened = GitRepo.open(root)
    assert opened is not None
    patch = PatchSet(opened.diff().text)
    assert sorted(f.path for f in patch) == ["loose.py", "staged.py"]
    assert all(f.is_added_file for f in patch)


def test_workspace_in_a_subdirectory_of_the_repo(repo: Path) -> None:
    write(repo, {"pkg/mod.py": "m\n", "pkg/.gitignore": "*.tmp\n"})
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "pkg")
    write(repo, {"pkg/mod.py": "M\n", "pkg/new.py": "n\n", "edit.py": "outside change\n"})
    opened = GitRepo.open(repo / "pkg")
    assert opened is not None
    assert opened.status() == {"mod.py": "modified", "new.py": "untracked"}
    assert opened.files() == [".gitignore", "mod.py", "new.py"]
    assert opened.ignored(["x.tmp", "mod.py"]) == {"x.tmp"}
    assert sorted(f.path for f in PatchSet(opened.diff().text)) == ["mod.py", "new.py"]


def test_a_folder_ignored_by_an_enclosing_repo_is_not_in_it(tmp_path: Path) -> None:
    home = make_repo(tmp_path / "home", {".gitignore": "*\n!.gitignore\n", "keep": "k\n"})
    write(home, {"project/a.py": "a\n"})
    assert GitRepo.open(home / "project") is None


def test_names_that_are_not_utf8_are_left_out_of_status_and_listings(repo: Path) -> None:
    from aiide_tui.workspace.listing import project_files

    with open(os.path.join(os.fsencode(repo), b"bad\xffname.py"), "wb") as handle:
        handle.write(b"x = 1\n")
    (repo / "fine.py").write_text("x = 1\n")
    git = GitRepo.open(repo)
    assert git is not None
    assert git.status().get("fine.py") == "untracked"
    assert all(name.encode("utf-8") for name in git.status())
    assert "fine.py" in project_files(repo)
    assert not [name for name in project_files(repo) if name.startswith("bad")]


@pytest.mark.parametrize(
    ("gitignore", "files"),
    [
        ("?\n", ["pkg/mod.py", "x"]),
        ("x\n", ["pkg/mod.py", "x"]),
        ("build/*\n!build/keep.py\n", ["build/keep.py", "build/drop.py"]),
        ("*\n!*/\n!*.py\n", ["root.py", "src/a.py", "src/deep/d.py", "src/notes.txt"]),
        (
            "target/\n*.log\n!keep.log\n",
            ["src/main.rs", "target/debug/out.rs", "a.log", "keep.log"],
        ),
    ],
)
def test_outside_git_the_listing_honours_gitignore_as_git_would(
    tmp_path: Path, gitignore: str, files: list[str]
) -> None:
    """The same files `git ls-files -o --exclude-standard` lists: a folder is skipped only when
    it is ignored itself (`?` hid every folder; `build/*` then `!build/keep.py` lost keep.py)."""
    from aiide_tui.workspace.listing import project_files

    plain, repo = tmp_path / "plain", tmp_path / "repo"
    for root in (plain, repo):
        (root / ".gitignore").parent.mkdir(parents=True, exist_ok=True)
        (root / ".gitignore").write_text(gitignore)
        for rel in files:
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text("x\n")
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    listed = subprocess.run(
        ["git", "-C", str(repo), "ls-files", "-o", "--exclude-standard"],
        capture_output=True, text=True, check=True,
    ).stdout.split()  # fmt: skip
    assert project_files(plain) == sorted(listed)


def test_a_file_a_merge_left_in_conflict_is_a_conflict(repo: Path) -> None:
    git(repo, "checkout", "-q", "-b", "other")
    write(repo, {"edit.py": "one\nTWO on other\n"})
    git(repo, "commit", "-qam", "other")
    git(repo, "checkout", "-q", "main")
    write(repo, {"edit.py": "one\nTWO on main\n", "keep.py": "kept\n"})
    git(repo, "commit", "-qam", "main")
    done = subprocess.run(["git", "merge", "-q", "other"], cwd=repo, capture_output=True)
    assert done.returncode != 0  # the conflict
    status = GitRepo.open(repo).status()
    assert status == {"edit.py": "conflict"}


def test_a_utf16_file_is_diffed_as_the_text_the_editor_shows(repo: Path) -> None:
    path = repo / "notes.txt"
    path.write_bytes("\ufeffone\r\ntwo\r\n".encode("utf-16-le"))
    git(repo, "add", "notes.txt")
    git(repo, "commit", "-qm", "utf-16")
    path.write_bytes("\ufeffone\r\nTWO\r\n".encode("utf-16-le"))
    assert "Binary files" in git(repo, "diff")  # git's own view
    diff = GitRepo.open(repo).diff().text
    [patched] = PatchSet(diff)
    assert patched.path == "notes.txt" and not patched.is_binary_file
    changed = [line.value for line in patched[0] if line.is_added or line.is_removed]
    assert changed == ["two\r\n", "TWO\r\n"]  # the lines as text, with their own CRLF
