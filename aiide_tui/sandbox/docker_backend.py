"""The Docker backend: one hardened container per run, always removed.

Each run gets a fresh container whose first process only waits (it exits
when aiide goes away) and then sends the work folder back (box.py), a tmpfs
volume of limited size at /work holding the copy of the project, and the
command as an `exec` in it. Containers and volumes carry the `aiide.sandbox`
label and their owner (host, PID and the PID's start time), so a later aiide
removes what a crashed one left behind.
Works with a remote engine (`DOCKER_HOST`, also `ssh://`): nothing is bind-mounted.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from typing import Any

from aiide_tui.sandbox.backend import CANCELLED_EXIT, TIMEOUT_EXIT, Backend, Job, Outcome
from aiide_tui.sandbox.box import Box, first_process
from aiide_tui.sandbox.errors import ImageMissingError, NoEngineError
from aiide_tui.sandbox.output import OutputCapture
from aiide_tui.sandbox.policy import (
    WORK_DIR,
    SandboxPolicy,
    docker_host_config,
    work_volume_options,
)

LABEL = "aiide.sandbox"
OWNER_LABEL = "aiide.owner"
SESSION_LABEL = "aiide.session"
CONNECT_TIMEOUT_S = 5
HOLD_MARGIN_S = 60
"""The waiting first process outlives the run's time limit by this much, then exits."""

NO_ENGINE_HELP = (
    "Start dockerd (on Debian/Ubuntu `scripts/ci-docker.sh` installs and starts it) or set "
    'DOCKER_HOST; or set [sandbox] engine = "bwrap" for a weaker sandbox. aiide never runs '
    "generated code on the host."
)


def owner_id(pid: int | None = None) -> str:
    """`host:pid:start` for this process, so orphans are told from live sessions."""
    import psutil

    pid = os.getpid() if pid is None else pid
    started = int(psutil.Process(pid).create_time())
    return f"{socket.gethostname()}:{pid}:{started}"


def owner_alive(owner: str) -> bool:
    """Whether the process named by an owner label still runs (other hosts count as alive)."""
    import psutil

    host, _, rest = owner.partition(":")
    pid_text, _, started = rest.partition(":")
    if host != socket.gethostname():
        return True
    try:
        return int(psutil.Process(int(pid_text)).create_time()) == int(started)
    except (ValueError, psutil.Error):
        return False


def connect(timeout: float = CONNECT_TIMEOUT_S) -> Any:
    """A docker-py client that answered a ping.

    Raises:
        NoEngineError: no engine answers, saying how to get one.
    """
    import docker
    from docker.errors import DockerException

    try:
        client = docker.from_env(timeout=timeout, use_ssh_client=True)  # ssh:// as docker does
        client.ping()
    except (DockerException, OSError) as error:
        where = os.environ.get("DOCKER_HOST", "the local socket")
        message = f"No Docker engine answers at {where} ({error}). {NO_ENGINE_HELP}"
        raise NoEngineError(message) from None
    return client


