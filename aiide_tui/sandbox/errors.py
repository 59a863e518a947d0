"""Sandbox errors: a user can act on each (start an engine, build an image, fix a limit)."""

from __future__ import annotations

from aiide_tui.errors import AiideError


class SandboxError(AiideError):
    """A sandboxed run could not be started or finished."""

    title = "Sandbox error"


class NoEngineError(SandboxError):
    """No backend can run code isolated; aiide refuses rather than run it on the host."""

    title = "No sandbox engine"


class ImageMissingError(SandboxError):
    """The configured image is not on the engine."""

    title = "Sandbox image missing"
