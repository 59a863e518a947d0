"""Proposals: a model's edits as a unified diff per file, decided hunk by hunk.

A proposal remembers each file's text as it was when the edits were
applied in memory; accepting builds the file from that text plus the
accepted hunks only. A file is written once every one of its hunks is
decided, so one journal entry per file (grouped per proposal) holds the
change and `/undo` reverts it in one step. Until then the user may rewrite
a hunk's new side (`edit_hunk`); the diff shown is always the structured
diff that will be applied, never a re-diff.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Literal

from aiide_tui.chat.hunk_edit import (
    HunkEditError,
    check_applies,
    format_file_diff,
    replace_new_side,
    split_lines,
)
from aiide_tui.review import FileDiff, Hunk, parse_diff

Decision = Literal["accepted", "rejected"]
CONTEXT_LINES = 3


def unified_diff(path: str, before: str | None, after: str) -> str:
    """A git-style diff of one file (new files from /dev/null), "\\ No newline" marked."""
    old = (before or "").splitlines(keepends=True)
    new = after.splitlines(keepends=True)
    header = [f"diff --git a/{path} b/{path}\n"]
    if before is None:
        header.append("new file mode 100644\n")
    lines = difflib.unified_diff(
        old,
        new,
        "/dev/null" if before is None else f"a/{path}",
        f"b/{path}",
        n=CONTEXT_LINES,
    )
    body = [
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    ]
    return "".join(header + body) if body else ""


def apply_hunks(before: str | None, diff: FileDiff, accepted: set[int]) -> str:
    """`before` with only the `accepted` hunks of `diff` applied."""
    old = (before or "").splitlines(keepends=True)
    out: list[str] = []
    at = 0
    for index, hunk in enumerate(diff.hunks):
        start = hunk.old_start if hunk.old_len == 0 else hunk.old_start - 1
        out.extend(old[at:start])
        end = start + hunk.old_len
        out.extend(_new_side(hunk) if index in accepted else old[start:end])
        at = end
    out.extend(old[at:])
    return "".join(out)


def _new_side(hunk: Hunk) -> list[str]:
    return [
        line.text + ("" if line.missing_newline else "\n")
        for line in hunk.lines
        if line.kind != "-"
    ]


@dataclass
class FileProposal:
    path: str
    before: str | None
    after: str
    diff: FileDiff
    decisions: dict[int, Decision] = field(default_factory=dict)
    written: bool = False
    mtime_ns: int | None = None
    """The file's mtime when it was read: writing refuses a file changed since."""
    edited: set[int] = field(default_factory=set)
    """Hunks whose new side the user rewrote."""

    @property
    def decided(self) -> bool:
        return len(self.decisions) == len(self.diff.hunks)

    def result(self) -> str:
        """The file with the accepted hunks applied."""
        accepted = {i for i, d in self.decisions.items() if d == "accepted"}
        if accepted == set(range(len(self.diff.hunks))):
            return self.after
        return apply_hunks(self.before, self.diff, accepted)

    @property
    def diff_text(self) -> str:
        return format_file_diff(self.diff, new_file=self.before is None)

    def edit_hunk(self, index: int, text: str) -> None:
        """Replace hunk `index`'s new side (file-form `text`); it waits for a decision again.

        Raises:
            HunkEditError: the file is already written, no such hunk, or the edited
                hunk no longer fits the file or cannot be shown as a diff.
        """
        if self.written:
            raise HunkEditError(f"{self.path} is already decided; /undo reverts it")
        diff = replace_new_side(self.diff, index, split_lines(text))
        check_applies(self.before, diff)
        if parse_diff(format_file_diff(diff, new_file=self.before is None)) != [diff]:
            raise HunkEditError("The edited lines hold characters a diff cannot carry.")
        self.diff = diff
        self.after = apply_hunks(self.before, diff, set(range(len(diff.hunks))))
        self.decisions.pop(index, None)
        self.edited.add(index)

    def to_json(self) -> dict:
        return {
            "path": self.path,
            "new_file": self.before is None,
            "hunks": len(self.diff.hunks),
            "decisions": {str(i): d for i, d in self.decisions.items()},
            "edited": sorted(self.edited),
            "written": self.written,
        }


@dataclass
class Proposal:
    """Every file one answer proposes to change."""

    id: int
    files: list[FileProposal]
    notes: list[str] = field(default_factory=list)
    label: str = ""
    """What the undo journal calls it ("" for a model's answer: chat proposal #id)."""

    @classmethod
    def build(
        cls, proposal_id: int, before: dict[str, str | None], after: dict[str, str], notes=()
    ) -> Proposal | None:
        """A proposal for the files whose text changes; None when nothing changes."""
        files = []
        for path, text in after.items():
            diff_text = unified_diff(path, before.get(path), text)
            if not diff_text:
                continue
            parsed = parse_diff(diff_text)
            files.append(FileProposal(path, before.get(path), text, parsed[0]))
        return cls(proposal_id, files, list(notes)) if files else None

    @property
    def diff_text(self) -> str:
        return "".join(f.diff_text for f in self.files)

    @property
    def pending(self) -> bool:
        return any(not f.decided for f in self.files)

    def file(self, path: str) -> FileProposal:
        for item in self.files:
            if item.path == path:
                return item
        raise KeyError(path)

    def edit_hunk(self, path: str, index: int, text: str) -> None:
        """Replace the new side of hunk `index` of `path` (see `FileProposal.edit_hunk`).

        Raises:
            HunkEditError: the proposal does not change `path`, or the edit does not fit.
        """
        try:
            item = self.file(path)
        except KeyError:
            raise HunkEditError(f"proposal #{self.id} does not change {path}") from None
        item.edit_hunk(index, text)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "diff": self.diff_text,
            "files": [f.to_json() for f in self.files],
            "notes": list(self.notes),
            "pending": self.pending,
        }
