"""Deterministic embeddings that carry meaning, for the test model server.

A real embedding model is too slow and too large for unit tests, yet index
and search tests need vectors where related texts are close. Hashed token
features give that: identifiers are split on camelCase and snake_case,
lowercased, and each word (and each pair of neighbouring words) is hashed
into a fixed number of dimensions with a sign, weighted by log term
frequency, then L2-normalised. Texts sharing words get a high cosine
similarity; unrelated texts are near orthogonal. Stdlib only, and stable
across processes (blake2b, not Python's salted `hash`).
"""

from __future__ import annotations

import hashlib
import itertools
import math
import re
from collections import Counter

DEFAULT_DIMENSIONS = 256

_IDENTIFIER = re.compile(r"[A-Za-z0-9]+")
_WORD_PART = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")


def words(text: str) -> list[str]:
    """Lowercase words of `text`: `parseHTTPRequest_v2` -> parse, http, request, v, 2."""
    found: list[str] = []
    for identifier in _IDENTIFIER.findall(text):
        found.extend(part.lower() for part in _WORD_PART.findall(identifier))
    return found


def _features(text: str) -> Counter[str]:
    tokens = words(text)
    features = Counter(tokens)
    features.update(f"{a} {b}" for a, b in itertools.pairwise(tokens))
    return features


def _slot(feature: str, dimensions: int) -> tuple[int, float]:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    value = int.from_bytes(digest, "little")
    return value % dimensions, 1.0 if (value >> 63) & 1 else -1.0


def embed_text(text: str, dimensions: int = DEFAULT_DIMENSIONS) -> list[float]:
    """The unit vector for `text`; a text without words gets the first basis vector."""
    vector = [0.0] * dimensions
    for feature, count in _features(text).items():
        index, sign = _slot(feature, dimensions)
        weight = 1.0 + math.log(count)
        vector[index] += sign * (weight if " " not in feature else 0.5 * weight)
    norm = math.sqrt(sum(value * value for value in vector))
    if norm == 0.0:
        vector[0] = 1.0
        return vector
    return [value / norm for value in vector]


def cosine(a: list[float], b: list[float]) -> float:
    """Cosine similarity of two vectors (both unit vectors here, so a dot product)."""
    return sum(x * y for x, y in zip(a, b, strict=True))
