"""The interface every model provider implements, and the values that cross it.

A provider serves one role (`fim`, `chat`, ...) with one model on one
server. Everything streams: callers iterate `Chunk`s, and the last one
(`done=True`) carries the token counts the server reported and whether it
cut the prompt. Cancelling the consumer (or closing the iterator) closes the
HTTP stream, so the server stops generating. Timeouts are per role: one for
the first token (a model loading into memory is slow), one between chunks
(a stalled stream).

Adding a provider (the embedded llama.cpp one, for example): subclass
`Provider`, implement the abstract methods, and register it in
`aiide_tui.llm.registry`.
"""

from __future__ import annotations

import asyncio
import math
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from aiide_tui.llm.errors import ModelLoadingSlow, ModelTimeout
from aiide_tui.llm.roles import Role
from aiide_tui.llm.templates import FimPrompt, FimStyle, Snippet, build_fim_prompt

TRUNCATION_RATIO = 0.5
"""Below this share of the estimated prompt tokens, the server must have cut the prompt."""


def estimate_tokens(text: str) -> int:
    """A cheap token count: one per 4 UTF-8 bytes (code averages 3 to 4 bytes a token)."""
    return math.ceil(len(text.encode("utf-8")) / 4)


def prompt_truncated(sent: int, reported: int | None, num_ctx: int | None) -> bool:
    """Whether the server cut the prompt, judging from the tokens it says it read.

    Ollama silently keeps about half the window when a prompt overflows
    `num_ctx`, so far fewer tokens than were sent is the tell; so is a prompt
    estimated over the window that the server read less of.
    """
    if reported is None:
        return False
    if reported < sent * TRUNCATION_RATIO:
        return True
    return num_ctx is not None and sent >= num_ctx and reported < sent


@dataclass(frozen=True)
class Usage:
    """Token counts for one request: what the server reported, and our estimate of the prompt."""

    prompt_tokens: int | None
    output_tokens: int | None
    sent_tokens: int
    """Our estimate of the prompt's tokens (`estimate_tokens`)."""
    truncated: bool
    """The server read less of the prompt than was sent: shown to the user, never hidden."""


@dataclass(frozen=True)
class ToolCall:
    """A function the model asks to call, with its arguments already parsed."""

    id: str
    name: str
    arguments: Mapping[str, Any]
    error: str | None = None
    """Why the arguments could not be read (invalid JSON from the model); then they are {}."""


@dataclass(frozen=True)
class Chunk:
    """A piece of a streamed answer; the last one has `done=True`, the reason and the usage."""

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    done: bool = False
    finish_reason: str | None = None
    """On the last chunk: "stop", "length" (hit max_tokens) or "tool_calls"."""
    usage: Usage | None = None


@dataclass(frozen=True)
class Reply:
    """A whole answer, gathered from its chunks by `collect`."""

    text: str
    tool_calls: tuple[ToolCall, ...]
    finish_reason: str | None
    usage: Usage | None


@dataclass(frozen=True)
class GenerateRequest:
    """Plain text generation; with `suffix` the server's template does fill-in-the-middle."""

    prompt: str
    suffix: str | None = None
    raw: bool = True
    """Send the prompt as it is, without the model's chat template (FIM prompts are raw)."""
    stop: tuple[str, ...] = ()
    max_tokens: int | None = None
    """None: the role's max_tokens."""
    temperature: float | None = None

    @classmethod
    def for_fim(cls, fim: FimPrompt, max_tokens: int | None = None) -> GenerateRequest:
        return cls(fim.prompt, fim.suffix, fim.raw, fim.stop, max_tokens)


@dataclass(frozen=True)
class ChatMessage:
    role: Literal["system", "user", "assistant", "tool"]
    content: str
    tool_calls: tuple[ToolCall, ...] = ()
    tool_call_id: str | None = None
    """For role "tool": the call this message answers."""
    name: str | None = None
    """For role "tool": the tool's name."""


@dataclass(frozen=True)
class Tool:
    """A function the model may call: its name, what it does, JSON Schema of its arguments."""

    name: str
    description: str
    parameters: Mapping[str, Any] = field(default_factory=lambda: {"type": "object"})

    def to_openai(self) -> dict[str, Any]:
        """The `tools` entry both Ollama and OpenAI-compatible servers accept."""
        function = {"name": self.name, "description": self.description}
        return {"type": "function", "function": {**function, "parameters": dict(self.parameters)}}


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[ChatMessage, ...]
    tools: tuple[Tool, ...] = ()
    max_tokens: int | None = None
    temperature: float | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Embeddings:
    vectors: tuple[tuple[float, ...], ...]
    prompt_tokens: int | None


