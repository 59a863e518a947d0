"""`aiide serve` driven from another process, as an editor plugin or a remote UI would."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aiide_tui.bus import connect_subprocess, connect_unix_socket
from aiide_tui.errors import PathPolicyError, StaleFileError, WorkspaceError
from tests.support.projects import committed_example


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the example project, committed in a fresh git repository."""
    return committed_example(tmp_path)


async def exercise(client, root: Path) -> None:
    files = await client.request("workspace/list", {})
    assert "inventory/store.py" in files and ".git/HEAD" not in files
    info = await client.request("workspace/info", {})
    assert info["is_git"] and info["branch"]

    doc = await client.request("workspace/read", {"path": "inventory/models.py"})
    assert "class Item" in doc["text"]
    found = await client.request("workspace/find_text", {"query": "class Item"})
    assert [(m["path"], m["column"]) for m in found["matches"]] == [("inventory/models.py", 0)]
    assert doc["text"].splitlines()[found["matches"][0]["line"] - 1].startswith("class Item")
    with pytest.raises(WorkspaceError, match="regular expression"):
        await client.request("workspace/find_text", {"query": "/class (/"})
    new_text = doc["text"] + "\n# served edit\n"
    await client.request(
        "workspace/write",
        {"path": "inventory/models.py", "text": new_text, "expected_mtime_ns": doc["mtime_ns"]},
    )
    assert (root / "inventory/models.py").read_text().endswith("# served edit\n")

    with pytest.raises(StaleFileError):
        await client.request(
            "workspace/write",
            {"path": "inventory/models.py", "text": "x", "expected_mtime_ns": doc["mtime_ns"]},
        )
    with pytest.raises(PathPolicyError):
        await client.request("workspace/write", {"path": "../escape.txt", "text": "x"})
    assert not (root.parent / "escape.txt").exists()

    diff = await client.request("git/diff", {})
    assert "+# served edit" in diff["diff"]
    status = await client.request("git/status", {})
    assert status["inventory/models.py"] == "modified"

    undone = await client.request("workspace/undo", {})
    assert undone["path"]
    assert "# served edit" not in (root / "inventory/models.py").read_text()


async def test_serve_over_stdio(project: Path):
    client = await connect_subprocess(
        [sys.executable, "-m", "aiide_tui", "serve", "--stdio", "--root", str(project)]
    )
    try:
        await asyncio.wait_for(exercise(client, project), 30)
    finally:
        await client.close()


def _frame(message: dict) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", **message}).encode()
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


def _read_frames(data: bytes) -> list[dict]:
    frames = []
    while data:
        header, data = data.split(b"\r\n\r\n", 1)
        length = int(header.split(b":")[1])
        frames.append(json.loads(data[:length]))
        data = data[length:]
    return frames


