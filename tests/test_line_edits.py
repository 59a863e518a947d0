"""Indent, dedent and comment toggling on whole lines, as the editor applies them."""

from __future__ import annotations

import pytest

from aiide_tui.line_edits import (
    COMMENT_STYLES,
    CommentStyle,
    dedent_lines,
    indent_lines,
    toggle_comment,
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
