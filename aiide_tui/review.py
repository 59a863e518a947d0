"""Unified diffs as plain data, so the review pane (and later proposals) never parse text.

`parse_diff` reads `git diff` output (new, deleted, renamed, binary and
mode-only files included) with `unidiff` and returns frozen dataclasses that
carry real old/new line numbers, which a UI needs and a re-diff would lose.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from unidiff import PatchedFile, PatchSet
from unidiff.constants import DEV_NULL
from unidiff.errors import UnidiffParseError
from unidiff.patch import Hunk as UnidiffHunk

from aiide_tui.errors import AiideError

__all__ = [
    "DiffLine",
    "DiffLineKind",
    "DiffParseError",
    "FileDiff",
    "FileStatus",
    "Hunk",
    "hunk_old_new",
    "parse_diff",
]

DiffLineKind = Literal["+", "-", " "]
FileStatus = Literal["modified", "added", "untracked", "conflict", "deleted", "renamed", "binary"]
"""`untracked`: a file git does not track yet, shown as added; `conflict`: a merge left it
with conflict markers (both from git's status, for the working tree's review)."""

_PREFIX = re.compile(r"^[abciow12]/")
_ESCAPE = re.compile(rb"\\([0-7]{3}|.)")
_C_ESCAPES = {
    b"a": b"\a",
    b"b": b"\b",
    b"f": b"\f",
    b"n": b"\n",
    b"r": b"\r",
    b"t": b"\t",
    b"v": b"\v",
}


class DiffParseError(AiideError):
    """The text looks like a diff but a hunk in it is malformed or truncated."""

    title = "Unreadable diff"


@dataclass(frozen=True)
class DiffLine:
    """One line of a hunk; `old_no`/`new_no` are None on the side it is absent from."""

    kind: DiffLineKind
    text: str
    old_no: int | None
    new_no: int | None
    missing_newline: bool = False
    """True when the file ends on this line without a newline (git's `\\ No newline`)."""


@dataclass(frozen=True)
class Hunk:
    """One `@@` block: its header and lines, with the ranges it covers in both files."""

    header: str
    old_start: int
    old_len: int
    new_start: int
    new_len: int
    lines: tuple[DiffLine, ...]

    @property
    def added(self) -> int:
        """Number of added lines."""
        return sum(1 for line in self.lines if line.kind == "+")

    @property
    def removed(self) -> int:
        """Number of removed lines."""
        return sum(1 for line in self.lines if line.kind == "-")


@dataclass(frozen=True)
class FileDiff:
    """All changes to one file; `old_path` is set only for renames."""

    path: str
    status: FileStatus
    old_path: str | None
    hunks: tuple[Hunk, ...]
    mode: str = ""
    """How its execute bit changed ("now executable", "no longer executable"), or ""."""

    @property
    def added(self) -> int:
        """Number of added lines over all hunks."""
        return sum(hunk.added for hunk in self.hunks)

    @property
    def removed(self) -> int:
        """Number of removed lines over all hunks."""
        return sum(hunk.removed for hunk in self.hunks)


def parse_diff(text: str) -> list[FileDiff]:
    """Parse a unified diff into files; text with no diff in it gives an empty list.

    Raises:
        DiffParseError: a hunk is malformed or cut short.
    """
    if not text.strip():
        return []
    try:
        patch = PatchSet(text)
    except UnidiffParseError as error:
        raise DiffParseError(f"Could not read the diff: {error}".rstrip()) from error
    return [_file_diff(patched) for patched in patch]


def hunk_old_new(hunk: Hunk) -> tuple[str, str]:
    """The hunk's old text and new text (context on both sides), for side-by-side views."""
    old = [line.text + "\n" for line in hunk.lines if line.kind != "+"]
    new = [line.text + "\n" for line in hunk.lines if line.kind != "-"]
    return "".join(old), "".join(new)


def _file_diff(patched: PatchedFile) -> FileDiff:
    """Convert one unidiff file, deciding its status from git's metadata."""
    path = _clean_path(patched.path)
    old_path = None
    if patched.is_binary_file:
        status: FileStatus = "binary"
    elif patched.is_rename:
        status = "renamed"
        old_path = _clean_path(patched.source_file)
    elif patched.source_file == DEV_NULL:
        status = "added"
    elif patched.target_file == DEV_NULL:
        status = "deleted"
    else:
        status = "modified"
    hunks = tuple(_hunk(hunk) for hunk in patched)
    modes = dict(_MODE_LINE.findall(str(patched.patch_info)))
    mode = ""
    if modes.get("old") and modes.get("new") and modes["old"] != modes["new"]:
        executable = [int(modes[side], 8) & 0o111 != 0 for side in ("old", "new")]
        mode = {(False, True): "now executable", (True, False): "no longer executable"}.get(
            (executable[0], executable[1]), f"mode {modes['old']} → {modes['new']}"
        )
    return FileDiff(path=path, status=status, old_path=old_path, hunks=hunks, mode=mode)


_MODE_LINE = re.compile(r"(?m)^(old|new) mode (\d+)$")


def _hunk(raw: UnidiffHunk) -> Hunk:
    """Convert one unidiff hunk; the no-newline marker flags the line before it."""
    lines: list[DiffLine] = []
    for line in raw:
        if line.line_type == "\\":
            if lines:
                last = lines[-1]
                lines[-1] = DiffLine(last.kind, last.text, last.old_no, last.new_no, True)
            continue
        if line.line_type not in ("+", "-", " "):
            continue
        text = line.value[:-1] if line.value.endswith("\n") else line.value
        lines.append(DiffLine(line.line_type, text, line.source_line_no, line.target_line_no))
    old_start, old_len = raw.source_start, raw.source_length
    new_start, new_len = raw.target_start, raw.target_length
    header = f"@@ -{old_start},{old_len} +{new_start},{new_len} @@"
    section = raw.section_header
    return Hunk(
        header=f"{header} {section}" if section else header,
        old_start=old_start,
        old_len=old_len,
        new_start=new_start,
        new_len=new_len,
        lines=tuple(lines),
    )


def _clean_path(raw: str) -> str:
    """Strip git's `a/`/`b/` prefix and undo its C-style quoting of unusual names."""
    path = raw
    if len(path) >= 2 and path.startswith('"') and path.endswith('"'):
        path = _unquote(path[1:-1])
    if _PREFIX.match(path):
        path = path[2:]
    return path


def _unquote(quoted: str) -> str:
    """Decode git's quoted path: octal escapes are UTF-8 bytes, others C escapes."""

    def replace(match: re.Match[bytes]) -> bytes:
        code = match.group(1)
        if len(code) == 3:
            return bytes([int(code, 8)])
        return _C_ESCAPES.get(code, code)

    data = _ESCAPE.sub(replace, quoted.encode("utf-8"))
    return data.decode("utf-8", errors="replace")
