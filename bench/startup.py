"""Startup benchmark: launch to first painted frame, and resident memory after idle.

Runs `aiide` in a real pseudo-terminal (160x48) on the standard library's folder,
and times the moment its first frame (the `Files` border title) reaches the
terminal. The reference, from the same run, is `python -c 'import textual'`.
Prints one `name: value` line per figure.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import statistics
import struct
import subprocess
import sys
import sysconfig
import termios
import time
from pathlib import Path

RUNS = 7
IDLE_SECONDS = 3.0
MARKER = b"Files"
VENV_BIN = Path(sys.executable).parent


def _spawn_in_pty(argv: list[str], env: dict[str, str]) -> tuple[subprocess.Popen, int]:
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 48, 160, 0, 0))
    process = subprocess.Popen(
        argv, stdin=follower, stdout=follower, stderr=follower, env=env, start_new_session=True
    )
    os.close(follower)
    return process, leader


def _read_until(fd: int, marker: bytes, deadline: float) -> bool:
    seen = b""
    while time.perf_counter() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                return False
            if marker in seen:
                return True
            seen = seen[-len(marker) :]
    return False


def _drain(fd: int, seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                return


def _stop(process: subprocess.Popen, fd: int) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    os.close(fd)


def first_paint(project: Path, env: dict[str, str], *, measure_memory: bool) -> tuple[float, int]:
    """Seconds from spawn to the first frame, and RSS bytes after idling (0 if not asked)."""
    start = time.perf_counter()
    process, fd = _spawn_in_pty([str(VENV_BIN / "aiide"), str(project)], env)
    if not _read_until(fd, MARKER, start + 30):
        _stop(process, fd)
        raise RuntimeError("aiide never painted its first frame")
    elapsed = time.perf_counter() - start
    rss = 0
    if measure_memory:
        import psutil

        _drain(fd, IDLE_SECONDS)
        rss = psutil.Process(process.pid).memory_info().rss
    _stop(process, fd)
    return elapsed, rss


def import_textual() -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import textual"], check=True)
    return time.perf_counter() - start


def heavy_modules_before_paint(project: Path, env: dict[str, str]) -> list[str]:
    """Heavy libraries loaded by the time the first frame is painted (should be none)."""
    probe = (
        "import sys, aiide_tui.ui.app as m\n"
        "from aiide_tui.config import load_config\n"
        "from pathlib import Path\n"
        f"root = Path({str(project)!r})\n"
        "app = m.AiideApp(root, load_config(root), remember_theme=False)\n"
        "async def main():\n"
        "    async with app.run_test(size=(160, 48)) as pilot:\n"
        "        heavy = ('chromadb', 'langgraph', 'docker', 'tree_sitter_language_pack')\n"
        "        print(','.join(h for h in heavy if h in sys.modules))\n"
        "import asyncio; asyncio.run(main())\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    return [name for name in out.stdout.strip().split(",") if name]


def main() -> None:
    project = Path(sysconfig.get_paths()["stdlib"])
    env = {
        **os.environ,
        "TERM": "xterm-256color",
        "COLORTERM": "",
        "AIIDE_CONFIG_DIR": "/tmp/aiide-bench/config",
        "AIIDE_DATA_DIR": "/tmp/aiide-bench/data",
    }
    first_paint(project, env, measure_memory=False)  # warm the OS file cache
    paints = [first_paint(project, env, measure_memory=False)[0] for _ in range(RUNS)]
    imports = [import_textual() for _ in range(RUNS)]
    _, rss = first_paint(project, env, measure_memory=True)
    print(f"project: {project}")
    print(f"first_paint_median_s: {statistics.median(paints):.3f}")
    print(f"first_paint_min_s: {min(paints):.3f}")
    print(f"import_textual_median_s: {statistics.median(imports):.3f}  (reference)")
    print("first_paint_target_s: 0.500")
    print(f"rss_after_idle_mib: {rss / 2**20:.1f}")
    heavy = heavy_modules_before_paint(project, env)
    print(f"heavy_modules_before_first_paint: {','.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
