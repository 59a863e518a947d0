"""Which model serves each role and whether its server answers (for doctor and the status bar).

The draft model is not asked about on its own: the fim role's server loads
it (speculative decoding is the server's job), so it is shown beside fim.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import PurePath
from typing import TYPE_CHECKING

from aiide_tui.errors import AiideError
from aiide_tui.llm.roles import Role, resolve_roles

if TYPE_CHECKING:
    from aiide_tui.config import Config

HEALTH_TIMEOUT_S = 4.0


@dataclass(frozen=True)
class RoleStatus:
    """One role: which model serves it, where, and whether it is ready."""

    role: str
    model: str
    ok: bool
    line: str
    """e.g. `fim: qwen2.5-coder:7b (llama-server openai at http://gpu:8012/v1), draft
    qwen2.5-coder:0.5b: ok`."""
    state: str = ""
    """What follows the last colon of `line` ("ok", or what is wrong)."""


async def role_statuses(config: Config) -> list[RoleStatus]:
    """The status of every configured role, asked of the servers concurrently (never raises)."""
    try:
        roles = resolve_roles(config)
    except AiideError as error:
        return [RoleStatus("config", "", False, error.message)]
    draft = roles.pop("draft", None)
    statuses = await asyncio.gather(*(_status(role, draft) for role in roles.values()))
    if draft is not None:
        line = f"draft: {draft.model}, loaded by the fim server for speculative decoding"
        statuses.append(RoleStatus("draft", draft.model, True, line))
    return statuses


async def _status(role: Role, draft: Role | None) -> RoleStatus:
    from aiide_tui.llm.registry import provider_for_role

    served = role.describe()
    if role.name == "fim" and draft is not None:
        served += f", draft {draft.model}"
    try:
        provider = provider_for_role(role)
    except AiideError as error:
        line = f"{role.name}: {served}: {error.message}"
        return RoleStatus(role.name, role.model, False, line, error.message)
    try:
        health = await asyncio.wait_for(provider.health(), HEALTH_TIMEOUT_S)
    except TimeoutError:
        detail = f"no answer within {HEALTH_TIMEOUT_S:g} s"
        return RoleStatus(role.name, role.model, False, f"{role.name}: {served}: {detail}", detail)
    finally:
        await provider.aclose()
    ok = health.reachable and health.model_available
    state = "ok" if ok else health.detail
    if ok and role.provider == "local":
        state = f"ok, {health.detail}"
    return RoleStatus(role.name, role.model, ok, f"{role.name}: {served}: {state}", state)


def summary(statuses: list[RoleStatus]) -> str:
    """A few words for the status bar: the fim and chat models (and the draft), a GGUF
    file by its name (its folder is in `aiide doctor`)."""
    models = {status.role: _short(status.model) for status in statuses}
    if "draft" not in models and "fim" in models and models["fim"] == models.get("chat"):
        return f"fim+chat {models['fim']}"  # one model serves both (the local default)
    parts = []
    if "fim" in models:
        draft = f"+{models['draft']}" if "draft" in models else ""
        parts.append(f"fim {models['fim']}{draft}")
    if "chat" in models:
        parts.append(f"chat {models['chat']}")
    return ", ".join(parts) or "no models"


def _short(model: str) -> str:
    return PurePath(model).name if model.endswith(".gguf") else model
