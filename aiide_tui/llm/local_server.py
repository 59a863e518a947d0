"""The embedded model servers: one child process per GGUF file, shared by the roles that use it.

A `local` role starts llama.cpp's server (`aiide_tui.llm.local_child`) on a
free loopback port the first time it is needed; FIM and chat naming the same
model share one process, with one slot each so a long chat answer never
queues a keystroke's completion, and each slot keeps its prompt's KV cache
(prompt caching, plus chunk reuse for a FIM prefix that slid). The process
is stopped when the last role using it closes, at interpreter exit, and by
its own watchdog if aiide is killed.

Load progress is reported as `LoadEvent`s to the caller of `start` and to
every listener added with `SERVERS.listen` (the status bar shows them).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Literal

from aiide_tui.child_python import child_env
from aiide_tui.llm.errors import ModelError
from aiide_tui.state import data_dir

LOAD_TIMEOUT_S = 300.0
STOP_GRACE_S = 5.0
MAX_GENERATION_THREADS = 8
MAX_BATCH_THREADS = 16
DEFAULT_CONTEXT = 8192
DEFAULT_SLOTS = 2
CACHE_REUSE_TOKENS = 256
"""Smallest run of cached tokens llama.cpp shifts into place instead of recomputing."""
CACHE_RAM_MIB = 1024
"""Host memory for prompts evicted from a slot (llama.cpp's default is 8 GiB)."""
MAX_PREDICT = 4096


class LocalServerError(ModelError):
    """The embedded llama.cpp server could not start or stopped."""

    title = "Local model failed"


@dataclass(frozen=True)
class LoadEvent:
    """How far a model load is: `reading` the file (bytes), `loading` it, `ready` or `failed`."""

    model: str
    stage: Literal["reading", "loading", "ready", "failed"]
    done: int = 0
    total: int = 0
    detail: str = ""


LoadListener = Callable[[LoadEvent], None]


def machine_threads() -> tuple[int, int]:
    """(generation, prompt) threads: generation is memory-bound (physical cores, at most 8);
    prompt processing is compute-bound (every core this process may use)."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    usable = usable or 1
    try:
        import psutil

        physical = psutil.cpu_count(logical=False) or usable
    except ImportError:
        physical = usable
    generation = max(1, min(physical, usable, MAX_GENERATION_THREADS))
    return generation, max(1, min(usable, MAX_BATCH_THREADS))


@dataclass(frozen=True)
class ServerSettings:
    """How to serve one model file; equal settings share one process."""

    model_path: Path
    alias: str
    """The model's name in requests and in `/v1/models` (the role's `model`)."""
    ctx_per_slot: int = DEFAULT_CONTEXT
    slots: int = DEFAULT_SLOTS
    threads: int = 0
    """0: `machine_threads()`."""
    embedding: bool = False

    def to_child(self) -> str:
        generation, batch = machine_threads()
        settings = {
            **asdict(self),
            "model_path": str(self.model_path),
            "threads": self.threads or generation,
            "batch_threads": self.threads or batch,
            "cache_reuse": CACHE_REUSE_TOKENS,
            "cache_ram_mib": CACHE_RAM_MIB,
            "max_predict": MAX_PREDICT,
            "verbosity": 2,
            "parent_pid": os.getpid(),
        }
        return json.dumps(settings)


def log_path(alias: str) -> Path:
    """Where llama.cpp's log for a model goes (its latest run; named when it fails)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", Path(alias).name).strip("-.") or "model"
    return data_dir() / "logs" / f"local-model-{name}.log"


