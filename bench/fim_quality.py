"""Benchmark real completion quality: single-line holes in the standard library, filled by a model.

Copies a dozen standard-library packages (code that calls across files),
indexes them, and picks holes with a fixed seed: in a function, the line
after its first statement (a one-line statement of at least 6 characters).
Each hole is asked of the model through aiide's own FIM engine (context
windows, prompt budget, template, streaming cuts, post-processing), twice
side by side: without cross-file context, and with snippets from the index
(the definitions, in other files, of the names used just above the cursor).
Prints, per variant, `exact_match` (the suggestion is the line), the mean
`edit_similarity` (difflib ratio) and `p50_latency_s`.

The model is the default code model through the `local` provider (install it
with `aiide models install`); `--model` names another registry model or a
.gguf file. About 5 s a hole per variant on two cores.
Run: `python bench/fim_quality.py [--holes 100] [--seed 7]`.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import builtins
import difflib
import keyword
import random
import re
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

PACKAGES = (
    "email", "json", "http", "urllib", "concurrent", "logging", "importlib",
    "xmlrpc", "wsgiref", "html", "sqlite3", "asyncio",
)  # fmt: skip
RECENT_LINES = 20
NAMES_ASKED = 8
SNIPPET_LINES = 12
IDENTIFIER = re.compile(r"\b[A-Za-z_][A-Za-z0-9_]{2,}\b")
COMMON = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"self", "cls"}
"""Names whose definitions say nothing about this project."""


@dataclass(frozen=True)
class Hole:
    path: str
    prefix: str
    suffix: str
    expected: str


@dataclass
class Variant:
    name: str
    exact: int = 0
    similarity: float = 0.0
    latencies: list[float] | None = None

    def add(self, expected: str, got: str, seconds: float) -> None:
        line = got.split("\n", 1)[0].rstrip()
        self.exact += line.strip() == expected.strip()
        self.similarity += difflib.SequenceMatcher(None, line.strip(), expected.strip()).ratio()
        self.latencies = [*(self.latencies or []), seconds]


def copy_packages(target: Path) -> Path:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "test", "tests")
    for name in PACKAGES:
        if (stdlib / name).is_dir():
            shutil.copytree(stdlib / name, target / name, ignore=ignore)
    return target


def holes_in(root: Path, path: Path) -> list[Hole]:
    text = path.read_text("utf-8", errors="replace")
    try:
        tree = ast.parse(text)
    except SyntaxError:
        return []
    lines = text.splitlines(keepends=True)
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or len(node.body) < 2:
            continue
        target = node.body[1]
        if target.lineno != target.end_lineno:
            continue
        line = lines[target.lineno - 1]
        indent = len(line) - len(line.lstrip())
        expected = line.strip()
        if len(expected) < 6 or expected.startswith("#"):
            continue
        start = sum(len(item) for item in lines[: target.lineno - 1])
        prefix = text[: start + indent]
        suffix = text[start + len(line.rstrip("\n")) :]
        found.append(Hole(str(path.relative_to(root)), prefix, suffix, expected))
    return found


def pick_holes(root: Path, count: int, seed: int) -> list[Hole]:
    candidates = [hole for path in sorted(root.rglob("*.py")) for hole in holes_in(root, path)]
    return random.Random(seed).sample(candidates, min(count, len(candidates)))


class IndexSnippets:
    """Cross-file context: definitions elsewhere of the names used just above the cursor."""

    def __init__(self, index, root: Path) -> None:
        self.index = index
        self.root = root

    async def snippets(self, path: str, prefix: str, suffix: str, *, max_tokens: int):
        return await asyncio.to_thread(self._find, path, prefix)

    def _find(self, path: str, prefix: str):
        from aiide_tui.complete.context import Snippet

        recent = "\n".join(prefix.splitlines()[-RECENT_LINES:])
        names = [name for name in IDENTIFIER.findall(recent) if name not in COMMON]
        found, seen = [], set()
        for rank, name in enumerate(list(dict.fromkeys(reversed(names)))[:NAMES_ASKED]):
            for symbol in self.index.definitions(name)[:2]:
                key = (symbol.path, symbol.start_line)
                if symbol.path == path or key in seen:
                    continue
                seen.add(key)
                text = self._lines(symbol.path, symbol.start_line, symbol.end_line)
                found.append(Snippet(symbol.path, text, score=1.0 / (rank + 1), reason=name))
        return found

    def _lines(self, path: str, start: int, end: int) -> str:
        lines = (self.root / path).read_text("utf-8", errors="replace").splitlines()
        return "\n".join(lines[start - 1 : min(end, start - 1 + SNIPPET_LINES)])


async def ask(engine, hole: Hole) -> tuple[str, float]:
    from aiide_tui.complete.request import CompletionRequest

    request = CompletionRequest(hole.path, hole.prefix, hole.suffix, language="python")
    started = time.perf_counter()
    completion = await engine.complete(request)
    return (completion.text if completion else ""), time.perf_counter() - started


def role(model: str):
    from aiide_tui.llm.roles import Role

    return Role(
        name="fim", provider="local", model=model, base_url="", num_ctx=4096, max_tokens=48,
        temperature=0.0, first_token_timeout_s=120.0, idle_timeout_s=60.0,
    )  # fmt: skip


async def run(holes: list[Hole], index, root: Path, model: str) -> list[Variant]:
    from aiide_tui.complete.engine import CompletionEngine
    from aiide_tui.config import CompleteConfig
    from aiide_tui.llm.local import LocalProvider

    provider = LocalProvider(role(model))
    await provider.warm_up()
    config = CompleteConfig(debounce_min_ms=0, debounce_max_ms=0, multiline=False, max_tokens=48)
    plain = CompletionEngine(provider, config)
    context = CompletionEngine(provider, config, snippets=IndexSnippets(index, root))
    variants = [Variant("without_context"), Variant("with_context")]
    try:
        for number, hole in enumerate(holes, start=1):
            for variant, engine in zip(variants, (plain, context), strict=True):
                got, seconds = await ask(engine, hole)
                variant.add(hole.expected, got, seconds)
            print(f"  {number}/{len(holes)}", end="\r", file=sys.stderr, flush=True)
    finally:
        await provider.aclose()
    return variants


def report(variants: list[Variant], holes: int, model: str) -> None:
    print(f"model: {model}")
    print(f"holes: {holes}")
    for variant in variants:
        p50 = statistics.median(variant.latencies or [0.0])
        print(
            f"{variant.name}: exact_match={variant.exact / holes:.2f} "
            f"edit_similarity={variant.similarity / holes:.3f} p50_latency_s={p50:.2f}"
        )
    gain = (variants[1].exact - variants[0].exact) / holes
    print(f"exact_match_gain_from_context: {gain:+.2f}  (target: above 0)")


def main() -> None:
    from aiide_tui.index.project import CodeIndex
    from aiide_tui.models.registry import DEFAULT_CODE_MODEL

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--holes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--model", default=DEFAULT_CODE_MODEL)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        root = copy_packages(Path(folder) / "stdlib")
        holes = pick_holes(root, args.holes, args.seed)
        index = CodeIndex(root, state_dir=Path(folder) / "state")
        try:
            index.index()
            variants = asyncio.run(run(holes, index, root, args.model))
        finally:
            index.close()
    report(variants, len(holes), args.model)


if __name__ == "__main__":
    main()
