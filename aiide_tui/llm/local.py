"""The `local` provider: models served on this machine with no server to install.

A GGUF model (the default code model, any `.gguf` path, or `ollama:NAME:TAG`
from Ollama's store) is served by llama.cpp in a child process
(`aiide_tui.llm.local_server`), started on first use and spoken to over
loopback by the same `OpenAIProvider` that talks to vLLM, so streaming,
cancellation, deadlines and errors behave exactly as with any
OpenAI-compatible server. The default embedder (`all-minilm-l6-v2`) needs no
server at all: it runs through onnxruntime (`aiide_tui.llm.onnx_embedder`).
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
from collections.abc import AsyncIterator, Sequence
from contextlib import aclosing

from aiide_tui.errors import AiideError
from aiide_tui.llm.base import (
    ChatRequest,
    Chunk,
    Embeddings,
    GenerateRequest,
    Health,
    ModelInfo,
    Provider,
)
from aiide_tui.llm.errors import CapabilityMissing, ModelNotFound
from aiide_tui.llm.local_server import (
    DEFAULT_CONTEXT,
    DEFAULT_SLOTS,
    SERVERS,
    LoadListener,
    LocalServer,
    LocalServers,
    ServerSettings,
)
from aiide_tui.llm.openai_compat import OpenAIProvider
from aiide_tui.llm.roles import Role
from aiide_tui.llm.templates import FimStyle, template_for
from aiide_tui.models.registry import MODELS
from aiide_tui.models.store import Located, require_model, resolve_gguf

SERVER_NAME = "llama.cpp (xllamacpp)"


class LocalProvider(Provider):
    """A role served on this machine: llama.cpp for GGUF models, onnxruntime for the embedder."""

    kind = "local"

    def __init__(
        self,
        role: Role,
        *,
        context: int = DEFAULT_CONTEXT,
        slots: int = DEFAULT_SLOTS,
        threads: int = 0,
        servers: LocalServers = SERVERS,
    ) -> None:
        """`context` is per slot (raised to the role's num_ctx); `threads` 0 fits the machine."""
        super().__init__(role)
        self._context = max(context, role.num_ctx)
        self._slots = slots
        self._threads = threads
        self._servers = servers
        self._server: LocalServer | None = None
        self._inner: OpenAIProvider | None = None
        self._embedder = None
        self._lock = asyncio.Lock()

    @property
    def is_embedder(self) -> bool:
        spec = MODELS.get(self.model)
        return spec is not None and spec.kind == "onnx-embedder"

    async def warm_up(self, on_event: LoadListener | None = None) -> str:
        """Start the model's server now (load progress goes to `on_event`); its base URL.

        Raises:
            ModelNotFound: the model is not installed (saying how to install it).
            LocalServerError: it could not load.
        """
        inner = await self._ready(on_event)
        return inner.role.base_url

    async def _ready(self, on_event: LoadListener | None = None) -> OpenAIProvider:
        if self.is_embedder:
            raise CapabilityMissing(f"{self.model} is an embedder: it cannot generate text")
        async with self._lock:
            if self._server is None:
                self._server = self._servers.acquire(self._settings(self._locate()))
            url = await self._server.start(on_event)
            base_url = f"{url}/v1"
            if self._inner is None or self._inner.role.base_url != base_url:
                if self._inner is not None:
                    await self._inner.aclose()
                role = dataclasses.replace(
                    self.role, provider="openai", base_url=base_url, api_key_env=""
                )
                self._inner = OpenAIProvider(dataclasses.replace(role, server=SERVER_NAME))
            return self._inner

    def _locate(self) -> Located:
        try:
            if self.is_embedder:
                return require_model(self.model)["model.onnx"]
            return resolve_gguf(self.model)
        except AiideError as error:
            raise ModelNotFound(error.message) from error

    def _settings(self, located: Located) -> ServerSettings:
        return ServerSettings(
            model_path=located.path,
            alias=self.model,
            ctx_per_slot=self._context,
            slots=self._slots,
            threads=self._threads,
            embedding=self.role.name == "embed",
        )

    # -- generation, through the OpenAI-compatible provider ------------------------------------

    async def stream_generate(self, request: GenerateRequest) -> AsyncIterator[Chunk]:
        inner = await self._ready()
        async with aclosing(inner.stream_generate(request)) as chunks:
            async for chunk in chunks:
                yield chunk

    async def stream_chat(self, request: ChatRequest) -> AsyncIterator[Chunk]:
        inner = await self._ready()
        async with aclosing(inner.stream_chat(request)) as chunks:
            async for chunk in chunks:
                yield chunk

    async def fim_style(self) -> FimStyle:
        family = self.role.fim_format
        return FimStyle(self.model, template_for(self.model, family=family), native_suffix=False)

    # -- the rest --------------------------------------------------------------------------------

    async def embed(self, texts: Sequence[str]) -> Embeddings:
        if not self.is_embedder:
            return await (await self._ready()).embed(texts)
        from aiide_tui.llm.onnx_embedder import OnnxEmbedder

        if self._embedder is None:
            self._embedder = OnnxEmbedder()
        try:
            vectors = await asyncio.to_thread(self._embedder.embed, list(texts))
        except AiideError as error:
            raise ModelNotFound(error.message) from error
        return Embeddings(tuple(tuple(vector) for vector in vectors), None)

    async def list_models(self) -> list[ModelInfo]:
        if self._server is not None and self._server.running and self._inner is not None:
            return await self._inner.list_models()
        located = self._locate()
        return [ModelInfo(self.model, size=located.path.stat().st_size)]

    async def health(self) -> Health:
        try:
            located = self._locate()
        except ModelNotFound as error:
            return Health(False, False, SERVER_NAME, error.message)
        if self.is_embedder:
            return Health(True, True, "onnxruntime (in process)", _from(located))
        if importlib.util.find_spec("xllamacpp") is None:
            return Health(False, True, SERVER_NAME, "xllamacpp is not installed: pip install it")
        if self._server is not None and self._server.running:
            return Health(True, True, f"{SERVER_NAME} at {self._server.url}", _from(located))
        return Health(True, True, SERVER_NAME, f"{_from(located)}; starts on first use")

    async def aclose(self) -> None:
        async with self._lock:
            if self._inner is not None:
                await self._inner.aclose()
                self._inner = None
            if self._server is not None:
                server, self._server = self._server, None
                await asyncio.to_thread(self._servers.release, server)
            if self._embedder is not None:
                self._embedder.close()
                self._embedder = None


def _from(located: Located) -> str:
    return f"{located.path} ({located.source})"
