"""Roles from config: defaults, the older keys, `[models.ROLE]` tables and their errors."""

from __future__ import annotations

import subprocess
import sys
import tomllib

import pytest

from aiide_tui.config import Config, default_config_text, load_config
from aiide_tui.errors import ConfigError
from aiide_tui.llm.registry import provider_for
from aiide_tui.llm.roles import resolve_role, resolve_roles


@pytest.fixture
def project(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    return root


def write_project(project, text: str) -> None:
    (project / ".aiide.toml").write_text(text, encoding="utf-8")


def test_every_role_has_a_model_and_an_explicit_num_ctx_by_default():
    roles = resolve_roles(Config())
    assert set(roles) == {"fim", "chat", "reasoning", "embed"}
    assert roles["fim"].model == "qwen2.5-coder:1.5b-base"
    assert roles["chat"].model == roles["reasoning"].model == "qwen2.5-coder:7b"
    assert roles["embed"].model == "nomic-embed-text"
    assert all(role.num_ctx > 0 for role in roles.values())
    assert {role.base_url for role in roles.values()} == {"http://127.0.0.1:11434"}
    assert resolve_role(Config(), "draft") is None


def test_the_older_model_keys_still_choose_the_models(project):
    write_project(project, '[models]\nfim_model = "starcoder2:3b"\nchat_model = "llama3.1:8b"\n')
    roles = resolve_roles(load_config(project))
    assert roles["fim"].model == "starcoder2:3b"
    assert roles["chat"].model == roles["reasoning"].model == "llama3.1:8b"


def test_a_role_table_overrides_defaults_and_records_where(project):
    write_project(
        project,
        '[models]\nollama_host = "http://127.0.0.1:11500"\n\n'
        '[models.fim]\nmodel = "codestral:22b"\nnum_ctx = 8192\ntemperature = 0\n'
        "options = { top_p = 0.9 }\n\n"
        '[models.chat]\nprovider = "openai"\nbase_url = "http://127.0.0.1:8000"\n'
        'model = "Qwen/Qwen2.5-Coder-32B-Instruct"\napi_key_env = "VLLM_KEY"\n',
    )
    config = load_config(project)
    fim, chat = resolve_role(config, "fim"), resolve_role(config, "chat")
    assert (fim.model, fim.num_ctx, fim.temperature, dict(fim.options)) == (
        "codestral:22b",
        8192,
        0.0,
        {"top_p": 0.9},
    )
    assert fim.base_url == "http://127.0.0.1:11500" and fim.max_tokens == 128
    assert fim.source == f"{project / '.aiide.toml'}:4"
    assert chat.base_url == "http://127.0.0.1:8000/v1" and chat.api_key_env == "VLLM_KEY"
    assert resolve_role(config, "reasoning").model == "Qwen/Qwen2.5-Coder-32B-Instruct"


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ("num_ctx = 0", "models.fim: num_ctx: expected a positive integer, got 0"),
        ('num_ctx = "big"', 'num_ctx: expected a positive integer, got "big"'),
        ('provider = "vllm"', 'provider: expected one of ollama, openai, local, got "vllm"'),
        ('base_url = "localhost"', "base_url: expected a URL"),
        ("options = 3", "options: expected a table"),
    ],
)
def test_bad_role_tables_name_file_line_and_key(project, table, message):
    write_project(project, f"[models.fim]\n{table}\n")
    with pytest.raises(ConfigError) as raised:
        load_config(project)
    assert raised.value.message.startswith(f"{project / '.aiide.toml'}:1: models.fim: ")
    assert message in raised.value.message


def test_an_openai_role_needs_a_base_url(project):
    write_project(project, '[models.chat]\nprovider = "openai"\nmodel = "m"\n')
    with pytest.raises(ConfigError, match="needs base_url"):
        resolve_role(load_config(project), "chat")


def test_fim_format_names_a_known_family(project):
    write_project(project, '[models.fim]\nmodel = "model.gguf"\nfim_format = "codestral"\n')
    assert resolve_role(load_config(project), "fim").fim_format == "codestral"
    write_project(project, '[models.fim]\nfim_format = "gpt"\n')
    with pytest.raises(ConfigError, match="fim_format 'gpt' is not a format aiide knows: one of"):
        resolve_role(load_config(project), "fim")


def test_a_project_sending_a_role_to_a_remote_server_is_flagged(project):
    write_project(project, '[models.embed]\nprovider = "openai"\nbase_url = "https://x.ai/v1"\n')
    warnings = load_config(project).warnings
    assert len(warnings) == 1 and "models.embed: this project sends prompts" in warnings[0]
    write_project(project, '[models.embed]\nprovider = "openai"\nbase_url = "http://[::1]:8/v1"\n')
    assert load_config(project).warnings == ()


def test_provider_for_builds_the_roles_provider(project):
    write_project(project, '[models.fim]\nmodel = "starcoder2:3b"\nnum_ctx = 2048\n')
    config = load_config(project)
    provider = provider_for("fim", config)
    assert (provider.kind, provider.model, provider.role.num_ctx) == (
        "ollama",
        "starcoder2:3b",
        2048,
    )
    with pytest.raises(ConfigError, match=r"set \[models\.draft\] model"):
        provider_for("draft", config)
    with pytest.raises(ConfigError, match="no role 'review'"):
        provider_for("review", config)


def test_the_default_config_file_documents_the_role_tables(project):
    text = default_config_text()
    assert "# [models.fim]: Fill-in-the-middle completion" in text
    tomllib.loads(text)
    (project / ".aiide.toml").write_text(text)
    assert load_config(project).models == Config().models


def test_the_app_and_the_config_load_no_model_client():
    code = (
        "import sys, aiide_tui.ui.app, aiide_tui.llm.roles, aiide_tui.llm.registry, "
        "aiide_tui.llm.templates; print(sorted({'ollama', 'httpx'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "[]", result.stderr
