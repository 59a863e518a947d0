"""The symbol graph: references linked to definitions, and the questions asked of it.

References are linked by name in tiers, the first tier with an answer wins:
a definition in the same file, then in a file the referring file imports,
then anywhere in the project if the name is defined in at most
`GLOBAL_CANDIDATES` places (a call to `get` is not linked to every `get`).
A call through a module imported from outside the project
(`logging.getLogger()`) is linked to nothing: the project's own `getLogger`
is another function.
Edges are rows of an adjacency list (`edges`): caller symbol -> callee
symbol for calls, file -> file for imports. A language server can later
replace or refine rows of the same table (its own `kind`) without changing
the queries below.
"""

from __future__ import annotations

import builtins
import json
import re
import sqlite3
from dataclasses import dataclass

from aiide_tui.index.imports import ImportResolver
from aiide_tui.index.store import IndexStore, queue_importers_of_added

GLOBAL_CANDIDATES = 5
_COMMON = """str int float bool bytes list dict set tuple type object len print open range repr hash
    iter next min max sum any all map filter zip sorted reversed enumerate isinstance getattr
    setattr hasattr super format append extend insert get items keys values pop update add
    remove discard clear copy join split strip replace startswith endswith encode decode lower
    upper read write close flush seek find index count sort run call apply push then self cls"""
COMMON_NAMES = frozenset(_COMMON.split()) | frozenset(dir(builtins))
"""Builtins (exceptions included) and everyday method names: linked within a file or through
imports, never project-wide, where a call to `str`, `ValueError` or `append` would tie
unrelated files to a project's namesake."""
MAX_DEPTH = 5
_IMPORT_PARTS = re.compile(r"[^\w$-]+")
"""What separates an import target's names (`a.b`, `net/http`, `crate::a`, `@scope/pkg`)."""
_COMMON_JSON = json.dumps(sorted(COMMON_NAMES))
_JS_GLOBALS = """console Math JSON Object Array Promise Number String Symbol Reflect Date RegExp
    Intl window document navigator process globalThis"""
_JS_GLOBALS_JSON = json.dumps(_JS_GLOBALS.split())
"""JavaScript's built-in objects: `console.log()` is not the project's `log`."""

_LINK = (
    "INSERT INTO edges(src_file, src_symbol, dst_file, dst_symbol, ref_id, kind, weight)"
    " SELECT t.file_id, t.symbol_id, s.file_id, s.id, t.id, t.kind, t.count "
)
_FITS = (
    " WHERE CASE WHEN t.qualifier = '' THEN s.kind != 'method'"
    " WHEN t.qualifier IN ('self', 'cls', 'this') THEN s.kind = 'method' ELSE 1 END"
)
"""A plain call `f()` is not a method's; `self.f()` is nothing but a method's."""
_TIERS = (
    "FROM todo t JOIN symbols s ON s.file_id = t.file_id AND s.name = t.name" + _FITS,
    # From each imported file's definitions to the references that name them: 2.5x faster
    # than SQLite's own choice (every reference against all its file's imports).
    "FROM links i CROSS JOIN symbols s ON s.file_id = i.resolved_id"
    " CROSS JOIN todo t ON t.file_id = i.file_id AND t.name = s.name" + _FITS,
    "FROM todo t JOIN rare USING(name) JOIN symbols s ON s.name = t.name" + _FITS,
)
"""Each tier yields one row per (reference, definition): `links` and `rare` hold no duplicates."""
EDGE_INDEXES = {
    "edges_src_symbol": "src_symbol", "edges_dst_symbol": "dst_symbol",
    "edges_src_file": "src_file", "edges_dst_file": "dst_file",
}  # fmt: skip


@dataclass(frozen=True)
class Symbol:
    """A definition as found in the index."""

    id: int
    name: str
    symbol: str
    kind: str
    path: str
    start_line: int
    end_line: int
    signature: str


@dataclass(frozen=True)
class Reference:
    """Where a symbol is used: the file, the lines, and the definition they lie in."""

    path: str
    lines: tuple[int, ...]
    enclosing: str | None


