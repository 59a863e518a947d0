"""Engines wired to the test model server (a real HTTP process on loopback)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from aiide_tui.complete.cache import CompletionCache
from aiide_tui.complete.engine import CompletionEngine, EngineState
from aiide_tui.complete.stats import CompletionStats
from aiide_tui.config import CompleteConfig, load_config
from aiide_tui.llm.ollama import OllamaProvider
from aiide_tui.llm.roles import resolve_role
from tests.support.model_server import ModelServer, model_server, model_server_process

__all__ = ["model_server", "model_server_process"]

MakeEngine = Callable[..., CompletionEngine]


def fim_provider(url: str) -> OllamaProvider:
    """The `fim` role as configured by default, served by Ollama at `url`."""
    return OllamaProvider(resolve_role(load_config(None, env={"OLLAMA_HOST": url}), "fim"))


@pytest.fixture
async def make_engine(model_server: ModelServer, tmp_path: Path) -> AsyncIterator[MakeEngine]:
    """Build engines on the test server; no debounce unless a test asks for one."""
    engines: list[CompletionEngine] = []

    def make(
        *, url: str | None = None, states: list[EngineState] | None = None, **settings: Any
    ) -> CompletionEngine:
        config = CompleteConfig(**{"debounce_min_ms": 0, "debounce_max_ms": 0, **settings})
        engine = CompletionEngine(
            fim_provider(url or model_server.url),
            config,
            cache=CompletionCache(tmp_path / "completions.sqlite"),
            stats=CompletionStats(tmp_path / "completion-stats.sqlite"),
            on_state=states.append if states is not None else None,
        )
        engines.append(engine)
        return engine

    yield make
    for engine in engines:
        await engine.aclose()
        engine.cache.close()
