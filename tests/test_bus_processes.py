"""The bus between real processes: a peer on stdio and a peer on a Unix socket."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from aiide_tui.bus import (
    BusError,
    Endpoint,
    InternalError,
    MethodNotFound,
    connect_subprocess,
    connect_unix_socket,
)
from aiide_tui.errors import BinaryFileError

pytestmark = pytest.mark.timeout(30)
ROOT = Path(__file__).resolve().parent.parent
PEER = [sys.executable, "-m", "tests.support.bus_peer"]


async def _socket_peer(path: Path) -> asyncio.subprocess.Process:
    process = await asyncio.create_subprocess_exec(
        *PEER, "--socket", str(path), cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )
    assert process.stdout is not None
    assert await asyncio.wait_for(process.stdout.readline(), 10) == b"ready\n"
    return process


@pytest.fixture(params=["stdio", "socket"])
async def peer(request, tmp_path: Path) -> AsyncIterator[Endpoint]:
    """An endpoint talking to a bus_peer in another process, over stdio or a socket."""
    if request.param == "stdio":
        endpoint = await connect_subprocess([*PEER, "--stdio"], cwd=ROOT)
        yield endpoint
        await endpoint.close()
        return
    process = await _socket_peer(tmp_path / "peer.sock")
    endpoint = await connect_unix_socket(tmp_path / "peer.sock")
    yield endpoint
    await endpoint.close()
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    await asyncio.wait_for(process.wait(), 10)


async def test_request_round_trip(peer: Endpoint):
    params = {"text": "naïve — ünïcode", "numbers": [1, 2.5], "nested": {"ok": True}}
    assert await peer.request("echo", params, timeout=5) == params
    with pytest.raises(MethodNotFound):
        await peer.request("no/such/method", timeout=5)


async def test_notification_stream_then_result(peer: Endpoint):
    seen: list[int] = []
    peer.on_notification("stream/progress", lambda params: seen.append(params["index"]))
    assert await peer.request("stream", {"count": 5}, timeout=5) == {"sent": 5}
    assert seen == [0, 1, 2, 3, 4]


async def test_notification_to_the_peer(peer: Endpoint):
    await peer.notify("remember", {"n": 1})
    await peer.notify("remember", {"n": 2})
    assert await peer.request("remembered", timeout=5) == [{"n": 1}, {"n": 2}]


async def test_cancellation_really_stops_the_remote_handler(peer: Endpoint):
    slow = asyncio.create_task(peer.request("slow", {"seconds": 30}))
    while (await peer.request("slow/state", timeout=5))["started"] == 0:
        await asyncio.sleep(0.01)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    state = await peer.request("slow/state", timeout=5)
    for _ in range(200):
        if state["cancelled"]:
            break
        await asyncio.sleep(0.01)
        state = await peer.request("slow/state", timeout=5)
    assert state == {"started": 1, "cancelled": 1, "finished": 0}


async def test_timeout_cancels_remotely(peer: Endpoint):
    with pytest.raises(TimeoutError):
        await peer.request("slow", {"seconds": 30}, timeout=1.0)
    for _ in range(50):
        state = await peer.request("slow/state", timeout=5)
        if state["cancelled"] == state["started"]:
            break
        await asyncio.sleep(0.05)
    # The handler either never started (the cancel came first) or was cancelled: never finished.
    assert state["cancelled"] == state["started"] and state["finished"] == 0


async def test_errors_cross_the_process_boundary(peer: Endpoint):
    with pytest.raises(BinaryFileError, match=r"logo\.png is binary"):
        await peer.request("binary", {"path": "logo.png"}, timeout=5)
    with pytest.raises(InternalError, match="boom"):
        await peer.request("crash", timeout=5)
    assert await peer.request("echo", [1], timeout=5) == [1]


async def test_peer_death_fails_pending_request(peer: Endpoint):
    pid = await peer.request("pid", timeout=5)
    pending = asyncio.create_task(peer.request("slow", {"seconds": 30}))
    await asyncio.sleep(0.1)
    os.kill(pid, signal.SIGKILL)
    with pytest.raises(BusError, match="connection closed"):
        await asyncio.wait_for(pending, 5)
    assert peer.closed


async def test_stray_stdout_writes_do_not_corrupt_stdio():
    endpoint = await connect_subprocess([*PEER, "--stdio"], cwd=ROOT)
    try:
        assert await endpoint.request("noisy", timeout=5) == "quiet"
        assert await endpoint.request("echo", {"after": "noise"}, timeout=5) == {"after": "noise"}
    finally:
        await endpoint.close()


async def test_close_stops_the_child_process():
    endpoint = await connect_subprocess([*PEER, "--stdio"], cwd=ROOT)
    pid = await endpoint.request("pid", timeout=5)
    await endpoint.close()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_socket_server_is_private_and_removed_on_exit(tmp_path: Path):
    path = tmp_path / "bus.sock"
    process = await _socket_peer(path)
    try:
        assert path.stat().st_mode & 0o777 == 0o600
        clients = [await connect_unix_socket(path) for _ in range(3)]
        answers = await asyncio.gather(*(c.request("echo", [i]) for i, c in enumerate(clients)))
        assert answers == [[0], [1], [2]]
        process.terminate()
        assert await asyncio.wait_for(process.wait(), 10) == 0
        assert not path.exists()
        for client in clients:
            await asyncio.wait_for(client.wait_closed(), 5)
            await client.close()
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def test_connect_failures_are_bus_errors(tmp_path: Path):
    with pytest.raises(BusError, match="cannot connect"):
        await connect_unix_socket(tmp_path / "nobody.sock")
    with pytest.raises(BusError, match="cannot start"):
        await connect_subprocess([str(tmp_path / "no-such-program")])
