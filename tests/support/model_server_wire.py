"""The bytes the real servers send, built from plain values.

Ollama (Go, `encoding/json`): compact JSON in struct field order, `<`, `>`
and `&` escaped as `\\u003c` and so on, `created_at` in RFC 3339 with
nanoseconds trimmed, durations in nanoseconds, one object per line
(`application/x-ndjson`), errors as `{"error": "..."}`. Fields tagged
`omitempty` are left out when empty (so `done_reason` and the metrics only
appear on the final line). See ollama/ollama `api/types.go` and
`server/routes.go` (`streamResponse`).

OpenAI-compatible (vLLM, pydantic `model_dump_json(exclude_unset=True)`):
compact JSON, UTF-8 unescaped, Server-Sent Events `data: {...}` frames
ending with `data: [DONE]`; with `stream_options.include_usage` a last
chunk has `"choices": []` and the usage. Errors as
`{"error": {"message", "type", "param", "code"}}`.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from datetime import UTC, datetime
from typing import Any

OLLAMA_STREAM_TYPE = "application/x-ndjson"
JSON_TYPE = "application/json; charset=utf-8"
SSE_TYPE = "text/event-stream; charset=utf-8"
SSE_DONE = b"data: [DONE]\n\n"
OLLAMA_DEFAULT_NUM_CTX = 4096
OLLAMA_DEFAULT_NUM_KEEP = 4
VLLM_DEFAULT_COMPLETION_MAX_TOKENS = 16


def count_tokens(text: str) -> int:
    """The server's token count: one per 4 UTF-8 bytes, rounded up (0 for no text)."""
    return math.ceil(len(text.encode("utf-8")) / 4)


# -- Ollama -------------------------------------------------------------------------------


def go_json(value: Any) -> bytes:
    """JSON as Go's `json.Marshal` writes it."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    text = text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")
    return text.encode("utf-8")


def ndjson(value: Any) -> bytes:
    return go_json(value) + b"\n"


def go_time(moment: datetime | None = None) -> str:
    """`time.Time` as Go marshals it: RFC 3339, fraction without trailing zeros, `Z` for UTC."""
    moment = moment or datetime.now(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%f").rstrip("0").rstrip(".")
    return text + "Z"


def ollama_error(message: str) -> bytes:
    return go_json({"error": message})


def ollama_metrics(prompt_tokens: int, eval_count: int, started: float) -> dict[str, int]:
    """Ollama's `Metrics` (all nanoseconds); zero values are omitted, as `omitempty` does."""
    total = max(1, int((time.monotonic() - started) * 1e9))
    metrics = {
        "total_duration": total,
        "load_duration": min(total, 1_000_000),
        "prompt_eval_count": prompt_tokens,
        "prompt_eval_duration": total // 4,
        "eval_count": eval_count,
        "eval_duration": total // 2,
    }
    return {key: value for key, value in metrics.items() if value}


def ollama_generate_line(model: str, piece: str) -> dict[str, Any]:
    return {"model": model, "created_at": go_time(), "response": piece, "done": False}


def ollama_generate_final(
    model: str,
    response: str,
    done_reason: str,
    context: list[int] | None,
    metrics: dict[str, int],
) -> dict[str, Any]:
    line: dict[str, Any] = {"model": model, "created_at": go_time(), "response": response}
    line.update({"done": True, "done_reason": done_reason})
    if context:
        line["context"] = context
    line.update(metrics)
    return line


def ollama_tool_calls(tool_calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": f"call_{uuid.uuid4().hex[:8]}",
            "function": {"index": index, "name": call["name"], "arguments": call["arguments"]},
        }
        for index, call in enumerate(tool_calls)
    ]


def ollama_chat_line(
    model: str, content: str, tool_calls: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {"model": model, "created_at": go_time(), "message": message, "done": False}


def ollama_chat_final(
    model: str,
    content: str,
    tool_calls: list[dict[str, Any]] | None,
    done_reason: str,
    metrics: dict[str, int],
) -> dict[str, Any]:
    line = ollama_chat_line(model, content, tool_calls)
    line.update({"done": True, "done_reason": done_reason})
    line.update(metrics)
    return line


# -- OpenAI-compatible (vLLM) -------------------------------------------------------------


def openai_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def sse(value: Any) -> bytes:
    return b"data: " + openai_json(value) + b"\n\n"


def openai_error(message: str, status: int, param: str | None = None) -> bytes:
    kind = {400: "BadRequestError", 401: "Unauthorized", 404: "NotFoundError"}.get(
        status, "InternalServerError"
    )
    return openai_json(
        {"error": {"message": message, "type": kind, "param": param, "code": status}}
    )


def openai_usage(prompt_tokens: int, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": prompt_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
        "completion_tokens": completion_tokens,
        "prompt_tokens_details": None,
    }


def openai_ids(kind: str) -> tuple[str, int]:
    """A fresh response id (`cmpl-...`, `chatcmpl-...`) and the `created` second."""
    return f"{kind}-{uuid.uuid4().hex}", int(time.time())


def completion_choice(text: str, finish_reason: str | None) -> dict[str, Any]:
    return {
        "index": 0,
        "text": text,
        "logprobs": None,
        "finish_reason": finish_reason,
        "stop_reason": None,
    }


def completion_chunk(
    ident: str, created: int, model: str, choices: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "id": ident,
        "object": "text_completion",
        "created": created,
        "model": model,
        "choices": choices,
    }


def chat_chunk(
    ident: str, created: int, model: str, delta: dict[str, Any], finish_reason: str | None
) -> dict[str, Any]:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
    if finish_reason is not None:
        choice["stop_reason"] = None
    return {
        "id": ident,
        "object": "chat.completion.chunk",
        "created": created,
        "model": model,
        "choices": [choice],
    }


def openai_tool_calls(tool_calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Complete tool calls as a non-streamed message carries them (arguments as JSON text)."""
    return [
        {
            "id": f"chatcmpl-tool-{uuid.uuid4().hex}",
            "type": "function",
            "function": {
                "name": call["name"],
                "arguments": json.dumps(call["arguments"], ensure_ascii=False),
            },
        }
        for call in tool_calls
    ]


def tool_call_deltas(tool_calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Streamed tool calls as vLLM sends them: the name first, then the arguments in pieces."""
    deltas: list[dict[str, Any]] = []
    for index, call in enumerate(openai_tool_calls(tool_calls)):
        head = {"id": call["id"], "type": "function", "index": index}
        deltas.append({"tool_calls": [{**head, "function": {"name": call["function"]["name"]}}]})
        arguments = call["function"]["arguments"]
        middle = len(arguments) // 2
        for part in (arguments[:middle], arguments[middle:]):
            if part:
                deltas.append({"tool_calls": [{"index": index, "function": {"arguments": part}}]})
    return deltas