class LocalServer:
    """One llama.cpp server process; `start` it, then talk to `url` (OpenAI API at `url/v1`)."""

    def __init__(self, settings: ServerSettings, listeners: list[LoadListener] | None = None):
        self.settings = settings
        self.url: str | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._listeners = listeners if listeners is not None else []
        self._starting: asyncio.Future[str] | None = None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None and self.url is not None

    async def start(self, on_event: LoadListener | None = None) -> str:
        """Start the server (once; concurrent callers wait for the same start); its base URL.

        Raises:
            LocalServerError: the model could not load, or took over LOAD_TIMEOUT_S.
        """
        if self.running:
            return self.url or ""
        if self._starting is None or self._starting.done():
            self._starting = asyncio.ensure_future(self._start(on_event))
        return await asyncio.shield(self._starting)

    async def _start(self, on_event: LoadListener | None) -> str:
        listeners = [*self._listeners, *([on_event] if on_event else [])]
        self.stop()
        process = self._spawn()
        try:
            async with asyncio.timeout(LOAD_TIMEOUT_S):
                self.url = await asyncio.to_thread(self._await_ready, process, listeners)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _spawn(self) -> subprocess.Popen[bytes]:
        path = log_path(self.settings.alias)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as log:
            self._process = process = subprocess.Popen(
                [sys.executable, "-m", "aiide_tui.llm.local_child", self.settings.to_child()],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log,
                start_new_session=True,
                env=child_env(),
            )
        return process

    def _await_ready(self, process: subprocess.Popen[bytes], listeners: list[LoadListener]) -> str:
        """Read the child's events until it is ready; runs in a thread."""
        assert process.stdout is not None
        model = self.settings.alias
        for line in _lines(process.stdout):
            event = _load_event(model, line)
            if event is None:
                continue
            for listener in listeners:
                listener(event)
            if event.stage == "ready":
                return event.detail
            if event.stage == "failed":
                raise LocalServerError(
                    f"{model} could not load from {self.settings.model_path}: {event.detail} "
                    f"(log: {log_path(model)})"
                )
        status = process.wait()
        raise LocalServerError(
            f"the local model server for {model} exited (status {status}) before it was ready; "
            f"see {log_path(model)}"
        )

    def stop(self) -> None:
        """End the process (a signal, then a kill after STOP_GRACE_S); safe to call twice."""
        process, self._process, self.url = self._process, None, None
        if process is None:
            return
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(STOP_GRACE_S)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for stream in (process.stdin, process.stdout):
            if stream is not None:
                stream.close()


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    while line := stream.readline():
        yield line


def _load_event(model: str, line: bytes) -> LoadEvent | None:
    try:
        data = json.loads(line)
    except ValueError:
        return None
    stage = data.get("event")
    if stage == "reading":
        return LoadEvent(model, "reading", int(data["done"]), int(data["total"]))
    if stage == "loading":
        return LoadEvent(model, "loading")
    if stage == "ready":
        return LoadEvent(model, "ready", detail=str(data["url"]))
    if stage == "failed":
        return LoadEvent(model, "failed", detail=str(data.get("message", "")))
    return None


class LocalServers:
    """The running servers by settings, with how many roles use each."""

    def __init__(self) -> None:
        self._servers: dict[ServerSettings, LocalServer] = {}
        self._users: dict[ServerSettings, int] = {}
        self._listeners: list[LoadListener] = []
        self._lock = threading.Lock()

    def listen(self, listener: LoadListener) -> Callable[[], None]:
        """Hear every server's load events; returns the function that stops listening.

        Listeners are called from a worker thread (a Textual app hands the
        event on with `call_from_thread`).
        """
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def acquire(self, settings: ServerSettings) -> LocalServer:
        """The server for `settings` (not started yet, or shared); `release` it when done."""
        with self._lock:
            server = self._servers.get(settings)
            if server is None:
                server = self._servers[settings] = LocalServer(settings, self._listeners)
            self._users[settings] = self._users.get(settings, 0) + 1
            return server

    def release(self, server: LocalServer) -> None:
        """One user fewer; the last one out stops the process."""
        settings = server.settings
        with self._lock:
            self._users[settings] = self._users.get(settings, 1) - 1
            if self._users[settings] > 0:
                return
            self._users.pop(settings, None)
            self._servers.pop(settings, None)
        server.stop()

    def running(self) -> list[LocalServer]:
        with self._lock:
            return [server for server in self._servers.values() if server.running]

    def stop_all(self) -> None:
        with self._lock:
            servers = list(self._servers.values())
            self._servers.clear()
            self._users.clear()
        for server in servers:
            server.stop()


SERVERS = LocalServers()
"""This process's embedded model servers."""
atexit.register(SERVERS.stop_all)
