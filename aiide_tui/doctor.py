"""`aiide doctor`: what works on this machine, what does not, and how to fix it.

Domain checks only, no rendering: the CLI prints them as a table and the
status bar shows the model and sandbox ones. Every check has a time limit,
so a hung Docker socket or a black-holed model host cannot stall startup.
Only the essentials (Python, a writable data directory) fail the doctor;
everything else degrades to a warning with the fix in its detail.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import json
import os
import platform
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TextIO
from urllib.parse import urlsplit

from aiide_tui.config import LOOPBACK_HOSTS, Config
from aiide_tui.errors import AiideError
from aiide_tui.state import project_state_dir

if TYPE_CHECKING:
    from aiide_tui.llm.health import RoleStatus

Status = Literal["ok", "warn", "fail"]

MIN_PYTHON = (3, 11)
HTTP_TIMEOUT_S = 1.5
DOCKER_TIMEOUT_S = 3.0
GIT_TIMEOUT_S = 3.0
SUGGESTED_MODEL = "qwen2.5-coder:1.5b"
LANGUAGE_SERVERS = {
    "pylsp": "Python",
    "pyright-langserver": "Python",
    "typescript-language-server": "TypeScript/JavaScript",
    "gopls": "Go",
    "clangd": "C/C++",
    "rust-analyzer": "Rust",
}


@dataclass(frozen=True)
class Check:
    """One finding: `detail` says what was found and, when not ok, what to do."""

    name: str
    status: Status
    detail: str
    essential: bool = False
    summary: str = ""
    """A few words for the status bar (e.g. the model's name, or "offline")."""


def essentials_ok(checks: list[Check]) -> bool:
    """Whether aiide can run: no essential check failed."""
    return not any(check.essential and check.status == "fail" for check in checks)


async def run_checks(root: Path, config: Config, config_error: str | None = None) -> list[Check]:
    """Every check, run concurrently, in a stable order for display."""
    git, repository, model, roles, docker, data, index = await asyncio.gather(
        check_git(),
        check_repository(root),
        check_model_server(config),
        check_model_roles(config),
        check_docker(),
        asyncio.to_thread(check_data_dir, root),
        asyncio.to_thread(check_index, root, config),
    )
    return [
        check_python(),
        git,
        repository,
        check_terminal(os.environ, sys.stdout),
        model,
        roles,
        docker,
        check_language_servers(),
        data,
        index,
        check_config(config, config_error),
    ]


# -- processes ----------------------------------------------------------------------


async def _run(argv: list[str], timeout: float) -> tuple[int, str, str] | None:
    """(exit status, stdout, stderr) of a command, or None if it is missing or too slow."""
    try:
        process = await asyncio.create_subprocess_exec(
            *argv,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError:
        return None
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        await process.wait()
        return None
    assert process.returncode is not None
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def _first_line(text: str) -> str:
    return next((line.strip() for line in text.splitlines() if line.strip()), "")


# -- the checks -----------------------------------------------------------------------


def check_python() -> Check:
    version = platform.python_version()
    if sys.version_info >= MIN_PYTHON:
        return Check("Python", "ok", f"{version} ({sys.executable})", essential=True)
    wanted = ".".join(map(str, MIN_PYTHON))
    return Check("Python", "fail", f"{version}: aiide needs Python {wanted} or newer", True)


async def check_git() -> Check:
    if shutil.which("git") is None:
        return Check("git", "warn", "not found on PATH: file status and the review pane need git")
    result = await _run(["git", "--version"], GIT_TIMEOUT_S)
    if result is None or result[0] != 0:
        return Check("git", "warn", "found but `git --version` did not answer")
    return Check("git", "ok", _first_line(result[1]).removeprefix("git version ").strip())


async def check_repository(root: Path) -> Check:
    """Whether the project is a git repository, and on which branch."""
    if shutil.which("git") is None:
        return Check("repository", "warn", "cannot tell without git")
    top = await _run(["git", "-C", str(root), "rev-parse", "--show-toplevel"], GIT_TIMEOUT_S)
    if top is None or top[0] != 0:
        return Check(
            "repository",
            "warn",
            f"{root} is not in a git repository: run `git init` to review changes",
        )
    branch = await _run(
        ["git", "-C", str(root), "symbolic-ref", "--short", "-q", "HEAD"], GIT_TIMEOUT_S
    )
    if branch is not None and branch[0] == 0:
        where = f"branch {branch[1].strip()}"
    else:
        commit = await _run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], GIT_TIMEOUT_S)
        where = f"detached at {commit[1].strip()}" if commit and commit[0] == 0 else "detached HEAD"
    return Check("repository", "ok", f"{top[1].strip()}, {where}", summary=where)


