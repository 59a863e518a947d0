"""Both providers against the test model server, each over its own wire format.

Every test runs once per provider: Ollama (official client, NDJSON) and
OpenAI-compatible (httpx, SSE). Failures are real: a closed port, a
dropped connection, a stalled stream, a cancelled request seen by the server.
"""

from __future__ import annotations

import asyncio
import socket
from contextlib import aclosing
from dataclasses import replace

import pytest

from aiide_tui.errors import ConfigError
from aiide_tui.llm.base import (
    ChatMessage,
    ChatRequest,
    GenerateRequest,
    Provider,
    Tool,
    collect,
)
from aiide_tui.llm.errors import (
    AuthenticationFailed,
    CapabilityMissing,
    ModelHTTPError,
    ModelLoadingSlow,
    ModelNotFound,
    ModelNotPulled,
    ModelTimeout,
    PromptTooLong,
    ServerDown,
    StreamDropped,
)
from aiide_tui.llm.registry import provider_for_role
from aiide_tui.llm.roles import Role
from aiide_tui.llm.templates import Snippet
from tests.support.model_server import model
from tests.support.model_server_embed import embed_text

QWEN = "qwen2.5-coder:1.5b-base"
PATHS = {
    "ollama": {"generate": "/api/generate", "chat": "/api/chat", "embed": "/api/embed"},
    "openai": {
        "generate": "/v1/completions",
        "chat": "/v1/chat/completions",
        "embed": "/v1/embeddings",
    },
}


def make_role(base_url: str, provider: str, model_name: str = QWEN, **changes) -> Role:
    role = Role(
        name="fim",
        provider=provider,
        model=model_name,
        base_url=base_url,
        num_ctx=4096,
        max_tokens=64,
        temperature=0.2,
        first_token_timeout_s=5.0,
        idle_timeout_s=5.0,
    )
    return replace(role, **changes)


@pytest.fixture(params=["ollama", "openai"])
def wire(request) -> str:
    return request.param


@pytest.fixture
async def opened():
    """Providers a test made; all are closed after it."""
    made: list[Provider] = []
    yield made
    for provider in made:
        await provider.aclose()


@pytest.fixture
def connect(model_server, wire, opened):
    """Make providers of this test's wire format, pointed at the test model server."""

    def make(model_name: str = QWEN, **changes) -> Provider:
        base = model_server.url if wire == "ollama" else model_server.openai_url
        provider = provider_for_role(make_role(base, wire, model_name, **changes))
        opened.append(provider)
        return provider

    return make


# -- streaming ----------------------------------------------------------------------------------


async def test_streamed_text_arrives_in_chunks_with_token_counts(model_server, wire, connect):
    model_server.script(PATHS[wire]["generate"], chunks=["return", " a", " + b"])
    provider = connect()
    chunks = [chunk async for chunk in provider.stream_generate(GenerateRequest("x = "))]
    assert "".join(chunk.text for chunk in chunks) == "return a + b"
    final = chunks[-1]
    assert final.done and final.finish_reason == "stop"
    assert final.usage.prompt_tokens == 1 and final.usage.output_tokens == 3
    assert final.usage.truncated is False
    sent = model_server.requests_to(PATHS[wire]["generate"])[0].body
    if wire == "ollama":
        assert sent["options"]["num_ctx"] == 4096 and sent["options"]["num_predict"] == 64
        assert sent["raw"] is True
    else:
        assert sent["max_tokens"] == 64 and sent["stream_options"] == {"include_usage": True}


async def test_max_tokens_reached_is_reported_as_length(model_server, wire, connect):
    model_server.script(PATHS[wire]["generate"], text="a b c d e f")
    provider = connect(max_tokens=3)
    reply = await collect(provider.stream_generate(GenerateRequest("p")))
    assert reply.text == "a b c" and reply.finish_reason == "length"


async def test_a_truncated_prompt_is_reported(model_server, wire, connect):
    model_server.script(PATHS[wire]["generate"], text="ok", prompt_tokens=20)
    provider = connect()
    reply = await collect(provider.stream_generate(GenerateRequest("word " * 400)))
    assert reply.usage.truncated is True
    assert reply.usage.prompt_tokens == 20 and reply.usage.sent_tokens == 500


async def test_ollama_cutting_a_prompt_over_num_ctx_is_reported(model_server, opened):
    provider = provider_for_role(make_role(model_server.url, "ollama", num_ctx=256))
    opened.append(provider)
    reply = await collect(provider.stream_generate(GenerateRequest("y" * 2000)))
    assert reply.usage.truncated is True
    assert model_server.requests_to("/api/generate")[0].truncated is True


async def test_keep_alive_in_whole_seconds_goes_to_ollama_as_a_number(model_server, opened):
    """Ollama reads the string "-1" as a duration without a unit and refuses it."""
    for given, sent in (("-1", -1), ("30m", "30m")):
        model_server.script("/api/generate", text="ok")
        provider = provider_for_role(make_role(model_server.url, "ollama", keep_alive=given))
        opened.append(provider)
        await collect(provider.stream_generate(GenerateRequest("p")))
        assert model_server.requests_to("/api/generate")[-1].body["keep_alive"] == sent


