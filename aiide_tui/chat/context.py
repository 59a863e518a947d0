"""Context assembly: what the model gets to read, chosen under a visible token budget.

Sources, in the order they claim the budget: the stable ones first, so the
prompt's cached prefix holds from turn to turn (pinned files (`/add`), then
the repo map), then this question's own: files and symbols named with `@`,
the selection, the open file (clipped around the cursor, to a share of the
room), command output (`/run`), then hybrid-search hits (to a share of the
room, since each turn's context stays in the conversation). Whatever does
not fit is listed as left out, never dropped silently. Ignored files and
anything the path policy calls a secret are refused at the door, whichever
source names them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal, Protocol

from aiide_tui.errors import AiideError
from aiide_tui.llm.base import estimate_tokens
from aiide_tui.workspace import Workspace
from aiide_tui.workspace.paths import secret_path, secret_text

ItemKind = Literal["map", "pinned", "mention", "symbol", "selection", "open", "run", "hit"]
STABLE_KINDS = frozenset({"map", "pinned"})
"""Kinds that go in the prompt's stable prefix (byte-identical across turns)."""
MAP_TOKENS = 1024
SEARCH_HITS = 8
_MENTION = re.compile(r"(?<![\w@])@([\w./-]+)")


@dataclass(frozen=True)
class ContextItem:
    kind: ItemKind
    label: str
    text: str
    tokens: int = 0

    @classmethod
    def of(cls, kind: ItemKind, label: str, text: str) -> ContextItem:
        return cls(kind, label, text, estimate_tokens(text))

    @property
    def stable(self) -> bool:
        return self.kind in STABLE_KINDS


@dataclass(frozen=True)
class ContextPack:
    """What went in, what was left out and why, and the budget it was chosen under.

    The earlier turns sent with the question share the budget; they are counted
    here (`history_*`) so the context bar tells the whole prompt.
    """

    items: tuple[ContextItem, ...]
    left_out: tuple[tuple[str, str], ...]
    budget: int
    repeated: tuple[str, ...] = ()
    """Labels of items already sent, unchanged, in an earlier turn still in the prompt."""
    history_turns: int = 0
    history_tokens: int = 0
    dropped_turns: int = 0
    """Older turns of the conversation no longer sent (trimmed to fit the window)."""

    @property
    def tokens(self) -> int:
        return sum(item.tokens for item in self.items)

    def minus(self, items: Iterable[ContextItem]) -> ContextPack:
        """This pack without `items`, which are listed as repeated (already in the prompt)."""
        gone = list(items)
        kept = tuple(item for item in self.items if item not in gone)
        repeated = self.repeated + tuple(item.label for item in gone)
        return replace(self, items=kept, repeated=repeated)

    def stable(self) -> list[ContextItem]:
        return [item for item in self.items if item.stable]

    def volatile(self) -> list[ContextItem]:
        return [item for item in self.items if not item.stable]

    def summary(self) -> str:
        """One line for the context bar.

        e.g. `context 4.1k/5.8k tok · map 0.9k · app.py 0.4k · 3 hits 0.7k · history 2 turns 2.1k`.
        """
        parts = [f"context {_k(self.tokens + self.history_tokens)}/{_k(self.budget)} tok"]
        hits = [item for item in self.items if item.kind == "hit"]
        parts += [f"{item.label} {_k(item.tokens)}" for item in self.items if item.kind != "hit"]
        if hits:
            noun = "hit" if len(hits) == 1 else "hits"
            parts.append(f"{len(hits)} {noun} {_k(sum(item.tokens for item in hits))}")
        if self.history_turns:
            parts.append(f"history {_turns(self.history_turns)} {_k(self.history_tokens)}")
        if self.dropped_turns:
            parts.append(f"{_turns(self.dropped_turns, 'older')} dropped")
        if self.repeated:
            parts.append(f"{len(self.repeated)} already above")
        if self.left_out:
            parts.append(f"{len(self.left_out)} left out")
        return " · ".join(parts)

    def describe(self) -> list[str]:
        """The summary, then one line per item, repeat, earlier turns and what was left out."""
        lines = [self.summary(), ""]
        for item in self.items:
            lines.append(f"- {item.kind}: {_as_code(item.label)} ({item.tokens} tok)")
        for label in self.repeated:
            lines.append(f"- already above: {_as_code(label)} (sent in an earlier turn)")
        if self.history_turns:
            lines.append(f"- history: {_turns(self.history_turns)} ({self.history_tokens} tok)")
        if self.dropped_turns:
            lines.append(f"- left out: {_turns(self.dropped_turns, 'older')} (over the window)")
        lines += [f"- left out: {_as_code(label)}: {why}" for label, why in self.left_out]
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "items": [{k: v for k, v in asdict(i).items() if k != "text"} for i in self.items],
            "left_out": [list(pair) for pair in self.left_out],
            "repeated": list(self.repeated),
            "history": {
                "turns": self.history_turns,
                "tokens": self.history_tokens,
                "dropped": self.dropped_turns,
            },
            "budget": self.budget,
            "tokens": self.tokens,
            "summary": self.summary(),
        }


