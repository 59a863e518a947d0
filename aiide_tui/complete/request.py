"""What the editor asks for and what it gets back, as they cross the bus.

The editor sends windows of text around the cursor, not the whole file: a
keystroke must stay cheap to encode even in a 10,000-line file. The engine cuts
the windows further to its token budget.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Kind = Literal["insert", "delete"]
"""The edit that prompted the request: typed text, or text removed."""


@dataclass(frozen=True)
class CompletionRequest:
    """The text around the cursor at one keystroke."""

    path: str
    """Project-relative path of the document."""
    prefix: str
    """Text before the cursor (a window ending at the cursor)."""
    suffix: str
    """Text after the cursor (a window starting at the cursor)."""
    language: str | None = None
    kind: Kind = "insert"
    version: int = 0
    """The editor's edit counter, so it can drop answers to stale requests."""

    @classmethod
    def from_params(cls, params: dict[str, Any]) -> CompletionRequest:
        """Build from bus params, ignoring keys this version does not know.

        Raises:
            TypeError: a parameter is missing or of the wrong type.
        """
        known = {name: params[name] for name in cls.__dataclass_fields__ if name in params}
        request = cls(**known)
        texts = (request.path, request.prefix, request.suffix)
        if not all(isinstance(text, str) for text in texts):
            raise TypeError("path, prefix and suffix must be strings")
        if request.language is not None and not isinstance(request.language, str):
            raise TypeError("language must be a string")
        if request.kind not in ("insert", "delete"):
            raise TypeError("kind must be insert or delete")
        if not isinstance(request.version, int) or isinstance(request.version, bool):
            raise TypeError("version must be an integer")
        return request

    def to_params(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Completion:
    """A suggestion ready to show as ghost text at the cursor."""

    id: str
    text: str
    source: Literal["model", "cache"]
    model: str
    version: int = 0
    """The request's `version`, echoed so the editor can tell whether it is still current."""
    latency_ms: float = 0.0
    """Time from the request reaching the engine to the suggestion being ready."""
    details: dict[str, Any] = field(default_factory=dict)
    """Figures for the status bar and the bench: prompt tokens, model time, truncation."""

    def to_result(self) -> dict[str, Any]:
        return asdict(self)
