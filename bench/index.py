"""Benchmark the code index on a copy of this interpreter's standard library.

Prints one `name: value` line per figure, with its target or reference beside it:
cold full index (no embeddings) beside universal-ctags on the same tree,
save-to-searchable latency while the watcher runs, search latency over 50
queries and the warm repo map. The tree is the standard library's Python sources
(the issue's: about 1,790 files, 31.5 MB). Run:
`python bench/index.py [--tree PATH] [--all-files]` (`--tree` indexes a copy of
another folder, for quicker runs on a smaller one).
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import shutil
import subprocess
import sysconfig
import tempfile
import time
from pathlib import Path

QUERIES = [
    "quote a string for a shell", "parse http header", "urlsplit", "json decoder error position",
    "temporary directory cleanup", "read a zip file member", "thread pool executor shutdown",
    "format a date as iso 8601", "compile a regular expression", "walk a directory tree",
    "base64 encode bytes", "sqlite connection cursor", "email message attachment",
    "csv reader dialect", "socket connect timeout", "subprocess pipe communicate",
    "argparse add argument", "logging handler format", "pickle protocol dumps",
    "decimal context precision", "fractions greatest common divisor", "heapq push pop",
    "bisect insort", "textwrap dedent", "shutil copy tree", "tarfile extract all",
    "asyncio event loop run until complete", "ssl wrap socket", "hashlib sha256",
    "hmac compare digest", "secrets token hex", "uuid4", "dataclass field default factory",
    "enum auto value", "functools lru cache", "itertools groupby", "contextlib suppress",
    "inspect signature parameters", "ast literal eval", "tokenize generate tokens",
    "unittest assert raises", "doctest testmod", "pathlib glob", "fnmatch translate",
    "gzip decompress", "struct pack unpack", "array typecode", "weakref finalize",
    "traceback format exception", "locale currency",
]  # fmt: skip


def copy_tree(target: Path, source: Path | None = None, *, all_files: bool = False) -> Path:
    """A copy of `source`, or of the standard library's Python sources: the tree the index
    issue measures against (about 1,790 files, 31.5 MB; `all_files` adds its data files,
    test data and compiled modules, 2,450 files and 102 MB here)."""
    ignore = shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc")
    if source is None:
        source = Path(sysconfig.get_paths()["stdlib"])
        if not all_files:
            ignore = _python_sources_only(ignore)
    shutil.copytree(source, target, ignore=ignore, symlinks=True)
    return target


def _python_sources_only(ignore):
    def only_python(folder: str, names: list[str]) -> set[str]:
        skipped = set(ignore(folder, names))
        here = Path(folder)
        return skipped | {n for n in names if not n.endswith(".py") and not (here / n).is_dir()}

    return only_python


def ctags_seconds(root: Path, out: Path) -> float | None:
    if shutil.which("ctags") is None:
        return None
    started = time.perf_counter()
    subprocess.run(["ctags", "-R", "-f", str(out), str(root)], check=True, capture_output=True)
    return time.perf_counter() - started


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, round(0.95 * len(ordered)) - 1)]


async def save_to_searchable(index, root: Path, rounds: int = 20) -> list[float]:
    from aiide_tui.index.freshness import keep_fresh

    stop = asyncio.Event()
    task = asyncio.create_task(keep_fresh(index, debounce_ms=20, stop_event=stop))
    await asyncio.sleep(1.0)
    target = root / "colorsys.py"
    if not target.exists():
        target = next(path for path in sorted(root.rglob("*.py")) if not path.is_symlink())
    original = target.read_text()
    samples = []
    for n in range(rounds):
        name = f"bench_marker_{n}"
        started = time.perf_counter()
        target.write_text(original + f"\n\ndef {name}():\n    return {n}\n")
        while not any(r.symbol.endswith(name) for r in index.search(name, 1)):
            await asyncio.sleep(0.002)
        samples.append((time.perf_counter() - started) * 1000)
        await asyncio.sleep(0.1)
    stop.set()
    await asyncio.wait_for(task, 5)
    return samples


def main() -> None:
    from aiide_tui.index.project import CodeIndex

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="index a copy of this folder, not the stdlib")
    parser.add_argument(
        "--all-files", action="store_true",
        help="the whole stdlib folder (data files, .so, test data), not just its .py files",
    )  # fmt: skip
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        root = copy_tree(work / "stdlib", args.tree, all_files=args.all_files)
        files = sum(1 for path in root.rglob("*") if path.is_file())
        size_mb = sum(p.stat().st_size for p in root.rglob("*") if p.is_file()) / 1e6
        print(f"tree: {files} files, {size_mb:.1f} MB ({root})")
        ctags = ctags_seconds(root, work / "tags")
        index = CodeIndex(root, state_dir=work / "state")
        started = time.perf_counter()
        report = index.index()
        wall = time.perf_counter() - started
        status = index.status()
        print(f"index_wall_s: {wall:.2f}  (target < 4x ctags)")
        if ctags is None:
            print("ctags_wall_s: missing (apt-get install -y universal-ctags)")
        else:
            print(f"ctags_wall_s: {ctags:.2f}  (ratio {wall / ctags:.1f}x)")
        print(
            f"files_per_s: {report.files / wall:.0f}  ({report.parsed} parsed,"
            f" {report.skipped} left out, {status['chunks']} chunks, {status['edges']} edges)"
        )
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        print(f"peak_rss_mb: {own:.0f}  (largest parse worker {child:.0f})")
        saves = asyncio.run(save_to_searchable(index, root))
        print(
            f"save_to_searchable_p95_ms: {p95(saves):.0f}  (target < 200; median"
            f" {sorted(saves)[len(saves) // 2]:.0f})"
        )
        for query in QUERIES[:5]:
            index.search(query, 10)
        timings = []
        for query in QUERIES:
            started = time.perf_counter()
            index.search(query, 10)
            timings.append((time.perf_counter() - started) * 1000)
        print(f"search_p95_ms: {p95(timings):.1f}  (target < 30; 50 queries)")
        index.repo_map(1024)
        started = time.perf_counter()
        index.repo_map(1024, focus_files=["json/decoder.py"], focus_names=["urlsplit"])
        print(
            f"repo_map_s: {time.perf_counter() - started:.3f}  (target < 0.3 warm;"
            " Aider about 10 s warm here)"
        )
        index.close()


if __name__ == "__main__":
    main()
