"""`Sandbox`: the one entry point the CLI, the chat panel and the agent use to run code.

It picks the backend the settings name (Docker, or bubblewrap when the user
chose it), refuses when none can isolate the run (never the host), copies
the project in, streams output, returns the diff, and records the run in the
audit store whatever happens to it.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal as signals
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from aiide_tui.config import Config, SandboxConfig
from aiide_tui.errors import AiideError
from aiide_tui.sandbox.audit import AuditStore
from aiide_tui.sandbox.backend import CANCELLED_EXIT, Backend, Job
from aiide_tui.sandbox.errors import SandboxError
from aiide_tui.sandbox.output import OutputCallback, OutputCapture
from aiide_tui.sandbox.policy import SandboxPolicy
from aiide_tui.sandbox.workcopy import Changes, byproducts, compare, snapshot

READER_LEFT = "the reader of the output left"
"""What a run is cancelled with when the reader of its output left (as with `| head`)."""
READER_LEFT_EXIT = 141
"""128 + SIGPIPE: what a shell reports for such a command, and what the run log records."""


@dataclass(frozen=True)
class RunResult:
    """How a sandboxed run ended and what it changed (as a diff: nothing was written)."""

    run_id: int
    exit_code: int
    timed_out: bool
    stdout: str
    stderr: str
    truncated: bool
    diff: str
    duration_s: float
    backend: str
    weaker: bool = False
    """True when the backend is weaker than a container (bubblewrap)."""
    changes: Changes = field(default_factory=Changes)
    skipped_secrets: tuple[str, ...] = ()

    @property
    def signal(self) -> int | None:
        """The signal that ended the command (exit status 128+N), if one did."""
        return self.exit_code - 128 if 128 < self.exit_code < 128 + 65 else None

    @property
    def signal_name(self) -> str | None:
        number = self.signal
        if number is None:
            return None
        with contextlib.suppress(ValueError):
            return signals.Signals(number).name
        return f"signal {number}"


def make_backend(config: SandboxConfig) -> Backend:
    """The backend the settings name.

    Raises:
        NoEngineError: it cannot run here (no engine answers, bwrap missing).
    """
    if config.engine == "bwrap":
        from aiide_tui.sandbox.bwrap_backend import BwrapBackend

        return BwrapBackend()
    from aiide_tui.sandbox.docker_backend import DockerBackend

    backend = DockerBackend()
    backend.reap_orphans()
    return backend


class Sandbox:
    """Runs commands on a copy of one project, isolated; one backend for its lifetime.

    Use as `async with Sandbox(root, config) as sandbox: await sandbox.run([...])`.
    """

    def __init__(
        self, root: Path, config: Config | SandboxConfig, *, backend: Backend | None = None
    ) -> None:
        self.root = Path(root).resolve()
        self.config = config.sandbox if isinstance(config, Config) else config
        self.policy = SandboxPolicy.from_config(self.config)
        self._backend = backend
        self._audit: AuditStore | None = None

    @property
    def backend(self) -> Backend:
        """The backend, connected on first use (raises NoEngineError when there is none)."""
        if self._backend is None:
            self._backend = make_backend(self.config)
        return self._backend

    @property
    def audit(self) -> AuditStore:
        if self._audit is None:
            self._audit = AuditStore.for_project(self.root)
        return self._audit

    async def start(self) -> None:
        """Connect, reap what a crashed aiide left, and warm the pool (if configured)."""
        backend = await asyncio.to_thread(lambda: self.backend)
        if self.config.pool_size and backend.name == "docker":
            from aiide_tui.sandbox.pool import WarmPool

            limit = self.policy.work_mb << 20
            pool = WarmPool(
                backend,
                self.policy,
                self.config.pool_size,
                prepare=lambda: snapshot(self.root, limit),
            )
            backend.pool = pool  # type: ignore[attr-defined]
            await asyncio.to_thread(pool.fill)
            pool.start()

    async def run(
        self,
        argv: Sequence[str],
        *,
        timeout: float | None = None,
        network: bool | None = None,
        image: str | None = None,
        requester: str = "user",
        on_output: OutputCallback | None = None,
    ) -> RunResult:
        """Run `argv` in the sandbox on a fresh copy of the project.

        Output reaches `on_output` live (on this event loop). Cancelling the
        awaiting task kills the run and still removes its container.

        Raises:
            NoEngineError: nothing can isolate the run; it is refused.
            SandboxError: the run could not be started or read back.
        """
        if not argv:
            raise SandboxError("Nothing to run: give a command")
        policy = self.policy.with_changes(timeout_s=timeout, network=network, image=image)
        backend = await asyncio.to_thread(lambda: self.backend)
        run_id = self.audit.start(
            argv=argv,
            requester=requester,
            backend=backend.name,
            image=policy.image if backend.name == "docker" else "host (bubblewrap)",
            limits=policy.limits(),
        )
        capture = OutputCapture(policy.output_bytes, on_output, asyncio.get_running_loop())
        started = time.monotonic()
        try:
            return await self._run_job(backend, policy, argv, capture, run_id, started)
        except BaseException as error:
            interrupted = isinstance(error, (asyncio.CancelledError, KeyboardInterrupt))
            code = CANCELLED_EXIT if interrupted else None
            if interrupted and error.args == (READER_LEFT,):  # `aiide run ... | head`
                code = READER_LEFT_EXIT
            self.audit.finish(
                run_id,
                status="interrupted" if interrupted else "failed",
                duration_s=time.monotonic() - started,
                exit_code=code,
                stdout=capture.text("stdout"),
                stderr=capture.text("stderr"),
                truncated=capture.truncated,
                error=error.message if isinstance(error, AiideError) else repr(error),
            )
            raise

    async def _run_job(
        self,
        backend: Backend,
        policy: SandboxPolicy,
        argv: Sequence[str],
        capture: OutputCapture,
        run_id: int,
        started: float,
    ) -> RunResult:
        snap = await asyncio.to_thread(snapshot, self.root, policy.work_mb << 20)
        job = Job(tuple(argv), policy, snap, policy.environment())
        task = asyncio.ensure_future(asyncio.to_thread(backend.execute, job, capture))
        try:
            outcome = await asyncio.shield(task)
        except asyncio.CancelledError:
            job.cancelled.set()
            with contextlib.suppress(Exception):
                await task
            raise
        changes = Changes()
        if outcome.after is not None:
            left_out = await asyncio.to_thread(byproducts, self.root, snap, outcome.after)
            changes = compare(snap, outcome.after, left_out=left_out)
        result = RunResult(
            run_id=run_id,
            exit_code=outcome.exit_code,
            timed_out=outcome.timed_out,
            stdout=capture.text("stdout"),
            stderr=capture.text("stderr"),
            truncated=capture.truncated,
            diff=changes.diff,
            duration_s=time.monotonic() - started,
            backend=backend.name,
            weaker=backend.WEAKER,
            changes=changes,
            skipped_secrets=snap.skipped_secrets,
        )
        self.audit.finish(
            run_id,
            status="finished",
            duration_s=result.duration_s,
            exit_code=result.exit_code,
            signal=result.signal,
            timed_out=result.timed_out,
            truncated=result.truncated,
            stdout=result.stdout,
            stderr=result.stderr,
            diff=result.diff,
        )
        if changes.files:
            self.audit.keep_changes(run_id, changes)
        return result

    async def close(self) -> None:
        """Remove the warm pool's containers and release the engine and the audit store."""
        if self._backend is not None:
            await asyncio.to_thread(self._backend.close)
        if self._audit is not None:
            self._audit.close()

    async def __aenter__(self) -> Sandbox:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
