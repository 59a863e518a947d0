"""Cut a source file into chunks on semantic boundaries, and collect its tags.

One tag query per file (run in C) finds the definitions, calls and imports;
Python then walks only the definition units, never every node. A definition
small enough is one chunk, comments just above it included; a big class is
opened and its members chunked with the class signature as their header; a
big function is cut at statement boundaries, each piece headed by the
signature. Runs of small non-definition statements are merged. Files with no
grammar fall back to line windows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING, NamedTuple

from aiide_tui.index.languages import CONTAINER_KINDS, knows_qualifiers, parser_for, tag_query

if TYPE_CHECKING:
    from tree_sitter import Node

MAX_LINES = 80
MAX_BYTES = 4000
MERGE_LINES = 40
WINDOW_LINES = 60
HEADER_LINES = 3
UNIT_LESS_KINDS = frozenset({"constant"})
UNKNOWN = "?"
"""A call's qualifier where the language's tags do not say whether it goes through a name."""
THROUGH_EXPRESSION = "*"
"""A call through an expression (`self.items.append()`), not a plain name."""
PLAIN_NAMES = frozenset({"identifier", "this", "self"})
"""Node types of a qualifier that is a plain name."""
"""Definitions that stay in the surrounding chunk instead of getting their own."""
PACKAGE_FILES = frozenset(
    {"__init__.py", "index.js", "index.ts", "index.tsx", "index.mjs", "mod.rs", "lib.rs"}
)
"""Files that stand for their folder in symbol paths."""


class Chunk(NamedTuple):
    """Lines `start_line`..`end_line` (1-based, inclusive) of a file, and what they define."""

    start_line: int
    end_line: int
    symbol: str
    kind: str
    header: str
    text: str


class Definition(NamedTuple):
    """A named definition: `path` is `module.Class.method`; `parent` indexes its container."""

    name: str
    path: str
    kind: str
    start_line: int
    end_line: int
    parent: int
    signature: str


class Reference(NamedTuple):
    """Uses of `name` inside one definition (`enclosing`, -1 for module level)."""

    name: str
    kind: str
    enclosing: int
    lines: tuple[int, ...]
    qualifier: str = ""
    """What the calls go through: a plain name (`logging` in `logging.getLogger()`),
    `THROUGH_EXPRESSION`, "" for a plain call, `UNKNOWN` where the language's tags do not
    tell. The graph does not link a call through a module from outside the project, nor a
    plain call to a method, nor `self.f()` to a function."""


@dataclass
class ParsedFile:
    """Everything the index stores for one file."""

    language: str | None
    chunks: list[Chunk] = field(default_factory=list)
    definitions: list[Definition] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    imports: list[str] = field(default_factory=list)
    extras: list[tuple[str, str, str]] = field(default_factory=list)
    """Per chunk: search terms, symbol terms, content hash (filled by the parse worker)."""


def module_name(rel: str) -> str:
    """`pkg/sub/mod.py` -> `pkg.sub.mod`; package files (`__init__`, `index`) name the folder."""
    path = PurePosixPath(rel)
    parts = [*path.parent.parts, path.stem]
    if len(parts) > 1 and path.name in PACKAGE_FILES:
        parts.pop()
    return ".".join(part for part in parts if part not in ("", "."))


def parse_file(rel: str, data: bytes, language: str | None) -> ParsedFile:
    """Chunks, definitions, references and imports of one file's bytes."""
    parser = parser_for(language) if language else None
    lines = data.split(b"\n")
    if parser is None:
        return ParsedFile(language, window_chunks(lines, module_name(rel)))
    tree = parser.parse(data)
    raw_defs, refs, imports = _tags(tree.root_node, language)
    module = module_name(rel)
    defs, spans = _nest(raw_defs, module, lines)
    builder = _ChunkBuilder(lines, module, spans)
    builder.region(tree.root_node.named_children, "", module)
    builder.flush()
    chunks = builder.chunks or window_chunks(lines, module)
    return ParsedFile(language, chunks, defs, _enclose(refs, spans), imports)


def window_chunks(lines: list[bytes], symbol: str) -> list[Chunk]:
    """Fixed windows of lines, for text that has no grammar."""
    chunks = []
    for start in range(0, len(lines), WINDOW_LINES):
        body = lines[start : start + WINDOW_LINES]
        text = _decode(body)
        if text.strip():
            chunks.append(Chunk(start + 1, start + len(body), symbol, "text", "", text))
    return chunks


