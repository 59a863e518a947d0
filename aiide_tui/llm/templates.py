"""Fill-in-the-middle prompt formats, as a table of model families.

Each family's layout and stop tokens come from the model's own card (and
agree with Continue's templates); adding a family is adding a row, never an
`if`. A family is picked from the model's name, or from the template Ollama
reports in `/api/show`. When that template has `.Suffix`, Ollama can do FIM
itself (`suffix` in `/api/generate`); aiide still renders the raw prompt
when it has cross-file snippets, because only the raw form can carry them.

The special tokens of DeepSeek-Coder use full-width bars and a
lower-one-eighth block (U+FF5C, U+2581), written here as escapes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aiide_tui.llm.errors import CapabilityMissing


@dataclass(frozen=True)
class Snippet:
    """Code from another file to show the model (a definition, an imported module...)."""

    path: str
    text: str


@dataclass(frozen=True)
class FimTemplate:
    """How one model family wants a fill-in-the-middle prompt.

    `fim` has `{prefix}` and `{suffix}`; `repo`, when the family has a
    repository-level form, has those and `{repo}`, `{files}` (each file
    written with `file`: `{path}`, `{text}` ending in a newline) and `{path}`
    of the current file.
    """

    family: str
    names: str
    """Regular expression matched against the model's name (lowercase)."""
    markers: tuple[str, ...]
    """Strings that identify the family inside a server-side prompt template."""
    fim: str
    stop: tuple[str, ...]
    repo: str | None = None
    file: str = ""

    def render(
        self,
        prefix: str,
        suffix: str,
        snippets: Sequence[Snippet] = (),
        path: str | None = None,
        repo_name: str | None = None,
    ) -> str:
        """The raw prompt; snippets use the repo-level form, or comments when there is none."""
        if not snippets:
            return self.fim.format(prefix=prefix, suffix=suffix)
        if self.repo is None:
            return self.fim.format(prefix=commented(snippets) + prefix, suffix=suffix)
        files = "".join(
            self.file.format(path=item.path, text=_ending_in_newline(item.text))
            for item in snippets
        )
        return self.repo.format(
            repo=repo_name or "project",
            files=files,
            path=path or "untitled",
            prefix=prefix,
            suffix=suffix,
        )


def _ending_in_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def commented(snippets: Sequence[Snippet], comment: str = "#") -> str:
    """Snippets as comment lines, for families without a repository-level form."""
    lines: list[str] = []
    for item in snippets:
        lines.append(f"{comment} Path: {item.path}")
        lines.extend(f"{comment} {line}".rstrip() for line in item.text.splitlines())
    return "\n".join(lines) + "\n"


_DS_BEGIN, _DS_HOLE, _DS_END = (
    "<\uff5cfim\u2581begin\uff5c>",
    "<\uff5cfim\u2581hole\uff5c>",
    ("<\uff5cfim\u2581end\uff5c>"),
)
_DS_EOS = "<\uff5cend\u2581of\u2581sentence\uff5c>"

