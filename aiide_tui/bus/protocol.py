"""JSON-RPC 2.0 message shapes and error codes (https://www.jsonrpc.org/specification).

Protocol errors are classes with a `CODE`, so one table maps between the wire
and Python. Every error carries its `kind` in `data`, so an `AiideError`
raised by a handler is raised again, as the same class, by the caller.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal, NotRequired, TypedDict

from aiide_tui.errors import AiideError, BusError, RequestCancelled

Id = int | str
Params = dict[str, Any] | list[Any]

APPLICATION_ERROR = -32001
"""Code of a handler's `AiideError`; `data.kind` names its class."""
REQUEST_CANCELLED = -32800
"""Code of a request cancelled by `$/cancelRequest` (LSP); raised as `RequestCancelled`."""
CANCEL_METHOD = "$/cancelRequest"


class ErrorObject(TypedDict):
    code: int
    message: str
    data: NotRequired[Any]


class Request(TypedDict):
    jsonrpc: Literal["2.0"]
    id: Id
    method: str
    params: NotRequired[Params]


class Notification(TypedDict):
    jsonrpc: Literal["2.0"]
    method: str
    params: NotRequired[Params]


class Response(TypedDict):
    jsonrpc: Literal["2.0"]
    id: Id | None
    result: NotRequired[Any]
    error: NotRequired[ErrorObject]


Message = Request | Notification | Response


class ParseError(BusError):
    """The bytes were not a well-formed frame of JSON."""

    CODE: ClassVar[int] = -32700


class InvalidRequest(BusError):
    """The JSON was not a JSON-RPC 2.0 message."""

    CODE: ClassVar[int] = -32600


class MethodNotFound(BusError):
    """The peer has no handler for the method."""

    CODE: ClassVar[int] = -32601


class InvalidParams(BusError):
    """The params did not fit the method; handlers may raise it too."""

    CODE: ClassVar[int] = -32602


class InternalError(BusError):
    """The handler failed with an unexpected exception (a bug, not a user error)."""

    CODE: ClassVar[int] = -32603


_ERRORS_BY_CODE: dict[int, type[AiideError]] = {
    cls.CODE: cls
    for cls in (ParseError, InvalidRequest, MethodNotFound, InvalidParams, InternalError)
}
_ERRORS_BY_CODE[REQUEST_CANCELLED] = RequestCancelled


def encode(message: Message) -> bytes:
    """Serialise strictly: NaN or a non-JSON value raises ValueError or TypeError here."""
    return json.dumps(message, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode()


def decode(body: bytes) -> object:
    try:
        return json.loads(body)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ParseError(f"invalid JSON: {exc}") from exc


def make_request(request_id: Id, method: str, params: Params | None) -> Request:
    message: Request = {"jsonrpc": "2.0", "id": request_id, "method": method}
    if params is not None:
        message["params"] = params
    return message


def make_notification(method: str, params: Params | None) -> Notification:
    message: Notification = {"jsonrpc": "2.0", "method": method}
    if params is not None:
        message["params"] = params
    return message


def make_result(request_id: Id | None, result: Any) -> Response:
    return {"jsonrpc": "2.0", "id": request_id, "result": result}


def make_error(request_id: Id | None, error: AiideError) -> Response:
    """The response for `error`: its class's code (or the application code) and its kind."""
    code = next((c for c, cls in _ERRORS_BY_CODE.items() if isinstance(error, cls)), None)
    body: ErrorObject = {
        "code": APPLICATION_ERROR if code is None else code,
        "message": getattr(error, "message", str(error)),
        "data": {"kind": error.kind},
    }
    return {"jsonrpc": "2.0", "id": request_id, "error": body}


def error_from_object(error: ErrorObject) -> AiideError:
    """The exception a caller gets for an error response, whoever the peer is."""
    code, message = error.get("code"), str(error.get("message", ""))
    data = error.get("data")
    kind = data.get("kind") if isinstance(data, dict) else None
    base = _ERRORS_BY_CODE.get(code) if isinstance(code, int) else None
    base = base or (AiideError if code == APPLICATION_ERROR else BusError)
    if isinstance(kind, str):
        rebuilt = AiideError.from_kind(kind, message)
        if isinstance(rebuilt, base):
            return rebuilt
    return base(message)


def _is_id(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))


def classify(message: object) -> Literal["request", "notification", "response"]:
    """Which kind of message this is; `InvalidRequest` when it is none of them."""
    if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
        raise InvalidRequest("expected a JSON-RPC 2.0 object")
    if "method" not in message:
        if (_is_id(message.get("id")) or message.get("id") is None) and (
            "result" in message or isinstance(message.get("error"), dict)
        ):
            return "response"
        raise InvalidRequest("message has no method and is not a response")
    if not isinstance(message["method"], str):
        raise InvalidRequest("method must be a string")
    if "id" not in message:
        return "notification"
    if not _is_id(message["id"]):
        raise InvalidRequest("id must be a string or an integer")
    return "request"


_REQUIRED: Any = object()


class NamedParams(dict):
    """A request's named params: a missing one, or one of the wrong type, is the caller's
    error (`InvalidParams`), not the handler's (a `KeyError` or `TypeError` would answer as
    an internal error, and a wrong type could reach the audit log or a model).

    Handlers read them through the typed getters; each takes a default, else the
    parameter is required.
    """

    def __missing__(self, key: str) -> Any:
        raise InvalidParams(f"missing parameter {key!r}")

    def text(self, key: str, default: Any = _REQUIRED) -> Any:
        """A string."""
        return self._typed(key, default, str, "a string")

    def whole(self, key: str, default: Any = _REQUIRED, *, minimum: int | None = None) -> Any:
        """An integer (not a boolean), at least `minimum`."""
        value = self._typed(key, default, int, "an integer")
        if minimum is not None and value is not default and value < minimum:
            raise InvalidParams(f"{key!r} must be {minimum} or more, not {value}")
        return value

    def number(self, key: str, default: Any = _REQUIRED, *, positive: bool = False) -> Any:
        """A finite number (integer or float), above 0 when `positive`."""
        value = self._typed(key, default, (int, float), "a number")
        if value is not default and (value != value or value in (float("inf"), float("-inf"))):
            raise InvalidParams(f"{key!r} must be a finite number")
        if positive and value is not default and value <= 0:
            raise InvalidParams(f"{key!r} must be above 0, not {value}")
        return value

    def flag(self, key: str, default: bool = False) -> bool:
        """A boolean."""
        return self._typed(key, default, bool, "true or false")

    def texts(self, key: str, default: Any = _REQUIRED) -> Any:
        """A list of strings."""
        value = self._typed(key, default, list, "a list of strings")
        if value is not default and not all(isinstance(item, str) for item in value):
            raise InvalidParams(f"{key!r} must be a list of strings")
        return value

    def _typed(self, key: str, default: Any, kind: type | tuple[type, ...], name: str) -> Any:
        if key not in self or self[key] is None:
            if default is _REQUIRED:
                raise InvalidParams(f"missing parameter {key!r}")
            return default
        value = self[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
            raise InvalidParams(f"{key!r} must be {name}, not {type(value).__name__}")
        return value


def params_of(message: Request | Notification) -> Params:
    """The message's params (an empty object when absent)."""
    params = message.get("params", {})
    if not isinstance(params, dict | list):
        raise InvalidParams("params must be an object or an array")
    return NamedParams(params) if isinstance(params, dict) else params
