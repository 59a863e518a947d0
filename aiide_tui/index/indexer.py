"""Bring the index up to date with the files: a full pass, or just the files that changed.

A full pass lists the project's files (.gitignore honoured), drops the ones
left out by name, skips files whose mtime and size are unchanged, and sends
the rest in groups to a pool of parse processes, each of which writes the
groups it parsed, one transaction each (both cores parse and write; only
counts come back). Files that came back with the same content hash only get
their mtime refreshed. Deleted files are forgotten, and references are then
linked into the graph. Small updates (the watcher's few saved files) are
parsed and written in this process: starting the pool would cost more than
the parse.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from aiide_tui.child_python import safe_path_while_starting
from aiide_tui.errors import AiideError
from aiide_tui.index.admission import NAME_REASONS, Limits, reason_by_name
from aiide_tui.index.graph import resolve_pending
from aiide_tui.index.store import FileResult, FileState, IndexStore
from aiide_tui.index.worker import (
    GroupCounts,
    count_results,
    init_process,
    parse_group,
    store_group,
)
from aiide_tui.workspace.git import GitError, GitRepo
from aiide_tui.workspace.ignore import IGNORE_FILE, IgnoreRules
from aiide_tui.workspace.listing import project_files

GROUP_FILES = 48
GROUP_BYTES = 768_000
IN_PROCESS_MAX = 16
IGNORE_FILES = frozenset({IGNORE_FILE, ".gitignore"})
LOCK_POLL_S = 0.1
"""How often a pass waiting for another process's checks whether its index was closed."""
"""Batches up to this many files are parsed here; bigger ones (a branch switch) use the pool."""


@dataclass(frozen=True)
class Progress:
    """Where a pass stands: files handled of those to parse, chunks written."""

    done: int
    total: int
    chunks: int
    phase: str


@dataclass(frozen=True)
class IndexReport:
    """What one pass did."""

    files: int
    parsed: int
    unchanged: int
    skipped: int
    """Files left out of the index: all of them after a full pass (those from earlier passes
    too), those of this batch after an update."""
    removed: int
    chunks: int
    seconds: float


ProgressCallback = Callable[[Progress], None]


def git_ignored(root: Path, rels: list[str]) -> set[str]:
    """Those of `rels` that git ignores (none outside a git repository; a subfolder of a
    repository is in one)."""
    repo = GitRepo.open(root) if rels else None
    if repo is None:
        return set()
    try:
        return repo.ignored(rels)
    except GitError:
        return set()


def _start_helpers(method: str | None) -> None:
    """Start multiprocessing's helper processes (forkserver, resource tracker) now, the pool's
    workers being forked from the forkserver later:

    - with PYTHONSAFEPATH (`child_python`): they start with `python -c` in the project;
    - with the real stderr: they pass `sys.stderr.fileno()` to the child, and inside the app
      sys.stderr is Textual's capture, whose fileno() is -1 ("bad value(s) in fds_to_keep").

    Once running, they are reused."""
    import sys
    from multiprocessing import forkserver, resource_tracker

    captured = sys.stderr
    if sys.__stderr__ is not None:
        sys.stderr = sys.__stderr__
    try:
        with safe_path_while_starting():
            resource_tracker.ensure_running()
            if method == "forkserver":
                forkserver.ensure_running()
    finally:
        sys.stderr = captured


def _under_any(rel: str, paths: set[str]) -> bool:
    """`rel` is one of `paths` or lies in a folder among them."""
    if rel in paths:
        return True
    parts = rel.split("/")
    return any("/".join(parts[:end]) in paths for end in range(1, len(parts)))


class IndexClosed(AiideError):
    """The index was closed while a pass ran (quitting the app during the first index)."""

    title = "Index closed"


