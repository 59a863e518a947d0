"""The repo map: the project's most important definitions, ranked, within a token budget.

Files are ranked by PageRank over the reference graph (file A uses a
definition in file B: an edge A -> B weighted by the square root of the
number of uses, as in Aider's map, so one file calling `assertEqual` 500
times does not outvote 20 files each using a function once), personalised
towards the files and names in play, and away from tests: what a project's
tests call says little about what matters in its code. Each file's rank then
flows along its edges to the definitions it uses, which ranks definitions.
The map lists the best definitions' signature lines under their files; how
many fit is found by binary search on a cheap token estimate (4 characters a
token). The edge arrays are cached per index generation, so a warm map costs
one power iteration.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiide_tui.index.store import IndexStore

if TYPE_CHECKING:
    import numpy as np

DAMPING = 0.85
ITERATIONS = 50
TOLERANCE = 1e-8
FOCUS_WEIGHT = 100.0
CHARS_PER_TOKEN = 4
TEST_WEIGHT = 0.1
"""A test file's share of the rank that every file starts with."""
UNUSED_SHARE = 1e-3
"""Definitions nobody else uses rank after used ones, in the order of their files' rank;
those of a focused file share its rank as if each were used once."""
MAPPED_KINDS = ("class", "interface", "type", "trait", "module", "function", "method", "impl")


def estimate_tokens(text: str) -> int:
    """A cheap token estimate: about four characters a token."""
    return (len(text) + CHARS_PER_TOKEN - 1) // CHARS_PER_TOKEN


@dataclass(frozen=True)
class RankedSymbol:
    path: str
    line: int
    signature: str
    symbol: str
    rank: float


@dataclass
class _Graph:
    generation: int
    file_ids: np.ndarray
    paths: list[str]
    src: np.ndarray
    dst: np.ndarray
    weight: np.ndarray
    sym_src: np.ndarray
    sym_id: np.ndarray
    sym_weight: np.ndarray
    symbols: dict[int, tuple[int, int, str, str]]
    """symbol id -> (file index, line, signature, symbol path)."""


class RepoMap:
    """Builds token-budgeted maps of one index."""

    def __init__(self, store: IndexStore) -> None:
        self.store = store
        self._graph: _Graph | None = None
        self._lock = threading.Lock()

    def render(
        self,
        tokens: int = 1024,
        *,
        focus_files: Iterable[str] = (),
        focus_names: Iterable[str] = (),
        exclude_files: Iterable[str] = (),
    ) -> str:
        """The map text, at most about `tokens` tokens long."""
        ranked = self.ranked(focus_files=focus_files, focus_names=focus_names)
        excluded = set(exclude_files)
        ranked = [item for item in ranked if item.path not in excluded]
        low, high, best = 0, len(ranked), ""
        while low <= high:
            middle = (low + high) // 2
            text = _format(ranked[:middle])
            if estimate_tokens(text) <= tokens:
                best, low = text, middle + 1
            else:
                high = middle - 1
        return best

    def ranked(
        self, *, focus_files: Iterable[str] = (), focus_names: Iterable[str] = ()
    ) -> list[RankedSymbol]:
        """Definitions by importance, most important first."""
        import numpy as np

        graph = self._load()
        count = len(graph.paths)
        if count == 0:
            return []
        personal = self._personalisation(graph, set(focus_files), set(focus_names))
        file_rank = _pagerank(graph, personal)
        out_weight = np.bincount(graph.sym_src, weights=graph.sym_weight, minlength=count)
        share = (
            file_rank[graph.sym_src] * graph.sym_weight / np.maximum(out_weight[graph.sym_src], 1)
        )
        totals: dict[int, float] = {}
        for symbol_id, value in zip(graph.sym_id.tolist(), share.tolist(), strict=True):
            totals[symbol_id] = totals.get(symbol_id, 0.0) + value
        names, files = set(focus_names), set(focus_files)
        per_file = np.bincount([entry[0] for entry in graph.symbols.values()], minlength=count)
        for symbol_id, (file_index, *_rest) in graph.symbols.items():
            if symbol_id not in totals:
                share = 1 / per_file[file_index] if graph.paths[file_index] in files else 0.0
                totals[symbol_id] = file_rank[file_index] * max(share, UNUSED_SHARE)
        top = max(totals.values(), default=0.0)
        result = []
        for symbol_id, rank in totals.items():
            file_index, line, signature, symbol = graph.symbols[symbol_id]
            if symbol.rsplit(".", 1)[-1] in names:
                rank += top  # a name asked for comes first, used or not
            result.append(RankedSymbol(graph.paths[file_index], line, signature, symbol, rank))
        result.sort(key=lambda item: -item.rank)
        return result

    def _personalisation(self, graph: _Graph, files: set[str], names: set[str]) -> np.ndarray:
        import numpy as np

        personal = np.array([TEST_WEIGHT if is_test(path) else 1.0 for path in graph.paths])
        for index, path in enumerate(graph.paths):
            if path in files:
                personal[index] += FOCUS_WEIGHT
        if names:
            for file_index, _, _, symbol in graph.symbols.values():
                if symbol.rsplit(".", 1)[-1] in names:
                    personal[file_index] += FOCUS_WEIGHT / 10
        return personal / personal.sum()

    @property
    def is_current(self) -> bool:
        """The graph is built for the index as it is: a map now costs one power iteration."""
        graph = self._graph
        return graph is not None and graph.generation == self.store.version()

    def _load(self) -> _Graph:
        with self._lock:
            generation = self.store.version()
            if self._graph is None or self._graph.generation != generation:
                self._graph = _read_graph(self.store, generation)
            return self._graph


