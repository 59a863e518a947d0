"""What `aiide doctor` says about the code index: its size, and whether vectors can work."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from aiide_tui.index.store import DB_NAME, SCHEMA_VERSION

if TYPE_CHECKING:
    from aiide_tui.config import Config


def index_summary(state_dir: Path) -> str:
    """A line on the stored index, never creating or changing it."""
    path = Path(state_dir) / DB_NAME
    if not path.exists():
        return "not built yet (`aiide index` builds it; the app builds it on start)"
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            if db.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
                return "from another aiide version (rebuilt on next use)"
            files, chunks = db.execute(
                "SELECT (SELECT COUNT(*) FROM files WHERE skip IS NULL),"
                " (SELECT COUNT(*) FROM chunks)"
            ).fetchone()
        finally:
            db.close()
    except sqlite3.Error as error:
        return f"unreadable ({error}); delete {path} to rebuild it"
    return f"{files:,} files, {chunks:,} chunks"


def vectors_summary(config: Config) -> tuple[bool, str]:
    """(ok, line): whether the configured embedder answers (search works either way)."""
    from aiide_tui.index.project import embedder_from_config

    embedder = embedder_from_config(config)
    if embedder is None:
        return True, "vectors off ([index] vectors = false): full-text and graph search"
    try:
        problem = embedder.probe()
    finally:
        embedder.close()
    if problem is not None:
        return False, f"no embedder ({problem}): search uses full-text and graph only"
    return True, f"vectors from {embedder.name}"
