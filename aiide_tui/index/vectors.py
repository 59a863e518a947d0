"""Chunk vectors in chromadb, keyed by content hash so nothing is embedded twice.

The collection is always opened with `embedding_function=None` and given
embeddings we computed (otherwise chromadb fetches a model from the network).
Embedded (default) or a Chroma server (`chroma run`) for teams. Which hashes
are stored is mirrored in the index's `vectors` table, so finding what is
left to embed is one SQL query; a change of model empties both.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Collection
from pathlib import Path
from urllib.parse import urlsplit

from aiide_tui.index.embedder import ASK_TIMEOUT_S, Embedder, EmbedderError
from aiide_tui.index.store import IndexStore

BATCH = 64


class VectorIndex:
    """One chromadb collection of chunk embeddings for one embedding model."""

    def __init__(self, model: str, *, path: Path | None = None, url: str | None = None) -> None:
        import chromadb

        if url:
            parts = urlsplit(url)
            self.client = chromadb.HttpClient(
                host=parts.hostname or "127.0.0.1", port=parts.port or 8000,
                ssl=parts.scheme == "https",
            )  # fmt: skip
        else:
            assert path is not None, "an embedded store needs a path"
            self.client = chromadb.PersistentClient(path=str(path))
        name = "chunks-" + re.sub(r"[^A-Za-z0-9_-]+", "-", model).strip("-")[:50]
        self.collection = self.client.get_or_create_collection(
            name, embedding_function=None, metadata={"hnsw:space": "cosine"}
        )

    def add(self, hashes: list[str], embeddings: list[list[float]]) -> None:
        if hashes:
            self.collection.upsert(ids=hashes, embeddings=embeddings)

    def query(self, embedding: list[float], k: int) -> list[str]:
        """Content hashes of the `k` nearest chunks."""
        count = self.collection.count()
        if count == 0:
            return []
        found = self.collection.query(
            query_embeddings=[embedding], n_results=min(k, count), include=[]
        )
        return list(found["ids"][0])

    def count(self) -> int:
        return self.collection.count()

    def delete(self, hashes: list[str]) -> None:
        for start in range(0, len(hashes), 500):
            self.collection.delete(ids=hashes[start : start + 500])


def fill_vectors(
    store: IndexStore,
    vectors: VectorIndex,
    embedder: Embedder,
    *,
    cancel: threading.Event | None = None,
    prefer: Callable[[], Collection[str]] | None = None,
) -> int:
    """Embed every chunk whose content hash has no vector yet; returns how many were added.

    Each batch takes the chunks of the files in `prefer()` (those in view) first,
    then the most recently modified files: on a CPU embedder a full fill takes
    long, and what the user is working on should improve first.
    """
    _reset_on_model_change(store, embedder.name)
    prune_vectors(store, vectors)
    added = 0
    while cancel is None or not cancel.is_set():
        rows = _next_batch(store, list(prefer() if prefer else ()))
        if not rows:
            break
        texts = [
            f"{path}\n{symbol}\n{header}\n{text}"[:8000] for _, path, symbol, header, text in rows
        ]
        embeddings = embedder.embed(texts)
        hashes = [row[0] for row in rows]
        vectors.add(hashes, embeddings)
        with store.transaction() as db:
            db.executemany("INSERT OR IGNORE INTO vectors(hash) VALUES (?)", [(h,) for h in hashes])
        added += len(hashes)
    return added


def _next_batch(store: IndexStore, preferred: list[str]) -> list[tuple[str, str, str, str, str]]:
    """The next chunks to embed: of the preferred files in their order (the active tab
    first), then of the most recently modified files. Files are ranked first (a few
    thousand rows), so each batch does not sort every chunk still waiting."""
    preferred = preferred[:200]
    ranks = " ".join(f"WHEN ? THEN {rank}" for rank in range(len(preferred)))
    rank = f"CASE f.path {ranks} ELSE {len(preferred)} END" if preferred else "1"
    waiting = "c.hash NOT IN (SELECT hash FROM vectors)"
    return (
        store.read()
        .execute(
            "SELECT c.hash, f.path, c.symbol, c.header, c.text FROM chunks c"
            f" JOIN files f ON f.id = c.file_id WHERE {waiting} AND c.file_id IN ("
            " SELECT f.id FROM files f WHERE EXISTS (SELECT 1 FROM chunks c"
            f" WHERE c.file_id = f.id AND {waiting})"
            f" ORDER BY {rank} + 0, f.mtime_ns DESC LIMIT ?)"
            f" GROUP BY c.hash ORDER BY MIN({rank}), MAX(f.mtime_ns) DESC, MIN(c.id) LIMIT ?",
            (*preferred, BATCH, *preferred, BATCH),
        )
        .fetchall()
    )


def prune_vectors(store: IndexStore, vectors: VectorIndex) -> int:
    """Drop the vectors of content no chunk has any more (edited or deleted code)."""
    stale = [
        row[0]
        for row in store.read().execute(
            "SELECT hash FROM vectors WHERE hash NOT IN (SELECT hash FROM chunks)"
        )
    ]
    if stale:
        vectors.delete(stale)
        with store.transaction() as db:
            db.executemany("DELETE FROM vectors WHERE hash = ?", [(h,) for h in stale])
    return len(stale)


def vector_search(vectors: VectorIndex, embedder: Embedder):
    """A `Searcher` vector signal: empty (never an error) when the embedder is down."""

    def search(query: str, limit: int) -> list[str]:
        try:
            embedding = embedder.embed([query], timeout_s=ASK_TIMEOUT_S)[0]
        except EmbedderError:
            return []
        return vectors.query(embedding, limit)

    return search


def _reset_on_model_change(store: IndexStore, model: str) -> None:
    row = store.read().execute("SELECT value FROM meta WHERE key='vector_model'").fetchone()
    if row is not None and row[0] == model:
        return
    with store.transaction() as db:
        db.execute("DELETE FROM vectors")
        db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES ('vector_model', ?)", (model,))
