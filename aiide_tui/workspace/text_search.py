"""Find text across the project's files: the lines that hold exactly what you typed.

Hybrid code search answers by meaning and by name; someone hunting an error
message, a config key or `TODO(ana)` wants every line with that text in it.
The query is literal, in smart case (case matters only when the query has a
capital letter, as in ripgrep), or a regular expression when written
`/like this/`. Files are read the way the editor reads them (the workspace's
`read`, through its path policy), so line numbers match what opens; binary,
unreadable and over-size files are passed over and counted, never an error.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from aiide_tui.errors import AiideError, WorkspaceError

DEFAULT_LIMIT = 1000
LINE_CHARS = 200
"""Characters of a matching line kept around the match (minified files have huge lines)."""


@dataclass(frozen=True)
class TextMatch:
    """One match: `line` is 1-based, `column` the 0-based character in the line."""

    path: str
    line: int
    column: int
    length: int
    text: str
    """The line (or the part of a long line around the match), without its newline."""
    text_column: int
    """Where the match starts in `text`."""


@dataclass
class TextSearchResult:
    matches: list[TextMatch] = field(default_factory=list)
    files_searched: int = 0
    files_matched: int = 0
    files_skipped: int = 0
    """Binary, unreadable or over the size limit."""
    truncated: bool = False
    """The limit was reached: more matches exist."""


def is_pattern(query: str) -> bool:
    """Whether `query` is a regular expression (`/like this/`) rather than literal text."""
    return len(query) > 2 and query.startswith("/") and query.endswith("/")


def compile_query(query: str) -> re.Pattern[str]:
    """The pattern for `query`: `/regex/` or literal text, case-insensitive unless it has a
    capital letter; raises WorkspaceError for an empty query or a bad regular expression."""
    if not query:
        raise WorkspaceError("Type something to find.")
    if is_pattern(query):
        source = query[1:-1]
        try:
            return re.compile(source, _smart_case(source) | re.MULTILINE)  # ^ $ per line
        except re.error as error:
            raise WorkspaceError(f"Not a valid regular expression: {error}") from None
    return re.compile(re.escape(query), _smart_case(query))


def _smart_case(text: str) -> int:
    return 0 if any(char.isupper() for char in text) else re.IGNORECASE


def search_text(
    paths: Iterable[str],
    query: str,
    read: Callable[[str], str],
    *,
    limit: int = DEFAULT_LIMIT,
    cancel: threading.Event | None = None,
) -> TextSearchResult:
    """Matches of `query` in the files `paths`, in path order; `read` gives a file's text or
    raises OSError or AiideError (binary, too large, a link out of the project...),
    which skips the file."""
    pattern = compile_query(query)
    result = TextSearchResult()
    for rel in sorted(paths):
        if cancel is not None and cancel.is_set():
            break
        try:
            text = read(rel)
        except (OSError, AiideError):  # binary, too large, outside the project, vanished
            result.files_skipped += 1
            continue
        result.files_searched += 1
        found = _matches_in(rel, text, pattern, limit - len(result.matches) + 1)
        if found:
            result.files_matched += 1
            result.matches.extend(found)
        if len(result.matches) > limit:
            del result.matches[limit:]
            result.truncated = True
            break
    return result


def _matches_in(rel: str, text: str, pattern: re.Pattern[str], most: int) -> list[TextMatch]:
    found: list[TextMatch] = []
    line, line_start = 1, 0
    for match in pattern.finditer(text):
        start, end = match.span()
        if start == end:  # a regular expression that can match nothing, like /x*/
            continue
        line += text.count("\n", line_start, start)
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        line_end = len(text) if line_end < 0 else line_end
        column = start - line_start
        length = min(end, line_end) - start
        left = max(line_start, min(start - LINE_CHARS // 4, line_end - LINE_CHARS))
        shown = text[left : min(line_end, left + LINE_CHARS)]
        found.append(TextMatch(rel, line, column, length, shown.rstrip("\r"), start - left))
        if len(found) >= most:
            break
    return found
