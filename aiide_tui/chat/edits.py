"""Edit formats: what a model's finished code blocks ask to change.

Three formats, as the system prompt teaches them: SEARCH/REPLACE blocks
(the primary one), unified diffs (read with `unidiff`; their line numbers
are not trusted, each hunk is located by its text), and whole files (for
new files, the path on the line before the fence or in its info string).
A block that names no file is an example, not an edit, with one exception:
small local models often ignore the formats and answer with the changed
function, or the whole changed file, itself. When an answer has no edit at all,
a block that is plainly one of the files the question was about, changed, is
that file's new text; a block that restates a definition whose first line
appears exactly once in those files replaces that definition; and when the question
asks to add code to the one file it is about, a block of definitions that file lacks goes
at its end (`restated_edits`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Literal

from unidiff import PatchSet
from unidiff.errors import UnidiffParseError

from aiide_tui.chat.stream import REPLACE_MARK, SEARCH_MARK, CodeBlock, path_hint

DIVIDER = "======="
_DIFF_INFOS = frozenset({"diff", "patch", "udiff"})
_PREFIX = re.compile(r"^[ab]/")
_OPENS_BLOCK = re.compile(r"[:{]\s*(?:#.*|//.*)?$")
"""A definition's first line ends by opening its body (Python's colon, a brace)."""
KEPT_LINES = 0.8
"""A block is taken as a whole file, changed, when it keeps this share of the file's lines
(a restated function keeps few of its file's; a rewrite of most of it is not guessed at)..."""
OLD_LINES = 0.4
"""... and at least this share of the block is the file's old lines."""
RESTATED_FILE_LINES = 3000
ELISION = re.compile(
    r"^\s*(?:#|//|/\*|<!--)?\s*(?:\.\.\.|…)|(?:rest|remainder) of (?:the )?(?:code|file|class)"
    r"|(?:existing|unchanged|same as before|other) (?:code|methods|functions)",
    re.IGNORECASE,
)
"""Lines that stand for code left out ("# ... rest of the code unchanged"): a whole-file
block holding one is not the whole file, and taking it as such would delete code."""


@dataclass(frozen=True)
class Edit:
    """One change to one file: replace `search` by `replace` (empty search: create or append),
    or write `replace` as the whole file."""

    path: str
    search: str
    replace: str
    format: Literal["search-replace", "diff", "whole"]
    source: str
    """The block text the edit came from, quoted back to the model when it fails."""


@dataclass(frozen=True)
class BlockProblem:
    """A block that looks like an edit but cannot be read as one."""

    source: str
    reason: str


def parse_edits(blocks: list[CodeBlock]) -> tuple[list[Edit], list[BlockProblem]]:
    """Every edit in the complete blocks, in order, and the blocks that could not be read."""
    edits: list[Edit] = []
    problems: list[BlockProblem] = []
    for block in blocks:
        if not block.complete:
            continue
        try:
            edits.extend(_block_edits(block))
        except ValueError as error:
            problems.append(BlockProblem(block.raw, str(error)))
    return edits, problems


def _block_edits(block: CodeBlock) -> list[Edit]:
    if SEARCH_MARK in block.body:
        return _search_replace(block)
    first = block.body.lstrip().split("\n", 1)[0]
    language = block.info.split()[0].lower() if block.info else ""
    if language in _DIFF_INFOS or first.startswith(("--- ", "diff --git")):
        return _unified(block)
    path = _info_path(block.info) or block.path_hint
    if path is None:
        return []
    return [Edit(path, "", block.body, "whole", block.raw)]


def _info_path(info: str) -> str | None:
    """`python src/new.py` or `path=src/new.py` in a fence's info string."""
    for word in info.split()[1:] if " " in info else []:
        candidate = word.removeprefix("path=").strip("\"'")
        if path_hint(candidate):
            return candidate
    return None


def _search_replace(block: CodeBlock) -> list[Edit]:
    """One or more SEARCH/REPLACE pairs, each under the path named before it."""
    lines = block.body.splitlines(keepends=True)
    path = block.path_hint or _info_path(block.info)
    edits: list[Edit] = []
    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if stripped != SEARCH_MARK:
            path = path_hint(stripped) or path
            index += 1
            continue
        search, index = _until(lines, index + 1, DIVIDER)
        replace, index = _until(lines, index, REPLACE_MARK)
        if path is None:
            raise ValueError(
                "a SEARCH/REPLACE block names no file (put the path on the line above)"
            )
        source = "".join(lines[max(0, index - len(search) - len(replace) - 3) : index])
        edits.append(Edit(path, "".join(search), "".join(replace), "search-replace", source))
    return edits


def _until(lines: list[str], start: int, mark: str) -> tuple[list[str], int]:
    for at in range(start, len(lines)):
        if lines[at].strip() == mark:
            return lines[start:at], at + 1
    raise ValueError(f"a SEARCH/REPLACE block has no `{mark}` line")


def _unified(block: CodeBlock) -> list[Edit]:
    """Each hunk becomes a search (its old side) and a replace (its new side)."""
    try:
        patch = PatchSet(block.body)
    except UnidiffParseError as error:
        raise ValueError(f"the diff could not be read: {error}") from None
    if not patch:
        raise ValueError("the diff has no `--- a/PATH` / `+++ b/PATH` header")
    edits: list[Edit] = []
    for patched in patch:
        path = _PREFIX.sub("", patched.target_file if patched.target_file != "/dev/null" else "")
        path = path or _PREFIX.sub("", patched.source_file)
        for hunk in patched:
            old = "".join(line.value for line in hunk if line.line_type in (" ", "-"))
            new = "".join(line.value for line in hunk if line.line_type in (" ", "+"))
            edits.append(Edit(path, old, new, "diff", str(hunk)))
    return edits


def restated_edits(
    blocks: list[CodeBlock], files: Mapping[str, str], *, adding: bool = False
) -> list[Edit]:
    """Edits for blocks that name no file but restate one of `files` (path -> text) whole,
    or one of its definitions; with `adding` (the question asks to add, write or create),
    new definitions for the one file in question too."""
    edits: list[Edit] = []
    for block in blocks:
        if not block.complete or SEARCH_MARK in block.body or block.path_hint:
            continue
        edit = (
            _restated_file(block, files) or _restated_definition(block, files)
            or (_new_definitions(block, files) if adding else None)
        )  # fmt: skip
        if edit is not None:
            edits.append(edit)
    return edits


ADDING = re.compile(r"\b(add|write|create|implement|append|insert|put)\b", re.IGNORECASE)
"""A question that asks for new code: its answer's new definitions are meant for the file."""


def _new_definitions(block: CodeBlock, files: Mapping[str, str]) -> Edit | None:
    """With one file in question, a block of definitions it lacks goes at its end ("add a
    test for clear_done to @tests/test_core.py" answered with just `def test_clear_done():`,
    which was dropped without a word)."""
    if len(files) != 1:
        return None
    [(path, text)] = files.items()
    new_text = _definitions_replaced(block.body, path, text)
    if new_text is None or new_text == text:
        return None
    return Edit(path, "", new_text, "whole", block.raw)


def _restated_file(block: CodeBlock, files: Mapping[str, str]) -> Edit | None:
    """The whole-file edit a block is when it is plainly one of `files`, changed: it keeps
    most lines of exactly one of them, and has no line that stands for code left out."""
    lines = block.body.splitlines()
    if len(lines) > RESTATED_FILE_LINES:
        return None
    elided = [line for line in lines if ELISION.search(line)]
    alike = []
    for path, text in files.items():
        old = text.splitlines()
        if not old or len(old) > RESTATED_FILE_LINES or old == lines:
            continue
        if not set(elided) <= set(old):
            return None
        blocks = SequenceMatcher(None, old, lines, autojunk=False).get_matching_blocks()
        kept = sum(size for *_, size in blocks)
        if kept >= KEPT_LINES * len(old) and kept >= OLD_LINES * len(lines):
            alike.append(path)
    if len(alike) != 1:
        return None
    return Edit(alike[0], "", block.body, "whole", block.raw)


def narrowed(edit: Edit, text: str) -> tuple[Edit, list[str]]:
    """A whole-file edit of the existing `text`, made as small as the block means, and notes
    on what it would remove.

    A block under a path that holds one definition of the file (small models put
    `# path/to/file.py` over the function they changed) replaces that definition, not
    the file. A block that restates the file but leaves definitions out is kept whole,
    with a note naming them: they are deleted only if the user accepts those hunks.
    """
    if edit.format != "whole":
        return edit, []
    old, new = text.splitlines(), edit.replace.splitlines()
    blocks = SequenceMatcher(None, old, new, autojunk=False).get_matching_blocks()
    if sum(size for *_, size in blocks) < KEPT_LINES * len(old):
        new_text = _definitions_replaced(edit.replace, edit.path, text)
        if new_text is not None:
            return Edit(edit.path, "", new_text, "whole", edit.source), []
    dropped = [name for name in _top_definitions(old) if name not in _top_definitions(new)]
    if not dropped:
        return edit, []
    names = ", ".join(dropped)
    return edit, [f"{edit.path}: the model's version leaves out {names}; reject those hunks "
                  "unless you asked for them to go"]  # fmt: skip


def _definitions_replaced(code: str, path: str, text: str) -> str | None:
    """`text` with each definition in `code` put in place of the one of the same first line
    (a definition the file lacks goes at its end); None when `code` is not just definitions
    or names one the file has twice."""
    lines = code.splitlines(keepends=True)
    filled = [line for line in lines if line.strip()]
    if not filled:
        return None
    margin = min(_indent(line) for line in filled)
    starts = [
        at for at, line in enumerate(lines)
        if line.strip() and _indent(line) == margin
        and (_TOP_DEFINITION.match(line.lstrip()) or _CONSTANT.match(line.lstrip()))
    ]  # fmt: skip
    if not starts or any(line.strip() for line in lines[: starts[0]]):
        return None
    result = text
    for start, end in zip(starts, [*starts[1:], len(lines)], strict=True):
        chunk = "".join(lines[start:end]).rstrip("\n") + "\n"
        if constant := _CONSTANT.match(lines[start].lstrip()):
            result = _constant_set(result, constant.group(1), chunk, lines[end:])
            if result is None:
                return None
            continue
        edit = _restated_definition(CodeBlock("", chunk, chunk), {path: result})
        if edit is not None:
            result = result.replace(edit.search, edit.replace, 1)
        elif any(line.strip() == lines[start].strip() for line in result.splitlines()):
            return None  # its first line is there more than once: which one is unclear
        else:
            result = result.rstrip("\n") + ("\n\n\n" if path.endswith(".py") else "\n\n") + chunk
    return result


_CONSTANT = re.compile(r"([A-Za-z_]\w*)\s*(?::[^=]+)?=[^=]")
"""A one-line top-level assignment (`TAX_RATE = 0.2`), as models put one over a function."""


def _constant_set(text: str, name: str, chunk: str, after: list[str]) -> str | None:
    """`text` with the one-line assignment of `name` set to `chunk`: in place, or new before
    the next definition the block restates (the code that uses it), else at the end. None
    when the file assigns `name` more than once or over several lines."""
    if chunk.count("\n") > 1:
        return None
    lines = text.splitlines(keepends=True)
    found = [at for at, line in enumerate(lines) if (m := _CONSTANT.match(line)) and m[1] == name]
    if len(found) > 1:
        return None
    if found:
        at = found[0]
        if at + 1 < len(lines) and lines[at + 1].strip() and _indent(lines[at + 1]) > 0:
            return None  # continued on the next lines
        return "".join([*lines[:at], chunk, *lines[at + 1 :]])
    follows = next((line for line in after if line.strip()), "")
    if follows:
        spot = next((at for at, line in enumerate(lines) if line.strip() == follows.strip()), None)
        if spot is not None:
            return "".join([*lines[:spot], chunk, "\n\n", *lines[spot:]])
    return text.rstrip("\n") + "\n\n" + chunk


_TOP_DEFINITION = re.compile(r"(?:async\s+)?(?:def|class|function|func|fn)\s+(\w+)")


def _top_definitions(lines: list[str]) -> list[str]:
    """Names of the definitions that start at the left margin."""
    return [m.group(1) for line in lines if (m := _TOP_DEFINITION.match(line))]


def _restated_definition(block: CodeBlock, files: Mapping[str, str]) -> Edit | None:
    """The block replaces the definition of `files` whose first line is the block's own
    first line, when that line appears exactly once in all of `files`."""
    lines = block.body.splitlines(keepends=True)
    header = next((line for line in lines if line.strip()), "")
    if len(header.strip()) < 6 or not _OPENS_BLOCK.search(header.rstrip()):
        return None
    found = [
        (path, number)
        for path, text in files.items()
        for number, line in enumerate(text.splitlines(keepends=True))
        if line.strip() == header.strip()
    ]
    if len(found) != 1:
        return None
    path, start = found[0]
    old_lines = files[path].splitlines(keepends=True)
    old = "".join(old_lines[start : _definition_end(old_lines, start)])
    shift = _indent(old_lines[start]) - _indent(header)
    new = "".join(_shifted(line, shift) for line in lines[lines.index(header) :])
    return Edit(path, old, new.rstrip("\n") + "\n", "search-replace", block.raw)


def _definition_end(lines: list[str], start: int) -> int:
    """The line after the definition starting at `start`: its body is indented deeper (or
    is a brace block closed at the header's indent); trailing blank lines stay outside."""
    indent = _indent(lines[start])
    braces = lines[start].rstrip().endswith("{")
    end = start + 1
    while end < len(lines):
        line = lines[end]
        if line.strip() and _indent(line) <= indent:
            if braces and line.strip().startswith("}"):
                end += 1
            break
        end += 1
    while end > start + 1 and not lines[end - 1].strip():
        end -= 1
    return end


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _shifted(line: str, shift: int) -> str:
    if shift > 0 and line.strip():
        return " " * shift + line
    if shift < 0 and line[:-shift].strip() == "":
        return line[-shift:]
    return line