# -- fill in the middle ----------------------------------------------------------------------------


PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\nprint(add(1, 2))\n"


async def test_fim_uses_ollamas_suffix_when_the_template_has_one(model_server, opened):
    model_server.script("/api/generate", text="return a + b")
    provider = provider_for_role(make_role(model_server.url, "ollama"))
    opened.append(provider)
    reply = await collect(provider.stream_fim(PREFIX, SUFFIX))
    assert reply.text == "return a + b"
    sent = model_server.requests_to("/api/generate")[0].body
    assert (sent["prompt"], sent["suffix"]) == (PREFIX, SUFFIX)
    assert "raw" not in sent and "<|fim_middle|>" in sent["options"]["stop"]
    assert [r.path for r in model_server.requests] == ["/api/show", "/api/generate"]


async def test_fim_with_snippets_sends_qwens_repo_level_prompt(model_server, wire, connect):
    provider = connect()
    snippets = [Snippet("calc/ops.py", "def sub(a, b):\n    return a - b\n")]
    await collect(
        provider.stream_fim(
            PREFIX, SUFFIX, snippets=snippets, path="calc/main.py", repo_name="calc"
        )
    )
    sent = model_server.requests_to(PATHS[wire]["generate"])[-1].body
    assert sent["prompt"] == (
        "<|repo_name|>calc\n"
        "<|file_sep|>calc/ops.py\ndef sub(a, b):\n    return a - b\n"
        "<|file_sep|>calc/main.py\n"
        f"<|fim_prefix|>{PREFIX}<|fim_suffix|>{SUFFIX}<|fim_middle|>"
    )
    stop = sent["options"]["stop"] if wire == "ollama" else sent["stop"]
    assert "<|file_sep|>" in stop and "<|endoftext|>" in stop


async def test_fim_on_a_model_without_suffix_support_sends_a_raw_prompt(
    model_server, wire, connect
):
    provider = connect("starcoder2:3b")
    await collect(provider.stream_fim(PREFIX, SUFFIX))
    sent = model_server.requests_to(PATHS[wire]["generate"])[-1].body
    assert sent["prompt"] == f"<fim_prefix>{PREFIX}<fim_suffix>{SUFFIX}<fim_middle>"
    assert "suffix" not in sent


async def test_fim_on_a_model_with_no_known_format_says_what_to_pick(model_server, opened):
    provider = provider_for_role(make_role(model_server.openai_url, "openai", "llama3.1:8b"))
    opened.append(provider)
    with pytest.raises(CapabilityMissing, match=r"qwen2\.5-coder:1\.5b-base"):
        await collect(provider.stream_fim(PREFIX, SUFFIX))


# -- chat and tools ---------------------------------------------------------------------


async def test_chat_streams_text_then_whole_tool_calls(model_server, wire, connect):
    call = {"name": "read_file", "arguments": {"path": "a.py", "lines": [1, 2]}}
    model_server.script(PATHS[wire]["chat"], chunks=["Let me ", "look."], tool_calls=[call])
    provider = connect("qwen2.5-coder:7b")
    tool = Tool("read_file", "Read a file", {"type": "object", "properties": {}})
    request = ChatRequest((ChatMessage("user", "what is in a.py?"),), tools=(tool,))
    reply = await collect(provider.stream_chat(request))
    assert reply.text == "Let me look."
    assert [(c.name, dict(c.arguments)) for c in reply.tool_calls] == [
        ("read_file", {"path": "a.py", "lines": [1, 2]})
    ]
    assert reply.tool_calls[0].id and reply.usage.prompt_tokens > 0
    sent = model_server.requests_to(PATHS[wire]["chat"])[0].body
    assert sent["messages"] == [{"role": "user", "content": "what is in a.py?"}]
    assert sent["tools"][0]["function"]["name"] == "read_file"


async def test_chat_with_tools_on_a_model_without_them_is_a_capability_error(model_server, opened):
    provider = provider_for_role(make_role(model_server.url, "ollama", "starcoder2:3b"))
    opened.append(provider)
    request = ChatRequest((ChatMessage("user", "hi"),), tools=(Tool("f", "g"),))
    with pytest.raises(CapabilityMissing, match="does not support tools"):
        await collect(provider.stream_chat(request))


# -- embeddings and models ------------------------------------------------------------------------


async def test_embeddings_come_back_in_order_from_one_request(model_server, wire, connect):
    provider = connect("nomic-embed-text")
    texts = ["def parse_request", "class ThemePicker", "parse the request"]
    result = await provider.embed(texts)
    assert [list(vector) for vector in result.vectors] == [embed_text(text) for text in texts]
    assert result.prompt_tokens and len(model_server.requests_to(PATHS[wire]["embed"])) == 1


async def test_health_and_model_lists(model_server, wire, connect):
    present, missing = connect(), connect("nope:7b")
    assert QWEN in [info.name for info in await present.list_models()]
    health = await present.health()
    assert health.reachable and health.model_available
    absent = await missing.health()
    assert absent.reachable and not absent.model_available
    if wire == "ollama":
        assert "ollama pull nope:7b" in absent.detail and "Ollama 0.12.6" in absent.server


