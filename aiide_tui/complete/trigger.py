"""When to ask at all: cheap checks that run before any wait or request.

Each check is a named function returning why it refused (or None), so the
engine can report the reason and tests can name the rule they exercise.
"""

from __future__ import annotations

from collections.abc import Callable

from aiide_tui.complete.request import CompletionRequest
from aiide_tui.config import CompleteConfig

PLAIN_TEXT = "text"
"""The language name of a document with no syntax (for `disabled_languages`)."""
CLOSERS = frozenset(")]}>\"'`;:,. \t")
"""Characters that may follow the cursor on its line for a mid-line suggestion."""


def disabled_languages(config: CompleteConfig) -> frozenset[str]:
    """The `[complete] disabled_languages` list as lower-case names."""
    return frozenset(
        part.strip().lower() for part in config.disabled_languages.split(",") if part.strip()
    )


def enabled(request: CompletionRequest, config: CompleteConfig) -> str | None:
    return None if config.enabled else "completion is off"


def language_enabled(request: CompletionRequest, config: CompleteConfig) -> str | None:
    language = (request.language or PLAIN_TEXT).lower()
    return f"completion is off for {language}" if language in disabled_languages(config) else None


def typed(request: CompletionRequest, config: CompleteConfig) -> str | None:
    """Deleting text moves away from what the user wants written: no suggestion."""
    return "text was deleted" if request.kind == "delete" else None


def not_mid_word(request: CompletionRequest, config: CompleteConfig) -> str | None:
    """No suggestion in the middle of a word (a word character right after the cursor)."""
    return "the cursor is inside a word" if is_mid_word(request.suffix) else None


def rest_of_line_closes(request: CompletionRequest, config: CompleteConfig) -> str | None:
    """Mid-line, only when what follows the cursor just closes things (`)`, `"]`, `;`)."""
    rest = request.suffix.split("\n", 1)[0]
    if all(character in CLOSERS for character in rest):
        return None
    return "text follows the cursor on its line"


def is_mid_word(suffix: str) -> bool:
    """Whether the text right after the cursor continues a word."""
    return bool(suffix) and (suffix[0].isalnum() or suffix[0] == "_")


Check = Callable[[CompletionRequest, CompleteConfig], str | None]
CHECKS: tuple[Check, ...] = (enabled, language_enabled, typed, not_mid_word, rest_of_line_closes)


def refusal(request: CompletionRequest, config: CompleteConfig) -> str | None:
    """Why no completion should be asked for here, or None to go ahead."""
    for check in CHECKS:
        reason = check(request, config)
        if reason is not None:
            return reason
    return None
