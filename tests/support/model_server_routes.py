"""Each endpoint's answer, as the real server would give it, planned before it is sent.

A route turns a request body and a `Script` into an `Answer`: either a whole
body, or frames to stream (token frames are the ones that per-chunk delays,
drops and stalls count). The HTTP plumbing that sends an answer, with its
delays and failures, lives in `model_server_app`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support import model_server_wire as wire
from tests.support.model_server_embed import DEFAULT_DIMENSIONS, embed_text
from tests.support.model_server_script import Script

Frame = bytes | Callable[[], bytes]
"""Frame bytes, or a function that builds them when sent (final lines carry timings)."""


class Problem(Exception):
    """An HTTP error answer in the endpoint's own format."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class Answer:
    content_type: str
    body: Frame | None = None
    frames: list[tuple[Frame, bool]] = field(default_factory=list)
    """(frame, counts as a token) in order; used when `body` is None."""
    error_frame: Callable[[str], bytes] | None = None
    notes: dict[str, Any] = field(default_factory=dict)
    """Facts recorded with the request (prompt tokens reported, truncation)."""


@dataclass
class Catalog:
    """The models the server has, and the text it continues when nothing is scripted."""

    models: list[dict[str, Any]]
    corpus: str = ""

    def find(self, name: str) -> dict[str, Any] | None:
        """The model called `name`; an untagged name also finds `name:latest`, as in Ollama."""
        wanted = {name, f"{name}:latest"} if ":" not in name else {name}
        return next((item for item in self.models if item["name"] in wanted), None)


@dataclass
class Request:
    path: str
    body: dict[str, Any]
    script: Script
    catalog: Catalog
    started: float


def _model(request: Request, family: str) -> dict[str, Any]:
    name = str(request.body.get("model") or "")
    if not name:
        raise Problem(400, "model is required")
    found = request.catalog.find(name)
    if found is None:
        message = f"model '{name}' not found" if family == "ollama" else None
        raise Problem(404, message or f"The model `{name}` does not exist.")
    return found


def _cut(pieces: list[str], stop: Any, limit: int | None) -> tuple[list[str], str]:
    """Pieces up to a stop string (excluded) or `limit` pieces, and the reason it ended."""
    stops = [stop] if isinstance(stop, str) else list(stop or [])
    kept: list[str] = []
    text = ""
    for piece in pieces:
        if limit is not None and len(kept) >= limit:
            return kept, "length"
        joined = text + piece
        at = min((joined.find(s) for s in stops if s and s in joined), default=-1)
        if at >= 0:
            while kept and len(text) > at:
                text = text[: len(text) - len(kept.pop())]
            if at > len(text):
                kept.append(joined[len(text) : at])
            return kept, "stop"
        kept.append(piece)
        text = joined
    return kept, "stop"


def _pieces(request: Request, prompt: str) -> list[str]:
    pieces = request.script.pieces()
    if pieces or request.script.tool_calls or not request.catalog.corpus:
        return pieces
    return Script(text=continuation(request.catalog.corpus, fim_prefix(prompt))).pieces()


_PREFIX_MARKERS = (
    "<|fim_prefix|>",
    "<fim_prefix>",
    "<\uff5cfim\u2581begin\uff5c>",
    "<PRE> ",
    "[PREFIX] ",
)
_SUFFIX_MARKERS = (
    "<|fim_suffix|>",
    "<fim_suffix>",
    "<\uff5cfim\u2581hole\uff5c>",
    " <SUF>",
    "[SUFFIX]",
)


def fim_prefix(prompt: str) -> str:
    """The code before the cursor inside a raw FIM prompt of any known family."""
    start = max((prompt.rfind(m) + len(m) for m in _PREFIX_MARKERS if m in prompt), default=0)
    rest = prompt[start:]
    ends = [rest.find(m) for m in _SUFFIX_MARKERS if m in rest]
    return rest[: min(ends)] if ends else rest


def continuation(corpus: str, prefix: str) -> str:
    """What follows the longest tail of `prefix` found in `corpus`, to the end of that line."""
    for size in range(min(64, len(prefix)), 7, -1):
        at = corpus.find(prefix[-size:])
        if at >= 0:
            start = at + size
            end = corpus.find("\n", start + (1 if corpus[start : start + 1] == "\n" else 0))
            return corpus[start : end if end >= 0 else len(corpus)][:120]
    return ""


