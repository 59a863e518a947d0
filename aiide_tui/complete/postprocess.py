"""Named rules that trim a model's suggestion to what belongs at the cursor.

Two kinds, as in Continue's autocomplete: *cuts* keep a leading part of the
text (they also run while the suggestion streams, on its complete lines, so
a model that over-generates is stopped early and its request closed), and
*checks* drop a suggestion altogether. Every rule is a plain function of the
text and a `Cursor`, so each has its own fixture tests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = {closer: opener for opener, closer in OPENERS.items()}
QUOTES = frozenset("\"'`")
BLOCK_CLOSERS = ("}", ")", "]", "end")
"""A line starting with one of these, back at the block's indent, ends the block."""
BRACKET_SCAN_LINES = 40
"""Lines of prefix scanned for brackets the suggestion may close."""
REPEATS_TO_STOP = 3
"""The same line this many times in a row means the model is looping."""
TAB_WIDTH = 4


@dataclass(frozen=True)
class Cursor:
    """What the rules know about where the suggestion goes."""

    prefix: str
    suffix: str
    multiline: bool = True
    stop: tuple[str, ...] = ()
    """The template's stop tokens: text from any of them on is not code."""

    @property
    def line_before(self) -> str:
        """The cursor's line, up to the cursor."""
        return self.prefix.rsplit("\n", 1)[-1]

    @property
    def line_after(self) -> str:
        """The cursor's line, from the cursor on."""
        return self.suffix.split("\n", 1)[0]

    @property
    def line_above(self) -> str:
        lines = self.prefix.rsplit("\n", 2)
        return lines[-2] if len(lines) > 1 else ""


def indent_of(line: str) -> int:
    expanded = line.expandtabs(TAB_WIDTH)
    return len(expanded) - len(expanded.lstrip(" "))


def _line_starts(text: str) -> list[int]:
    """Offsets in `text` where each of its lines starts."""
    return [0, *(index + 1 for index, character in enumerate(text) if character == "\n")]


# -- cuts ---------------------------------------------------------------------------


def cut_at_stop_tokens(text: str, cursor: Cursor) -> str:
    """Stop at the first special token the server did not strip (`<|endoftext|>`...)."""
    found = [text.find(token) for token in cursor.stop if token and token in text]
    return text[: min(found)] if found else text


def cut_to_one_line(text: str, cursor: Cursor) -> str:
    """With multi-line suggestions off: end at the first line break after some code."""
    if cursor.multiline:
        return text
    start = len(text) - len(text.lstrip())
    end = text.find("\n", start)
    return text if end < 0 else text[:end]


def cut_at_suffix_repeat(text: str, cursor: Cursor) -> str:
    """Stop where the suggestion starts writing out the text already after the cursor."""
    target = next((line.strip() for line in cursor.suffix.split("\n") if line.strip()), "")
    if target:
        blank_cursor_line = not cursor.line_before.strip() and not cursor.line_after.strip()
        starts = _line_starts(text)
        lines = text.split("\n")
        for index, line in enumerate(lines):
            whole = index > 0 or blank_cursor_line
            if whole and line.strip() == target:
                return text[: max(0, starts[index] - 1)] if index else ""
    rest = cursor.line_after.strip()
    last = text.rstrip()
    if len(rest) >= 2 and "\n" not in last and last.endswith(rest):
        return last[: -len(rest)]
    return text


def cut_at_unbalanced_bracket(text: str, cursor: Cursor) -> str:
    """Stop at a closing bracket with nothing to close, or one the suffix already has."""
    tail = "\n".join(cursor.prefix.split("\n")[-BRACKET_SCAN_LINES:])
    outer = _unclosed(tail)
    ahead = cursor.line_after.lstrip()
    opened: list[str] = []
    for index, character in _code_characters(text, _open_quote(cursor.line_before)):
        if character in OPENERS:
            opened.append(character)
        elif character in CLOSERS:
            wanted = CLOSERS[character]
            if opened:
                if opened.pop() != wanted:
                    return text[:index]
            elif not outer or outer[-1] != wanted or ahead.startswith(character):
                return text[:index]
            else:
                outer.pop()
    return text


def _unclosed(text: str) -> list[str]:
    """Opening brackets in `text` still open at its end (innermost last)."""
    stack: list[str] = []
    for _, character in _code_characters(text):
        if character in OPENERS:
            stack.append(character)
        elif character in CLOSERS and stack and stack[-1] == CLOSERS[character]:
            stack.pop()
    return stack


