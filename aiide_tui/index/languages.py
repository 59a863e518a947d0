"""Which grammar reads which file, and the tag queries that find definitions, calls and imports.

The queries are data, one compact set per language, written against the grammars
bundled in `tree-sitter-language-pack` 0.13 (offline). Captures follow one
convention: `@def.<kind>` on a definition's node with `@name` on its name,
`@ref.call` on the name a call uses, `@ref.qualifier` on what comes before it
(`logging` in `logging.getLogger()`), `@import` on the module an import names.
Each pattern is compiled on its own and the ones a grammar refuses are dropped,
so one grammar's renamed node never costs a language its other patterns.
"""

from __future__ import annotations

from functools import cache
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tree_sitter import Language, Parser, Query

CONTAINER_KINDS = frozenset({"class", "interface", "module", "impl", "trait", "namespace"})
"""Definitions whose members get their own chunks and carry the container's name in paths."""

EXTENSIONS: dict[str, str] = {
    ".py": "python", ".pyi": "python", ".pyw": "python",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript", ".jsx": "javascript",
    ".ts": "typescript", ".mts": "typescript", ".cts": "typescript", ".tsx": "tsx",
    ".go": "go", ".rs": "rust", ".java": "java",
    ".c": "c", ".h": "c",
    ".cc": "cpp", ".cpp": "cpp", ".cxx": "cpp", ".hpp": "cpp", ".hh": "cpp", ".hxx": "cpp",
    ".cs": "csharp", ".rb": "ruby", ".php": "php",
    ".kt": "kotlin", ".kts": "kotlin", ".swift": "swift", ".scala": "scala",
    ".lua": "lua", ".sh": "bash", ".bash": "bash", ".zsh": "bash",
    ".hs": "haskell", ".ex": "elixir", ".exs": "elixir",
    ".ml": "ocaml", ".mli": "ocaml_interface", ".r": "r", ".R": "r", ".jl": "julia",
    ".dart": "dart", ".zig": "zig", ".pl": "perl", ".pm": "perl",
    ".m": "objc", ".groovy": "groovy", ".gradle": "groovy", ".elm": "elm",
    ".erl": "erlang", ".hrl": "erlang", ".nim": "nim", ".sol": "solidity",
    ".clj": "clojure", ".cljs": "clojure", ".fs": "fsharp", ".v": "v", ".odin": "odin",
    ".md": "markdown", ".markdown": "markdown", ".rst": "rst",
    ".html": "html", ".htm": "html", ".css": "css", ".scss": "scss",
    ".json": "json", ".yaml": "yaml", ".yml": "yaml", ".toml": "toml",
    ".sql": "sql", ".proto": "proto", ".graphql": "graphql", ".tf": "hcl", ".hcl": "hcl",
    ".cmake": "cmake", ".mk": "make", ".vim": "vim", ".xml": "xml",
}  # fmt: skip

FILE_NAMES: dict[str, str] = {
    "Makefile": "make", "makefile": "make", "GNUmakefile": "make",
    "Dockerfile": "dockerfile", "CMakeLists.txt": "cmake", "BUILD": "starlark",
    "Rakefile": "ruby", "Gemfile": "ruby",
}  # fmt: skip

