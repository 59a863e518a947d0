"""Chunk boundaries, symbol paths and tags on small real snippets of several languages."""

from __future__ import annotations

import pytest

from aiide_tui.index.chunker import MAX_LINES, parse_file
from aiide_tui.index.languages import TAG_QUERIES, language_for, parser_for, rejected_patterns


def spans(rel: str, source: str, language: str) -> list[tuple[int, int, str]]:
    parsed = parse_file(rel, source.encode(), language)
    return [(c.start_line, c.end_line, c.symbol) for c in parsed.chunks]


def test_python_methods_of_a_big_class_carry_the_class_header():
    methods = "".join(f"    def m{i}(self):\n        return helper({i})\n\n" for i in range(40))
    head = "import os\n\n# Helper.\ndef helper(x):\n    return x\n\n\nclass Big(Base):\n"
    source = f'{head}    """Doc."""\n{methods}'
    parsed = parse_file("pkg/mod.py", source.encode(), "python")
    by_symbol = {c.symbol: c for c in parsed.chunks}
    assert by_symbol["pkg.mod.helper"].start_line == 3  # the comment above joins it
    assert by_symbol["pkg.mod.helper"].end_line == 5
    m0 = by_symbol["pkg.mod.Big.m0"]
    assert (m0.start_line, m0.end_line) == (10, 11)
    assert m0.header == "class Big(Base):"
    assert by_symbol["pkg.mod.Big"].start_line == 8  # the signature and docstring chunk
    assert {d.path for d in parsed.definitions} >= {"pkg.mod.helper", "pkg.mod.Big.m39"}
    assert next(d for d in parsed.definitions if d.name == "m5").kind == "method"
    calls = [r for r in parsed.references if r.name == "helper"]
    assert len(calls) == 40 and all(r.enclosing >= 0 for r in calls)


def test_a_big_function_is_cut_at_statement_boundaries_under_its_signature():
    body = "".join(f"    x{i} = compute({i})\n" for i in range(200))
    parsed = parse_file("big.py", f"def big(a):\n{body}".encode(), "python")
    pieces = [c for c in parsed.chunks if c.symbol == "big.big"]
    assert len(pieces) == 3
    assert all(c.end_line - c.start_line < MAX_LINES for c in pieces)
    assert pieces[0].start_line == 1 and pieces[-1].end_line == 201
    assert all(c.header == "def big(a):" for c in pieces)
    assert all(pieces[n].end_line + 1 == pieces[n + 1].start_line for n in range(2))


CASES = {
    "typescript": (
        "src/app.ts",
        "import { x } from './x';\n\nexport class Greeter {\n  greet(name: string): string {\n"
        "    return hello(name);\n  }\n}\n\nexport function hello(n: string) {\n  return n;\n}\n",
        {"src.app.Greeter", "src.app.Greeter.greet", "src.app.hello"},
        ["./x"],
    ),
    "go": (
        "srv/main.go",
        'package main\n\nimport "fmt"\n\ntype Server struct{ port int }\n\n'
        "func (s *Server) Start() error {\n\treturn run(s.port)\n}\n\n"
        "func run(p int) error {\n\tfmt.Println(p)\n\treturn nil\n}\n",
        {"srv.main.Server", "srv.main.Server.Start", "srv.main.run"},
        ["fmt"],
    ),
    "rust": (
        "src/lib.rs",
        "use crate::util::helper;\n\npub struct Stack { items: Vec<i32> }\n\nimpl Stack {\n"
        "    pub fn push(&mut self, v: i32) {\n        self.items.push(helper(v));\n    }\n}\n",
        {"src.Stack", "src.Stack.push"},
        ["crate::util::helper"],
    ),
    "java": (
        "com/acme/Shop.java",
        "package com.acme;\n\nimport java.util.List;\n\npublic class Shop {\n"
        "    public int total(List<Integer> xs) {\n        return sum(xs);\n    }\n"
        "    private int sum(List<Integer> xs) { return 0; }\n}\n",
        {"com.acme.Shop.Shop", "com.acme.Shop.Shop.total", "com.acme.Shop.Shop.sum"},
        ["java.util.List"],
    ),
    "c": (
        "src/util.c",
        '#include "util.h"\n\nstruct point { int x; int y; };\n\n'
        "static int square(int v) {\n    return v * v;\n}\n\n"
        "int norm(struct point *p) {\n    return square(p->x) + square(p->y);\n}\n",
        {"src.util.point", "src.util.square", "src.util.norm"},
        ["util.h"],
    ),
}


@pytest.mark.parametrize("language", sorted(CASES))
def test_symbol_paths_chunks_and_imports(language):
    rel, source, symbols, imports = CASES[language]
    parsed = parse_file(rel, source.encode(), language)
    assert symbols <= {d.path for d in parsed.definitions}
    assert parsed.imports == imports
    chunk_symbols = {c.symbol for c in parsed.chunks}
    assert chunk_symbols & symbols
    lines = source.count("\n")
    assert all(1 <= c.start_line <= c.end_line <= lines + 1 for c in parsed.chunks)
    assert any(r.name in ("hello", "run", "helper", "sum", "square") for r in parsed.references)


def test_c_function_chunk_boundaries():
    _, source, _, _ = CASES["c"]
    assert (5, 7, "src.util.square") in spans("src/util.c", source, "c")
    assert (9, 11, "src.util.norm") in spans("src/util.c", source, "c")


def test_at_least_25_languages_load_with_every_pattern_accepted():
    loaded = [name for name in TAG_QUERIES if parser_for(name) is not None]
    assert len(loaded) >= 25
    assert {name: rejected_patterns(name) for name in TAG_QUERIES if rejected_patterns(name)} == {}


def test_unknown_text_falls_back_to_line_windows():
    assert language_for("notes.txt") is None
    text = "".join(f"line {n}\n" for n in range(150))
    parsed = parse_file("notes.txt", text.encode(), None)
    assert [(c.start_line, c.end_line) for c in parsed.chunks] == [(1, 60), (61, 120), (121, 151)]


def test_calls_are_grouped_by_name_and_what_they_go_through():
    source = (
        "import logging\n\n\ndef setup(cfg):\n"
        "    log = logging.getLogger(cfg)\n"
        "    load(cfg)\n"
        "    cfg.load()\n"
        "    logging.basicConfig()\n"
        "    logging.basicConfig()\n"
        "    return log\n"
    )
    parsed = parse_file("app.py", source.encode(), "python")
    found = {(r.name, r.qualifier, r.lines) for r in parsed.references}
    assert found == {
        ("getLogger", "logging", (5,)),
        ("load", "", (6,)),  # a plain call and one through `cfg`: different definitions
        ("load", "cfg", (7,)),
        ("basicConfig", "logging", (8, 9)),
    }
