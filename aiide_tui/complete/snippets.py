"""Cross-file snippets from the project's index: definitions of the names near the cursor.

A model completing `total = cents(` writes better code when it sees
`def cents(amount):` from `lib/money.py`. `IndexSnippets` is the
`SnippetSource` over a `CodeIndex`: it takes the names the lines just before
the cursor call or reach into (nearest first; not words of comments or
strings, not the function's own parameters and locals), looks up where the
index says each is defined in another file, and returns the head of each
definition (its signature and docstring). A snippet costs prompt room that
the nearest lines would otherwise get, so only confident ones are given: a
name defined in a file this one imports, or in at most `MAX_AMBIGUITY` places.
"""

from __future__ import annotations

import asyncio
import builtins
import keyword
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from aiide_tui.complete.context import Snippet

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
USED_NAME = re.compile(r"(?<=\.)[A-Za-z_]\w*|[A-Za-z_]\w*(?=\s*[(.])|[A-Z]\w*")
"""A name called, reached into (`mod.` / `.attr`) or capitalised (a class): the ones whose
definition helps; plain variables rarely have one elsewhere."""
NOISE = re.compile(
    r"#[^\n]*|//[^\n]*|\"\"\"[\s\S]*?(?:\"\"\"|$)|'''[\s\S]*?(?:'''|$)"
    r"|\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'"
)
"""Comments and string literals, whose words are prose, not code."""
LOCAL = re.compile(
    r"\b(?:def|class|function|func|fn|let|const|var|for)\s+(\w+)|(\w+)\s*(?:=(?!=)|:=)"
    r"|\bas\s+(\w+)\s*:"
)
PARAMS = re.compile(r"\bdef\s+\w+\s*\(([^)]*)")
LINES_SCANNED = 4
"""Lines before the cursor whose names are looked up (the cursor's line included)."""
NAMES_LOOKED_UP = 6
DEFINITIONS_PER_NAME = 2
MAX_AMBIGUITY = 2
"""A name defined in more places than this, none of them imported, gets no snippet."""
HEAD_LINES = 8
"""Lines of a definition shown: its signature and docstring, rarely its whole body."""
COMMON = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"self", "cls", "this"}


class DefinitionIndex(Protocol):
    """What `IndexSnippets` needs of `aiide_tui.index.project.CodeIndex`."""

    root: Path

    def definitions(self, name: str) -> Sequence[Any]:
        """Symbols with `path`, `start_line` and `end_line` (1-based, inclusive)."""
        ...

    def dependencies(self, path: str) -> Sequence[str]:
        """Files that `path` imports or uses definitions from."""
        ...


class IndexSnippets:
    """A `SnippetSource` answering from the index's symbol table (blocking work in a thread)."""

    def __init__(self, index: DefinitionIndex) -> None:
        self.index = index

    async def snippets(
        self, path: str, prefix: str, suffix: str, *, max_tokens: int
    ) -> Sequence[Snippet]:
        return await asyncio.to_thread(self._snippets, path, prefix)

    def _snippets(self, path: str, prefix: str) -> list[Snippet]:
        found: list[Snippet] = []
        seen: set[tuple[str, int]] = set()
        imported: set[str] | None = None
        for rank, name in enumerate(names_near_cursor(prefix)):
            symbols = [s for s in self.index.definitions(name) if s.path != path]
            if len(symbols) > MAX_AMBIGUITY:
                if imported is None:
                    imported = set(self.index.dependencies(path))
                symbols = [s for s in symbols if s.path in imported]
            for symbol in symbols[:DEFINITIONS_PER_NAME]:
                if (symbol.path, symbol.start_line) in seen:
                    continue
                seen.add((symbol.path, symbol.start_line))
                text = self._head(symbol)
                if text:
                    found.append(Snippet(symbol.path, text, 1 / (1 + rank), "definition"))
        return found

    def _head(self, symbol: Any) -> str:
        """The first lines of a definition, read from the file as it is on disk."""
        try:
            with open(self.index.root / symbol.path, encoding="utf-8", errors="replace") as file:
                lines = file.read().splitlines()
        except OSError:
            return ""
        last = min(symbol.end_line, symbol.start_line - 1 + HEAD_LINES)
        return "\n".join(lines[symbol.start_line - 1 : last]) + "\n"


def names_near_cursor(prefix: str) -> list[str]:
    """Names the last lines before the cursor call or reach into, nearest first: common
    words, the words of comments and strings, and the prefix's own locals left out."""
    code = NOISE.sub(" ", prefix[-LINES_SCANNED * 400 :])
    recent = "\n".join(code.split("\n")[-LINES_SCANNED:])
    names: list[str] = []
    own = _locals(NOISE.sub(" ", prefix[-8000:]))
    for match in reversed(list(USED_NAME.finditer(recent))):
        name = match.group(0)
        if len(name) > 2 and name not in COMMON and name not in own and name not in names:
            names.append(name)
            if len(names) == NAMES_LOOKED_UP:
                break
    return names


def _locals(code: str) -> set[str]:
    """Names the code before the cursor defines or assigns itself, and its parameters."""
    names = {a or b or c for a, b, c in LOCAL.findall(code)}
    for params in PARAMS.findall(code):
        names.update(IDENTIFIER.findall(re.sub(r"[:=][^,]*", "", params)))
    return names
