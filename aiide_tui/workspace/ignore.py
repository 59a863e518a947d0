"""gitignore syntax: `.aiideignore` (files the index leaves out), and `.gitignore` for
projects that are not git repositories.

A small, complete translation of gitignore patterns to regular expressions
(`*`, `?`, `[...]`, `**/`, `/**`, a leading or inner `/` anchoring to the
root, a trailing `/` for folders only, `!` re-including, `\\` escapes). The
last pattern that matches a path or one of its parent folders decides.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

IGNORE_FILE = ".aiideignore"


@dataclass(frozen=True)
class _Rule:
    regex: re.Pattern[str]
    negate: bool
    folder_only: bool


class IgnoreRules:
    """Patterns from one gitignore-syntax file, matched against root-relative posix paths."""

    def __init__(self, lines: list[str]) -> None:
        self.rules = [rule for line in lines if (rule := _parse(line)) is not None]

    @classmethod
    def load(cls, root: Path, name: str = IGNORE_FILE) -> IgnoreRules:
        """The rules of the root's file `name` (none when it is missing or unreadable)."""
        try:
            text = (Path(root) / name).read_text(encoding="utf-8", errors="replace")
        except OSError:
            return cls([])
        return cls(text.splitlines())

    def __bool__(self) -> bool:
        return bool(self.rules)

    def ignored(self, rel: str) -> bool:
        """Whether the file `rel` (or a folder above it) is ignored."""
        parts = rel.split("/")
        for end in range(1, len(parts) + 1):
            if self._decide("/".join(parts[:end]), is_folder=end < len(parts)):
                return True
        return False

    def folder_ignored(self, rel: str) -> bool:
        """Whether the folder `rel` itself is ignored (a walk need not go in); its parents are
        taken as judged already, as a walk from the root judges them first."""
        return self._decide(rel, is_folder=True)

    def _decide(self, path: str, *, is_folder: bool) -> bool:
        verdict = False
        for rule in self.rules:
            if rule.folder_only and not is_folder:
                continue
            if rule.regex.match(path):
                verdict = not rule.negate
        return verdict


def _parse(line: str) -> _Rule | None:
    text = line.rstrip("\n")
    if not text.strip() or text.startswith("#"):
        return None
    text = re.sub(r"(?<!\\)\s+$", "", text)
    negate = text.startswith("!")
    if negate:
        text = text[1:]
    if text.startswith("\\"):
        text = text[1:] if text[1:2] in ("#", "!") else text
    folder_only = text.endswith("/")
    text = text.rstrip("/")
    anchored = "/" in text
    text = text.lstrip("/")
    body = _translate(text)
    prefix = "" if anchored else "(?:.*/)?"
    return _Rule(re.compile(f"^{prefix}{body}$", re.DOTALL), negate, folder_only)


def _translate(pattern: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("/**", i) and i + 3 == len(pattern):
            out.append("/.*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        else:
            i = _translate_one(pattern, i, out)
    return "".join(out)


def _translate_one(pattern: str, i: int, out: list[str]) -> int:
    char = pattern[i]
    if char == "*":
        out.append("[^/]*")
    elif char == "?":
        out.append("[^/]")
    elif char == "\\" and i + 1 < len(pattern):
        out.append(re.escape(pattern[i + 1]))
        return i + 2
    elif char == "[":
        end = pattern.find("]", i + 2)
        if end == -1:
            out.append(re.escape(char))
        else:
            inner = pattern[i + 1 : end].replace("\\", "\\\\")
            if inner.startswith("!"):
                inner = "^" + inner[1:]
            out.append(f"[{inner}]")
            return end + 1
    else:
        out.append(re.escape(char))
    return i + 1
