"""One JSON-RPC connection: requests and notifications in both directions.

Both sides are the same class: the app's client and `aiide serve`'s server are
each an `Endpoint`, one with handlers (a `Router`), the other usually without.
Each incoming request runs as its own task, so a slow handler blocks nobody and
responses leave in any order; the peer stops one with `$/cancelRequest`. A
batch (an array of messages) is answered with one array once all of its
requests are answered, as JSON-RPC 2.0 asks.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import inspect
import itertools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiide_tui.bus import framing, protocol
from aiide_tui.bus.protocol import (
    Id,
    InternalError,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    Params,
)
from aiide_tui.errors import AiideError, BusError, RequestCancelled

logger = logging.getLogger(__name__)

Handler = Callable[[Any, "RequestContext"], Awaitable[Any]]
NotificationCallback = Callable[[Any], object]
"""Called with a notification's params; may return an awaitable, which then runs as a task."""
_F = TypeVar("_F", bound=Handler)


class Router:
    """Method and notification handlers by name; one router may serve many endpoints."""

    def __init__(self, *, named_params: bool = False) -> None:
        self.methods: dict[str, Handler] = {}
        self.notifications: dict[str, Handler] = {}
        self.named_params = named_params
        """Whether every method takes named params: an array is then refused up front."""
        self.endless: set[str] = set()
        """Methods that run until cancelled (a watch): stopped when the peer's input ends,
        since it can no longer cancel them."""

    def method(self, name: str, *, endless: bool = False) -> Callable[[_F], _F]:
        """Decorator: `async def fn(params, ctx)` answers requests for `name`; `endless`
        for a stream that ends only when cancelled."""
        if endless:
            self.endless.add(name)
        return functools.partial(_register, self.methods, name)

    def notification(self, name: str) -> Callable[[_F], _F]:
        """Decorator: `async def fn(params, ctx)` handles notifications named `name`."""
        return functools.partial(_register, self.notifications, name)


def _register(table: dict[str, Handler], name: str, fn: _F) -> _F:
    table[name] = fn
    return fn


@dataclass(frozen=True)
class RequestContext:
    """What a handler knows about the message it handles, and the way back to the peer."""

    endpoint: Endpoint
    method: str
    request_id: Id | None = None
    """None when handling a notification."""

    async def notify(self, method: str, params: Params | None = None) -> None:
        await self.endpoint.notify(method, params)


Reply = Callable[[protocol.Response], Awaitable[None]]
"""Where the answer to a request goes: the wire, or the batch it came in."""


