"""Conversations, persisted per project: resumable, searchable, exportable to Markdown.

SQLite in WAL mode under the project's state folder (`chat.sqlite`),
schema-versioned with `PRAGMA user_version`, one transaction per write, so
a kill -9 loses at most the message being written. User messages keep the
text as it was sent (context included) beside what the user typed, so a
resumed conversation sends byte-identical history (and hits the model
server's prefix cache); reasoning is kept apart and never sent again.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiide_tui.errors import WorkspaceError

SCHEMA_VERSION = 1
DB_NAME = "chat.sqlite"
EXPORT_SLUG_MAX = 60
_SCHEMA = """
CREATE TABLE IF NOT EXISTS conversations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    created_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES conversations(id) ON DELETE CASCADE,
    role TEXT NOT NULL,
    content TEXT NOT NULL,
    sent TEXT,
    think TEXT NOT NULL DEFAULT '',
    context TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS messages_conversation ON messages (conversation_id, id);
CREATE TABLE IF NOT EXISTS offered_runs (run_id INTEGER PRIMARY KEY);
"""


class ChatStoreError(WorkspaceError):
    """The chat history database cannot be opened or written."""

    title = "Chat history error"


@dataclass(frozen=True)
class StoredMessage:
    id: int
    role: str
    content: str
    """What the user typed, or the answer without its reasoning."""
    sent: str | None
    """A user message as sent to the model (context included); None for answers."""
    think: str
    context: dict[str, Any] | None
    created_at: float


@dataclass(frozen=True)
class Conversation:
    id: int
    title: str
    created_at: float
    updated_at: float
    messages: int


class ChatStore:
    """One project's conversations."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.Error as error:
            raise ChatStoreError(f"Cannot open chat history {self.path}: {error}") from None

    @classmethod
    def for_project(cls, root: Path) -> ChatStore:
        from aiide_tui.state import project_state_dir

        return cls(project_state_dir(root) / DB_NAME)

    def _migrate(self) -> None:
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ChatStoreError(
                f"{self.path} was written by a newer aiide (schema {version}); upgrade aiide"
            )
        with self._lock:
            self._db.executescript(f"BEGIN;{_SCHEMA}PRAGMA user_version = {SCHEMA_VERSION};COMMIT;")

    def _tx(self) -> _Transaction:
        return _Transaction(self._db, self._lock)

    def offer_run(self, run_id: int) -> bool:
        """Note that sandbox run `run_id`'s output joined a question; False when it already
        had (in this process or another: the app, `aiide chat`), so it joins once."""
        with self._tx() as db:
            return (
                db.execute("INSERT OR IGNORE INTO offered_runs VALUES (?)", (run_id,)).rowcount == 1
            )

    def new_conversation(self, title: str = "") -> int:
        now = time.time()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO conversations(title, created_at, updated_at) VALUES (?, ?, ?)",
                (title, now, now),
            )
            return int(cursor.lastrowid or 0)

    def latest(self) -> int | None:
        row = self._db.execute("SELECT id FROM conversations ORDER BY updated_at DESC, id DESC")
        found = row.fetchone()
        return found[0] if found else None

    def add_message(
        self,
        conversation_id: int,
        role: str,
        content: str,
        *,
        sent: str | None = None,
        think: str = "",
        context: dict[str, Any] | None = None,
    ) -> int:
        now = time.time()
        with self._tx() as db:
            cursor = db.execute(
                "INSERT INTO messages(conversation_id, role, content, sent, think, context,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (conversation_id, role, content, sent, think, _dump(context), now),
            )
            title = content.strip().splitlines()[0][:80] if content.strip() else ""
            db.execute(
                "UPDATE conversations SET updated_at = ?,"
                " title = CASE WHEN title = '' AND ? = 'user' THEN ? ELSE title END WHERE id = ?",
                (now, role, title, conversation_id),
            )
            return int(cursor.lastrowid or 0)

    def remove_message(self, message_id: int) -> None:
        """Take back a message (a question no model answered); a conversation left empty
        gets its title back from whatever is asked next."""
        with self._tx() as db:
            row = db.execute(
                "DELETE FROM messages WHERE id = ? RETURNING conversation_id", (message_id,)
            ).fetchall()
            if row:
                db.execute(
                    "UPDATE conversations SET title = '' WHERE id = ? AND NOT EXISTS"
                    " (SELECT 1 FROM messages WHERE conversation_id = ?)",
                    (row[0][0], row[0][0]),
                )

    def conversation(self, conversation_id: int) -> Conversation | None:
        """One conversation with its message count, or None when there is no such id."""
        row = self._db.execute(
            "SELECT c.id, c.title, c.created_at, c.updated_at, COUNT(m.id) FROM conversations c"
            " LEFT JOIN messages m ON m.conversation_id = c.id WHERE c.id = ? GROUP BY c.id",
            (conversation_id,),
        ).fetchone()
        return Conversation(*row) if row else None

    def messages(self, conversation_id: int) -> list[StoredMessage]:
        rows = self._db.execute(
            "SELECT id, role, content, sent, think, context, created_at FROM messages"
            " WHERE conversation_id = ? ORDER BY id",
            (conversation_id,),
        )
        return [
            StoredMessage(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]) if r[5] else None, r[6])
            for r in rows
        ]

    def conversations(self, limit: int = 50) -> list[Conversation]:
        """The conversations that hold messages, newest first (a `/clear` just made one that
        is still empty: nothing to resume or export)."""
        rows = self._db.execute(
            "SELECT c.id, c.title, c.created_at, c.updated_at, COUNT(m.id) FROM conversations c"
            " JOIN messages m ON m.conversation_id = c.id GROUP BY c.id"
            " ORDER BY c.updated_at DESC, c.id DESC LIMIT ?",
            (limit,),
        )
        return [Conversation(*row) for row in rows]

    def search(self, text: str, limit: int = 50) -> list[tuple[int, int, str, str]]:
        """(conversation id, message id, role, excerpt) of messages containing `text`."""
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._db.execute(
            "SELECT conversation_id, id, role, content FROM messages"
            " WHERE content LIKE ? ESCAPE '\\' ORDER BY id DESC LIMIT ?",
            (pattern, limit),
        )
        return [(c, m, role, _excerpt(content, text)) for c, m, role, content in rows]

    def export_markdown(self, conversation_id: int) -> str:
        """The conversation as Markdown (reasoning folded in <details>)."""
        title = self._db.execute(
            "SELECT title FROM conversations WHERE id = ?", (conversation_id,)
        ).fetchone()
        lines = [f"# {title[0] if title and title[0] else 'Conversation'}\n"]
        for message in self.messages(conversation_id):
            lines.append(f"## {message.role.capitalize()}\n")
            if message.think:
                lines.append(
                    f"<details><summary>Reasoning</summary>\n\n{message.think}\n\n</details>\n"
                )
            lines.append(message.content.rstrip() + "\n")
        return "\n".join(lines)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def export_name(title: str, exists: Callable[[str], bool]) -> str:
    """A file name for a conversation's Markdown: its title as a slug, numbered if taken.

    "Why does add() fail?" gives `why-does-add-fail.md`, then `why-does-add-fail-2.md`.
    """
    slug = re.sub(r"[\W_]+", "-", title.lower())[:EXPORT_SLUG_MAX].strip("-")
    slug = slug or "conversation"
    name, number = f"{slug}.md", 1
    while exists(name):
        number += 1
        name = f"{slug}-{number}.md"
    return name


class _Transaction:
    def __init__(self, db: sqlite3.Connection, lock: threading.Lock) -> None:
        self.db = db
        self.lock = lock

    def __enter__(self) -> sqlite3.Connection:
        self.lock.acquire()
        self.db.execute("BEGIN IMMEDIATE")
        return self.db

    def __exit__(self, exc_type: object, *rest: object) -> None:
        try:
            self.db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self.lock.release()


def _dump(value: dict[str, Any] | None) -> str | None:
    return None if value is None else json.dumps(value)


def _excerpt(content: str, text: str, width: int = 60) -> str:
    """`text` in `content` with about `width` characters each side, cut between words
    (`…` where the message goes on)."""
    at = content.lower().find(text.lower())
    start, end = max(0, at - width), min(len(content), at + len(text) + width)
    while 0 < start < at and not content[start - 1].isspace():
        start += 1
    while at + len(text) < end < len(content) and not content[end].isspace():
        end -= 1
    shown = content[start:end].strip().replace("\n", " ")
    return ("…" if start > 0 else "") + shown + ("…" if end < len(content) else "")