def _decode(lines: list[bytes]) -> str:
    return b"\n".join(lines).decode("utf-8", "replace")


# -- tags ------------------------------------------------------------------------------


class _RawDef(NamedTuple):
    start: int
    end: int
    start_row: int
    end_row: int
    name: str
    kind: str
    node: Node
    receiver: str
    """The type a Go method is declared on ("" elsewhere): it joins the symbol path."""


def _aliases(captures: dict[str, list[Node]]) -> dict[str, str]:
    """Imported names under another name (`from core import Engine as E`: E -> Engine), so
    a call `E()` is a reference to `Engine`; `import numpy as np`: np -> numpy, so the graph
    knows `np.array()` goes through a module from outside the project."""
    originals = sorted(captures.get("alias.of", ()), key=lambda node: node.start_byte)
    names = sorted(captures.get("alias", ()), key=lambda node: node.start_byte)
    return {
        alias.text.decode("utf-8", "replace"): original.text.decode("utf-8", "replace").rsplit(
            ".", 1
        )[-1]
        for original, alias in zip(originals, names, strict=False)
    }


def _tags(
    root: Node, language: str
) -> tuple[list[_RawDef], list[tuple[int, int, str, str]], list[str]]:
    """Definitions (outermost node per range), calls (byte, row, name, qualifier), imports.

    `captures()` builds far fewer Python objects than `matches()` (one list per
    capture name instead of a dict per match), so names are paired with their
    definitions here: innermost definitions first, each taking the first name
    inside it that no inner definition took (a name precedes the body).
    """
    from tree_sitter import QueryCursor

    query = tag_query(language)
    if query is None:
        return [], [], []
    captures = QueryCursor(query).captures(root)
    aliases = _aliases(captures)
    # `a.b()`: the qualifier `a` ends just before the "." that precedes `b`; `x.y.b()` or
    # `"-".join()` go through something that is not a plain name
    qualifiers = {
        node.end_byte + 1: node.text.decode("utf-8", "replace")
        if node.type in PLAIN_NAMES else THROUGH_EXPRESSION
        for node in captures.get("ref.qualifier", ())
    }  # fmt: skip
    plain = "" if knows_qualifiers(language) else UNKNOWN
    refs = []
    for node in captures.get("ref.call", ()):
        if name := node.text.decode("utf-8", "replace"):
            qualifier = qualifiers.get(node.start_byte, plain)  # `np.array()`: through numpy
            refs.append(
                (node.start_byte, node.start_point[0], aliases.get(name, name),
                 aliases.get(qualifier, qualifier))
            )  # fmt: skip
    imports = [
        node.text.decode("utf-8", "replace").strip("\"'<>") for node in captures.get("import", ())
    ]
    return _definitions(captures), refs, imports


def _definitions(captures: dict[str, list[Node]]) -> list[_RawDef]:
    nodes: dict[tuple[int, int], tuple[Node, str]] = {}
    for key, found in captures.items():  # capture names in query order: the first kind wins
        if key.startswith("def."):
            for node in found:
                nodes.setdefault((node.start_byte, node.end_byte), (node, key[4:]))
    if not nodes:
        return []
    names = _Claims(captures.get("name", []))
    receivers = _Claims(captures.get("receiver", []))
    defs = []
    for (start, end), (node, kind) in sorted(nodes.items(), key=lambda i: (-i[0][0], i[0][1])):
        name = names.take(start, end)
        if name is None:
            continue
        receiver = receivers.take(start, end) if receivers.nodes else None
        defs.append(
            _RawDef(
                start, end, node.start_point[0], node.end_point[0],
                name.text.decode("utf-8", "replace").strip(), kind, node,
                receiver.text.decode("utf-8", "replace") if receiver else "",
            )
        )  # fmt: skip
    defs.reverse()
    return defs


