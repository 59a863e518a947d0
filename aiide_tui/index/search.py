"""Hybrid search: full-text, symbol names, the graph and vectors, fused by reciprocal rank.

Each signal ranks chunks on its own: BM25 over the code-aware full text
(symbol paths weigh most, then file paths, then the code with its comments
and docstrings); symbol names the query spells, or joins from its words
(`copytree` for "copy a directory tree", which no tokenizer splits); the
graph around the best full-text hits (the definitions they call, and their
callers), for what the words missed; and, when embeddings exist, vector
similarity. Reciprocal rank fusion adds `1 / (RRF_K + rank)` per signal, so
no signal's raw scale matters; the graph ranks each neighbour after the hit it
came from. Tests count for less unless the query asks for them. Results
covering overlapping lines of one file are merged, and each keeps its score
parts. `bench/search_quality.py` measures the ranking on the standard library.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import permutations

from aiide_tui.index.repomap import is_test
from aiide_tui.index.store import IndexStore
from aiide_tui.index.tokenize import STOPWORDS, fts_query, query_terms

RRF_K = 60
BM25_WEIGHTS = (6.0, 3.0, 1.0)
"""Column weights: symbol path, file path, body (code with comments and split identifiers)."""
SIGNALS = ("bm25", "symbol", "graph", "vector")
SIGNAL_WEIGHTS = {"bm25": 1.0, "symbol": 1.0, "graph": 1.0, "vector": 1.0}
GRAPH_SEEDS = 5
TEST_FACTOR = 0.5
"""A test's fused score counts half, unless the query asks for tests: "copy a directory tree"
means `shutil.copytree`, not the test that calls it with the same words."""
CANDIDATES = 50

VectorSearch = Callable[[str, int], list[str]]
"""query, limit -> chunk content hashes, nearest first."""


@dataclass
class SearchResult:
    """One hit: a span of a file, what it defines, and why it ranked where it did."""

    path: str
    start_line: int
    end_line: int
    symbol: str
    kind: str
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    text: str = ""
    header: str = ""
    chunk_id: int = 0

    def to_json(self) -> dict:
        return {
            "path": self.path, "start_line": self.start_line, "end_line": self.end_line,
            "symbol": self.symbol, "kind": self.kind, "score": round(self.score, 6),
            "parts": {name: round(value, 6) for name, value in self.parts.items()},
            "header": self.header, "text": self.text,
        }  # fmt: skip


class Searcher:
    """Answers questions and identifiers with ranked chunks."""

    def __init__(self, store: IndexStore, vectors: VectorSearch | None = None) -> None:
        self.store = store
        self.vectors = vectors

    def search(
        self, query: str, k: int = 10, *, signals: Sequence[str] = SIGNALS
    ) -> list[SearchResult]:
        """The `k` best chunks for `query` (a question or identifiers)."""
        terms = query_terms(query)
        if not terms:
            return []
        db = self.store.read()
        tests_too = any(term.startswith("test") for term in terms)
        ranked: dict[str, dict[int, int]] = {}
        bm25 = self._bm25(db, terms)
        if "bm25" in signals:
            ranked["bm25"] = _ranks(bm25)
        if "symbol" in signals:
            ranked["symbol"] = _ranks(self._symbols(db, query))
        if "graph" in signals:  # not around tests, unless asked: their neighbours are asserts
            tests = set() if tests_too else set(_in_tests(db, bm25))
            seeds = [chunk for chunk in bm25 if chunk not in tests][:GRAPH_SEEDS]
            ranked["graph"] = self._graph(db, seeds, set(bm25))
        if "vector" in signals and self.vectors is not None:
            ranked["vector"] = _ranks(self._vector(db, query))
        return self._fuse(db, ranked, k, tests_too=tests_too)

    def _bm25(self, db, terms: list[str]) -> list[int]:
        rows = db.execute(
            "SELECT rowid FROM chunks_fts WHERE chunks_fts MATCH ?"
            f" ORDER BY bm25(chunks_fts, {', '.join(map(str, BM25_WEIGHTS))}) LIMIT ?",
            (fts_query(terms), CANDIDATES),
        )
        return [row[0] for row in rows]

    def _symbols(self, db, query: str) -> list[int]:
        """Chunks defining a name the query spells: exactly (identifiers, `Class.method`), or
        joined from its words (`unified_diff`, `getTerminalSize` for "get terminal size"),
        the names that join more of its words first."""
        spelled = {
            word for word in _WORD.findall(query) if len(word) > 2 and word.lower() not in STOPWORDS
        }
        words = [word.lower() for word in _WORD.findall(query)]
        terms = [w for w in dict.fromkeys(words) if w not in STOPWORDS][:MAX_JOINED_TERMS]
        if len(terms) > 2:  # a question: a lone common word ("copy", "time") is no name
            spelled = {word for word in spelled if _looks_like_identifier(word)}
        names = dict.fromkeys(spelled, 1)
        for size in (3, 2):
            for words in permutations(terms, size):
                for name in _joined(words):
                    names.setdefault(name, size)
        if not names:
            return []
        marks = ",".join("?" * len(names))
        rows = db.execute(
            f"SELECT id, name, length(path) FROM symbols WHERE name IN ({marks})", list(names)
        ).fetchall()
        rows.sort(key=lambda row: (-names[row[1]], row[2]))
        return self._chunks_of(db, [symbol_id for symbol_id, _, _ in rows[:CANDIDATES]])

    def _graph(self, db, seeds: list[int], text_hits: set[int]) -> dict[int, int]:
        """Chunks of what the seed hits call, then of their callers, each ranked after its
        seed (a neighbour of the 4th full-text hit never outranks the 1st hit's). Only
        what full text missed: a neighbour that full text ranks too would count twice, and
        outrank the hit it came from (`GitRepo.diff` above `parse_diff` for "parse a diff")."""
        ranks: dict[int, int] = {}
        for seed_rank, chunk_id in enumerate(seeds, start=1):
            found: list[int] = []
            symbol_ids = [
                row[0]
                for row in db.execute(
                    "SELECT s.id FROM chunks c JOIN symbols s ON s.file_id = c.file_id"
                    " AND s.start_line BETWEEN c.start_line AND c.end_line WHERE c.id = ?",
                    (chunk_id,),
                )
            ]
            if not symbol_ids:
                continue
            marks = ",".join("?" * len(symbol_ids))
            for here, there in (("src_symbol", "dst_symbol"), ("dst_symbol", "src_symbol")):
                rows = db.execute(
                    f"SELECT e.{there}, SUM(e.weight) w FROM edges e WHERE e.{here} IN ({marks})"
                    f" AND e.{there} IS NOT NULL GROUP BY e.{there} ORDER BY w DESC LIMIT 10",
                    symbol_ids,
                )
                found.extend(self._chunks_of(db, [row[0] for row in rows]))
            neighbours = [chunk for chunk in dict.fromkeys(found) if chunk not in text_hits]
            for position, chunk in enumerate(neighbours, start=1):
                ranks.setdefault(chunk, seed_rank + position)
        return ranks

    def _chunks_of(self, db, symbol_ids: list[int]) -> list[int]:
        chunks = []
        for symbol_id in symbol_ids:
            row = db.execute(
                "SELECT c.id FROM symbols s JOIN chunks c ON c.file_id = s.file_id"
                " AND c.symbol = s.path WHERE s.id = ? ORDER BY c.start_line LIMIT 1",
                (symbol_id,),
            ).fetchone()
            if row:
                chunks.append(row[0])
        return chunks

    def _vector(self, db, query: str) -> list[int]:
        assert self.vectors is not None
        hashes = self.vectors(query, CANDIDATES)
        if not hashes:
            return []
        marks = ",".join("?" * len(hashes))
        rows = db.execute(f"SELECT hash, id FROM chunks WHERE hash IN ({marks})", hashes)
        by_hash: dict[str, int] = {}
        for digest, chunk_id in rows:
            by_hash.setdefault(digest, chunk_id)
        return [by_hash[digest] for digest in hashes if digest in by_hash]

    def _fuse(
        self, db, ranked: dict[str, dict[int, int]], k: int, *, tests_too: bool
    ) -> list[SearchResult]:
        scores: dict[int, dict[str, float]] = {}
        for signal, ranks in ranked.items():
            weight = SIGNAL_WEIGHTS.get(signal, 1.0)
            for chunk_id, rank in ranks.items():
                scores.setdefault(chunk_id, {})[signal] = weight / (RRF_K + rank)
        totals = {chunk_id: sum(parts.values()) for chunk_id, parts in scores.items()}
        if not tests_too:
            for chunk_id in _in_tests(db, list(totals)):
                totals[chunk_id] *= TEST_FACTOR
        order = sorted(totals, key=lambda cid: -totals[cid])
        results: list[SearchResult] = []
        for chunk_id in order:
            result = self._load(db, chunk_id, scores[chunk_id])
            if result is not None and not _merge_overlap(results, result):
                results.append(result)
            if len(results) >= k:
                break
        return results

    def _load(self, db, chunk_id: int, parts: dict[str, float]) -> SearchResult | None:
        row = db.execute(
            "SELECT f.path, c.start_line, c.end_line, c.symbol, c.kind, c.text, c.header"
            " FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.id = ?",
            (chunk_id,),
        ).fetchone()
        if row is None:
            return None
        path, start, end, symbol, kind, text, header = row
        return SearchResult(
            path, start, end, symbol, kind, sum(parts.values()), dict(parts), text, header, chunk_id
        )


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
MAX_JOINED_TERMS = 6


def _looks_like_identifier(word: str) -> bool:
    """`url_split`, `urlSplit`, `b64encode`: not a plain word of a sentence."""
    return "_" in word or any(c.isdigit() for c in word) or word[1:] != word[1:].lower()


def _joined(words: tuple[str, ...]) -> list[str]:
    """The ways code joins these words into one name."""
    head, *rest = words
    camel = head + "".join(word.capitalize() for word in rest)
    return ["_".join(words), "".join(words), camel, camel[0].upper() + camel[1:]]


def _in_tests(db, chunk_ids: list[int]) -> list[int]:
    """Those of the chunks that lie in test files."""
    marks = ",".join("?" * len(chunk_ids))
    rows = db.execute(
        "SELECT c.id, f.path FROM chunks c JOIN files f ON f.id = c.file_id"
        f" WHERE c.id IN ({marks})",
        chunk_ids,
    )
    return [chunk_id for chunk_id, path in rows if is_test(path)]


def _ranks(ids: list[int]) -> dict[int, int]:
    """Chunk -> its 1-based rank in a signal's list (the first place it appears)."""
    ranks: dict[int, int] = {}
    for rank, chunk_id in enumerate(ids, start=1):
        ranks.setdefault(chunk_id, rank)
    return ranks


def _merge_overlap(results: list[SearchResult], new: SearchResult) -> bool:
    """Fold `new` into an earlier result over overlapping lines of the same file."""
    for kept in results:
        if (
            kept.path == new.path
            and new.start_line <= kept.end_line
            and kept.start_line <= new.end_line
        ):
            for name, value in new.parts.items():
                kept.parts[name] = max(kept.parts.get(name, 0.0), value)
            kept.score = sum(kept.parts.values())
            return True
    return False
