"""The suggestion cache (longest-prefix lookup, survives a restart) and the local figures."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from aiide_tui.complete.cache import CompletionCache
from aiide_tui.complete.stats import CompletionStats, percentile, read_summaries

PREFIX = "def add(a, b):\n    "


def test_exact_and_typed_ahead_lookups() -> None:
    cache = CompletionCache()
    cache.put("qwen", PREFIX, "\n", "return a + b")
    assert cache.get("qwen", PREFIX, "\n") == "return a + b"
    assert cache.get("qwen", PREFIX + "ret", "\n") == "urn a + b"
    assert cache.get("qwen", PREFIX + "rex", "\n") is None  # typed something else
    assert cache.get("qwen", PREFIX + "return a + b", "\n") is None  # used up
    assert cache.get("other-model", PREFIX, "\n") is None
    assert cache.get("qwen", PREFIX, "\nchanged below") is None


def test_longest_prefix_wins() -> None:
    cache = CompletionCache()
    cache.put("m", PREFIX, "", "return a + b")
    cache.put("m", PREFIX + "return ", "", "b + a")
    assert cache.get("m", PREFIX + "return b", "") == " + a"
    assert cache.get("m", PREFIX + "return a", "") == " + b"


def test_least_recently_used_is_evicted() -> None:
    cache = CompletionCache(capacity=2)
    cache.put("m", "a = ", "", "1")
    cache.put("m", "b = ", "", "2")
    assert cache.get("m", "a = ", "") == "1"  # now the most recent
    cache.put("m", "c = ", "", "3")
    assert cache.get("m", "b = ", "") is None
    assert cache.get("m", "a = ", "") == "1" and len(cache) == 2


def test_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "completions.sqlite"
    cache = CompletionCache(path)
    cache.put("m", PREFIX, "", "return a + b")
    cache.flush()
    cache.close()
    again = CompletionCache(path)
    assert again.get("m", PREFIX + "r", "") == "eturn a + b"
    again.close()


def test_a_corrupt_file_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "completions.sqlite"
    path.write_bytes(b"this is not a database" * 100)
    cache = CompletionCache(path)
    cache.put("m", "x = ", "", "1")
    cache.flush()
    cache.close()
    assert CompletionCache(path).get("m", "x = ", "") == "1"


def test_an_older_schema_is_emptied(tmp_path: Path) -> None:
    path = tmp_path / "completions.sqlite"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE entries (junk)")
    db.execute("INSERT INTO entries VALUES (1)")
    db.commit()
    db.close()
    cache = CompletionCache(path)
    assert len(cache) == 0
    cache.put("m", "x = ", "", "1")
    cache.close()
    assert CompletionCache(path).get("m", "x = ", "") == "1"


def test_stats_add_up_and_persist(tmp_path: Path) -> None:
    stats = CompletionStats(tmp_path / "stats.sqlite")
    for latency in (10, 20, 30, 40, 500):
        stats.shown("qwen", latency_ms=latency, from_cache=False)
    stats.shown("qwen", latency_ms=1, from_cache=True)
    stats.accepted("qwen", 12, first=True)
    stats.accepted("qwen", 5, first=False)
    summary = stats.summary()
    assert (summary.shown, summary.accepted, summary.chars_accepted) == (6, 1, 17)
    assert summary.from_cache == 1
    assert summary.latency_p50_ms == 30 and summary.latency_p95_ms == 500
    other = CompletionStats(tmp_path / "other.sqlite")
    other.shown("m", latency_ms=5, from_cache=False)
    other.flush()
    total = read_summaries([tmp_path / "stats.sqlite", tmp_path / "other.sqlite"])
    assert total.shown == 7 and round(total.acceptance_rate, 3) == round(1 / 7, 3)


def test_percentile() -> None:
    assert percentile([], 50) is None
    assert percentile([3, 1, 2], 50) == 2
    assert percentile(list(range(1, 101)), 95) == 95
