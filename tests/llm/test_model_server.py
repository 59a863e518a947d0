"""The test model server itself: its bytes match the real servers', its scripts work.

Checked with plain httpx (the exact lines) and with the official `ollama`
client (which must parse what the server sends, as it parses real Ollama).
"""

from __future__ import annotations

import asyncio
import base64
import json
import struct
import time

import httpx
import ollama
import pytest

from tests.support.model_server import model
from tests.support.model_server_embed import cosine, embed_text, words

QWEN = "qwen2.5-coder:1.5b-base"
GENERATE_FINAL_KEYS = [
    "model",
    "created_at",
    "response",
    "done",
    "done_reason",
    "context",
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
]


def post(url: str, body: dict, **kwargs) -> httpx.Response:
    return httpx.post(url, json=body, timeout=5, **kwargs)


def lines(response: httpx.Response) -> list[dict]:
    return [json.loads(line) for line in response.text.splitlines()]


def sse_events(response: httpx.Response) -> list[str]:
    frames = response.text.split("\n\n")
    assert frames[-1] == "", "SSE ends with a blank line"
    assert all(frame.startswith("data: ") for frame in frames[:-1])
    return [frame.removeprefix("data: ") for frame in frames[:-1]]


# -- Ollama ---------------------------------------------------------------------------------


def test_generate_streams_ndjson_lines_in_ollamas_field_order(model_server):
    model_server.script("/api/generate", chunks=["return", " a <", " b"])
    body = {"model": QWEN, "prompt": "def f(a, b):\n    ", "suffix": "\n", "raw": False}
    response = post(f"{model_server.url}/api/generate", body)
    assert response.headers["content-type"] == "application/x-ndjson"
    assert response.headers["transfer-encoding"] == "chunked"
    first, *_, final = lines(response)
    assert list(first) == ["model", "created_at", "response", "done"]
    assert first["response"] == "return" and first["done"] is False
    assert '"response":" a \\u003c"' in response.text, "Go escapes < as \\u003c"
    assert list(final) == GENERATE_FINAL_KEYS
    assert final["response"] == "" and final["done_reason"] == "stop"
    assert final["eval_count"] == 3
    assert final["created_at"].endswith("Z")


def test_raw_generate_has_no_context_and_non_streamed_is_one_object(model_server):
    model_server.script("/api/generate", text="x = 1")
    body = {"model": QWEN, "prompt": "<|fim_prefix|>", "raw": True, "stream": False}
    response = post(f"{model_server.url}/api/generate", body)
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    reply = response.json()
    assert reply["response"] == "x = 1" and reply["done"] is True
    assert "context" not in reply


def test_suffix_on_a_model_without_suffix_in_its_template_is_refused(model_server):
    body = {"model": "starcoder2:3b", "prompt": "a", "suffix": "b"}
    response = post(f"{model_server.url}/api/generate", body)
    assert response.status_code == 400
    assert response.json() == {
        "error": "registry.ollama.ai/library/starcoder2:3b does not support insert"
    }


def test_a_prompt_over_num_ctx_is_cut_as_ollama_cuts_it(model_server):
    body = {"model": QWEN, "prompt": "x" * 4000, "options": {"num_ctx": 64}, "stream": False}
    reply = post(f"{model_server.url}/api/generate", body).json()
    assert reply["prompt_eval_count"] == 64 - (64 - 4) // 2
    recorded = model_server.requests_to("/api/generate")[0]
    assert recorded.truncated is True and recorded.num_ctx == 64


def test_num_predict_and_stop_end_the_answer_like_the_server(model_server):
    model_server.script("/api/generate", chunks=["a", "b", "c", "d"])
    model_server.script("/api/generate", chunks=["one", "\n\n", "two"])
    url = f"{model_server.url}/api/generate"
    limited = post(url, {"model": QWEN, "prompt": "p", "options": {"num_predict": 2}})
    assert "".join(line["response"] for line in lines(limited)) == "ab"
    assert lines(limited)[-1]["done_reason"] == "length"
    stopped = post(url, {"model": QWEN, "prompt": "p", "options": {"stop": ["\n\n"]}})
    assert "".join(line["response"] for line in lines(stopped)) == "one"
    assert lines(stopped)[-1]["done_reason"] == "stop"


