"""The embedded embedder: all-MiniLM-L6-v2 as int8 ONNX, run by onnxruntime, no torch, no server.

It has the shape of `aiide_tui.index.embedder.Embedder` (`name`, `embed`,
`probe`, `close`), so the index fills its vectors with it the same way, in
its worker threads (never on the UI thread: a batch of 32 chunks takes about
a second and a half on two cores). The model files are used only after their
sha256 matched the registry's pins (`aiide_tui.models.store`).

Sentence-transformers' recipe: WordPiece tokens (at most 256), the model's
last hidden state averaged over the real tokens (mean pooling), then scaled
to unit length, so a dot product is the cosine similarity. Texts are sorted
by length before batching, so a batch pads little.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiide_tui.index.embedder import EmbedderError
from aiide_tui.models.registry import DEFAULT_EMBEDDER

DIMENSIONS = 384
MAX_TOKENS = 256
"""What the model was trained on (sentence-transformers' max_seq_length); longer text is cut."""
BATCH_SIZE = 32


class OnnxEmbedderError(EmbedderError):
    """The embedded embedder's files are missing or onnxruntime cannot run them."""

    title = "Embedder unavailable"


class OnnxEmbedder:
    """Turns texts into unit-length 384-dimensional vectors on this machine's CPU."""

    def __init__(
        self,
        model_path: Path | None = None,
        tokenizer_path: Path | None = None,
        *,
        threads: int | None = None,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        """Files default to the installed `all-minilm-l6-v2`; they load on the first `embed`."""
        self.model_path = model_path
        self.tokenizer_path = tokenizer_path
        self.threads = threads
        self.batch_size = batch_size
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    model = DEFAULT_EMBEDDER
    """The model's name, as the index records it beside its vectors."""

    @property
    def name(self) -> str:
        return f"onnx:{self.model}"

    @property
    def dimensions(self) -> int:
        return DIMENSIONS

    def embed(self, texts: Sequence[str], *, timeout_s: float | None = None) -> list[list[float]]:
        """One unit vector per text, in order (`timeout_s` is for servers: this runs here).

        Raises:
            OnnxEmbedderError: the model is not installed or cannot run.
        """
        if not texts:
            return []
        import numpy as np

        self._load()
        order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
        vectors = np.empty((len(texts), DIMENSIONS), dtype=np.float32)
        for start in range(0, len(order), self.batch_size):
            batch = order[start : start + self.batch_size]
            vectors[batch] = self._embed_batch([texts[index] for index in batch])
        return vectors.tolist()

    def probe(self) -> str | None:
        """None when the embedder works, else why not (for status and `aiide doctor`)."""
        try:
            self.embed(["ping"])
        except EmbedderError as error:
            return error.message
        return None

    def close(self) -> None:
        with self._lock:
            self._session = None
            self._tokenizer = None

    def _embed_batch(self, texts: list[str]) -> Any:
        import numpy as np

        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([item.ids for item in encodings], dtype=np.int64)
        mask = np.array([item.attention_mask for item in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        try:
            (hidden,) = self._session.run(["last_hidden_state"], feeds)
        except Exception as error:  # onnxruntime raises its own untyped errors
            raise OnnxEmbedderError(f"onnxruntime failed to embed: {error}") from error
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return pooled / np.clip(norms, 1e-12, None)

    def _load(self) -> None:
        with self._lock:
            if self._session is not None:
                return
            model_path, tokenizer_path = self._paths()
            try:
                import onnxruntime
                from tokenizers import Tokenizer
            except ImportError as error:
                raise OnnxEmbedderError(
                    f"the embedded embedder needs onnxruntime and tokenizers ({error})"
                ) from error
            tokenizer = Tokenizer.from_file(str(tokenizer_path))
            tokenizer.enable_truncation(MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")
            options = onnxruntime.SessionOptions()
            if self.threads:
                options.intra_op_num_threads = self.threads
            options.log_severity_level = 3
            try:
                session = onnxruntime.InferenceSession(
                    str(model_path), options, providers=["CPUExecutionProvider"]
                )
            except Exception as error:  # onnxruntime raises its own untyped errors
                raise OnnxEmbedderError(f"onnxruntime cannot load {model_path}: {error}") from error
            self._tokenizer, self._session = tokenizer, session

    def _paths(self) -> tuple[Path, Path]:
        if self.model_path is not None and self.tokenizer_path is not None:
            return self.model_path, self.tokenizer_path
        from aiide_tui.errors import AiideError
        from aiide_tui.models.store import require_model

        try:
            found = require_model(DEFAULT_EMBEDDER)
        except AiideError as error:
            raise OnnxEmbedderError(error.message) from error
        return found["model.onnx"].path, found["tokenizer.json"].path
