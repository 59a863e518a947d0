"""The workspace: one project root, and the only way the rest of aiide touches its files.

Every read goes through the path policy; every write through the policy, a
stale-file check, the undo journal (written first, so a crash can never leave
a change that undo does not know about) and an atomic replace.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
import time
from collections.abc import Iterable
from pathlib import Path

from aiide_tui.errors import FileDeletedError, StaleFileError, WorkspaceError
from aiide_tui.workspace.atomic import atomic_write
from aiide_tui.workspace.files import DEFAULT_MAX_BYTES, FileContent, encode_text, read_text
from aiide_tui.workspace.git import GitRepo
from aiide_tui.workspace.journal import JournalEntry, UndoJournal
from aiide_tui.workspace.listing import project_files
from aiide_tui.workspace.paths import PathPolicy
from aiide_tui.workspace.text_search import DEFAULT_LIMIT, TextSearchResult, search_text

JOURNAL_NAME = "journal.sqlite"


class Workspace:
    """Files under one root: listing, reading, journaled atomic writes and undo."""

    def __init__(self, root: Path, state_dir: Path) -> None:
        self.policy = PathPolicy(root)
        self.root = self.policy.root
        self.git: GitRepo | None = GitRepo.open(self.root)
        self.journal = UndoJournal(Path(state_dir) / JOURNAL_NAME)
        self._lock = threading.RLock()

    def list_files(self) -> list[str]:
        """Every file, root-relative and sorted (see `listing.project_files`)."""
        return project_files(self.root)

    def read(self, rel: str, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> FileContent:
        """Read a text file inside the workspace (see `files.read_text` for the errors)."""
        return read_text(self.policy.resolve(rel), max_bytes=max_bytes)

    def find_text(
        self,
        query: str,
        *,
        limit: int = DEFAULT_LIMIT,
        cancel: threading.Event | None = None,
        paths: Iterable[str] | None = None,
    ) -> TextSearchResult:
        """Lines of the project's files holding `query` (see `text_search`); with `paths`,
        only those of them."""
        files = self.list_files()
        if paths is not None:
            wanted = set(paths)
            files = [rel for rel in files if rel in wanted]
        return search_text(
            files, query, lambda rel: self.read(rel).text, limit=limit, cancel=cancel
        )

    def write(
        self,
        rel: str,
        text: str,
        *,
        encoding: str = "utf-8",
        newline: str = "\n",
        expected_mtime_ns: int | None = None,
        confirmed: bool = False,
        create: bool = False,
        label: str = "edit",
        group: str | None = None,
    ) -> int:
        """Save `text` (with "\\n" line endings) and return the file's new mtime_ns.

        Raises PathPolicyError / ProtectedPathError for paths not allowed,
        StaleFileError when the file's mtime_ns is not `expected_mtime_ns`
        (FileDeletedError when it vanished), WorkspaceError when saving fails
        or, with `create`, when something already exists at the path.
        Missing parent directories are created. Writing identical bytes is a
        no-op that records nothing.
        """
        return self.write_bytes(
            rel, encode_text(text, encoding, newline), expected_mtime_ns=expected_mtime_ns,
            confirmed=confirmed, create=create, label=label, group=group,
        )  # fmt: skip

    def write_bytes(
        self,
        rel: str,
        data: bytes,
        *,
        executable: bool | None = None,
        expected_mtime_ns: int | None = None,
        confirmed: bool = False,
        create: bool = False,
        label: str = "edit",
        group: str | None = None,
    ) -> int:
        """`write` for bytes as they are (a sandbox run's binary files); `executable` sets or
        clears the execute bits (None keeps the file's mode). Raises as `write` does."""
        path = self.policy.check_write(rel, confirmed=confirmed)
        with self._lock:
            before, mtime_ns = _current(path)
            if create and (mtime_ns is not None or os.path.lexists(self.root / rel)):
                raise WorkspaceError(f"{self.policy.relative(path)} already exists")
            if expected_mtime_ns is not None and mtime_ns is None:
                raise FileDeletedError(
                    f"{self.policy.relative(path)} was deleted on disk since it was read"
                )
            if expected_mtime_ns is not None and mtime_ns != expected_mtime_ns:
                raise StaleFileError(
                    f"{self.policy.relative(path)} changed on disk since it was read"
                )
            mode = _mode(path) if mtime_ns is not None else None
            wanted = _with_execute_bits(mode, executable)
            if before == data and mode == wanted:
                return mtime_ns if mtime_ns is not None else os.stat(path).st_mtime_ns
            entry_id = self.journal.record(
                self.policy.relative(path), before, data, label, group,
                mode_before=mode, mode_after=wanted,
            )  # fmt: skip
            try:
                if before != data or mtime_ns is None:
                    _make_parents(path)
                    atomic_write(path, data)
                _set_executable(path, executable)
            except BaseException:
                self.journal.forget(entry_id)
                raise
            return os.stat(path).st_mtime_ns

    def delete(
        self, rel: str, *, confirmed: bool = False, label: str = "delete", group: str | None = None
    ) -> None:
        """Delete a file, journaled so that undo brings it back.

        Raises PathPolicyError / ProtectedPathError as for `write`, and
        WorkspaceError when there is no such file, it is a symbolic link or a
        folder, or it cannot be removed.
        """
        if os.path.islink(self.root / rel):
            raise WorkspaceError(f"{rel} is a symbolic link; remove it yourself")
        path = self.policy.check_write(rel, confirmed=confirmed)
        if path.is_dir():
            raise WorkspaceError(f"{self.policy.relative(path) or rel} is a folder, not a file")
        with self._lock:
            before, _ = _current(path)
            if before is None:
                raise WorkspaceError(f"{self.policy.relative(path)} does not exist")
            entry_id = self.journal.record(
                self.policy.relative(path), before, None, label, group, mode_before=_mode(path)
            )
            try:
                path.unlink()
            except OSError as exc:
                self.journal.forget(entry_id)
                raise WorkspaceError(f"Cannot delete {rel}: {exc.strerror}") from None

    def rename(
        self, rel: str, new_rel: str, *, confirmed: bool = False, group: str | None = None
    ) -> int:
        """Move a file to `new_rel` (creating folders), journaled as one step; returns the new
        mtime_ns.

        Raises PathPolicyError / ProtectedPathError for either path, and
        WorkspaceError when `rel` is missing, a link or a folder, or something
        already exists at `new_rel`.
        """
        if os.path.islink(self.root / rel):
            raise WorkspaceError(f"{rel} is a symbolic link; move it yourself")
        if os.path.lexists(self.policy.resolve(new_rel)):  # said before any confirmation
            raise WorkspaceError(
                f"{self.policy.relative(self.policy.resolve(new_rel))} already exists"
            )
        source = self.policy.check_write(rel, confirmed=confirmed)
        target = self.policy.check_write(new_rel, confirmed=confirmed)
        old, new = self.policy.relative(source), self.policy.relative(target)
        group = group or f"rename {old} {time.time_ns()}"
        with self._lock:
            data, _ = _current(source)
            if data is None:
                raise WorkspaceError(f"{old} does not exist")
            if os.path.lexists(self.root / new_rel):
                raise WorkspaceError(f"{new} already exists")
            mode = _mode(source)
            entries = [
                self.journal.record(new, None, data, "rename", group, mode_after=mode),
                self.journal.record(old, data, None, "rename", group, mode_before=mode),
            ]
            try:
                _make_parents(target)
                os.rename(source, target)
            except OSError as exc:
                for entry_id in entries:
                    self.journal.forget(entry_id)
                raise WorkspaceError(f"Cannot move {old} to {new}: {exc.strerror}") from None
            return os.stat(target).st_mtime_ns

    def undo_step(self, *, force: bool = False) -> list[str]:
        """Revert the newest journal step (an entry, or its whole group); return its paths.

        Raises StaleFileError, changing nothing, when a file was changed since
        that step (by anyone) unless `force`. Empty when there is nothing to undo.
        """
        with self._lock:
            step = self.journal.last_step()
            targets = [(entry, self.policy.resolve(entry.path)) for entry in step]
            if not force:
                for entry, path in targets:
                    _check_unchanged(entry, path)
            for entry, path in targets:
                _restore(entry, path)
            for entry, path in targets:  # folders the change made for its new files go too
                if entry.before is None:
                    _remove_empty_folders(path.parent, self.root)
            self.journal.mark_undone([entry.id for entry in step])
            return [entry.path for entry in step]

    def undo_last(self, *, force: bool = False) -> str | None:
        """Revert the newest journal step and return its (newest) path, None if nothing."""
        paths = self.undo_step(force=force)
        return paths[0] if paths else None

    def close(self) -> None:
        """Release the journal database."""
        self.journal.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _current(path: Path) -> tuple[bytes | None, int | None]:
    """The file's bytes and mtime_ns now, (None, None) when it does not exist."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        return None, None
    except OSError as exc:
        raise WorkspaceError(f"Cannot read {path} before saving: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        raise WorkspaceError(f"Cannot save {path}: it is not a regular file")
    with os.fdopen(fd, "rb") as handle:
        return handle.read(), info.st_mtime_ns


def _mode(path: Path) -> int | None:
    """The file's permission bits (None when it cannot be read)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def _with_execute_bits(mode: int | None, executable: bool | None) -> int | None:
    """`mode` with execute bits where the file may be read (as `chmod +x` gives them), or
    with none; unchanged when `executable` is None."""
    if mode is None or executable is None:
        return mode
    return mode | (mode & 0o444) >> 2 if executable else mode & ~0o111


def _set_executable(path: Path, executable: bool | None) -> None:
    if executable is None:
        return
    _chmod(path, _with_execute_bits(_mode(path), executable))


def _chmod(path: Path, mode: int | None) -> None:
    try:
        if mode is not None and mode != _mode(path):
            os.chmod(path, mode)
    except OSError as exc:
        raise WorkspaceError(f"Cannot change the mode of {path}: {exc.strerror}") from None


def _make_parents(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WorkspaceError(f"Cannot create the folder {path.parent}: {exc.strerror}") from None


def _check_unchanged(entry: JournalEntry, path: Path) -> None:
    """Undo may only replace what the edit wrote (or what an earlier partial undo restored)."""
    now, _ = _current(path)
    if now not in (entry.after, entry.before):
        raise StaleFileError(f"{entry.path} changed since '{entry.label}'; undo would lose that")


def _remove_empty_folders(folder: Path, root: Path) -> None:
    """Remove `folder` and its parents while they are empty, up to (not including) `root`."""
    while folder != root and root in folder.parents:
        try:
            folder.rmdir()
        except OSError:  # not empty (or not ours to remove): stop here
            return
        folder = folder.parent


def _restore(entry: JournalEntry, path: Path) -> None:
    if entry.before is None:
        try:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        except OSError as exc:
            raise WorkspaceError(f"Cannot remove {entry.path}: {exc.strerror}") from None
        return
    _make_parents(path)
    if _current(path)[0] != entry.before:  # a change of mode alone left the bytes as they were
        atomic_write(path, entry.before)
    _chmod(path, entry.mode_before)
