"""The index database: files, chunks, full-text, symbols, references and graph edges.

One SQLite file per project (`index.sqlite` in the project's state folder), in
WAL mode so searches read while a batch is written, schema-versioned through
`PRAGMA user_version` (an unknown version is rebuilt, since the index can
always be recomputed from the files). Every batch of files is one transaction,
and a file's row (with its hash) is written in the same transaction as its
chunks, so after a kill -9 each file is either wholly old or wholly new and
the next run, comparing hashes, finishes the rest. Files whose references
still need linking to definitions are listed in `pending` in that same
transaction; `graph.resolve_pending` empties it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import posixpath
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from aiide_tui.errors import AiideError
from aiide_tui.index.chunker import Chunk, ParsedFile
from aiide_tui.index.imports import module_key
from aiide_tui.index.tokenize import FTS_TOKENIZER, extra_terms, path_terms, symbol_terms

SCHEMA_VERSION = 3
DB_NAME = "index.sqlite"


class CodeIndexError(AiideError):
    """The code index cannot be opened or used."""

    title = "Index error"


_SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE files(
    id INTEGER PRIMARY KEY, path TEXT NOT NULL UNIQUE, hash TEXT, mtime_ns INTEGER,
    size INTEGER, language TEXT, skip TEXT, path_terms TEXT NOT NULL DEFAULT '');
CREATE TABLE chunks(
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, start_line INTEGER, end_line INTEGER,
    symbol TEXT, kind TEXT, header TEXT, text TEXT, terms TEXT, symbol_terms TEXT, hash TEXT);
CREATE INDEX chunks_file ON chunks(file_id);
CREATE INDEX chunks_hash ON chunks(hash);
CREATE VIRTUAL TABLE chunks_fts USING fts5(
    symbol, path, body, content='', tokenize="{FTS_TOKENIZER}");
CREATE TABLE symbols(
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, name TEXT, path TEXT, kind TEXT,
    start_line INTEGER, end_line INTEGER, parent_id INTEGER, signature TEXT);
CREATE INDEX symbols_name ON symbols(name);
CREATE INDEX symbols_file ON symbols(file_id, name);
CREATE INDEX symbols_path ON symbols(path);
CREATE TABLE refs(
    id INTEGER PRIMARY KEY, file_id INTEGER NOT NULL, symbol_id INTEGER, name TEXT,
    kind TEXT, lines TEXT, count INTEGER, qualifier TEXT NOT NULL DEFAULT '');
CREATE INDEX refs_file ON refs(file_id);
CREATE INDEX refs_name ON refs(name);
CREATE TABLE imports(file_id INTEGER NOT NULL, target TEXT, resolved_id INTEGER);
CREATE INDEX imports_file ON imports(file_id);
CREATE INDEX imports_resolved ON imports(resolved_id);
CREATE TABLE edges(
    src_file INTEGER, src_symbol INTEGER, dst_file INTEGER, dst_symbol INTEGER,
    ref_id INTEGER, kind TEXT, weight INTEGER);
CREATE INDEX edges_src_symbol ON edges(src_symbol);
CREATE INDEX edges_dst_symbol ON edges(dst_symbol);
CREATE INDEX edges_src_file ON edges(src_file);
CREATE INDEX edges_dst_file ON edges(dst_file);
CREATE TABLE pending(file_id INTEGER PRIMARY KEY);
CREATE TABLE added(file_id INTEGER PRIMARY KEY);
CREATE TABLE vectors(hash TEXT PRIMARY KEY);
"""


LOOKUP_INDEXES = {
    match.group(1): match.group(0).replace("CREATE INDEX", "CREATE INDEX IF NOT EXISTS")
    for match in re.finditer(r"CREATE INDEX (\w+) ON (?!edges)[^;]+", _SCHEMA)
}
"""The secondary indexes of the file, chunk, symbol, reference and import tables (the edge
table's are `graph.EDGE_INDEXES`), by name: their CREATE statements."""


@dataclass(frozen=True)
class FileResult:
    """What a parse worker reports for one file."""

    path: str
    hash: str | None = None
    mtime_ns: int = 0
    size: int = 0
    language: str | None = None
    skip: str | None = None
    parsed: ParsedFile | None = None
    unchanged: bool = False
    """Content hash equals the stored one: only mtime and size need updating."""


@dataclass(frozen=True)
class FileState:
    id: int
    hash: str | None
    mtime_ns: int
    size: int
    skip: str | None


