"""What a test tells the test model server to do, and the models it pretends to have.

Shared by the server process and the test-side handle, so both agree on the
fields; plain dataclasses that travel as JSON. Stdlib only.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Any

_PIECE = re.compile(r"\s*\S+|\s+")


@dataclass
class Script:
    """One scripted answer to the next request on an endpoint.

    The text streams in `chunks` (or `text` cut into word-sized pieces, as a
    tokenizer would); tool calls are `{"name": ..., "arguments": {...}}`.
    Failures: `status` answers an HTTP error in the endpoint's own format
    (`error` is the message, `body` replaces the whole body); `drop_after`
    closes the connection after that many chunks; `stall_after` stops
    sending after that many chunks and holds the connection until the client
    leaves; `error_after` sends the server's mid-stream error line.
    `prompt_tokens` overrides the prompt size the server reports (a
    truncated prompt reports fewer tokens than were sent).
    """

    text: str = ""
    chunks: list[str] | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    first_token_delay: float = 0.0
    chunk_delay: float = 0.0
    status: int | None = None
    error: str | None = None
    body: Any = None
    drop_after: int | None = None
    stall_after: int | None = None
    error_after: int | None = None
    prompt_tokens: int | None = None
    done_reason: str | None = None
    times: int = 1
    """How many requests this answers; 0 means every request until reset."""

    def pieces(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        return _PIECE.findall(self.text)

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Script:
        names = {item.name for item in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown script fields: {', '.join(sorted(unknown))}")
        return cls(**data)


QWEN_TEMPLATE = (
    "{{- if .Suffix }}<|fim_prefix|>{{ .Prompt }}<|fim_suffix|>{{ .Suffix }}<|fim_middle|>"
    "{{- else if .Messages }}{{- if .Tools }}<tools>{{ range .Tools }}{{ . }}{{ end }}</tools>"
    "{{ end }}{{- range .Messages }}<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n"
    "{{ end }}<|im_start|>assistant\n{{- else }}{{ .Prompt }}{{- end }}"
)
CODELLAMA_TEMPLATE = (
    "{{- if .Suffix }}<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>"
    "{{- else }}{{ .Prompt }}{{- end }}"
)
CODESTRAL_TEMPLATE = (
    "{{- if .Suffix }}[SUFFIX]{{ .Suffix }}[PREFIX] {{ .Prompt }}"
    "{{- else }}[INST] {{ .Prompt }} [/INST]{{- end }}"
)
LLAMA_TOOLS_TEMPLATE = (
    "{{- if .Tools }}Tools: {{ range .Tools }}{{ . }}{{ end }}{{ end }}"
    "{{- range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>\n\n"
    "{{ .Content }}<|eot_id|>{{ end }}"
)


def model(
    name: str,
    family: str,
    template: str = "{{ .Prompt }}",
    *,
    parameter_size: str = "1.5B",
    context_length: int = 32768,
    embedding: bool = False,
) -> dict[str, Any]:
    """A model the server lists, shows and serves (a JSON-ready dict).

    Ollama names carry a tag (`x:latest`); OpenAI-compatible servers serve
    names as given (`Qwen/Qwen2.5-Coder-7B`), so the name is kept verbatim.
    """
    return {
        "name": name,
        "family": family,
        "template": template,
        "parameter_size": parameter_size,
        "context_length": context_length,
        "embedding": embedding,
    }


DEFAULT_MODELS: list[dict[str, Any]] = [
    model("qwen2.5-coder:1.5b-base", "qwen2", QWEN_TEMPLATE),
    model("qwen2.5-coder:7b", "qwen2", QWEN_TEMPLATE, parameter_size="7.6B"),
    model("starcoder2:3b", "starcoder2", parameter_size="3B", context_length=16384),
    model("deepseek-coder:1.3b-base", "llama", parameter_size="1.3B", context_length=16384),
    model("codellama:7b-code", "llama", CODELLAMA_TEMPLATE, parameter_size="7B"),
    model("codestral:22b", "llama", CODESTRAL_TEMPLATE, parameter_size="22B"),
    model("llama3.1:8b", "llama", LLAMA_TOOLS_TEMPLATE, parameter_size="8.0B"),
    model("nomic-embed-text:latest", "nomic-bert", parameter_size="137M", embedding=True),
]
"""What `ollama list` would show on a developer's machine set up for aiide."""
