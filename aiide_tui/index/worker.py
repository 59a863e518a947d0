"""The part of indexing that runs in the parse processes: read, check, hash, chunk, store.

Each call takes a group of files and makes one `FileResult` per file, never
raising for a file's sake: whatever goes wrong with one file becomes its skip
reason. In the pool, each process then writes its own group to the index in
one transaction (`store_group`), so no chunk text crosses between processes
and both cores share the SQLite work; a lock shared by the pool keeps the
writers from waiting on SQLite's busy timeout. Only counts come back.
"""

from __future__ import annotations

import hashlib
import os
import stat
import threading
import time
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import NamedTuple

from aiide_tui.errors import WorkspaceError
from aiide_tui.index.admission import BINARY, NOT_UTF8, Limits, reason_by_content
from aiide_tui.index.chunker import parse_file
from aiide_tui.index.languages import language_for
from aiide_tui.index.store import FileResult, IndexStore, chunk_extras
from aiide_tui.workspace.files import decode_bytes

_stores: dict[str, IndexStore] = {}
"""This process's connection to each index it writes to."""
_write_lock: AbstractContextManager = nullcontext()


class GroupCounts(NamedTuple):
    """What storing one group did."""

    parsed: int
    unchanged: int
    skipped: int
    chunks: int


ORPHAN_CHECK_S = 0.5


def init_process(lock: AbstractContextManager, owner: int) -> None:
    """Pool initializer: the lock that the pool's writers share, and a watch on the process
    that owns the pool (`owner`): killed (kill -9, SIGTERM), it can no longer stop its
    workers, which would otherwise wait on their queue forever, holding the index open."""
    global _write_lock
    _write_lock = lock
    threading.Thread(target=_exit_with, args=(owner,), daemon=True).start()


def _exit_with(owner: int) -> None:
    while True:
        time.sleep(ORPHAN_CHECK_S)
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            os._exit(1)
        except PermissionError:  # the pid went to another user's process: ours is gone
            os._exit(1)


def store_group(
    db_path: str, root: str, items: list[tuple[str, str | None]], limits: Limits, cascade: bool
) -> GroupCounts:
    """Parse a group and write it to the index at `db_path` in one transaction."""
    results = parse_group(root, items, limits)
    store = _stores.get(db_path)
    if store is None:
        store = _stores[db_path] = IndexStore(Path(db_path))
    with _write_lock:
        chunks = store.write_batch(results, cascade=cascade)
    return count_results(results, chunks)


def count_results(results: list[FileResult], chunks: int) -> GroupCounts:
    unchanged = sum(1 for result in results if result.unchanged)
    skipped = sum(1 for result in results if result.skip and not result.unchanged)
    return GroupCounts(len(results) - unchanged - skipped, unchanged, skipped, chunks)


def parse_group(root: str, items: list[tuple[str, str | None]], limits: Limits) -> list[FileResult]:
    """Results for (root-relative path, stored hash) pairs."""
    return [parse_one(root, rel, known, limits) for rel, known in items]


def parse_one(root: str, rel: str, known_hash: str | None, limits: Limits) -> FileResult:
    """Read and parse one file; a problem with the file becomes its skip reason."""
    path = Path(root) / rel
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return FileResult(rel, skip="vanished while indexing")
    except OSError as error:
        return FileResult(rel, skip=f"unreadable ({error.strerror})")
    common = {"mtime_ns": info.st_mtime_ns, "size": info.st_size}
    reason = _reason_by_stat(info, limits)
    if reason == SYMLINK and not os.path.exists(path):
        reason = "symlink to nothing (its target is missing, or it loops)"
    elif reason == SYMLINK and not _inside(root, os.path.realpath(path)):
        reason = "symlink to a place outside the project (not indexed)"
    if reason is not None:
        return FileResult(rel, skip=reason, **common)
    try:
        data = _read(path)
    except FileNotFoundError:
        return FileResult(rel, skip="vanished while indexing")
    except OSError as error:
        return FileResult(rel, skip=f"unreadable ({error.strerror})", **common)
    digest = hashlib.blake2b(data, digest_size=16).hexdigest()
    if known_hash is not None and digest == known_hash:
        return FileResult(rel, hash=digest, unchanged=True, **common)
    reason = reason_by_content(data, limits)
    if reason in (BINARY, NOT_UTF8) and (transcoded := _as_utf8(data)) is not None:
        data = transcoded
        reason = reason_by_content(data, limits)
    language = language_for(rel)
    if reason is not None:
        return FileResult(rel, hash=digest, language=language, skip=reason, **common)
    try:
        parsed = parse_file(rel, data, language)
    except RecursionError:
        return FileResult(rel, hash=digest, language=language, skip="too deeply nested", **common)
    parsed.extras = [chunk_extras(chunk) for chunk in parsed.chunks]
    return FileResult(rel, hash=digest, language=language, parsed=parsed, **common)


def _as_utf8(data: bytes) -> bytes | None:
    """Text the editor reads in another encoding (UTF-16 with a BOM, cp1252...) as UTF-8,
    so it is indexed as the user sees it; None when the editor would refuse it too."""
    try:
        return decode_bytes(data)[0].encode("utf-8")
    except WorkspaceError:
        return None


SYMLINK = "symlink (its target is indexed where it lies in the project)"


def _inside(root: str, real: str) -> bool:
    base = os.path.realpath(root)
    return real == base or real.startswith(base.rstrip(os.sep) + os.sep)


def _reason_by_stat(info: os.stat_result, limits: Limits) -> str | None:
    if stat.S_ISLNK(info.st_mode):
        return SYMLINK
    if not stat.S_ISREG(info.st_mode):
        return "not a regular file"
    if info.st_size > limits.max_file_bytes:
        return f"too large ({info.st_size:,} bytes, over {limits.max_file_bytes:,})"
    return None


def _read(path: Path) -> bytes:
    """The file's bytes, never blocking on a FIFO that replaced it since lstat."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise OSError(0, "not a regular file")
        return handle.read()