class _Claims:
    """Capture nodes in document order, each taken by at most one definition."""

    def __init__(self, nodes: list[Node]) -> None:
        unique = {(node.start_byte, node.end_byte): node for node in nodes}  # one per span
        self.nodes = [unique[span] for span in sorted(unique)]
        self.starts = [node.start_byte for node in self.nodes]
        self.taken: set[int] = set()

    def take(self, start: int, end: int) -> Node | None:
        """The first untaken node inside start..end."""
        from bisect import bisect_left

        for index in range(bisect_left(self.starts, start), len(self.nodes)):
            node = self.nodes[index]
            if node.start_byte >= end:
                return None
            if index not in self.taken and node.end_byte <= end:
                self.taken.add(index)
                return node
        return None


class _Span(NamedTuple):
    start: int
    end: int
    index: int
    path: str
    kind: str
    start_row: int
    node: Node


def _nest(
    raw: list[_RawDef], module: str, lines: list[bytes]
) -> tuple[list[Definition], dict[int, list[_Span]]]:
    """Give each definition its symbol path and parent; map end bytes to spans, outermost first."""
    defs: list[Definition] = []
    by_end: dict[int, list[_Span]] = {}
    stack: list[_Span] = []
    for item in raw:
        while stack and stack[-1].end <= item.start:
            stack.pop()
        parent = stack[-1] if stack else None
        kind = item.kind
        if kind == "function" and parent is not None and parent.kind in CONTAINER_KINDS:
            kind = "method"
        owner = parent.path if parent else module
        if item.receiver:
            owner = f"{owner}.{item.receiver}"
        path = f"{owner}.{item.name}".lstrip(".")
        signature = lines[item.start_row].decode("utf-8", "replace").strip()[:200]
        index = len(defs)
        defs.append(
            Definition(
                item.name, path, kind, item.start_row + 1, item.end_row + 1,
                parent.index if parent else -1, signature,
            )
        )  # fmt: skip
        span = _Span(item.start, item.end, index, path, kind, item.start_row, item.node)
        if kind not in UNIT_LESS_KINDS:
            by_end.setdefault(item.end, []).append(span)
        stack.append(span)
    return defs, by_end


def _enclose(
    refs: list[tuple[int, int, str, str]], spans: dict[int, list[_Span]]
) -> list[Reference]:
    """Group calls by (innermost enclosing definition, name, qualifier): `self.tidy()` and
    `tidy()` in one function are calls to different definitions."""
    ordered = sorted(
        (s for group in spans.values() for s in group), key=lambda s: (s.start, -s.end)
    )
    grouped: dict[tuple[int, str, str], list[int]] = {}
    stack: list[_Span] = []
    cursor = 0
    for byte, row, name, qualifier in sorted(refs):
        while cursor < len(ordered) and ordered[cursor].start <= byte:
            stack.append(ordered[cursor])
            cursor += 1
        while stack and stack[-1].end <= byte:
            stack.pop()
        # the top now starts at or before `byte` and ends after it: the innermost definition
        enclosing = stack[-1].index if stack else -1
        grouped.setdefault((enclosing, name, qualifier), []).append(row + 1)
    return [
        Reference(name, "call", enclosing, tuple(rows), qualifier)
        for (enclosing, name, qualifier), rows in grouped.items()
    ]


# -- chunks ----------------------------------------------------------------------------


