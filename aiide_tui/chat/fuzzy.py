"""Finding a model's SEARCH text in a file when it is slightly stale.

Strategies, tried in order, each on whole lines: exact; ignoring
indentation and trailing spaces; the same lines in another order (a moved
line); one line more or fewer (a line added or removed since). A match must
be unique. When none fits, the error names the closest lines, so a repair
request can show the model what the file really says.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from aiide_tui.errors import AiideError

CLOSEST_MAX_LINES = 5000
"""Files longer than this get no "closest lines" hint (it costs a scan per window)."""


class EditApplyError(AiideError):
    """An edit does not fit the file it names; the message says why, for the model too."""

    title = "Edit does not apply"


@dataclass(frozen=True)
class Match:
    start: int
    end: int
    """Line range [start, end) in the file."""
    strategy: str
    """"exact", "whitespace", "moved line", "extra line" or "missing line"."""


def _norm(line: str) -> str:
    return line.strip()


def _windows(
    lines: list[str], size: int, same: Callable[[list[str]], bool]
) -> list[tuple[int, int]]:
    if size <= 0 or size > len(lines):
        return []
    return [(i, i + size) for i in range(len(lines) - size + 1) if same(lines[i : i + size])]


def find(lines: list[str], search: list[str], path: str) -> Match:
    """Where `search` (lines with endings) sits in `lines`.

    Raises:
        EditApplyError: no place fits, or several do.
    """
    search = _trim_blank(search)
    if not search:
        raise EditApplyError(f"the SEARCH text for {path} is empty")
    wanted = [_norm(line) for line in search]
    size = len(search)
    strategies: list[tuple[str, int, Callable[[list[str]], bool]]] = [
        ("exact", size, lambda w: [x.rstrip("\n") for x in w] == [s.rstrip("\n") for s in search]),
        ("whitespace", size, lambda w: [_norm(x) for x in w] == wanted),
        ("moved line", size, lambda w: Counter(_norm(x) for x in w) == Counter(wanted)),
        ("extra line", size + 1, lambda w: _one_off([_norm(x) for x in w], wanted)),
        ("missing line", size - 1, lambda w: _one_off(wanted, [_norm(x) for x in w])),
    ]
    for name, width, same in strategies:
        if size < 3 and name in ("moved line", "extra line", "missing line"):
            continue
        found = _windows(lines, width, same)
        if len(found) == 1:
            return Match(found[0][0], found[0][1], name)
        if len(found) > 1:
            places = ", ".join(f"line {start + 1}" for start, _ in found[:5])
            raise EditApplyError(
                f"the SEARCH text matches {len(found)} places in {path} ({places}); "
                "include more surrounding lines so it matches one"
            )
    raise EditApplyError(_not_found(lines, search, path))


def _one_off(longer: list[str], shorter: list[str]) -> bool:
    """Whether `shorter` is `longer` with exactly one line left out."""
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _trim_blank(lines: list[str]) -> list[str]:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return lines[start:end]


def _not_found(lines: list[str], search: list[str], path: str) -> str:
    message = f"the SEARCH text is not in {path}"
    if not lines or len(lines) > CLOSEST_MAX_LINES:
        return message
    wanted = "\n".join(_norm(line) for line in search)
    best, best_at = 0.0, 0
    for at in range(max(1, len(lines) - len(search) + 1)):
        window = "\n".join(_norm(line) for line in lines[at : at + len(search)])
        matcher = difflib.SequenceMatcher(None, window, wanted, autojunk=False)
        if matcher.real_quick_ratio() <= best or matcher.quick_ratio() <= best:
            continue
        ratio = matcher.ratio()
        if ratio > best:
            best, best_at = ratio, at
    if best < 0.5:
        return message
    closest = "".join(lines[best_at : best_at + len(search)])
    return f"{message}; the closest lines are {best_at + 1}-{best_at + len(search)}:\n{closest}"


def reindent(replace: list[str], search: list[str], found: list[str]) -> list[str]:
    """Shift `replace` by the indentation the file has and the SEARCH text lacked (or had extra)."""
    model = next((line for line in search if line.strip()), None)
    real = next((line for line in found if line.strip()), None)
    if model is None or real is None:
        return replace
    have = len(model) - len(model.lstrip())
    need = len(real) - len(real.lstrip())
    if have == need:
        return replace
    if need > have:
        pad = real[: need - have]
        return [pad + line if line.strip() else line for line in replace]
    cut = have - need
    return [line[cut:] if line[:cut].strip() == "" else line.lstrip() for line in replace]
