"""Benchmark chat: context assembly, prompt-prefix reuse across turns, send overhead.

Prints `name: value` lines with targets: `context_p95_ms` (20 questions on
an index of a copy of the standard library, repo map already computed, as
in a conversation), `prefix_shared_pct` (over a scripted 10-turn
conversation through the test model server: bytes of each prompt that
repeat the previous prompt's start, as a share of the new prompt) and
`first_token_overhead_ms` (Enter to the request reaching the server, less
context assembly). Run: `python bench/chat.py [--tree PATH]`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
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
    return ChatSession(
        files, store, resolve_roles(config), IndexRetriever(index), provider_for_role
    )


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


async def conversation(session, server) -> tuple[list[float], list[float]]:
    """Shared-prefix shares per turn, and send overheads (ms) beyond context assembly."""
    server.default("/api/chat", "The answer, with no edits: see the code above.")
    assembly: list[float] = []
    original = session.context_for

    async def timed(question, open_file=None):
        started = time.perf_counter()
        try:
            return await original(question, open_file)
        finally:
            assembly.append((time.perf_counter() - started) * 1000)

    session.context_for = timed
    overheads = []
    for question in QUESTIONS[:TURNS]:
        sent_at = time.time()
        await session.send(question)
        arrived = server.requests_to("/api/chat")[-1].started
        overheads.append((arrived - sent_at) * 1000 - assembly[-1])
    prompts = [json.dumps(r.body["messages"]) for r in server.requests_to("/api/chat")]
    shares = [
        (100 * shared_prefix(a, b) / len(a), 100 * shared_prefix(a, b) / len(b))
        for a, b in itertools.pairwise(prompts)
    ]
    return shares, overheads


async def run(root: Path, work: Path) -> None:
    from aiide_tui.index.project import CodeIndex
    from tests.support.model_server import ModelServer

    index = CodeIndex(root, state_dir=work / "index")
    started = time.perf_counter()
    index.index()
    print(f"index_s: {time.perf_counter() - started:.1f} (setup, not a figure)")
    server = ModelServer.start()
    try:
        session = make_session(root, work, index, server.url)
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
        print(f"first_token_overhead_cold_ms: {overheads[0]:.1f} (turn 1: model client loads)")
        await session.aclose()
    finally:
        server.close()
        index.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tree", type=Path, help="Index a copy of this folder instead.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        root = copy_tree(work / "tree", args.tree)
        asyncio.run(run(root, work))


if __name__ == "__main__":
    main()