def check_terminal(env: Mapping[str, str], stream: TextIO) -> Check:
    """TERM, colours, tmux, SSH, and the size of the tty (if there is one)."""
    term = env.get("TERM", "")
    colorterm = env.get("COLORTERM", "").lower()
    if colorterm in ("truecolor", "24bit"):
        colours = "true colour"
    elif "256color" in term:
        colours = "256 colours"
    else:
        colours = "16 colours or fewer"
    facts = [f"TERM={term or 'unset'}", colours]
    if env.get("TMUX"):
        facts.append("in tmux")
    if env.get("SSH_CONNECTION") or env.get("SSH_TTY"):
        facts.append("over SSH")
    facts.append(_tty_size(stream))
    if not term or term == "dumb":
        facts.append("set TERM (e.g. xterm-256color) for colours and keys to work")
        return Check("terminal", "warn", ", ".join(facts))
    if env.get("TMUX") and colours != "true colour":
        facts.append("for true colour in tmux: set -as terminal-features ',*:RGB'")
    return Check("terminal", "ok", ", ".join(facts), summary=colours)


def _tty_size(stream: TextIO) -> str:
    try:
        if stream.isatty():
            size = os.get_terminal_size(stream.fileno())
            return f"tty {size.columns}x{size.lines}"
    except (OSError, ValueError):
        pass
    return "not a tty (output is redirected)"


async def check_model_server(config: Config) -> Check:
    """Ask Ollama for its version and pulled models; warn with the fix when it is not there."""
    host = config.models.ollama_host
    if not _uses_ollama(config):
        return Check("model server", "ok", "no role uses Ollama", summary="no Ollama needed")
    try:
        version, tags = await asyncio.to_thread(_ask_ollama, host)
    except (OSError, ValueError) as error:
        reason = getattr(error, "reason", None) or error
        return Check(
            "model server",
            "warn",
            f"not reachable at {host} ({reason}): start `ollama serve` or set [models] ollama_host",
            summary="offline",
        )
    names = [
        str(model.get("name", "?")) for model in tags.get("models", []) if isinstance(model, dict)
    ]
    server = f"Ollama {version.get('version', '?')} at {host}"
    if not names:
        return Check(
            "model server",
            "warn",
            f"{server}, but no models are pulled: run `ollama pull {SUGGESTED_MODEL}`",
            summary="no models",
        )
    wanted = config.models.chat_model
    if wanted and wanted not in names and f"{wanted}:latest" not in names:
        return Check(
            "model server",
            "warn",
            f"{server}: chat_model {wanted!r} is not pulled (run `ollama pull {wanted}`); "
            f"pulled: {', '.join(names)}",
            summary=f"{wanted} missing",
        )
    return Check("model server", "ok", f"{server}: {', '.join(names)}", summary=wanted or names[0])


async def check_model_roles(config: Config) -> Check:
    """Which model (and draft model) serves each role, and whether its server has it."""
    from aiide_tui.llm.health import role_statuses

    return roles_check(await role_statuses(config))


def roles_check(statuses: list[RoleStatus]) -> Check:
    from aiide_tui.llm.health import summary

    status: Status = "ok" if all(item.ok for item in statuses) else "warn"
    return Check("model roles", status, _roles_detail(statuses), summary=summary(statuses))


def _roles_detail(statuses: list[RoleStatus]) -> str:
    """One line per role, except that roles with the same trouble (one server down for
    all four) share its explanation, said once after them."""
    troubles: dict[str, list[str]] = {}
    for item in statuses:
        if not item.ok and item.state and item.line.endswith(f": {item.state}"):
            troubles.setdefault(item.state, []).append(item.line[: -len(item.state) - 2])
    parts: list[str] = []
    said: set[str] = set()
    for item in statuses:
        shared = troubles.get(item.state, []) if not item.ok else []
        if len(shared) < 2:
            parts.append(item.line)
        elif item.state not in said:  # the first of the group says it for all
            said.add(item.state)
            parts.append(f"{', '.join(shared)}: {item.state}")
    return "; ".join(parts)


def chat_check(statuses: list[RoleStatus]) -> Check:
    """Whether the chat role's model answers, whatever serves the other roles."""
    chat = next((item for item in statuses if item.role == "chat"), None)
    if chat is None:
        problem = next((item.line for item in statuses if item.role == "config"), "")
        return Check("chat model", "warn", problem or "no chat model is configured")
    return Check("chat model", "ok" if chat.ok else "warn", chat.line, summary=chat.model)


