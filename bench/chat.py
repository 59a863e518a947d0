"""Benchmark chat: context assembly, prompt-prefix reuse across turns, send overhead.

Prints `name: value` lines with targets: `context_p95_ms` (20 questions on
an index of a copy of the standard library, repo map already computed, as
in a conversation), `prefix_shared_pct` (over a scripted 10-turn
conversation through the test model server: the leading bytes of each
request body, as the server received it, that repeat the previous request's,
as a share of the previous one) and `first_token_overhead_ms` (Enter to the
request reaching the server, less context assembly), warm (turns 2-10) and
cold (turn 1, the process's first model request; and, in a fresh process,
a question that opens the session itself). Run: `python bench/chat.py [--tree PATH]`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from aiide_tui.chat.prompt import shared_prefix
from bench.index import copy_tree

QUESTIONS = [
    "how does urlsplit handle a missing scheme?", "where is the json decoder error raised?",
    "how do I quote an argument for the shell?", "what does shutil.copytree do with symlinks?",
    "how is a zip file member read?", "when does a thread pool executor shut down?",
    "how does textwrap.dedent treat tabs?", "where does @heapq push and pop?",
    "how does the csv reader pick a dialect?", "what does functools.lru_cache store?",
    "how is a sqlite cursor created?", "how does tarfile extract all members safely?",
    "where does logging format a record?", "how is base64 decoding validated?",
    "what does contextlib.suppress catch?", "how does pathlib glob recurse?",
    "how is an email attachment added?", "how does subprocess communicate avoid deadlock?",
    "where does argparse add an argument?", "how does bisect insort keep order?",
]  # fmt: skip
TURNS = 10


def p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


class IndexRetriever:
    """A `CodeIndex` used directly (threads), as the chat service uses the index service."""

    def __init__(self, index) -> None:
        self.index = index

    async def search(self, query: str, k: int) -> list[dict]:
        return [r.to_json() for r in await asyncio.to_thread(self.index.search, query, k)]

    async def repo_map(self, tokens: int, focus_files: list[str]) -> str:
        return await asyncio.to_thread(self.index.repo_map, tokens, focus_files=focus_files)

    async def definitions(self, name: str) -> list[dict]:
        from dataclasses import asdict

        return [asdict(s) for s in await asyncio.to_thread(self.index.definitions, name)]


def make_session(root: Path, state: Path, index, url: str):
    from aiide_tui.chat.context import ProjectFiles
    from aiide_tui.chat.session import ChatSession
    from aiide_tui.chat.store import ChatStore
    from aiide_tui.config import load_config
    from aiide_tui.llm.registry import provider_for_role
    from aiide_tui.llm.roles import resolve_roles
    from aiide_tui.workspace import Workspace

    config = load_config(None, env={"OLLAMA_HOST": url})
    workspace = Workspace(root, state)
    store = ChatStore(state / "chat.sqlite")
    files = ProjectFiles(workspace)
    retriever = IndexRetriever(index) if index is not None else None
    return ChatSession(files, store, resolve_roles(config), retriever, provider_for_role)


async def context_times(session) -> tuple[float, list[float]]:
    started = time.perf_counter()
    await session.context_for("warm the repo map")
    map_ms = (time.perf_counter() - started) * 1000
    times = []
    for question in QUESTIONS:
        started = time.perf_counter()
        await session.context_for(question)
        times.append((time.perf_counter() - started) * 1000)
    return map_ms, times


def time_assembly(session) -> list[float]:
    """Record how long each context assembly of `session` takes (ms), in the returned list."""
    assembly: list[float] = []
    original = session.context_for

    async def timed(question, open_file=None):
        started = time.perf_counter()
        try:
            return await original(question, open_file)
        finally:
            assembly.append((time.perf_counter() - started) * 1000)

    session.context_for = timed
    return assembly


async def conversation(session, server) -> tuple[list[float], list[float]]:
    """Shared-prefix shares per turn, and send overheads (ms) beyond context assembly."""
    assembly = time_assembly(session)
    overheads = []
    for question in QUESTIONS[:TURNS]:
        sent_at = time.time()
        await session.send(question)
        arrived = server.requests_to("/api/chat")[-1].started
        overheads.append((arrived - sent_at) * 1000 - assembly[-1])
    prompts = [r.raw for r in server.requests_to("/api/chat")[-TURNS:]]
    shares = [
        (100 * shared_prefix(a, b) / len(a), 100 * shared_prefix(a, b) / len(b))
        for a, b in itertools.pairwise(prompts)
    ]
    return shares, overheads


async def open_and_ask(url: str) -> dict[str, float]:
    """Open a session on a small project and ask at once (run in a fresh process)."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "project"
        root.mkdir()
        (root / "app.py").write_text("def main():\n    return 1\n")
        sent_at = time.time()
        session = make_session(root, Path(tmp) / "state", None, url)
        assembly = time_assembly(session)
        await session.send("what does @app.py do?")
        await session.aclose()
        return {"sent_at": sent_at, "assembly_ms": assembly[0]}


def open_overhead(server, runs: int = 3) -> float:
    """Enter to request, less assembly, when the question opens the session in a fresh
    process (the median of `runs` processes)."""
    child = [sys.executable, __file__, "--open-and-ask", server.url]
    overheads = []
    for _ in range(runs):
        done = subprocess.run(child, check=True, capture_output=True, text=True)
        timing = json.loads(done.stdout)
        arrived = server.requests_to("/api/chat")[-1].started
        overheads.append((arrived - timing["sent_at"]) * 1000 - timing["assembly_ms"])
    return statistics.median(overheads)


async def run(root: Path, work: Path) -> None:
    from aiide_tui.index.project import CodeIndex
    from tests.support.model_server import ModelServer

    index = CodeIndex(root, state_dir=work / "index")
    started = time.perf_counter()
    index.index()
    print(f"index_s: {time.perf_counter() - started:.1f} (setup, not a figure)")
    server = ModelServer.start()
    server.default("/api/chat", "The answer, with no edits: see the code above.")
    try:
        session = make_session(root, work, index, server.url)  # the provider warms up meanwhile
        map_ms, times = await context_times(session)
        print(f"repo_map_first_ms: {map_ms:.1f} (once per conversation)")
        print(f"context_p95_ms: {p95(times):.1f} (target < 100)")
        session.new_conversation()
        shares, overheads = await conversation(session, server)
        reused, of_new = zip(*shares, strict=True)
        print(f"prefix_shared_pct: {sum(reused) / len(reused):.1f} (of prior prompt; target >= 90)")
        print(f"prefix_shared_min_pct: {min(reused):.1f} (a turn that dropped old history)")
        print(f"prefix_shared_of_new_pct: {sum(of_new) / len(of_new):.1f} (of the new prompt)")
        print(f"first_token_overhead_ms: {p95(overheads[1:]):.1f} (p95 of turns 2-10; target < 20)")
        print(
            f"first_token_overhead_cold_ms: {overheads[0]:.1f} (turn 1, the process's first "
            "model request: the app opens the session as it starts, and its provider warms up)"
        )
        print(
            f"first_token_overhead_open_ms: {open_overhead(server):.1f} (a fresh process whose "
            "question opens the session: `echo q | aiide chat --no-input`)"
        )
        await session.aclose()
    finally:
        server.close()
        index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", type=Path, help="Index a copy of this folder instead.")
    parser.add_argument("--open-and-ask", metavar="URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.open_and_ask:
        print(json.dumps(asyncio.run(open_and_ask(args.open_and_ask))))
        return
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = copy_tree(work / "tree", args.tree)
        asyncio.run(run(root, work))


if __name__ == "__main__":
    main()
