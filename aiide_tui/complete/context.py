"""What the model sees: windows of text around the cursor, and snippets from other files.

FIM prompts stay short (a few hundred tokens): on a CPU every prompt token
costs time before the first suggested one. The windows are cut at line
boundaries, nearest lines first, under a token budget estimated from
characters (no tokenizer download, no model round trip).

Cross-file snippets come from a `SnippetSource`, which the index layer
implements (definitions of names near the cursor). They come on top of the
windows, in a room of their own: measured on the standard library
(`bench/fim_quality.py`), a snippet that pushes out lines near the cursor
costs as many right answers as it wins, and a bigger window wins more than
any snippet tried (this file's lines most like the cursor's, other files'
similar code, the same function elsewhere, definitions of the names the
lines after the cursor use). A source is raced against a short timeout: a
slow index never delays a suggestion.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from aiide_tui.complete.request import CompletionRequest

logger = logging.getLogger(__name__)

CHARS_PER_TOKEN = 3.5
"""Code averages about 3.5 characters a token in the coder models' tokenizers, indentation
aside (`_tokens`)."""
INDENTATION = re.compile(r"^[ \t]+", re.MULTILINE)
SUFFIX_SHARE = 0.25
"""Most of the windows' budget the text after the cursor may take."""
SNIPPET_TIMEOUT_S = 0.05


def estimate_tokens(text: str) -> int:
    """A cheap estimate of the tokens in `text` (`_tokens`), rounded up."""
    return math.ceil(_tokens(text))


def _tokens(text: str) -> float:
    """About one token per 3.5 characters, but one for each line's indentation however wide:
    the coder models' tokenizers merge runs of spaces. (Measured with Qwen2.5-Coder on the
    standard library: characters a token, 3.2-3.8 outside indentation, 3.8-5.8 with it.)"""
    indentation = INDENTATION.findall(text)
    return (len(text) - sum(map(len, indentation))) / CHARS_PER_TOKEN + len(indentation)


@dataclass(frozen=True)
class Snippet:
    """An excerpt of another file that may help the model complete this one."""

    path: str
    text: str
    score: float = 0.0
    """Higher is more relevant; snippets are kept best first."""
    reason: str = ""
    """Why it was chosen: "definition"... (shown in debugging only)."""


@runtime_checkable
class SnippetSource(Protocol):
    """Cross-file context for a cursor position (the index layer implements it)."""

    async def snippets(
        self, path: str, prefix: str, suffix: str, *, max_tokens: int
    ) -> Sequence[Snippet]:
        """Snippets relevant to the cursor between `prefix` and `suffix` in `path`.

        Returns:
            Snippets, best first; their total may exceed `max_tokens` (the
            caller keeps those that fit). Never snippets of `path` itself.
        """
        ...


@dataclass(frozen=True)
class FimContext:
    """The text a FIM prompt is built from, already cut to the budget."""

    path: str
    prefix: str
    suffix: str
    snippets: tuple[Snippet, ...] = ()
    language: str | None = None

    @property
    def tokens(self) -> int:
        texts = [self.prefix, self.suffix, *(snippet.text for snippet in self.snippets)]
        return sum(estimate_tokens(text) for text in texts)


def prefix_window(prefix: str, max_tokens: int) -> str:
    """The end of `prefix`: the cursor's line, then whole lines above while they fit."""
    cut = prefix.rfind("\n") + 1
    used = _tokens(prefix[cut:])
    if used >= max_tokens:
        return prefix[-max(1, int(max_tokens * CHARS_PER_TOKEN)) :]
    while cut > 0:
        above = prefix.rfind("\n", 0, cut - 1) + 1
        used += _tokens(prefix[above:cut])
        if used > max_tokens:
            break
        cut = above
    return prefix[cut:]


def suffix_window(suffix: str, max_tokens: int) -> str:
    """The start of `suffix`: the rest of the cursor's line, then whole lines while they fit."""
    end = suffix.find("\n")
    if end < 0 or _tokens(suffix[:end]) >= max_tokens:
        return suffix[: max(1, int(max_tokens * CHARS_PER_TOKEN))]
    used = _tokens(suffix[:end])
    while end < len(suffix):
        below = suffix.find("\n", end + 1)
        below = len(suffix) if below < 0 else below
        used += _tokens(suffix[end:below])
        if used > max_tokens:
            break
        end = below
    return suffix[:end]


def fit_snippets(snippets: Sequence[Snippet], path: str, max_tokens: int) -> tuple[Snippet, ...]:
    """The best snippets (not from `path`) whose total stays within `max_tokens`."""
    kept: list[Snippet] = []
    used = 0
    for snippet in sorted(snippets, key=lambda item: -item.score):
        cost = estimate_tokens(snippet.text)
        if snippet.path != path and snippet.text.strip() and used + cost <= max_tokens:
            kept.append(snippet)
            used += cost
    return tuple(kept)


async def gather_snippets(
    source: SnippetSource | None,
    request: CompletionRequest,
    max_tokens: int,
    *,
    timeout_s: float = SNIPPET_TIMEOUT_S,
) -> tuple[Snippet, ...]:
    """Snippets from `source` that fit, or none when it is absent, slow or failing."""
    if source is None or max_tokens <= 0:
        return ()
    try:
        async with asyncio.timeout(timeout_s):
            found = await source.snippets(
                request.path, request.prefix, request.suffix, max_tokens=max_tokens
            )
    except TimeoutError:
        logger.debug("snippet source took over %.0f ms; none used", timeout_s * 1000)
        return ()
    except Exception:  # a broken index must not break typing
        logger.warning("snippet source failed; none used", exc_info=True)
        return ()
    return fit_snippets(found, request.path, max_tokens)


def windows(request: CompletionRequest, budget_tokens: int) -> tuple[str, str]:
    """The prefix and suffix windows, together within `budget_tokens`."""
    suffix = suffix_window(request.suffix, int(budget_tokens * SUFFIX_SHARE))
    prefix = prefix_window(request.prefix, max(1, budget_tokens - estimate_tokens(suffix)))
    return prefix, suffix


def build_context(
    request: CompletionRequest,
    budget_tokens: int,
    snippets: Sequence[Snippet] = (),
    snippet_tokens: int = 0,
) -> FimContext:
    """The windows within `budget_tokens`, and on top of them the best of `snippets` that
    fit in `snippet_tokens`."""
    prefix, suffix = windows(request, budget_tokens)
    kept = fit_snippets(snippets, request.path, snippet_tokens)
    return FimContext(request.path, prefix, suffix, kept, request.language)
