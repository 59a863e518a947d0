"""Lines of this file, outside the prompt's windows, that look like the code at the cursor.

A FIM prompt shows only the few hundred tokens around the cursor, yet code
repeats its own patterns: a method's sibling sets the matching attribute
(`_incoming_high_water` above, `_outgoing_high_water` wanted), a second handler
mirrors the first, a module calls its helper the same way twice. The window of
the file most like the lines just before the cursor, by the Jaccard similarity
of their identifiers (how Copilot ranks its neighbouring snippets), is given to
the model as one more snippet, beside the index's definitions (`context.py`).
Measured with `bench/fim_quality.py`.
"""

from __future__ import annotations

import re

WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
QUERY_LINES = 6
"""Lines before the cursor (its own included) that a window is compared with."""
WINDOW_LINES = 10
STEP_LINES = 2
MIN_SIMILARITY = 0.15
"""Below this a window shares too little to be worth the prompt room it takes."""
SCAN_LINES = 4000
"""Lines scanned on each side of the prompt's windows, nearest first (a huge file
stays cheap: this runs before every suggestion)."""


def similar_lines(
    prefix: str, suffix: str, shown_prefix: str, shown_suffix: str
) -> tuple[float, str] | None:
    """(similarity, text) of the window of `prefix + suffix` most like the lines before
    the cursor, from outside the windows the prompt already shows (`shown_prefix` ends
    `prefix`, `shown_suffix` starts `suffix`); None when nothing is alike enough."""
    query = _words("\n".join(prefix.rsplit("\n", QUERY_LINES)[-QUERY_LINES:]))
    if not query:
        return None
    above = prefix[: len(prefix) - len(shown_prefix)].split("\n")[:-1]
    below = suffix[len(shown_suffix) :].split("\n")[1:]
    best: tuple[float, list[str]] | None = None
    for lines, nearest_last in ((above[-SCAN_LINES:], True), (below[:SCAN_LINES], False)):
        found = _best_window(lines, query, nearest_last=nearest_last)
        if found is not None and (best is None or found[0] > best[0]):
            best = found
    if best is None or best[0] < MIN_SIMILARITY:
        return None
    similarity, lines = best
    return similarity, "\n".join(lines) + "\n"


def _best_window(
    lines: list[str], query: set[str], *, nearest_last: bool
) -> tuple[float, list[str]] | None:
    """The window of `lines` most similar to `query`; ties go to the one nearest the
    cursor (the end of `lines` when `nearest_last`)."""
    words = [_words(line) for line in lines]
    starts = range(0, max(1, len(lines) - WINDOW_LINES + 1), STEP_LINES)
    best: tuple[float, int] | None = None
    for start in reversed(starts) if nearest_last else starts:
        found = set().union(*words[start : start + WINDOW_LINES])
        if not found:
            continue
        similarity = len(query & found) / len(query | found)
        if best is None or similarity > best[0]:
            best = (similarity, start)
    if best is None:
        return None
    return best[0], lines[best[1] : best[1] + WINDOW_LINES]


def _words(text: str) -> set[str]:
    return set(WORD.findall(text)) - {"self"}
