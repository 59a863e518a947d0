"""Cross-file snippets from a real index of a real project on disk."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from aiide_tui.complete.request import CompletionRequest
from aiide_tui.complete.snippets import IndexSnippets, names_near_cursor
from aiide_tui.index.project import CodeIndex
from tests.complete.conftest import MakeEngine
from tests.support.model_server import ModelServer

MONEY = '''def cents(amount):
    """Whole cents, rounded half to even."""
    return round(amount * 100)


class Cart:
    def total(self):
        return sum(item.price for item in self.items)
'''


@pytest.fixture
def index(tmp_path: Path) -> Iterator[CodeIndex]:
    root = tmp_path / "shop"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "money.py").write_text(MONEY)
    (root / "app.py").write_text("from lib.money import cents\n\nprice = cents(3)\n")
    code_index = CodeIndex(root, state_dir=tmp_path / "state")
    code_index.index()
    yield code_index
    code_index.close()


def test_names_near_the_cursor_nearest_first() -> None:
    prefix = (
        "import os\n\ndef ship(cart):\n    for item in cart.items:\n        total = cents(item."
    )
    # no parameter, no loop variable; `cart.items` keeps its owner
    assert names_near_cursor(prefix) == [("cents", ""), ("items", "cart")]


def test_words_of_comments_and_strings_are_not_names() -> None:
    prefix = (
        'def scan(text, port):\n    """Read through the port; NOTE callback."""\n'
        '    log("through Decoder")  # see Encoder\n    value = Scanner(text).next_token(port'
    )
    assert [used.name for used in names_near_cursor(prefix)] == ["next_token", "Scanner", "log"]
    assert names_near_cursor(prefix)[0].receiver == "?"  # `Scanner(text).next_token`


def test_a_docstring_cut_by_the_scan_window_stays_prose() -> None:
    """Only the last lines are scanned for names, but strings are found in the whole prefix:
    a window starting inside a docstring would read its words as code, and its code as text."""
    prose = "    Raises Parser errors, Returns Records.\n" * 60
    prefix = f'def load(path):\n    """Read the file.\n\n{prose}    """\n    '
    assert names_near_cursor(prefix) == []


async def test_definitions_of_names_near_the_cursor(index: CodeIndex) -> None:
    found = await IndexSnippets(index).snippets(
        "app.py", "from lib.money import cents\n\nprice = cents(", "", max_tokens=200
    )
    assert [(snippet.path, snippet.reason) for snippet in found] == [("lib/money.py", "definition")]
    assert found[0].text == MONEY.split("\n\n\n")[0] + "\n"


async def test_no_snippets_from_the_file_itself(index: CodeIndex) -> None:
    source = IndexSnippets(index)
    assert await source.snippets("lib/money.py", "x = cents(", "", max_tokens=200) == []


async def test_the_prompt_carries_them(
    index: CodeIndex, model_server: ModelServer, make_engine: MakeEngine
) -> None:
    model_server.script("/api/generate", "3)")
    engine = make_engine()
    engine.snippets = IndexSnippets(index)
    engine.repo_name = "shop"
    request = CompletionRequest("app.py", "price = cents(", "", language="python")
    completion = await engine.complete(request)
    assert completion is not None and completion.text == "3)"
    prompt = model_server.requests_to("/api/generate")[0].body["prompt"]
    assert prompt.startswith("<|repo_name|>shop\n<|file_sep|>lib/money.py\ndef cents(amount):")
    assert prompt.endswith(
        "<|file_sep|>app.py\n<|fim_prefix|>price = cents(<|fim_suffix|><|fim_middle|>"
    )


async def test_a_name_defined_in_many_places_needs_an_import(tmp_path: Path) -> None:
    root = tmp_path / "site"
    for page in ("home", "about", "blog"):
        (root / page).mkdir(parents=True)
        (root / page / "view.py").write_text(f'def render(req):\n    """The {page} page."""\n')
    (root / "app.py").write_text("from blog.view import render\n\nrender(1)\n")
    (root / "other.py").write_text("x = 1\n")
    code_index = CodeIndex(root, state_dir=tmp_path / "state")
    try:
        code_index.index()
        source = IndexSnippets(code_index)
        imported = await source.snippets("app.py", "page = render(", "", max_tokens=200)
        assert [snippet.path for snippet in imported] == ["blog/view.py"]
        assert await source.snippets("other.py", "page = render(", "", max_tokens=200) == []
    finally:
        code_index.close()


async def test_owner_dot_name_needs_the_owner_in_the_definitions_path(tmp_path: Path) -> None:
    """`lib.money.cents` is `money.cents`; `conn.close` could be any class's `close`."""
    root = tmp_path / "shop"
    (root / "lib").mkdir(parents=True)
    (root / "lib" / "money.py").write_text(MONEY + "\n\ndef close(ledger):\n    pass\n")
    (root / "app.py").write_text("from lib import money\n")
    code_index = CodeIndex(root, state_dir=tmp_path / "state")
    try:
        code_index.index()
        source = IndexSnippets(code_index)
        by_module = await source.snippets("app.py", "x = money.cents(", "", max_tokens=200)
        assert [s.text.split("(")[0] for s in by_module] == ["def cents"]
        by_class = await source.snippets("app.py", "t = Cart.total(", "", max_tokens=200)
        assert [s.text.strip().split("(")[0] for s in by_class] == ["def total"]
        # an object of unknown type: `close` here is not lib.money's
        assert await source.snippets("app.py", "conn.close(", "", max_tokens=200) == []
    finally:
        code_index.close()
