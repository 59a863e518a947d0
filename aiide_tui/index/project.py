"""`CodeIndex`: one project's index, the API that services, chat, agent and completion use.

It owns the store (under the project's state folder), the indexer, the
symbol graph, search and the repo map, and, when an embedder answers, the
vector store that is filled in the background after full-text and graph are
ready: search works at once and improves as embeddings arrive.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiide_tui.index.admission import Limits
from aiide_tui.index.graph import Reference, Symbol, SymbolGraph
from aiide_tui.index.indexer import Indexer, IndexReport, ProgressCallback
from aiide_tui.index.repomap import RepoMap
from aiide_tui.index.search import SIGNALS, Searcher, SearchResult
from aiide_tui.index.store import DB_NAME, IndexStore

if TYPE_CHECKING:
    from aiide_tui.config import Config
    from aiide_tui.index.embedder import Embedder
    from aiide_tui.index.vectors import VectorIndex

DEFAULT_EMBED_MODEL = "nomic-embed-text"


class CodeIndex:
    """Index, search, graph and map for the project at `root`."""

    def __init__(
        self,
        root: Path,
        *,
        state_dir: Path | None = None,
        limits: Limits | None = None,
        workers: int = 2,
    ) -> None:
        from aiide_tui.state import project_state_dir

        self.root = Path(root).resolve()
        self.state_dir = Path(state_dir) if state_dir else project_state_dir(self.root)
        self.state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.store = IndexStore(self.state_dir / DB_NAME)
        self.store.build_lookup_indexes()  # a cold pass killed after it dropped them
        self.indexer = Indexer(self.root, self.store, limits=limits, workers=workers)
        self.graph = SymbolGraph(self.store)
        self.searcher = Searcher(self.store)
        self.repomap = RepoMap(self.store)
        self.embedder: Embedder | None = None
        self.vectors: VectorIndex | None = None
        self.vector_state = "off (no embedder configured)"
        self.focus_files: tuple[str, ...] = ()
        """Root-relative files in view: their chunks are embedded first."""

    @classmethod
    def from_config(cls, root: Path, config: Config) -> CodeIndex:
        settings = config.index
        limits = Limits(settings.max_file_bytes, settings.max_line_chars)
        return cls(root, limits=limits, workers=settings.workers)

    # -- indexing ----------------------------------------------------------------------

    def index(
        self, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
    ) -> IndexReport:
        """Bring the whole index up to date (only changed files are parsed)."""
        return self.indexer.index_all(progress, cancel)

    def update(self, changed: Iterable[str], deleted: Iterable[str] = ()) -> IndexReport:
        """Re-index just these files (root-relative) and forget the deleted ones."""
        return self.indexer.update(changed, deleted)

    def explain(self) -> list[tuple[str, str]]:
        """(path, reason) for every file left out of the index."""
        return self.indexer.skipped()

    def is_empty(self) -> bool:
        return self.store.read().execute("SELECT COUNT(*) FROM files").fetchone()[0] == 0

    # -- questions ---------------------------------------------------------------------

    def search(
        self, query: str, k: int = 10, *, signals: Sequence[str] = SIGNALS
    ) -> list[SearchResult]:
        """The `k` best chunks for a question or identifiers, each with its score parts."""
        return self.searcher.search(query, k, signals=signals)

    def repo_map(
        self,
        tokens: int = 1024,
        *,
        focus_files: Iterable[str] = (),
        focus_names: Iterable[str] = (),
        exclude_files: Iterable[str] = (),
    ) -> str:
        """The most important definitions, personalised to what is in play, within `tokens`."""
        return self.repomap.render(
            tokens, focus_files=focus_files, focus_names=focus_names, exclude_files=exclude_files
        )

    def definitions(self, name: str, near: str | None = None) -> list[Symbol]:
        return self.graph.definitions(name, near=near)

    def references(self, name: str) -> list[Reference]:
        return self.graph.references(name)

    def callers(self, name: str, depth: int = 1) -> list[Symbol]:
        return self.graph.callers(name, depth)

    def callees(self, name: str, depth: int = 1) -> list[Symbol]:
        return self.graph.callees(name, depth)

    def dependents(self, path: str) -> list[str]:
        return self.graph.dependents(path)

    def dependencies(self, path: str) -> list[str]:
        return self.graph.dependencies(path)

    def imports_of(self, path: str) -> list[str]:
        return self.graph.imports_of(path)

    def status(self) -> dict[str, Any]:
        """Counts and the state of vectors, for the status bar, `aiide doctor` and the service."""
        db = self.store.read()

        def count(sql: str) -> int:
            return db.execute(sql).fetchone()[0]

        return {
            "root": str(self.root),
            "files": count("SELECT COUNT(*) FROM files WHERE skip IS NULL"),
            "skipped": count("SELECT COUNT(*) FROM files WHERE skip IS NOT NULL"),
            "chunks": count("SELECT COUNT(*) FROM chunks"),
            "symbols": count("SELECT COUNT(*) FROM symbols"),
            "edges": count("SELECT COUNT(*) FROM edges"),
            "pending": count("SELECT COUNT(*) FROM pending"),
            "embedded": count("SELECT COUNT(*) FROM vectors"),
            "vectors": self.vector_state,
        }

    # -- vectors -----------------------------------------------------------------------

    def attach_vectors(self, embedder: Embedder, *, chroma_url: str = "") -> bool:
        """Use `embedder` and a chromadb store when the embedder answers; False (and why in
        `vector_state`) when not, and search keeps full-text and graph."""
        from aiide_tui.index.vectors import VectorIndex, vector_search

        problem = embedder.probe()
        if problem is not None:
            self.vector_state = f"off ({problem})"
            return False
        path = None if chroma_url else self.state_dir / "chroma"
        self.vectors = VectorIndex(embedder.model, path=path, url=chroma_url or None)
        self.embedder = embedder
        self.searcher.vectors = vector_search(self.vectors, embedder)
        self.vector_state = f"on ({embedder.name})"
        return True

    def fill_vectors(self, cancel: threading.Event | None = None) -> int:
        """Embed the chunks that have no vector yet (call after `index`, in the background)."""
        from aiide_tui.index.embedder import EmbedderError
        from aiide_tui.index.vectors import fill_vectors

        if self.vectors is None or self.embedder is None:
            return 0
        try:
            return fill_vectors(
                self.store, self.vectors, self.embedder, cancel=cancel,
                prefer=lambda: self.focus_files,
            )  # fmt: skip
        except EmbedderError as error:
            self.vector_state = f"paused ({error.message})"
            return 0

    def close(self) -> None:
        self.indexer.close()
        if self.embedder is not None:
            self.embedder.close()
        self.store.close()


def embedder_from_config(config: Config) -> Embedder | None:
    """The embedder `[models.embed]` names (Ollama's nomic-embed-text by default), or None
    when `[index] vectors` is off."""
    import os

    from aiide_tui.index.embedder import Embedder

    if not config.index.vectors:
        return None
    role = config.models.embed
    provider = role.provider or "ollama"
    if provider == "local":
        from aiide_tui.llm.onnx_embedder import OnnxEmbedder

        return OnnxEmbedder()
    base_url = role.base_url or config.models.ollama_host
    api_key = os.environ.get(role.api_key_env) if role.api_key_env else None
    return Embedder(base_url, role.model or DEFAULT_EMBED_MODEL, api=provider, api_key=api_key)