def _prompt_tokens(request: Request, text: str, num_ctx: int | None) -> tuple[int, bool]:
    """Tokens the server reports for the prompt, and whether it cut the prompt to fit."""
    if request.script.prompt_tokens is not None:
        return request.script.prompt_tokens, True
    tokens = max(1, wire.count_tokens(text))
    if num_ctx is not None and tokens > num_ctx - 1:
        options = request.body.get("options") or {}
        keep = min(int(options.get("num_keep", wire.OLLAMA_DEFAULT_NUM_KEEP)), num_ctx - 1)
        return num_ctx - max((num_ctx - keep) // 2, 1), True
    return tokens, False


# -- Ollama -------------------------------------------------------------------------------


def _ollama_name(found: dict[str, Any]) -> str:
    return f"registry.ollama.ai/library/{found['name']}"


def ollama_generate(request: Request) -> Answer:
    body = request.body
    found = _model(request, "ollama")
    prompt, suffix = str(body.get("prompt") or ""), str(body.get("suffix") or "")
    if suffix and ".Suffix" not in found["template"]:
        raise Problem(400, f"{_ollama_name(found)} does not support insert")
    options = body.get("options") or {}
    num_ctx = int(options.get("num_ctx") or wire.OLLAMA_DEFAULT_NUM_CTX)
    prompt_tokens, truncated = _prompt_tokens(request, prompt + suffix, num_ctx)
    pieces, reason = _cut(_pieces(request, prompt), options.get("stop"), options.get("num_predict"))
    reason = request.script.done_reason or reason
    model = str(body["model"])
    context = None if body.get("raw") else [i % 32000 for i in range(prompt_tokens + len(pieces))]

    def final(response: str) -> dict[str, Any]:
        metrics = wire.ollama_metrics(prompt_tokens, len(pieces), request.started)
        return wire.ollama_generate_final(model, response, reason, context, metrics)

    notes = {"prompt_tokens": prompt_tokens, "truncated": truncated, "num_ctx": num_ctx}
    if body.get("stream", True) is False:
        return Answer(wire.JSON_TYPE, lambda: wire.go_json(final("".join(pieces))), notes=notes)
    frames: list[tuple[Frame, bool]] = [
        (lambda piece=piece: wire.ndjson(wire.ollama_generate_line(model, piece)), True)
        for piece in pieces
    ]
    frames.append((lambda: wire.ndjson(final("")), False))
    return Answer(wire.OLLAMA_STREAM_TYPE, frames=frames, error_frame=_ollama_error, notes=notes)


def _ollama_error(message: str) -> bytes:
    return wire.ollama_error(message) + b"\n"


def _chat_text(body: dict[str, Any]) -> str:
    messages = body.get("messages") or []
    parts = [str(message.get("content") or "") for message in messages]
    if body.get("tools"):
        parts.append(json.dumps(body["tools"]))
    return "\n".join(parts) + " " * 16 * len(messages)


def ollama_chat(request: Request) -> Answer:
    body = request.body
    found = _model(request, "ollama")
    if body.get("tools") and ".Tools" not in found["template"]:
        raise Problem(400, f"{_ollama_name(found)} does not support tools")
    options = body.get("options") or {}
    num_ctx = int(options.get("num_ctx") or wire.OLLAMA_DEFAULT_NUM_CTX)
    prompt_tokens, truncated = _prompt_tokens(request, _chat_text(body), num_ctx)
    pieces, reason = _cut(request.script.pieces(), options.get("stop"), options.get("num_predict"))
    reason = request.script.done_reason or reason
    calls = wire.ollama_tool_calls(request.script.tool_calls) or None
    model = str(body["model"])
    eval_count = len(pieces) + (1 if calls else 0)

    def final(content: str, tool_calls: list[dict[str, Any]] | None) -> dict[str, Any]:
        metrics = wire.ollama_metrics(prompt_tokens, eval_count, request.started)
        return wire.ollama_chat_final(model, content, tool_calls, reason, metrics)

    notes = {"prompt_tokens": prompt_tokens, "truncated": truncated, "num_ctx": num_ctx}
    if body.get("stream", True) is False:
        return Answer(
            wire.JSON_TYPE, lambda: wire.go_json(final("".join(pieces), calls)), notes=notes
        )
    frames: list[tuple[Frame, bool]] = [
        (lambda piece=piece: wire.ndjson(wire.ollama_chat_line(model, piece)), True)
        for piece in pieces
    ]
    if calls:
        frames.append((lambda: wire.ndjson(wire.ollama_chat_line(model, "", calls)), True))
    frames.append((lambda: wire.ndjson(final("", None)), False))
    return Answer(wire.OLLAMA_STREAM_TYPE, frames=frames, error_frame=_ollama_error, notes=notes)


def _inputs(body: dict[str, Any], key: str) -> list[str]:
    value = body.get(key)
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        return list(value)
    raise Problem(400, "invalid input type")


def ollama_embed(request: Request) -> Answer:
    _model(request, "ollama")
    texts = _inputs(request.body, "input")
    dimensions = int(request.body.get("dimensions") or DEFAULT_DIMENSIONS)
    vectors = [embed_text(text, dimensions) for text in texts]
    tokens = sum(wire.count_tokens(text) for text in texts)
    metrics = wire.ollama_metrics(tokens, 0, request.started)
    reply = {"model": request.body["model"], "embeddings": vectors}
    reply.update({key: metrics[key] for key in ("total_duration", "load_duration")})
    reply["prompt_eval_count"] = tokens
    return Answer(wire.JSON_TYPE, wire.go_json(reply), notes={"prompt_tokens": tokens})


def ollama_embeddings(request: Request) -> Answer:
    """The legacy single-text endpoint, still used by older clients."""
    _model(request, "ollama")
    vector = embed_text(str(request.body.get("prompt") or ""))
    return Answer(wire.JSON_TYPE, wire.go_json({"embedding": vector}))


def ollama_show(request: Request) -> Answer:
    found = _model(request, "ollama")
    capabilities = ["embedding"] if found["embedding"] else ["completion"]
    capabilities += ["insert"] if ".Suffix" in found["template"] else []
    capabilities += ["tools"] if ".Tools" in found["template"] else []
    reply = {
        "modelfile": f'FROM {found["name"]}\nTEMPLATE """{found["template"]}"""\n',
        "parameters": 'stop                           "<|endoftext|>"',
        "template": found["template"],
        "details": _details(found),
        "model_info": {
            "general.architecture": found["family"],
            f"{found['family']}.context_length": found["context_length"],
        },
        "capabilities": capabilities,
        "modified_at": wire.go_time(),
    }
    return Answer(wire.JSON_TYPE, wire.go_json(reply))


def _details(found: dict[str, Any]) -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": found["family"],
        "families": [found["family"]],
        "parameter_size": found["parameter_size"],
        "quantization_level": "Q4_K_M",
    }


