"""FIM templates: the exact prompt bytes per family, their stop tokens, and how one is chosen."""

from __future__ import annotations

import pytest

from aiide_tui.llm.errors import CapabilityMissing
from aiide_tui.llm.templates import (
    FIM_TEMPLATES,
    FimStyle,
    Snippet,
    build_fim_prompt,
    template_for,
    template_named,
)
from tests.support.model_server_script import (
    CODELLAMA_TEMPLATE,
    CODESTRAL_TEMPLATE,
    QWEN_TEMPLATE,
)

PREFIX = "def add(a, b):\n    "
SUFFIX = "\n\nprint(add(1, 2))\n"
DS = {"begin": "<\uff5cfim\u2581begin\uff5c>", "hole": "<\uff5cfim\u2581hole\uff5c>"}
DS["end"] = "<\uff5cfim\u2581end\uff5c>"

EXPECTED = {
    "qwen2.5-coder": (
        "<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>"
    ),
    "starcoder2": "<fim_prefix>def add(a, b):\n    <fim_suffix>\n\nprint(add(1, 2))\n<fim_middle>",
    "deepseek-coder": (
        f"{DS['begin']}def add(a, b):\n    {DS['hole']}\n\nprint(add(1, 2))\n{DS['end']}"
    ),
    "codellama": "<PRE> def add(a, b):\n     <SUF>\n\nprint(add(1, 2))\n <MID>",
    "codestral": "[SUFFIX]\n\nprint(add(1, 2))\n[PREFIX]def add(a, b):\n    ",
}
STOPS = {
    "qwen2.5-coder": {"<|endoftext|>", "<|fim_middle|>", "<|file_sep|>", "<|im_end|>"},
    "starcoder2": {"<|endoftext|>", "<fim_middle>", "<file_sep>"},
    "deepseek-coder": {DS["end"], "<\uff5cend\u2581of\u2581sentence\uff5c>", "<|EOT|>"},
    "codellama": {"<EOT>", "<MID>"},
    "codestral": {"[PREFIX]", "[SUFFIX]", "</s>"},
}


@pytest.mark.parametrize("family", sorted(EXPECTED))
def test_each_family_renders_its_exact_prompt_and_stops(family):
    template = template_named(family)
    assert template.render(PREFIX, SUFFIX).encode("utf-8") == EXPECTED[family].encode("utf-8")
    assert STOPS[family] <= set(template.stop)


def test_every_family_has_a_test():
    assert {template.family for template in FIM_TEMPLATES} == set(EXPECTED)


SNIPPETS = [Snippet("calc/ops.py", "def sub(a, b):\n    return a - b"), Snippet("README", "calc")]


def test_qwen_repo_level_form_lists_files_then_the_current_one():
    text = template_named("qwen2.5-coder").render(PREFIX, SUFFIX, SNIPPETS, "calc/main.py", "calc")
    assert text == (
        "<|repo_name|>calc\n"
        "<|file_sep|>calc/ops.py\ndef sub(a, b):\n    return a - b\n"
        "<|file_sep|>README\ncalc\n"
        "<|file_sep|>calc/main.py\n"
        "<|fim_prefix|>def add(a, b):\n    <|fim_suffix|>\n\nprint(add(1, 2))\n<|fim_middle|>"
    )


def test_starcoder2_repo_level_form_puts_the_path_inside_fim_prefix():
    text = template_named("starcoder2").render(PREFIX, SUFFIX, SNIPPETS[:1], "main.py", "calc")
    assert text == (
        "<repo_name>calc"
        "<file_sep>calc/ops.py\ndef sub(a, b):\n    return a - b\n"
        "<file_sep><fim_prefix>main.py\ndef add(a, b):\n    "
        "<fim_suffix>\n\nprint(add(1, 2))\n<fim_middle>"
    )


def test_families_without_a_repo_form_get_snippets_as_comments():
    text = template_named("codellama").render(PREFIX, SUFFIX, SNIPPETS[:1], "main.py")
    assert text.startswith(
        "<PRE> # Path: calc/ops.py\n# def sub(a, b):\n#     return a - b\ndef add(a, b):\n"
    )


def test_prefix_and_suffix_with_braces_are_sent_verbatim():
    text = template_named("qwen2.5-coder").render("x = {'a': {b}}", "{0}")
    assert text == "<|fim_prefix|>x = {'a': {b}}<|fim_suffix|>{0}<|fim_middle|>"


@pytest.mark.parametrize(
    ("name", "family"),
    [
        ("qwen2.5-coder:1.5b-base", "qwen2.5-coder"),
        ("Qwen/Qwen2.5-Coder-7B", "qwen2.5-coder"),
        ("starcoder2:3b", "starcoder2"),
        ("bigcode/starcoder2-15b", "starcoder2"),
        ("deepseek-coder:1.3b-base", "deepseek-coder"),
        ("codellama:7b-code", "codellama"),
        ("codestral:22b", "codestral"),
        ("mistralai/Codestral-22B-v0.1", "codestral"),
    ],
)
def test_family_from_the_model_name(name, family):
    assert template_for(name).family == family


def test_family_from_the_servers_template_wins_over_the_name():
    assert template_for("my-finetune:latest", QWEN_TEMPLATE).family == "qwen2.5-coder"
    assert template_for("company/coder", CODELLAMA_TEMPLATE).family == "codellama"
    assert template_for("x", CODESTRAL_TEMPLATE).family == "codestral"
    assert template_for("llama3.1:8b") is None


def test_a_configured_family_wins_over_template_and_name():
    assert template_for("/models/model.gguf", family="codestral").family == "codestral"
    assert template_for("qwen2.5-coder:7b", QWEN_TEMPLATE, "starcoder2").family == "starcoder2"


def test_native_suffix_when_the_server_can_and_no_snippets():
    qwen = template_named("qwen2.5-coder")
    native = build_fim_prompt(FimStyle("q", qwen, True), PREFIX, SUFFIX)
    assert (native.prompt, native.suffix, native.raw) == (PREFIX, SUFFIX, False)
    assert native.stop == qwen.stop
    with_snippets = build_fim_prompt(FimStyle("q", qwen, True), PREFIX, SUFFIX, SNIPPETS)
    assert with_snippets.raw and with_snippets.prompt.startswith("<|repo_name|>project\n")


def test_unknown_family_uses_the_servers_suffix_or_says_what_to_do():
    unknown = build_fim_prompt(FimStyle("my-model", None, True), PREFIX, SUFFIX)
    assert (unknown.prompt, unknown.suffix, unknown.stop) == (PREFIX, SUFFIX, ())
    with pytest.raises(CapabilityMissing, match=r"set \[models\.fim\] model"):
        build_fim_prompt(FimStyle("llama3.1:8b", None, False), PREFIX, SUFFIX)
