"""Any OpenAI-compatible server (vLLM, llama.cpp's llama-server, LM Studio) over httpx.

`base_url` ends in `/v1`; an API key, when the role names `api_key_env`,
goes in `Authorization: Bearer`. Streams are Server-Sent Events (`data:`
lines, `data: [DONE]` at the end) and always ask for the usage chunk
(`stream_options.include_usage`), so token counts are read back as with
Ollama. Fill-in-the-middle sends a raw prompt in the model family's format
to `/completions` (vLLM has no `suffix`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from aiide_tui.llm.base import (
    ChatMessage,
    ChatRequest,
    Chunk,
    Embeddings,
    GenerateRequest,
    Health,
    ModelInfo,
    Provider,
    ToolCall,
    Usage,
    estimate_tokens,
    prompt_truncated,
    with_deadlines,
)
from aiide_tui.llm.errors import (
    AuthenticationFailed,
    ModelError,
    ModelHTTPError,
    ModelNotFound,
    PromptTooLong,
    StreamDropped,
)
from aiide_tui.llm.roles import Role
from aiide_tui.llm.templates import FimStyle, template_for
from aiide_tui.llm.transport import client_options, transport_error

ERROR_BODY_LIMIT = 4000


class OpenAIProvider(Provider):
    """A role served by an OpenAI-compatible server at `role.base_url`."""

    kind = "openai"

    def __init__(self, role: Role) -> None:
        super().__init__(role)
        key = role.api_key()
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.AsyncClient(
            base_url=role.base_url, headers=headers, **client_options(role)
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    # -- generation ---------------------------------------------------------------------------

    def stream_generate(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        body = self._sampling(request.max_tokens, request.temperature, request.stop)
        body["prompt"] = request.prompt
        if request.suffix is not None:
            body["suffix"] = request.suffix
        sent = estimate_tokens(request.prompt + (request.suffix or ""))
        return self._deadlines(self._stream("completions", body, sent))

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        body = self._sampling(request.max_tokens, request.temperature, request.stop)
        body["messages"] = [_message(message) for message in request.messages]
        if request.tools:
            body["tools"] = [tool.to_openai() for tool in request.tools]
        sent = estimate_tokens(json.dumps(body["messages"]) + json.dumps(body.get("tools", [])))
        return self._deadlines(self._stream("chat/completions", body, sent))

    def _sampling(
        self, max_tokens: int | None, temperature: float | None, stop: Sequence[str]
    ) -> dict[str, Any]:
        body: dict[str, Any] = {**self.role.options, "model": self.model}
        body["max_tokens"] = max_tokens or self.role.max_tokens
        temperature = self.role.temperature if temperature is None else temperature
        if temperature is not None:
            body["temperature"] = temperature
        if stop:
            body["stop"] = list(stop)
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
        return body

    def _deadlines(self, chunks: AsyncIterator[Chunk]) -> AsyncIterator[Chunk]:
        what = f"the server at {self.role.base_url} ({self.model})"
        role = self.role
        return with_deadlines(chunks, role.first_token_timeout_s, role.idle_timeout_s, what)

    async def _stream(self, path: str, body: dict[str, Any], sent: int) -> AsyncIterator[Chunk]:
        state = _StreamState()
        with self._errors():
            async with self._client.stream("POST", path, json=body) as response:
                if response.status_code >= 400:
                    await response.aread()
                    raise self._status_error(response)
                async for data in _sse_data(response.aiter_lines()):
                    if data == "[DONE]":
                        yield self._final(state, sent)
                        return
                    text = state.take(_event(data, self.role.base_url))
                    if text:
                        yield Chunk(text=text)
        raise StreamDropped(
            f"the server at {self.role.base_url} ended the answer without finishing it "
            f"({self.model}); try again"
        )

    def _final(self, state: _StreamState, sent: int) -> Chunk:
        reported = state.usage.get("prompt_tokens")
        usage = Usage(
            prompt_tokens=reported,
            output_tokens=state.usage.get("completion_tokens"),
            sent_tokens=sent,
            truncated=prompt_truncated(sent, reported, self.role.num_ctx),
        )
        return Chunk("", state.tool_calls(), True, state.finish_reason or "stop", usage)

    # -- the rest -----------------------------------------------------------------------------

    async def embed(self, texts: Sequence[str]) -> Embeddings:
        reply = await self._json("POST", "embeddings", {"model": self.model, "input": list(texts)})
        data = sorted(reply.get("data") or [], key=lambda item: item.get("index", 0))
        vectors = tuple(tuple(item["embedding"]) for item in data)
        return Embeddings(vectors, (reply.get("usage") or {}).get("prompt_tokens"))

    async def list_models(self) -> list[ModelInfo]:
        reply = await self._json("GET", "models", None)
        return [
            ModelInfo(name=str(item.get("id", "")), context_length=item.get("max_model_len"))
            for item in reply.get("data") or []
        ]

    async def fim_style(self) -> FimStyle:
        family = self.role.fim_format
        return FimStyle(self.model, template_for(self.model, family=family), native_suffix=False)

    async def health(self) -> Health:
        server = f"OpenAI-compatible server at {self.role.base_url}"
        try:
            names = [info.name for info in await self.list_models()]
        except ModelError as error:
            return Health(False, False, server, error.message)
        if self.model in names:
            return Health(True, True, server, f"serves {self.model}")
        serves = ", ".join(names) or "nothing"
        return Health(True, False, server, f"does not list {self.model} (it serves {serves})")

    async def _json(self, method: str, path: str, body: dict[str, Any] | None) -> dict[str, Any]:
        with self._errors():
            async with asyncio.timeout(self.role.first_token_timeout_s):
                response = await self._client.request(method, path, json=body)
            if response.status_code >= 400:
                raise self._status_error(response)
            reply = response.json()
        if not isinstance(reply, dict):
            raise ModelHTTPError(f"{self.role.base_url}/{path} did not answer a JSON object")
        return reply

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except (httpx.HTTPError, OSError) as error:
            translated = transport_error(error, self.role)
            if translated is None:
                raise
            raise translated from None
        except json.JSONDecodeError:
            raise ModelHTTPError(
                f"{self.role.base_url} did not answer JSON: is base_url an OpenAI-compatible "
                "server (it usually ends in /v1)?"
            ) from None

    def _status_error(self, response: httpx.Response) -> ModelError:
        status, url = response.status_code, self.role.base_url
        message = error_message(response.text[:ERROR_BODY_LIMIT])
        if status in (401, 403):
            fix = f"check {self.role.api_key_env}" if self.role.api_key_env else "set api_key_env"
            return AuthenticationFailed(f"{url} refused the request ({message}): {fix}")
        if status == 404 and "model" in message.lower():
            return ModelNotFound(
                f"{url} does not serve {self.model!r} ({message}): `aiide models list` "
                "shows what it serves"
            )
        if status == 404:
            return ModelHTTPError(f"{url}: {message}: does base_url end in /v1?", status)
        if status == 400 and "context" in message.lower():
            return PromptTooLong(message)
        return ModelHTTPError(f"{url} answered HTTP {status}: {message}", status)


def error_message(body: str) -> str:
    """The message inside an error body, in any of the shapes servers use."""
    try:
        data = json.loads(body)
    except ValueError:
        return body.strip() or "no details"
    if isinstance(data, dict):
        error = data.get("error", data)
        if isinstance(error, str):
            return error
        if isinstance(error, dict):
            return str(error.get("message") or error.get("detail") or error)
    return str(data)


async def _sse_data(lines: AsyncIterator[str]) -> AsyncIterator[str]:
    """The `data` of each Server-Sent Event (multi-line data joined by newlines)."""
    data: list[str] = []
    async for line in lines:
        if not line:
            if data:
                yield "\n".join(data)
                data = []
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    if data:
        yield "\n".join(data)


def _event(data: str, url: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except ValueError:
        raise ModelHTTPError(f"{url} sent an event that is not JSON: {data[:200]!r}") from None
    if not isinstance(event, dict):
        raise ModelHTTPError(f"{url} sent an event that is not a JSON object")
    if "error" in event:
        raise ModelHTTPError(
            f"{url} failed in the middle of an answer: {error_message(json.dumps(event))}"
        )
    return event


@dataclass
class _StreamState:
    """What a stream has said so far: finish reason, usage, tool calls in pieces."""

    finish_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    calls: dict[int, dict[str, Any]] = field(default_factory=dict)

    def take(self, event: Mapping[str, Any]) -> str:
        """Absorb one event; return its text."""
        if event.get("usage"):
            self.usage = dict(event["usage"])
        text = ""
        for choice in event.get("choices") or []:
            self.finish_reason = choice.get("finish_reason") or self.finish_reason
            if "text" in choice:
                text += choice.get("text") or ""
            delta = choice.get("delta") or {}
            text += delta.get("content") or ""
            for call in delta.get("tool_calls") or []:
                self._add_call(call)
        return text

    def _add_call(self, call: Mapping[str, Any]) -> None:
        entry = self.calls.setdefault(int(call.get("index", 0)), {"arguments": ""})
        if call.get("id"):
            entry["id"] = call["id"]
        function = call.get("function") or {}
        if function.get("name"):
            entry["name"] = function["name"]
        entry["arguments"] += function.get("arguments") or ""

    def tool_calls(self) -> tuple[ToolCall, ...]:
        calls = []
        for index, entry in sorted(self.calls.items()):
            try:
                arguments = json.loads(entry["arguments"] or "{}")
                error = None
            except ValueError as problem:
                arguments, error = {}, f"arguments are not valid JSON ({problem})"
            ident = entry.get("id") or f"call_{index}"
            calls.append(ToolCall(ident, entry.get("name", ""), arguments, error))
        return tuple(calls)


def _message(message: ChatMessage) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        data["tool_calls"] = [
            {
                "id": call.id,
                "type": "function",
                "function": {"name": call.name, "arguments": json.dumps(dict(call.arguments))},
            }
            for call in message.tool_calls
        ]
    if message.role == "tool":
        data["tool_call_id"] = message.tool_call_id or ""
    return data