_PY = (
    "(class_definition name: (identifier) @name) @def.class",
    "(function_definition name: (identifier) @name) @def.function",
    "(call function: [(identifier) @ref.call (attribute attribute: (identifier) @ref.call)])",
    "(call function: (attribute object: (_) @ref.qualifier))",
    "(import_statement name: (dotted_name) @import)",
    "(import_statement name: (aliased_import name: (dotted_name) @import))",
    "(import_statement name: (aliased_import name: (dotted_name) @alias.of"
    " alias: (identifier) @alias))",
    "(import_from_statement module_name: (_) @import)",
    "(import_from_statement name: (aliased_import name: (dotted_name) @alias.of"
    " alias: (identifier) @alias))",
    "(module (assignment left: (identifier) @name) @def.constant)",
)
_JS = (
    "(class_declaration name: (_) @name) @def.class",
    "(function_declaration name: (identifier) @name) @def.function",
    "(generator_function_declaration name: (identifier) @name) @def.function",
    "(method_definition name: (property_identifier) @name) @def.method",
    "(lexical_declaration (variable_declarator name: (identifier) @name"
    " value: [(arrow_function) (function_expression)])) @def.function",
    "(variable_declaration (variable_declarator name: (identifier) @name"
    " value: [(arrow_function) (function_expression)])) @def.function",
    "(call_expression function: [(identifier) @ref.call"
    " (member_expression property: (property_identifier) @ref.call)])",
    "(call_expression function: (member_expression object: (_) @ref.qualifier))",
    "(new_expression constructor: (identifier) @ref.call)",
    "(import_statement source: (string (string_fragment) @import))",
    "(import_specifier name: (identifier) @alias.of alias: (identifier) @alias)",
    "(call_expression function: (identifier) @_req arguments: (arguments (string"
    ' (string_fragment) @import)) (#eq? @_req "require"))',
)
_TS = (
    *_JS,
    "(abstract_class_declaration name: (type_identifier) @name) @def.class",
    "(interface_declaration name: (type_identifier) @name) @def.interface",
    "(type_alias_declaration name: (type_identifier) @name) @def.type",
    "(enum_declaration name: (identifier) @name) @def.type",
    "(method_signature name: (property_identifier) @name) @def.method",
    "(abstract_method_signature name: (property_identifier) @name) @def.method",
    "(internal_module name: (_) @name) @def.namespace",
)
_GO = (
    "(function_declaration name: (identifier) @name) @def.function",
    "(method_declaration receiver: (parameter_list (parameter_declaration type: [(type_identifier)"
    " @receiver (pointer_type (type_identifier) @receiver) (generic_type type: (type_identifier)"
    " @receiver) (pointer_type (generic_type type: (type_identifier) @receiver))]))"
    " name: (field_identifier) @name) @def.method",
    "(type_declaration (type_spec name: (type_identifier) @name)) @def.type",
    "(call_expression function: [(identifier) @ref.call"
    " (selector_expression field: (field_identifier) @ref.call)])",
    "(call_expression function: (selector_expression operand: (_) @ref.qualifier))",
    "(import_spec path: (interpreted_string_literal) @import)",
)
_RUST = (
    "(function_item name: (identifier) @name) @def.function",
    "(function_signature_item name: (identifier) @name) @def.function",
    "(struct_item name: (type_identifier) @name) @def.type",
    "(enum_item name: (type_identifier) @name) @def.type",
    "(union_item name: (type_identifier) @name) @def.type",
    "(type_item name: (type_identifier) @name) @def.type",
    "(trait_item name: (type_identifier) @name) @def.trait",
    "(impl_item type: [(type_identifier) @name (generic_type type: (type_identifier) @name)])"
    " @def.impl",
    "(mod_item name: (identifier) @name) @def.module",
    "(macro_definition name: (identifier) @name) @def.function",
    "(call_expression function: [(identifier) @ref.call"
    " (field_expression field: (field_identifier) @ref.call)"
    " (scoped_identifier name: (identifier) @ref.call)])",
    "(macro_invocation macro: (identifier) @ref.call)",
    "(use_declaration argument: (_) @import)",
    "(mod_item name: (identifier) @import !body)",
)
_JAVA = (
    "(class_declaration name: (identifier) @name) @def.class",
    "(interface_declaration name: (identifier) @name) @def.interface",
    "(enum_declaration name: (identifier) @name) @def.class",
    "(record_declaration name: (identifier) @name) @def.class",
    "(method_declaration name: (identifier) @name) @def.method",
    "(constructor_declaration name: (identifier) @name) @def.method",
    "(method_invocation name: (identifier) @ref.call)",
    "(object_creation_expression type: (type_identifier) @ref.call)",
    "(import_declaration (scoped_identifier) @import)",
)
_C = (
    "(function_definition declarator: (function_declarator declarator: (identifier) @name))"
    " @def.function",
    "(function_definition declarator: (pointer_declarator declarator: (function_declarator"
    " declarator: (identifier) @name))) @def.function",
    "(struct_specifier name: (type_identifier) @name body: (_)) @def.type",
    "(enum_specifier name: (type_identifier) @name body: (_)) @def.type",
    "(union_specifier name: (type_identifier) @name body: (_)) @def.type",
    "(type_definition declarator: (type_identifier) @name) @def.type",
    "(preproc_function_def name: (identifier) @name) @def.function",
    "(call_expression function: [(identifier) @ref.call"
    " (field_expression field: (field_identifier) @ref.call)])",
    "(preproc_include path: [(string_literal (string_content) @import)"
    " (system_lib_string) @import])",
)
_CPP = (
    *_C,
    "(function_definition declarator: (function_declarator declarator: [(field_identifier)"
    " (qualified_identifier name: (identifier)) (destructor_name)] @name)) @def.function",
    "(class_specifier name: (type_identifier) @name body: (_)) @def.class",
    "(struct_specifier name: (type_identifier) @name body: (_)) @def.class",
    "(namespace_definition name: (namespace_identifier) @name) @def.namespace",
    "(call_expression function: (qualified_identifier name: (identifier) @ref.call))",
)
_CSHARP = (
    "(class_declaration name: (identifier) @name) @def.class",
    "(interface_declaration name: (identifier) @name) @def.interface",
    "(struct_declaration name: (identifier) @name) @def.class",
    "(record_declaration name: (identifier) @name) @def.class",
    "(enum_declaration name: (identifier) @name) @def.type",
    "(method_declaration name: (identifier) @name) @def.method",
    "(constructor_declaration name: (identifier) @name) @def.method",
    "(namespace_declaration name: (_) @name) @def.namespace",
    "(invocation_expression function: [(identifier) @ref.call"
    " (member_access_expression name: (identifier) @ref.call)])",
    "(object_creation_expression type: (identifier) @ref.call)",
    "(using_directive (_) @import)",
)
_RUBY = (
    "(class name: (_) @name) @def.class",
    "(module name: (_) @name) @def.module",
    "(method name: (_) @name) @def.method",
    "(singleton_method name: (_) @name) @def.method",
    "(call method: (identifier) @ref.call)",
    "(call method: (identifier) @_req arguments: (argument_list (string (string_content) @import))"
    ' (#match? @_req "^require"))',
)
_PHP = (
    "(class_declaration name: (name) @name) @def.class",
    "(interface_declaration name: (name) @name) @def.interface",
    "(trait_declaration name: (name) @name) @def.trait",
    "(function_definition name: (name) @name) @def.function",
    "(method_declaration name: (name) @name) @def.method",
    "(function_call_expression function: (name) @ref.call)",
    "(member_call_expression name: (name) @ref.call)",
    "(scoped_call_expression name: (name) @ref.call)",
    "(object_creation_expression (name) @ref.call)",
)
_KOTLIN = (
    "(class_declaration (type_identifier) @name) @def.class",
    "(object_declaration (type_identifier) @name) @def.class",
    "(function_declaration (simple_identifier) @name) @def.function",
    "(call_expression (simple_identifier) @ref.call)",
    "(call_expression (navigation_expression (navigation_suffix (simple_identifier) @ref.call)))",
    "(import_header (identifier) @import)",
)
_SWIFT = (
    "(class_declaration name: (type_identifier) @name) @def.class",
    "(protocol_declaration name: (type_identifier) @name) @def.interface",
    "(function_declaration name: (simple_identifier) @name) @def.function",
    "(protocol_function_declaration name: (simple_identifier) @name) @def.method",
    "(call_expression (simple_identifier) @ref.call)",
    "(call_expression (navigation_expression suffix: (navigation_suffix suffix:"
    " (simple_identifier) @ref.call)))",
    "(import_declaration (identifier) @import)",
)
_SCALA = (
    "(class_definition name: (identifier) @name) @def.class",
    "(object_definition name: (identifier) @name) @def.class",
    "(trait_definition name: (identifier) @name) @def.trait",
    "(function_definition name: (identifier) @name) @def.function",
    "(call_expression function: [(identifier) @ref.call (field_expression field: (identifier)"
    " @ref.call)])",
    "(import_declaration path: (_) @import)",
)
_LUA = (
    "(function_declaration name: [(identifier) @name (dot_index_expression field: (identifier)"
    " @name) (method_index_expression method: (identifier) @name)]) @def.function",
    "(function_call name: [(identifier) @ref.call (dot_index_expression field: (identifier)"
    " @ref.call) (method_index_expression method: (identifier) @ref.call)])",
)
_BASH = (
    "(function_definition name: (word) @name) @def.function",
    "(command name: (command_name (word) @ref.call))",
)
_HASKELL = (
    "(function name: (variable) @name) @def.function",
    "(signature name: (variable) @name) @def.function",
    "(data_type name: (name) @name) @def.type",
    "(class name: (name) @name) @def.class",
    "(import module: (module) @import)",
)
_ELIXIR = (
    '(call target: (identifier) @_k (arguments (alias) @name) (#eq? @_k "defmodule")) @def.module',
    "(call target: (identifier) @_k (arguments [(identifier) @name (call target: (identifier)"
    ' @name)]) (#match? @_k "^defp?$")) @def.function',
    "(call target: (identifier) @ref.call)",
)
_OCAML = (
    "(value_definition (let_binding pattern: (value_name) @name)) @def.function",
    "(module_definition (module_binding (module_name) @name)) @def.module",
    "(type_definition (type_binding name: (type_constructor) @name)) @def.type",
    "(application_expression function: (value_path (value_name) @ref.call))",
    "(open_module (module_path) @import)",
)
_JULIA = (
    "(function_definition (signature (call_expression (identifier) @name))) @def.function",
    "(struct_definition (type_head (identifier) @name)) @def.type",
    "(module_definition name: (identifier) @name) @def.module",
    "(call_expression (identifier) @ref.call)",
)
_DART = (
    "(class_definition name: (identifier) @name) @def.class",
    "(function_signature name: (identifier) @name) @def.function",
    "(method_signature (function_signature name: (identifier) @name)) @def.method",
)
_ZIG = (
    "(Decl (FnProto function: (IDENTIFIER) @name)) @def.function",
    "(Decl (VarDecl variable_type_function: (IDENTIFIER) @name"
    " (ErrorUnionExpr (SuffixExpr (ContainerDecl))))) @def.class",
    "(SuffixExpr variable_type_function: (IDENTIFIER) @ref.call (FnCallArguments))",
)
_PERL = (
    "(subroutine_declaration_statement name: (bareword) @name) @def.function",
    "(package_statement name: (package) @name) @def.module",
    "(function_call_expression function: (function) @ref.call)",
    "(method_call_expression method: (method) @ref.call)",
    "(use_statement module: (package) @import)",
)
_R = (
    "(binary_operator lhs: (identifier) @name rhs: (function_definition)) @def.function",
    "(call function: (identifier) @ref.call)",
)
_OBJC = (
    "(class_interface (identifier) @name) @def.class",
    "(class_implementation (identifier) @name) @def.class",
    "(function_definition declarator: (function_declarator declarator: (identifier) @name))"
    " @def.function",
)
_ELM = (
    "(value_declaration (function_declaration_left (lower_case_identifier) @name)) @def.function",
    "(type_declaration name: (upper_case_identifier) @name) @def.type",
    "(import_clause moduleName: (upper_case_qid) @import)",
)
_ERLANG = ("(fun_decl (function_clause name: (atom) @name)) @def.function",)
_SOLIDITY = (
    "(contract_declaration name: (identifier) @name) @def.class",
    "(function_definition name: (identifier) @name) @def.function",
)
_NIM = ("(proc_declaration name: (_) @name) @def.function",)
_MARKDOWN = ("(atx_heading (inline) @name) @def.section",)

