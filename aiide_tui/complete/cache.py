"""Suggestions already paid for, kept in memory and in the project's state folder.

Keyed by (model, end of the prefix, start of the suffix). A lookup also finds a
suggestion made a few keystrokes ago when what was typed since is its start
(longest prefix first): typing `ret` into a suggested `return x` costs no
request. The SQLite copy lets warm suggestions survive a restart; it is a
cache, so a corrupt or outdated file is rebuilt, never an error.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections import OrderedDict
from pathlib import Path

logger = logging.getLogger(__name__)

SCHEMA_VERSION = 1
"""Bump when keys or texts change meaning: older files are then emptied."""
FILE_NAME = "completions.sqlite"
PREFIX_TAIL = 256
"""Characters of prefix in a key: enough to tell places apart, cheap to hash."""
SUFFIX_HEAD = 128
TYPED_AHEAD = 64
"""How many characters typed since a suggestion a lookup looks back over."""
DEFAULT_CAPACITY = 2000

Key = tuple[str, str, str]


class CompletionCache:
    """An LRU of suggestions with longest-prefix lookup, persisted when given a path."""

    def __init__(self, path: Path | None = None, *, capacity: int = DEFAULT_CAPACITY) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[Key, str] = OrderedDict()
        self._pending: list[tuple[Key, str, float]] = []
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            self._db = _open(path)
            if self._db is not None:
                self._load()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, model: str, prefix: str, suffix: str) -> str | None:
        """The rest of a cached suggestion that what was typed since has not used up."""
        head = suffix[:SUFFIX_HEAD]
        for typed in range(min(TYPED_AHEAD, len(prefix)) + 1):
            base = prefix[: len(prefix) - typed]
            key = (model, head, base[-PREFIX_TAIL:])
            text = self._entries.get(key)
            if text is None:
                continue
            since = prefix[len(prefix) - typed :]
            if len(text) > typed and text.startswith(since):
                self._entries.move_to_end(key)
                return text[typed:]
        return None

    def put(self, model: str, prefix: str, suffix: str, text: str) -> None:
        """Remember `text` as the suggestion between `prefix` and `suffix`."""
        if not text:
            return
        key = (model, suffix[:SUFFIX_HEAD], prefix[-PREFIX_TAIL:])
        self._entries[key] = text
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)
        if self._db is not None:
            with self._lock:
                self._pending.append((key, text, time.time()))

    def flush(self) -> None:
        """Write what `put` added since the last flush (blocking: run it in a thread)."""
        with self._lock:
            pending, self._pending = self._pending, []
            if self._db is None or not pending:
                return
            try:
                with self._db:
                    self._db.executemany(
                        "INSERT OR REPLACE INTO entries VALUES (?, ?, ?, ?, ?)",
                        [(*key, text, used) for key, text, used in pending],
                    )
                    self._db.execute(
                        "DELETE FROM entries WHERE rowid NOT IN "
                        "(SELECT rowid FROM entries ORDER BY used DESC LIMIT ?)",
                        (self.capacity,),
                    )
            except sqlite3.Error as error:
                logger.warning("completion cache not saved: %s", error)

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    def _load(self) -> None:
        assert self._db is not None
        rows = self._db.execute(
            "SELECT model, suffix_head, prefix_tail, text FROM entries ORDER BY used DESC LIMIT ?",
            (self.capacity,),
        ).fetchall()
        for model, head, tail, text in reversed(rows):
            self._entries[(model, head, tail)] = text


def _open(path: Path) -> sqlite3.Connection | None:
    """The cache file ready for use; rebuilt when corrupt or old; None when impossible."""
    for attempt in range(2):
        try:
            return _connect(path)
        except sqlite3.DatabaseError as error:
            logger.warning("completion cache %s unusable (%s); starting afresh", path, error)
            if attempt == 0:
                for suffix in ("", "-wal", "-shm"):
                    Path(f"{path}{suffix}").unlink(missing_ok=True)
    return None


def _connect(path: Path) -> sqlite3.Connection:
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    try:
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            db.execute("DROP TABLE IF EXISTS entries")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        db.execute(
            "CREATE TABLE IF NOT EXISTS entries (model TEXT, suffix_head TEXT, "
            "prefix_tail TEXT, text TEXT, used REAL, "
            "PRIMARY KEY (model, suffix_head, prefix_tail))"
        )
        db.execute("SELECT count(*) FROM entries").fetchone()
    except sqlite3.DatabaseError:
        db.close()
        raise
    db.isolation_level = ""
    return db
