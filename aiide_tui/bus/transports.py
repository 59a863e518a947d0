"""Ways to carry an `Endpoint`: in process, stdio, a Unix socket, a child process.

Every transport moves the same framed JSON, so a service behaves the same in
the app's own process as behind `aiide serve`.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import socket
import stat
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, BinaryIO

from aiide_tui.bus.endpoint import Endpoint, Router
from aiide_tui.errors import BusError

STOP_GRACE_S = 1.0
"""How long a child process gets to exit on its own, then after SIGTERM, before SIGKILL."""


class _MemoryWriter:
    """A StreamWriter look-alike whose bytes land in another StreamReader of this process."""

    def __init__(self, peer: asyncio.StreamReader) -> None:
        self._peer = peer
        self._closing = False

    def write(self, data: bytes) -> None:
        if not self._closing:
            self._peer.feed_data(data)

    async def drain(self) -> None:
        if self._closing:
            raise ConnectionResetError("in-process pipe closed")
        await asyncio.sleep(0)  # yield as a real transport would, so streams interleave

    def close(self) -> None:
        if not self._closing:
            self._closing = True
            self._peer.feed_eof()

    async def wait_closed(self) -> None:
        return None


async def connect_in_process(router: Router, *, client_router: Router | None = None) -> Endpoint:
    """A client endpoint whose peer serves `router` in this process; closing it closes both."""
    to_server, to_client = asyncio.StreamReader(), asyncio.StreamReader()
    server = Endpoint(to_server, _MemoryWriter(to_client), router, name="in-process server")
    return Endpoint(
        to_client, _MemoryWriter(to_server), client_router, name="in-process", cleanup=server.close
    )


async def serve_stdio(router: Router) -> None:
    """Serve one peer on stdin/stdout until stdin ends.

    While it runs, fd 1 points at stderr and fd 0 at /dev/null, so a stray print
    or a child process can neither corrupt nor steal the protocol stream.
    """
    loop = asyncio.get_running_loop()
    with _claim_stdio() as (stdin, stdout), contextlib.ExitStack() as stack:
        reader = asyncio.StreamReader()
        if _pollable(stdin):
            read_transport, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(reader), stdin
            )
            stack.callback(read_transport.close)
        else:  # a regular file or /dev/null, which the event loop cannot watch
            threading.Thread(target=_feed, args=(stdin, reader, loop), daemon=True).start()
        writer: Any = _FileWriter(stdout)
        if _pollable(stdout):
            write_transport, write_protocol = await loop.connect_write_pipe(
                lambda: asyncio.StreamReaderProtocol(asyncio.StreamReader()), stdout
            )
            writer = asyncio.StreamWriter(write_transport, write_protocol, None, loop)
        endpoint = Endpoint(reader, writer, router, name="stdio", finish_on_eof=True)
        try:
            await endpoint.wait_closed()
        finally:
            await endpoint.close()


def _pollable(file: BinaryIO) -> bool:
    """Whether the event loop can watch `file`: a pipe, a socket or a terminal."""
    mode = os.fstat(file.fileno()).st_mode
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or file.isatty()


def _feed(file: BinaryIO, reader: asyncio.StreamReader, loop: asyncio.AbstractEventLoop) -> None:
    """Read `file` in this thread into `reader` on `loop`, then end it."""
    with contextlib.suppress(RuntimeError):  # the loop closed first
        while chunk := file.read(65536):
            loop.call_soon_threadsafe(reader.feed_data, chunk)
        loop.call_soon_threadsafe(reader.feed_eof)


class _FileWriter:
    """A StreamWriter look-alike over a file the event loop cannot watch (writes block)."""

    def __init__(self, file: BinaryIO) -> None:
        self._file = file

    def write(self, data: bytes) -> None:
        self._file.write(data)

    async def drain(self) -> None:
        return None

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self._file.flush()

    async def wait_closed(self) -> None:
        return None


@contextlib.contextmanager
def _claim_stdio() -> Iterator[tuple[BinaryIO, BinaryIO]]:
    sys.stdout.flush()
    saved = [os.dup(0), os.dup(1)]
    blocking = [os.get_blocking(0), os.get_blocking(1)]
    stdin, stdout = os.fdopen(os.dup(0), "rb", 0), os.fdopen(os.dup(1), "wb", 0)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(2, 1)
    real_stdout, sys.stdout = sys.stdout, sys.stderr
    try:
        yield stdin, stdout
    finally:
        sys.stdout = real_stdout
        for fd, (saved_fd, was_blocking) in enumerate(zip(saved, blocking, strict=True)):
            os.dup2(saved_fd, fd)
            os.set_blocking(fd, was_blocking)
            os.close(saved_fd)
        stdin.close()
        stdout.close()


async def serve_unix_socket(
    path: str | os.PathLike[str], router: Router, *, ready: Callable[[], object] | None = None
) -> None:
    """Serve every client of the socket at `path` (mode 0600) until cancelled, then remove it.

    `ready()` is called once clients can connect. A socket file left by a dead
    server is replaced; one with a live server raises `BusError`.
    """
    path = os.fspath(path)
    sock = _bind_private_socket(path)
    inode = os.stat(path).st_ino
    clients: dict[Endpoint, asyncio.Task[Any]] = {}

    async def serve_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        endpoint = Endpoint(reader, writer, router, name=f"unix:{path}", finish_on_eof=True)
        task = clients[endpoint] = asyncio.current_task()  # type: ignore[assignment]
        task.add_done_callback(lambda _: clients.pop(endpoint))
        try:
            await endpoint.wait_closed()
        finally:
            await endpoint.close()

    try:
        server = await asyncio.start_unix_server(serve_client, sock=sock)
    except OSError:
        sock.close()
        raise
    try:
        if ready is not None:
            ready()
        await asyncio.get_running_loop().create_future()  # until cancelled
    finally:
        server.close()
        # Wait for the client tasks too: one cancelled at loop exit logs an error in 3.11.
        closing = [*(e.close() for e in clients), *clients.values()]
        await asyncio.gather(*closing, return_exceptions=True)
        await server.wait_closed()
        with contextlib.suppress(FileNotFoundError):
            if os.stat(path).st_ino == inode:
                os.unlink(path)


def _bind_private_socket(path: str) -> socket.socket:
    _remove_stale_socket(path)
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    umask = os.umask(0o177)  # no window in which others may connect
    try:
        sock.bind(path)
        os.chmod(path, 0o600)
    except OSError as exc:
        sock.close()
        raise BusError(f"cannot listen on {path}: {exc}") from exc
    finally:
        os.umask(umask)
    return sock


def _remove_stale_socket(path: str) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise BusError(f"{path} exists and is not a socket")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(1.0)
        try:
            probe.connect(path)
        except (ConnectionRefusedError, FileNotFoundError):
            os.unlink(path)
            return
    raise BusError(f"another server is listening on {path}")


async def connect_unix_socket(
    path: str | os.PathLike[str], *, router: Router | None = None
) -> Endpoint:
    try:
        reader, writer = await asyncio.open_unix_connection(os.fspath(path))
    except OSError as exc:
        raise BusError(f"cannot connect to {os.fspath(path)}: {exc}") from exc
    return Endpoint(reader, writer, router, name=f"unix:{os.fspath(path)}")


async def connect_subprocess(
    argv: Sequence[str],
    *,
    router: Router | None = None,
    cwd: str | os.PathLike[str] | None = None,
    env: dict[str, str] | None = None,
) -> Endpoint:
    """Start `argv` speaking the bus on its stdin/stdout; closing the endpoint stops it."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=cwd, env=env
        )
    except OSError as exc:
        raise BusError(f"cannot start {argv[0]}: {exc}") from exc
    assert process.stdin is not None and process.stdout is not None
    return Endpoint(
        process.stdout,
        process.stdin,
        router,
        name=f"process {process.pid}",
        cleanup=functools.partial(_stop_process, process),
    )


async def _stop_process(process: asyncio.subprocess.Process) -> None:
    """Its stdin is closed already: wait for it to exit, then SIGTERM, then SIGKILL."""
    for stop in (None, process.terminate, process.kill):
        if stop is not None and process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(process.wait(), STOP_GRACE_S)
            return