# -- errors -------------------------------------------------------------------------------


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


async def test_a_server_that_is_down_says_how_to_start_it(wire, opened):
    base = f"http://127.0.0.1:{closed_port()}" + ("" if wire == "ollama" else "/v1")
    provider = provider_for_role(make_role(base, wire))
    opened.append(provider)
    with pytest.raises(ServerDown) as raised:
        await collect(provider.stream_generate(GenerateRequest("x")))
    fix = "ollama serve" if wire == "ollama" else "base_url"
    assert base in raised.value.message and fix in raised.value.message
    with pytest.raises(ServerDown):
        await provider.list_models()
    health = await provider.health()
    assert not health.reachable and fix in health.detail


async def test_a_missing_model_names_the_fix(model_server, wire, connect):
    provider = connect("qwen2.5-coder:32b")
    expected = ModelNotPulled if wire == "ollama" else ModelNotFound
    with pytest.raises(expected) as raised:
        await collect(provider.stream_generate(GenerateRequest("x")))
    if wire == "ollama":
        assert "run `ollama pull qwen2.5-coder:32b`" in raised.value.message


async def test_http_errors_carry_the_servers_message(model_server, wire, connect):
    model_server.script(PATHS[wire]["generate"], status=500, error="CUDA out of memory")
    provider = connect()
    with pytest.raises(ModelHTTPError, match="CUDA out of memory") as raised:
        await collect(provider.stream_generate(GenerateRequest("x")))
    assert raised.value.status == 500


async def test_an_error_in_the_middle_of_a_stream_is_raised(model_server, wire, connect):
    model_server.script(PATHS[wire]["generate"], text="a b c", error_after=1, error="runner died")
    provider = connect()
    with pytest.raises(ModelHTTPError, match="runner died"):
        await collect(provider.stream_generate(GenerateRequest("x")))


async def test_a_dropped_stream_is_stream_dropped(model_server, wire, connect):
    model_server.script(PATHS[wire]["generate"], text="a b c d", drop_after=2)
    provider = connect()
    received = []
    with pytest.raises(StreamDropped):
        async for chunk in provider.stream_generate(GenerateRequest("x")):
            received.append(chunk.text)
    assert "".join(received) == "a b"


async def test_a_stalled_stream_times_out_and_is_closed(model_server, wire, connect):
    model_server.script(PATHS[wire]["generate"], text="a b c", stall_after=1)
    provider = connect(idle_timeout_s=0.3)
    with pytest.raises(ModelTimeout, match="stopped sending"):
        await collect(provider.stream_generate(GenerateRequest("x")))
    recorded = await model_server.settled(PATHS[wire]["generate"])
    assert recorded.outcome == "disconnected"


async def test_a_slow_first_token_is_model_loading_slow(model_server, wire, connect):
    model_server.script(PATHS[wire]["generate"], text="a", first_token_delay=2.0)
    provider = connect(first_token_timeout_s=0.3)
    with pytest.raises(ModelLoadingSlow, match="loading"):
        await collect(provider.stream_generate(GenerateRequest("x")))


async def test_cancelling_closes_the_connection_and_the_server_sees_it(model_server, wire, connect):
    model_server.script(PATHS[wire]["generate"], text="a b c d e f g h", chunk_delay=0.5)
    provider = connect()
    got_first = asyncio.Event()

    async def consume() -> None:
        async with aclosing(provider.stream_generate(GenerateRequest("x"))) as stream:
            async for _ in stream:
                got_first.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(got_first.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    recorded = await model_server.settled(PATHS[wire]["generate"], timeout=2)
    assert recorded.outcome == "disconnected" and recorded.chunks_sent < 8


async def test_openai_context_overflow_is_prompt_too_long(model_server, opened):
    model_server.set_models([model("tiny:1m", "llama", context_length=64)])
    provider = provider_for_role(make_role(model_server.openai_url, "openai", "tiny:1m"))
    opened.append(provider)
    with pytest.raises(PromptTooLong, match="maximum context length is 64"):
        await collect(provider.stream_generate(GenerateRequest("z" * 1000)))


async def test_api_keys_come_from_the_named_environment_variable(model_server, monkeypatch, opened):
    model_server.require_api_key("sk-local")
    role = make_role(model_server.openai_url, "openai", api_key_env="AIIDE_TEST_KEY")
    with pytest.raises(ConfigError, match="AIIDE_TEST_KEY"):
        provider_for_role(role)
    monkeypatch.setenv("AIIDE_TEST_KEY", "sk-wrong")
    wrong = provider_for_role(role)
    opened.append(wrong)
    with pytest.raises(AuthenticationFailed, match="AIIDE_TEST_KEY"):
        await wrong.list_models()
    monkeypatch.setenv("AIIDE_TEST_KEY", "sk-local")
    right = provider_for_role(role)
    opened.append(right)
    assert QWEN in [info.name for info in await right.list_models()]
    assert model_server.requests[-1].headers["authorization"] == "Bearer sk-local"