def resolve_pending(store: IndexStore) -> int:
    """Link the references and imports of every queued file, in one transaction."""
    with store.transaction() as db:
        queue_importers_of_added(db)
        count = db.execute("SELECT COUNT(*) FROM pending").fetchone()[0]
        if count == 0:
            return 0
        outside = _resolve_imports(db)
        db.execute("DELETE FROM edges WHERE src_file IN (SELECT file_id FROM pending)")
        bulk = db.execute("SELECT 1 FROM edges LIMIT 1").fetchone() is None
        if bulk:  # a cold index: building the edge indexes once is cheaper than row by row
            for name in EDGE_INDEXES:
                db.execute(f"DROP INDEX IF EXISTS {name}")
        _prepare_todo(db)
        db.executemany(
            "DELETE FROM todo WHERE file_id = ? AND qualifier = ?", sorted(outside)
        )  # calls through modules from outside the project
        db.execute(
            "DELETE FROM todo WHERE qualifier IN (SELECT value FROM json_each(?)) AND file_id IN"
            " (SELECT id FROM files WHERE language IN ('javascript', 'typescript', 'tsx'))",
            (_JS_GLOBALS_JSON,),
        )  # and through the runtime's own objects, never imported
        for tier in _TIERS:
            linked = db.execute("SELECT COALESCE(MAX(rowid), 0) FROM edges").fetchone()[0]
            db.execute(_LINK + tier)
            if tier is not _TIERS[-1]:
                db.execute(
                    "DELETE FROM todo WHERE id IN (SELECT ref_id FROM edges WHERE rowid > ?)",
                    (linked,),
                )
        db.execute(
            "INSERT INTO edges(src_file, dst_file, kind, weight) SELECT DISTINCT i.file_id,"
            " i.resolved_id, 'import', 1 FROM imports i JOIN pending p ON p.file_id = i.file_id"
            " WHERE i.resolved_id IS NOT NULL AND i.resolved_id != i.file_id"
        )
        if bulk:
            for name, column in EDGE_INDEXES.items():
                db.execute(f"CREATE INDEX IF NOT EXISTS {name} ON edges({column})")
        for table in ("todo", "rare", "links"):
            db.execute(f"DROP TABLE temp.{table}")
        db.execute("DELETE FROM pending")
        return count


def _prepare_todo(db: sqlite3.Connection) -> None:
    """Temporary tables: the pending references, names defined in few places, and the
    distinct (file, imported file) pairs of the pending files."""
    for table in ("todo", "rare", "links"):
        db.execute(f"DROP TABLE IF EXISTS temp.{table}")
    db.execute(
        "CREATE TEMP TABLE todo AS SELECT r.id, r.file_id, r.symbol_id, r.name, r.kind,"
        " r.count, r.qualifier FROM refs r JOIN pending p ON p.file_id = r.file_id"
    )
    db.execute(
        "CREATE TEMP TABLE rare AS SELECT name FROM symbols WHERE kind != 'section'"
        " AND name IN (SELECT name FROM todo) AND name NOT IN (SELECT value FROM json_each(?))"
        " AND name NOT GLOB '__*__'"  # `self.__class__()`: no project-wide namesake is meant
        f" GROUP BY name HAVING COUNT(*) <= {GLOBAL_CANDIDATES}",
        (_COMMON_JSON,),
    )
    db.execute(
        "CREATE TEMP TABLE links AS SELECT DISTINCT i.file_id, i.resolved_id FROM imports i"
        " JOIN pending p ON p.file_id = i.file_id WHERE i.resolved_id IS NOT NULL"
    )
    db.execute("CREATE INDEX temp.rare_name ON rare(name)")
    db.execute("CREATE INDEX temp.todo_file ON todo(file_id, name)")
    db.execute("CREATE INDEX temp.links_file ON links(file_id)")


_resolvers: dict[str, tuple[tuple, ImportResolver, dict]] = {}
"""Per database: the import resolver and the file set it was built for (rebuilt on change)."""


def _resolver(db: sqlite3.Connection) -> tuple[ImportResolver, dict]:
    key = db.execute("PRAGMA database_list").fetchone()[2]
    signature = db.execute(
        "SELECT COUNT(*), MAX(id), TOTAL(id * (skip IS NULL)) FROM files"
    ).fetchone()
    cached = _resolvers.get(key)
    if cached is None or cached[0] != signature:
        files = db.execute("SELECT id, path, language FROM files WHERE skip IS NULL").fetchall()
        by_id = {file_id: (path, language) for file_id, path, language in files}
        cached = (signature, ImportResolver(files), by_id)
        _resolvers[key] = cached
    return cached[1], cached[2]


def _resolve_imports(db: sqlite3.Connection) -> set[tuple[int, str]]:
    """Resolve the pending files' imports to project files; returns (file, name) for the
    names the others bind (`os` and `path` for `import os.path`; `http` for "net/http")."""
    rows = db.execute(
        "SELECT DISTINCT i.file_id, i.target FROM imports i JOIN pending p ON p.file_id = i.file_id"
    ).fetchall()
    if not rows:
        return set()
    resolver, by_id = _resolver(db)
    db.execute("DELETE FROM imports WHERE file_id IN (SELECT file_id FROM pending)")
    resolved, outside = [], set()
    for file_id, target in rows:
        path, language = by_id.get(file_id, ("", None))
        found = resolver.resolve(path, language, target) or [None]
        resolved.extend((file_id, target, hit) for hit in found)
        if found == [None] and (parts := [p for p in _IMPORT_PARTS.split(target) if p]):
            outside.update({(file_id, parts[0]), (file_id, parts[-1])})
    db.executemany("INSERT INTO imports(file_id, target, resolved_id) VALUES (?,?,?)", resolved)
    return outside