def ollama_tags(catalog: Catalog) -> bytes:
    models = [
        {
            "name": found["name"],
            "model": found["name"],
            "modified_at": wire.go_time(),
            "size": 986061892,
            "digest": hashlib.sha256(found["name"].encode()).hexdigest(),
            "details": _details(found),
        }
        for found in catalog.models
    ]
    return wire.go_json({"models": models})


# -- OpenAI-compatible ---------------------------------------------------------------------


def _check_length(found: dict[str, Any], prompt_tokens: int, max_tokens: int) -> None:
    limit = found["context_length"]
    if prompt_tokens + max_tokens > limit:
        raise Problem(
            400,
            f"This model's maximum context length is {limit} tokens. However, you requested "
            f"{prompt_tokens + max_tokens} tokens ({prompt_tokens} in the messages, "
            f"{max_tokens} in the completion). Please reduce the length of the messages or "
            "completion.",
        )


def _openai_error(message: str) -> bytes:
    return wire.sse({"error": {"message": message, "type": "InternalServerError", "code": 500}})


def openai_completions(request: Request) -> Answer:
    body = request.body
    found = _model(request, "openai")
    if body.get("suffix"):
        raise Problem(400, "suffix is not currently supported")
    prompt = _inputs(body, "prompt")[0]
    max_tokens = int(body.get("max_tokens") or wire.VLLM_DEFAULT_COMPLETION_MAX_TOKENS)
    prompt_tokens, truncated = _prompt_tokens(request, prompt, None)
    _check_length(found, prompt_tokens, max_tokens)
    pieces, reason = _cut(_pieces(request, prompt), body.get("stop"), max_tokens)
    reason = request.script.done_reason or reason
    ident, created = wire.openai_ids("cmpl")
    model = str(body["model"])
    usage = wire.openai_usage(prompt_tokens, len(pieces))
    notes = {"prompt_tokens": prompt_tokens, "truncated": truncated}
    if not body.get("stream"):
        choice = {**wire.completion_choice("".join(pieces), reason), "prompt_logprobs": None}
        reply = {**wire.completion_chunk(ident, created, model, [choice]), "usage": usage}
        return Answer(wire.JSON_TYPE, wire.openai_json(reply), notes=notes)
    frames: list[tuple[Frame, bool]] = []
    for index, piece in enumerate(pieces or [""]):
        finish = reason if index == max(len(pieces), 1) - 1 else None
        chunk = wire.completion_chunk(
            ident, created, model, [wire.completion_choice(piece, finish)]
        )
        frames.append((wire.sse(chunk), bool(pieces)))
    if (body.get("stream_options") or {}).get("include_usage"):
        frames.append(
            (wire.sse({**wire.completion_chunk(ident, created, model, []), "usage": usage}), False)
        )
    frames.append((wire.SSE_DONE, False))
    return Answer(wire.SSE_TYPE, frames=frames, error_frame=_openai_error, notes=notes)


