"""Every run is recorded, and `aiide audit` lists and shows them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from aiide_tui.commands.audit import command as audit_command
from aiide_tui.sandbox import Sandbox
from aiide_tui.sandbox.audit import _SCHEMA, AUDIT_NAME, SCHEMA_VERSION, AuditStore
from aiide_tui.state import project_state_dir
from tests.sandbox.conftest import IMAGE, sandbox_config


@pytest.mark.usefixtures("docker_engine")
async def test_runs_are_recorded_with_who_asked_and_what_happened(project: Path) -> None:
    async with Sandbox(project, sandbox_config(output_kb=1)) as sandbox:
        first = await sandbox.run(
            ["sh", "-c", "echo hello; echo oops >&2; echo x > made.txt; exit 2"], requester="chat"
        )
        second = await sandbox.run(["sh", "-c", "yes | head -c 5000"], requester="agent")
    store = AuditStore.for_project(project)
    newest, older = store.list()[:2]
    store.close()
    assert (older.id, newest.id) == (first.run_id, second.run_id)
    assert older.requester == "chat" and older.exit_code == 2 and older.status == "finished"
    assert older.argv[0] == "sh" and older.image == IMAGE and older.backend == "docker"
    assert older.stdout == "hello\n" and older.stderr == "oops\n" and "+++ b/made.txt" in older.diff
    assert older.limits["network"] is False and older.limits["memory_mb"] == 512
    assert older.duration_s is not None and older.duration_s > 0
    assert newest.requester == "agent" and newest.truncated and "truncated" in newest.stdout
    assert len(newest.stdout) < 1200
    database = sqlite3.connect(project_state_dir(project) / AUDIT_NAME)
    assert database.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert database.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    database.close()
    listing = CliRunner().invoke(audit_command, ["-C", str(project)])
    assert (
        listing.exit_code == 0
        and f"#{first.run_id}" in listing.output
        and "exit 2" in listing.output
    )
    shown = CliRunner().invoke(audit_command, ["show", str(first.run_id), "-C", str(project)])
    assert shown.exit_code == 0 and "requested by: chat" in shown.output
    assert "--- stderr ---\noops" in shown.output and "made.txt" in shown.output


def test_audit_show_unknown_run_is_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(audit_command, ["show", "99", "-C", str(tmp_path)])
    assert result.exit_code == 1 and "no run #99" in result.output


def test_changes_wait_in_the_log_for_one_taker_and_only_the_newest_stay(tmp_path: Path):
    """No Docker needed: what a run left to apply, kept across processes (a v1 log too)."""
    from aiide_tui.sandbox import Changes
    from aiide_tui.sandbox.audit import KEEP_CHANGES

    path = tmp_path / "audit.sqlite"
    with sqlite3.connect(path) as old:  # a version 1 log, before changes were kept
        old.executescript(_SCHEMA.split("CREATE TABLE IF NOT EXISTS changes")[0])
        old.execute("PRAGMA user_version = 1")
    old.close()
    changes = Changes(
        files={"run.sh": b"\x00binary\xff", "gone.txt": None}, diff="+x\n",
        base={"run.sh": "abc", "gone.txt": "def"}, executable=frozenset({"run.sh"}),
    )  # fmt: skip
    store = AuditStore(path)
    for run_id in range(1, KEEP_CHANGES + 3):
        store.keep_changes(run_id, changes)
    store.close()
    store = AuditStore(path)  # another process, later
    assert not store.has_changes(1) and not store.has_changes(2)  # too old: dropped
    assert store.has_changes(3)
    assert store.take_changes(3) == changes  # bytes, deletions, digests and modes intact
    assert store.take_changes(3) is None and not store.has_changes(3)
    store.close()
