"""Embeddings for the index, from Ollama (`/api/embed`) or an OpenAI-compatible server.

A small synchronous client: indexing runs in worker threads, and the wire
formats are two JSON shapes. Ollama: POST `{base}/api/embed`
`{"model", "input": [...]}` -> `{"embeddings": [[...], ...]}`. OpenAI:
POST `{base}/embeddings` (base ends in `/v1`) `{"model", "input": [...]}` ->
`{"data": [{"index", "embedding"}, ...]}`.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiide_tui.errors import AiideError

TIMEOUT_S = 60.0
"""A batch of chunks: a server loading its model first may take a while."""
ASK_TIMEOUT_S = 10.0
"""A probe or one search query: `aiide search` and `aiide doctor` waited a minute on a server
that accepted the connection and never answered; full text answers without it."""
CONNECT_TIMEOUT_S = 3.0
"""A server that does not even accept the connection is down: say so, do not wait a minute."""


class EmbedderError(AiideError):
    """The embedding server cannot be reached or answered badly."""

    title = "Embeddings unavailable"


class Embedder:
    """Turns texts into vectors through one server and model."""

    def __init__(
        self, base_url: str, model: str, *, api: str = "ollama", api_key: str | None = None
    ) -> None:
        if api not in ("ollama", "openai"):
            raise EmbedderError(f"Unknown embeddings API {api!r} (ollama or openai)")
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.api = api
        self.api_key = api_key
        self._client = None

    @property
    def name(self) -> str:
        return f"{self.api}:{self.model}"

    def embed(self, texts: Sequence[str], *, timeout_s: float = TIMEOUT_S) -> list[list[float]]:
        """One vector per text, in order; raises EmbedderError."""
        import httpx

        if not texts:
            return []
        if self._client is None:
            headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
            timeout = httpx.Timeout(TIMEOUT_S, connect=CONNECT_TIMEOUT_S)
            self._client = httpx.Client(timeout=timeout, headers=headers)
        url = (
            f"{self.base_url}/api/embed" if self.api == "ollama" else f"{self.base_url}/embeddings"
        )
        try:
            response = self._client.post(
                url,
                json={"model": self.model, "input": list(texts)},
                timeout=httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S),
            )
            response.raise_for_status()
            body = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise EmbedderError(f"Embeddings from {url} failed: {error}") from error
        return _vectors(body, self.api, len(texts))

    def probe(self) -> str | None:
        """None when the server embeds, else why not (for status and `aiide doctor`)."""
        try:
            self.embed(["ping"], timeout_s=ASK_TIMEOUT_S)
        except EmbedderError as error:
            return error.message
        return None

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def _vectors(body: object, api: str, count: int) -> list[list[float]]:
    try:
        if api == "ollama":
            vectors = body["embeddings"]  # type: ignore[index]
        else:
            items = sorted(body["data"], key=lambda item: item["index"])  # type: ignore[index]
            vectors = [item["embedding"] for item in items]
    except (KeyError, TypeError) as error:
        raise EmbedderError(f"Malformed embeddings reply: missing {error}") from error
    if len(vectors) != count:
        raise EmbedderError(f"Asked for {count} embeddings, got {len(vectors)}")
    return vectors
