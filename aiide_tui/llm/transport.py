"""HTTP details shared by the providers: client settings and transport failures as our errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiide_tui.config import LOOPBACK_HOSTS
from aiide_tui.llm.errors import ModelError, ModelTimeout, ServerDown, StreamDropped

if TYPE_CHECKING:
    from aiide_tui.llm.roles import Role

WRITE_TIMEOUT_S = 30.0


def client_options(role: Role) -> dict[str, Any]:
    """httpx client arguments: connect and write timeouts, and no proxy for loopback.

    Reads have no httpx timeout: the role's first-token and idle deadlines
    (`base.with_deadlines`) time them, because the two need different limits.
    """
    import httpx

    options: dict[str, Any] = {
        "timeout": httpx.Timeout(
            connect=role.connect_timeout_s, read=None, write=WRITE_TIMEOUT_S, pool=None
        )
    }
    if (urlsplit(role.base_url).hostname or "") in LOOPBACK_HOSTS:
        options["trust_env"] = False
    return options


def transport_error(error: BaseException, role: Role) -> ModelError | None:
    """The `ModelError` for an httpx (or socket) failure; None when it is not one."""
    import httpx

    where = f"the {role.provider} server at {role.base_url}"
    if isinstance(error, (httpx.ConnectError, httpx.ConnectTimeout)):
        return ServerDown.at(role.provider, role.base_url, _reason(error))
    if isinstance(error, (httpx.RemoteProtocolError, httpx.ReadError, ConnectionResetError)):
        return StreamDropped(
            f"{where} closed the connection in the middle of an answer ({_reason(error)}); "
            "the server may have crashed or restarted: try again"
        )
    if isinstance(error, ConnectionError):
        return ServerDown.at(role.provider, role.base_url, "connection refused")
    if isinstance(error, httpx.TimeoutException):
        return ModelTimeout(f"{where} did not answer in time ({_reason(error)})")
    return None


def _reason(error: BaseException) -> str:
    text = str(error).strip()
    return text or type(error).__name__
