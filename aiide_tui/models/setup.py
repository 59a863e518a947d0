"""`aiide models setup`: make a fresh machine work offline when no model server answers.

For each role (fim, chat, reasoning, embed) it asks the configured server, as
`aiide doctor` does. A role whose server answers is left alone, even when the
model is not pulled yet (the user has a server; `ollama pull` is the fix). A
role whose server does not answer is switched to the `local` provider with
the default model for it, written to the user's config file (one line per
role, easy to delete to go back), and the models those roles need are
installed. `make run` calls this before opening the app.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from aiide_tui.config import Config, save_user_setting
from aiide_tui.errors import AiideError
from aiide_tui.models.install import ProgressCallback, install_model
from aiide_tui.models.registry import LOCAL_ROLE_MODELS, MODELS
from aiide_tui.models.store import locate_model

HEALTH_TIMEOUT_S = 4.0
ROLES = tuple(LOCAL_ROLE_MODELS)


@dataclass
class SetupPlan:
    """What setup found and will do."""

    served: dict[str, str] = field(default_factory=dict)
    """Role -> the line saying what serves it."""
    switch: dict[str, str] = field(default_factory=dict)
    """Role -> the local model it will use (its server does not answer)."""
    install: list[str] = field(default_factory=list)
    """Registry models to install (missing, and needed by a local role)."""
    reasons: dict[str, str] = field(default_factory=dict)
    """Role -> what is wrong with it (its server does not answer, its model is missing)."""


async def plan_setup(config: Config) -> SetupPlan:
    """Ask every role's server (concurrently, each within HEALTH_TIMEOUT_S) and plan."""
    from aiide_tui.llm.roles import resolve_role

    plan = SetupPlan()
    resolved = {name: resolve_role(config, name) for name in ROLES}
    roles = {name: role for name, role in resolved.items() if role is not None}
    answers = await asyncio.gather(*(_answers(role) for role in roles.values()))
    for (name, role), (reachable, line) in zip(roles.items(), answers, strict=True):
        if reachable:
            plan.served[name] = line
            continue
        plan.reasons[name] = line
        model = role.model
        if role.provider != "local":
            plan.switch[name] = model = LOCAL_ROLE_MODELS[name]
        if model in MODELS and locate_model(MODELS[model]) is None and model not in plan.install:
            plan.install.append(model)
    return plan


async def _answers(role) -> tuple[bool, str]:
    """(whether the role's server answers, a line saying what serves it)."""
    from aiide_tui.llm.registry import provider_for_role

    try:
        provider = provider_for_role(role)
    except AiideError as error:
        return False, error.message
    try:
        health = await asyncio.wait_for(provider.health(), HEALTH_TIMEOUT_S)
    except TimeoutError:
        return False, f"{role.describe()}: no answer within {HEALTH_TIMEOUT_S:g} s"
    finally:
        await provider.aclose()
    return health.reachable, f"{role.describe()}: {health.detail}"


def apply_setup(
    plan: SetupPlan,
    *,
    say: Callable[[str], None],
    on_progress: Callable[[str], ProgressCallback] | None = None,
) -> None:
    """Install what the plan needs, then point the switched roles at the local models.

    `on_progress(model)` gives the progress callback for installing `model`.

    Raises:
        ModelInstallError: an install failed (no role was switched then).
        ConfigError: the user's config file cannot be written.
    """
    for name in plan.install:
        say(f"installing {name} ({MODELS[name].size / 1e6:,.0f} MB, verified by sha256)")
        install_model(MODELS[name], on_progress=on_progress(name) if on_progress else None)
    for role, model in plan.switch.items():
        path = save_user_setting("models", role, {"provider": "local", "model": model})
        say(f"[models.{role}] now uses the local {model} (written to {path}; delete it to undo)")
