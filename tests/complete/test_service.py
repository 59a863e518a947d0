"""`complete/*` over the bus: requests, cancellation by `$/cancelRequest`, state, figures."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from aiide_tui.bus import Endpoint, Router, connect_in_process
from aiide_tui.config import load_config
from aiide_tui.services.completion_service import CompletionService
from tests.support.model_server import ModelServer

GENERATE = "/api/generate"
REQUEST = {
    "path": "calc.py",
    "language": "python",
    "prefix": "def add(a, b):\n    ",
    "suffix": "\n",
    "kind": "insert",
    "version": 3,
}


def service_for(url: str, tmp_path: Path, **complete: Any) -> CompletionService:
    settings = {"debounce_min_ms": 0, "debounce_max_ms": 0, **complete}
    config = load_config(None, env={"OLLAMA_HOST": url}, overrides={"complete": settings})
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    return CompletionService(tmp_path / "calc", config, state)


@pytest.fixture
async def bus(model_server: ModelServer, tmp_path: Path) -> AsyncIterator[Endpoint]:
    service = service_for(model_server.url, tmp_path)
    router = Router()
    service.register(router)
    client = await connect_in_process(router)
    yield client
    await client.close()
    await service.aclose()


async def test_request_accept_and_figures(model_server: ModelServer, bus: Endpoint) -> None:
    model_server.script(GENERATE, "return a + b")
    states: list[dict[str, Any]] = []
    bus.on_notification("complete/state", states.append)
    initial = await bus.request("complete/state")
    assert initial == {
        "model": "qwen2.5-coder:1.5b-base",
        "in_flight": False,
        "error": None,
        "enabled": True,
    }
    result = await bus.request("complete/request", REQUEST)
    assert result["text"] == "return a + b" and result["version"] == 3
    await bus.request("complete/accepted", {"id": result["id"], "chars": 12, "kind": "all"})
    stats = await bus.request("complete/stats")
    assert (stats["shown"], stats["accepted"], stats["chars_accepted"]) == (1, 1, 12)
    await asyncio.sleep(0.05)
    assert [state["in_flight"] for state in states] == [True, False]


async def test_cancel_request_closes_the_model_stream(
    model_server: ModelServer, bus: Endpoint
) -> None:
    model_server.script(GENERATE, "return a + b", stall_after=1)
    task = asyncio.create_task(bus.request("complete/request", REQUEST))
    await asyncio.to_thread(
        model_server.wait_for, lambda seen: any(r.path == GENERATE for r in seen)
    )
    await asyncio.sleep(0.1)
    task.cancel()
    sent = await model_server.settled(GENERATE)
    assert sent.outcome == "disconnected"


async def test_a_bad_fim_role_is_reported_not_raised(tmp_path: Path) -> None:
    config = load_config(
        None,
        env={"OLLAMA_HOST": "http://127.0.0.1:9"},
        overrides={"models": {"fim": {"provider": "openai", "model": "x"}}},
    )
    service = CompletionService(tmp_path, config, tmp_path)
    router = Router()
    service.register(router)
    client = await connect_in_process(router)
    try:
        assert await client.request("complete/request", REQUEST) is None
        state = await client.request("complete/state")
        assert "base_url" in state["error"]
    finally:
        await client.close()


async def test_malformed_and_disabled_requests(model_server: ModelServer, tmp_path: Path) -> None:
    from aiide_tui.bus import InvalidParams

    service = service_for(model_server.url, tmp_path, enabled=False)
    router = Router()
    service.register(router)
    client = await connect_in_process(router)
    try:
        with pytest.raises(InvalidParams):
            await client.request("complete/request", {"path": "a.py"})
        assert await client.request("complete/request", REQUEST) is None
        assert (await client.request("complete/state"))["enabled"] is False
        assert model_server.requests == []  # off means no connection at all
    finally:
        await client.close()
        await service.aclose()
