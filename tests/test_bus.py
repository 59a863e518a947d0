"""The bus in one process: framing, request/notify, errors, cancellation, malformed input."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from aiide_tui.bus import (
    BusError,
    Endpoint,
    InternalError,
    InvalidParams,
    MethodNotFound,
    RequestCancelled,
    RequestContext,
    Router,
    connect_in_process,
    serve_unix_socket,
)
from aiide_tui.bus.framing import encode_frame, read_frame
from aiide_tui.bus.protocol import ParseError
from aiide_tui.errors import AiideError, BinaryFileError, StaleFileError
from tests.support.bus_peer import build_router

pytestmark = pytest.mark.timeout(20)
ROOT = Path(__file__).resolve().parent.parent


def _reader(data: bytes, eof: bool = True) -> asyncio.StreamReader:
    reader = asyncio.StreamReader()
    reader.feed_data(data)
    if eof:
        reader.feed_eof()
    return reader


@pytest.fixture
async def client():
    endpoint = await connect_in_process(build_router())
    yield endpoint
    await endpoint.close()


# --- framing ---------------------------------------------------------------


async def test_frames_round_trip_with_extra_headers_and_any_case():
    body = json.dumps({"text": "héllo"}).encode()
    data = encode_frame(body) + b"content-length: 2\r\nContent-Type: x\r\n\r\n{}"
    reader = _reader(data)
    assert await read_frame(reader) == body
    assert await read_frame(reader) == b"{}"
    assert await read_frame(reader) is None


async def test_bad_header_raises_then_next_frame_reads():
    reader = _reader(b"Content-Length: abc\r\n\r\n" + encode_frame(b"[1]"))
    with pytest.raises(ParseError):
        await read_frame(reader)
    assert await read_frame(reader) == b"[1]"


async def test_a_junk_line_before_a_frame_is_refused_alone():
    reader = _reader(b"hello world\r\n" + encode_frame(b"[1]") + encode_frame(b"[2]"))
    with pytest.raises(ParseError, match="bad header line"):
        await read_frame(reader)
    assert await read_frame(reader) == b"[1]"
    assert await read_frame(reader) == b"[2]"


async def test_truncated_frame_reads_as_end_of_stream():
    assert await read_frame(_reader(b"Content-Length: 10\r\n\r\n{}")) is None
    assert await read_frame(_reader(b"Content-Len")) is None


# --- requests and notifications ----------------------------------------------


async def test_request_returns_result_through_json(client: Endpoint):
    params = {"path": "ä.py", "n": [1, 2.5, None, True]}
    assert await client.request("echo", params) == params
    assert await client.request("echo", ["positional", 1]) == ["positional", 1]


async def test_stream_notifications_arrive_in_order_before_result(client: Endpoint):
    seen: list[int] = []
    client.on_notification("stream/progress", lambda params: seen.append(params["index"]))
    assert await client.request("stream", {"count": 5}) == {"sent": 5}
    assert seen == [0, 1, 2, 3, 4]


async def test_async_callback_and_unsubscribe(client: Endpoint):
    seen: list[int] = []

    async def collect(params: dict[str, int]) -> None:
        await asyncio.sleep(0)
        seen.append(params["index"])

    unsubscribe = client.on_notification("stream/progress", collect)
    await client.request("stream", {"count": 3})
    await asyncio.sleep(0.01)
    assert sorted(seen) == [0, 1, 2]
    unsubscribe()
    await client.request("stream", {"count": 3})
    await asyncio.sleep(0.01)
    assert len(seen) == 3


async def test_notification_reaches_server_handler(client: Endpoint):
    await client.notify("remember", {"a": 1})
    await client.notify("nobody/listens", {"a": 2})
    assert await client.request("remembered") == [{"a": 1}]


async def test_server_can_request_the_client():
    server_router, client_router = Router(), Router()

    @server_router.method("ask")
    async def ask(params: dict[str, str], ctx: RequestContext) -> str:
        answer = await ctx.endpoint.request("client/confirm", {"q": params["q"]})
        return f"user said {answer}"

    @client_router.method("client/confirm")
    async def confirm(params: dict[str, str], ctx: RequestContext) -> str:
        return "yes" if params["q"] == "apply?" else "no"

    client = await connect_in_process(server_router, client_router=client_router)
    try:
        assert await client.request("ask", {"q": "apply?"}) == "user said yes"
    finally:
        await client.close()


async def test_slow_handler_does_not_block_others(client: Endpoint):
    slow = asyncio.create_task(client.request("slow", {"seconds": 0.3}))
    started = asyncio.get_running_loop().time()
    assert await client.request("echo", {"x": 1}) == {"x": 1}
    assert asyncio.get_running_loop().time() - started < 0.2
    assert not slow.done()
    assert await slow == "finished"


# --- errors ------------------------------------------------------------------


async def test_aiide_error_comes_back_as_same_class(client: Endpoint):
    with pytest.raises(BinaryFileError, match=r"logo\.png is binary"):
        await client.request("binary", {"path": "logo.png"})


async def test_error_kinds_map_to_classes():
    router = Router()

    @router.method("stale")
    async def stale(params: Any, ctx: RequestContext) -> None:
        raise StaleFileError("changed on disk")

    @router.method("needs-params")
    async def needs(params: Any, ctx: RequestContext) -> None:
        raise InvalidParams("path is required")

    @router.method("wrong-signature")
    async def wrong(params: Any) -> None:
        return None

    @router.method("not-json")
    async def not_json(params: Any, ctx: RequestContext) -> object:
        return object()

    client = await connect_in_process(router)
    try:
        with pytest.raises(StaleFileError) as caught:
            await client.request("stale")
        assert caught.value.message == "changed on disk"
        with pytest.raises(MethodNotFound):
            await client.request("missing")
        with pytest.raises(InvalidParams, match="path is required"):
            await client.request("needs-params")
        with pytest.raises(InvalidParams):
            await client.request("wrong-signature")
        with pytest.raises(InvalidParams):
            await client.request("stale", "a string is not params")  # type: ignore[arg-type]
        with pytest.raises(InternalError, match="not JSON"):
            await client.request("not-json")
    finally:
        await client.close()


async def test_internal_error_is_reported_and_endpoint_survives(client: Endpoint, caplog):
    with pytest.raises(InternalError, match="RuntimeError: boom"):
        await client.request("crash")
    assert "handler for 'crash' failed" in caplog.text
    assert await client.request("echo", {"still": "alive"}) == {"still": "alive"}


# --- cancellation and closing ------------------------------------------------


async def test_cancelling_the_caller_cancels_the_handler(client: Endpoint):
    slow = asyncio.create_task(client.request("slow", {"seconds": 30}))
    while (await client.request("slow/state"))["started"] == 0:
        await asyncio.sleep(0.01)
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow
    for _ in range(100):
        if (await client.request("slow/state"))["cancelled"] == 1:
            break
        await asyncio.sleep(0.01)
    assert await client.request("slow/state") == {"started": 1, "cancelled": 1, "finished": 0}


async def test_timeout_raises_and_cancels_handler(client: Endpoint):
    with pytest.raises(TimeoutError):
        await client.request("slow", {"seconds": 30}, timeout=0.05)
    await asyncio.sleep(0.05)
    assert (await client.request("slow/state"))["cancelled"] == 1


async def test_close_fails_pending_requests_and_later_calls():
    router = Router()
    server_side: list[RequestContext] = []

    @router.method("hang")
    async def hang(params: Any, ctx: RequestContext) -> None:
        server_side.append(ctx)
        await asyncio.sleep(30)

    client = await connect_in_process(router)
    pending = asyncio.create_task(client.request("hang"))
    while not server_side:
        await asyncio.sleep(0.01)
    await server_side[0].endpoint.close()  # the server goes away
    with pytest.raises(BusError, match="connection closed"):
        await pending
    assert client.closed
    with pytest.raises(BusError, match="connection closed"):
        await client.request("hang")
    await client.close()


# --- malformed input on a real socket -----------------------------------------


async def _raw_frames(reader: asyncio.StreamReader, count: int) -> list[dict[str, Any]]:
    frames = []
    for _ in range(count):
        body = await asyncio.wait_for(read_frame(reader), 5)
        assert body is not None
        frames.append(json.loads(body))
    return frames


@pytest.fixture
async def socket_server(tmp_path: Path):
    path = tmp_path / "bus.sock"
    ready = asyncio.Event()
    server = asyncio.create_task(serve_unix_socket(path, build_router(), ready=ready.set))
    await asyncio.wait_for(ready.wait(), 5)
    yield path
    server.cancel()
    with pytest.raises(asyncio.CancelledError):
        await server
    assert not path.exists()


async def test_malformed_frames_get_errors_and_connection_keeps_working(socket_server: Path):
    reader, writer = await asyncio.open_unix_connection(socket_server)
    writer.write(encode_frame(b"{not json"))
    writer.write(encode_frame(b"[1, 2]"))
    writer.write(encode_frame(b'{"jsonrpc": "2.0", "id": 7}'))
    writer.write(b"Content-Length: many\r\n\r\n")
    writer.write(encode_frame(b'{"jsonrpc": "2.0", "method": "echo", "id": 1, "params": 3}'))
    writer.write(encode_frame(b'{"jsonrpc": "2.0", "method": "echo", "id": 2, "params": [9]}'))
    frames = await _raw_frames(reader, 6)
    batch = frames.pop(1)  # [1, 2] is a batch of two messages that are not JSON-RPC
    assert [(item["id"], item["error"]["code"]) for item in batch] == [(None, -32600)] * 2
    codes = [(frame["id"], frame.get("error", {}).get("code")) for frame in frames]
    assert codes == [(None, -32700), (None, -32600), (None, -32700), (1, -32602), (2, None)]
    assert frames[-1]["result"] == [9]
    writer.close()
    await writer.wait_closed()


def _frame(message: dict[str, Any] | list[Any]) -> bytes:
    return encode_frame(json.dumps(message).encode())


async def test_a_batch_gets_one_array_of_replies_once_all_are_answered(socket_server: Path):
    """JSON-RPC 2.0 batches: notifications get no reply, each request or invalid entry one,
    all in one array; a batch of notifications alone gets nothing, an empty one an error."""
    reader, writer = await asyncio.open_unix_connection(socket_server)
    batch = [
        {"jsonrpc": "2.0", "method": "slow", "id": "slow", "params": {"seconds": 0.3}},
        {"jsonrpc": "2.0", "method": "echo", "id": 1, "params": ["a"]},
        {"jsonrpc": "2.0", "method": "remember", "params": {"x": 1}},
        {"jsonrpc": "2.0", "method": "nope", "id": 2},
        7,
    ]
    writer.write(_frame(batch))
    writer.write(_frame([{"jsonrpc": "2.0", "method": "remember", "params": {"x": 2}}]))
    writer.write(_frame([]))
    writer.write(_frame({"jsonrpc": "2.0", "method": "echo", "id": 3, "params": ["b"]}))
    empty, alone, replies = await _raw_frames(reader, 3)
    assert empty["id"] is None and empty["error"]["code"] == -32600
    assert alone == {"jsonrpc": "2.0", "id": 3, "result": ["b"]}  # the batch waits for "slow"
    by_id = {(item["id"], item.get("error", {}).get("code")): item for item in replies}
    assert set(by_id) == {("slow", None), (1, None), (2, -32601), (None, -32600)}
    assert by_id["slow", None]["result"] == "finished" and by_id[1, None]["result"] == ["a"]
    writer.write(_frame({"jsonrpc": "2.0", "method": "remembered", "id": 4}))
    (remembered,) = await _raw_frames(reader, 1)
    assert remembered["result"] == [{"x": 1}, {"x": 2}]  # the batches' notifications arrived
    writer.close()
    await writer.wait_closed()


async def test_cancel_request_on_the_wire_answers_32800(socket_server: Path):
    reader, writer = await asyncio.open_unix_connection(socket_server)
    for request_id in ("before-start", "while-running"):
        writer.write(_frame({"jsonrpc": "2.0", "method": "slow", "id": request_id}))
        if request_id == "while-running":
            await asyncio.sleep(0.05)
        cancel = {"jsonrpc": "2.0", "method": "$/cancelRequest", "params": {"id": request_id}}
        writer.write(_frame(cancel))
        (reply,) = await _raw_frames(reader, 1)
        assert reply["id"] == request_id
        assert reply["error"]["code"] == -32800
        kind = reply["error"]["data"]["kind"]
        assert isinstance(AiideError.from_kind(kind, ""), RequestCancelled)
    writer.close()
    await writer.wait_closed()


async def test_socket_serves_many_clients_and_is_private(socket_server: Path):
    from aiide_tui.bus import connect_unix_socket

    assert socket_server.stat().st_mode & 0o777 == 0o600
    first = await connect_unix_socket(socket_server)
    second = await connect_unix_socket(socket_server)
    try:
        results = await asyncio.gather(first.request("echo", [1]), second.request("echo", [2]))
        assert results == [[1], [2]]
    finally:
        await first.close()
        await second.close()


async def test_stale_socket_file_is_replaced_and_live_one_refused(tmp_path: Path):
    import socket

    path = tmp_path / "stale.sock"
    with socket.socket(socket.AF_UNIX) as dead:
        dead.bind(str(path))  # bound, never listening, then closed: a crashed server
    ready = asyncio.Event()
    server = asyncio.create_task(serve_unix_socket(path, Router(), ready=ready.set))
    await asyncio.wait_for(ready.wait(), 5)
    with pytest.raises(BusError, match="another server"):
        await serve_unix_socket(path, Router())
    server.cancel()
    with pytest.raises(asyncio.CancelledError):
        await server


# --- the import budget --------------------------------------------------------


def test_bus_imports_only_the_standard_library():
    code = (
        "import sys, aiide_tui.bus\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    extra = set(json.loads(out.stdout.replace("'", '"'))) - {"aiide_tui", "__main__"}
    assert {name for name in extra if not name.startswith("_")} == set(), out.stderr


def test_named_params_read_typed_values_and_name_the_wrong_ones():
    from aiide_tui.bus import InvalidParams, NamedParams

    params = NamedParams(path="a.py", limit=5, ratio=0.5, force=True, paths=["a", "b"], gone=None)
    assert params.text("path") == "a.py" and params.whole("limit", minimum=1) == 5
    assert params.number("ratio", positive=True) == 0.5 and params.flag("force") is True
    assert params.texts("paths") == ["a", "b"]
    assert params.text("gone", "default") == "default"  # null is absent
    assert params.whole("missing", 7) == 7 and params.texts("missing", None) is None
    wrong = [
        (lambda: params.text("limit"), "'limit' must be a string, not int"),
        (lambda: params.whole("force"), "'force' must be an integer, not bool"),
        (lambda: params.whole("limit", minimum=10), "'limit' must be 10 or more, not 5"),
        (lambda: NamedParams(t=float("inf")).number("t"), "'t' must be a finite number"),
        (lambda: NamedParams(t=0).number("t", positive=True), "'t' must be above 0"),
        (lambda: NamedParams(argv=["echo", 5]).texts("argv"), "'argv' must be a list of str"),
        (lambda: params.text("gone"), "missing parameter 'gone'"),
    ]
    for read, message in wrong:
        with pytest.raises(InvalidParams, match=message):
            read()
