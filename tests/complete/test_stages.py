"""The engine's cheap stages: when to ask, how long to wait, what context to send."""

from __future__ import annotations

import asyncio

import pytest

from aiide_tui.complete.context import (
    Snippet,
    build_context,
    estimate_tokens,
    gather_snippets,
    prefix_window,
    suffix_window,
)
from aiide_tui.complete.debounce import AdaptiveDebounce, context_score
from aiide_tui.complete.request import CompletionRequest
from aiide_tui.complete.trigger import refusal
from aiide_tui.config import CompleteConfig


def request(prefix: str, suffix: str = "", **fields) -> CompletionRequest:
    return CompletionRequest("src/app.py", prefix, suffix, **{"language": "python", **fields})


# -- trigger -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("req", "config", "reason"),
    [
        (request("x = "), CompleteConfig(), None),
        (request("x = f(", ")\n"), CompleteConfig(), None),
        (request("x = "), CompleteConfig(enabled=False), "completion is off"),
        (
            request("# ", language="markdown"),
            CompleteConfig(disabled_languages="Markdown, text"),
            "completion is off for markdown",
        ),
        (
            request("hello", language=None),
            CompleteConfig(disabled_languages="text"),
            "completion is off for text",
        ),
        (request("x = ", kind="delete"), CompleteConfig(), "text was deleted"),
        (request("pri", "nt(x)"), CompleteConfig(), "the cursor is inside a word"),
        (request("x = ", " + y\n"), CompleteConfig(), "text follows the cursor on its line"),
    ],
)
def test_trigger(req: CompletionRequest, config: CompleteConfig, reason: str | None) -> None:
    assert refusal(req, config) == reason


# -- debounce ------------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_debounce_follows_the_typing_rhythm() -> None:
    clock = FakeClock()
    fast = AdaptiveDebounce(10, 2000, clock=clock)
    slow = AdaptiveDebounce(10, 2000, clock=clock)
    for _ in range(20):
        fast.keystroke()
        clock.now += 0.08
    for _ in range(20):
        slow.keystroke()
        clock.now += 0.3
    mid_word = request("x = valu")
    assert fast.rhythm_s == pytest.approx(0.08)
    assert slow.rhythm_s == pytest.approx(0.3)
    assert fast.delay_s(mid_word) < slow.delay_s(mid_word)
    assert fast.delay_s(mid_word) > fast.rhythm_s  # waits for a pause, not a key


def test_debounce_ignores_pauses_and_respects_bounds() -> None:
    clock = FakeClock()
    debounce = AdaptiveDebounce(50, 400, clock=clock)
    for _ in range(20):
        debounce.keystroke()
        clock.now += 5.0  # reading, not typing
    assert debounce.rhythm_s == pytest.approx(0.18)  # no rhythm learnt: the default
    for _ in range(20):
        debounce.keystroke()
        clock.now += 0.01
    assert debounce.delay_s(request("x = valu", "\nmore")) == pytest.approx(0.05)
    for _ in range(40):
        debounce.keystroke()
        clock.now += 1.0
    assert debounce.delay_s(request("x = valu", "\nmore")) == pytest.approx(0.4)


def test_debounce_is_shorter_where_a_suggestion_is_wanted() -> None:
    debounce = AdaptiveDebounce(0, 5000)
    inside = request("x = valu", " + y\nmore")
    line_end = request("def f(", "\nmore")
    at_end = request("def f(", "")
    assert context_score(inside) == 0
    assert context_score(at_end) == pytest.approx(1.0)
    assert debounce.delay_s(at_end) < debounce.delay_s(line_end) < debounce.delay_s(inside)


# -- context -------------------------------------------------------------------------


LINES = "".join(f"line {number:03}\n" for number in range(200))


def test_windows_cut_at_line_boundaries() -> None:
    prefix = LINES + "x = "
    window = prefix_window(prefix, 20)
    assert window.endswith("x = ") and prefix.endswith(window)
    assert window.startswith("line ") and estimate_tokens(window) <= 20
    assert len(window) > 40
    suffix = ")\n" + LINES
    head = suffix_window(suffix, 20)
    assert head.startswith(")\nline 000") and suffix.startswith(head)
    assert head.endswith(tuple("0123456789")) and estimate_tokens(head) <= 20


def test_indentation_costs_about_one_token_however_wide() -> None:
    assert estimate_tokens(" " * 40 + "x = 1\n") == estimate_tokens("\tx = 1\n") == 3
    flush = "".join(f"value_{number} = {number}\n" for number in range(100))
    nested = "".join(" " * 16 + line for line in flush.splitlines(keepends=True))
    lines = [
        window(text, 100).count("\n")
        for window in (prefix_window, suffix_window)
        for text in ("\n" + flush, "\n" + nested)
    ]
    # a line 16 spaces deeper costs one token more, not five: most of the lines still fit
    assert lines[1] >= 0.75 * lines[0] and lines[3] >= 0.75 * lines[2]


def test_a_long_cursor_line_is_cut_by_characters() -> None:
    assert prefix_window("a\n" + "b" * 1000, 10) == "b" * 35
    assert suffix_window("c" * 1000 + "\nd", 10) == "c" * 35


def test_snippets_come_on_top_of_the_windows() -> None:
    snippets = [
        Snippet("lib/util.py", "def helper():\n    return 42\n", score=0.9),
        Snippet("src/app.py", "same file: never used\n", score=1.0),
        Snippet("lib/big.py", "x = 1\n" * 200, score=0.5),
    ]
    req = request(LINES + "x = ", ")\n" + LINES)
    context = build_context(req, 400, snippets, snippet_tokens=140)
    assert [snippet.path for snippet in context.snippets] == ["lib/util.py"]
    assert estimate_tokens(context.prefix + context.suffix) <= 400
    assert estimate_tokens(context.suffix) <= 100
    assert context.prefix.endswith("x = ") and context.suffix.startswith(")")
    alone = build_context(req, 400)
    assert (alone.prefix, alone.suffix) == (context.prefix, context.suffix)
    assert alone.snippets == ()


class SlowSource:
    async def snippets(self, path, prefix, suffix, *, max_tokens):
        await asyncio.sleep(1)
        return [Snippet("a.py", "x")]


class BrokenSource:
    async def snippets(self, path, prefix, suffix, *, max_tokens):
        raise RuntimeError("index is being rebuilt")


class GoodSource:
    async def snippets(self, path, prefix, suffix, *, max_tokens):
        return [Snippet("a.py", "def a(): ...", 0.2), Snippet("b.py", "def b(): ...", 0.8)]


async def test_snippets_are_raced_and_fail_soft() -> None:
    req = request("x = ")
    assert await gather_snippets(None, req, 100) == ()
    assert await gather_snippets(SlowSource(), req, 100, timeout_s=0.02) == ()
    assert await gather_snippets(BrokenSource(), req, 100) == ()
    found = await gather_snippets(GoodSource(), req, 100)
    assert [snippet.path for snippet in found] == ["b.py", "a.py"]
