"""Versions of a file's text: a tab's unsaved text merged with the newer text on disk, and
a line followed from the file on disk into the tab.

When a file changes on disk (vim beside us, a `git pull`, a proposal accepted
from the chat) while its tab holds unsaved edits, both "reload" and "keep
mine" lose someone's work. Merged against the text the tab last read or
saved, both sides' changes stay wherever they touch different lines, as in
`git merge-file`; where both changed the same lines, git-style conflict
markers hold both for the user to settle. The merge itself is `merge3`'s
(Bazaar's, with the heuristics that make it behave like git's).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

from merge3 import Merge3

MINE = "mine (unsaved)"
THEIRS = "on disk"


@dataclass(frozen=True)
class Merged:
    """The merged text, and how many places in it hold conflict markers."""

    text: str
    conflicts: int


def merge_texts(base: str, mine: str, theirs: str) -> Merged:
    """Merge `mine` (the tab's text) and `theirs` (the file now), both changed from `base`."""
    final_newline = _final_newline(base, mine, theirs)
    merge = Merge3(*(_lines(text) for text in (base, mine, theirs)))
    conflicts = sum(1 for group in merge.merge_groups() if group[0] == "conflict")
    text = "".join(
        merge.merge_lines(
            name_a=MINE, name_b=THEIRS, start_marker="<" * 7, mid_marker="=" * 7,
            end_marker=">" * 7, reprocess=True,
        )
    )  # fmt: skip
    if not final_newline and text.endswith("\n"):
        text = text[:-1]
    return Merged(text, conflicts)


_MARKER = re.compile(r"^(<{7}|>{7}) ", re.MULTILINE)


def conflict_markers(text: str) -> int:
    """How many `<<<<<<<` and `>>>>>>>` lines a text holds (a merge not yet settled)."""
    return len(_MARKER.findall(text))


def _lines(text: str) -> list[str]:
    """Lines with their ends, the last one ended too: a missing final newline would glue a
    conflict marker onto the last line."""
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines


def _final_newline(base: str, mine: str, theirs: str) -> bool:
    """Whether the merged text ends with a newline: as mine if I changed that, else as theirs."""
    ends = [not text or text.endswith("\n") for text in (base, mine, theirs)]
    return ends[1] if ends[1] != ends[0] else ends[2]


def follow_line(before: str, after: str, line: int) -> tuple[int, bool]:
    """Where 1-based `line` of `before` (the file on disk, where the index and text search
    found something) is in `after` (the tab's unsaved text), and whether it is there
    unchanged; for a line edited or deleted since, the first line of what replaced it."""
    if before == after:
        return line, True
    old, new = before.splitlines(), after.splitlines()
    row = line - 1
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, old_start, old_end, new_start, _ in matcher.get_opcodes():
        if old_start <= row < old_end:
            if tag == "equal":
                return new_start + row - old_start + 1, True
            return min(new_start, max(len(new) - 1, 0)) + 1, False
    return max(len(new), 1), False  # past the end of the file on disk
