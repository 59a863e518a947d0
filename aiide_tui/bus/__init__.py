"""The service bus: JSON-RPC 2.0 with LSP framing, in process, over stdio or a Unix socket.

Only the standard library and `aiide_tui.errors` are imported here: the app
talks to its services through this package before its first paint.
"""

from aiide_tui.bus.endpoint import Endpoint, RequestContext, Router
from aiide_tui.bus.protocol import (
    InternalError,
    InvalidParams,
    InvalidRequest,
    MethodNotFound,
    NamedParams,
    ParseError,
)
from aiide_tui.bus.transports import (
    connect_in_process,
    connect_subprocess,
    connect_unix_socket,
    serve_stdio,
    serve_unix_socket,
)
from aiide_tui.errors import BusError, RequestCancelled

__all__ = [
    "BusError",
    "Endpoint",
    "InternalError",
    "InvalidParams",
    "InvalidRequest",
    "MethodNotFound",
    "NamedParams",
    "ParseError",
    "RequestCancelled",
    "RequestContext",
    "Router",
    "connect_in_process",
    "connect_subprocess",
    "connect_unix_socket",
    "serve_stdio",
    "serve_unix_socket",
]
