"""The project's files: one listing for the file tree, the index and the sandbox's copy.

In a git repository, git's view (tracked files and untracked ones .gitignore does
not exclude; submodules left out). Elsewhere, a walk that skips the usual junk
folders and honours the root's `.gitignore`, so a `venv/` or Rust `target/` is
left out there too. Names that are not valid UTF-8 are left out everywhere: no
path of ours (JSON, SQLite, the screen) can carry them.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from aiide_tui.workspace.atomic import is_temp_name
from aiide_tui.workspace.git import GitError, GitRepo, readable_name
from aiide_tui.workspace.ignore import IgnoreRules

SKIPPED_DIRS = frozenset(
    {".git", ".hg", ".svn", "__pycache__", ".venv", "node_modules", ".mypy_cache",
     ".pytest_cache", ".ruff_cache", ".tox", ".hypothesis"}
)  # fmt: skip
"""Folders never listed outside git (in a git repository, .gitignore says), and whose new
files a sandbox run does not offer back."""


def project_files(root: Path, *, folder_links: bool = False) -> list[str]:
    """Root-relative posix paths, sorted; with `folder_links`, links to folders too."""
    git = GitRepo.open(root)
    if git is not None:
        with contextlib.suppress(GitError):
            return [rel for rel in git.files() if _listable(rel)]
    return _walk(Path(root), folder_links=folder_links)


def _walk(root: Path, *, folder_links: bool) -> list[str]:
    gitignore = IgnoreRules.load(root, ".gitignore")
    found: list[str] = []
    for directory, dirnames, filenames in os.walk(root):
        base = Path(directory).relative_to(root)
        dirnames[:] = sorted(
            name for name in dirnames
            if name not in SKIPPED_DIRS and not gitignore.folder_ignored(_join(base, name))
        )  # fmt: skip
        links = [d for d in dirnames if os.path.islink(os.path.join(directory, d))]
        names = [*filenames, *links] if folder_links else filenames
        found.extend(
            rel for name in names
            if _listable(rel := _join(base, name)) and not gitignore.ignored(rel)
        )  # fmt: skip
    return sorted(found)


def _join(base: Path, name: str) -> str:
    return (base / name).as_posix()


def _listable(rel: str) -> bool:
    return readable_name(rel) and not is_temp_name(rel.rsplit("/", 1)[-1])
