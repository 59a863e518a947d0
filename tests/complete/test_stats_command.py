"""`aiide stats` as a user runs it: a real process reading figures an engine recorded."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from aiide_tui.complete.stats import FILE_NAME, CompletionStats
from aiide_tui.state import project_state_dir


def aiide(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiide_tui", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=dict(os.environ),
    )


def record(root: Path, shown: int, accepted_chars: list[int]) -> None:
    stats = CompletionStats(project_state_dir(root) / FILE_NAME)
    for latency in range(shown):
        stats.shown("qwen", latency_ms=100 + latency, from_cache=False)
    for index, chars in enumerate(accepted_chars):
        stats.accepted("qwen", chars, first=index == 0)  # one suggestion, taken in parts
    stats.flush()


def test_stats_for_a_project_and_for_all(tmp_path: Path) -> None:
    shop, blog = tmp_path / "shop", tmp_path / "blog"
    shop.mkdir()
    blog.mkdir()
    record(shop, 10, [12, 3])
    record(blog, 4, [8])
    result = aiide("stats", str(shop))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert "never sent anywhere" in lines[0]
    assert lines[1:4] == ["shown: 10", "accepted: 1 (10%)", "chars_accepted: 15"]
    assert "latency_p95: 109 ms" in lines
    everything = json.loads(aiide("stats", "--all", "--json").stdout)
    totals = (everything["shown"], everything["accepted"], everything["chars_accepted"])
    assert totals == (14, 2, 23)
