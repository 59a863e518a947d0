"""Applying edits in memory: the new text of each file, and what did not fit and why.

Nothing here writes: the result becomes a proposal, and only the hunks the
user accepts reach the disk (through the workspace).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aiide_tui.chat.edits import Edit
from aiide_tui.chat.fuzzy import EditApplyError, find, reindent

ReadText = Callable[[str], "str | None"]
"""Current text of a project file; None when it does not exist. Raises for paths not allowed."""


@dataclass(frozen=True)
class EditFailure:
    edit: Edit
    reason: str


@dataclass
class Applied:
    """The outcome of a batch of edits."""

    before: dict[str, str | None] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    """Fuzzy matches, named per edit ("app.py: matched ignoring whitespace")."""
    failures: list[EditFailure] = field(default_factory=list)


def apply_edits(edits: list[Edit], read: ReadText, into: Applied | None = None) -> Applied:
    """Apply `edits` in order on the files' current texts; later edits see earlier ones.

    With `into` (an earlier batch, e.g. before a repair), continue from its texts; its
    failures are replaced by this batch's.
    """
    result = into or Applied()
    result.failures = []
    for edit in edits:
        try:
            if edit.path not in result.before:
                result.before[edit.path] = read(edit.path)
            current = result.after.get(edit.path, result.before[edit.path])
            result.after[edit.path] = _apply_one(edit, current, result.notes)
        except EditApplyError as error:
            result.failures.append(EditFailure(edit, error.message))
    return result


def _apply_one(edit: Edit, text: str | None, notes: list[str]) -> str:
    if edit.format == "whole":
        return _ensure_newline(edit.replace)
    if not edit.search.strip():
        if text is None:
            return _ensure_newline(edit.replace)
        return _ensure_newline(text) + _ensure_newline(edit.replace)
    if text is None:
        raise EditApplyError(
            f"{edit.path} does not exist; to create it, use an empty SEARCH section"
        )
    lines = text.splitlines(keepends=True)
    search = edit.search.splitlines(keepends=True)
    match = find(lines, search, edit.path)
    replace = _ensure_newline(edit.replace).splitlines(keepends=True) if edit.replace else []
    if match.strategy != "exact":
        notes.append(f"{edit.path}: matched line {match.start + 1} ({match.strategy})")
        if match.strategy == "whitespace":
            replace = reindent(replace, search, lines[match.start : match.end])
    tail = lines[match.end :]
    if match.end == len(lines) and lines and not lines[-1].endswith("\n") and replace:
        replace[-1] = replace[-1].rstrip("\n")
    return "".join(lines[: match.start] + replace + tail)


def _ensure_newline(text: str) -> str:
    return text if not text or text.endswith("\n") else text + "\n"