def _uses_ollama(config: Config) -> bool:
    """Whether any role is served by Ollama (a bad role table counts as yes: its check says why)."""
    from aiide_tui.llm.roles import resolve_roles

    try:
        roles = resolve_roles(config)
    except AiideError:
        return True
    return any(role.provider == "ollama" for role in roles.values())


def _ask_ollama(host: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """GET /api/version and /api/tags (blocking; run in a thread)."""
    return _get_json(f"{host}/api/version"), _get_json(f"{host}/api/tags")


def _get_json(url: str) -> dict[str, Any]:
    """A JSON object from `url`; proxies from the environment apply except on loopback."""
    handlers = []
    if (urlsplit(url).hostname or "") in LOOPBACK_HOSTS:
        handlers.append(urllib.request.ProxyHandler({}))
    opener = urllib.request.build_opener(*handlers)
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with opener.open(request, timeout=HTTP_TIMEOUT_S) as response:
            body = json.loads(response.read(1_000_000))
    except urllib.error.HTTPError as error:
        raise ValueError(f"HTTP {error.code} from {url}: is this an Ollama server?") from error
    except (json.JSONDecodeError, http.client.HTTPException) as error:
        raise ValueError(f"{url} did not answer JSON: is this an Ollama server?") from error
    if not isinstance(body, dict):
        raise ValueError(f"{url} answered {type(body).__name__}, not an object")
    return body


async def check_docker(timeout: float = DOCKER_TIMEOUT_S) -> Check:
    """Whether a Docker engine answers (the sandbox runs generated code there)."""
    if shutil.which("docker") is None:
        return Check(
            "Docker",
            "warn",
            "docker CLI not found: install Docker to run generated code in the sandbox",
            summary="no docker",
        )
    result = await _run(["docker", "version", "--format", "{{.Server.Version}}"], timeout)
    if result is None:
        return Check(
            "Docker",
            "warn",
            f"the engine did not answer within {timeout:g} s: check dockerd or DOCKER_HOST",
            summary="no engine",
        )
    status, out, err = result
    if status != 0 or not out.strip():
        reason = _first_line(err) or f"`docker version` exited with status {status}"
        return Check(
            "Docker",
            "warn",
            f"engine not available ({reason}): start dockerd or set DOCKER_HOST",
            summary="no engine",
        )
    where = os.environ.get("DOCKER_HOST", "local socket")
    return Check("Docker", "ok", f"engine {out.strip()} ({where})", summary=f"docker {out.strip()}")


def check_language_servers() -> Check:
    found = [
        f"{name} ({language})" for name, language in LANGUAGE_SERVERS.items() if shutil.which(name)
    ]
    if found:
        return Check("language servers", "ok", ", ".join(found))
    return Check(
        "language servers",
        "warn",
        "none on PATH: e.g. `pip install python-lsp-server` for Python, gopls for Go",
    )


def check_data_dir(root: Path) -> Check:
    """The project's state folder can be created and written (blocking; run in a thread)."""
    try:
        folder = project_state_dir(root)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".doctor-"):
            pass
    except AiideError as error:
        return Check("data directory", "fail", error.message, essential=True)
    except OSError as error:
        return Check(
            "data directory",
            "fail",
            f"cannot write in {folder}: {error.strerror}; set AIIDE_DATA_DIR to a writable folder",
            essential=True,
        )
    return Check("data directory", "ok", str(folder), essential=True)


def check_index(root: Path, config: Config) -> Check:
    """The code index's size, and whether an embedder answers (blocking; run in a thread)."""
    from aiide_tui.index.health import index_summary, vectors_summary

    try:
        stored = index_summary(project_state_dir(root))
    except AiideError as error:
        return Check("code index", "fail", error.message)
    ok, vectors = vectors_summary(config)
    summary = "index" if ok else "index: no vectors"
    return Check("code index", "ok" if ok else "warn", f"{stored}; {vectors}", summary=summary)


def check_config(config: Config, error: str | None = None) -> Check:
    """The config files read and the environment variables in force; `error` when the config
    could not be loaded (the other checks then ran on the defaults)."""
    if error is not None:
        return Check("config", "fail", f"{error} (the checks above used the defaults)")
    files = ", ".join(str(path) for path in config.files) or "no config files, defaults only"
    variables = sorted({where.removeprefix("environment ") for where in config.sources.values()
                        if where.startswith("environment ")})  # fmt: skip
    if variables:
        files += f"; from the environment: {', '.join(variables)}"
    if config.warnings:
        return Check("config", "warn", "; ".join(config.warnings))
    return Check("config", "ok", files)
