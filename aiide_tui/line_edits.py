"""Edits on whole lines that an editor offers beyond typing: indent, dedent, toggle comment.

Pure functions over lists of lines, so they are tested without a screen; the
editor applies each result as one replacement (one undo step). Blank lines are
left alone, as in every editor people are used to: commenting a block does not
put `#` on its empty lines, and indenting does not leave trailing spaces.
"""

from __future__ import annotations

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