def _k(tokens: int) -> str:
    return f"{tokens / 1000:.1f}k" if tokens >= 1000 else str(tokens)


def _turns(count: int, what: str = "") -> str:
    noun = "turn" if count == 1 else "turns"
    return " ".join(part for part in (str(count), what, noun) if part)


class Retriever(Protocol):
    """The index as chat needs it (the chat service adapts the index service to this)."""

    async def search(self, query: str, k: int) -> list[dict[str, Any]]:
        """Hits with path, start_line, end_line, symbol and text."""

    async def repo_map(self, tokens: int, focus_files: list[str]) -> str: ...

    async def definitions(self, name: str) -> list[dict[str, Any]]:
        """Definitions with path, start_line, end_line."""


class ProjectFiles:
    """The project's files as chat may see them: listed (so not ignored) and not secret."""

    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self._listed: set[str] | None = None
        self.mtimes: dict[str, int] = {}
        self.forms: dict[str, dict[str, str]] = {}
        """Per file read for an edit: its encoding and line ending, to write it back alike."""

    def refresh(self) -> list[str]:
        """List the files again (the name check is cheap; `refusal` checks symlinks too)."""
        files = [p for p in self.workspace.list_files() if not secret_path(p)]
        self._listed = set(files)
        return sorted(files)

    def listed(self) -> set[str]:
        """The files chat may see, as last listed."""
        if self._listed is None:
            self.refresh()
        assert self._listed is not None
        return self._listed

    def refusal(self, rel: str) -> str | None:
        """Why `rel` may not be shown to a model, or None when it may."""
        policy = self.workspace.policy
        try:
            rel = policy.relative(rel)
        except AiideError as error:
            return error.message
        if policy.is_secret(rel):
            return "a secrets file: never sent to a model"
        if rel not in self.listed():
            return "ignored or not in the project"
        return None

    def content_refusal(self, rel: str) -> str | None:
        """Why the text of a file that passes `refusal` may still not be shown: a private
        key in it, or not readable as text (None: it may be shown)."""
        try:
            content = self.workspace.read(rel)
        except AiideError as error:
            return error.message
        if secret_text(content.text):
            return "it holds a private key: never sent to a model"
        return None

    def under(self, folder: str) -> list[str]:
        """The files chat may see in a folder of the project (and its subfolders)."""
        prefix = folder.strip("/") + "/"
        return sorted(rel for rel in self.listed() if rel.startswith(prefix))

    def read(self, rel: str) -> str | None:
        """Text of an allowed file; None when refused, missing or not text."""
        if self.refusal(rel) is not None:
            return None
        try:
            content = self.workspace.read(rel)
        except AiideError:
            return None
        if secret_text(content.text):  # a private key, whatever the file is called
            return None
        self.mtimes[rel] = content.mtime_ns
        return content.text

    def read_for_edit(self, rel: str) -> str | None:
        """Current text of a file a model wants to change (None: a new file).

        Raises:
            EditApplyError: the path is a secret, outside the project, or not text.
        """
        from aiide_tui.chat.fuzzy import EditApplyError

        policy = self.workspace.policy
        try:
            path = policy.resolve(rel)
        except AiideError as error:
            raise EditApplyError(f"{rel}: {error.message}") from None
        if policy.is_secret(rel):
            raise EditApplyError(f"{rel} is a secrets file; chat does not edit it")
        if not path.exists():
            return None
        try:
            content = self.workspace.read(rel)
        except AiideError as error:
            raise EditApplyError(f"{rel}: {error.message}") from None
        if secret_text(content.text):
            raise EditApplyError(f"{rel} holds a private key; chat does not edit it")
        rel = policy.relative(rel)
        self.mtimes[rel] = content.mtime_ns
        self.forms[rel] = {"encoding": content.encoding, "newline": content.newline}
        return content.text