async def test_the_official_client_reads_chat_tool_calls(model_server):
    model_server.script(
        "/api/chat", tool_calls=[{"name": "read_file", "arguments": {"path": "a.py"}}]
    )
    client = ollama.AsyncClient(host=model_server.url)
    tools = [
        {"type": "function", "function": {"name": "read_file", "parameters": {"type": "object"}}}
    ]
    parts = [
        part
        async for part in await client.chat(
            model="qwen2.5-coder:7b",
            messages=[{"role": "user", "content": "open a.py"}],
            tools=tools,
            stream=True,
        )
    ]
    calls = [call for part in parts for call in (part.message.tool_calls or [])]
    assert [(call.function.name, call.function.arguments) for call in calls] == [
        ("read_file", {"path": "a.py"})
    ]
    assert parts[-1].done and parts[-1].done_reason == "stop"
    assert model_server.requests_to("/api/chat")[0].body["tools"] == tools


async def test_the_official_client_lists_shows_and_reports_missing_models(model_server):
    client = ollama.AsyncClient(host=model_server.url)
    names = [entry.model for entry in (await client.list()).models]
    assert QWEN in names and "nomic-embed-text:latest" in names
    shown = await client.show(QWEN)
    assert ".Suffix" in (shown.template or "") and "insert" in (shown.capabilities or [])
    with pytest.raises(ollama.ResponseError) as raised:
        await client.generate(model="nope:1b", prompt="x")
    assert raised.value.status_code == 404 and raised.value.error == "model 'nope:1b' not found"


def test_models_can_be_replaced_per_test(model_server):
    model_server.set_models([model("tiny:1m", "llama", context_length=128)])
    tags = httpx.get(f"{model_server.url}/api/tags").json()["models"]
    assert [entry["name"] for entry in tags] == ["tiny:1m"]


# -- OpenAI-compatible -------------------------------------------------------------------------


