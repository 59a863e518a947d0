"""The audit store: every sandboxed run, who asked for it, and what it did.

SQLite in WAL mode under the project's state folder, schema-versioned with
`PRAGMA user_version`. A run is recorded when it starts and completed when it
ends, so a run cut short by a crash still shows up (as "running", then
"interrupted" once its process is gone). The file changes of the newest runs
are kept until applied, so any process (the app, after `aiide run`) can apply
them, once.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiide_tui.sandbox.errors import SandboxError
from aiide_tui.sandbox.workcopy import Changes
from aiide_tui.state import project_state_dir

AUDIT_NAME = "audit.sqlite"
SCHEMA_VERSION = 2
KEEP_CHANGES = 20
"""Runs whose changes stay ready to apply (the oldest are dropped first)."""
REQUESTERS = ("user", "chat", "agent")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at REAL NOT NULL,
    duration_s REAL,
    requester TEXT NOT NULL,
    backend TEXT NOT NULL,
    image TEXT NOT NULL,
    argv TEXT NOT NULL,
    limits TEXT NOT NULL,
    pid INTEGER NOT NULL,
    status TEXT NOT NULL,
    exit_code INTEGER,
    signal INTEGER,
    timed_out INTEGER NOT NULL DEFAULT 0,
    truncated INTEGER NOT NULL DEFAULT 0,
    stdout TEXT NOT NULL DEFAULT '',
    stderr TEXT NOT NULL DEFAULT '',
    diff TEXT NOT NULL DEFAULT '',
    error TEXT
);
CREATE INDEX IF NOT EXISTS runs_started ON runs (started_at);
CREATE TABLE IF NOT EXISTS changes (run_id INTEGER PRIMARY KEY, changes TEXT NOT NULL);
"""
_COLUMNS = (
    "id, started_at, duration_s, requester, backend, image, argv, limits, pid, status, "
    "exit_code, signal, timed_out, truncated, stdout, stderr, diff, error"
)


@dataclass(frozen=True)
class AuditRecord:
    """One run as recorded. `status`: running, finished, failed or interrupted."""

    id: int
    started_at: float
    duration_s: float | None
    requester: str
    backend: str
    image: str
    argv: tuple[str, ...]
    limits: Mapping[str, Any]
    pid: int
    status: str
    exit_code: int | None
    signal: int | None
    timed_out: bool
    truncated: bool
    stdout: str
    stderr: str
    diff: str
    error: str | None


class AuditStore:
    """The project's run log (thread-safe; one connection, every write one transaction)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=10)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._migrate()
        except sqlite3.DatabaseError as error:
            raise SandboxError(f"Cannot open the audit store {self.path}: {error}") from error

    @classmethod
    def for_project(cls, root: Path) -> AuditStore:
        return cls(project_state_dir(root) / AUDIT_NAME)

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise SandboxError(
                f"{self.path} was written by a newer aiide (schema {version}); upgrade aiide"
            )
        with self._db:
            self._db.executescript(_SCHEMA)
            self._db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    def start(
        self,
        *,
        argv: Sequence[str],
        requester: str,
        backend: str,
        image: str,
        limits: Mapping[str, Any],
    ) -> int:
        """Record a run that is starting; returns its id."""
        if requester not in REQUESTERS:
            raise SandboxError(f"Unknown requester {requester!r}: one of {', '.join(REQUESTERS)}")
        row = (
            time.time(),
            requester,
            backend,
            image,
            json.dumps(list(argv)),
            json.dumps(dict(limits)),
            os.getpid(),
            "running",
        )
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO runs (started_at, requester, backend, image, argv, limits, pid,"
                " status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                row,
            )
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    def finish(self, run_id: int, **fields: Any) -> None:
        """Complete a run: status, duration_s, exit_code, signal, timed_out, truncated,
        stdout, stderr, diff, error (any subset)."""
        allowed = set(_COLUMNS.split(", ")) - {"id", "started_at", "argv", "limits", "pid"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"unknown audit fields: {sorted(unknown)}")
        names = ", ".join(f"{name} = ?" for name in fields)
        with self._lock, self._db:
            self._db.execute(f"UPDATE runs SET {names} WHERE id = ?", (*fields.values(), run_id))

    def keep_changes(self, run_id: int, changes: Changes) -> None:
        """Keep a run's changes until they are applied (the newest `KEEP_CHANGES` runs')."""
        with self._lock, self._db:
            self._db.execute(
                "INSERT OR REPLACE INTO changes VALUES (?, ?)", (run_id, changes.to_json())
            )
            self._db.execute(
                "DELETE FROM changes WHERE run_id NOT IN"
                " (SELECT run_id FROM changes ORDER BY run_id DESC LIMIT ?)",
                (KEEP_CHANGES,),
            )

    def take_changes(self, run_id: int) -> Changes | None:
        """A run's kept changes, no longer kept: only one taker gets them (None: already
        applied, never any, or too old)."""
        with self._lock, self._db:
            row = self._db.execute(
                "DELETE FROM changes WHERE run_id = ? RETURNING changes", (run_id,)
            ).fetchall()
        return Changes.from_json(row[0][0]) if row else None

    def has_changes(self, run_id: int) -> bool:
        """Whether a run's changes wait to be applied."""
        row = self._db.execute("SELECT 1 FROM changes WHERE run_id = ?", (run_id,)).fetchone()
        return row is not None

    def waiting_changes(self, run_id: int) -> Changes | None:
        """A run's kept changes, left waiting (None: none wait)."""
        with self._lock:
            row = self._db.execute(
                "SELECT changes FROM changes WHERE run_id = ?", (run_id,)
            ).fetchone()
        return Changes.from_json(row[0]) if row else None

    def waiting_runs(self) -> set[int]:
        """The runs whose changes wait to be applied (one query for a whole list)."""
        return {run_id for (run_id,) in self._db.execute("SELECT run_id FROM changes")}

    def list(self, limit: int = 50) -> list[AuditRecord]:
        """The newest runs first."""
        self._mark_interrupted()
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM runs ORDER BY id DESC LIMIT ?", (limit,)
        ).fetchall()
        return [_record(row) for row in rows]

    def get(self, run_id: int) -> AuditRecord | None:
        self._mark_interrupted()
        row = self._db.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = ?", (run_id,)).fetchone()
        return _record(row) if row else None

    def _mark_interrupted(self) -> None:
        """Runs still "running" whose process is gone were cut short (kill -9, a crash)."""
        import psutil

        running = self._db.execute("SELECT id, pid FROM runs WHERE status = 'running'").fetchall()
        gone = [(run_id,) for run_id, pid in running if not psutil.pid_exists(pid)]
        if gone:
            with self._lock, self._db:
                self._db.executemany("UPDATE runs SET status = 'interrupted' WHERE id = ?", gone)

    def close(self) -> None:
        self._db.close()


def _record(row: tuple[Any, ...]) -> AuditRecord:
    values = list(row)
    values[6] = tuple(json.loads(values[6]))
    values[7] = json.loads(values[7])
    values[12] = bool(values[12])
    values[13] = bool(values[13])
    return AuditRecord(*values)