def test_a_script_piped_from_a_file_gets_every_answer_even_after_a_bad_frame(
    project: Path, tmp_path: Path
):
    """`aiide serve --stdio < requests > answers`: files, not pipes; the input ends at once,
    and a frame refused for its headers must not swallow the frames after it."""
    requests = tmp_path / "requests.bin"
    requests.write_bytes(
        b"Content-Length: abc\r\n\r\n{}"
        + _frame({"id": 1, "method": "workspace/info", "params": {}})
        + _frame({"id": 2, "method": "workspace/read", "params": {}})
        + _frame({"id": 3, "method": "workspace/read", "params": ["README.md"]})
        + _frame({"id": 4, "method": "workspace/read", "params": {"path": "README.md"}})
        + _frame({"id": 5, "method": "index/search", "params": {"query": "Store", "k": -1}})
        + b"".join(
            _frame({"id": 6 + n, "method": method, "params": params})
            for n, (method, params) in enumerate(WRONG_TYPES)
        )
    )
    answers = tmp_path / "answers.bin"
    with requests.open("rb") as stdin, answers.open("wb") as stdout:
        done = subprocess.run(
            [sys.executable, "-m", "aiide_tui", "serve", "--stdio", "--root", str(project)],
            stdin=stdin, stdout=stdout, stderr=subprocess.PIPE, timeout=60, check=False,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr
    by_id = {body.get("id"): body for body in _read_frames(answers.read_bytes())}
    assert by_id[None]["error"]["code"] == -32700  # the bad frame, answered once
    assert by_id[1]["result"]["is_git"]
    assert by_id[2]["error"]["code"] == -32602 and "'path'" in by_id[2]["error"]["message"]
    assert by_id[3]["error"]["code"] == -32602
    assert "inventory" in by_id[4]["result"]["text"]
    assert by_id[5]["error"]["code"] == -32602 and "'k' must be" in by_id[5]["error"]["message"]
    for n, (method, params) in enumerate(WRONG_TYPES):
        error = by_id[6 + n]["error"]
        assert error["code"] == -32602, (method, params, error)
    assert "'path' must be a string, not int" in by_id[6]["error"]["message"]
    assert b"Traceback" not in done.stderr
    audit = subprocess.run(
        [sys.executable, "-m", "aiide_tui", "audit", "-C", str(project)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert audit.returncode == 0 and "No sandboxed runs" in audit.stderr  # none was recorded


WRONG_TYPES = [
    ("workspace/read", {"path": 123}),
    ("sandbox/run", {"argv": ["echo", 5]}),
    ("sandbox/run", {"argv": "echo hi"}),
    ("sandbox/run", {"argv": ["true"], "timeout": -1}),
    ("sandbox/run", {"argv": ["true"], "timeout": "abc"}),
    ("sandbox/apply", {"run_id": "abc"}),
    ("complete/request", {"path": "a.py", "prefix": 5, "suffix": None}),
    ("chat/send", {"text": None}),
    ("workspace/find_text", {"query": "x", "limit": "abc"}),
]
"""Requests whose params have the wrong type: each is the caller's error, and none may reach
the audit log or a model."""


def test_serve_on_a_socket_it_cannot_create_says_why_in_one_line(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-m", "aiide_tui", "serve", "--socket", str(tmp_path / "no/dir/s.sock"),
         "--root", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert done.returncode == 1
    assert "cannot listen on" in done.stderr and "Traceback" not in done.stderr
    assert "listening" not in done.stderr


async def test_serve_over_unix_socket_streams_changes(project: Path, tmp_path: Path):
    socket_path = tmp_path / "aiide.sock"
    server = subprocess.Popen(
        [sys.executable, "-m", "aiide_tui", "serve", "--socket", str(socket_path)],
        cwd=project,
        env=os.environ.copy(),
    )
    try:
        for _ in range(100):
            if socket_path.exists():
                break
            await asyncio.sleep(0.1)
        client = await connect_unix_socket(socket_path)
        try:
            await asyncio.wait_for(exercise(client, project), 30)
            changes: asyncio.Queue = asyncio.Queue()
            client.on_notification("workspace/changed", changes.put_nowait)
            watch = asyncio.create_task(client.request("workspace/watch", {}))
            await asyncio.sleep(0.5)
            (project / "notes.md").write_text("new file\n")
            seen: list = []
            while ["added", "notes.md"] not in seen:
                seen += (await asyncio.wait_for(changes.get(), 10))["changes"]
            watch.cancel()
        finally:
            await client.close()
    finally:
        server.terminate()
        server.wait(10)
    assert not socket_path.exists()


def test_serve_exits_when_its_input_ends_even_with_watches_open(project: Path):
    """An editor that closes its pipes on exit must not leave the server running: the
    watches it opened can no longer be cancelled, so the end of input stops them."""
    server = subprocess.Popen(
        [sys.executable, "-m", "aiide_tui", "serve", "--stdio", "--root", str(project)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        requests = (
            _frame({"id": 1, "method": "workspace/watch", "params": {}})
            + _frame({"id": 2, "method": "index/watch", "params": {}})
            + _frame({"id": 3, "method": "workspace/info", "params": {}})
        )
        out, err = server.communicate(requests, timeout=30)  # then stdin closes
    finally:
        server.kill()
    assert server.returncode == 0, err
    answers = _read_frames(out)
    assert any(a.get("id") == 3 and a.get("result", {}).get("is_git") for a in answers)
    assert b"Traceback" not in err


async def test_a_socket_client_that_half_closes_still_gets_its_answers(project: Path, tmp_path):
    socket_path = tmp_path / "s.sock"
    server = subprocess.Popen(
        [sys.executable, "-m", "aiide_tui", "serve", "--socket", str(socket_path),
         "--root", str(project)],
        stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        for _ in range(300):
            if socket_path.exists():
                break
            await asyncio.sleep(0.05)
        reader, writer = await asyncio.open_unix_connection(socket_path)
        writer.write(
            _frame({"id": 1, "method": "workspace/watch", "params": {}})
            + _frame({"id": 2, "method": "workspace/info", "params": {}})
            + _frame({"id": 1, "method": "workspace/info", "params": {}})  # id 1 still runs
        )
        writer.write_eof()
        answers = _read_frames(await asyncio.wait_for(reader.read(), 30))
        writer.close()
    finally:
        server.terminate()
        server.wait(10)
    by_id = {}
    for answer in answers:
        by_id.setdefault(answer["id"], []).append(answer)
    assert by_id[2][0]["result"]["is_git"]
    assert by_id[1][0]["error"]["code"] == -32600 and "in use" in by_id[1][0]["error"]["message"]
