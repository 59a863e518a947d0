"""Code-aware terms for full-text search: identifiers split and kept whole.

SQLite's FTS5 tokenizers split on punctuation only, so `parseHTTPHeader`
would match nothing but itself. The index stores, beside each chunk's text,
the parts of every compound identifier in it (`parse http header`), and
queries are split the same way, so both `HttpHeader` and "parse the http
header" find it. The stored column is tokenized by `unicode61` with `_` kept
inside tokens (whole snake_case names survive) and Porter stemming (so
"quotes" finds `quote`).
"""

from __future__ import annotations

import re
from functools import lru_cache

FTS_TOKENIZER = "porter unicode61 tokenchars '_' remove_diacritics 2"

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")
_COMPOUND = re.compile(r"[a-z][A-Z]|[A-Za-z][0-9]|[0-9][A-Za-z]|[A-Z]{2}[a-z]|._.")

STOPWORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "do",
        "does",
        "for",
        "from",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "that",
        "the",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "with",
        "find",
        "function",
        "method",
        "class",
        "code",
        "file",
        "show",
        "me",
        "get",
        "we",
        "our",
        "you",
        "your",
        "there",
        "their",
    ]
)
"""Words of a question that carry no meaning for code search."""


@lru_cache(maxsize=200_000)
def split_identifier(word: str) -> tuple[str, ...]:
    """`parseHTTPHeader2` -> ("parse", "http", "header", "2"); lower case; () if not compound."""
    if not _COMPOUND.search(word):
        return ()
    parts = tuple(part.lower() for part in _PARTS.findall(word))
    return parts if len(parts) > 1 else ()


def extra_terms(text: str) -> str:
    """The parts of each distinct compound identifier in `text`, space-separated."""
    seen: set[str] = set()
    for word in set(_IDENTIFIER.findall(text)):
        seen.update(split_identifier(word))
    return " ".join(sorted(seen))


def symbol_terms(symbol: str) -> str:
    """A dotted symbol path as terms: each name whole, then its parts."""
    names = [name for name in re.split(r"[^A-Za-z0-9_]+", symbol) if name]
    parts = [part for name in names for part in split_identifier(name)]
    return " ".join([*names, *parts])


def path_terms(path: str) -> str:
    """A file path as terms: each folder and stem whole, then their parts."""
    return symbol_terms(re.sub(r"\.[A-Za-z0-9]+$", "", path))


def query_terms(question: str) -> list[str]:
    """The terms to look for: identifiers whole and split, stop words dropped, unique."""
    terms: list[str] = []
    for word in _IDENTIFIER.findall(question):
        lowered = word.lower()
        for term in (lowered, *split_identifier(word)):
            if term not in STOPWORDS and term not in terms and (len(term) > 1 or term.isdigit()):
                terms.append(term)
    return terms


def fts_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression that ORs the terms (quoted, so nothing is an operator)."""
    return " OR ".join(f'"{term}"' for term in terms)