@dataclass(frozen=True)
class ModelInfo:
    name: str
    family: str = ""
    size: int | None = None
    context_length: int | None = None


@dataclass(frozen=True)
class Health:
    """Whether the role's server answers and has the role's model; `detail` says what to do."""

    reachable: bool
    model_available: bool
    server: str
    """e.g. "Ollama 0.12.6 at http://127.0.0.1:11434"."""
    detail: str


class Provider(ABC):
    """One model on one server, serving one role.

    Every method may raise the errors of `aiide_tui.llm.errors`; none raises
    the client library's own exceptions.
    """

    kind: ClassVar[str]
    """The `provider` name in config ("ollama", "openai")."""

    def __init__(self, role: Role) -> None:
        self.role = role

    @property
    def model(self) -> str:
        return self.role.model

    @abstractmethod
    def stream_generate(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        """Stream plain (or fill-in-the-middle) generation.

        Raises:
            ServerDown, ModelNotFound, ModelHTTPError, PromptTooLong,
            ModelLoadingSlow (no first token in time), ModelTimeout (stalled),
            StreamDropped (connection closed mid-answer).
        """

    @abstractmethod
    def stream_chat(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        """Stream a chat answer; tool calls arrive whole (on any chunk, the last included).

        Raises:
            as `stream_generate`, and CapabilityMissing when the model has no tools.
        """

    @abstractmethod
    async def embed(self, texts: Sequence[str]) -> Embeddings:
        """One vector per text, in order, in one request.

        Raises:
            ServerDown, ModelNotFound, ModelHTTPError.
        """

    @abstractmethod
    async def list_models(self) -> list[ModelInfo]:
        """The models the server can serve. Raises: ServerDown, ModelHTTPError."""

    @abstractmethod
    async def health(self) -> Health:
        """Whether the server answers and has the model; never raises."""

    @abstractmethod
    async def fim_style(self) -> FimStyle:
        """How this model does fill-in-the-middle: its family template, native suffix or not.

        Raises:
            ServerDown, ModelNotFound (Ollama asks the server about the model).
        """

    @abstractmethod
    async def aclose(self) -> None:
        """Close the provider's connections (streams in flight are closed with them)."""

    async def stream_fim(
        self,
        prefix: str,
        suffix: str,
        *,
        snippets: Sequence[Snippet] = (),
        path: str | None = None,
        repo_name: str | None = None,
        max_tokens: int | None = None,
    ) -> AsyncIterator[Chunk]:
        """Fill in between `prefix` and `suffix` with this model's own FIM format.

        Raises:
            CapabilityMissing when the model has no known FIM format, and the
            errors of `stream_generate`.
        """
        style = await self.fim_style()
        fim = build_fim_prompt(style, prefix, suffix, snippets, path, repo_name)
        async with aclosing(self.stream_generate(GenerateRequest.for_fim(fim, max_tokens))) as it:
            async for chunk in it:
                yield chunk


async def collect(chunks: AsyncIterator[Chunk]) -> Reply:
    """Gather a stream into one `Reply` (closing the stream however it ends)."""
    text: list[str] = []
    calls: list[ToolCall] = []
    last = Chunk()
    async with aclosing(chunks) as stream:
        async for chunk in stream:
            text.append(chunk.text)
            calls.extend(chunk.tool_calls)
            last = chunk
    return Reply("".join(text), tuple(calls), last.finish_reason, last.usage)


async def with_deadlines(
    chunks: AsyncIterator[Chunk], first_s: float, idle_s: float, what: str
) -> AsyncIterator[Chunk]:
    """Pass `chunks` through, failing if the first one takes over `first_s` or a later one `idle_s`.

    On a timeout (and on cancellation) the inner stream is closed, which
    closes its HTTP connection.
    """
    async with aclosing(chunks) as stream:
        iterator = aiter(stream)
        first = True
        while True:
            limit = first_s if first else idle_s
            try:
                async with asyncio.timeout(limit):
                    chunk = await anext(iterator)
            except StopAsyncIteration:
                return
            except TimeoutError:
                if first:
                    raise ModelLoadingSlow(
                        f"{what} sent nothing for {limit:g} s: the model may still be loading "
                        "into memory; try again, or raise first_token_timeout_s for this role"
                    ) from None
                raise ModelTimeout(
                    f"{what} stopped sending for {limit:g} s in the middle of an answer; "
                    "raise idle_timeout_s for this role if the server is just slow"
                ) from None
            first = False
            yield chunk