def test_completions_stream_sse_chunks_usage_and_done(model_server):
    model_server.script("/v1/completions", chunks=["x", " = ", "1"])
    body = {
        "model": QWEN,
        "prompt": "<|fim_prefix|>",
        "max_tokens": 8,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    response = post(f"{model_server.openai_url}/completions", body)
    assert response.headers["content-type"] == "text/event-stream; charset=utf-8"
    events = sse_events(response)
    assert events[-1] == "[DONE]"
    chunks = [json.loads(event) for event in events[:-1]]
    assert [chunk["choices"][0]["text"] for chunk in chunks[:-1]] == ["x", " = ", "1"]
    assert chunks[-2]["choices"][0]["finish_reason"] == "stop"
    assert chunks[-1]["choices"] == []
    assert chunks[-1]["usage"] == {
        "prompt_tokens": 4,
        "total_tokens": 7,
        "completion_tokens": 3,
        "prompt_tokens_details": None,
    }
    assert all("usage" not in chunk for chunk in chunks[:-1])


def test_completions_default_to_16_tokens_as_vllm_does(model_server):
    model_server.script("/v1/completions", text="a " * 40)
    reply = post(f"{model_server.openai_url}/completions", {"model": QWEN, "prompt": "p"}).json()
    assert reply["choices"][0]["finish_reason"] == "length"
    assert reply["usage"]["completion_tokens"] == 16


def test_chat_completions_without_streaming_carry_tool_calls(model_server):
    model_server.script("/v1/chat/completions", tool_calls=[{"name": "f", "arguments": {"a": 1}}])
    body = {"model": QWEN, "messages": [{"role": "user", "content": "hi"}]}
    reply = post(f"{model_server.openai_url}/chat/completions", body).json()
    choice = reply["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and json.loads(call["function"]["arguments"]) == {"a": 1}


def test_openai_errors_and_api_keys(model_server):
    missing = post(f"{model_server.openai_url}/completions", {"model": "nope", "prompt": "x"})
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "The model `nope` does not exist."
    model_server.require_api_key("sk-test")
    assert httpx.get(f"{model_server.openai_url}/models").status_code == 401
    headers = {"Authorization": "Bearer sk-test"}
    listed = httpx.get(f"{model_server.openai_url}/models", headers=headers).json()
    assert QWEN in [entry["id"] for entry in listed["data"]]
    assert model_server.requests[-1].headers["authorization"] == "Bearer sk-test"


def test_a_prompt_over_the_context_length_is_a_400_on_the_openai_side(model_server):
    model_server.set_models([model("tiny:1m", "llama", context_length=32)])
    body = {"model": "tiny:1m", "prompt": "y" * 400, "max_tokens": 4}
    response = post(f"{model_server.openai_url}/completions", body)
    assert response.status_code == 400
    assert "maximum context length is 32 tokens" in response.json()["error"]["message"]


# -- embeddings ----------------------------------------------------------------------------------


def test_embeddings_are_deterministic_and_carry_meaning():
    assert words("parseHTTPRequest_v2") == ["parse", "http", "request", "v", "2"]
    query = embed_text("parse the http request")
    near = embed_text("def parse_http_request(raw): ...")
    far = embed_text("class ColourPalette: pick a theme")
    assert cosine(query, near) > 0.4 > 0.1 > cosine(query, far)
    assert embed_text("x") == embed_text("x")
    assert abs(cosine(near, near) - 1.0) < 1e-9


def test_both_embedding_endpoints_batch_and_agree(model_server):
    texts = ["read_file", "readFile", "write the config"]
    ollama_reply = post(
        f"{model_server.url}/api/embed", {"model": "nomic-embed-text", "input": texts}
    ).json()
    assert ollama_reply["embeddings"] == [embed_text(text) for text in texts]
    assert ollama_reply["prompt_eval_count"] > 0
    body = {"model": "nomic-embed-text", "input": texts, "encoding_format": "base64"}
    openai_reply = post(f"{model_server.openai_url}/embeddings", body).json()
    first = base64.b64decode(openai_reply["data"][0]["embedding"])
    decoded = struct.unpack(f"<{len(first) // 4}f", first)
    assert [round(x, 5) for x in decoded] == [round(x, 5) for x in embed_text("read_file")]
    assert [item["index"] for item in openai_reply["data"]] == [0, 1, 2]


# -- scripted failures ----------------------------------------------------------------------------


def test_scripted_status_uses_the_endpoints_error_format(model_server):
    model_server.script("/api/generate", status=500, error="llama runner process has terminated")
    response = post(f"{model_server.url}/api/generate", {"model": QWEN, "prompt": "x"})
    assert response.status_code == 500
    assert response.json() == {"error": "llama runner process has terminated"}
    assert model_server.requests[-1].outcome == "error"


def test_a_dropped_stream_ends_without_its_last_chunk(model_server):
    model_server.script("/api/generate", chunks=["a", "b", "c"], drop_after=2)
    received = []
    with pytest.raises(httpx.RemoteProtocolError):  # noqa: SIM117
        with httpx.stream(
            "POST", f"{model_server.url}/api/generate", json={"model": QWEN, "prompt": "x"}
        ) as response:
            received.extend(json.loads(line)["response"] for line in response.iter_lines())
    assert received == ["a", "b"]
    assert model_server.requests[-1].outcome == "dropped"


def test_first_token_delay_and_mid_stream_error(model_server):
    model_server.script("/api/generate", text="a b", first_token_delay=0.2, error_after=1)
    started = time.monotonic()
    response = post(f"{model_server.url}/api/generate", {"model": QWEN, "prompt": "x"})
    assert time.monotonic() - started >= 0.2
    assert lines(response)[-1] == {"error": "the model runner stopped"}


async def test_a_client_that_leaves_a_stalled_stream_is_seen_leaving(model_server):
    model_server.script("/api/generate", text="a b c", stall_after=1)
    async with httpx.AsyncClient(timeout=5) as client:

        async def read() -> None:
            body = {"model": QWEN, "prompt": "x"}
            async with client.stream("POST", f"{model_server.url}/api/generate", json=body) as r:
                async for _ in r.aiter_lines():
                    pass

        task = asyncio.create_task(read())
        await asyncio.to_thread(
            model_server.wait_for, lambda seen: seen and seen[-1].outcome == "stalled"
        )
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    recorded = await model_server.settled("/api/generate", timeout=2)
    assert recorded.outcome == "disconnected" and recorded.chunks_sent == 1


def test_unscripted_completions_continue_the_corpus(model_server):
    model_server.set_corpus("import json\n\ndef dumps(obj):\n    return json.dumps(obj)\n")
    body = {
        "model": QWEN,
        "prompt": "<|fim_prefix|>def dumps(obj):\n    ret<|fim_suffix|>\n<|fim_middle|>",
        "raw": True,
        "stream": False,
    }
    assert (
        post(f"{model_server.url}/api/generate", body).json()["response"] == "urn json.dumps(obj)"
    )


def test_defaults_apply_to_every_request_until_reset_and_typos_are_refused(model_server):
    model_server.default("*", text="pass", first_token_delay=0.05)
    model_server.script("/api/generate", text="once")
    url = f"{model_server.url}/api/generate"
    replies = [post(url, {"model": QWEN, "prompt": "x", "stream": False}).json() for _ in "abc"]
    assert [reply["response"] for reply in replies] == ["once", "pass", "pass"]
    with pytest.raises(ValueError, match="/api/generat cannot be scripted"):
        model_server.script("/api/generat", text="typo")
