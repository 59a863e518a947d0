"""The speculative-decoding profiles in docs/ load as config and show the draft model in doctor."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aiide_tui.config import load_config
from aiide_tui.doctor import check_model_roles
from aiide_tui.llm.roles import resolve_roles
from tests.support.model_server import model

DOC = Path(__file__).resolve().parents[2] / "docs" / "speculative-decoding.md"
PROFILES = re.findall(r"```toml\n(.*?)```", DOC.read_text("utf-8"), re.DOTALL)


def test_the_doc_has_a_llama_server_and_a_vllm_profile():
    assert len(PROFILES) == 2
    assert "llama-server" in PROFILES[0] and "vllm" in PROFILES[1]


@pytest.mark.parametrize("profile", PROFILES, ids=["llama-server", "vllm"])
async def test_a_profile_loads_and_doctor_shows_fim_with_its_draft(
    profile, model_server, tmp_path, monkeypatch
):
    monkeypatch.setenv("VLLM_API_KEY", "sk-test")
    url = re.search(r'base_url = "(.*?)"', profile).group(1)
    (tmp_path / ".aiide.toml").write_text(profile.replace(url, model_server.openai_url))
    config = load_config(tmp_path)
    roles = resolve_roles(config)
    fim, draft = roles["fim"], roles["draft"]
    assert (fim.provider, fim.num_ctx, fim.max_tokens) == ("openai", 4096, 128)
    model_server.set_models([model(fim.model, "qwen2"), model(draft.model, "qwen2")])

    check = await check_model_roles(config)

    line = next(part for part in check.detail.split("; ") if part.startswith("fim: "))
    assert f"fim: {fim.model} ({fim.server} openai at {model_server.openai_url})" in line
    assert line.endswith(f", draft {draft.model}: ok")
    assert f"draft: {draft.model}, loaded by the fim server" in check.detail
    assert f"+{draft.model}" in check.summary
