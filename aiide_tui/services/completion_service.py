"""The completion service: fill-in-the-middle suggestions served over the bus.

`complete/request` runs the engine for one keystroke; the editor's screen
cancels it (`$/cancelRequest`, which the bus turns into task cancellation)
when the user types on, which cancels the debounce wait or closes the model
stream. Whether a model request is in flight, and the last error, go to every
connected client as `complete/state` notifications, for the status bar.

The engine (with its provider, which imports a client library, and its cache
file) is built on the first request, in a thread, so neither start-up nor
typing pays for it on the UI's loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from pathlib import Path
from typing import Any

from aiide_tui.bus import Endpoint, InvalidParams, NamedParams, RequestContext, Router
from aiide_tui.complete import cache as cache_module
from aiide_tui.complete import stats as stats_module
from aiide_tui.complete.context import SnippetSource
from aiide_tui.complete.engine import CompletionEngine, EngineState
from aiide_tui.complete.request import CompletionRequest
from aiide_tui.config import Config
from aiide_tui.errors import AiideError


class CompletionService:
    """Expose a `CompletionEngine` as `complete/*` bus methods."""

    def __init__(
        self,
        root: Path,
        config: Config,
        state_dir: Path,
        *,
        snippets: SnippetSource | None = None,
    ) -> None:
        self.root = root
        self.config = config
        self.state_dir = state_dir
        self._snippets = snippets
        self._engine: CompletionEngine | None = None
        self._starting = asyncio.Lock()
        self._clients: set[Endpoint] = set()
        self._error: str | None = None
        """Why the engine could not be built (bad role config), shown as its state."""
        self._notifying: set[asyncio.Task[None]] = set()
        self._warming: asyncio.Task[None] | None = None

    def register(self, router: Router) -> None:
        methods = {
            "complete/request": self.request,
            "complete/accepted": self.accepted,
            "complete/state": self.state,
            "complete/stats": self.stats,
        }
        for name, handler in methods.items():
            router.method(name)(handler)

    async def request(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any] | None:
        """A suggestion for `CompletionRequest` params, or None.

        Raises:
            InvalidParams: `path`, `prefix` or `suffix` is missing.
        """
        self._clients.add(ctx.endpoint)
        for name in ("path", "prefix", "suffix"):
            params.text(name)  # named in the error when missing or not text
        try:
            request = CompletionRequest.from_params(params)
        except TypeError as error:
            raise InvalidParams(f"complete/request: {error}") from None
        if not self.config.complete.enabled:
            return None
        engine = await self._engine_or_none()
        if engine is None:
            return None
        completion = await engine.complete(request)
        return completion.to_result() if completion else None

    async def accepted(self, params: NamedParams, ctx: RequestContext) -> None:
        """`{id, chars, kind}`: the user inserted `chars` characters of suggestion `id`."""
        suggestion, chars = params.text("id"), params.whole("chars", 0, minimum=0)
        if self._engine is not None:
            self._engine.accepted(suggestion, chars)

    async def state(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """The model, whether a request is in flight, the last error, whether enabled.

        The first call also starts the engine in the background (the provider's
        client, the cache file, a first question to the server), so the first
        suggestion is as quick as the rest; its outcome arrives as `complete/state`.
        """
        self._clients.add(ctx.endpoint)
        if self._engine is None and self._warming is None and self.config.complete.enabled:
            self._warming = asyncio.get_running_loop().create_task(self._warm())
        return self._state_params(self._current_state())

    async def _warm(self) -> None:
        engine = await self._engine_or_none()
        if engine is not None:
            await engine.warm()

    async def stats(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """This project's figures (as `aiide stats` prints them)."""
        if self._engine is not None:
            summary = await asyncio.to_thread(self._engine.stats.summary)
        else:
            path = self.state_dir / stats_module.FILE_NAME
            summary = await asyncio.to_thread(stats_module.read_summaries, [path])
        return {**asdict(summary), "acceptance_rate": summary.acceptance_rate}

    def set_snippet_source(self, source: SnippetSource | None) -> None:
        """Use `source` for cross-file snippets from now on (the index, once it is built)."""
        self._snippets = source
        if self._engine is not None:
            self._engine.snippets = source

    async def aclose(self) -> None:
        """Write the cache and figures and close the model connection."""
        if self._warming is not None:
            self._warming.cancel()
            await asyncio.gather(self._warming, return_exceptions=True)
        if self._engine is not None:
            engine, self._engine = self._engine, None
            await engine.aclose()
            await asyncio.to_thread(engine.cache.close)

    # -- helpers --------------------------------------------------------------------------

    async def _engine_or_none(self) -> CompletionEngine | None:
        if self._engine is not None or self._error is not None:
            return self._engine
        async with self._starting:
            if self._engine is None and self._error is None:
                try:
                    self._engine = await asyncio.to_thread(self._build_engine)
                except AiideError as error:
                    self._error = error.message
                    self._broadcast(self._current_state())
        return self._engine

    def _build_engine(self) -> CompletionEngine:
        """Blocking: import the provider's client, open the cache file."""
        from aiide_tui.llm.registry import provider_for

        return CompletionEngine(
            provider_for("fim", self.config),
            self.config.complete,
            cache=cache_module.CompletionCache(self.state_dir / cache_module.FILE_NAME),
            stats=stats_module.CompletionStats(self.state_dir / stats_module.FILE_NAME),
            snippets=self._snippets,
            repo_name=self.root.name,
            on_state=self._broadcast,
        )

    def _current_state(self) -> EngineState:
        if self._engine is not None:
            return self._engine.state
        from aiide_tui.llm.roles import resolve_role

        try:
            role = resolve_role(self.config, "fim")
        except AiideError as error:
            return EngineState("", error=error.message)
        return EngineState(role.model if role else "", error=self._error)

    def _state_params(self, state: EngineState) -> dict[str, Any]:
        return {**asdict(state), "enabled": self.config.complete.enabled}

    def _broadcast(self, state: EngineState) -> None:
        """Send `complete/state` to every client still connected."""
        params = self._state_params(state)
        for endpoint in list(self._clients):
            if endpoint.closed:
                self._clients.discard(endpoint)
            else:
                task = asyncio.get_running_loop().create_task(self._notify(endpoint, params))
                self._notifying.add(task)
                task.add_done_callback(self._notifying.discard)

    async def _notify(self, endpoint: Endpoint, params: dict[str, Any]) -> None:
        try:
            await endpoint.notify("complete/state", params)
        except AiideError:  # the client went away in between
            self._clients.discard(endpoint)