class SymbolGraph:
    """Questions about definitions, references, callers and dependencies."""

    _SYMBOL = (
        "SELECT s.id, s.name, s.path, s.kind, f.path, s.start_line, s.end_line, s.signature"
        " FROM symbols s JOIN files f ON f.id = s.file_id"
    )

    def __init__(self, store: IndexStore) -> None:
        self.store = store

    def definitions(self, name: str, *, limit: int = 50, near: str | None = None) -> list[Symbol]:
        """Definitions of a bare name (`quote`) or a symbol path suffix (`Shell.quote`); with
        `near` (the file asking), those in it come first, then those in files it imports,
        before the limit cuts a common name's list."""
        db = self.store.read()
        where, args = "s.name = ?", [name]
        if "." in name:
            where = "s.name = ? AND (s.path = ? OR s.path LIKE ?)"
            args = [name.rsplit(".", 1)[1], name, f"%.{name}"]
        rows = db.execute(
            f"{self._SYMBOL} WHERE {where} ORDER BY f.path = ? DESC, f.id IN (SELECT i.resolved_id"
            " FROM imports i JOIN files n ON n.id = i.file_id WHERE n.path = ?) DESC, f.path,"
            " s.start_line LIMIT ?",
            (*args, near or "", near or "", limit),
        )
        return [Symbol(*row) for row in rows]

    def symbol(self, symbol_id: int) -> Symbol | None:
        row = self.store.read().execute(f"{self._SYMBOL} WHERE s.id = ?", (symbol_id,)).fetchone()
        return Symbol(*row) if row else None

    def references(self, name: str) -> list[Reference]:
        """Uses of the definitions of `name`, linked through the graph."""
        ids = [symbol.id for symbol in self.definitions(name)]
        if not ids:
            return []
        rows = self.store.read().execute(
            "SELECT DISTINCT f.path, r.lines, s.path FROM edges e JOIN refs r ON r.id = e.ref_id"
            " JOIN files f ON f.id = r.file_id LEFT JOIN symbols s ON s.id = r.symbol_id"
            f" WHERE e.dst_symbol IN ({','.join('?' * len(ids))}) ORDER BY f.path, r.lines",
            ids,
        )
        return [
            Reference(path, tuple(int(n) for n in lines.split(",")), enclosing)
            for path, lines, enclosing in rows
        ]

    def callers(self, name: str, depth: int = 1) -> list[Symbol]:
        """Definitions that call `name`, directly or through up to `depth` calls."""
        return self._walk(name, depth, "dst_symbol", "src_symbol")

    def callees(self, name: str, depth: int = 1) -> list[Symbol]:
        """Definitions that `name` calls, directly or through up to `depth` calls."""
        return self._walk(name, depth, "src_symbol", "dst_symbol")

    def _walk(self, name: str, depth: int, here: str, there: str) -> list[Symbol]:
        start = [symbol.id for symbol in self.definitions(name)]
        if not start:
            return []
        depth = max(1, min(depth, MAX_DEPTH))
        seeds = " UNION ".join("SELECT ?, 0" for _ in start)
        rows = self.store.read().execute(
            f"WITH RECURSIVE walk(id, depth) AS ({seeds} UNION SELECT e.{there}, w.depth + 1"
            f" FROM edges e JOIN walk w ON e.{here} = w.id"
            f" WHERE w.depth < ? AND e.{there} IS NOT NULL)"
            f" {self._SYMBOL} WHERE s.id IN (SELECT id FROM walk WHERE depth > 0)"
            " ORDER BY s.path",
            (*start, depth),
        )
        return [Symbol(*row) for row in rows if row[0] not in start]

    def dependents(self, path: str) -> list[str]:
        """Files that import `path` or use a definition in it."""
        rows = self.store.read().execute(
            "SELECT DISTINCT src.path FROM edges e JOIN files dst ON dst.id = e.dst_file"
            " JOIN files src ON src.id = e.src_file WHERE dst.path = ? AND src.id != dst.id"
            " ORDER BY src.path",
            (path,),
        )
        return [row[0] for row in rows]

    def dependencies(self, path: str) -> list[str]:
        """Files that `path` imports or whose definitions it uses."""
        rows = self.store.read().execute(
            "SELECT DISTINCT dst.path FROM edges e JOIN files dst ON dst.id = e.dst_file"
            " JOIN files src ON src.id = e.src_file WHERE src.path = ? AND src.id != dst.id"
            " ORDER BY dst.path",
            (path,),
        )
        return [row[0] for row in rows]

    def imports_of(self, path: str) -> list[str]:
        """Files that the import statements of `path` name (not files linked by name alone)."""
        rows = self.store.read().execute(
            "SELECT DISTINCT dst.path FROM imports i JOIN files src ON src.id = i.file_id"
            " JOIN files dst ON dst.id = i.resolved_id WHERE src.path = ? AND dst.id != src.id"
            " ORDER BY dst.path",
            (path,),
        )
        return [row[0] for row in rows]

    def importers(self, path: str) -> list[str]:
        """Files whose import statements name `path`."""
        rows = self.store.read().execute(
            "SELECT DISTINCT src.path FROM imports i JOIN files src ON src.id = i.file_id"
            " JOIN files dst ON dst.id = i.resolved_id WHERE dst.path = ? ORDER BY src.path",
            (path,),
        )
        return [row[0] for row in rows]
