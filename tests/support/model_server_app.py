"""The test model server process: Ollama's and the OpenAI wire formats on loopback.

Usage: python -m tests.support.model_server_app [--port N]
Prints `listening PORT` once it accepts connections. Tests drive it through
`tests.support.model_server.ModelServer` (admin endpoints under `/_admin/`):
scripts queued per endpoint, every request recorded with what became of it
(`completed`, `error`, `dropped`, `stalled`, `disconnected`, `in-progress`).
A client that goes away mid-answer is noticed at once, also while the server
waits between chunks or stalls, so tests can assert that cancelling closed
the connection. A test component only: the product never talks to it unless
a test points it here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import select
import socket
import sys
import threading
import time
from collections import defaultdict, deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support import model_server_wire as wire
from tests.support.model_server_routes import (
    ROUTES,
    Answer,
    Catalog,
    Frame,
    Problem,
    Request,
    ollama_tags,
    openai_models,
)
from tests.support.model_server_script import DEFAULT_MODELS, Script

OLLAMA_VERSION = "0.12.6"
POLL_S = 0.01


class ClientGone(Exception):
    """The client closed the connection before the answer was complete."""


class State:
    """Scripts, models and the record of requests, shared by the handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.closing = threading.Event()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.queues: dict[str, deque[Script]] = defaultdict(deque)
            self.defaults: dict[str, Script] = {}
            self.catalog = Catalog([dict(item) for item in DEFAULT_MODELS])
            self.api_key: str | None = None
            self.records: list[dict[str, Any]] = []

    def take(self, path: str) -> Script:
        """The next script for `path`: queued first, then the default, then an empty answer."""
        with self.lock:
            queue = self.queues[path]
            if queue:
                script = queue[0]
                if script.times == 1:
                    queue.popleft()
                elif script.times > 1:
                    script.times -= 1
                return script
            return self.defaults.get(path) or self.defaults.get("*") or Script()

    def record(self, method: str, path: str, headers: dict[str, str], raw: bytes) -> dict:
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            body = None
        entry = {
            "id": 0,
            "method": method,
            "path": path,
            "headers": headers,
            "body": body,
            "raw": raw.decode("utf-8", "replace"),
            "outcome": "in-progress",
            "status": 200,
            "chunks_sent": 0,
            "started": time.time(),
            "ended": None,
        }
        with self.lock:
            entry["id"] = len(self.records)
            self.records.append(entry)
        return entry

    def finish(self, entry: dict, outcome: str, **facts: Any) -> None:
        with self.lock:
            entry.update(facts, outcome=outcome)
            if outcome != "stalled":
                entry["ended"] = time.time()


STATE = State()


