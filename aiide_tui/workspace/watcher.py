"""File-change events for the workspace, from anyone: the editor, vim beside it, git.

Built on watchfiles (inotify, FSEvents, ...). Git internals, caches and
virtual environments never produce events, except `.git/HEAD` and
`.git/index`, so that a branch switch and a commit, add or reset from a shell
are still seen; neither do our own atomic-write temporaries or editors' swap
and backup files.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from aiide_tui.workspace.atomic import is_temp_name

if TYPE_CHECKING:
    import asyncio

ALWAYS_IGNORED_DIRS = frozenset({".git", "__pycache__", ".venv", "node_modules"})
GIT_HEAD = ".git/HEAD"
GIT_INDEX = ".git/index"
GIT_SIGNALS = frozenset({GIT_HEAD, GIT_INDEX})
"""Git's files whose changes are news: the branch, and the staging area (a commit)."""

_CHANGE_NAMES = {1: "added", 2: "modified", 3: "deleted"}
"""watchfiles.Change values, kept here so the import can stay lazy."""


def always_ignored(rel: str) -> bool:
    """Whether a root-relative posix path is noise that no caller wants to hear about."""
    if rel in GIT_SIGNALS:
        return False
    path = PurePosixPath(rel)
    if any(part in ALWAYS_IGNORED_DIRS for part in path.parts):
        return True
    name = path.name
    return is_temp_name(name) or name.endswith(("~", ".swp", ".swx")) or name == "4913"


async def watch_changes(
    root: Path,
    *,
    ignore: Callable[[str], bool] | None = None,
    debounce_ms: int = 150,
    step_ms: int = 50,
    stop_event: asyncio.Event | None = None,
) -> AsyncIterator[set[tuple[str, str]]]:
    """Yield batches of ("added" | "modified" | "deleted", root-relative path).

    Each path appears once per batch, its kind settled against the disk (see
    `_settle`); a file replaced by an atomic save may arrive as "added", so
    treat "added" and "modified" alike as "read it again". `ignore` gets each
    root-relative posix path and drops it by returning True. A batch is
    yielded once no new event came for `step_ms` (or after `debounce_ms` at
    most); a small step answers a single save sooner. The iterator ends when
    `stop_event` is set.
    """
    import watchfiles

    top = os.path.realpath(root)

    def relative(path: str) -> str:
        return Path(os.path.relpath(path, top)).as_posix()

    def wanted(_change: watchfiles.Change, path: str) -> bool:
        rel = relative(path)
        if rel == "." or rel.startswith("../") or always_ignored(rel):
            return False
        return ignore is None or not ignore(rel)

    async for changes in watchfiles.awatch(
        top, watch_filter=wanted, debounce=debounce_ms, step=step_ms, stop_event=stop_event
    ):
        kinds: dict[str, set[str]] = {}
        for change, path in changes:
            kinds.setdefault(path, set()).add(_CHANGE_NAMES[int(change)])
        batch = {(_settle(path, seen), relative(path)) for path, seen in kinds.items()}
        if batch:
            yield batch


def _settle(path: str, kinds: set[str]) -> str:
    """One event per path and batch, agreeing with the disk now.

    An atomic save (ours, or an editor's) is a rename onto the path, which the
    OS reports as "added"; a delete then re-create within a batch becomes "modified".
    """
    if not os.path.lexists(path):
        return "deleted"
    if "deleted" in kinds:
        return "modified"
    return "added" if "added" in kinds else "modified"
