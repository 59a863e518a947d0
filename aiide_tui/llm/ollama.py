"""Ollama, through the official `ollama` client (`AsyncClient`).

Every request sends `options.num_ctx` from the role, reads back
`prompt_eval_count` / `eval_count`, and reports a prompt that Ollama cut to
fit. Fill-in-the-middle uses Ollama's own `suffix` when the model's template
has `.Suffix` (asked once through `/api/show`), otherwise a raw prompt in the
family's format. Import cost: the `ollama` client loads with this module.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Iterator, Sequence
from typing import Any

import httpx
import ollama

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
    CapabilityMissing,
    ModelError,
    ModelHTTPError,
    ModelNotPulled,
    PromptTooLong,
    StreamDropped,
)
from aiide_tui.llm.roles import Role
from aiide_tui.llm.templates import FimStyle, template_for
from aiide_tui.llm.transport import client_options, transport_error

CONTEXT_ERRORS = ("context length", "longer than the context", "exceeds the context")


class OllamaProvider(Provider):
    """A role served by Ollama at `role.base_url` (`OLLAMA_HOST` / `[models] ollama_host`)."""

    kind = "ollama"

    def __init__(self, role: Role) -> None:
        super().__init__(role)
        self._client = ollama.AsyncClient(host=role.base_url, **client_options(role))
        self._style: FimStyle | None = None

    async def aclose(self) -> None:
        await self._client.close()

    # -- generation ---------------------------------------------------------------------------

    def stream_generate(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        return self._deadlines(self._generate(request))

    def stream_chat(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        return self._deadlines(self._chat(request))

    def _deadlines(self, chunks: AsyncIterator[Chunk]) -> AsyncIterator[Chunk]:
        what = f"Ollama at {self.role.base_url} ({self.model})"
        role = self.role
        return with_deadlines(chunks, role.first_token_timeout_s, role.idle_timeout_s, what)

    def _options(
        self, max_tokens: int | None, temperature: float | None, stop: Sequence[str]
    ) -> dict[str, Any]:
        options: dict[str, Any] = {**self.role.options, "num_ctx": self.role.num_ctx}
        options["num_predict"] = max_tokens or self.role.max_tokens
        temperature = self.role.temperature if temperature is None else temperature
        if temperature is not None:
            options["temperature"] = temperature
        if stop:
            options["stop"] = list(stop)
        return options

    def _keep_alive(self) -> str | int | None:
        """A duration ("10m"), or whole seconds ("-1": for ever), which Ollama takes only as
        a number: it reads "-1" as a duration without a unit and fails."""
        value = self.role.keep_alive
        try:
            return int(value) if value else None
        except ValueError:
            return value

    async def _generate(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        sent = estimate_tokens(request.prompt + (request.suffix or ""))
        options = self._options(request.max_tokens, request.temperature, request.stop)
        with self._errors():
            parts = await self._client.generate(
                model=self.model,
                prompt=request.prompt,
                suffix=request.suffix,
                raw=request.raw or None,
                stream=True,
                options=options,
                keep_alive=self._keep_alive(),
            )
            async for part in parts:
                if part.done:
                    yield self._final(part, part.response or "", (), sent)
                    return
                yield Chunk(text=part.response or "")
        raise self._dropped()

    async def _chat(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        messages = [_message(message) for message in request.messages]
        sent = estimate_tokens(json.dumps(messages) + json.dumps([t.name for t in request.tools]))
        options = self._options(request.max_tokens, request.temperature, request.stop)
        tools = [tool.to_openai() for tool in request.tools] or None
        with self._errors():
            parts = await self._client.chat(
                model=self.model,
                messages=messages,
                tools=tools,
                stream=True,
                options=options,
                keep_alive=self._keep_alive(),
            )
            count = 0
            async for part in parts:
                calls = tuple(_tool_call(call, count + i) for i, call in enumerate(_calls(part)))
                count += len(calls)
                text = part.message.content or ""
                if part.done:
                    yield self._final(part, text, calls, sent)
                    return
                yield Chunk(text=text, tool_calls=calls)
        raise self._dropped()

    def _final(self, part: Any, text: str, calls: tuple[ToolCall, ...], sent: int) -> Chunk:
        reported = part.prompt_eval_count
        usage = Usage(
            prompt_tokens=reported,
            output_tokens=part.eval_count,
            sent_tokens=sent,
            truncated=prompt_truncated(sent, reported, self.role.num_ctx),
        )
        return Chunk(text, calls, True, part.done_reason or "stop", usage)

    def _dropped(self) -> StreamDropped:
        return StreamDropped(
            f"Ollama at {self.role.base_url} ended the answer without finishing it "
            f"({self.model}); try again"
        )

    # -- the rest -----------------------------------------------------------------------------

    async def embed(self, texts: Sequence[str]) -> Embeddings:
        with self._errors():
            async with asyncio.timeout(self.role.first_token_timeout_s):
                reply = await self._client.embed(
                    model=self.model,
                    input=list(texts),
                    options={"num_ctx": self.role.num_ctx},
                    keep_alive=self._keep_alive(),
                )
        vectors = tuple(tuple(vector) for vector in reply.embeddings)
        return Embeddings(vectors, reply.prompt_eval_count)

    async def list_models(self) -> list[ModelInfo]:
        with self._errors():
            async with asyncio.timeout(self.role.first_token_timeout_s):
                reply = await self._client.list()
        return [
            ModelInfo(
                name=entry.model or "",
                family=(entry.details.family or "") if entry.details else "",
                size=entry.size,
            )
            for entry in reply.models
        ]

    async def fim_style(self) -> FimStyle:
        if self._style is None:
            with self._errors():
                async with asyncio.timeout(self.role.first_token_timeout_s):
                    shown = await self._client.show(self.model)
            template = shown.template or ""
            self._style = FimStyle(
                self.model,
                template_for(self.model, template, self.role.fim_format),
                ".Suffix" in template,
            )
        return self._style

    async def health(self) -> Health:
        try:
            version = await self._version()
            names = {info.name for info in await self.list_models()}
        except ModelError as error:
            return Health(False, False, f"Ollama at {self.role.base_url}", error.message)
        server = f"Ollama {version} at {self.role.base_url}"
        if self.model in names or f"{self.model}:latest" in names:
            return Health(True, True, server, f"{self.model} is pulled")
        return Health(
            True, False, server, f"{self.model} is not pulled: run `ollama pull {self.model}`"
        )

    async def _version(self) -> str:
        with self._errors():
            async with (
                httpx.AsyncClient(**client_options(self.role)) as client,
                asyncio.timeout(self.role.connect_timeout_s * 2),
            ):
                reply = await client.get(f"{self.role.base_url}/api/version")
        try:
            return str(reply.json().get("version", "?"))
        except ValueError:
            return "?"

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """Turn the client's exceptions into errors that say what to do."""
        try:
            yield
        except ollama.ResponseError as error:
            raise self._response_error(error) from None
        except (httpx.HTTPError, OSError) as error:
            translated = transport_error(error, self.role)
            if translated is None:
                raise
            raise translated from None
        except json.JSONDecodeError:
            raise ModelHTTPError(
                f"{self.role.base_url} sent something that is not Ollama's JSON: "
                "is [models] ollama_host an Ollama server?"
            ) from None

    def _response_error(self, error: ollama.ResponseError) -> ModelError:
        message, status, url = str(error.error), error.status_code, self.role.base_url
        if status == 404 and "not found" in message:
            return ModelNotPulled.named(self.model, url)
        if "does not support" in message:
            return CapabilityMissing(f"{self.model} on Ollama at {url}: {message}")
        if any(text in message for text in CONTEXT_ERRORS):
            return PromptTooLong(f"{message} (num_ctx is {self.role.num_ctx})")
        if status in (401, 403):
            return AuthenticationFailed(f"Ollama at {url} refused the request: {message}")
        if status == -1:
            return ModelHTTPError(f"Ollama at {url} failed in the middle of an answer: {message}")
        return ModelHTTPError(f"Ollama at {url} answered HTTP {status}: {message}", status)


def _message(message: ChatMessage) -> dict[str, Any]:
    data: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        data["tool_calls"] = [
            {"function": {"name": call.name, "arguments": dict(call.arguments)}}
            for call in message.tool_calls
        ]
    if message.role == "tool" and message.name:
        data["tool_name"] = message.name
    return data


def _calls(part: Any) -> Sequence[Any]:
    return part.message.tool_calls or ()


def _tool_call(call: Any, index: int) -> ToolCall:
    return ToolCall(f"call_{index}", call.function.name, dict(call.function.arguments or {}))
