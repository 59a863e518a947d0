"""Applying edits in memory: the new text of each file, and what did not fit and why.

Nothing here writes: the result becomes a proposal, and only the hunks the
user accepts reach the disk (through the workspace).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from aiide_tui.chat.edits import Edit, narrowed
from aiide_tui.chat.fuzzy import EditApplyError, find, reindent

ReadText = Callable[[str], "str | None"]
"""Current text of a project file; None when it does not exist. Raises for paths not allowed."""
Candidates = Callable[[str], Sequence[str]]
"""Files an edit of a missing path may have meant (its namesakes, the files asked about)."""


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


def apply_edits(
    edits: list[Edit],
    read: ReadText,
    into: Applied | None = None,
    *,
    candidates: Candidates | None = None,
) -> Applied:
    """Apply `edits` in order on the files' current texts; later edits see earlier ones.

    With `into` (an earlier batch, e.g. before a repair), continue from its texts; its
    failures are replaced by this batch's. With `candidates`, an edit of a file that does
    not exist is aimed at the one candidate that holds its SEARCH lines (`retarget`).
    """
    result = into or Applied()
    result.failures = []
    for edit in edits:
        try:
            if candidates is not None:
                edit = retarget(edit, read, candidates, result)
            if edit.path not in result.before:
                result.before[edit.path] = read(edit.path)
            current = result.after.get(edit.path, result.before[edit.path])
            result.after[edit.path] = _apply_one(edit, current, result.notes)
        except EditApplyError as error:
            result.failures.append(EditFailure(edit, error.message))
    return result


def retarget(edit: Edit, read: ReadText, candidates: Candidates, result: Applied) -> Edit:
    """An edit of a missing file, aimed at the one existing file that holds its SEARCH lines.

    Small models copy the prompt's example path (`path/to/file.py`) or drop the folders
    (`store.py` for `inventory/store.py`); the lines they mean to change say which file
    they meant. An edit that creates a file, or whose lines fit no file or several, is
    left as it is (and fails, or creates, as written).
    """
    if edit.format == "whole" or not edit.search.strip() or edit.path in result.after:
        return edit
    if read(edit.path) is not None:
        return edit
    search = edit.search.splitlines(keepends=True)
    holding = []
    for path in dict.fromkeys(candidates(edit.path)):
        try:
            text = result.after[path] if path in result.after else read(path)
            if text is not None:
                find(text.splitlines(keepends=True), search, path)
                holding.append(path)
        except EditApplyError:
            continue
    if len(holding) != 1:
        return edit
    result.notes.append(
        f"{edit.path} does not exist: applied to {holding[0]}, which holds its lines"
    )
    return replace(edit, path=holding[0])


def _apply_one(edit: Edit, text: str | None, notes: list[str]) -> str:
    if edit.format == "whole" and text is not None:
        edit, left_out = narrowed(edit, text)
        notes.extend(left_out)
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