OPEN_TIMEOUT_S = 30.0
"""How long opening waits while another process creates the same index."""


class IndexStore:
    """The SQLite index of one project; thread-safe (one writer, a reader per thread)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._local = threading.local()
        self.generation = 0
        """Bumped on every committed write, so caches (the repo map) know when to refresh."""
        self.set_aside: Path | None = None
        """Where a damaged index file was moved before this one was made anew."""
        deadline = time.monotonic() + OPEN_TIMEOUT_S
        while True:
            try:
                self.db = self._connect()
                self._migrate()
                problem = self.db.execute("PRAGMA quick_check(1)").fetchone()[0]
                if problem != "ok":  # about 0.1 s for the standard library's index
                    raise sqlite3.DatabaseError(problem)
                break
            except sqlite3.OperationalError as error:  # another process makes it (WAL, schema)
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise CodeIndexError(f"Cannot open the index {self.path}: {error}") from error
                time.sleep(0.05)
            except sqlite3.DatabaseError as error:
                if self.set_aside is not None:
                    raise CodeIndexError(f"Cannot open the index {self.path}: {error}") from error
                self._set_aside()  # damaged (a crash, a full disk): it is made from the files

    def _set_aside(self) -> None:
        """Move a damaged index (and its WAL) out of the way, to be built again."""
        with contextlib.suppress(Exception):
            self.db.close()
        for older in self.path.parent.glob(f"{self.path.name}.damaged-*"):
            with contextlib.suppress(OSError):  # one damaged copy is evidence enough
                older.unlink()
        self.set_aside = self.path.with_name(f"{self.path.name}.damaged-{int(time.time())}")
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.replace(f"{self.path}{suffix}", f"{self.set_aside}{suffix}")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=OFF")
        db.execute("PRAGMA temp_store=MEMORY")
        db.execute("PRAGMA cache_size=-65536")
        return db

    def _migrate(self) -> None:
        with self._lock:
            version = self.db.execute("PRAGMA user_version").fetchone()[0]
            if version == SCHEMA_VERSION:
                return
            with self.transaction() as db:
                version = db.execute("PRAGMA user_version").fetchone()[0]
                if version == SCHEMA_VERSION:  # another process made it meanwhile
                    return
                if version != 0:
                    _drop_all(db)
                for statement in _SCHEMA.split(";\n"):
                    if statement.strip():
                        db.execute(statement)
                db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")

    def drop_lookup_indexes(self) -> None:
        """Before a cold pass: filling the tables and then building their lookup indexes once
        costs less than keeping the indexes up to date row by row (about 0.2 s of 7 on the
        standard library). `build_lookup_indexes` puts them back, at the end of the pass or,
        after a kill, when the project's index is next opened (`CodeIndex`)."""
        with self.transaction() as db:
            for name in LOOKUP_INDEXES:
                db.execute(f"DROP INDEX IF EXISTS {name}")

    def build_lookup_indexes(self) -> None:
        """Create the lookup indexes that are missing (none, usually: then this is cheap)."""
        present = {row[0] for row in self.db.execute("SELECT name FROM sqlite_master")}
        missing = [sql for name, sql in LOOKUP_INDEXES.items() if name not in present]
        if missing:
            with self.transaction() as db:
                for sql in missing:
                    db.execute(sql)

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction (BEGIN IMMEDIATE ... COMMIT), rolled back on any error."""
        with self._lock:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")
            self.generation += 1

    def version(self) -> int:
        """Changes whenever the index may have changed, by this process or another; the same
        in every thread (read connections each count `data_version` their own way)."""
        with self._lock:
            data_version = self.db.execute("PRAGMA data_version").fetchone()[0]
        return data_version * 1_000_003 + self.generation

    def read(self) -> sqlite3.Connection:
        """This thread's read connection (WAL readers never wait for the writer)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            db.execute("PRAGMA query_only=1")
            self._local.db = db
        return db

    def close(self) -> None:
        with self._lock:
            self.db.close()
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()

    # -- files ---------------------------------------------------------------------------

    def file_states(self, paths: Iterable[str] | None = None) -> dict[str, FileState]:
        """What the index knows of every file, or of just `paths`."""
        select = "SELECT path, id, hash, mtime_ns, size, skip FROM files"
        db = self.read()
        if paths is None:
            return {row[0]: FileState(*row[1:]) for row in db.execute(select)}
        wanted, states = list(paths), {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            rows = db.execute(f"{select} WHERE path IN ({','.join('?' * len(part))})", part)
            states.update((row[0], FileState(*row[1:])) for row in rows)
        return states

    def write_batch(self, results: Iterable[FileResult], *, cascade: bool = True) -> int:
        """Store a batch of parsed files in one transaction; returns the chunks written.

        `cascade` also queues, for re-linking, other files whose references name
        a definition that these files add or drop (skipped on a cold index,
        where every file is queued anyway).
        """
        written = 0
        with self.transaction() as db:
            for result in results:
                written += self._write_file(db, result, cascade)
        return written

    def remove_files(self, paths: Iterable[str]) -> None:
        """Forget deleted files (one transaction), and re-link files that used their names."""
        with self.transaction() as db:
            for path in paths:
                row = db.execute("SELECT id FROM files WHERE path=?", (path,)).fetchone()
                if row is not None:
                    self._forget(db, row[0], cascade=True)
                    db.execute("DELETE FROM files WHERE id=?", (row[0],))

    def _write_file(self, db: sqlite3.Connection, result: FileResult, cascade: bool) -> int:
        row = db.execute("SELECT id FROM files WHERE path=?", (result.path,)).fetchone()
        if result.unchanged and row is not None:
            db.execute(
                "UPDATE files SET mtime_ns=?, size=? WHERE id=?",
                (result.mtime_ns, result.size, row[0]),
            )
            return 0
        defined: set[str] = set()
        if row is not None:
            defined = {name for (name,) in db.execute(
                "SELECT DISTINCT name FROM symbols WHERE file_id=?", (row[0],))}  # fmt: skip
            self._forget(db, row[0], cascade)
        values = (
            result.hash, result.mtime_ns, result.size, result.language, result.skip,
            path_terms(result.path),
        )  # fmt: skip
        if row is None:
            file_id = db.execute(
                "INSERT INTO files(hash, mtime_ns, size, language, skip, path_terms, path)"
                " VALUES (?,?,?,?,?,?,?)",
                (*values, result.path),
            ).lastrowid
            if cascade and result.skip is None:  # its importers are found once per pass
                db.execute("INSERT OR IGNORE INTO added VALUES (?)", (file_id,))
        else:
            file_id = row[0]
            db.execute(
                "UPDATE files SET hash=?, mtime_ns=?, size=?, language=?, skip=?, path_terms=?"
                " WHERE id=?",
                (*values, file_id),
            )
        if result.parsed is None:
            return 0
        return _insert_parsed(db, file_id, values[-1], result.parsed, cascade, defined)

    def _forget(self, db: sqlite3.Connection, file_id: int, cascade: bool) -> None:
        """Delete a file's chunks, full-text rows, symbols, references and edges."""
        db.execute(
            "INSERT INTO chunks_fts(chunks_fts, rowid, symbol, path, body)"
            " SELECT 'delete', c.id, c.symbol_terms, f.path_terms, c.text || char(10) || c.terms"
            " FROM chunks c JOIN files f ON f.id = c.file_id WHERE c.file_id=?",
            (file_id,),
        )
        if cascade:
            db.execute(
                "INSERT OR IGNORE INTO pending SELECT DISTINCT src_file FROM edges"
                " WHERE dst_file=? AND src_file != ?",
                (file_id, file_id),
            )
        for table in ("chunks", "symbols", "refs", "imports"):
            db.execute(f"DELETE FROM {table} WHERE file_id=?", (file_id,))
        db.execute("DELETE FROM edges WHERE src_file=? OR dst_file=?", (file_id, file_id))


def _insert_parsed(
    db: sqlite3.Connection,
    file_id: int,
    file_terms: str,
    parsed: ParsedFile,
    cascade: bool,
    defined: set[str],
) -> int:
    """Store a parsed file; with `cascade`, queue the files that may link to names it now
    defines and did not (`defined`: its names before; those linked here already are queued
    by `_forget`, so saving a file that defines `get` does not relink the whole project)."""
    extras = parsed.extras or [chunk_extras(chunk) for chunk in parsed.chunks]
    first = _next_id(db, "chunks")
    db.executemany(
        "INSERT INTO chunks(id, file_id, start_line, end_line, symbol, kind, header, text, terms,"
        " symbol_terms, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
        [
            (first + n, file_id, *chunk, *extra)
            for n, (chunk, extra) in enumerate(zip(parsed.chunks, extras, strict=True))
        ],
    )
    db.executemany(
        "INSERT INTO chunks_fts(rowid, symbol, path, body) VALUES (?,?,?,?)",
        [
            (first + n, extra[1], file_terms, f"{chunk.text}\n{extra[0]}")
            for n, (chunk, extra) in enumerate(zip(parsed.chunks, extras, strict=True))
        ],
    )
    base = _next_id(db, "symbols")
    db.executemany(
        "INSERT INTO symbols(id, file_id, name, path, kind, start_line, end_line, parent_id,"
        " signature) VALUES (?,?,?,?,?,?,?,?,?)",
        [
            (
                base + n,
                file_id,
                *item[:5],
                base + item.parent if item.parent >= 0 else None,
                item.signature,
            )
            for n, item in enumerate(parsed.definitions)
        ],
    )
    db.executemany(
        "INSERT INTO refs(file_id, symbol_id, name, kind, lines, count, qualifier)"
        " VALUES (?,?,?,?,?,?,?)",
        [
            (file_id, base + r.enclosing if r.enclosing >= 0 else None, r.name, r.kind,
             ",".join(map(str, r.lines)), len(r.lines), r.qualifier)
            for r in parsed.references
        ],
    )  # fmt: skip
    db.executemany(
        "INSERT INTO imports(file_id, target) VALUES (?,?)",
        [(file_id, target) for target in dict.fromkeys(parsed.imports)],
    )
    db.execute("INSERT OR IGNORE INTO pending VALUES (?)", (file_id,))
    new_names = {d.name for d in parsed.definitions} - defined
    if cascade and new_names:
        _queue_users(db, sorted(new_names))
    return len(parsed.chunks)


def _next_id(db: sqlite3.Connection, table: str) -> int:
    return db.execute(f"SELECT COALESCE(MAX(id), 0) + 1 FROM {table}").fetchone()[0]


def _queue_users(db: sqlite3.Connection, names: list[str]) -> None:
    """Queue for re-linking every file that refers to one of `names`."""
    for start in range(0, len(names), 500):
        part = names[start : start + 500]
        db.execute(
            "INSERT OR IGNORE INTO pending SELECT DISTINCT file_id FROM refs"
            f" WHERE name IN ({','.join('?' * len(part))})",
            part,
        )


def queue_importers_of_added(db: sqlite3.Connection) -> None:
    """Queue for re-linking the files whose imports may name a file added since the last
    pass (restored by `git checkout` or `git stash pop`: its importers did not change, and
    their imports fell back to the package, or to nothing, while it was gone). One scan of
    the imports for all of them: a scan per file made adding thousands quadratic."""
    paths = [path for (path,) in db.execute(
        "SELECT f.path FROM files f JOIN added a ON a.file_id = f.id")]  # fmt: skip
    if not paths:
        return
    names: set[str] = set()
    for path in paths:  # the module's name, and its folder's (a Go import names the folder)
        key = module_key(path)
        names |= {key.rsplit("/", 1)[-1], posixpath.basename(posixpath.dirname(key))} - {""}
    importers = {
        file_id
        for file_id, target in db.execute("SELECT file_id, target FROM imports")
        if not names.isdisjoint(_IMPORT_WORD.split(target))
    }
    db.executemany("INSERT OR IGNORE INTO pending VALUES (?)", [(i,) for i in importers])
    db.execute("DELETE FROM added")


_IMPORT_WORD = re.compile(r"[^\w-]+")
"""What separates the parts of an import target (`a.b`, `./a/b`, `crate::a`, `"a/b.h"`)."""


def chunk_extras(chunk: Chunk) -> tuple[str, str, str]:
    """(split identifier terms, symbol terms, content hash) stored beside a chunk."""
    digest = hashlib.blake2b(
        f"{chunk.symbol}\n{chunk.header}\n{chunk.text}".encode(), digest_size=16
    ).hexdigest()
    return extra_terms(chunk.text), symbol_terms(chunk.symbol), digest


def _drop_all(db: sqlite3.Connection) -> None:
    """Remove every table (an index of another schema version is rebuilt from the files)."""
    rows = db.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        " AND name NOT LIKE 'chunks_fts_%'"
    ).fetchall()
    for (name,) in rows:
        db.execute(f"DROP TABLE IF EXISTS {name}")
