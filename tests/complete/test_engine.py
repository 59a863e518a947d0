"""The pipeline against a real HTTP model server: what is sent, cancelled, reused."""

from __future__ import annotations

import asyncio
import socket
import time

from aiide_tui.complete.context import Snippet, estimate_tokens
from aiide_tui.complete.engine import EngineState
from aiide_tui.complete.request import CompletionRequest
from tests.complete.conftest import MakeEngine
from tests.support.model_server import ModelServer

GENERATE = "/api/generate"
ADD = "def add(a, b):\n    "
OVERGENERATED = "return a + b\n\n\ndef sub(a, b):\n    return a - b\n\n\ndef mul(a, b):\n"


def request(prefix: str = ADD, suffix: str = "", **fields) -> CompletionRequest:
    return CompletionRequest("calc.py", prefix, suffix, language="python", **fields)


async def test_a_suggestion_is_cut_to_its_block_and_the_stream_closed(
    model_server: ModelServer, make_engine: MakeEngine
) -> None:
    model_server.script(GENERATE, OVERGENERATED, chunk_delay=0.05)
    engine = make_engine()
    completion = await engine.complete(request(version=7))
    assert completion is not None
    assert (completion.text, completion.source, completion.version) == ("return a + b", "model", 7)
    sent = await model_server.settled(GENERATE)
    assert sent.outcome == "disconnected"  # stopped at `def sub`, before the model finished
    assert sent.body["prompt"] == ADD and sent.body["options"]["num_ctx"] == 4096
    assert sent.body["options"]["num_predict"] == 128


async def test_cancel_while_waiting_sends_nothing(
    model_server: ModelServer, make_engine: MakeEngine
) -> None:
    engine = make_engine(debounce_min_ms=300, debounce_max_ms=300)
    task = asyncio.create_task(engine.complete(request()))
    await asyncio.sleep(0.1)
    task.cancel()
    await asyncio.sleep(0.4)
    assert task.cancelled()
    assert model_server.requests_to(GENERATE) == []


async def test_the_debounce_delays_the_request(
    model_server: ModelServer, make_engine: MakeEngine
) -> None:
    model_server.script(GENERATE, "return a + b")
    engine = make_engine(debounce_min_ms=250, debounce_max_ms=250)
    started = time.monotonic()
    completion = await engine.complete(request())
    assert completion is not None and completion.details["debounce_ms"] == 250
    sent = model_server.requests_to(GENERATE)[0]
    assert sent.started - started >= 0.25 - 0.02  # both clocks are the machine's monotonic one


async def test_typing_on_cancels_the_stream_in_flight(
    model_server: ModelServer, make_engine: MakeEngine
) -> None:
    model_server.script(GENERATE, "return a + b", stall_after=1)
    states: list[EngineState] = []
    engine = make_engine(states=states)
    task = asyncio.create_task(engine.complete(request()))
    await asyncio.to_thread(model_server.wait_for, lambda seen: bool(seen))
    await asyncio.sleep(0.1)
    task.cancel()
    sent = await model_server.settled(GENERATE)
    assert sent.outcome == "disconnected"
    assert [state.in_flight for state in states] == [True, False]


async def test_cache_hit_and_typed_ahead_reuse_send_no_request(
    model_server: ModelServer, make_engine: MakeEngine
) -> None:
    model_server.script(GENERATE, "return a + b")
    engine = make_engine()
    first = await engine.complete(request())
    assert first is not None and first.source == "model"
    again = await engine.complete(request())
    typed = await engine.complete(request(ADD + "ret"))
    assert again is not None and (again.text, again.source) == ("return a + b", "cache")
    assert typed is not None and (typed.text, typed.source) == ("urn a + b", "cache")
    assert typed.latency_ms < 5
    assert len(model_server.requests_to(GENERATE)) == 1


