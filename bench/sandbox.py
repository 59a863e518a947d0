"""Overhead of one sandboxed run against the same command run directly (one process).

Prints `name: value` lines: cold Docker, a warm-pool container, bubblewrap,
and a short pytest, each beside the direct run measured in the same process.
Needs a Docker engine and the image (scripts/ci-docker.sh); bwrap is skipped
when not installed. Usage: .venv/bin/python bench/sandbox.py [REPEATS]
"""

from __future__ import annotations

import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from aiide_tui.config import SandboxConfig
from aiide_tui.sandbox import Sandbox

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "inventory"
PYTEST = ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def direct(argv: list[str], cwd: Path, repeats: int) -> float:
    """The same command on the host (pytest without third-party plugins, as in the image)."""
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, capture_output=True, check=False, env=env)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


async def sandboxed(root: Path, config: SandboxConfig, argv: list[str], repeats: int) -> float:
    times = []
    async with Sandbox(root, config) as sandbox:
        await sandbox.run(argv)
        for _ in range(repeats):
            if sandbox.backend.name == "docker" and config.pool_size:
                while sandbox.backend.pool.ready < config.pool_size:  # type: ignore[attr-defined]
                    await asyncio.sleep(0.02)
            started = time.perf_counter()
            result = await sandbox.run(argv)
            times.append(time.perf_counter() - started)
            assert result.exit_code == 0, result.stdout + result.stderr
    return statistics.median(times)


async def main(repeats: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "inventory"
        shutil.copytree(EXAMPLE, root)
        true_direct = direct(["true"], root, repeats)
        cold = await sandboxed(root, SandboxConfig(pool_size=0), ["true"], repeats)
        warm = await sandboxed(root, SandboxConfig(pool_size=1), ["true"], repeats)
        print(f"true_direct_s: {true_direct:.4f}")
        print(f"docker_true_overhead_s: {cold - true_direct:.4f}")
        print(f"pool_true_overhead_s: {warm - true_direct:.4f}")
        if shutil.which("bwrap"):
            bwrap = await sandboxed(root, SandboxConfig(engine="bwrap"), ["true"], repeats)
            print(f"bwrap_true_overhead_s: {bwrap - true_direct:.4f}")
        else:
            print("bwrap_true_overhead_s: skipped (bwrap not installed)")
        pytest_direct = direct([sys.executable, *PYTEST[1:]], root, repeats)
        pytest_box = await sandboxed(root, SandboxConfig(pool_size=0), PYTEST, repeats)
        print(f"pytest_direct_s: {pytest_direct:.4f}")
        print(f"pytest_overhead_s: {pytest_box - pytest_direct:.4f}")


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 7))
