"""Inline completion for the app's chat prompt: `/command` at the start, `@path` anywhere.

The prompt shows one suggestion as ghost text after the cursor (→ takes it),
so a suggestion only ever extends what was typed, as a shell's Tab does: the
command or path when one alone fits, else the longest start all that fit share
(`@src/` before `@src/app.py`), so → then a letter or two walks down a tree.
`aiide chat` lists the candidates instead (prompt_toolkit's menu).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

from aiide_tui.chat.commands import COMMANDS

PATH_COMMANDS = ("/add ",)
"""Commands whose arguments are paths, completed as an `@` mention is."""


def suggest(value: str, files: Sequence[str]) -> str | None:
    """`value` completed (longer than it), or None when nothing fits or all of it is typed."""
    if value.startswith("/") and " " not in value:
        return _extended(value, COMMANDS)
    word = value.rsplit(" ", 1)[-1]  # the one being typed ("" after a space)
    if word.startswith("@") and len(word) > 1:
        found = _extended(word[1:], files)
    elif value.startswith(PATH_COMMANDS) and word:
        found = _extended(word, files)
    else:
        return None
    return None if found is None else value + found[len(word.lstrip("@")) :]


def _extended(start: str, candidates: Iterable[str]) -> str | None:
    fitting = [candidate for candidate in candidates if candidate.startswith(start)]
    common = os.path.commonprefix(fitting) if fitting else ""  # noqa: RUF071 (by character, as Tab)
    return common if len(common) > len(start) else None
