"""Cross-file snippets from the project's index: definitions of the names near the cursor.

A model completing `total = cents(` writes better code when it sees
`def cents(amount):` from `lib/money.py`. `IndexSnippets` is the
`SnippetSource` over a `CodeIndex`: it takes the names the lines just before
the cursor call or reach into (nearest first; not words of comments or
strings, not the function's own parameters and locals), looks up where the
index says each is defined in another file, and returns the head of each
definition (its signature and docstring). A snippet costs prompt room that
the nearest lines would otherwise get, so only sure ones are given (`_qualifies`):
a definition that this file imports or that shares its folder, and for `owner.name`
one whose symbol path holds the owner. Measured on the standard library, a definition
that only shares the name (another class's `close`) misleads the model more often than
it helps.
"""

from __future__ import annotations

import asyncio
import builtins
import keyword
import posixpath
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple, Protocol

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
RECEIVER = re.compile(r"(\w+)\s*\.$")
"""The owner at the end of the code before a name reached as `owner.name`."""
NOISE_SCAN_CHARS = 200_000
PARAMS = re.compile(r"\bdef\s+\w+\s*\(([^)]*)")
LINES_SCANNED = 4
"""Lines before the cursor whose names are looked up (the cursor's line included)."""
NAMES_LOOKED_UP = 6
DEFINITIONS_PER_NAME = 2
HEAD_LINES = 8
"""Lines of a definition shown: its signature and docstring, rarely its whole body."""
COMMON = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | {"self", "cls", "this"}


class DefinitionIndex(Protocol):
    """What `IndexSnippets` needs of `aiide_tui.index.project.CodeIndex`."""

    root: Path

    def definitions(self, name: str) -> Sequence[Any]:
        """Symbols with `path`, `symbol` (`pkg.mod.Class.name`), `start_line` and `end_line`
        (1-based, inclusive)."""
        ...

    def imports_of(self, path: str) -> Sequence[str]:
        """Files that the import statements of `path` name."""
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
        names = names_near_cursor(prefix)
        if not names:
            return []
        found: list[Snippet] = []
        seen: set[tuple[str, int]] = set()
        imported = set(self.index.imports_of(path))
        folder = posixpath.dirname(path)
        for rank, used in enumerate(names):
            symbols = [
                s
                for s in self.index.definitions(used.name)
                if s.path != path and _qualifies(s, used, imported, folder)
            ]
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


class UsedName(NamedTuple):
    name: str
    receiver: str
    """For `owner.name`, the owner (`money`, `Cart`, `self`); "" for a bare name."""


def _qualifies(symbol: Any, used: UsedName, imported: set[str], folder: str) -> bool:
    """Whether `symbol` is surely what `used` names, not just something of the same name.

    A bare name needs its definition in a file this one imports, or in its folder (a
    package's own files: Go, C, Java use them unimported). `owner.name` needs `owner` in the
    definition's symbol path (`money.cents`, `Cart.total`): the method of an object of
    unknown type (`conn.close`) could be any class's.
    """
    if used.receiver:
        return f".{used.receiver}." in f".{symbol.symbol}"
    return symbol.path in imported or posixpath.dirname(symbol.path) == folder


def names_near_cursor(prefix: str) -> list[UsedName]:
    """Names the last lines before the cursor call or reach into, nearest first: common
    words, dunder methods, the words of comments and strings, and the prefix's own locals
    left out. Comments and strings are taken out of the whole prefix (up to
    `NOISE_SCAN_CHARS`): a cut in the middle of a docstring would turn it inside out."""
    code = NOISE.sub(" ", _from_a_line_start(prefix, NOISE_SCAN_CHARS))
    recent = "\n".join(code[-LINES_SCANNED * 400 :].split("\n")[-LINES_SCANNED:])
    own = _locals(code[-8000:])
    found: dict[str, str] = {}
    for match in reversed(list(USED_NAME.finditer(recent))):
        name = match.group(0)
        if len(name) <= 2 or name in COMMON or name in own or name.startswith("__"):
            continue
        before = recent[: match.start()].rstrip()
        receiver = ""
        if before.endswith("."):
            owner = RECEIVER.search(before)
            receiver = owner.group(1) if owner else "?"  # `f().name`: an owner unknown
        if name in found:
            if not receiver:
                found[name] = ""  # used bare too
        elif len(found) < NAMES_LOOKED_UP:
            found[name] = receiver
    return [UsedName(name, receiver) for name, receiver in found.items()]


def _from_a_line_start(text: str, most: int) -> str:
    if len(text) <= most:
        return text
    tail = text[-most:]
    return tail[tail.find("\n") + 1 :]


def _locals(code: str) -> set[str]:
    """Names the code before the cursor defines or assigns itself, and its parameters."""
    names = {a or b or c for a, b, c in LOCAL.findall(code)}
    for params in PARAMS.findall(code):
        names.update(IDENTIFIER.findall(re.sub(r"[:=][^,]*", "", params)))
    return names