class Indexer:
    """Keeps one project's `IndexStore` in step with its files."""

    def __init__(
        self,
        root: Path,
        store: IndexStore,
        *,
        limits: Limits | None = None,
        workers: int = 2,
        list_files: Callable[[], list[str]] | None = None,
    ) -> None:
        self.root = Path(os.path.realpath(root))
        self.store = store
        self.limits = limits or Limits()
        self.workers = max(1, workers)
        self.list_files = list_files or (lambda: project_files(self.root))
        self.ignore = IgnoreRules.load(self.root)
        self._pool: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closing = threading.Event()

    def close(self) -> None:
        """Stop a pass under way (what it stored stays; the next pass completes it), then
        the parse processes."""
        self._closing.set()
        with self._lock:  # the pass under way sees `_closing` and ends
            if self._pool is not None:
                self._pool.shutdown(wait=True, cancel_futures=True)
                self._pool = None

    @contextlib.contextmanager
    def _exclusive(self) -> Iterator[None]:
        """One pass at a time, in this process and across processes (the app and `aiide
        search` on one project at once lost graph edges): the second waits its turn.

        Raises:
            IndexClosed: the index was closed while waiting.
        """
        with self._lock, open(f"{self.store.path}.lock", "a+b") as handle:
            while True:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if self._closing.wait(LOCK_POLL_S):
                        raise IndexClosed("closed while another process indexed") from None
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def index_all(
        self, progress: ProgressCallback | None = None, cancel: threading.Event | None = None
    ) -> IndexReport:
        """A full pass over the project; safe to interrupt at any point (see `store`)."""
        with self._exclusive():
            started = time.perf_counter()
            self.ignore = IgnoreRules.load(self.root)
            listed = self.list_files()
            states = self.store.file_states()
            cold = not states
            todo, by_name = self._plan(listed, states)
            removed = sorted(set(states) - set(listed))
            self.store.remove_files(removed)
            if cold:
                self.store.drop_lookup_indexes()
            try:
                self.store.write_batch(by_name, cascade=not cold)
                counts = self._parse(todo, states, progress, cancel, cascade=not cold)
            finally:
                self.store.build_lookup_indexes()
            if self._closing.is_set():  # the links wait in `pending` for the next start
                raise IndexClosed("the index was closed during a pass")
            if progress:
                progress(Progress(len(todo), len(todo), counts["chunks"], "linking"))
            resolve_pending(self.store)
            left_out = (
                self.store.read()
                .execute("SELECT COUNT(*) FROM files WHERE skip IS NOT NULL")
                .fetchone()[0]
            )  # all of them, not only those found this pass
            return IndexReport(
                files=len(listed), parsed=counts["parsed"],
                unchanged=len(listed) - len(todo) + counts["unchanged"] + counts["skipped"]
                - left_out,
                skipped=left_out, removed=len(removed),
                chunks=counts["chunks"], seconds=time.perf_counter() - started,
            )  # fmt: skip

    def update(self, changed: Iterable[str], deleted: Iterable[str] = ()) -> IndexReport:
        """Re-index just these root-relative files (changed or added) and forget `deleted`;
        a changed ignore file (`.aiideignore`, a `.gitignore`) takes a whole pass, since it
        may leave out or bring back any file."""
        changed, deleted = sorted(set(changed)), sorted(set(deleted))
        if any(PurePosixPath(rel).name in IGNORE_FILES for rel in (*changed, *deleted)):
            return self.index_all()
        with self._exclusive():
            started = time.perf_counter()
            gone = set(deleted)
            states = self.store.file_states(None if gone else changed)
            if gone:
                self.store.remove_files([rel for rel in states if _under_any(rel, gone)])
            ignored = git_ignored(self.root, changed)
            if ignored:
                self.store.remove_files([rel for rel in ignored if rel in states])
            changed = [rel for rel in changed if rel not in ignored]
            todo, by_name = self._plan(changed, states, force=True)
            if by_name:
                self.store.write_batch(by_name)
            counts = self._parse(todo, states, None, None, cascade=True)
            resolve_pending(self.store)
            return IndexReport(
                files=len(changed), parsed=counts["parsed"], unchanged=counts["unchanged"],
                skipped=len(by_name) + counts["skipped"], removed=len(deleted),
                chunks=counts["chunks"], seconds=time.perf_counter() - started,
            )  # fmt: skip

    def _plan(
        self, rels: list[str], states: dict[str, FileState], *, force: bool = False
    ) -> tuple[list[str], list[FileResult]]:
        """Files to parse, and results for files left out by name (only where news)."""
        todo: list[str] = []
        by_name: list[FileResult] = []
        for rel in rels:
            state = states.get(rel)
            reason = reason_by_name(rel, self.ignore)
            if reason is not None:
                if state is None or state.skip != reason:
                    by_name.append(FileResult(rel, skip=reason))
                continue
            left_out_by_name = state is not None and state.skip in NAME_REASONS
            if not force and state is not None and not left_out_by_name and self._fresh(rel, state):
                continue
            todo.append(rel)
        return todo, by_name

    def _fresh(self, rel: str, state: FileState) -> bool:
        try:
            info = os.lstat(self.root / rel)
        except OSError:
            return False
        return info.st_mtime_ns == state.mtime_ns and info.st_size == state.size

    def _parse(
        self,
        todo: list[str],
        states: dict[str, FileState],
        progress: ProgressCallback | None,
        cancel: threading.Event | None,
        *,
        cascade: bool,
    ) -> dict[str, int]:
        counts = {"parsed": 0, "unchanged": 0, "skipped": 0, "chunks": 0}
        groups = self._groups(todo, states)
        done = 0
        for group in self._stored(groups, cascade):
            if self._closing.is_set() or (cancel is not None and cancel.is_set()):
                break
            for key, value in group._asdict().items():
                counts[key] += value
            done += group.parsed + group.unchanged + group.skipped
            if progress:
                progress(Progress(done, len(todo), counts["chunks"], "parsing"))
        return counts

    def _groups(
        self, todo: list[str], states: dict[str, FileState]
    ) -> list[list[tuple[str, str | None]]]:
        """Files in groups of similar total size; the biggest groups go first."""
        sized = []
        for rel in todo:
            try:
                size = os.lstat(self.root / rel).st_size
            except OSError:
                size = 0
            state = states.get(rel)
            sized.append(
                (min(size, self.limits.max_file_bytes), rel, state.hash if state else None)
            )
        sized.sort(reverse=True)
        groups: list[list[tuple[str, str | None]]] = []
        current: list[tuple[str, str | None]] = []
        weight = 0
        for size, rel, known in sized:
            current.append((rel, known))
            weight += size
            if len(current) >= GROUP_FILES or weight >= GROUP_BYTES:
                groups.append(current)
                current, weight = [], 0
        if current:
            groups.append(current)
        return groups

    def _stored(
        self, groups: list[list[tuple[str, str | None]]], cascade: bool
    ) -> Iterable[GroupCounts]:
        """Groups parsed and written, as they finish: here for a few files, in the pool for
        many (each pool process writes its own groups)."""
        root = str(self.root)
        if sum(len(group) for group in groups) <= IN_PROCESS_MAX or self.workers == 1:
            for group in groups:
                results = parse_group(root, group, self.limits)
                yield count_results(results, self.store.write_batch(results, cascade=cascade))
            return
        pool = self._ensure_pool()
        db_path = str(self.store.path)
        futures: list[Future[GroupCounts]] = [
            pool.submit(store_group, db_path, root, group, self.limits, cascade) for group in groups
        ]
        waiting = set(futures)
        try:
            while waiting and not self._closing.is_set():  # `close` may cancel the futures,
                done, waiting = wait(waiting, timeout=0.2, return_when=FIRST_COMPLETED)
                for future in done:  # which would leave `as_completed` waiting for ever
                    yield future.result()
        finally:
            for future in futures:
                future.cancel()
            self.store.generation += 1

    def _ensure_pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            import multiprocessing

            method = (
                "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else None
            )
            _start_helpers(method)
            context = multiprocessing.get_context(method)
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=context,
                initializer=init_process, initargs=(context.Lock(), os.getpid()),
            )  # fmt: skip
        return self._pool

    def skipped(self) -> list[tuple[str, str]]:
        """(path, reason) for every file the index leaves out."""
        rows = self.store.read().execute(
            "SELECT path, skip FROM files WHERE skip IS NOT NULL ORDER BY path"
        )
        return [(path, reason) for path, reason in rows]
