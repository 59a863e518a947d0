"""The fill-in-the-middle pipeline, one named stage after another.

    trigger -> cache -> debounce -> context -> prompt -> stream -> post-process -> show

`complete` runs the stages for one keystroke's request. The caller cancels it
when the user types on (the bus does this for the completion service): a
request cancelled while it waits never reaches the model, and one cancelled
while it streams closes its HTTP stream, so the server stops generating. A
cache hit (including one the user has typed part of since) returns at once,
with no wait and no request. The engine never touches the UI: it returns a
`Completion`, and reports whether a model request is in flight through
`on_state`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field

from aiide_tui.complete.cache import CompletionCache
from aiide_tui.complete.context import (
    FimContext,
    SnippetSource,
    build_context,
    gather_snippets,
)
from aiide_tui.complete.debounce import AdaptiveDebounce
from aiide_tui.complete.postprocess import Cursor, cut_streaming, finish
from aiide_tui.complete.request import Completion, CompletionRequest
from aiide_tui.complete.stats import CompletionStats
from aiide_tui.complete.trigger import refusal
from aiide_tui.config import CompleteConfig
from aiide_tui.llm.base import GenerateRequest, Provider
from aiide_tui.llm.errors import CapabilityMissing, ModelError, ServerDown
from aiide_tui.llm.templates import FimPrompt, FimStyle, build_fim_prompt
from aiide_tui.llm.templates import Snippet as PromptSnippet

logger = logging.getLogger(__name__)

BACKOFF_S = {ServerDown: 5.0, CapabilityMissing: 60.0}
"""After these errors, only the cache answers for a while (no request per keystroke)."""
FLUSH_DELAY_S = 2.0
"""Cache and figures are written at most this often (in a thread)."""
SHOWN_KEPT = 256


@dataclass(frozen=True)
class EngineState:
    """What the status bar shows: the model, and whether a request is in flight."""

    model: str
    in_flight: bool = False
    error: str | None = None
    """The last error a user can act on (server down, model not pulled); None once it works."""


@dataclass
class _Streamed:
    """What came back from the model for one request."""

    text: str = ""
    model_ms: float = 0.0
    stopped_early: bool = False
    details: dict[str, object] = field(default_factory=dict)


class CompletionEngine:
    """Suggestions for one project from one FIM model."""

    def __init__(
        self,
        provider: Provider,
        config: CompleteConfig,
        *,
        cache: CompletionCache | None = None,
        stats: CompletionStats | None = None,
        snippets: SnippetSource | None = None,
        repo_name: str | None = None,
        on_state: Callable[[EngineState], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.provider = provider
        self.config = config
        self.cache = cache if cache is not None else CompletionCache()
        self.stats = stats if stats is not None else CompletionStats()
        self.snippets = snippets
        self.repo_name = repo_name
        self.debounce = AdaptiveDebounce(
            config.debounce_min_ms, config.debounce_max_ms, clock=clock
        )
        self._on_state = on_state
        self._clock = clock
        self._ids = itertools.count(1)
        self._shown: OrderedDict[str, bool] = OrderedDict()
        """Ids of suggestions shown -> whether one was accepted yet."""
        self._backoff_until = 0.0
        self._flush_task: asyncio.Task[None] | None = None
        self.state = EngineState(provider.model)

    @property
    def model(self) -> str:
        return self.provider.model

    async def complete(self, request: CompletionRequest) -> Completion | None:
        """The suggestion for `request`, or None (refused, nothing useful, model failing).

        Model errors are not raised: they set `state.error`, which the status bar
        shows. Cancelling the call cancels the wait or closes the model's stream.
        """
        started = self._clock()
        self.debounce.keystroke()
        reason = refusal(request, self.config)
        if reason is not None:
            logger.debug("no completion: %s", reason)
            return None
        cached = self.cache.get(self.model, request.prefix, request.suffix)
        if cached is not None:
            return self._show(request, cached, "cache", started, {})
        if self._clock() < self._backoff_until:
            return None
        wait_s = self.debounce.delay_s(request)
        try:
            style, _ = await asyncio.gather(self.provider.fim_style(), asyncio.sleep(wait_s))
            fim = self._prompt(style, await self._context(request))
            streamed = await self._stream(fim, self._cursor(request, fim))
        except ModelError as error:
            self._failed(error)
            return None
        text = finish(streamed.text, self._cursor(request, fim))
        if text is None:
            return None
        self.cache.put(self.model, request.prefix, request.suffix, text)
        details = {
            **streamed.details,
            "debounce_ms": wait_s * 1000,
            "model_ms": streamed.model_ms,
            "stopped_early": streamed.stopped_early,
        }
        return self._show(request, text, "model", started, details)

    async def warm(self) -> None:
        """Ask the server about the model now, so the first suggestion pays no connection.

        A failure only sets `state.error` (and backs off), as a request would.
        """
        try:
            await self.provider.fim_style()
        except ModelError as error:
            self._failed(error)

    def accepted(self, completion_id: str, chars: int) -> None:
        """The user inserted `chars` characters of a suggestion (whole, a word or a line)."""
        if completion_id not in self._shown:
            return
        first = not self._shown[completion_id]
        self._shown[completion_id] = True
        self.stats.accepted(self.model, chars, first=first)
        self._schedule_flush()

    async def aclose(self) -> None:
        """Write the cache and figures, and close the provider."""
        if self._flush_task is not None:
            self._flush_task.cancel()
        await asyncio.to_thread(self._flush)
        await self.provider.aclose()

    # -- stages ---------------------------------------------------------------------------

    async def _context(self, request: CompletionRequest) -> FimContext:
        room = self.config.snippet_tokens
        snippets = await gather_snippets(self.snippets, request, room)
        return build_context(request, self.config.prompt_tokens, snippets, room)

    def _prompt(self, style: FimStyle, context: FimContext) -> FimPrompt:
        """The model family's FIM prompt (repo-level when there are snippets)."""
        snippets = [PromptSnippet(snippet.path, snippet.text) for snippet in context.snippets]
        return build_fim_prompt(
            style, context.prefix, context.suffix, snippets, context.path, self.repo_name
        )

    def _cursor(self, request: CompletionRequest, fim: FimPrompt) -> Cursor:
        return Cursor(request.prefix, request.suffix, self.config.multiline, fim.stop)

    async def _stream(self, fim: FimPrompt, cursor: Cursor) -> _Streamed:
        """Stream the model's answer, stopping as soon as a cut says the rest is not wanted."""
        result = _Streamed()
        parts: list[str] = []
        started = self._clock()
        self._set_state(in_flight=True)
        try:
            request = GenerateRequest.for_fim(fim, self.config.max_tokens)
            stream = self.provider.stream_generate(request)
            async with aclosing(stream) as chunks:
                async for chunk in chunks:
                    parts.append(chunk.text)
                    if chunk.usage is not None:
                        result.details["prompt_tokens"] = chunk.usage.prompt_tokens
                        result.details["truncated"] = chunk.usage.truncated
                    if "\n" in chunk.text and not chunk.done:
                        kept = cut_streaming("".join(parts), cursor)
                        if kept is not None:
                            result.stopped_early = True
                            parts = [kept]
                            break
        finally:
            result.model_ms = (self._clock() - started) * 1000
            self._set_state(in_flight=False)
        result.text = "".join(parts)
        self._set_state(error=None)
        return result

    def _show(
        self, request: CompletionRequest, text: str, source: str, started: float, details: dict
    ) -> Completion:
        completion_id = f"c{next(self._ids)}"
        self._shown[completion_id] = False
        while len(self._shown) > SHOWN_KEPT:
            self._shown.popitem(last=False)
        latency_ms = (self._clock() - started) * 1000
        self.stats.shown(self.model, latency_ms=latency_ms, from_cache=source == "cache")
        self._schedule_flush()
        return Completion(
            id=completion_id,
            text=text,
            source=source,  # type: ignore[arg-type]
            model=self.model,
            version=request.version,
            latency_ms=latency_ms,
            details=details,
        )

    # -- state, errors, persistence --------------------------------------------------------------

    def _failed(self, error: ModelError) -> None:
        backoff = next((s for kind, s in BACKOFF_S.items() if isinstance(error, kind)), 0.0)
        self._backoff_until = self._clock() + backoff
        logger.info("completion failed: %s", error.message)
        self._set_state(error=error.message)

    def _set_state(self, **changes: object) -> None:
        state = dataclasses.replace(self.state, **changes)
        if state != self.state:
            self.state = state
            if self._on_state is not None:
                self._on_state(state)

    def _schedule_flush(self) -> None:
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_later())

    async def _flush_later(self) -> None:
        await asyncio.sleep(FLUSH_DELAY_S)
        await asyncio.to_thread(self._flush)

    def _flush(self) -> None:
        with contextlib.suppress(Exception):
            self.cache.flush()
        with contextlib.suppress(Exception):
            self.stats.flush()
