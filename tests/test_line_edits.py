"""Indent, dedent and comment toggling on whole lines, as the editor applies them."""

from __future__ import annotations

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from aiide_tui.line_edits import (
    COMMENT_STYLES,
    CommentStyle,
    break_line,
    dedent_lines,
    detect_indentation,
    indent_lines,
    opener_indent,
    paste_indented,
    toggle_comment,
    unindent_stop,
)
from aiide_tui.ui.syntax import languages

BLOCK = ["def f(x):", "", "    return x", "  # already a comment"]


def test_indent_and_dedent_leave_blank_lines_alone() -> None:
    assert indent_lines(BLOCK, "    ") == [
        "    def f(x):", "", "        return x", "      # already a comment",
    ]  # fmt: skip
    assert dedent_lines(["        a", "  b", "c", "\td", ""], 4) == ["    a", "b", "c", "d", ""]


def test_commenting_keeps_the_block_shape_and_uncommenting_restores_it() -> None:
    lines = ["    if x:", "", "        y = 1  # set", "    z()"]
    commented = toggle_comment(lines, CommentStyle("#"))
    assert commented == ["    # if x:", "", "    #     y = 1  # set", "    # z()"]
    assert toggle_comment(commented, CommentStyle("#")) == lines


def test_a_mix_of_commented_and_plain_lines_is_commented_as_a_whole() -> None:
    mixed = ["# note", "code()"]
    assert toggle_comment(mixed, CommentStyle("#")) == ["# # note", "# code()"]


def test_uncommenting_takes_one_space_only_and_works_without_it() -> None:
    assert toggle_comment(["//x", "//   y"], CommentStyle("//")) == ["x", "  y"]


def test_block_only_languages_wrap_each_line() -> None:
    html = CommentStyle("<!--", "-->")
    assert toggle_comment(["  <p>hi</p>"], html) == ["  <!-- <p>hi</p> -->"]
    assert toggle_comment(["  <!-- <p>hi</p> -->"], html) == ["  <p>hi</p>"]
    assert toggle_comment(["", "  "], html) == ["", "  "]


@pytest.mark.parametrize("language", sorted(set(languages()) - {"json", "regex"}))
def test_every_language_the_editor_highlights_has_a_comment_style(language: str) -> None:
    assert language in COMMENT_STYLES


def _enter(line: str, unit: str = "    ", language: str | None = "python") -> str:
    """The line after Enter at its `|`, with `|` where the cursor lands."""
    before, after = line.split("|")
    cut = break_line(before, after, unit, language)
    kept = before[: len(before) - cut.drop_before]
    return kept + cut.text[: cut.cursor] + "|" + cut.text[cut.cursor :] + after[cut.drop_after :]


@pytest.mark.parametrize(
    ("line", "language", "unit", "result"),
    [
        ("    x = 1|", "python", "    ", "    x = 1\n    |"),
        ("def f(x):|", "python", "    ", "def f(x):\n    |"),
        ("    if ready:  # go|", "python", "    ", "    if ready:  # go\n        |"),
        ("    items = [|]", "python", "    ", "    items = [\n        |\n    ]"),
        ("if (ok) {|}", "javascript", "  ", "if (ok) {\n  |\n}"),
        ("\tif x:|", "python", "\t", "\tif x:\n\t\t|"),
        ("        return total|", "python", "    ", "        return total\n    |"),
        ("\t\traise|", "python", "\t", "\t\traise\n\t|"),
        ("return_value = 2|", "python", "    ", "return_value = 2\n|"),
        ("key:|", "yaml", "  ", "key:\n  |"),
        ("case 1:|", "c", "    ", "case 1:\n|"),
        ("    total = a +   |  b", "python", "    ", "    total = a +\n    |b"),
        ("    |    x = 1", "python", "    ", "\n    |    x = 1"),
        ("    |", "python", "    ", "\n    |"),
        ('    s = "a # b:"|', "python", "    ", '    s = "a # b:"\n    |'),
        ("    # a comment: (see|", "python", "    ", "    # a comment: (see\n    |"),
        ("// note {|", "javascript", "  ", "// note {\n|"),
    ],
)
def test_enter_keeps_indentation_and_follows_blocks(
    line: str, language: str, unit: str, result: str
) -> None:
    assert _enter(line, unit, language) == result


