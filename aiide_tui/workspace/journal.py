"""The undo journal: every write the workspace makes, with the bytes before and after.

SQLite in WAL mode, schema-versioned with `PRAGMA user_version`, every write
in one transaction, so a kill -9 loses nothing committed. Paths are stored as
file-system bytes, so names that are not valid UTF-8 survive. Entries that share a
`group` (a multi-file change) are undone as one step. A journal that cannot be
opened is moved aside and started afresh: losing undo history must not stop
the editor.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiide_tui.errors import WorkspaceError

SCHEMA_VERSION = 2
DEFAULT_KEEP = 500
"""Steps kept for undo: a multi-file change (a sandbox run's 3,000 files) is one step, and
once pruned 500 entries of it, wiping every earlier step."""
KEEP_BYTES = 512 << 20
"""The file contents older steps may hold in all; the newest step is always kept."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    path BLOB NOT NULL,
    before BLOB,
    after BLOB,
    label TEXT NOT NULL,
    grp TEXT,
    created_at REAL NOT NULL,
    undone INTEGER NOT NULL DEFAULT 0,
    mode_before INTEGER,
    mode_after INTEGER
);
CREATE INDEX IF NOT EXISTS entries_grp ON entries (grp);
"""
_MIGRATIONS = {
    1: "ALTER TABLE entries ADD COLUMN mode_before INTEGER;"
    " ALTER TABLE entries ADD COLUMN mode_after INTEGER;",
}
"""From each older schema version to the next (a version 1 journal's entries keep no modes)."""
INCREMENTAL = 2
"""`PRAGMA auto_vacuum`'s value for incremental."""
_COLUMNS = "id, path, before, after, label, grp, created_at, undone, mode_before, mode_after"


@dataclass(frozen=True)
class JournalEntry:
    """One recorded write; `before`/`after` are None when the file did not exist."""

    id: int
    path: str
    before: bytes | None
    after: bytes | None
    label: str
    group: str | None
    created_at: float
    undone: bool
    mode_before: int | None = None
    """Permission bits before the write (None: no file, or recorded without them)."""
    mode_after: int | None = None


class UndoJournal:
    """A persistent, transactional log of file writes that can be undone step by step."""

    def __init__(self, db_path: Path, *, keep: int = DEFAULT_KEEP) -> None:
        self.db_path = Path(db_path)
        self._keep = keep
        self._lock = threading.Lock()
        self._vacuum = False
        self.db_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError:
            self._move_aside()
            self._db = self._open()

    def record(
        self,
        path_rel: str,
        before: bytes | None,
        after: bytes | None,
        label: str,
        group: str | None = None,
        *,
        mode_before: int | None = None,
        mode_after: int | None = None,
    ) -> int:
        """Append a write (its bytes and permission bits before and after) and return its id;
        a new step prunes the old ones (see `_prune`)."""
        with self._transaction() as db:
            last = db.execute("SELECT grp FROM entries ORDER BY id DESC LIMIT 1").fetchone()
            new_step = group is None or last is None or last[0] != group
            cursor = db.execute(
                "INSERT INTO entries (path, before, after, label, grp, created_at, mode_before,"
                " mode_after) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    os.fsencode(path_rel), before, after, label, group, time.time(),
                    mode_before, mode_after,
                ),
            )  # fmt: skip
            entry_id = int(cursor.lastrowid or 0)
            if new_step:
                self._prune(db)
        return entry_id

    def _prune(self, db: sqlite3.Connection) -> None:
        """Drop the steps past the newest `keep`, and older ones past `KEEP_BYTES`; the file
        then gives the space back (incremental vacuum)."""
        steps = db.execute(
            "SELECT MIN(id), grp, SUM(COALESCE(length(before), 0) + COALESCE(length(after), 0))"
            " FROM entries GROUP BY COALESCE(grp, 'entry ' || id) ORDER BY MIN(id) DESC"
        ).fetchall()
        size = 0
        for kept, (first_id, group, step_bytes) in enumerate(steps, start=1):
            size += step_bytes or 0
            if kept > self._keep or (kept > 1 and size > KEEP_BYTES):
                db.execute(  # this step, whole, and every older one
                    "DELETE FROM entries WHERE id <= ? OR grp = ?", (first_id, group)
                )
                self._vacuum = True
                break

    def forget(self, entry_id: int) -> None:
        """Drop an entry whose write failed, so undo never replays a change that did not happen."""
        with self._transaction() as db:
            db.execute("DELETE FROM entries WHERE id = ?", (entry_id,))

    def entries(self, limit: int = 50) -> list[JournalEntry]:
        """The newest entries first, undone ones included (flagged)."""
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM entries ORDER BY id DESC LIMIT ?", (limit,)
            ).fetchall()
        return [_entry(row) for row in rows]

    def last_step(self) -> list[JournalEntry]:
        """The newest step not yet undone: one entry, or every live entry of its group."""
        with self._lock:
            return self._last_step(self._db)

    def mark_undone(self, entry_ids: list[int]) -> None:
        """Flag entries as undone once their inverse has been applied."""
        with self._transaction() as db:
            db.executemany("UPDATE entries SET undone = 1 WHERE id = ?", [(i,) for i in entry_ids])

    def undo_last_step(self) -> list[JournalEntry]:
        """Mark the newest step undone and return its entries, newest first (empty if none)."""
        with self._transaction() as db:
            step = self._last_step(db)
            db.executemany("UPDATE entries SET undone = 1 WHERE id = ?", [(e.id,) for e in step])
        return step

    def undo_last(self) -> JournalEntry | None:
        """Mark the newest step undone and return its newest entry.

        A grouped step is marked undone as a whole; use `undo_last_step` to get
        every entry of the group.
        """
        step = self.undo_last_step()
        return step[0] if step else None

    def close(self) -> None:
        """Close the database; the journal cannot be used afterwards."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> UndoJournal:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, isolation_level=None, check_same_thread=False)
        try:
            db.execute("PRAGMA busy_timeout = 5000")
            if db.execute("PRAGMA auto_vacuum").fetchone()[0] != INCREMENTAL:
                db.execute("PRAGMA auto_vacuum = INCREMENTAL")  # pruning gives space back
                db.execute("VACUUM")  # (once: an older journal is rewritten with it)
            db.execute("PRAGMA journal_mode = WAL")
            db.execute("PRAGMA synchronous = NORMAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise WorkspaceError(
                    f"The undo journal {self.db_path} was written by a newer aiide"
                    f" (schema {version}, this one reads {SCHEMA_VERSION})"
                )
            if version == 0:
                db.executescript(
                    f"BEGIN; {_SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
                )
            for older in range(version or SCHEMA_VERSION, SCHEMA_VERSION):
                db.executescript(
                    f"BEGIN; {_MIGRATIONS[older]} PRAGMA user_version = {older + 1}; COMMIT;"
                )
        except BaseException:
            db.close()
            raise
        return db

    def _move_aside(self) -> None:
        """Keep a corrupt journal for inspection and make room for a fresh one."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for suffix in ("", "-wal", "-shm"):
            old = Path(f"{self.db_path}{suffix}")
            if old.exists():
                old.replace(Path(f"{self.db_path}.corrupt-{stamp}{suffix}"))

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            if self._vacuum:
                self._vacuum = False
                self._db.executescript("PRAGMA incremental_vacuum;")  # execute() frees one page

    @staticmethod
    def _last_step(db: sqlite3.Connection) -> list[JournalEntry]:
        """The newest live entry and the live entries of its group just before it."""
        live = db.execute("SELECT id, grp FROM entries WHERE undone = 0 ORDER BY id DESC")
        first = live.fetchone()
        if first is None:
            return []
        ids = [first[0]]
        if first[1] is not None:
            for entry_id, group in live:
                if group != first[1]:
                    break
                ids.append(entry_id)
        live.close()
        marks = ", ".join("?" * len(ids))
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM entries WHERE id IN ({marks}) ORDER BY id DESC", ids
        ).fetchall()
        return [_entry(row) for row in rows]


def _entry(row: tuple) -> JournalEntry:
    entry_id, path, before, after, label, group, created_at, undone, *modes = row
    path = os.fsdecode(path)
    return JournalEntry(
        entry_id, path, before, after, label, group, created_at, bool(undone), *modes
    )
