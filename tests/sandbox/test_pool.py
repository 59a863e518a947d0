"""The warm pool copies the project in ahead; runs must still see it exactly as it is now."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from aiide_tui.sandbox import RunResult, Sandbox, SandboxError
from tests.sandbox.conftest import sandbox_config

pytestmark = pytest.mark.usefixtures("docker_engine")
LIST = ["sh", "-c", "cat /etc/hostname; find . -type f | sort; cat README.md"]


async def refilled(sandbox: Sandbox) -> None:
    """Wait until the pool holds a container with the project copied in."""
    pool = sandbox.backend.pool  # type: ignore[attr-defined]
    for _ in range(600):
        if pool.ready:
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the pool never refilled")


async def pooled_run(sandbox: Sandbox, argv: list[str]) -> RunResult:
    """A run that takes a container from a full pool (not one started on demand)."""
    await refilled(sandbox)
    return await sandbox.run(argv)


async def test_pooled_runs_see_edits_additions_and_deletions(project: Path) -> None:
    async with Sandbox(project, sandbox_config(pool_size=1)) as sandbox:
        first = await pooled_run(sandbox, LIST)
        await refilled(sandbox)
        (project / "README.md").write_text("edited after the pool was filled\n")
        (project / "added.txt").write_text("added\n")
        second = await pooled_run(sandbox, LIST)
        await refilled(sandbox)
        (project / "web" / "format.js").unlink()
        third = await pooled_run(sandbox, LIST)
    for result in (first, second, third):
        assert result.exit_code == 0 and result.diff == "", result.stdout + result.stderr
    assert "./web/format.js" in first.stdout and "./added.txt" not in first.stdout
    assert "edited after the pool was filled" in second.stdout and "./added.txt" in second.stdout
    assert "./web/format.js" not in third.stdout and "./added.txt" in third.stdout
    assert "./.env" not in first.stdout + second.stdout + third.stdout
    hostnames = {result.stdout.split()[0] for result in (first, second, third)}
    assert len(hostnames) == 3, "each container serves one run"


async def test_a_pooled_run_sees_a_script_made_executable_after_the_pool_filled(
    project: Path,
) -> None:
    check = project / "check.sh"
    check.write_text("#!/bin/sh\necho checked\n")
    async with Sandbox(project, sandbox_config(pool_size=1)) as sandbox:
        await refilled(sandbox)
        check.chmod(0o755)
        result = await pooled_run(sandbox, ["./check.sh"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "checked\n" and result.diff == ""


async def test_changes_a_run_hides_from_its_own_user_still_come_back(project: Path) -> None:
    script = (
        "echo appended >> README.md; chmod 000 README.md; ln web/format.js linked.js;"
        " mkfifo a-fifo; chmod 000 web"
    )
    async with Sandbox(project, sandbox_config(pool_size=1)) as sandbox:
        result = await pooled_run(sandbox, ["sh", "-c", script])
    assert result.exit_code == 0, result.stderr
    assert set(result.changes.files) == {"README.md", "linked.js"}
    assert result.changes.files["README.md"].endswith(b"appended\n")
    assert result.changes.files["linked.js"] == (project / "web" / "format.js").read_bytes()


async def test_a_run_that_forges_the_reply_channel_gets_an_error_not_a_diff(
    project: Path,
) -> None:
    forge = ["sh", "-c", "echo forged > new.txt; echo garbage > /proc/1/fd/1"]
    async with Sandbox(project, sandbox_config()) as sandbox:
        with pytest.raises(SandboxError, match="came back"):
            await sandbox.run(forge)
        record = sandbox.audit.list(1)[0]
        after = await sandbox.run(["true"])
    assert record.status == "failed" and after.exit_code == 0
    assert not (project / "new.txt").exists()
