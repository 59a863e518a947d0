"""A proposed hunk whose new side the user rewrote before saying yes.

The old side (context and removed lines) stays as the model's diff had it, so
the hunk still covers the same lines of the file and its neighbours keep their
place; only its new side, and the new line numbers of the hunks after it,
change. Text comes and goes in "file form", each line ending in a newline, so
an editor's buffer maps to lines exactly (an empty buffer is no lines).
"""

from __future__ import annotations

import dataclasses
import difflib

from aiide_tui.errors import AiideError
from aiide_tui.review import DiffLine, FileDiff, Hunk

__all__ = [
    "HunkEditError",
    "check_applies",
    "format_file_diff",
    "new_side_text",
    "replace_new_side",
    "split_lines",
]


class HunkEditError(AiideError):
    """An edited hunk that cannot stand in for the proposed one."""

    title = "Hunk not edited"


def new_side_text(hunk: Hunk) -> str:
    """The hunk's proposed lines (context included), in file form, for the user to edit."""
    return "".join(line.text + "\n" for line in hunk.lines if line.kind != "-")


def split_lines(text: str) -> list[str]:
    """File-form text back into lines: "" is none, "a\\n\\n" is "a" and a blank line."""
    text = text.replace("\r\n", "\n")
    if not text:
        return []
    return (text[:-1] if text.endswith("\n") else text).split("\n")


def replace_new_side(diff: FileDiff, index: int, lines: list[str]) -> FileDiff:
    """`diff` with hunk `index`'s new side replaced by `lines`; later hunks renumbered.

    Raises:
        HunkEditError: no such hunk, or the hunk would be left with no lines at all.
    """
    if not 0 <= index < len(diff.hunks):
        raise HunkEditError(f"{diff.path} has {len(diff.hunks)} hunks, not a hunk {index + 1}")
    old = diff.hunks[index]
    edited = _rewrite(old, lines)
    if not edited.lines:
        raise HunkEditError("The hunk would be empty (no lines on either side); reject it instead.")
    delta = edited.new_len - old.new_len
    hunks = [*diff.hunks[:index], edited, *(_shift(h, delta) for h in diff.hunks[index + 1 :])]
    return dataclasses.replace(diff, hunks=tuple(hunks))


def check_applies(before: str | None, diff: FileDiff) -> None:
    """Check that every hunk's old side is in `before` where the hunk says, in order.

    Raises:
        HunkEditError: naming the first hunk that does not fit.
    """
    lines = [line.rstrip("\n") for line in (before or "").splitlines(keepends=True)]
    end = 0
    for number, hunk in enumerate(diff.hunks, 1):
        start = _start(hunk.old_start, hunk.old_len)
        expected = [line.text for line in hunk.lines if line.kind != "+"]
        if start < end or lines[start : start + hunk.old_len] != expected:
            raise HunkEditError(
                f"Hunk {number} of {diff.path} no longer fits the file at line {start + 1}."
            )
        end = start + hunk.old_len


def format_file_diff(diff: FileDiff, *, new_file: bool) -> str:
    """`diff` as git-style unified diff text, the inverse of `review.parse_diff`."""
    path = diff.path
    out = [f"diff --git a/{path} b/{path}\n"]
    if new_file:
        out.append("new file mode 100644\n")
    out += ["--- /dev/null\n" if new_file else f"--- a/{path}\n", f"+++ b/{path}\n"]
    for hunk in diff.hunks:
        old = _range(hunk.old_start, hunk.old_len)
        new = _range(hunk.new_start, hunk.new_len)
        out.append(f"@@ -{old} +{new} @@{_section(hunk)}\n")
        for line in hunk.lines:
            out.append(f"{line.kind}{line.text}\n")
            if line.missing_newline:
                out.append("\\ No newline at end of file\n")
    return "".join(out)


def _rewrite(hunk: Hunk, lines: list[str]) -> Hunk:
    """The hunk with the same old side and `lines` as its new side, numbered in the file."""
    old = [(line.text, line.missing_newline) for line in hunk.lines if line.kind != "+"]
    ends_open = any(line.missing_newline for line in hunk.lines if line.kind != "-")
    new = [(text, ends_open and at == len(lines) - 1) for at, text in enumerate(lines)]
    old_at = _start(hunk.old_start, hunk.old_len)
    new_at = _start(hunk.new_start, hunk.new_len)
    out: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for offset, (text, missing) in enumerate(old[i1:i2]):
                old_no, new_no = old_at + i1 + offset + 1, new_at + j1 + offset + 1
                out.append(DiffLine(" ", text, old_no, new_no, missing))
            continue
        for offset, (text, missing) in enumerate(old[i1:i2]):
            out.append(DiffLine("-", text, old_at + i1 + offset + 1, None, missing))
        for offset, (text, missing) in enumerate(new[j1:j2]):
            out.append(DiffLine("+", text, None, new_at + j1 + offset + 1, missing))
    new_start = new_at + 1 if new else new_at
    return dataclasses.replace(
        hunk,
        header=_header(hunk, new_start, len(new)),
        new_start=new_start,
        new_len=len(new),
        lines=tuple(out),
    )


def _shift(hunk: Hunk, delta: int) -> Hunk:
    """The hunk with its new-side line numbers moved by `delta`."""
    if not delta:
        return hunk
    lines = tuple(
        line if line.new_no is None else dataclasses.replace(line, new_no=line.new_no + delta)
        for line in hunk.lines
    )
    new_start = hunk.new_start + delta
    header = _header(hunk, new_start, hunk.new_len)
    return dataclasses.replace(hunk, header=header, new_start=new_start, lines=lines)


def _start(start: int, length: int) -> int:
    """0-based index of a range's first line (an empty range names the line before it)."""
    return start - 1 if length else start


def _range(start: int, length: int) -> str:
    return str(start) if length == 1 else f"{start},{length}"


def _section(hunk: Hunk) -> str:
    """The function name git prints after a hunk's ranges, with its leading space."""
    rest = hunk.header.split("@@", 2)[2] if hunk.header.count("@@") >= 2 else ""
    return rest.rstrip("\n")


def _header(hunk: Hunk, new_start: int, new_len: int) -> str:
    ranges = f"@@ -{hunk.old_start},{hunk.old_len} +{new_start},{new_len} @@"
    return ranges + _section(hunk)
