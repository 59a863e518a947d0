"""The test model server from the test's side: start it, script it, read what it saw.

    def test_something(model_server):
        model_server.script("/api/generate", text="return a + b", chunk_delay=0.01)
        ... point the code under test at model_server.url (Ollama)
            or model_server.openai_url (OpenAI-compatible, ends in /v1) ...
        sent = model_server.requests_to("/api/generate")[0]
        assert sent.body["options"]["num_ctx"] == 4096

The server is a real process on 127.0.0.1 (one per test session, reset
before each test) speaking Ollama's and the OpenAI wire formats; see
`model_server_app` for the endpoints and `Script` for what can be scripted.
Use the fixtures by importing them into a conftest.py:

    from tests.support.model_server import model_server, model_server_process  # noqa: F401
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.support.model_server_script import DEFAULT_MODELS, Script, model

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 10.0
FINISHED = frozenset({"completed", "error", "dropped", "disconnected"})

__all__ = ["DEFAULT_MODELS", "ModelServer", "RecordedRequest", "Script", "model"]


@dataclass(frozen=True)
class RecordedRequest:
    """One request the server received, and what became of it.

    `outcome`: `in-progress`, `completed`, `error` (an HTTP error was
    answered), `dropped` (the server cut it, as scripted), `stalled` (the
    server holds it, as scripted) or `disconnected` (the client closed the
    connection before the answer was complete: a cancelled request).
    """

    id: int
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    raw: str
    outcome: str
    status: int
    chunks_sent: int
    started: float
    ended: float | None
    prompt_tokens: int | None = None
    truncated: bool | None = None
    num_ctx: int | None = None
    error: str | None = None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordedRequest:
        names = {item.name for item in dataclasses.fields(cls)}
        return cls(**{key: value for key, value in data.items() if key in names})


class ModelServer:
    """A running test model server process and the controls a test uses."""

    def __init__(self, process: subprocess.Popen[str], port: int) -> None:
        self.process = process
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        """Base URL for Ollama clients (what OLLAMA_HOST would name)."""
        self.openai_url = f"{self.url}/v1"
        """Base URL for OpenAI-compatible clients."""
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    @classmethod
    def start(cls) -> ModelServer:
        """Start the server process and wait until it listens."""
        process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.model_server_app"],
            cwd=REPO_ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.startswith("listening "):
            process.kill()
            raise RuntimeError(f"the test model server did not start: {line!r}")
        return cls(process, int(line.split()[1]))

    def close(self) -> None:
        """Stop the process (closing its stdin tells it to exit)."""
        if self.process.stdin:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    # -- scripting ------------------------------------------------------------------------

    def script(self, path: str, text: str = "", **fields: Any) -> None:
        """Queue the answer to the next request on `path` (see `Script` for the fields)."""
        self._post("/_admin/script", {"path": path, "script": Script(text, **fields).to_json()})

    def default(self, path: str, text: str = "", **fields: Any) -> None:
        """The answer when nothing is queued for `path` ("*": every endpoint)."""
        self._post("/_admin/default", {"path": path, "script": Script(text, **fields).to_json()})

    def set_models(self, models: list[dict[str, Any]]) -> None:
        """Replace the models the server has (build them with `model(...)`)."""
        self._post("/_admin/models", {"models": models})

    def set_corpus(self, text: str) -> None:
        """Unscripted completions continue the prompt's last line as this text does."""
        self._post("/_admin/corpus", {"text": text})

    def require_api_key(self, key: str | None) -> None:
        """OpenAI endpoints answer 401 without `Authorization: Bearer KEY`."""
        self._post("/_admin/api_key", {"key": key})

    def reset(self) -> None:
        """Forget scripts, records, models and keys set by earlier tests."""
        self._post("/_admin/reset", {})

    def config_toml(self, provider: str = "ollama") -> str:
        """A config file that points every role at this server (as `.aiide.toml` or the user's).

        `provider="openai"` makes every role an OpenAI-compatible one at `openai_url`.
        """
        if provider == "ollama":
            return f'[models]\nollama_host = "{self.url}"\n'
        return "".join(
            f'[models.{role}]\nprovider = "openai"\nbase_url = "{self.openai_url}"\n\n'
            for role in ("fim", "chat", "reasoning", "embed")
        )

    # -- what it saw -----------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request so far (admin calls excluded), oldest first."""
        with self._opener.open(f"{self.url}/_admin/requests", timeout=5) as response:
            return [RecordedRequest.from_json(item) for item in json.loads(response.read())]

    def requests_to(self, path: str) -> list[RecordedRequest]:
        return [request for request in self.requests if request.path == path]

    def wait_for(
        self, predicate: Callable[[list[RecordedRequest]], bool], timeout: float = 5.0
    ) -> list[RecordedRequest]:
        """Poll the records until `predicate` holds (AssertionError after `timeout`)."""
        deadline = time.monotonic() + timeout
        while True:
            records = self.requests
            if predicate(records):
                return records
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting; the server saw {records}")
            time.sleep(0.01)

    async def settled(self, path: str, timeout: float = 5.0) -> RecordedRequest:
        """The last request to `path`, once finished (completed, dropped, disconnected...)."""
        deadline = time.monotonic() + timeout
        while True:
            found = self.requests_to(path)
            if found and found[-1].outcome in FINISHED:
                return found[-1]
            if time.monotonic() > deadline:
                raise AssertionError(f"{path} did not finish in {timeout} s: {found}")
            await asyncio.sleep(0.01)

    def _post(self, path: str, data: dict[str, Any]) -> None:
        request = urllib.request.Request(
            f"{self.url}{path}",
            data=json.dumps(data).encode(),
            headers={"Content-Type": "application/json"},
        )
        try:
            with self._opener.open(request, timeout=5) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise ValueError(error.read().decode("utf-8", "replace")) from None


@pytest.fixture(scope="session")
def model_server_process() -> Iterator[ModelServer]:
    """One server process for the whole session."""
    server = ModelServer.start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def model_server(model_server_process: ModelServer) -> ModelServer:
    """The session's server, reset to a clean state for this test."""
    model_server_process.reset()
    return model_server_process