FIM_TEMPLATES: tuple[FimTemplate, ...] = (
    FimTemplate(
        family="qwen2.5-coder",
        names=r"qwen.*coder|qwen3-coder",
        markers=("<|fim_prefix|>",),
        fim="<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>",
        stop=(
            "<|endoftext|>",
            "<|fim_prefix|>",
            "<|fim_suffix|>",
            "<|fim_middle|>",
            "<|fim_pad|>",
            "<|repo_name|>",
            "<|file_sep|>",
            "<|im_start|>",
            "<|im_end|>",
        ),
        repo=(
            "<|repo_name|>{repo}\n{files}<|file_sep|>{path}\n"
            "<|fim_prefix|>{prefix}<|fim_suffix|>{suffix}<|fim_middle|>"
        ),
        file="<|file_sep|>{path}\n{text}",
    ),
    FimTemplate(
        family="starcoder2",
        names=r"starcoder",
        markers=("<fim_prefix>",),
        fim="<fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>",
        stop=(
            "<|endoftext|>",
            "<fim_prefix>",
            "<fim_suffix>",
            "<fim_middle>",
            "<file_sep>",
            "<repo_name>",
        ),
        repo=(
            "<repo_name>{repo}{files}<file_sep>"
            "<fim_prefix>{path}\n{prefix}<fim_suffix>{suffix}<fim_middle>"
        ),
        file="<file_sep>{path}\n{text}",
    ),
    FimTemplate(
        family="deepseek-coder",
        names=r"deepseek-coder",
        markers=(_DS_BEGIN,),
        fim=_DS_BEGIN + "{prefix}" + _DS_HOLE + "{suffix}" + _DS_END,
        stop=(_DS_BEGIN, _DS_HOLE, _DS_END, _DS_EOS, "<|EOT|>"),
    ),
    FimTemplate(
        family="codellama",
        names=r"codellama|code-llama",
        markers=("<PRE>",),
        fim="<PRE> {prefix} <SUF>{suffix} <MID>",
        stop=("<PRE>", "<SUF>", "<MID>", "<EOT>", "</s>"),
    ),
    FimTemplate(
        family="codestral",
        names=r"codestral",
        markers=("[SUFFIX]",),
        fim="[SUFFIX]{suffix}[PREFIX]{prefix}",
        stop=("[PREFIX]", "[SUFFIX]", "[MIDDLE]", "[INST]", "[/INST]", "</s>"),
    ),
)
"""Every family aiide can prompt for fill-in-the-middle, most specific first."""


def template_named(family: str) -> FimTemplate:
    """The template of a family by its name (KeyError when there is none)."""
    for template in FIM_TEMPLATES:
        if template.family == family:
            return template
    raise KeyError(family)


def template_for(
    model: str, server_template: str | None = None, family: str = ""
) -> FimTemplate | None:
    """The family template for a model: the configured `family`, else by the server's prompt
    template, else by the model's name."""
    if family:
        return template_named(family)
    if server_template:
        for template in FIM_TEMPLATES:
            if any(marker in server_template for marker in template.markers):
                return template
    name = model.lower().rsplit("/", 1)[-1]
    for template in FIM_TEMPLATES:
        if re.search(template.names, name):
            return template
    return None


@dataclass(frozen=True)
class FimStyle:
    """How one served model does FIM: its family's template, and whether the server can."""

    model: str
    template: FimTemplate | None
    native_suffix: bool
    """The server fills in with a `suffix` field itself (Ollama, template with `.Suffix`)."""


@dataclass(frozen=True)
class FimPrompt:
    """What to send: a raw prompt (`suffix` None) or a prompt and a native suffix."""

    prompt: str
    suffix: str | None
    stop: tuple[str, ...]
    family: str | None

    @property
    def raw(self) -> bool:
        return self.suffix is None


def build_fim_prompt(
    style: FimStyle,
    prefix: str,
    suffix: str,
    snippets: Sequence[Snippet] = (),
    path: str | None = None,
    repo_name: str | None = None,
) -> FimPrompt:
    """The prompt for `style`: raw with the family's layout, or native when that is all there is.

    Raises:
        CapabilityMissing: the model has no known FIM format and its server
            cannot fill in by itself.
    """
    template = style.template
    if template is not None and (snippets or not style.native_suffix):
        text = template.render(prefix, suffix, snippets, path, repo_name)
        return FimPrompt(text, None, template.stop, template.family)
    if style.native_suffix:
        stop = template.stop if template else ()
        return FimPrompt(prefix, suffix, stop, template.family if template else None)
    families = ", ".join(item.family for item in FIM_TEMPLATES)
    raise CapabilityMissing(
        f"{style.model} has no fill-in-the-middle format aiide knows ({families}) and its "
        "server cannot fill in by itself: set [models.fim] model to a FIM model such as "
        "qwen2.5-coder:1.5b-base, or fim_format to its family if its name does not say"
    )
