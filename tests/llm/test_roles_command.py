"""`aiide roles` as a user runs it, against the test model server."""

from __future__ import annotations

import subprocess
import sys

import pytest


def aiide(*args: str, cwd) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aiide_tui", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("provider", ["ollama", "openai"])
def test_roles_shows_each_roles_model_and_whether_it_is_ready(model_server, tmp_path, provider):
    (tmp_path / ".aiide.toml").write_text(model_server.config_toml(provider))
    result = aiide("roles", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    roles = [line.split(":", 1)[0] for line in lines]
    assert roles == ["fim", "chat", "reasoning", "embed", "draft"]
    assert lines[4].startswith("draft: none ([models.draft]")  # every role the README names
    assert lines[0].startswith("fim: qwen2.5-coder:1.5b-base (")
    assert lines[0].endswith(": ok")
    if provider == "ollama":
        assert lines[3].endswith(": ok")
    else:  # an OpenAI-compatible server lists exact names: "nomic-embed-text:latest" here
        assert "does not list nomic-embed-text (it serves " in lines[3]


def test_roles_servers_lists_each_server_once(model_server, tmp_path):
    (tmp_path / ".aiide.toml").write_text(model_server.config_toml("ollama"))
    result = aiide("roles", "servers", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(f"ollama at {model_server.url}:") == 1
    assert "  qwen2.5-coder:7b" in result.stdout


def test_roles_with_a_server_down_says_how_to_start_it(tmp_path):
    (tmp_path / ".aiide.toml").write_text('[models]\nollama_host = "http://127.0.0.1:9"\n')
    result = aiide("roles", cwd=tmp_path)
    assert result.returncode == 0
    assert "ollama serve" in result.stdout.splitlines()[0]
