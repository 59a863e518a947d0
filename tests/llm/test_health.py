"""The status bar's few words about which models serve the roles."""

from __future__ import annotations

from aiide_tui.llm.health import RoleStatus, summary


def test_summary_names_models_and_gguf_files_by_their_name():
    statuses = [
        RoleStatus("fim", "/home/me/models/qwen2.5-coder-1.5b-q4_k_m.gguf", True, "fim: …"),
        RoleStatus("chat", "qwen2.5-coder:7b", True, "chat: …"),
        RoleStatus("draft", "/m/qwen-0.5b.gguf", True, "draft: …"),
    ]
    assert summary(statuses) == (
        "fim qwen2.5-coder-1.5b-q4_k_m.gguf+qwen-0.5b.gguf, chat qwen2.5-coder:7b"
    )
    assert summary([]) == "no models"


def test_summary_names_a_model_serving_fim_and_chat_once():
    statuses = [
        RoleStatus("fim", "qwen2.5-coder-1.5b-instruct", True, "fim: …"),
        RoleStatus("chat", "qwen2.5-coder-1.5b-instruct", True, "chat: …"),
    ]
    assert summary(statuses) == "fim+chat qwen2.5-coder-1.5b-instruct"
