"""The bubblewrap backend: for machines without Docker, and weaker than a container.

Runs share the host's kernel and its /usr, read-only; the project copy sits
in a private host folder bound at /work. There are namespaces for everything
(no network), a non-root uid, no capabilities, rlimits on memory, file size,
processes and CPU time; but no seccomp filter, no cgroup limits, and the size
of the work folder is bounded only per file. The UI labels these runs weaker.
"""

from __future__ import annotations

import contextlib
import os
import resource
import selectors
import shutil
import signal
import stat
import subprocess
import tempfile
import time
from pathlib import Path

from aiide_tui.sandbox.backend import CANCELLED_EXIT, TIMEOUT_EXIT, Backend, Job, Outcome
from aiide_tui.sandbox.errors import NoEngineError
from aiide_tui.sandbox.output import OutputCapture
from aiide_tui.sandbox.policy import SANDBOX_UID, WORK_DIR
from aiide_tui.sandbox.workcopy import SYMLINK_PREFIX, Snapshot

SYSTEM_DIRS = ("/usr", "/etc/alternatives", "/etc/ssl/certs")
MERGED_LINKS = {"/bin": "usr/bin", "/lib": "usr/lib", "/lib64": "usr/lib64", "/sbin": "usr/sbin"}


class BwrapBackend(Backend):
    """Runs jobs under `bwrap --unshare-all`; see the module docstring."""

    name = "bwrap"
    WEAKER = True

    def __init__(self) -> None:
        path = shutil.which("bwrap")
        if path is None:
            raise NoEngineError(
                "bubblewrap is not installed (apt-get install bubblewrap); with neither it nor "
                "Docker, aiide refuses to run generated code rather than run it on the host"
            )
        self.bwrap = path

    def execute(self, job: Job, capture: OutputCapture) -> Outcome:
        work = Path(tempfile.mkdtemp(prefix="aiide-bwrap-"))
        try:
            _write_copy(job.snapshot, work)
            process = subprocess.Popen(
                self.command(job, work),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
                env={},
                preexec_fn=lambda: _limit(job),
            )
            timed_out = _pump(process, job, capture)
            if timed_out:
                return Outcome(TIMEOUT_EXIT, True, None)
            if job.cancelled.is_set():
                return Outcome(CANCELLED_EXIT, False, None)
            code = process.returncode
            return Outcome(128 - code if code < 0 else code, False, _read_copy(work))
        finally:
            shutil.rmtree(work, ignore_errors=True)

    def command(self, job: Job, work: Path) -> list[str]:
        argv = [self.bwrap, "--unshare-all", "--unshare-user", "--die-with-parent"]
        argv += ["--new-session", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
        argv += ["--cap-drop", "ALL", "--clearenv"]
        for directory in SYSTEM_DIRS:
            if os.path.exists(directory):
                argv += ["--ro-bind", directory, directory]
        for link, target in MERGED_LINKS.items():
            if os.path.islink(link):
                argv += ["--symlink", target, link]
        argv += ["--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp"]
        argv += ["--bind", str(work), WORK_DIR, "--chdir", WORK_DIR]
        for name, value in job.environment.items():
            argv += ["--setenv", name, value]
        return [*argv, "--", *job.argv]


def _limit(job: Job) -> None:
    """rlimits for the run (in the child, before bwrap starts)."""
    memory = job.policy.memory_mb << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory * 4, memory * 4))
    resource.setrlimit(resource.RLIMIT_FSIZE, (job.policy.work_mb << 20,) * 2)
    resource.setrlimit(resource.RLIMIT_NPROC, (job.policy.pids * 4,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    cpu = int(job.policy.timeout_s) + 1
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu))


def _pump(process: subprocess.Popen[bytes], job: Job, capture: OutputCapture) -> bool:
    """Stream both pipes until they close; True when the time limit killed the run."""
    deadline = time.monotonic() + job.policy.timeout_s
    streams = {process.stdout: "stdout", process.stderr: "stderr"}
    selector = selectors.DefaultSelector()
    for pipe in streams:
        selector.register(pipe, selectors.EVENT_READ)
    timed_out = False
    while selector.get_map():
        if time.monotonic() >= deadline or job.cancelled.is_set():
            timed_out = not job.cancelled.is_set()
            _kill(process)
            break
        for key, _ in selector.select(timeout=0.05):
            data = os.read(key.fd, 65536)
            if data:
                capture.feed(streams[key.fileobj], data)  # type: ignore[arg-type]
            else:
                selector.unregister(key.fileobj)
    selector.close()
    _kill(process) if timed_out else None
    process.wait()
    return timed_out


def _kill(process: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def _write_copy(snap: Snapshot, work: Path) -> None:
    """Files stay the caller's: inside the user namespace the caller's uid is the run's."""
    for rel, data in snap.files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if data.startswith(SYMLINK_PREFIX):
            os.symlink(os.fsdecode(data[len(SYMLINK_PREFIX) :]), path)
        else:
            path.write_bytes(data)
            if rel in snap.executable:
                path.chmod(0o755)


def _read_copy(work: Path) -> Snapshot:
    """The work folder's files and links (never following a link the run made)."""
    files: dict[str, bytes] = {}
    executable: set[str] = set()
    for directory, folders, names in os.walk(work):
        links = [name for name in folders if os.path.islink(os.path.join(directory, name))]
        for name in [*names, *links]:  # a link to a folder is listed with the folders
            path = os.path.join(directory, name)
            rel = Path(path).relative_to(work).as_posix()
            info = os.lstat(path)
            if stat.S_ISLNK(info.st_mode):
                files[rel] = SYMLINK_PREFIX + os.fsencode(os.readlink(path))
            elif stat.S_ISREG(info.st_mode):
                with open(path, "rb", opener=_no_follow) as handle:
                    files[rel] = handle.read()
                if info.st_mode & 0o111:
                    executable.add(rel)
    return Snapshot(files, executable=frozenset(executable))


def _no_follow(path: str, flags: int) -> int:
    return os.open(path, flags | os.O_NOFOLLOW)
