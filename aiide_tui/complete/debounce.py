"""How long to wait after a keystroke before asking the model (Tabby's adaptive debounce).

A fixed wait is wrong for everyone: too short for a slow typist (a request per
key), too long for a fast one (suggestions feel late). The wait here follows
the user's own rhythm: a little longer than their usual gap between keys, so
a request goes out when they pause, and shorter where a suggestion is likely
wanted (after a newline or an opening bracket, at the end of a line).
"""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable

from aiide_tui.complete.request import CompletionRequest

HISTORY = 64
"""Gaps between keystrokes remembered."""
PAUSE_S = 1.5
"""A gap longer than this is a pause (thinking, reading), not typing rhythm."""
MIN_SAMPLES = 8
"""Below this many gaps the rhythm is a guess: `DEFAULT_GAP_S`."""
DEFAULT_GAP_S = 0.18
"""A typical gap between keys for someone typing code (about 65 words a minute)."""
RATE_RANGE = (1.25, 2.5)
"""Wait = rhythm times a rate: the low end where a suggestion is most likely wanted."""
TRIGGER_CHARACTERS = frozenset("\n({[.,:=")
WEIGHTS = {"trigger_character": 0.5, "line_end": 0.3, "document_end": 0.2}


class AdaptiveDebounce:
    """Keeps the user's typing rhythm and turns it into a wait per request."""

    def __init__(
        self, min_ms: int, max_ms: int, *, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.min_s, self.max_s = sorted((min_ms / 1000, max_ms / 1000))
        self._clock = clock
        self._gaps: deque[float] = deque(maxlen=HISTORY)
        self._last: float | None = None

    @property
    def rhythm_s(self) -> float:
        """The user's usual gap between keys while typing (median of recent gaps)."""
        if len(self._gaps) < MIN_SAMPLES:
            return DEFAULT_GAP_S
        return statistics.median(self._gaps)

    def keystroke(self) -> None:
        """Record that a key was typed now."""
        now = self._clock()
        if self._last is not None and 0 < now - self._last < PAUSE_S:
            self._gaps.append(now - self._last)
        self._last = now

    def delay_s(self, request: CompletionRequest) -> float:
        """Seconds to wait before asking the model for `request`, within the bounds."""
        low, high = RATE_RANGE
        rate = high - (high - low) * context_score(request)
        return min(self.max_s, max(self.min_s, self.rhythm_s * rate))


def context_score(request: CompletionRequest) -> float:
    """0 to 1: how likely the user wants a suggestion right here."""
    score = 0.0
    if request.prefix[-1:] in TRIGGER_CHARACTERS:
        score += WEIGHTS["trigger_character"]
    if not request.suffix.split("\n", 1)[0].strip():
        score += WEIGHTS["line_end"]
    if not request.suffix.strip():
        score += WEIGHTS["document_end"]
    return score
