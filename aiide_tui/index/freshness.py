"""Keep the index fresh: every save (ours, vim's, git's) re-indexes just the files it touched.

The workspace watcher already debounces and settles each path's change kind;
here each batch becomes one `CodeIndex.update` in a worker thread (the event
loop never blocks). A batch touching `.git/HEAD` (a branch switch, a rebase)
or many files is one full pass instead, which parses only what changed on
disk, in the process pool: a batch, not a storm.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiide_tui.index.indexer import IndexReport
from aiide_tui.index.project import CodeIndex
from aiide_tui.workspace.watcher import GIT_HEAD, GIT_INDEX, watch_changes

FULL_PASS_FILES = 200
"""A batch with more files than this is handled as a full (incremental) pass."""
STEP_MS = 10
"""Quiet time that ends a batch: a save is one burst of events, searchable soon after it;
a branch switch's storm keeps events coming, so it still arrives as a few big batches."""

UpdateCallback = Callable[[IndexReport, set[tuple[str, str]]], Awaitable[None] | None]


async def keep_fresh(
    index: CodeIndex,
    *,
    debounce_ms: int = 50,
    step_ms: int = STEP_MS,
    stop_event: asyncio.Event | None = None,
    on_update: UpdateCallback | None = None,
) -> None:
    """Watch the project and re-index each batch of changes until `stop_event` is set."""
    async for batch in watch_changes(
        index.root, debounce_ms=debounce_ms, step_ms=step_ms, stop_event=stop_event
    ):
        report = await asyncio.to_thread(apply_batch, index, batch)
        if on_update is not None:
            result = on_update(report, batch)
            if asyncio.iscoroutine(result):
                await result


def apply_batch(index: CodeIndex, batch: set[tuple[str, str]]) -> IndexReport:
    """Re-index one batch of ("added" | "modified" | "deleted", path) changes."""
    batch = {(kind, path) for kind, path in batch if path != GIT_INDEX}  # a commit: no news
    paths = {path for _, path in batch}
    folders = any((index.root / path).is_dir() for path in paths if path != GIT_HEAD)
    if GIT_HEAD in paths or folders or len(paths) > FULL_PASS_FILES:
        return index.index()
    deleted = [path for kind, path in batch if kind == "deleted"]
    changed = [path for kind, path in batch if kind != "deleted"]
    return index.update(changed, deleted)