def test_enter_mid_line_is_a_plain_insertion() -> None:
    """No characters dropped either side: the editor's typing-through-a-suggestion holds."""
    cut = break_line("    total = compute", "(x)", "    ", "python")
    assert (cut.drop_before, cut.drop_after, cut.text) == (0, 0, "\n    ")


def test_enter_inside_an_open_bracket_indents_once():
    assert _enter("    total = add(a,|") == "    total = add(a,\n        |"
    assert _enter('    s = "(" + x|') == '    s = "(" + x\n    |'  # a bracket in a string
    assert _enter("    x = f(a)  # (note|") == "    x = f(a)  # (note\n    |"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("def f():\n\tif x:\n\t\treturn 1\n", (True, 3)),  # a tab shows 3 wide here
        ("a:\n  b:\n    c: 1\n  d: 2\n", (False, 2)),
        ("class A:\n    def f(self):\n        pass\n", (False, 4)),
        ("x = 1\ny = 2\n", (False, 3)),  # says nothing: the default
    ],
)
def test_indentation_is_read_from_the_file(text: str, expected: tuple[bool, int]) -> None:
    assert tuple(detect_indentation(text, 3)) == expected


def test_backspace_in_leading_spaces_goes_to_the_previous_stop() -> None:
    assert [unindent_stop(before, 4) for before in ("    ", "      ", "        ")] == [4, 2, 4]
    assert unindent_stop("  x ", 4) == 1 and unindent_stop("", 4) == 1


@settings(max_examples=500)
@example(line="    # a note", at=12, language="python")  # the comment is the whole line
@given(
    line=st.text(alphabet=" \tx#/:(){}\"'`", max_size=24),
    at=st.integers(min_value=0, max_value=24),
    language=st.sampled_from(["python", "javascript", "yaml", None]),
)
def test_enter_never_fails_and_only_moves_whitespace(line: str, at: int, language) -> None:
    """Any line, any cursor: no exception, and the characters Enter drops are spaces."""
    at = min(at, len(line))
    cut = break_line(line[:at], line[at:], "    ", language)
    dropped = line[at - cut.drop_before : at] + line[at : at + cut.drop_after]
    assert not dropped.strip(" \t") and cut.text.startswith("\n")
    assert not cut.text.strip(" \t\n") and 0 < cut.cursor <= len(cut.text)


def test_a_line_that_closes_a_bracket_goes_back_to_the_openers_indentation():
    above = ["def f():", "    data = call(", "        1,"]
    assert break_line("        )", "", "    ", "python", above).text == "\n    "
    nested = ["d = {", "    'a': [1,"]  # `]` closed, the dict still open: its inside
    assert break_line("        2],", "", "    ", "python", nested).text == "\n    "
    assert break_line("    }", "", "    ", "python", [*nested, "        2],"]).text == "\n"
    # without the lines above (or an opener in them) the line's own indentation stays
    assert break_line("        )", "", "    ", "python").text == "\n        "
    assert opener_indent(["x = 1"], 1) is None
    assert opener_indent(["f(a, ')'", "  b,"], 1) == ""  # brackets in strings do not count


BODY = "def a(self):\n    if x:\n        return 1\n    return 2\n"
MOVED = "def a(self):\n        if x:\n            return 1\n        return 2\n"


@pytest.mark.parametrize(
    ("text", "indent", "unit", "pasted"),
    [
        # lines copied whole, pasted where auto-indent left the cursor: the block moves in
        (BODY, "    ", "    ", MOVED),
        # copied from the first word of an indented block: its body was already deeper
        ("def a():\n        pass", "    ", "    ", "def a():\n        pass"),
        # statements at one depth, the first copied without its indentation
        ("x = 1\n    y = 2", "        ", "    ", "x = 1\n        y = 2"),
        # the first line's own indentation is replaced, not added to
        ("    def a():\n        pass", "    ", "    ", "def a():\n        pass"),
        # a terminal's paste ends its lines with CR (tmux, xterm, VTE, iTerm2)
        (BODY.replace("\n", "\r"), "    ", "    ", MOVED),
        # blank lines stay blank (no trailing spaces); tabs stay tabs
        ("if x:\n\n\treturn 1", "\t", "\t", "if x:\n\n\t\treturn 1"),
        # after code on the line, or a single line: as it is
        ("one\n  two", "x = ", "    ", "one\n  two"),
        ("  single", "    ", "    ", "  single"),
    ],
)
def test_pasted_lines_keep_their_shape_at_the_cursors_depth(text, indent, unit, pasted):
    assert paste_indented(text, indent, unit) == pasted