def _open_quote(line: str) -> str:
    """The quote of a string `line` leaves open at its end ("" if none): a suggestion at
    `print(f"` starts inside it, and its `")` closes the string, then the call."""
    quote, previous = "", ""
    for character in line:
        if quote:
            if character == quote and previous != "\\":
                quote = ""
        elif character in QUOTES:
            quote = character
        elif character == "#":
            return ""
        previous = "" if previous == "\\" else character
    return quote


def _code_characters(text: str, quote: str = "") -> Iterator[tuple[int, str]]:
    """(offset, character) outside string literals and line comments, best effort; `quote`
    is the string the text starts inside, if any.

    Strings are taken to end at their line's end, so one odd quote costs a line at most.
    """
    comment = False
    previous = ""
    for index, character in enumerate(text):
        if character == "\n":
            quote, comment = "", False
        elif comment:
            pass
        elif quote:
            if character == quote and previous != "\\":
                quote = ""
        elif character in QUOTES:
            quote = character
        elif character == "#" or (character == "/" and previous == "/"):
            comment = True
        else:
            yield index, character
        previous = "" if previous == "\\" else character


def cut_at_block_end(text: str, cursor: Cursor) -> str:
    """Stop a multi-line suggestion where the cursor's block ends (by indentation).

    Instruct models over-generate: asked for the body of `def add(a, b):` they
    write it and then two more functions. Once the suggestion has gone deeper
    than the cursor's line, coming back to its indent ends it (a closing
    `}`/`)`/`end` line at that indent is kept); going shallower ends it at once.
    On a blank line the suggestion's first line may itself go deeper: the
    cursor at column 0 below `def add(a, b):` gets `    return a + b` first.
    """
    before = cursor.line_before
    reference = len(before.expandtabs(TAB_WIDTH)) if not before.strip() else indent_of(before)
    starts = _line_starts(text)
    deeper = False
    for index, line in enumerate(text.split("\n")):
        if not line.strip():
            continue
        if index == 0:  # on a blank line its own indent adds to the cursor's column
            deeper = not before.strip() and indent_of(line) > 0
            continue
        indent = indent_of(line)
        if indent > reference:
            deeper = True
            continue
        if indent == reference and not deeper:
            continue
        if deeper and indent == reference and line.strip().startswith(BLOCK_CLOSERS):
            end = text.find("\n", starts[index])
            return text if end < 0 else text[:end]
        return text[: starts[index] - 1]
    return text


def cut_at_repeating_lines(text: str, cursor: Cursor) -> str:
    """Stop when the model writes the same line again and again."""
    starts = _line_starts(text)
    lines = text.split("\n")
    run = 1
    for index in range(1, len(lines)):
        same = lines[index].strip() and lines[index] == lines[index - 1]
        run = run + 1 if same else 1
        if run == REPEATS_TO_STOP:
            return text[: starts[index - 1] - 1]
    return text


Cut = Callable[[str, Cursor], str]
CUTS: tuple[Cut, ...] = (
    cut_at_stop_tokens,
    cut_to_one_line,
    cut_at_repeating_lines,
    cut_at_suffix_repeat,
    cut_at_unbalanced_bracket,
    cut_at_block_end,
)


def apply_cuts(text: str, cursor: Cursor) -> str:
    """Every cut, in order; each keeps a leading part of what the previous kept."""
    for cut in CUTS:
        text = cut(text, cursor)
    return text


def cut_streaming(text: str, cursor: Cursor) -> str | None:
    """While streaming: the kept text if a cut fired on the complete lines so far, else None.

    Only complete lines are judged (a partial line may still become anything),
    so a stream is stopped at most one line after its useful part.
    """
    complete = text[: text.rfind("\n") + 1]
    if not complete:
        return None
    kept = apply_cuts(complete, cursor)
    return kept if kept != complete else None


# -- checks ---------------------------------------------------------------------------


def is_blank(text: str, cursor: Cursor) -> str | None:
    return "only whitespace" if not text.strip() else None


def repeats_line_above(text: str, cursor: Cursor) -> str | None:
    """The line the suggestion writes is the line just above it."""
    lines = text.split("\n")
    if lines[0].strip():
        written, above = cursor.line_before + lines[0], cursor.line_above
    elif len(lines) > 1:
        written, above = lines[1], cursor.line_before + cursor.line_after
    else:
        return None
    if written.strip() and written.strip() == above.strip():
        return "repeats the line above"
    return None


Check = Callable[[str, Cursor], str | None]
CHECKS: tuple[Check, ...] = (is_blank, repeats_line_above)


def finish(text: str, cursor: Cursor) -> str | None:
    """The suggestion to show: cut, trailing whitespace removed; None when a check drops it."""
    text = apply_cuts(text, cursor).rstrip()
    if any(check(text, cursor) is not None for check in CHECKS):
        return None
    return text
