"""The index service: code search, the symbol graph and the repo map, served over the bus.

Index work runs in threads (parsing itself in processes), so the bus and the
UI never wait on it. `index/index` reports progress as `index/progress`
notifications; `index/watch` keeps the index fresh until cancelled, sending
`index/updated` after each batch. Vectors are attached and filled in the
background after the first full pass and again after every update (one
thread, woken by each): search answers at once and improves as embeddings
arrive. `index/focus` names the files in view, whose chunks are embedded first.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import sqlite3
import threading
from dataclasses import asdict
from typing import Any

from aiide_tui.bus import BusError, NamedParams, RequestContext, Router
from aiide_tui.index.project import CodeIndex


class IndexService:
    """Expose a `CodeIndex` as `index/*` bus methods."""

    def __init__(
        self, index: CodeIndex, *, embedder: Any = None, chroma_url: str = "", debounce_ms: int = 50
    ) -> None:
        self.index = index
        self.embedder = embedder
        self.chroma_url = chroma_url
        self.debounce_ms = debounce_ms
        self._indexed = asyncio.Event()
        self._vector_thread: threading.Thread | None = None
        self._vectors_wanted = threading.Event()
        self._cancel = threading.Event()

    def register(self, router: Router) -> None:
        methods = {
            "index/index": self.run_index,
            "index/reindex": self.reindex,
            "index/status": self.status,
            "index/search": self.search,
            "index/map": self.repo_map,
            "index/definitions": self.definitions,
            "index/references": self.references,
            "index/callers": self.callers,
            "index/callees": self.callees,
            "index/dependents": self.dependents,
            "index/imports_of": self.imports_of,
            "index/explain": self.explain,
            "index/watch": self.watch,
            "index/focus": self.focus,
        }
        for name, handler in methods.items():
            router.method(name, endless=name == "index/watch")(handler)

    async def run_index(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """A full pass with `index/progress` notifications; then vectors in the background."""
        loop = asyncio.get_running_loop()

        async def send(payload: dict[str, Any]) -> None:
            with contextlib.suppress(BusError):  # the client left; the pass goes on
                await ctx.notify("index/progress", payload)

        def progress(step) -> None:
            payload = asdict(step)
            loop.call_soon_threadsafe(lambda: loop.create_task(send(payload)))

        report = await asyncio.to_thread(self.index.index, progress)
        await asyncio.to_thread(importlib.import_module, "numpy")  # see below
        self._indexed.set()
        self._start_vectors()  # these two threads both import numpy: imported once first,
        # as two threads importing it at once left one with a half-made module (ImportError)
        asyncio.get_running_loop().run_in_executor(None, self._warm_repo_map)
        return asdict(report)

    def _warm_repo_map(self) -> None:
        """Build the repo map's graph (cached per index state) now, not on the first question."""
        with contextlib.suppress(sqlite3.Error):  # the index closed meanwhile: nothing to warm
            self.index.repo_map(64)

    async def reindex(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """Re-index `paths` (and forget `deleted`); with neither, a full pass."""
        paths, deleted = params.texts("paths", None), params.texts("deleted", None)
        if not paths and not deleted:
            return await self.run_index(params, ctx)
        report = await asyncio.to_thread(self.index.update, paths or [], deleted or [])
        self._start_vectors()
        return asdict(report)

    async def focus(self, params: NamedParams, ctx: RequestContext) -> None:
        """The files in view (root-relative): their chunks get vectors first."""
        self.index.focus_files = tuple(params.texts("paths", []))

    async def status(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        return await asyncio.to_thread(self.index.status)

    async def search(self, params: NamedParams, ctx: RequestContext) -> list[dict[str, Any]]:
        k = params.whole("k", 10, minimum=1)
        await self._ensure_indexed(ctx)
        results = await asyncio.to_thread(self.index.search, params.text("query"), k)
        return [result.to_json() for result in results]

    async def repo_map(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        await self._ensure_indexed(ctx)
        text = await asyncio.to_thread(
            self.index.repo_map,
            params.whole("tokens", 1024, minimum=1),
            focus_files=params.texts("focus_files", []),
            focus_names=params.texts("focus_names", []),
            exclude_files=params.texts("exclude_files", []),
        )
        return {"text": text}

    async def definitions(self, params: NamedParams, ctx: RequestContext) -> list[dict[str, Any]]:
        found = await asyncio.to_thread(
            self.index.definitions, params.text("name"), params.text("near", None)
        )
        return [asdict(symbol) for symbol in found]

    async def references(self, params: NamedParams, ctx: RequestContext) -> list[dict[str, Any]]:
        found = await asyncio.to_thread(self.index.references, params.text("name"))
        return [asdict(reference) for reference in found]

    async def callers(self, params: NamedParams, ctx: RequestContext) -> list[dict[str, Any]]:
        depth = params.whole("depth", 1, minimum=1)
        found = await asyncio.to_thread(self.index.callers, params.text("name"), depth)
        return [asdict(symbol) for symbol in found]

    async def callees(self, params: NamedParams, ctx: RequestContext) -> list[dict[str, Any]]:
        depth = params.whole("depth", 1, minimum=1)
        found = await asyncio.to_thread(self.index.callees, params.text("name"), depth)
        return [asdict(symbol) for symbol in found]

    async def dependents(self, params: NamedParams, ctx: RequestContext) -> list[str]:
        return await asyncio.to_thread(self.index.dependents, params.text("path"))

    async def imports_of(self, params: NamedParams, ctx: RequestContext) -> list[str]:
        return await asyncio.to_thread(self.index.imports_of, params.text("path"))

    async def explain(self, params: NamedParams, ctx: RequestContext) -> list[list[str]]:
        return [list(item) for item in await asyncio.to_thread(self.index.explain)]

    async def watch(self, params: NamedParams, ctx: RequestContext) -> None:
        """Keep the index fresh, sending `index/updated` per batch, until cancelled."""
        from aiide_tui.index.freshness import keep_fresh

        async def updated(report, batch) -> None:
            payload = {**asdict(report), "changes": sorted([kind, path] for kind, path in batch)}
            await ctx.notify("index/updated", payload)
            self._start_vectors()

        await self._ensure_indexed(ctx)
        await keep_fresh(self.index, debounce_ms=self.debounce_ms, on_update=updated)

    async def _ensure_indexed(self, ctx: RequestContext) -> None:
        if not self._indexed.is_set():
            await self.run_index({}, ctx)

    def _start_vectors(self) -> None:
        """Wake the vector thread (started on first use); it embeds whatever has no vector."""
        if self.embedder is None:
            return
        self._vectors_wanted.set()
        if self._vector_thread is None:
            self._vector_thread = threading.Thread(
                target=self._fill_vectors, name="index-vectors", daemon=True
            )
            self._vector_thread.start()

    def _fill_vectors(self) -> None:
        while True:
            self._vectors_wanted.wait()
            if self._cancel.is_set():
                return
            self._vectors_wanted.clear()
            if self.index.vectors is None and not self.index.attach_vectors(
                self.embedder, chroma_url=self.chroma_url
            ):
                continue  # the embedder is down: the next update tries again
            self.index.fill_vectors(self._cancel)

    def close(self) -> None:
        """Stop filling vectors and release the index."""
        self._cancel.set()
        self._vectors_wanted.set()
        if self._vector_thread is not None:
            self._vector_thread.join(timeout=10)
        self.index.close()