def _read_graph(store: IndexStore, generation: int) -> _Graph:
    import numpy as np

    db = store.read()
    files = db.execute("SELECT id, path FROM files WHERE skip IS NULL ORDER BY id").fetchall()
    index = {file_id: n for n, (file_id, _) in enumerate(files)}
    rows = db.execute(
        "SELECT src_file, dst_file, SUM(weight) FROM edges WHERE src_file != dst_file"
        " GROUP BY src_file, dst_file"
    ).fetchall()
    rows = [(index[s], index[d], w) for s, d, w in rows if s in index and d in index]
    sym_rows = db.execute(
        "SELECT e.src_file, e.dst_symbol, SUM(e.weight) FROM edges e WHERE e.dst_symbol IS NOT NULL"
        " AND e.src_file != e.dst_file GROUP BY e.src_file, e.dst_symbol"
    ).fetchall()
    sym_rows = [(index[s], d, w) for s, d, w in sym_rows if s in index]
    symbols = {
        sid: (index[fid], line, signature or "", path)
        for sid, fid, line, signature, path in db.execute(
            "SELECT id, file_id, start_line, signature, path FROM symbols"
            f" WHERE kind IN ({','.join('?' * len(MAPPED_KINDS))})"
            " OR id IN (SELECT DISTINCT dst_symbol FROM edges)",
            MAPPED_KINDS,
        )
        if fid in index
    }
    sym_rows = [row for row in sym_rows if row[1] in symbols]

    def column(data: list[tuple], n: int, kind: type) -> np.ndarray:
        return np.array([row[n] for row in data], dtype=kind)

    return _Graph(
        generation, np.array([f for f, _ in files]), [p for _, p in files],
        column(rows, 0, np.int64), column(rows, 1, np.int64),
        np.sqrt(column(rows, 2, np.float64)),
        column(sym_rows, 0, np.int64), column(sym_rows, 1, np.int64),
        np.sqrt(column(sym_rows, 2, np.float64)), symbols,
    )  # fmt: skip


_TEST_PATH = re.compile(
    r"(^|/)(tests?|__tests__|spec)/|(^|/)(test_[^/]*|[^/]*_test\.\w+|[^/]*\.(test|spec)\.\w+)$"
)


def is_test(path: str) -> bool:
    """Whether a project path is a test: in a `test(s)/` folder, or named like one."""
    return _TEST_PATH.search(path) is not None


def _pagerank(graph: _Graph, personal: np.ndarray) -> np.ndarray:
    """Power iteration; rank of files with no out-edges is spread by `personal`."""
    import numpy as np

    count = len(graph.paths)
    out = np.bincount(graph.src, weights=graph.weight, minlength=count)
    norm = graph.weight / np.maximum(out[graph.src], 1e-12)
    rank = personal.copy()
    for _ in range(ITERATIONS):
        flow = np.bincount(graph.dst, weights=rank[graph.src] * norm, minlength=count)
        dangling = rank[out == 0].sum()
        new = DAMPING * (flow + dangling * personal) + (1 - DAMPING) * personal
        if np.abs(new - rank).sum() < TOLERANCE:
            return new
        rank = new
    return rank


def _format(ranked: list[RankedSymbol]) -> str:
    by_file: dict[str, list[RankedSymbol]] = {}
    for item in ranked:
        by_file.setdefault(item.path, []).append(item)
    lines: list[str] = []
    for path, items in by_file.items():
        lines.append(f"{path}:")
        for item in sorted(items, key=lambda entry: entry.line):
            lines.append(f"{item.line:>5}│ {item.signature}")
    return "\n".join(lines) + ("\n" if lines else "")
