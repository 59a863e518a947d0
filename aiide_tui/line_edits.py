"""Edits on whole lines that an editor offers beyond typing: indent, dedent, toggle comment,
and the line break that keeps the indentation.

Pure functions over lists of lines, so they are tested without a screen; the
editor applies each result as one replacement (one undo step). Blank lines are
left alone, as in every editor people are used to: commenting a block does not
put `#` on its empty lines, and indenting does not leave trailing spaces.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import NamedTuple


class CommentStyle(NamedTuple):
    """How a language comments a line: `start`, and `end` for block-only languages."""

    start: str
    end: str = ""


_HASH = ("bash", "python", "yaml", "toml", "make", "dockerfile", "ruby", "r", "perl", "elixir")
_SLASHES = (
    "c", "cpp", "csharp", "go", "java", "javascript", "typescript", "tsx", "rust", "kotlin",
    "swift", "scala", "php", "dart", "zig",
)  # fmt: skip
COMMENT_STYLES: dict[str, CommentStyle] = {
    **dict.fromkeys(_HASH, CommentStyle("#")),
    **dict.fromkeys(_SLASHES, CommentStyle("//")),
    **dict.fromkeys(("sql", "lua", "haskell"), CommentStyle("--")),
    **dict.fromkeys(("html", "xml", "markdown"), CommentStyle("<!--", "-->")),
    "css": CommentStyle("/*", "*/"),
}
"""By the editor's language names (`ui.syntax`); JSON has no comments."""


OPENERS = {"(": ")", "[": "]", "{": "}"}
CLOSERS = frozenset(OPENERS.values())
COLON_OPENS = frozenset({"python", "yaml"})
"""Languages where a line ending in `:` opens a block (`def f():`, `key:`)."""
PYTHON_EXITS = re.compile(r"(?:return|pass|break|continue|raise)\b")
"""Python statements after which a block ends: the next line goes back one level."""
TRAILING_COMMENT = re.compile(r"(?:^|\s+)(?:#|//)[^'\"`]*$")
"""A comment ending the line (or filling it), outside any string, roughly."""


class LineBreak(NamedTuple):
    """What Enter does at the cursor: drop characters either side, put `text` there, and
    leave the cursor `cursor` characters into it."""

    drop_before: int
    drop_after: int
    text: str
    cursor: int


class Indentation(NamedTuple):
    """How a file indents: with tabs, or with `width` spaces a level."""

    tabs: bool
    width: int


def detect_indentation(text: str, default_width: int, *, sample: int = 2000) -> Indentation:
    """The file's own indentation, read from its first lines: tabs when more lines start with
    a tab than with spaces; the space width is the most common step between the indents of
    neighbouring lines (as VS Code guesses it). `default_width` when the text does not say."""
    tabbed = spaced = 0
    steps: dict[int, int] = {}
    previous = 0
    for line in text[: sample * 120].splitlines()[:sample]:  # never the whole of a huge file
        if not line.strip():
            continue
        if line.startswith("\t"):
            tabbed += 1
            continue
        indent = len(line) - len(line.lstrip(" "))
        spaced += indent > 0
        step = indent - previous
        if 2 <= step <= 8:
            steps[step] = steps.get(step, 0) + 1
        previous = indent
    if tabbed > spaced:
        return Indentation(True, default_width)
    return Indentation(
        False, max(steps, key=lambda width: (steps[width], -width)) if steps else default_width
    )


def unindent_stop(before: str, width: int) -> int:
    """How many spaces Backspace takes when `before` (the line up to the cursor) is only
    spaces: back to the previous indentation stop; 1 elsewhere."""
    if not before or before.strip(" ") or width < 2:
        return 1
    return (len(before) - 1) % width + 1


def _open_bracket(code: str) -> bool:
    """Whether `code` (one line) leaves a bracket open, strings and comments aside."""
    return _brackets(code)[1] > 0


def _brackets(code: str) -> tuple[int, int]:
    """(closed, opened): the brackets one line closes that it did not open, and those it
    leaves open, strings and comments aside."""
    depth = closed = 0
    quote = ""
    for index, char in enumerate(code):
        if quote:
            if char == quote and code[index - 1] != "\\":
                quote = ""
        elif char in "'\"`":
            quote = char
        elif char == "#" or code.startswith("//", index):
            break
        elif char in OPENERS:
            depth += 1
        elif char in ")]}":
            if depth:
                depth -= 1
            else:
                closed += 1
    return closed, depth


CLOSER_LOOKBACK_LINES = 200
"""How far up `opener_indent` looks for the line that opened a bracket."""


def opener_indent(above: Sequence[str], closed: int) -> str | None:
    """The indentation of the line that opened the outermost of `closed` brackets a line
    closes, looking up through `above` (the lines over it, nearest last); None if not found."""
    needed = closed
    for line in reversed(above[-CLOSER_LOOKBACK_LINES:]):
        more, opened = _brackets(line)
        needed += more - opened
        if needed <= 0:
            return line[: len(line) - len(line.lstrip())]
    return None