class DockerBackend(Backend):
    """Runs jobs in containers on one engine; see the module docstring."""

    name = "docker"

    def __init__(self, client: Any | None = None, *, session: str | None = None) -> None:
        self.client = client if client is not None else connect()
        self.session = session or uuid.uuid4().hex[:12]
        self.owner = owner_id()
        self._checked_images: set[str] = set()
        self._removals: list[threading.Thread] = []
        self._removals_lock = threading.Lock()
        self.pool: Any = None
        """A `WarmPool` when one is started (see pool.py)."""

    # -- containers -----------------------------------------------------------

    def check_image(self, image: str) -> None:
        """Raises ImageMissingError, saying how to build it, when `image` is not on the engine."""
        if image in self._checked_images:
            return
        from docker.errors import ImageNotFound

        try:
            self.client.images.get(image)
        except ImageNotFound:
            raise ImageMissingError(
                f"The sandbox image {image} is not on the Docker engine: build it with "
                "`sandbox/build-offline-image.sh` (no registry needed) or `docker build` one of "
                "the Dockerfiles in sandbox/, or set [sandbox] image"
            ) from None
        self._checked_images.add(image)

    def create(self, policy: SandboxPolicy, hold_s: float) -> Box:
        """Start a container for `policy` whose first process waits `hold_s` seconds at most."""
        self.check_image(policy.image)
        labels = {LABEL: "1", OWNER_LABEL: self.owner, SESSION_LABEL: self.session}
        name = f"aiide-sbx-{uuid.uuid4().hex[:12]}"
        volume = self.client.volumes.create(
            name=name, driver="local", driver_opts=work_volume_options(policy), labels=labels
        )
        try:
            container = self.client.containers.create(
                policy.image,
                first_process(hold_s),
                name=name,
                labels=labels,
                detach=False,  # with stdin_open, docker-py sets StdinOnce: stdin closes
                stdin_open=True,  # when the channel does, so the first process exits
                **docker_host_config(policy, volume.name),
            )
            container.start()
            return Box.attach(self.client.api, container)
        except Exception:
            self.destroy(name)
            raise

    def destroy(self, name: str) -> None:
        """Remove a container and its volume, whatever state they are in."""
        from docker.errors import APIError, NotFound

        with contextlib.suppress(NotFound, APIError):
            self.client.api.remove_container(name, force=True)
        for _ in range(20):
            try:
                self.client.api.remove_volume(name, force=True)
                return
            except NotFound:
                return
            except APIError:
                time.sleep(0.05)

    def reap_orphans(self) -> list[str]:
        """Remove containers and volumes of ours whose aiide is gone (or that stopped)."""
        removed: list[str] = []
        for container in self.client.api.containers(all=True, filters={"label": LABEL}):
            labels = container.get("Labels") or {}
            stopped = container.get("State") != "running"
            if stopped or not owner_alive(labels.get(OWNER_LABEL, "")):
                name = container["Names"][0].lstrip("/")
                self.destroy(name)
                removed.append(name)
        volumes = self.client.api.volumes(filters={"label": LABEL}).get("Volumes") or []
        for volume in volumes:
            labels = volume.get("Labels") or {}
            if not owner_alive(labels.get(OWNER_LABEL, "")):
                self.destroy(volume["Name"])
        return removed

    # -- running ------------------------------------------------------------------

    def execute(self, job: Job, capture: OutputCapture) -> Outcome:
        box = self._take(job)
        try:
            exit_code, timed_out = self._exec(box.container, job, capture)
            if timed_out or job.cancelled.is_set():
                return Outcome(exit_code, timed_out, None)
            return Outcome(exit_code, False, box.fetch(job.policy.work_mb << 20))
        finally:
            box.close()
            self._destroy_later(box.name)

    def _destroy_later(self, name: str) -> None:
        """Remove a used container off the caller's path; `close` waits for every removal."""
        thread = threading.Thread(target=self.destroy, args=(name,), name="sandbox-remove")
        with self._removals_lock:
            self._removals = [t for t in self._removals if t.is_alive()] + [thread]
        thread.start()

    def wait_removals(self) -> None:
        """Block until every used container and its volume are gone."""
        with self._removals_lock:
            pending = list(self._removals)
        for thread in pending:
            thread.join()

    def _take(self, job: Job) -> Box:
        """A started container whose work folder holds exactly the job's snapshot."""
        if self.pool is not None:
            box = self.pool.take(job.policy)
            if box is not None:
                try:
                    if box.load(job.snapshot):
                        return box
                except Exception:
                    self._discard(box)
                    raise
                self._discard(box)
        box = self.create(job.policy, job.policy.timeout_s + HOLD_MARGIN_S)
        try:
            box.load(job.snapshot)
        except Exception:
            self._discard(box)
            raise
        return box

    def _discard(self, box: Box) -> None:
        box.close()
        self._destroy_later(box.name)

    def _exec(self, container: Any, job: Job, capture: OutputCapture) -> tuple[int, bool]:
        """Run the command, streaming its output: (exit status, killed at the time limit)."""
        api = self.client.api
        exec_id = api.exec_create(
            container.id, list(job.argv), environment=dict(job.environment), workdir=WORK_DIR
        )["Id"]
        stream = api.exec_start(exec_id, stream=True, demux=True)
        done, expired = threading.Event(), threading.Event()
        watchdog = threading.Thread(
            target=_watch, args=(container, job, done, expired), daemon=True, name="sandbox-timer"
        )
        watchdog.start()
        engine_says = b""  # the engine's own words when the command could not start
        try:
            for number, (out, err) in enumerate(stream):
                if number == 0 and (out or b"").startswith(ENGINE_EXEC_FAILED):
                    engine_says = out
                    continue
                capture.feed("stdout", out or b"")
                capture.feed("stderr", err or b"")
        finally:
            done.set()
        if expired.is_set():
            return TIMEOUT_EXIT, True
        if job.cancelled.is_set():
            return CANCELLED_EXIT, False
        code = _exit_status(api.exec_inspect(exec_id))
        if engine_says and code in (CANNOT_EXECUTE, NOT_FOUND_EXIT):
            found = NOT_FOUND.encode() not in engine_says
            if not found:
                code = NOT_FOUND_EXIT  # what a shell and `docker run` say; `docker exec` 126
            why = "cannot be run" if found else "command not found"
            capture.feed("stderr", f"{job.argv[0] if job.argv else ''}: {why}\n".encode())
        elif engine_says:
            capture.feed("stdout", engine_says)
        return code, False

    def close(self) -> None:
        if self.pool is not None:
            self.pool.close()
        self.wait_removals()
        with contextlib.suppress(Exception):
            self.client.close()


CANNOT_EXECUTE, NOT_FOUND_EXIT = 126, 127
NOT_FOUND = "executable file not found"
"""The engine's words when the command does not exist."""
ENGINE_EXEC_FAILED = b"OCI runtime exec failed"
"""How the engine's message starts when a command could not start (it comes on stdout, as
if the command wrote it): said as a shell would say it, on stderr, instead."""


def _watch(container: Any, job: Job, done: threading.Event, expired: threading.Event) -> None:
    """Kill the container at the time limit or on cancel, whichever comes first."""
    deadline = time.monotonic() + job.policy.timeout_s
    while not done.is_set():
        if job.cancelled.wait(0.05):
            break
        if time.monotonic() >= deadline:
            expired.set()
            break
    else:
        return
    with contextlib.suppress(Exception):
        container.kill()


def _exit_status(info: dict[str, Any]) -> int:
    code = info.get("ExitCode")
    return int(code) if code is not None else -1
