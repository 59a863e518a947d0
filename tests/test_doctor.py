"""The doctor against real things: an HTTP server speaking Ollama's API on loopback,
real git repositories, real processes on a PATH we control, real folders."""

from __future__ import annotations

import io
import json
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from aiide_tui.config import Config, ModelsConfig, load_config
from aiide_tui.doctor import (
    Check,
    check_config,
    check_data_dir,
    check_docker,
    check_model_server,
    check_terminal,
    essentials_ok,
    run_checks,
)

TAGS = {
    "models": [
        {
            "name": "qwen2.5-coder:1.5b",
            "model": "qwen2.5-coder:1.5b",
            "modified_at": "2025-05-01T10:00:00Z",
            "size": 986061892,
            "digest": "6d3abb8d2d53",
            "details": {"family": "qwen2", "parameter_size": "1.5B"},
        },
        {"name": "nomic-embed-text:latest", "model": "nomic-embed-text:latest", "size": 274302450},
    ]
}


class OllamaLike(BaseHTTPRequestHandler):
    """Answers /api/version and /api/tags the way Ollama does; `routes` is set per server."""

    routes: dict[str, object] = {}

    def do_GET(self) -> None:
        if self.path not in self.routes:
            self.send_error(404)
            return
        body = json.dumps(self.routes[self.path]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


def serve(routes: dict[str, object]) -> Iterator[str]:
    handler = type("Handler", (OllamaLike,), {"routes": routes})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def ollama() -> Iterator[str]:
    yield from serve({"/api/version": {"version": "0.12.0"}, "/api/tags": TAGS})


def config_for(host: str, chat_model: str = "") -> Config:
    return replace(Config(), models=ModelsConfig(ollama_host=host, chat_model=chat_model))


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# -- model server -----------------------------------------------------------------------


async def test_model_server_lists_the_pulled_models(ollama):
    check = await check_model_server(config_for(ollama))
    assert check.status == "ok"
    assert "Ollama 0.12.0" in check.detail
    assert "qwen2.5-coder:1.5b" in check.detail
    assert "nomic-embed-text:latest" in check.detail
    assert check.summary == "qwen2.5-coder:1.5b"
    assert not check.essential


async def test_a_configured_chat_model_that_is_not_pulled_is_a_warning(ollama):
    check = await check_model_server(config_for(ollama, chat_model="llama3.1:8b"))
    assert check.status == "warn"
    assert "ollama pull llama3.1:8b" in check.detail

    found = await check_model_server(config_for(ollama, chat_model="nomic-embed-text"))
    assert (found.status, found.summary) == ("ok", "nomic-embed-text")


async def test_a_server_with_no_models_says_what_to_pull():
    for host in serve({"/api/version": {"version": "0.12.0"}, "/api/tags": {"models": []}}):
        check = await check_model_server(config_for(host))
    assert check.status == "warn"
    assert "ollama pull qwen2.5-coder:1.5b" in check.detail


async def test_a_dead_port_is_a_warning_with_the_fix():
    host = f"http://127.0.0.1:{dead_port()}"
    started = time.monotonic()
    check = await check_model_server(config_for(host))
    assert time.monotonic() - started < 10
    assert check.status == "warn"
    assert not check.essential
    assert check.summary == "offline"
    assert f"not reachable at {host}" in check.detail
    assert "start `ollama serve` or set [models] ollama_host" in check.detail


async def test_a_server_that_is_not_ollama_is_a_warning():
    for host in serve({"/v1/models": {"data": []}}):
        check = await check_model_server(config_for(host))
    assert check.status == "warn"
    assert "HTTP 404" in check.detail


async def test_a_silent_server_times_out():
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        host = f"http://127.0.0.1:{listener.getsockname()[1]}"
        started = time.monotonic()
        check = await check_model_server(config_for(host))
    assert time.monotonic() - started < 10
    assert check.status == "warn"
    assert "timed out" in check.detail


# -- Docker, through whatever `docker` the PATH holds -----------------------------------


def fake_docker(folder: Path, script: str) -> None:
    folder.mkdir(exist_ok=True)
    path = folder / "docker"
    path.write_text(f"#!/bin/sh\n{script}\n")
    path.chmod(0o755)


async def test_docker_engine_version(tmp_path, monkeypatch):
    fake_docker(
        tmp_path / "bin", 'test "$1 $2 $3" = "version --format {{.Server.Version}}" && echo 27.5.1'
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    check = await check_docker()
    assert (check.status, check.summary) == ("ok", "docker 27.5.1")
    assert check.detail == "engine 27.5.1 (local socket)"


async def test_docker_engine_not_running(tmp_path, monkeypatch):
    fake_docker(
        tmp_path / "bin",
        'echo "Cannot connect to the Docker daemon at unix:///var/run/docker.sock." >&2; exit 1',
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    check = await check_docker()
    assert check.status == "warn"
    assert "Cannot connect to the Docker daemon" in check.detail
    assert "start dockerd or set DOCKER_HOST" in check.detail


async def test_a_hung_docker_engine_is_cut_off(tmp_path, monkeypatch):
    fake_docker(tmp_path / "bin", f"exec {shutil.which('sleep')} 30")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    started = time.monotonic()
    check = await check_docker(timeout=0.5)
    assert time.monotonic() - started < 10
    assert check.status == "warn"
    assert "did not answer within 0.5 s" in check.detail


async def test_no_docker_cli(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    check = await check_docker()
    assert (check.status, check.summary) == ("warn", "no docker")


# -- terminal -----------------------------------------------------------------------------


def test_terminal_capabilities_from_the_environment():
    check = check_terminal(
        {"TERM": "xterm-256color", "COLORTERM": "truecolor", "SSH_CONNECTION": "1 2 3 4"},
        io.StringIO(),
    )
    assert check.status == "ok"
    assert check.detail == (
        "TERM=xterm-256color, true colour, over SSH, not a tty (output is redirected)"
    )

    in_tmux = check_terminal(
        {"TERM": "tmux-256color", "TMUX": "/tmp/tmux-0/default"}, io.StringIO()
    )
    assert "256 colours, in tmux" in in_tmux.detail
    assert "terminal-features ',*:RGB'" in in_tmux.detail

    dumb = check_terminal({"TERM": "dumb"}, io.StringIO())
    assert dumb.status == "warn"
    assert "set TERM" in dumb.detail


# -- data directory, config, and everything together --------------------------------------


def test_data_dir_is_essential_and_fails_when_unwritable(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("AIIDE_DATA_DIR", str(blocker))
    check = check_data_dir(tmp_path)
    assert (check.status, check.essential) == ("fail", True)
    assert "AIIDE_DATA_DIR" in check.detail
    assert not essentials_ok([check])


def test_config_warnings_show_up(tmp_path):
    (tmp_path / ".aiide.toml").write_text("[ui]\nthem = 1\n")
    config = load_config(tmp_path)
    check = check_config(config)
    assert check.status == "warn"
    assert f"{tmp_path / '.aiide.toml'}:2: unknown setting ui.them" in check.detail


def test_essentials_ignore_warnings():
    checks = [Check("a", "warn", "x", essential=True), Check("b", "fail", "y", essential=False)]
    assert essentials_ok(checks)
    assert not essentials_ok([*checks, Check("c", "fail", "z", essential=True)])


async def test_run_checks_in_a_git_repository(tmp_path, ollama):
    subprocess.run(["git", "init", "-q", "-b", "trunk", str(tmp_path)], check=True)
    config = replace(load_config(tmp_path), models=ModelsConfig(ollama_host=ollama))
    checks = {check.name: check for check in await run_checks(tmp_path, config)}
    assert list(checks) == [
        "Python",
        "git",
        "repository",
        "terminal",
        "model server",
        "model roles",
        "Docker",
        "language servers",
        "data directory",
        "code index",
        "config",
    ]
    assert checks["Python"].status == "ok" and checks["Python"].essential
    assert checks["git"].status == "ok"
    assert checks["repository"].detail.endswith("branch trunk")
    assert "qwen2.5-coder:1.5b" in checks["model server"].detail
    assert checks["data directory"].status == "ok"
    assert essentials_ok(list(checks.values()))


async def test_run_checks_outside_git_and_with_no_data_dir(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("AIIDE_DATA_DIR", str(blocker / "data"))
    project = tmp_path / "plain"
    project.mkdir()
    checks = await run_checks(project, config_for(f"http://127.0.0.1:{dead_port()}"))
    by_name = {check.name: check for check in checks}
    assert by_name["repository"].status == "warn"
    assert "git init" in by_name["repository"].detail
    assert by_name["data directory"].status == "fail"
    assert not essentials_ok(checks)


async def test_no_ollama_warning_when_no_role_uses_it(tmp_path):
    tables = "".join(
        f'[models.{role}]\nprovider = "openai"\nbase_url = "http://127.0.0.1:9/v1"\nmodel = "m"\n'
        for role in ("fim", "chat", "reasoning", "embed")
    )
    (tmp_path / ".aiide.toml").write_text(tables)
    check = await check_model_server(load_config(tmp_path, env={}))
    assert check.status == "ok" and "no role uses Ollama" in check.detail


def test_roles_with_the_same_trouble_share_one_explanation():
    from aiide_tui.doctor import roles_check
    from aiide_tui.llm.health import RoleStatus

    down = "cannot reach the ollama server at http://h:9: start it with `ollama serve`"
    statuses = [
        RoleStatus(role, model, False, f"{role}: {model} (ollama at http://h:9): {down}", down)
        for role, model in (("fim", "a"), ("chat", "b"), ("embed", "c"))
    ]
    statuses.append(RoleStatus("reasoning", "d", True, "reasoning: d (openai at x): ok", "ok"))
    check = roles_check(statuses)
    assert check.status == "warn" and check.detail.count(down) == 1
    assert check.detail == (
        "fim: a (ollama at http://h:9), chat: b (ollama at http://h:9),"
        f" embed: c (ollama at http://h:9): {down}; reasoning: d (openai at x): ok"
    )
