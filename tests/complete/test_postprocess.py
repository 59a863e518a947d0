"""Each post-processing rule against fixture cases: what a model wrote, what is kept."""

from __future__ import annotations

import pytest

from aiide_tui.complete.postprocess import (
    Cursor,
    cut_at_block_end,
    cut_at_repeating_lines,
    cut_at_stop_tokens,
    cut_at_suffix_repeat,
    cut_at_unbalanced_bracket,
    cut_streaming,
    cut_to_one_line,
    finish,
    is_blank,
    repeats_line_above,
)

ADD = "def add(a, b):\n    "
OVERGENERATED = "return a + b\n\n\ndef sub(a, b):\n    return a - b\n"


@pytest.mark.parametrize(
    ("prefix", "suffix", "text", "kept"),
    [
        pytest.param(ADD, "", OVERGENERATED, "return a + b\n\n", id="body-then-more-functions"),
        pytest.param(
            "def add(a, b):",
            "\n",
            "\n    return a + b\n\ndef sub(a, b):\n    return a - b",
            "\n    return a + b\n",
            id="from-the-def-line",
        ),
        pytest.param(
            "int main() {\n    if (x) ",
            "\n    return 0;\n}",
            "{\n        y();\n    }\n    z();\n",
            "{\n        y();\n    }",
            id="closing-brace-kept-then-stop",
        ),
        pytest.param(
            "class A:\n    def f(self):\n        ",
            "",
            "x = 1\n        y = 2\n    def g(self):",
            "x = 1\n        y = 2",
            id="same-indent-lines-kept-dedent-stops",
        ),
        pytest.param(
            "def add(a, b):\n",
            "",
            "    return a + b\n\ndef sub(a, b):\n    return a - b",
            "    return a + b\n",
            id="cursor-at-column-0-below-the-def",
        ),
        pytest.param(
            "",
            "",
            "def add(a, b):\n    return a + b\n\ndef sub(a, b):",
            "def add(a, b):\n    return a + b\n",
            id="a-whole-function-at-module-level",
        ),
        pytest.param("x = ", "", "compute(1)", "compute(1)", id="single-line-untouched"),
    ],
)
def test_block_end(prefix: str, suffix: str, text: str, kept: str) -> None:
    assert cut_at_block_end(text, Cursor(prefix, suffix)) == kept


@pytest.mark.parametrize(
    ("prefix", "suffix", "text", "kept"),
    [
        pytest.param(
            "def f():\n    ",
            "\n    return total\n",
            "total = 0\n    for x in xs:\n        total += x\n    return total\n",
            "total = 0\n    for x in xs:\n        total += x",
            id="rewrites-the-next-line",
        ),
        pytest.param("print(", '")', 'hello")', "hello", id="rest-of-line-repeated-at-end"),
        pytest.param("f(", ")", "g(x)", "g(x)", id="own-bracket-not-a-repeat"),
        pytest.param("    ", "\n    }\n", "a();\n    }", "a();", id="closing-line-already-there"),
        pytest.param("", "\nreturn 1\n", "return 1", "", id="blank-line-repeats-next-line"),
        pytest.param("x = ", "\nreturn 1", "return 1", "return 1", id="mid-line-is-not-a-line"),
    ],
)
def test_suffix_repeat(prefix: str, suffix: str, text: str, kept: str) -> None:
    assert cut_at_suffix_repeat(text, Cursor(prefix, suffix)) == kept


@pytest.mark.parametrize(
    ("prefix", "suffix", "text", "kept"),
    [
        pytest.param("x = foo(", ")", "a, b)", "a, b", id="suffix-already-closes"),
        pytest.param("x = foo(", "", "a, b)", "a, b)", id="closes-the-prefix-bracket"),
        pytest.param("x = ", "", "a + b)\nprint(x)", "a + b", id="nothing-to-close"),
        pytest.param("x = ", "", "[1, (2, 3])", "[1, (2, 3", id="mismatched"),
        pytest.param("x = ", "", 'print(")")', 'print(")")', id="bracket-in-string"),
        pytest.param("x = ", "", "f(a)  # )", "f(a)  # )", id="bracket-in-comment"),
        pytest.param("call(", "", "[\n    1,\n])", "[\n    1,\n])", id="multi-line-balanced"),
        # the cursor inside a string the line opened: its `")` closes the string, then the
        # call, which the rest of the line already closes (it was doubled on Tab)
        pytest.param(
            'print(f"',
            ")",
            "{t.title} - {' '.join(t.tags)}\")",
            "{t.title} - {' '.join(t.tags)}\"",
            id="inside-a-string-the-line-opened",
        ),
        pytest.param('x = "a # b', "", '")', '"', id="a-hash-inside-a-string-is-no-comment"),
    ],
)
def test_unbalanced_bracket(prefix: str, suffix: str, text: str, kept: str) -> None:
    assert cut_at_unbalanced_bracket(text, Cursor(prefix, suffix)) == kept


def test_stop_tokens() -> None:
    cursor = Cursor("x = ", "", stop=("<|endoftext|>", "<|file_sep|>"))
    assert cut_at_stop_tokens("1<|file_sep|>junk<|endoftext|>", cursor) == "1"
    assert cut_at_stop_tokens("1 + 2", cursor) == "1 + 2"


def test_one_line_when_multiline_is_off() -> None:
    cursor = Cursor("def f():", "", multiline=False)
    assert cut_to_one_line("\n    return 1\n    x", cursor) == "\n    return 1"
    assert cut_to_one_line("a + b\nc", Cursor("x = ", "", multiline=False)) == "a + b"
    assert cut_to_one_line("a\nb", Cursor("x = ", "")) == "a\nb"


def test_repeating_lines() -> None:
    text = "x += 1\nx += 1\nx += 1\nx += 1\n"
    assert cut_at_repeating_lines(text, Cursor("", "")) == "x += 1"
    assert cut_at_repeating_lines("a\na\nb\n", Cursor("", "")) == "a\na\nb\n"


@pytest.mark.parametrize(
    ("prefix", "suffix", "text", "dropped"),
    [
        pytest.param("x = 1\n", "", "  \n\t", True, id="whitespace-only"),
        pytest.param("x = 1\n", "", "x = 1", True, id="repeats-line-above"),
        pytest.param("x = 1\nx", "", " = 1", True, id="repeats-line-above-when-joined"),
        pytest.param("x = 1", "", "\nx = 1", True, id="next-line-repeats-cursor-line"),
        pytest.param("x = 1\n", "", "y = 2", False, id="new-line"),
    ],
)
def test_checks(prefix: str, suffix: str, text: str, dropped: bool) -> None:
    cursor = Cursor(prefix, suffix)
    found = is_blank(text, cursor) or repeats_line_above(text, cursor)
    assert (found is not None) == dropped
    assert (finish(text, cursor) is None) == dropped


def test_finish_applies_every_cut_and_strips() -> None:
    cursor = Cursor(ADD, "", stop=("<|endoftext|>",))
    assert finish(OVERGENERATED + "<|endoftext|>", cursor) == "return a + b"


def test_streaming_judges_complete_lines_only() -> None:
    cursor = Cursor(ADD, "")
    assert cut_streaming("return a +", cursor) is None
    assert cut_streaming("return a + b\n\n\ndef", cursor) is None
    assert cut_streaming("return a + b\n\n\ndef sub(a, b):\n", cursor) == "return a + b\n\n"
