"""`aiide models setup`: roles whose server does not answer move to the local models."""

from __future__ import annotations

from aiide_tui.config import load_config
from aiide_tui.llm.registry import provider_for
from aiide_tui.models.registry import DEFAULT_CODE_MODEL, DEFAULT_EMBEDDER, MINILM
from aiide_tui.models.setup import SetupPlan, apply_setup, plan_setup
from tests.local.conftest import require_model_files

CLOSED_PORT = "http://127.0.0.1:9"


async def test_roles_whose_server_is_down_are_planned_onto_local_models(tmp_path):
    config = load_config(tmp_path, env={"OLLAMA_HOST": CLOSED_PORT})
    plan = await plan_setup(config)
    assert plan.served == {}
    assert plan.switch == {
        "fim": DEFAULT_CODE_MODEL,
        "chat": DEFAULT_CODE_MODEL,
        "reasoning": DEFAULT_CODE_MODEL,
        "embed": DEFAULT_EMBEDDER,
    }
    assert set(plan.reasons) == set(plan.switch)
    assert DEFAULT_CODE_MODEL in plan.install


async def test_roles_whose_server_answers_are_left_alone(tmp_path, model_server):
    config = load_config(tmp_path, env={"OLLAMA_HOST": model_server.url})
    plan = await plan_setup(config)
    assert set(plan.served) == {"fim", "chat", "reasoning", "embed"}
    assert plan.switch == {} and plan.install == []


async def test_a_switched_role_is_written_to_the_user_config_and_served_locally(tmp_path):
    require_model_files(MINILM)
    said: list[str] = []
    apply_setup(SetupPlan(switch={"embed": DEFAULT_EMBEDDER}), say=said.append)
    assert "[models.embed]" in said[0]
    provider = provider_for("embed", load_config(tmp_path))
    try:
        health = await provider.health()
        vectors = (await provider.embed(["hello"])).vectors
    finally:
        await provider.aclose()
    assert provider.kind == "local" and health.reachable
    assert len(vectors[0]) == MINILM_DIMENSIONS


MINILM_DIMENSIONS = 384