class _ChunkBuilder:
    """Turns sibling nodes into chunks, merging small runs and opening big definitions."""

    def __init__(self, lines: list[bytes], module: str, spans: dict[int, list[_Span]]) -> None:
        self.lines = lines
        self.module = module
        self.spans = spans
        self.chunks: list[Chunk] = []
        self.run: list[Node] = []
        self.run_header = ""
        self.run_symbol = module
        self.prefix: int | None = None
        """First row of a container's signature, not yet in any chunk."""

    def unit_of(self, node: Node) -> _Span | None:
        """The outermost definition that `node` is (or wraps, like a decorator or `export`)."""
        for span in self.spans.get(node.end_byte, ()):
            if span.start >= node.start_byte:
                return span
        return None

    def region(
        self, nodes: list[Node], header: str, symbol: str, prefix: int | None = None
    ) -> None:
        """Chunk sibling nodes under `header` (the signatures of their containers).

        `prefix` is where the container starts: its signature joins the first chunk.
        """
        self.flush()
        self.run_header, self.run_symbol, self.prefix = header, symbol, prefix
        for node in nodes:
            span = self.unit_of(node)
            if span is None:
                self._add_plain(node)
            else:
                self._add_definition(node, span, header)
        self.flush()
        if self.prefix is not None:
            self._emit(self.prefix, self.prefix, symbol, "code")
            self.prefix = None

    def flush(self) -> None:
        if self.run:
            first, last = self.run[0], self.run[-1]
            start = first.start_point[0] if self.prefix is None else self.prefix
            self._emit(start, last.end_point[0], self.run_symbol, "code")
            self.run = []
            self.prefix = None

    def _add_plain(self, node: Node) -> None:
        rows = node.end_point[0] - node.start_point[0] + 1
        if rows > MAX_LINES or node.end_byte - node.start_byte > MAX_BYTES:
            self.flush()
            self._split_rows(node.start_point[0], node.end_point[0], self.run_symbol, "code")
            return
        if self.run and node.end_point[0] - self.run[0].start_point[0] >= MERGE_LINES:
            self.flush()
        self.run.append(node)

    def _add_definition(self, node: Node, span: _Span, header: str) -> None:
        comments = self._take_leading_comments(node)
        self.flush()
        start = comments[0].start_point[0] if comments else node.start_point[0]
        if self.prefix is not None:
            self._emit(self.prefix, start - 1, self.run_symbol, "code")
            self.prefix = None
        end = node.end_point[0]
        small = end - start + 1 <= MAX_LINES and node.end_byte - node.start_byte <= MAX_BYTES
        if small:
            self._emit(start, end, span.path, span.kind, header)
            return
        body = _body_of(span.node)
        signature = self._signature(span.start_row, body)
        inner = f"{header}\n{signature}".strip("\n")
        if body is None:
            self._split_rows(start, end, span.path, span.kind, header)
        elif span.kind in CONTAINER_KINDS:
            saved = self.run_header, self.run_symbol
            self.region(body.named_children, inner, span.path, prefix=start)
            self.run_header, self.run_symbol = saved
        else:
            self._split_body(start, body, span, inner)

    def _take_leading_comments(self, node: Node) -> list[Node]:
        """Comment nodes at the end of the current run that sit right above `node`."""
        taken: list[Node] = []
        row = node.start_point[0]
        while self.run and "comment" in self.run[-1].type and self.run[-1].end_point[0] >= row - 1:
            taken.insert(0, self.run.pop())
            row = taken[0].start_point[0]
        return taken

    def _split_body(self, start: int, body: Node, span: _Span, header: str) -> None:
        """A big function: pieces of whole statements, each headed by the signature."""
        piece_start = start
        last = start - 1
        for statement in body.named_children:
            s_end = statement.end_point[0]
            if s_end - piece_start + 1 > MAX_LINES and last >= piece_start:
                self._emit(piece_start, last, span.path, span.kind, header)
                piece_start = last + 1
            last = s_end
        end = max(last, body.end_point[0])
        self._split_rows(piece_start, end, span.path, span.kind, header)

    def _split_rows(self, start: int, end: int, symbol: str, kind: str, header: str = "") -> None:
        for first in range(start, end + 1, MAX_LINES):
            self._emit(first, min(end, first + MAX_LINES - 1), symbol, kind, header)

    def _signature(self, start_row: int, body: Node | None) -> str:
        stop = start_row
        if body is not None:
            stop = body.start_point[0]
            if not self.lines[stop][: body.start_point[1]].strip():
                stop -= 1
        stop = min(max(stop, start_row), start_row + HEADER_LINES - 1)
        return _decode(self.lines[start_row : stop + 1]).strip()

    def _emit(
        self, start: int, end: int, symbol: str, kind: str, header: str | None = None
    ) -> None:
        text = _decode(self.lines[start : end + 1])
        if text.strip():
            head = self.run_header if header is None else header
            self.chunks.append(Chunk(start + 1, end + 1, symbol, kind, head, text))


def _body_of(node: Node) -> Node | None:
    """The block holding a definition's members or statements."""
    body = node.child_by_field_name("body")
    if body is None:
        for child in reversed(node.named_children):
            if child.type.endswith(("block", "body", "declaration_list", "class_body")):
                return child
        inner = node.named_children[-1] if node.named_children else None
        if inner is not None and inner.type.endswith(("definition", "declaration")):
            return _body_of(inner)
    return body
