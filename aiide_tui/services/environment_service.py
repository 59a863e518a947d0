"""What the project's services can reach: the model server and the container engine.

Served over the bus because the answer belongs to the machine the services run
on: with `aiide serve` on a GPU box, that is where Ollama and Docker are.
"""

from __future__ import annotations

import asyncio
from dataclasses import asdict
from typing import Any

from aiide_tui.bus import RequestContext, Router
from aiide_tui.config import Config


class EnvironmentService:
    """`environment/checks`: the doctor's model-server, model-role and Docker checks."""

    def __init__(self, config: Config) -> None:
        self.config = config

    def register(self, router: Router) -> None:
        router.method("environment/checks")(self.checks)

    async def checks(self, params: dict, ctx: RequestContext) -> dict[str, Any]:
        from aiide_tui.doctor import check_docker, check_model_roles, check_model_server

        model, roles, docker = await asyncio.gather(
            check_model_server(self.config), check_model_roles(self.config), check_docker()
        )
        return {"model": asdict(model), "roles": asdict(roles), "sandbox": asdict(docker)}