def openai_chat(request: Request) -> Answer:
    body = request.body
    found = _model(request, "openai")
    prompt_tokens, truncated = _prompt_tokens(request, _chat_text(body), None)
    limit = found["context_length"] - prompt_tokens
    max_tokens = int(body.get("max_completion_tokens") or body.get("max_tokens") or limit)
    _check_length(found, prompt_tokens, max_tokens)
    pieces, reason = _cut(request.script.pieces(), body.get("stop"), max_tokens)
    calls = request.script.tool_calls
    reason = request.script.done_reason or ("tool_calls" if calls else reason)
    ident, created = wire.openai_ids("chatcmpl")
    model = str(body["model"])
    usage = wire.openai_usage(prompt_tokens, len(pieces) + len(calls))
    notes = {"prompt_tokens": prompt_tokens, "truncated": truncated}
    if not body.get("stream"):
        message = {
            "role": "assistant",
            "reasoning_content": None,
            "content": "".join(pieces) or None,
        }
        message["tool_calls"] = wire.openai_tool_calls(calls)
        choice = {"index": 0, "message": message, "logprobs": None, "finish_reason": reason}
        reply = {
            "id": ident,
            "object": "chat.completion",
            "created": created,
            "model": model,
            "choices": [{**choice, "stop_reason": None}],
            "usage": usage,
            "prompt_logprobs": None,
        }
        return Answer(wire.JSON_TYPE, wire.openai_json(reply), notes=notes)
    first = wire.chat_chunk(ident, created, model, {"role": "assistant", "content": ""}, None)
    frames: list[tuple[Frame, bool]] = [(wire.sse(first), False)]
    deltas = [{"content": piece} for piece in pieces] + wire.tool_call_deltas(calls)
    for delta in deltas:
        frames.append((wire.sse(wire.chat_chunk(ident, created, model, delta, None)), True))
    last = wire.chat_chunk(ident, created, model, {"content": ""}, reason)
    frames.append((wire.sse(last), False))
    if (body.get("stream_options") or {}).get("include_usage"):
        usage_chunk = {**first, "choices": [], "usage": usage}
        frames.append((wire.sse(usage_chunk), False))
    frames.append((wire.SSE_DONE, False))
    return Answer(wire.SSE_TYPE, frames=frames, error_frame=_openai_error, notes=notes)


def openai_embeddings(request: Request) -> Answer:
    body = request.body
    _model(request, "openai")
    texts = _inputs(body, "input")
    dimensions = int(body.get("dimensions") or DEFAULT_DIMENSIONS)
    encoding = body.get("encoding_format") or "float"
    data = []
    for index, text in enumerate(texts):
        vector: Any = embed_text(text, dimensions)
        if encoding == "base64":
            vector = base64.b64encode(struct.pack(f"<{dimensions}f", *vector)).decode("ascii")
        data.append({"index": index, "object": "embedding", "embedding": vector})
    ident, created = wire.openai_ids("embd")
    tokens = sum(wire.count_tokens(text) for text in texts)
    reply = {
        "id": ident,
        "object": "list",
        "created": created,
        "model": body["model"],
        "data": data,
        "usage": wire.openai_usage(tokens, 0),
    }
    return Answer(wire.JSON_TYPE, wire.openai_json(reply), notes={"prompt_tokens": tokens})


def openai_models(catalog: Catalog) -> bytes:
    _, created = wire.openai_ids("model")
    data = [
        {
            "id": found["name"],
            "object": "model",
            "created": created,
            "owned_by": "vllm",
            "root": found["name"],
            "parent": None,
            "max_model_len": found["context_length"],
        }
        for found in catalog.models
    ]
    return wire.openai_json({"object": "list", "data": data})


ROUTES: dict[str, tuple[str, Callable[[Request], Answer]]] = {
    "/api/generate": ("ollama", ollama_generate),
    "/api/chat": ("ollama", ollama_chat),
    "/api/embed": ("ollama", ollama_embed),
    "/api/embeddings": ("ollama", ollama_embeddings),
    "/api/show": ("ollama", ollama_show),
    "/v1/completions": ("openai", openai_completions),
    "/v1/chat/completions": ("openai", openai_chat),
    "/v1/embeddings": ("openai", openai_embeddings),
}
"""POST endpoints: path -> (wire family, route)."""