class Handler(BaseHTTPRequestHandler):
    """One connection; HTTP/1.1 with keep-alive and chunked streams, as Go's server."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    """Stream chunks leave at once, as from Ollama (no 40 ms delayed-ACK stall)."""

    def log_message(self, format: str, *args: object) -> None:
        pass

    # -- plumbing ---------------------------------------------------------------------

    def _start(self, status: int, content_type: str, length: int | None) -> None:
        self.send_response_only(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Date", self.date_time_string())
        if length is None:
            self.send_header("Transfer-Encoding", "chunked")
        else:
            self.send_header("Content-Length", str(length))
        self.end_headers()

    def _whole(self, status: int, content_type: str, body: bytes) -> None:
        self._start(status, content_type, len(body))
        self.wfile.write(body)
        self.wfile.flush()

    def _chunk(self, data: bytes) -> None:
        try:
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError) as error:
            raise ClientGone from error

    def _client_left(self) -> bool:
        """Whether the peer closed its end (readable with nothing to read)."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _wait(self, seconds: float | None) -> None:
        """Sleep `seconds` (None: until the client leaves or the server closes), watching."""
        deadline = None if seconds is None else time.monotonic() + seconds
        while deadline is None or time.monotonic() < deadline:
            if self._client_left():
                raise ClientGone
            if STATE.closing.is_set():
                return
            left = POLL_S if deadline is None else min(POLL_S, deadline - time.monotonic())
            if left > 0:
                time.sleep(left)
        if self._client_left():
            raise ClientGone

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    # -- methods ------------------------------------------------------------------------

    def do_GET(self) -> None:
        path = self.path.split("?", 1)[0]
        if path.startswith("/_admin/"):
            self._admin_get(path)
            return
        entry = STATE.record("GET", path, self._headers(), b"")
        if path == "/v1/models" and not self._authorised(entry):
            return
        found = _GET_ROUTES.get(path)
        if found is None:
            self._whole(404, "text/plain", b"404 page not found")
            STATE.finish(entry, "error", status=404)
            return
        content_type, build = found
        self._whole(200, content_type, build(STATE.catalog))
        STATE.finish(entry, "completed")

    def do_POST(self) -> None:
        path = self.path.split("?", 1)[0]
        raw = self._read_body()
        if path.startswith("/_admin/"):
            self._admin_post(path, raw)
            return
        entry = STATE.record("POST", path, self._headers(), raw)
        if path not in ROUTES:
            self._whole(404, "text/plain", b"404 page not found")
            STATE.finish(entry, "error", status=404)
            return
        family, route = ROUTES[path]
        if family == "openai" and not self._authorised(entry):
            return
        try:
            self._answer(entry, family, route, raw)
        except ClientGone:
            STATE.finish(entry, "disconnected")
            self.close_connection = True

    def _headers(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def _authorised(self, entry: dict) -> bool:
        if STATE.api_key is None or self.headers.get("Authorization") == f"Bearer {STATE.api_key}":
            return True
        self._whole(401, wire.JSON_TYPE, wire.openai_json({"error": "Unauthorized"}))
        STATE.finish(entry, "error", status=401)
        return False

    # -- answering ----------------------------------------------------------------------

    def _answer(self, entry: dict, family: str, route: Any, raw: bytes) -> None:
        path = entry["path"]
        script = STATE.take(path)
        try:
            body = json.loads(raw) if raw else None
            if not isinstance(body, dict):
                raise Problem(400, "missing request body" if not raw else "invalid JSON body")
            if script.status is not None:
                raise Problem(script.status, script.error or _default_error(script.status, body))
            answer = route(Request(path, body, script, STATE.catalog, time.monotonic()))
        except (ValueError, TypeError) as error:
            answer, problem = None, Problem(400, str(error))
        except Problem as error:
            answer, problem = None, error
        if answer is None:
            self._problem(entry, family, problem, script)
            return
        entry.update(answer.notes)
        self._wait(script.first_token_delay)
        if answer.body is not None:
            self._wait(script.chunk_delay * max(0, len(script.pieces()) - 1))
            self._whole(200, answer.content_type, _bytes(answer.body))
            STATE.finish(entry, "completed")
            return
        self._stream(entry, answer, script)

    def _problem(self, entry: dict, family: str, problem: Problem, script: Script) -> None:
        if script.body is not None:
            body = script.body if isinstance(script.body, str) else json.dumps(script.body)
            data = body.encode("utf-8")
        elif family == "ollama":
            data = wire.ollama_error(problem.message)
        else:
            data = wire.openai_error(problem.message, problem.status)
        self._whole(problem.status, wire.JSON_TYPE, data)
        STATE.finish(entry, "error", status=problem.status, error=problem.message)

    def _stream(self, entry: dict, answer: Answer, script: Script) -> None:
        self._start(200, answer.content_type, None)
        sent = 0
        for frame, is_token in answer.frames:
            if is_token:
                if self._interrupt(entry, answer, script, sent):
                    return
                if sent:
                    self._wait(script.chunk_delay)
                sent += 1
            self._chunk(_bytes(frame))
            entry["chunks_sent"] = sent
        self._chunk(b"")
        STATE.finish(entry, "completed")

    def _interrupt(self, entry: dict, answer: Answer, script: Script, sent: int) -> bool:
        """Carry out a failure due after `sent` token frames; True if it ended the answer."""
        if script.drop_after is not None and sent >= script.drop_after:
            STATE.finish(entry, "dropped")
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return True
        if script.error_after is not None and sent >= script.error_after and answer.error_frame:
            self._chunk(answer.error_frame(script.error or "the model runner stopped"))
            if answer.content_type == wire.SSE_TYPE:
                self._chunk(wire.SSE_DONE)
            self._chunk(b"")
            STATE.finish(entry, "completed", error=script.error)
            return True
        if script.stall_after is not None and sent >= script.stall_after:
            STATE.finish(entry, "stalled")
            self._wait(None)
            self.close_connection = True
            return True
        return False

    # -- admin --------------------------------------------------------------------------

    def _admin_get(self, path: str) -> None:
        if path == "/_admin/requests":
            with STATE.lock:
                data = json.dumps(STATE.records).encode()
            self._whole(200, wire.JSON_TYPE, data)
        else:
            self._whole(404, "text/plain", b"no such admin endpoint")

    def _admin_post(self, path: str, raw: bytes) -> None:
        data = json.loads(raw or b"{}")
        try:
            self._admin_apply(path, data)
        except (KeyError, ValueError, TypeError) as error:
            self._whole(400, "text/plain", str(error).encode())
            return
        self._whole(200, wire.JSON_TYPE, b"{}")

    def _admin_apply(self, path: str, data: dict[str, Any]) -> None:
        if path == "/_admin/reset":
            STATE.reset()
            return
        with STATE.lock:
            if path == "/_admin/script":
                STATE.queues[_scriptable(data["path"])].append(Script.from_json(data["script"]))
            elif path == "/_admin/default":
                scripted = "*" if data["path"] == "*" else _scriptable(data["path"])
                STATE.defaults[scripted] = Script.from_json(data["script"])
            elif path == "/_admin/models":
                STATE.catalog.models = list(data["models"])
            elif path == "/_admin/corpus":
                STATE.catalog.corpus = str(data["text"])
            elif path == "/_admin/api_key":
                STATE.api_key = data["key"]
            else:
                raise KeyError(f"no such admin endpoint {path}")


_GET_ROUTES: dict[str, tuple[str, Any]] = {
    "/": ("text/plain; charset=utf-8", lambda catalog: b"Ollama is running"),
    "/api/version": (wire.JSON_TYPE, lambda catalog: wire.go_json({"version": OLLAMA_VERSION})),
    "/api/tags": (wire.JSON_TYPE, ollama_tags),
    "/v1/models": (wire.JSON_TYPE, openai_models),
    "/health": (wire.JSON_TYPE, lambda catalog: b'{"status":"ok"}'),
}
"""GET endpoints: path -> (content type, body from the catalog)."""


def _scriptable(path: str) -> str:
    if path not in ROUTES:
        raise ValueError(f"{path} cannot be scripted; these can: {', '.join(ROUTES)}")
    return path


def _bytes(frame: Frame) -> bytes:
    return frame if isinstance(frame, bytes) else frame()


def _default_error(status: int, body: dict[str, Any]) -> str:
    name = str(body.get("model") or "")
    if status == 404:
        return f"model '{name}' not found"
    if status == 503:
        return "server busy, please try again.  maximum pending requests exceeded"
    return "an error was encountered while running the model"


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a cancelled completion) is normal for a model server: no
        traceback for it; anything else is printed as the base class does."""
        if not isinstance(sys.exc_info()[1], ConnectionResetError | BrokenPipeError):
            super().handle_error(request, client_address)


def serve(port: int = 0) -> Server:
    """Start serving on 127.0.0.1 in a background thread; the port is `server.server_address[1]`."""
    server = Server(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    return server


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    server = serve(args.port)
    print(f"listening {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sys.stdin.read()
    STATE.closing.set()
    server.shutdown()


if __name__ == "__main__":
    main()
