"""Tree-sitter highlighting for the editor: which language a file is, and its grammar on demand.

Each language pairs a grammar with a highlight query written for that same
grammar: Textual's own queries for the grammars its `syntax` extra installs,
the grammar wheel's own `queries/highlights.scm` elsewhere (a query written
for another version of a grammar may not compile, as Textual's python.scm
against the language pack's newer Python grammar shows). Dockerfile and
Makefile grammars come from tree-sitter-language-pack, which ships no queries,
so their small queries live here.

Nothing is imported or read until a language is asked for, so the editor
paints before any grammar loads; each grammar and query is loaded and
compiled once per process. A grammar or query that fails to load leaves that
language as plain text, with a warning in the log.
"""

from __future__ import annotations

import importlib
import logging
import re
from dataclasses import dataclass
from functools import cache
from importlib import metadata
from pathlib import PurePath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.widgets import TextArea
    from tree_sitter import Language

__all__ = ["LanguageSpec", "ensure_language", "language_for_path", "languages", "load_grammar"]

logger = logging.getLogger(__name__)

PACK = "tree_sitter_language_pack"
"""Grammar source for languages whose wheel is the language pack itself."""


@dataclass(frozen=True)
class LanguageSpec:
    """Where a language's grammar and highlight query come from."""

    module: str
    """The grammar's module (`PACK` for tree-sitter-language-pack)."""
    function: str
    """The module's function that returns the grammar (the pack's language name for `PACK`)."""
    queries: tuple[tuple[str, str], ...] = ()
    """(distribution, path inside it) of each query file, concatenated in order."""
    query_text: str = ""
    """Query written here, for grammars that ship none."""


def _textual(name: str, function: str = "language") -> LanguageSpec:
    """A language of Textual's `syntax` extra: the extra's wheel with Textual's own query."""
    query = ("textual", f"textual/tree-sitter/highlights/{name}.scm")
    return LanguageSpec(f"tree_sitter_{name}", function, (query,))


_TEXTUAL_LANGUAGES = (
    "python", "javascript", "go", "rust", "java", "bash", "json", "yaml", "toml", "markdown",
    "html", "css", "sql", "regex",
)  # fmt: skip


_JS = ("tree-sitter-javascript", "tree_sitter_javascript/queries/highlights.scm")
_JSX = ("tree-sitter-javascript", "tree_sitter_javascript/queries/highlights-jsx.scm")
_TS = ("tree-sitter-typescript", "tree_sitter_typescript/queries/highlights.scm")
_C = ("tree-sitter-c", "tree_sitter_c/queries/highlights.scm")
_CPP = ("tree-sitter-cpp", "tree_sitter_cpp/queries/highlights.scm")
_CSHARP = ("tree-sitter-c-sharp", "tree_sitter_c-sharp/queries/highlights.scm")

_DOCKERFILE_QUERY = """
[
  "FROM" "AS" "RUN" "CMD" "LABEL" "EXPOSE" "ENV" "ADD" "COPY" "ENTRYPOINT" "VOLUME"
  "USER" "WORKDIR" "ARG" "ONBUILD" "STOPSIGNAL" "HEALTHCHECK" "SHELL" "MAINTAINER"
  "CROSS_BUILD"
] @keyword
(comment) @comment
(image_name) @type
[(image_tag) (image_digest) (expose_port)] @number
(image_alias) @type.class
[(double_quoted_string) (single_quoted_string) (json_string) (heredoc_block)] @string
[(escape_sequence) (heredoc_marker) (line_continuation)] @punctuation.special
(expansion) @variable.builtin
(env_pair name: (_) @variable)
(label_pair key: (_) @variable)
(arg_instruction name: (_) @variable)
[(param) (mount_param)] @parameter
"""

_MAKE_QUERY = """
(comment) @comment
[
  "define" "endef" "ifeq" "ifneq" "ifdef" "ifndef" "else" "endif" "include" "-include"
  "sinclude" "override" "export" "unexport" "private" "vpath" "undefine"
] @keyword
(targets (word) @function)
(variable_assignment name: (word) @variable)
(variable_reference (word) @variable.builtin)
(automatic_variable) @variable.builtin
(function_call function: _ @function.call)
(shell_function "shell" @function.call)
["=" ":=" "::=" "?=" "+=" "!=" ":" "::" "|"] @operator
(string) @string
["$" "$$"] @punctuation.special
"""

SPECS: dict[str, LanguageSpec] = {
    **{name: _textual(name) for name in _TEXTUAL_LANGUAGES},
    "xml": _textual("xml", function="language_xml"),
    "typescript": LanguageSpec("tree_sitter_typescript", "language_typescript", (_JS, _TS)),
    "tsx": LanguageSpec("tree_sitter_typescript", "language_tsx", (_JS, _JSX, _TS)),
    "c": LanguageSpec("tree_sitter_c", "language", (_C,)),
    "cpp": LanguageSpec("tree_sitter_cpp", "language", (_C, _CPP)),
    "csharp": LanguageSpec("tree_sitter_c_sharp", "language", (_CSHARP,)),
    "dockerfile": LanguageSpec(PACK, "dockerfile", query_text=_DOCKERFILE_QUERY),
    "make": LanguageSpec(PACK, "make", query_text=_MAKE_QUERY),
}
"""Every language the editor highlights, by the name `TextArea.language` takes."""