async def test_warm_suggestions_survive_a_restart(
    model_server: ModelServer, make_engine: MakeEngine
) -> None:
    model_server.script(GENERATE, "return a + b")
    engine = make_engine()
    await engine.complete(request())
    await engine.aclose()
    engine.cache.close()
    restarted = make_engine()
    completion = await restarted.complete(request(ADD + "return "))
    assert completion is not None and (completion.text, completion.source) == ("a + b", "cache")
    assert len(model_server.requests_to(GENERATE)) == 1


async def test_refused_requests_never_reach_the_server(
    model_server: ModelServer, make_engine: MakeEngine
) -> None:
    engine = make_engine(disabled_languages="python")
    assert await engine.complete(request()) is None
    engine = make_engine()
    assert await engine.complete(request("x = pri", "nt(1)")) is None
    assert await engine.complete(request(kind="delete")) is None
    assert model_server.requests_to(GENERATE) == []


async def test_a_useless_answer_shows_nothing(
    model_server: ModelServer, make_engine: MakeEngine
) -> None:
    model_server.script(GENERATE, "   \n  ")
    engine = make_engine()
    assert await engine.complete(request()) is None
    model_server.script(GENERATE, "x = 1")
    assert await engine.complete(request("x = 1\n", "")) is None


async def test_the_prompt_stays_within_budget(
    model_server: ModelServer, make_engine: MakeEngine
) -> None:
    model_server.script(GENERATE, "pass")
    engine = make_engine(prompt_tokens=100)
    long_prefix = "".join(f"value_{n} = {n}\n" for n in range(500)) + "x = "
    long_suffix = "\n" + "".join(f"other_{n} = {n}\n" for n in range(500))
    await engine.complete(request(long_prefix, long_suffix))
    body = model_server.requests_to(GENERATE)[0].body
    assert estimate_tokens(body["prompt"]) + estimate_tokens(body["suffix"]) <= 100
    assert body["prompt"].endswith("value_499 = 499\nx = ")
    assert body["suffix"].startswith("\nother_0 = 0\n")


class Definitions:
    async def snippets(self, path, prefix, suffix, *, max_tokens):
        return [Snippet("lib/money.py", "def cents(amount):\n    return round(amount * 100)\n")]


async def test_snippets_go_in_the_repo_level_format(
    model_server: ModelServer, make_engine: MakeEngine
) -> None:
    model_server.script(GENERATE, "cents(price)")
    engine = make_engine()
    engine.snippets = Definitions()
    engine.repo_name = "shop"
    completion = await engine.complete(request("total = ", ""))
    assert completion is not None and completion.text == "cents(price)"
    body = model_server.requests_to(GENERATE)[0].body
    assert body["raw"] is True and not body.get("suffix")
    assert body["prompt"] == (
        "<|repo_name|>shop\n<|file_sep|>lib/money.py\n"
        "def cents(amount):\n    return round(amount * 100)\n"
        "<|file_sep|>calc.py\n<|fim_prefix|>total = <|fim_suffix|><|fim_middle|>"
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_a_server_that_is_down_is_reported_then_left_alone(make_engine: MakeEngine) -> None:
    states: list[EngineState] = []
    engine = make_engine(url=f"http://127.0.0.1:{free_port()}", states=states)
    assert await engine.complete(request()) is None
    assert engine.state.error is not None and "ollama serve" in engine.state.error
    started = time.monotonic()
    assert await engine.complete(request("x = ")) is None
    assert time.monotonic() - started < 0.05  # backing off: no new connection attempt


async def test_figures_count_shown_and_accepted(
    model_server: ModelServer, make_engine: MakeEngine
) -> None:
    model_server.script(GENERATE, "return a + b")
    engine = make_engine()
    completion = await engine.complete(request())
    assert completion is not None
    engine.accepted(completion.id, 6)
    engine.accepted(completion.id, 6)
    engine.accepted("unknown", 99)
    summary = engine.stats.summary()
    assert (summary.shown, summary.accepted, summary.chars_accepted) == (1, 1, 12)
