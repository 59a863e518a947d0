"""atomic_write: permissions, symlinks, failure cleanup, and survival of SIGKILL mid-write."""

from __future__ import annotations

import os
import random
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from aiide_tui.errors import WorkspaceError
from aiide_tui.workspace.atomic import TEMP_PREFIX, atomic_write, is_temp_name
from tests.support.slow_writer import contents

PROJECT = Path(__file__).resolve().parent.parent


def test_new_file_gets_umask_mode(tmp_path: Path) -> None:
    old_mask = os.umask(0o027)
    try:
        atomic_write(tmp_path / "new.txt", b"hello")
    finally:
        os.umask(old_mask)
    assert (tmp_path / "new.txt").read_bytes() == b"hello"
    assert stat.S_IMODE((tmp_path / "new.txt").stat().st_mode) == 0o640


def test_existing_file_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "run.sh"
    target.write_bytes(b"old")
    target.chmod(0o751)
    atomic_write(target, b"#!/bin/sh\n")
    assert target.read_bytes() == b"#!/bin/sh\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o751


def test_replaces_the_file_rather_than_rewriting_it(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_bytes(b"old content")
    with open(target, "rb") as reader:
        atomic_write(target, b"new")
        assert reader.read() == b"old content"
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["f.txt"]


def test_writes_through_a_symlink_and_keeps_the_link(tmp_path: Path) -> None:
    real = tmp_path / "real.txt"
    real.write_bytes(b"old")
    link = tmp_path / "link.txt"
    link.symlink_to("real.txt")
    atomic_write(link, b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"


def test_failure_leaves_target_and_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "dir"
    target.mkdir()
    (target / "inside").write_bytes(b"keep")
    with pytest.raises(WorkspaceError, match="Cannot save"):
        atomic_write(target, b"data")
    assert sorted(os.listdir(tmp_path)) == ["dir"]
    assert (target / "inside").read_bytes() == b"keep"


def test_missing_directory_is_a_workspace_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError):
        atomic_write(tmp_path / "nope" / "f.txt", b"data")


def test_temp_names_are_recognisable() -> None:
    assert is_temp_name(TEMP_PREFIX + "abc")
    assert not is_temp_name("main.py")


def _kill_mid_write(target: Path, old_size: int, new_size: int, delay_s: float) -> None:
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.slow_writer",
            str(target),
            str(old_size),
            str(new_size),
        ],
        cwd=PROJECT,
        stdout=subprocess.PIPE,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == b"ready\n"
        time.sleep(delay_s)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
        if child.stdout is not None:
            child.stdout.close()


def test_sigkill_never_leaves_a_truncated_target(tmp_path: Path) -> None:
    old_size, new_size = 3 * 1024 * 1024, 5 * 1024 * 1024
    old, new = contents(old_size, new_size)
    target = tmp_path / "big.bin"
    target.write_bytes(old)
    rng = random.Random(1234)
    killed_mid_write = 0
    for _ in range(30):
        _kill_mid_write(target, old_size, new_size, rng.uniform(0.0, 0.12))
        data = target.read_bytes()
        assert data in (old, new), f"target has {len(data)} bytes: neither version"
        others = [name for name in os.listdir(tmp_path) if name != target.name]
        assert all(is_temp_name(name) for name in others), others
        killed_mid_write += len(others) > 0
        for name in others:
            os.unlink(tmp_path / name)
    assert killed_mid_write > 0, "no kill landed mid-write; the test proved nothing"
