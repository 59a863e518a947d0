"""No container or volume of ours outlives a run, even when aiide is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aiide_tui.sandbox import Sandbox
from aiide_tui.sandbox.audit import AuditStore
from aiide_tui.sandbox.docker_backend import LABEL, connect, owner_id
from tests.sandbox.conftest import sandbox_config

pytestmark = pytest.mark.usefixtures("docker_engine")


def ours(owner: str) -> tuple[list, list]:
    client = connect()
    try:
        containers = client.api.containers(all=True, filters={"label": f"aiide.owner={owner}"})
        volumes = client.api.volumes(filters={"label": f"aiide.owner={owner}"}).get("Volumes")
        return containers, volumes or []
    finally:
        client.close()


async def test_runs_and_the_warm_pool_leave_nothing_behind(project: Path) -> None:
    async with Sandbox(project, sandbox_config(pool_size=2)) as sandbox:
        assert sandbox.backend.pool.ready == 2  # type: ignore[attr-defined]
        for argv in (["true"], ["false"], ["sleep", "5"]):
            await sandbox.run(argv, timeout=1)
        sandbox.backend.wait_removals()  # type: ignore[attr-defined]
        assert len(ours(owner_id())[0]) <= 2, "only the pool's containers remain"
    assert ours(owner_id()) == ([], [])


async def test_a_sigkilled_aiide_run_is_reaped_on_the_next_start(project: Path) -> None:
    command = [sys.executable, "-m", "aiide_tui", "run", "--", "sleep", "100"]
    process = subprocess.Popen(command, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    owner = owner_id(process.pid)
    deadline = time.monotonic() + 30
    while not ours(owner)[0] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ours(owner)[0], "the run's container never appeared"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert ours(owner)[0], "SIGKILL leaves the container running until someone reaps it"
    async with Sandbox(project, sandbox_config()):
        pass
    assert ours(owner) == ([], [])
    store = AuditStore.for_project(project)
    assert store.list(1)[0].status == "interrupted"
    store.close()


def test_no_container_of_ours_is_left_running() -> None:
    client = connect()
    try:
        mine = [
            c
            for c in client.api.containers(all=True, filters={"label": LABEL})
            if c["Labels"].get("aiide.owner", "").split(":")[1:2] == [str(os.getpid())]
        ]
    finally:
        client.close()
    assert mine == []
