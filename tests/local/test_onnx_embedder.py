"""The embedded ONNX embedder (all-MiniLM-L6-v2, int8) on real text."""

from __future__ import annotations

import numpy as np
import pytest

from aiide_tui.llm.local import LocalProvider
from aiide_tui.llm.onnx_embedder import DIMENSIONS, OnnxEmbedder, OnnxEmbedderError
from aiide_tui.models.registry import MINILM
from tests.local.conftest import require_model_files
from tests.local.test_local_provider import local_role

TEXTS = [
    "def read_file(path):\n    with open(path) as handle:\n        return handle.read()",
    "load the contents of a file from disk",
    "The orchestra tuned up before the symphony began.",
    "x" * 5000,
]


@pytest.fixture(scope="module")
def embedder():
    require_model_files(MINILM)
    embedder = OnnxEmbedder(threads=1)
    yield embedder
    embedder.close()


def test_vectors_have_384_dimensions_and_unit_length(embedder):
    vectors = np.array(embedder.embed(TEXTS))
    assert vectors.shape == (len(TEXTS), DIMENSIONS)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)


def test_related_texts_are_closer_than_unrelated_ones(embedder):
    code, description, unrelated, _ = np.array(embedder.embed(TEXTS))
    assert code @ description > code @ unrelated + 0.2


def test_a_batch_gives_the_same_vectors_as_one_at_a_time(embedder):
    batch = np.array(embedder.embed(TEXTS))
    single = np.array([embedder.embed([text])[0] for text in TEXTS])
    assert np.allclose(batch, single, atol=1e-4)


def test_nothing_to_embed_is_no_vectors(embedder):
    assert embedder.embed([]) == []


async def test_the_local_provider_embeds_with_it():
    require_model_files(MINILM)
    provider = LocalProvider(local_role(MINILM.name, name="embed"))
    try:
        health = await provider.health()
        embeddings = await provider.embed(TEXTS[:2])
    finally:
        await provider.aclose()
    assert health.reachable and health.model_available
    assert [len(vector) for vector in embeddings.vectors] == [DIMENSIONS, DIMENSIONS]


def test_missing_files_say_how_to_install_them(monkeypatch, tmp_path):
    monkeypatch.setattr("aiide_tui.models.store._wheel_file", lambda *args: None)
    with pytest.raises(OnnxEmbedderError, match="aiide models install all-minilm-l6-v2"):
        OnnxEmbedder().embed(["hello"])
