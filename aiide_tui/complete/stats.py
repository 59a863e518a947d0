"""Local figures about suggestions, for the user only (`aiide stats`); never sent anywhere.

Counts are kept per day and model, latencies as a bounded list of recent
ones, in the project's state folder. Events gather in memory and are written
in one transaction by `flush` (run in a thread), so recording one costs
nothing on the keystroke's path.
"""

from __future__ import annotations

import contextlib
import logging
import math
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

FILE_NAME = "completion-stats.sqlite"
SCHEMA_VERSION = 1
LATENCIES_KEPT = 5000


@dataclass(frozen=True)
class Summary:
    """The figures `aiide stats` prints."""

    shown: int = 0
    accepted: int = 0
    chars_accepted: int = 0
    from_cache: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.shown if self.shown else 0.0

    @classmethod
    def combine(cls, summaries: Iterable[Summary], latencies: list[float]) -> Summary:
        items = list(summaries)
        return cls(
            shown=sum(item.shown for item in items),
            accepted=sum(item.accepted for item in items),
            chars_accepted=sum(item.chars_accepted for item in items),
            from_cache=sum(item.from_cache for item in items),
            latency_p50_ms=percentile(latencies, 50),
            latency_p95_ms=percentile(latencies, 95),
        )


def percentile(values: list[float], rank: float) -> float | None:
    """The `rank`th percentile (nearest rank) of `values`; None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, math.ceil(rank / 100 * len(ordered)) - 1))
    return ordered[index]


class CompletionStats:
    """Record suggestions shown and accepted; read the totals back."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._counts: list[tuple[str, str, int, int, int, int]] = []
        self._latencies: list[tuple[float, str, float]] = []
        self._lock = threading.Lock()

    def shown(self, model: str, *, latency_ms: float, from_cache: bool) -> None:
        with self._lock:
            self._counts.append((_today(), model, 1, 0, 0, int(from_cache)))
            if not from_cache:
                self._latencies.append((time.time(), model, latency_ms))

    def accepted(self, model: str, chars: int, *, first: bool) -> None:
        """`chars` of a suggestion were inserted; `first`: its first acceptance (counted once)."""
        with self._lock:
            self._counts.append((_today(), model, 0, int(first), chars, 0))

    def flush(self) -> None:
        """Write the recorded events (blocking: run it in a thread)."""
        with self._lock:
            counts, self._counts = self._counts, []
            latencies, self._latencies = self._latencies, []
        if self.path is None or not (counts or latencies):
            return
        try:
            with _session(self.path) as db:
                db.executemany(
                    "INSERT INTO daily VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (day, model) DO "
                    "UPDATE SET shown = shown + excluded.shown, accepted = accepted + "
                    "excluded.accepted, chars = chars + excluded.chars, "
                    "cached = cached + excluded.cached",
                    counts,
                )
                db.executemany("INSERT INTO latencies VALUES (?, ?, ?)", latencies)
                db.execute(
                    "DELETE FROM latencies WHERE rowid NOT IN "
                    "(SELECT rowid FROM latencies ORDER BY at DESC LIMIT ?)",
                    (LATENCIES_KEPT,),
                )
        except sqlite3.Error as error:
            logger.warning("completion figures not saved: %s", error)

    def summary(self) -> Summary:
        """Totals over everything recorded (flushes first)."""
        self.flush()
        return read_summaries([self.path] if self.path else [])


def read_summaries(paths: Iterable[Path]) -> Summary:
    """Totals over the stats files at `paths` (missing or unreadable ones count as empty)."""
    parts: list[Summary] = []
    latencies: list[float] = []
    for path in paths:
        if not path.exists():
            continue
        try:
            with _session(path) as db:
                row = db.execute(
                    "SELECT total(shown), total(accepted), total(chars), total(cached) FROM daily"
                ).fetchone()
                latencies += [ms for (ms,) in db.execute("SELECT ms FROM latencies")]
        except sqlite3.Error as error:
            logger.warning("cannot read %s: %s", path, error)
            continue
        shown, accepted, chars, cached = (int(value) for value in row)
        parts.append(Summary(shown, accepted, chars, cached))
    return Summary.combine(parts, latencies)


def _today() -> str:
    return time.strftime("%Y-%m-%d")


@contextlib.contextmanager
def _session(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection for one transaction: committed on success, always closed."""
    db = _connect(path)
    try:
        with db:
            yield db
    finally:
        db.close()


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
        db.execute("DROP TABLE IF EXISTS daily")
        db.execute("DROP TABLE IF EXISTS latencies")
        db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    db.execute(
        "CREATE TABLE IF NOT EXISTS daily (day TEXT, model TEXT, shown INTEGER, "
        "accepted INTEGER, chars INTEGER, cached INTEGER, PRIMARY KEY (day, model))"
    )
    db.execute("CREATE TABLE IF NOT EXISTS latencies (at REAL, model TEXT, ms REAL)")
    return db
