"""Stream parsing: a model's deltas become prose, reasoning and whole code blocks.

Prose passes through as it arrives; a fenced code block (or a bare
SEARCH/REPLACE block) is held back until its closing line, so the panel
never flickers through half a block and nothing half-written becomes an
edit. A reasoning model's `<think>` part is split off as its own kind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
SEARCH_MARK = "<<<<<<< SEARCH"
REPLACE_MARK = ">>>>>>> REPLACE"
_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
_PATHLIKE = re.compile(r"^[\w./\\-]+\.[\w]+$|^[\w.-]+/[\w./-]+$")


@dataclass(frozen=True)
class CodeBlock:
    """A whole block: its fence info string, its body, and the path named just before it."""

    info: str
    body: str
    raw: str
    """The block as Markdown (fences included), for display."""
    path_hint: str | None = None
    complete: bool = True
    """False when the answer ended inside the block: shown, never applied."""


@dataclass(frozen=True)
class StreamEvent:
    kind: Literal["text", "think", "block"]
    text: str = ""
    block: CodeBlock | None = None


def path_hint(line: str) -> str | None:
    """The path a prose line names on its own (`src/app.py`, "**app.py**:"), else None."""
    cleaned = line.strip().strip("`*:#").strip()
    return cleaned if cleaned and _PATHLIKE.match(cleaned) else None


_COMMENT_PATH = re.compile(
    r"^\s*(?:#|//|--|/\*|<!--)\s*(?:(?:file(?:name)?|path)\s*:\s*)?(\S+?)\s*(?:\*/|-->)?\s*$",
    re.IGNORECASE,
)


def comment_path(line: str) -> str | None:
    """The path a comment line names on its own (`# src/app.py`, `// File: web/app.ts`)."""
    match = _COMMENT_PATH.match(line)
    named = path_hint(match.group(1)) if match else None
    return named if named and re.search(r"\.[A-Za-z]\w*$", named) else None  # not `# v1.2`


class ThinkSplitter:
    """Splits `<think>...</think>` from the answer, tags cut across deltas included."""

    def __init__(self) -> None:
        self._held = ""
        self._thinking = False

    def feed(self, delta: str) -> list[tuple[str, str]]:
        text, self._held = self._held + delta, ""
        out: list[tuple[str, str]] = []
        while text:
            tag = THINK_CLOSE if self._thinking else THINK_OPEN
            at = text.find(tag)
            if at >= 0:
                out.append(("think" if self._thinking else "text", text[:at]))
                text = text[at + len(tag) :]
                self._thinking = not self._thinking
                continue
            keep = _partial_suffix(text, tag)
            out.append(("think" if self._thinking else "text", text[: len(text) - keep]))
            self._held = text[len(text) - keep :]
            break
        return [(kind, piece) for kind, piece in out if piece]

    def finish(self) -> list[tuple[str, str]]:
        held, self._held = self._held, ""
        return [("think" if self._thinking else "text", held)] if held else []


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest end of `text` that could begin `tag`."""
    for size in range(min(len(tag) - 1, len(text)), 0, -1):
        if tag.startswith(text[-size:]):
            return size
    return 0


class BlockBuffer:
    """Line-aware: prose streams at once, blocks are released whole."""

    def __init__(self) -> None:
        self._line = ""
        self._shown = 0
        """How much of the current prose line was already passed on."""
        self._block: list[str] | None = None
        self._fence = ""
        self._bare = False
        self._info = ""
        self._last_prose = ""
        self._hint: str | None = None

    def feed(self, delta: str) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for piece in re.split(r"(?<=\n)", delta):
            if piece:
                events.extend(self._take(piece))
        return [event for event in events if event.text or event.block]

    def finish(self) -> list[StreamEvent]:
        """End of the answer: an open block is released, marked incomplete (unless the
        answer ended right on its closing fence, with no newline after it)."""
        if self._block is not None and self._line and self._closes(self._line.strip()):
            return self.feed("\n")
        events: list[StreamEvent] = []
        if self._block is not None:
            self._block.append(self._line)
            events.append(self._release(complete=False))
        elif self._line[self._shown :]:
            events.append(StreamEvent("text", self._line[self._shown :]))
        self._line, self._shown = "", 0
        return events

    @property
    def held_lines(self) -> int | None:
        """Lines of the block being held back (None outside a block)."""
        return None if self._block is None else len(self._block)

    def _take(self, piece: str) -> list[StreamEvent]:
        self._line += piece
        if not self._line.endswith("\n"):
            return self._partial()
        line, self._line = self._line, ""
        shown, self._shown = self._shown, 0
        if self._block is not None:
            return self._inside(line)
        return self._outside(line, shown)

    def _partial(self) -> list[StreamEvent]:
        if self._block is not None or _could_open(self._line):
            return []
        fresh = self._line[self._shown :]
        self._shown = len(self._line)
        return [StreamEvent("text", fresh)]

    def _outside(self, line: str, shown: int) -> list[StreamEvent]:
        fence = _FENCE.match(line.rstrip("\n"))
        if fence or line.strip() == SEARCH_MARK:
            self._hint = path_hint(self._last_prose)
            self._bare = fence is None
            self._fence = fence.group(2) if fence else ""
            self._info = fence.group(3).strip() if fence else ""
            self._block = [] if fence else [line]
            return []
        if line.strip():
            self._last_prose = line
        return [StreamEvent("text", line[shown:])]

    def _closes(self, stripped: str) -> bool:
        return stripped == REPLACE_MARK if self._bare else stripped == self._fence

    def _inside(self, line: str) -> list[StreamEvent]:
        closes = self._closes(line.strip())
        if closes and self._bare:
            assert self._block is not None
            self._block.append(line)
        if closes:
            return [self._release(complete=True)]
        assert self._block is not None
        self._block.append(line)
        return []

    def _release(self, *, complete: bool) -> StreamEvent:
        body = "".join(self._block or [])
        if self._bare:
            raw = body
        else:
            raw = f"{self._fence}{self._info}\n{body}" + (f"{self._fence}\n" if complete else "")
        hint = self._hint
        first, _, rest = body.partition("\n")
        named = None if self._bare else comment_path(first)
        if named is not None and hint in (None, named):  # `# app/models.py` over the code
            hint, body = named, rest
        block = CodeBlock(self._info, body, raw, hint, complete)
        self._block, self._bare, self._fence, self._info = None, False, "", ""
        return StreamEvent("block", block=block)


def _could_open(line: str) -> bool:
    """Whether an unfinished line may still become a fence or a SEARCH marker."""
    head = line.lstrip()
    if not head:
        return True
    return any(
        head.startswith(mark) or mark.startswith(head) for mark in ("```", "~~~", SEARCH_MARK)
    )


class StreamParser:
    """Deltas in, `StreamEvent`s out: reasoning split first, then prose and blocks."""

    def __init__(self) -> None:
        self._think = ThinkSplitter()
        self._blocks = BlockBuffer()

    def feed(self, delta: str) -> list[StreamEvent]:
        return self._route(self._think.feed(delta))

    def finish(self) -> list[StreamEvent]:
        events = self._route(self._think.finish())
        return events + self._blocks.finish()

    @property
    def held_lines(self) -> int | None:
        """Lines of the code block arriving but not yet shown (None outside a block)."""
        return self._blocks.held_lines

    def _route(self, parts: list[tuple[str, str]]) -> list[StreamEvent]:
        events: list[StreamEvent] = []
        for kind, text in parts:
            if kind == "think":
                events.append(StreamEvent("think", text))
            else:
                events.extend(self._blocks.feed(text))
        return events