@dataclass(frozen=True)
class OpenFile:
    """The editor's active file: path, cursor line (1-based) and selected text, if any."""

    path: str
    line: int = 1
    selection: str = ""


@dataclass
class Request:
    """Everything context assembly needs for one question."""

    question: str
    budget: int
    pinned: list[str] = field(default_factory=list)
    open_file: OpenFile | None = None
    extra: list[ContextItem] = field(default_factory=list)
    repo_map: str = ""
    dropped: set[str] = field(default_factory=set)
    hits_tokens: int | None = None
    """At most this many tokens of search hits (None: whatever is left)."""
    open_tokens: int | None = None
    """The open file is clipped to at most this many tokens (None: half of what is left)."""


def mentions(question: str) -> list[str]:
    """The `@name` words in a question, in order, without repeats."""
    return list(dict.fromkeys(_MENTION.findall(question)))


class _Fitter:
    def __init__(self, budget: int, dropped: set[str]) -> None:
        self.left = budget
        self.items: list[ContextItem] = []
        self.left_out: list[tuple[str, str]] = []
        self.dropped = dropped
        self.paths: set[str] = set()

    def add(self, item: ContextItem, path: str | None = None) -> bool:
        if item.label in self.dropped or item.kind in self.dropped:
            self.left_out.append((item.label, "dropped by you (/drop)"))
            return False
        if path is not None and path in self.paths:
            return False
        if item.tokens > self.left:
            self.left_out.append((item.label, f"{_k(item.tokens)} tokens: over the budget"))
            return False
        self.items.append(item)
        self.left -= item.tokens
        if path is not None:
            self.paths.add(path)
        return True


async def assemble(
    request: Request, files: ProjectFiles, retriever: Retriever | None
) -> ContextPack:
    """Choose the context for `request.question` within `request.budget` tokens."""
    fit = _Fitter(request.budget, request.dropped)
    for path in request.pinned:
        _add_file(fit, files, "pinned", path)
    if request.repo_map:
        fit.add(ContextItem.of("map", "map", request.repo_map))
    await _add_mentions(fit, files, retriever, request.question)
    _add_open(fit, files, request.open_file, request.open_tokens)
    for item in request.extra:
        fit.add(item)
    if retriever is not None and "hits" not in request.dropped:
        await _add_hits(fit, files, retriever, request.question, request.hits_tokens)
    return ContextPack(tuple(fit.items), tuple(fit.left_out), request.budget)


def _add_file(fit: _Fitter, files: ProjectFiles, kind: ItemKind, path: str) -> None:
    refusal = files.refusal(path)
    if refusal is not None:
        fit.left_out.append((path, refusal))
        return
    text = files.read(path)
    if text is None:
        fit.left_out.append((path, files.content_refusal(path) or "not readable as text"))
        return
    fit.add(ContextItem.of(kind, path, text), path)


