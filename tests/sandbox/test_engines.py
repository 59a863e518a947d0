"""No engine: refuse, never run on the host. Bubblewrap only when chosen, labelled weaker."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from aiide_tui.sandbox import NoEngineError, Sandbox
from tests.sandbox.conftest import sandbox_config
from tests.support.components import require_command


async def test_no_docker_engine_refuses_the_run(project: Path, monkeypatch, tmp_path) -> None:
    marker = tmp_path / "ran-on-host"
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-such.sock")
    sandbox = Sandbox(project, sandbox_config())
    with pytest.raises(NoEngineError, match=r"No Docker engine answers.*never runs generated code"):
        await sandbox.run(["touch", str(marker)])
    await sandbox.close()
    assert not marker.exists()


def test_aiide_run_without_an_engine_exits_125(project: Path, tmp_path) -> None:
    marker = tmp_path / "ran-on-host"
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no-such.sock"}
    result = subprocess.run(
        [sys.executable, "-m", "aiide_tui", "run", "--", "touch", str(marker)],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 125 and "No Docker engine" in result.stderr
    assert not marker.exists()


async def test_bwrap_backend_isolates_and_is_labelled_weaker(project: Path, monkeypatch) -> None:
    require_command("bwrap", "apt-get install bubblewrap (scripts/ci-docker.sh installs it)")
    monkeypatch.setenv("AIIDE_BWRAP_TOKEN", "bwrap-secret")
    sandbox = Sandbox(project, sandbox_config(engine="bwrap", timeout_s=5))
    script = (
        "id -u; cat /work/.env 2>&1; env; echo changed >> README.md; "
        "ls /root /home 2>&1; (exec 3<>/dev/tcp/127.0.0.1/22) 2>&1 || echo nonet"
    )
    result = await sandbox.run(
        ["bash", "-c", script] if shutil.which("bash") else ["sh", "-c", script]
    )
    timed = await sandbox.run(["sleep", "30"], timeout=1)
    await sandbox.close()
    assert result.weaker and result.backend == "bwrap"
    assert result.stdout.startswith("65534\n")
    assert "bwrap-secret" not in result.stdout and "do-not-leak" not in result.stdout
    assert "+changed" in result.diff and "changed" not in (project / "README.md").read_text()
    assert timed.timed_out and timed.exit_code == 124


def test_bwrap_missing_is_refused(project: Path, monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    from aiide_tui.sandbox.bwrap_backend import BwrapBackend

    with pytest.raises(NoEngineError, match="bubblewrap is not installed"):
        BwrapBackend()


async def test_bwrap_run_that_changes_nothing_reports_no_change_with_links(project: Path) -> None:
    """A link to a folder is listed among os.walk's folders: reading the work copy back must
    still see it, or every run reports it deleted."""
    require_command("bwrap", "apt-get install bubblewrap (scripts/ci-docker.sh installs it)")
    (project / "docs").symlink_to("inventory")
    (project / "main.py").symlink_to("inventory/store.py")
    for git in (["init", "-q"], ["add", "-A"]):  # git lists the links; so does the walk
        subprocess.run(["git", *git], cwd=project, check=True, capture_output=True)
    sandbox = Sandbox(project, sandbox_config(engine="bwrap", timeout_s=10))
    result = await sandbox.run(["true"])
    await sandbox.close()
    assert result.exit_code == 0 and result.diff == "" and not result.changes.files


def test_an_ssh_engine_is_reached_through_the_ssh_client(project: Path, tmp_path) -> None:
    """`DOCKER_HOST=ssh://...` works as with the docker CLI (docker-py's ssh extra is installed);
    an engine nobody answers for is a clear refusal, not 'install paramiko'."""
    env = {**os.environ, "DOCKER_HOST": "ssh://nobody@127.0.0.1:9"}  # no ssh binary: refused too
    result = subprocess.run(
        [sys.executable, "-m", "aiide_tui", "run", "--", "true"],
        cwd=project, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert result.returncode == 125
    assert "No Docker engine answers at ssh://nobody@127.0.0.1:9" in result.stderr
    assert "paramiko" not in result.stderr