_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "python": (".py", ".pyi", ".pyw"),
    "javascript": (".js", ".mjs", ".cjs", ".jsx"),
    "typescript": (".ts", ".mts", ".cts"),
    "tsx": (".tsx",),
    "go": (".go",),
    "rust": (".rs",),
    "java": (".java",),
    "c": (".c",),
    # C++ grammar: it parses C headers well, the C grammar does not parse C++ headers.
    "cpp": (".h", ".cc", ".cpp", ".cxx", ".c++", ".hh", ".hpp", ".hxx", ".h++", ".ipp", ".inl"),
    "csharp": (".cs",),
    "bash": (".sh", ".bash", ".zsh", ".ksh", ".bats", ".ebuild"),
    "json": (".json", ".jsonc", ".geojson", ".webmanifest"),
    "yaml": (".yml", ".yaml"),
    "toml": (".toml",),
    "markdown": (".md", ".markdown", ".mdown", ".mkd"),
    "html": (".html", ".htm", ".xhtml"),
    "css": (".css",),
    "sql": (".sql",),
    "xml": (".xml", ".svg", ".xsd", ".xsl", ".xslt", ".plist", ".csproj", ".fsproj", ".props"),
    "dockerfile": (".dockerfile",),
    "make": (".mk", ".mak"),
}
_BY_EXTENSION = {ext: name for name, exts in _EXTENSIONS.items() for ext in exts}

_BY_NAME = {
    "makefile": "make",
    "gnumakefile": "make",
    "dockerfile": "dockerfile",
    "containerfile": "dockerfile",
    ".bashrc": "bash",
    ".bash_profile": "bash",
    ".bash_login": "bash",
    ".bash_logout": "bash",
    ".bash_aliases": "bash",
    ".profile": "bash",
    ".zshrc": "bash",
    ".zshenv": "bash",
    ".zprofile": "bash",
    ".envrc": "bash",
    ".env": "bash",
    "pkgbuild": "bash",
    "pipfile": "toml",
    "cargo.lock": "toml",
    "poetry.lock": "toml",
    "uv.lock": "toml",
    ".clang-format": "yaml",
    ".babelrc": "json",
    ".eslintrc": "json",
    ".prettierrc": "json",
}
"""Well-known file names (compared in lower case) that carry no telling extension."""

CAPTURE_ALIASES = {
    "variable.parameter": "parameter",
    "function.method": "method",
    "function.method.call": "method.call",
    "constant": "constant.builtin",
    "property": "variable",
    "delimiter": "punctuation.delimiter",
    "keyword.import": "include",
    "keyword.conditional": "conditional",
    "keyword.repeat": "repeat",
    "keyword.exception": "exception",
}
"""Capture names of the grammar wheels' queries, as names Textual's themes style.
Names not here lose their last part until one fits (`string.special` -> `string`)."""

_QUERY_TOKEN = re.compile(r'"(?:\\.|[^"\\])*"|;[^\n]*|@([A-Za-z][\w.\-]*)')


def language_for_path(path: str) -> str | None:
    """The language to highlight `path` as, by its name or extension; None for plain text."""
    name = PurePath(path).name.lower()
    if name in _BY_NAME:
        return _BY_NAME[name]
    if name.startswith(("dockerfile.", "containerfile.")):
        return "dockerfile"
    if name.startswith("makefile."):
        return "make"
    return _BY_EXTENSION.get(PurePath(name).suffix)


def languages() -> list[str]:
    """Names of every language the editor can highlight."""
    return sorted(SPECS)


def ensure_language(text_area: TextArea, name: str) -> bool:
    """Register `name` with `text_area`, loading its grammar on first use.

    Returns:
        Whether highlighting is available: when False, leave the text area as plain text.
    """
    grammar = load_grammar(name)
    if grammar is None:
        return False
    language, query = grammar
    text_area.register_language(name, language, query)
    return True


@cache
def load_grammar(name: str) -> tuple[Language, str] | None:
    """The grammar and its checked highlight query for `name` (None if either fails to load)."""
    spec = SPECS.get(name)
    if spec is None:
        return None
    try:
        language = _load_language(spec)
        query = _load_query(spec)
        _compile(language, query)
    except Exception as error:  # any grammar or query failure must leave plain text, not a crash
        logger.warning("No highlighting for %s: %s: %s", name, type(error).__name__, error)
        return None
    return language, query


def _load_language(spec: LanguageSpec) -> Language:
    from tree_sitter import Language

    if spec.module == PACK:
        from tree_sitter_language_pack import get_language

        return get_language(spec.function)
    module = importlib.import_module(spec.module)
    return Language(getattr(module, spec.function)())


def _load_query(spec: LanguageSpec) -> str:
    parts = [spec.query_text] if spec.query_text else []
    for distribution, path in spec.queries:
        text = _read_query(distribution, path)
        parts.append(text if distribution == "textual" else _with_theme_names(text))
    return "\n".join(parts)


@cache
def _read_query(distribution: str, path: str) -> str:
    located = metadata.distribution(distribution).locate_file(path)
    return located.read_text(encoding="utf-8")


def _compile(language: Language, query: str) -> None:
    from tree_sitter import Query

    Query(language, query)


def _with_theme_names(query: str) -> str:
    """Rename the query's captures to names Textual's themes style (strings and comments kept)."""
    known = _theme_capture_names()

    def rename(match: re.Match[str]) -> str:
        capture = match.group(1)
        return match.group(0) if capture is None else f"@{_theme_name(capture, known)}"

    return _QUERY_TOKEN.sub(rename, query)


def _theme_name(capture: str, known: frozenset[str]) -> str:
    if capture in known:
        return capture
    name = capture
    while name:
        if name in CAPTURE_ALIASES:
            return CAPTURE_ALIASES[name]
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return capture


@cache
def _theme_capture_names() -> frozenset[str]:
    from textual.widgets.text_area import TextAreaTheme

    return frozenset(
        name for theme in TextAreaTheme.builtin_themes() for name in theme.syntax_styles
    )