class _Batch:
    """The replies to one batch, sent together as one array when the last one comes."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint
        self.expected = 0
        self.bodies: list[bytes] = []

    async def add(self, reply: protocol.Response) -> None:
        self.bodies.append(self.endpoint._reply_body(reply))
        if len(self.bodies) == self.expected:
            try:
                await self.endpoint._send_body(b"[" + b",".join(self.bodies) + b"]")
            except BusError:
                logger.debug("%s: peer gone before the reply to a batch", self.endpoint.name)


class Endpoint:
    """A JSON-RPC peer over a reader/writer pair; create it inside a running event loop."""

    def __init__(
        self,
        reader: framing.FrameReader,
        writer: framing.FrameWriter,
        router: Router | None = None,
        *,
        name: str = "bus",
        cleanup: Callable[[], Awaitable[None]] | None = None,
        finish_on_eof: bool = False,
    ) -> None:
        self.router = router or Router()
        self.name = name
        self.finish_on_eof = finish_on_eof
        """When the peer ends its stream, answer the requests already read before closing
        (a script piping requests into `aiide serve --stdio`); otherwise cancel them."""
        self._reader, self._writer, self._cleanup = reader, writer, cleanup
        self._ids = itertools.count(1)
        self._pending: dict[Id, asyncio.Future[Any]] = {}
        self._handling: dict[Id, asyncio.Task[None]] = {}
        self._endless: set[asyncio.Task[None]] = set()
        self._background: set[asyncio.Future[Any]] = set()
        self._callbacks: dict[str, list[NotificationCallback]] = {}
        self._closed = asyncio.Event()
        self._read_task = asyncio.create_task(self._read_loop(), name=f"{name}: read")

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    async def request(
        self, method: str, params: Params | None = None, *, timeout: float | None = None
    ) -> Any:
        """Call `method` on the peer and return its result.

        Raises:
            AiideError: the class the handler raised, or a `BusError` subclass
                (`MethodNotFound`, `InvalidParams`, `InternalError`, `RequestCancelled`,
                `BusError("connection closed")`).
            TimeoutError: no answer within `timeout` seconds; the peer is told to cancel.
        """
        request_id = next(self._ids)
        future = asyncio.get_running_loop().create_future()
        self._pending[request_id] = future
        try:
            await self._send(protocol.make_request(request_id, method, params))
            async with asyncio.timeout(timeout):
                return await future
        except (asyncio.CancelledError, TimeoutError):
            answered = future.done() and not future.cancelled()  # awaiting it cancelled it
            if not answered and not self.closed:
                self._write(protocol.make_notification(protocol.CANCEL_METHOD, {"id": request_id}))
            raise
        finally:
            self._pending.pop(request_id, None)
            if future.done() and not future.cancelled():
                future.exception()  # retrieved, even when the send failed first

    async def notify(self, method: str, params: Params | None = None) -> None:
        await self._send(protocol.make_notification(method, params))

    def on_notification(self, method: str, callback: NotificationCallback) -> Callable[[], None]:
        """Call `callback(params)` for each `method` notification; returns an unsubscribe."""
        self._callbacks.setdefault(method, []).append(callback)
        return functools.partial(self._callbacks[method].remove, callback)

    async def wait_closed(self) -> None:
        await self._closed.wait()

    async def close(self) -> None:
        """Close the connection, cancel running handlers, fail pending requests."""
        self._mark_closed()
        current = asyncio.current_task()
        tasks = [self._read_task, *self._handling.values(), *self._background]
        await asyncio.gather(*(t for t in tasks if t is not current), return_exceptions=True)
        with contextlib.suppress(ConnectionError, OSError):
            await self._writer.wait_closed()
        if self._cleanup is not None:
            cleanup, self._cleanup = self._cleanup, None
            await cleanup()

    def _mark_closed(self) -> None:
        if self.closed:
            return
        self._closed.set()
        for future in self._pending.values():
            if not future.done():
                future.set_exception(BusError("connection closed"))
        current = asyncio.current_task()
        for task in [self._read_task, *self._handling.values(), *self._background]:
            if task is not current:
                task.cancel()
        self._writer.close()

    def _write(self, message: protocol.Message) -> None:
        self._write_body(protocol.encode(message))

    def _write_body(self, body: bytes) -> None:
        if self.closed:
            raise BusError("connection closed")
        self._writer.write(framing.encode_frame(body))

    async def _send(self, message: protocol.Message) -> None:
        await self._send_body(protocol.encode(message))

    async def _send_body(self, body: bytes) -> None:
        self._write_body(body)
        try:
            await self._writer.drain()
        except (ConnectionError, OSError) as exc:
            self._mark_closed()
            raise BusError("connection closed") from exc

    def _reply_body(self, reply: protocol.Response) -> bytes:
        """The reply as JSON; an internal error in its place when its result is not JSON."""
        try:
            return protocol.encode(reply)
        except (TypeError, ValueError) as exc:
            logger.error("%s: result for %r is not JSON: %s", self.name, reply["id"], exc)
            error = InternalError(f"result is not JSON: {exc}")
            return protocol.encode(protocol.make_error(reply["id"], error))

    async def _reply(self, reply: protocol.Response) -> None:
        try:
            await self._send_body(self._reply_body(reply))
        except BusError:
            logger.debug("%s: peer gone before the reply to %r", self.name, reply["id"])

    async def _read_loop(self) -> None:
        try:
            while True:
                try:
                    body = await framing.read_frame(self._reader)
                except protocol.ParseError as exc:
                    self._spawn(self._reply(protocol.make_error(None, exc)))
                    continue
                if body is None:
                    if self.finish_on_eof:
                        await self._finish_handling()
                    break
                self._dispatch(body)
        except (ConnectionError, OSError) as exc:
            logger.debug("%s: connection lost: %s", self.name, exc)
        finally:
            self._mark_closed()

    async def _finish_handling(self) -> None:
        """Stop the endless handlers (watches), then wait for the others and the replies
        they leave behind."""
        for task in self._handling.values():
            if task in self._endless:
                task.cancel()
        while running := [*self._handling.values(), *self._background]:
            await asyncio.gather(*running, return_exceptions=True)

    def _dispatch(self, body: bytes) -> None:
        try:
            message: Any = protocol.decode(body)
        except BusError as exc:
            self._spawn(self._reply(protocol.make_error(None, exc)))
            return
        if not isinstance(message, list):
            self._dispatch_one(message, self._reply)
        elif not message:
            self._spawn(self._reply(protocol.make_error(None, InvalidRequest("empty batch"))))
        else:
            batch = _Batch(self)
            batch.expected = sum(self._dispatch_one(item, batch.add) for item in message)

    def _dispatch_one(self, message: Any, reply: Reply) -> bool:
        """Handle one message; whether a reply to it will come (through `reply`, which runs
        later, as a task: a batch counts its replies before the first arrives)."""
        try:
            kind = protocol.classify(message)
        except BusError as exc:
            self._spawn(reply(protocol.make_error(None, exc)))
            return True
        if kind == "response":
            self._on_response(message)
        elif kind == "request":
            self._on_request(message, reply)
            return True
        else:
            self._on_notification(message)
        return False

    def _on_response(self, message: protocol.Response) -> None:
        request_id = message.get("id")
        future = self._pending.get(request_id) if request_id is not None else None
        if future is None or future.done():
            if "error" in message and request_id is None:
                logger.warning("%s: peer rejected a message: %s", self.name, message["error"])
            return
        if "error" in message:
            future.set_exception(protocol.error_from_object(message["error"]))
        else:
            future.set_result(message.get("result"))

    def _on_request(self, message: protocol.Request, reply: Reply) -> None:
        request_id, method = message["id"], message["method"]
        handler = self.router.methods.get(method)
        try:
            if handler is None:
                raise MethodNotFound(f"no method {method!r}")
            params = protocol.params_of(message)
            if self.router.named_params and not isinstance(params, dict):
                raise InvalidParams(f"{method} takes named params (an object)")
            if request_id in self._handling:  # its handler could no longer be cancelled
                raise InvalidRequest(f"id {request_id!r} is in use by a request still running")
        except BusError as exc:
            self._spawn(reply(protocol.make_error(request_id, exc)))
            return
        context = RequestContext(self, method, request_id)
        task = asyncio.create_task(
            self._run(handler, params, context, reply), name=f"{self.name}: {method}"
        )
        self._handling[request_id] = task
        if method in self.router.endless:
            self._endless.add(task)
        task.add_done_callback(functools.partial(self._forget, request_id, reply))

    def _forget(self, request_id: Id, reply: Reply, task: asyncio.Task[None]) -> None:
        self._endless.discard(task)
        if self._handling.get(request_id) is task:
            del self._handling[request_id]
        if task.cancelled() and not self.closed:  # cancelled before it ever ran
            cancelled = RequestCancelled("request cancelled")
            self._spawn(reply(protocol.make_error(request_id, cancelled)))

    async def _run(
        self, handler: Handler, params: Params, context: RequestContext, reply: Reply
    ) -> None:
        request_id = context.request_id
        try:
            try:
                pending = handler(params, context)
            except TypeError as exc:  # the call could not bind: params do not fit
                raise InvalidParams(str(exc)) from exc
            answer = protocol.make_result(request_id, await pending)
        except asyncio.CancelledError:
            if self.closed:
                raise
            answer = protocol.make_error(request_id, RequestCancelled("request cancelled"))
        except AiideError as exc:
            answer = protocol.make_error(request_id, exc)
        except Exception as exc:
            logger.exception("%s: handler for %r failed", self.name, context.method)
            answer = protocol.make_error(request_id, InternalError(f"{type(exc).__name__}: {exc}"))
        await reply(answer)

    def _on_notification(self, message: protocol.Notification) -> None:
        method = message["method"]
        try:
            params = protocol.params_of(message)
        except InvalidParams:
            logger.warning("%s: dropped %r notification with bad params", self.name, method)
            return
        if method == protocol.CANCEL_METHOD:
            self._cancel_handler(params)
            return
        callbacks = list(self._callbacks.get(method, ()))
        if (handler := self.router.notifications.get(method)) is not None:
            context = RequestContext(self, method)
            callbacks.insert(0, lambda params: handler(params, context))
        for callback in callbacks:
            try:
                outcome = callback(params)
            except Exception:
                logger.exception("%s: callback for %r failed", self.name, method)
                continue
            if inspect.isawaitable(outcome):
                self._spawn(outcome)

    def _cancel_handler(self, params: Params) -> None:
        request_id = params.get("id") if isinstance(params, dict) else None
        task = self._handling.get(request_id) if isinstance(request_id, int | str) else None
        if task is not None:
            task.cancel()

    def _spawn(self, awaitable: Awaitable[Any]) -> None:
        """Run a notification handler or an error reply as a task that close() can cancel."""
        task = asyncio.ensure_future(awaitable)
        self._background.add(task)
        task.add_done_callback(self._background_done)

    def _background_done(self, task: asyncio.Future[Any]) -> None:
        self._background.discard(task)
        if not task.cancelled() and task.exception() is not None:
            logger.error("%s: notification handler failed", self.name, exc_info=task.exception())
