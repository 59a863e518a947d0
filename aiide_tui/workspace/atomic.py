"""Atomic file replacement: a crash at any moment leaves the old file or the new one.

The new bytes go to a temporary file in the target's directory (same file
system, so the rename is atomic), are fsynced, take the old file's permission
bits, and replace the target with `os.replace`; the directory is then fsynced
so the rename itself survives a power cut.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from pathlib import Path

from aiide_tui.errors import WorkspaceError

TEMP_PREFIX = ".aiide-tmp-"
"""Temporary files start with this, so watchers and listings can skip them."""

_CREATE_FLAGS = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0)
_NO_DIR_FSYNC = (errno.EINVAL, errno.ENOTSUP, errno.EBADF)


def is_temp_name(name: str) -> bool:
    """Whether a file name is one of `atomic_write`'s temporary files."""
    return name.startswith(TEMP_PREFIX)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically; on failure the target is untouched.

    A symlink is written through (its target is replaced, the link stays).
    Existing files keep their permission bits (and owner where allowed); new
    files get 0o666 less the umask.
    """
    target = Path(os.path.realpath(path)) if os.path.islink(path) else Path(path)
    try:
        existing = os.stat(target)
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        raise WorkspaceError(f"Cannot save {path}: {exc.strerror}") from exc
    temp = _write_temp(target, data, existing)
    try:
        os.replace(temp, target)
    except BaseException as exc:
        _remove_quietly(temp)
        if isinstance(exc, OSError):
            raise WorkspaceError(f"Cannot save {path}: {exc.strerror}") from exc
        raise
    _fsync_directory(target.parent)


def _write_temp(target: Path, data: bytes, existing: os.stat_result | None) -> Path:
    """Write `data` to a fresh, fsynced temporary file beside `target`."""
    mode = 0o600 if existing else 0o666
    try:
        fd, temp = _create_temp(target.parent, mode)
    except OSError as exc:
        raise WorkspaceError(f"Cannot save {target}: {exc.strerror}") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            if existing is not None:
                _copy_ownership(handle.fileno(), existing)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException as exc:
        _remove_quietly(temp)
        if isinstance(exc, OSError):
            raise WorkspaceError(f"Cannot save {target}: {exc.strerror}") from exc
        raise
    return temp


def _create_temp(directory: Path, mode: int) -> tuple[int, Path]:
    """Create a new temporary file; the kernel applies the umask to `mode`."""
    while True:
        temp = directory / f"{TEMP_PREFIX}{secrets.token_hex(6)}"
        try:
            return os.open(temp, _CREATE_FLAGS, mode), temp
        except FileExistsError:
            continue


def _copy_ownership(fd: int, existing: os.stat_result) -> None:
    """Give the temporary file the old file's mode, and its owner when we may."""
    if (existing.st_uid, existing.st_gid) != (os.geteuid(), os.getegid()):
        with contextlib.suppress(PermissionError):
            os.fchown(fd, existing.st_uid, existing.st_gid)
    os.fchmod(fd, stat.S_IMODE(existing.st_mode))


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; some file systems cannot fsync a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError as exc:
        if exc.errno not in _NO_DIR_FSYNC:
            raise WorkspaceError(f"Saved into {directory} but could not flush it to disk") from exc
    finally:
        os.close(fd)


def _remove_quietly(temp: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(temp)