async def _add_mentions(
    fit: _Fitter, files: ProjectFiles, retriever: Retriever | None, question: str
) -> None:
    names = mentions(question)
    listed = files.refresh() if names else []
    for name in names:
        path = _match_path(name, listed)
        if path is not None:
            _add_file(fit, files, "mention", path)
            continue
        if "/" in name or "." in name:
            fit.left_out.append((f"@{name}", files.refusal(name) or "no such file"))
            continue
        found = await retriever.definitions(name) if retriever is not None else []
        added = False
        for symbol in found[:3]:
            text = _lines(files, symbol["path"], symbol["start_line"], symbol["end_line"])
            if text is not None:
                label = f"@{name} ({symbol['path']}:{symbol['start_line']})"
                added = fit.add(ContextItem.of("symbol", label, text)) or added
        if not added and not found:
            fit.left_out.append((f"@{name}", "no file or symbol by that name"))


def _match_path(name: str, listed: Iterable[str]) -> str | None:
    listed = list(listed)
    if name in listed:
        return name
    ends = [path for path in listed if path.endswith("/" + name)]
    return ends[0] if len(ends) == 1 else None


def _lines(files: ProjectFiles, path: str, start: int, end: int) -> str | None:
    text = files.read(path)
    if text is None:
        return None
    lines = text.splitlines(keepends=True)[max(0, start - 1) : end]
    return f"# {path} lines {start}-{end}\n" + "".join(lines)


def _add_open(
    fit: _Fitter, files: ProjectFiles, open_file: OpenFile | None, cap: int | None
) -> None:
    if open_file is None or files.refusal(open_file.path) is not None:
        return
    if open_file.selection:
        label = f"selection in {open_file.path}"
        fit.add(ContextItem.of("selection", label, open_file.selection))
    text = files.read(open_file.path)
    if text is None or open_file.path in fit.paths:
        return
    item = ContextItem.of("open", open_file.path, text)
    room = fit.left // 2 if cap is None else min(cap, fit.left // 2)
    if item.tokens > room:
        clipped = clip_around(text, open_file.line, room)
        item = ContextItem.of("open", f"{open_file.path} (around line {open_file.line})", clipped)
    fit.add(item, open_file.path)


def clip_around(text: str, line: int, tokens: int) -> str:
    """The lines of `text` around `line` that fit in about `tokens` tokens."""
    lines = text.splitlines(keepends=True)
    start = end = max(0, min(line - 1, len(lines) - 1))
    size = 0
    while (start > 0 or end < len(lines)) and size < tokens * 4:
        if end < len(lines):
            size += len(lines[end].encode())
            end += 1
        if start > 0 and size < tokens * 4:
            start -= 1
            size += len(lines[start].encode())
    return "".join(lines[start:end])


async def _add_hits(
    fit: _Fitter, files: ProjectFiles, retriever: Retriever, question: str, cap: int | None
) -> None:
    try:
        hits = await retriever.search(question, SEARCH_HITS)
    except AiideError as error:
        fit.left_out.append(("search hits", error.message))
        return
    floor = fit.left - cap if cap is not None else 0
    for hit in hits:
        path = hit["path"]
        if path in fit.paths or files.refusal(path) is not None:
            continue
        label = f"{path}:{hit['start_line']}-{hit['end_line']}"
        item = ContextItem.of("hit", label, hit["text"])
        if fit.left - item.tokens < floor:
            fit.left_out.append((label, "over the share for search hits"))
            continue
        fit.add(item)


def _as_code(label: str) -> str:
    """A path or command as Markdown code: `todo/__init__.py` read as `todo/init.py`, bold."""
    fence = "``" if "`" in label else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{label}{pad}{fence}"