TAG_QUERIES: dict[str, tuple[str, ...]] = {
    "python": _PY, "javascript": _JS, "typescript": _TS, "tsx": _TS, "go": _GO,
    "rust": _RUST, "java": _JAVA, "c": _C, "cpp": _CPP, "csharp": _CSHARP,
    "ruby": _RUBY, "php": _PHP, "kotlin": _KOTLIN, "swift": _SWIFT, "scala": _SCALA,
    "lua": _LUA, "bash": _BASH, "haskell": _HASKELL, "elixir": _ELIXIR,
    "ocaml": _OCAML, "julia": _JULIA, "dart": _DART, "zig": _ZIG, "perl": _PERL,
    "r": _R, "objc": _OBJC, "elm": _ELM, "erlang": _ERLANG,
    "solidity": _SOLIDITY, "nim": _NIM, "markdown": _MARKDOWN,
}  # fmt: skip


def language_for(rel: str) -> str | None:
    """The grammar for a root-relative path, or None (line windows then)."""
    path = PurePosixPath(rel)
    by_name = FILE_NAMES.get(path.name)
    if by_name is not None:
        return by_name
    return EXTENSIONS.get(path.suffix) or EXTENSIONS.get(path.suffix.lower())


@cache
def parser_for(language: str) -> Parser | None:
    """A parser for `language`, None when the bundled pack cannot load it."""
    from tree_sitter_language_pack import get_parser

    try:
        return get_parser(language)  # type: ignore[arg-type]
    except Exception:
        return None


