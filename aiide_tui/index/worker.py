"""The part of indexing that runs in the parse processes: read, check, hash, chunk.

Each call takes a group of files and returns one `FileResult` per file, never
raising for a file's sake: whatever goes wrong with one file becomes its skip
reason. Everything returned is plain data, cheap to send between processes.
"""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from aiide_tui.index.admission import Limits, reason_by_content
from aiide_tui.index.chunker import parse_file
from aiide_tui.index.languages import language_for
from aiide_tui.index.store import FileResult, chunk_extras


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
    language = language_for(rel)
    if reason is not None:
        return FileResult(rel, hash=digest, language=language, skip=reason, **common)
    try:
        parsed = parse_file(rel, data, language)
    except RecursionError:
        return FileResult(rel, hash=digest, language=language, skip="too deeply nested", **common)
    parsed.extras = [chunk_extras(chunk) for chunk in parsed.chunks]
    return FileResult(rel, hash=digest, language=language, parsed=parsed, **common)


def _reason_by_stat(info: os.stat_result, limits: Limits) -> str | None:
    if stat.S_ISLNK(info.st_mode):
        return "symlink (its target is indexed where it lies in the project)"
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
