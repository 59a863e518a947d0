"""The sandbox service: run commands isolated, stream their output, keep the run log.

A run's file changes wait in the run log until the user applies them (those of
`aiide run` too); applying goes through the workspace, so the path policy and
the undo journal cover it like any other edit.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiide_tui.bus import InvalidParams, NamedParams, RequestContext, Router
from aiide_tui.config import Config
from aiide_tui.errors import WorkspaceError
from aiide_tui.workspace import Workspace

if TYPE_CHECKING:
    from aiide_tui.sandbox import AuditStore, Sandbox


class SandboxService:
    """`sandbox/run`, `sandbox/apply`, `sandbox/runs`, `sandbox/show`."""

    def __init__(self, root: Path, config: Config, workspace: Workspace) -> None:
        self.root = root
        self.config = config
        self.workspace = workspace
        self._sandbox: Sandbox | None = None
        self._starting = asyncio.Lock()
        self._audit: AuditStore | None = None

    @property
    def audit(self) -> AuditStore:
        if self._audit is None:
            from aiide_tui.sandbox import AuditStore

            self._audit = AuditStore.for_project(self.root)
        return self._audit

    def register(self, router: Router) -> None:
        router.method("sandbox/run")(self.run)
        router.method("sandbox/apply")(self.apply)
        router.method("sandbox/runs")(self.runs)
        router.method("sandbox/show")(self.show)

    async def _ready(self) -> Sandbox:
        """The sandbox, connected on first use (docker-py loads only then)."""
        async with self._starting:
            if self._sandbox is None:
                from aiide_tui.sandbox import Sandbox

                sandbox = Sandbox(self.root, self.config)
                await sandbox.start()
                self._sandbox = sandbox
            return self._sandbox

    async def run(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """Run `argv`; `sandbox/output` notifications carry stdout and stderr as they come."""
        argv = params.texts("argv")
        if not argv:
            raise InvalidParams("'argv' must name a command")
        timeout = params.number("timeout", None, positive=True)
        network: bool | None = params.flag("network", None)  # type: ignore[arg-type]
        requester = params.text("requester", "user")
        sandbox = await self._ready()
        notes: asyncio.Queue = asyncio.Queue()

        async def forward() -> None:
            while True:
                chunk = await notes.get()
                await ctx.notify("sandbox/output", chunk)

        forwarder = asyncio.create_task(forward())
        try:
            result = await sandbox.run(
                argv,
                timeout=timeout,
                network=network,
                requester=requester,
                on_output=lambda c: notes.put_nowait(
                    {"token": params.get("token"), "stream": c.stream, "text": c.text}
                ),
            )
        finally:
            while not notes.empty():
                await ctx.notify("sandbox/output", notes.get_nowait())
            forwarder.cancel()
        return {
            "run_id": result.run_id,
            "exit_code": result.exit_code,
            "timed_out": result.timed_out,
            "truncated": result.truncated,
            "diff": result.diff,
            "duration_s": result.duration_s,
            "backend": result.backend,
            "weaker": result.weaker,
            "skipped_secrets": list(result.skipped_secrets),
            "too_large": list(result.changes.too_large),
        }

    async def apply(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        from aiide_tui.sandbox import apply_changes
        from aiide_tui.sandbox.workcopy import left_over

        run_id = params.whole("run_id")
        changes = await asyncio.to_thread(self.audit.take_changes, run_id)
        if changes is None:
            raise WorkspaceError(
                f"Run #{run_id} has no changes waiting (already applied, or too old)."
            )
        applied = await asyncio.to_thread(
            apply_changes, self.workspace, changes, group=f"sandbox-run-{run_id}",
            confirmed=params.flag("confirmed"),
        )  # fmt: skip
        if applied.skipped:  # they wait for another try (`confirmed`, or after a fix)
            await asyncio.to_thread(self.audit.keep_changes, run_id, left_over(changes, applied))
        return {"written": list(applied.written), "skipped": [list(s) for s in applied.skipped]}

    async def runs(self, params: NamedParams, ctx: RequestContext) -> list[dict[str, Any]]:
        def listed() -> list[dict[str, Any]]:
            records = self.audit.list(params.whole("limit", 50, minimum=1))
            waiting = self.audit.waiting_runs()
            return [_summary(record, pending=record.id in waiting) for record in records]

        return await asyncio.to_thread(listed)

    async def show(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any] | None:
        record = await asyncio.to_thread(self.audit.get, params.whole("id"))
        if record is None:
            return None
        pending = await asyncio.to_thread(self.audit.has_changes, record.id)
        return {**asdict(record), "pending": pending}

    async def close(self) -> None:
        if self._sandbox is not None:
            await self._sandbox.close()


def _summary(record: Any, *, pending: bool) -> dict[str, Any]:
    return {
        "pending": pending,
        "id": record.id,
        "started_at": record.started_at,
        "duration_s": record.duration_s,
        "requester": record.requester,
        "argv": list(record.argv),
        "status": record.status,
        "exit_code": record.exit_code,
        "timed_out": record.timed_out,
        "has_diff": bool(record.diff),
    }