@cache
def grammar(language: str) -> Language | None:
    from tree_sitter_language_pack import get_language

    try:
        return get_language(language)  # type: ignore[arg-type]
    except Exception:
        return None


@cache
def tag_query(language: str) -> Query | None:
    """The language's tag patterns that its grammar accepts, as one query (None if none)."""
    from tree_sitter import Query

    lang = grammar(language)
    if lang is None:
        return None
    accepted = [p for p in TAG_QUERIES.get(language, ()) if _compiles(lang, p)]
    return Query(lang, "\n".join(accepted)) if accepted else None


@cache
def knows_qualifiers(language: str) -> bool:
    """Whether the language's tags say which calls go through a name (`obj.f()`) and which
    do not (`f()`): elsewhere a call's qualifier is unknown."""
    return any("@ref.qualifier" in pattern for pattern in TAG_QUERIES.get(language, ()))


def rejected_patterns(language: str) -> list[str]:
    """Patterns its grammar refuses (the test suite keeps this list empty)."""
    lang = grammar(language)
    if lang is None:
        return list(TAG_QUERIES.get(language, ()))
    return [p for p in TAG_QUERIES.get(language, ()) if not _compiles(lang, p)]


def _compiles(lang: Language, pattern: str) -> bool:
    from tree_sitter import Query, QueryError

    try:
        Query(lang, pattern)
    except (QueryError, ValueError):
        return False
    return True
