"""One error family: every failure a user can act on is an `AiideError`.

Each subclass has a stable `kind` so that errors survive the bus: the server
sends `kind` in the JSON-RPC error's data and the client raises the same class.
"""

from __future__ import annotations

from typing import ClassVar


class AiideError(Exception):
    """Base of all errors that carry a message meant for the user."""

    kind: ClassVar[str] = "AiideError"
    title: ClassVar[str] = "Error"
    _registry: ClassVar[dict[str, type[AiideError]]] = {}

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        cls.kind = cls.__name__
        AiideError._registry[cls.kind] = cls

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @classmethod
    def from_kind(cls, kind: str, message: str) -> AiideError:
        """Rebuild an error received over the bus (unknown kinds become `AiideError`)."""
        error_type = cls._registry.get(kind, AiideError)
        error = error_type.__new__(error_type)
        AiideError.__init__(error, message)
        return error


AiideError._registry["AiideError"] = AiideError


class ConfigError(AiideError):
    """A configuration file or value is invalid."""

    title = "Configuration error"


class PathPolicyError(AiideError):
    """A path escapes the workspace or is otherwise not allowed."""

    title = "Path not allowed"


class ProtectedPathError(PathPolicyError):
    """A write to a protected path (.git/, CI config, secrets) needs confirmation."""

    title = "Protected path"


class WorkspaceError(AiideError):
    """A file could not be read or written."""

    title = "File error"


class BinaryFileError(WorkspaceError):
    """The file is binary and cannot be opened as text."""

    title = "Binary file"


class FileTooLargeError(WorkspaceError):
    """The file is over the size limit; opening it needs confirmation."""

    title = "Large file"


class StaleFileError(WorkspaceError):
    """The file changed on disk since it was read; writing would lose those changes."""

    title = "File changed on disk"


class FileDeletedError(StaleFileError):
    """The file was deleted on disk since it was read: there is nothing to reload."""

    title = "File deleted on disk"


class UnencodableTextError(WorkspaceError):
    """The text has characters the file's own encoding (cp1252, say) cannot hold."""

    title = "Cannot save in the file's encoding"


class BusError(AiideError):
    """The service bus failed (connection lost, malformed message, remote error)."""

    title = "Service error"


class RequestCancelled(BusError):
    """The request was cancelled before it finished."""

    title = "Cancelled"