def break_line(
    before: str, after: str, unit: str, language: str | None, above: Sequence[str] = ()
) -> LineBreak:
    """Split a line at the cursor (`before` | `after`) the way code editors do.

    The new line starts at the line's indentation: one level deeper after an opening
    bracket, inside one left open (`call(a,`), or after a `:` in Python and YAML; one level
    shallower after Python's `return`, `pass`, `raise`...; back at the indentation of the
    line that opened a bracket this line closes (`)` under `data = call(`), found in `above`
    (the lines over this one, nearest last). A bracket closed right after the cursor goes to
    a line of its own. No trailing spaces are left behind, and a cursor in the indentation
    just moves the line down. Usually this is a plain insertion, so typing through a
    suggestion works.
    """
    if not before.strip():
        text = "\n" + before
        return LineBreak(len(before), 0, text, len(text))
    head = before.rstrip()
    tail = after.lstrip(" \t")
    drops = (len(before) - len(head), len(after) - len(tail))
    indent = before[: len(before) - len(before.lstrip())]
    code = TRAILING_COMMENT.sub("", head)
    opener = code[-1] if code.strip() else ""  # a line that is only a comment opens nothing
    opens = opener == ":" and language in COLON_OPENS
    if opener in OPENERS or opens or _open_bracket(head):
        inner = "\n" + indent + unit
        if opener in OPENERS and tail.startswith(OPENERS[opener]):
            return LineBreak(*drops, f"{inner}\n{indent}", len(inner))
        return LineBreak(*drops, inner, len(inner))
    closed, _ = _brackets(code)
    if closed and (outer := opener_indent(above, closed)) is not None:
        indent = outer
    elif language == "python" and not tail and PYTHON_EXITS.match(head.lstrip()):
        indent = indent[:-1] if indent.endswith("\t") else indent[: -len(unit) or None]
    return LineBreak(*drops, "\n" + indent, 1 + len(indent))


def paste_indented(text: str, indent: str, unit: str) -> str:
    """Lines pasted where a line's indentation ends (`indent`, all the line holds before the
    cursor), moved as a block to that depth: pasted as they were, only the first line sat
    at it (`def a():` under `class A:` with its body left at the margin).

    The block's own depth is its first line's; a first line copied without its indentation
    (selected from its first word) is as deep as the least indented line after it, or one
    level (`unit`) shallower when it opens a block (`if x:`, `{`)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # terminals paste CR
    if len(lines) < 2 or indent.strip():
        return text
    width = len(unit.expandtabs(4)) or 4

    def depth(line: str) -> int:
        return len(line[: len(line) - len(line.lstrip(" \t"))].expandtabs(width))

    body = [depth(line) for line in lines[1:] if line.strip()]
    first = depth(lines[0])
    if first == 0 and body:
        code = TRAILING_COMMENT.sub("", lines[0]).rstrip()
        opens = code.endswith((":", *OPENERS))
        first = max(min(body) - width, 0) if opens else min(body)

    def moved(line: str) -> str:
        if not line.strip():
            return ""
        extra = max(depth(line) - first, 0)
        deeper = "\t" * (extra // width) + " " * (extra % width) if unit == "\t" else " " * extra
        return indent + deeper + line.lstrip(" \t")

    return "\n".join([lines[0].lstrip(" \t"), *map(moved, lines[1:])])


def indent_lines(lines: list[str], unit: str) -> list[str]:
    """Each non-blank line with `unit` (a tab, or spaces) put in front."""
    return [unit + line if line.strip() else line for line in lines]


def dedent_lines(lines: list[str], width: int) -> list[str]:
    """Each line with up to one level of leading indentation (a tab or `width` spaces) removed."""
    result = []
    for line in lines:
        if line.startswith("\t"):
            result.append(line[1:])
        else:
            spaces = len(line) - len(line.lstrip(" "))
            result.append(line[min(spaces, width) :])
    return result


def toggle_comment(lines: list[str], style: CommentStyle) -> list[str]:
    """Uncomment the lines when every non-blank one is commented; otherwise comment them all,
    at the indentation of the least indented line so the block keeps its shape."""
    filled = [line for line in lines if line.strip()]
    if not filled:
        return list(lines)
    if all(_is_commented(line, style) for line in filled):
        return [_uncomment(line, style) if line.strip() else line for line in lines]
    column = min(len(line) - len(line.lstrip()) for line in filled)
    closing = f" {style.end}" if style.end else ""
    return [
        f"{line[:column]}{style.start} {line[column:]}{closing}" if line.strip() else line
        for line in lines
    ]


def _is_commented(line: str, style: CommentStyle) -> bool:
    text = line.strip()
    return text.startswith(style.start) and (not style.end or text.endswith(style.end))


def _uncomment(line: str, style: CommentStyle) -> str:
    column = line.index(style.start)
    rest = line[column + len(style.start) :]
    if style.end:
        rest = rest.rstrip()
        rest = rest[: len(rest) - len(style.end)]
        rest = rest[:-1] if rest.endswith(" ") else rest
    return line[:column] + (rest[1:] if rest.startswith(" ") else rest)
