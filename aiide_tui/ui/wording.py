"""How lists read in the app's sentences (dialogs, notices): a few names, then a count."""

from __future__ import annotations

from collections.abc import Sequence


def some_paths(paths: Sequence[str], shown: int = 8) -> str:
    """`a, b, c and 997 more`: a sandbox run's 1,000 files ran a dialog off the screen."""
    more = len(paths) - shown
    return ", ".join(paths[:shown]) + (f" and {more:,} more" if more > 0 else "")
