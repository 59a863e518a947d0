"""Highlighting: each language is picked by path, loads, compiles its query and colours code."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest
from textual.widgets import TextArea
from textual.widgets.text_area import TextAreaTheme

from aiide_tui.ui import syntax
from aiide_tui.ui.syntax import LanguageSpec, ensure_language, language_for_path, languages

# (a path that should pick the language or None, language, a snippet)
SAMPLES = [
    ("src/app.py", "python", 'import os\n\ndef f(x: int) -> str:\n    return "s" + str(x)  # c\n'),
    ("web/main.js", "javascript", 'const x = () => "s"; // c\nfunction f(a) { return a; }\n'),
    ("web/mod.mjs", "javascript", "export default function f() { return 1; }\n"),
    ("web/app.ts", "typescript", "interface A { x: number }\nconst f = (a: string): void => {};\n"),
    ("web/App.tsx", "tsx", 'const C = () => <div className="a">{x}</div>;\n'),
    ("cmd/main.go", "go", 'package main\n\nfunc main() { x := "s"; _ = x }\n'),
    ("src/lib.rs", "rust", 'fn main() { let x: i32 = 1; println!("{}", x); }\n'),
    ("src/A.java", "java", "class A { int f() { return 1; } }\n"),
    ("src/main.c", "c", "#include <stdio.h>\nint main(void) { return 0; }\n"),
    (
        "src/vec.hpp",
        "cpp",
        "namespace n { template <class T> class A { public: int f() const; }; }\n",
    ),
    ("src/Program.cs", "csharp", "using System;\nclass A { public int F() { return 1; } }\n"),
    ("scripts/run.sh", "bash", 'echo "hi" # c\nif [ -f x ]; then ls; fi\n'),
    ("package.json", "json", '{"a": [1, true, null], "b": "c"}\n'),
    (".github/ci.yml", "yaml", 'a: 1\nb: "x"\nc: [true, 2]\n'),
    ("pyproject.toml", "toml", '[project]\nname = "x"\nversion = 1\n'),
    ("README.md", "markdown", "# Title\n\nSome *text* and `code`.\n"),
    ("site/index.html", "html", '<div class="a">hi</div>\n'),
    ("site/style.css", "css", "a { color: red; }\n"),
    ("db/schema.sql", "sql", "SELECT a FROM t WHERE b = 1;\n"),
    ("data/feed.xml", "xml", '<a b="c">d</a>\n'),
    (None, "regex", "a+[b-c]*(?:x|y)\\d"),
    ("Dockerfile", "dockerfile", 'FROM python:3.11 AS base\nENV A=1\nCMD ["python", "-m", "x"]\n'),
    ("Makefile", "make", "CC := gcc\n# c\nall: main.o\n\t$(CC) -o $@ $^\n"),
]


def _theme_names() -> set[str]:
    return {name for theme in TextAreaTheme.builtin_themes() for name in theme.syntax_styles}


def test_every_language_has_a_sample() -> None:
    assert {language for _, language, _ in SAMPLES} == set(languages())


@pytest.mark.parametrize(("path", "language", "sample"), SAMPLES, ids=[s[1] for s in SAMPLES])
def test_language_is_picked_loaded_and_highlights(
    path: str | None, language: str, sample: str
) -> None:
    if path is not None:
        assert language_for_path(path) == language
    text_area = TextArea()
    assert ensure_language(text_area, language)
    text_area.language = language
    text_area.load_text(sample)
    names = {name for line in text_area._highlights.values() for _, _, name in line}
    assert names, f"{language}: no highlights at all"
    assert names & _theme_names(), f"{language}: no highlight the theme colours: {names}"


@pytest.mark.parametrize("language", languages())
def test_query_compiles_against_its_grammar(language: str) -> None:
    from tree_sitter import Query

    grammar = syntax.load_grammar(language)
    assert grammar is not None
    Query(*grammar)


def test_wheel_capture_names_are_mapped_to_theme_names() -> None:
    text_area = TextArea()
    assert ensure_language(text_area, "typescript")
    text_area.language = "typescript"
    text_area.load_text("function f(a: string): number { return this.x; }\n")
    names = {name for line in text_area._highlights.values() for _, _, name in line}
    assert "parameter" in names  # the wheel's @variable.parameter
    assert "variable.parameter" not in names


def test_renaming_captures_leaves_strings_and_comments_alone() -> None:
    query = (
        '; @variable.parameter in a comment\n((identifier) @constant (#match? @constant "@x.y"))\n'
    )
    renamed = syntax._with_theme_names(query)
    assert "; @variable.parameter in a comment" in renamed
    assert '((identifier) @constant.builtin (#match? @constant.builtin "@x.y"))' in renamed


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("Makefile", "make"),
        ("sub/GNUmakefile", "make"),
        ("rules.mk", "make"),
        ("docker/Dockerfile.dev", "dockerfile"),
        ("Containerfile", "dockerfile"),
        ("/home/u/.bashrc", "bash"),
        (".zshrc", "bash"),
        ("x.h", "cpp"),
        ("x.cc", "cpp"),
        ("x.c", "c"),
        ("a.PY", "python"),
        ("Cargo.lock", "toml"),
        ("Pipfile", "toml"),
        ("conf.yaml", "yaml"),
        ("LICENSE", None),
        ("notes.txt", None),
        ("archive.tar.gz", None),
    ],
)
def test_language_for_well_known_names(path: str, expected: str | None) -> None:
    assert language_for_path(path) == expected


def test_unknown_language_is_not_available() -> None:
    assert not ensure_language(TextArea(), "cobol")


def test_broken_query_falls_back_with_a_warning(monkeypatch, caplog) -> None:
    broken = LanguageSpec("tree_sitter_python", "language", query_text="(no_such_node) @keyword")
    monkeypatch.setitem(syntax.SPECS, "broken-python", broken)
    syntax.load_grammar.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger="aiide_tui.ui.syntax"):
            assert not ensure_language(TextArea(), "broken-python")
        assert "broken-python" in caplog.text
    finally:
        syntax.load_grammar.cache_clear()


def test_missing_grammar_module_falls_back(monkeypatch) -> None:
    monkeypatch.setitem(syntax.SPECS, "ghost", LanguageSpec("tree_sitter_ghost", "language"))
    syntax.load_grammar.cache_clear()
    try:
        assert not ensure_language(TextArea(), "ghost")
    finally:
        syntax.load_grammar.cache_clear()


def test_importing_syntax_loads_no_grammar() -> None:
    code = (
        "import sys\n"
        "import aiide_tui.ui.syntax as s\n"
        "assert s.language_for_path('a.ts') == 'typescript'\n"
        "print(sorted(m for m in sys.modules if m.startswith('tree_sitter')))\n"
        "import aiide_tui.ui.widgets.editor\n"
        "print(sorted(m for m in sys.modules if m.startswith('tree_sitter_')))\n"
        "s.load_grammar('typescript')\n"
        "print(sorted(m for m in sys.modules if m.startswith('tree_sitter_')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    before, with_editor, after = result.stdout.splitlines()
    assert before == "[]"
    assert with_editor == "[]"
    assert "tree_sitter_typescript" in after
    assert "tree_sitter_language_pack" not in after
    assert "tree_sitter_python" not in after
