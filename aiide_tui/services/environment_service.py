"""What the project's services can reach: the model server and the container engine.

Served over the bus because the answer belongs to the machine the services run
on: with `aiide serve` on a GPU box, that is where Ollama and Docker are.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from aiide_tui.bus import NamedParams, RequestContext, Router
from aiide_tui.config import Config


class EnvironmentService:
    """`environment/checks`: the doctor's model-server, model-role, chat and Docker checks."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def register(self, router: Router) -> None:
        router.method("environment/checks")(self.checks)

    async def checks(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """The Ollama server, every role, the chat role on its own (the chat panel's state
        is whether its model answers, whatever serves the others) and Docker."""
        from aiide_tui.doctor import chat_check, check_docker, check_model_server, roles_check
        from aiide_tui.llm.health import role_statuses

        model, statuses, docker = await asyncio.gather(
            check_model_server(self.config), role_statuses(self.config), check_docker()
        )
        checks = {
            "model": model, "roles": roles_check(statuses), "chat": chat_check(statuses),
            "sandbox": docker,
        }  # fmt: skip
        return {name: asdict(check) for name, check in checks.items()}
