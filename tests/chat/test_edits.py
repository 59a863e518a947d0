"""Stream parsing, edit formats, fuzzy matching and per-hunk proposals, on real text."""

from __future__ import annotations

import pytest

from aiide_tui.chat.apply import apply_edits
from aiide_tui.chat.edits import parse_edits, restated_edits
from aiide_tui.chat.proposal import Proposal
from aiide_tui.chat.stream import CodeBlock, StreamParser

SOURCE = "def add(a, b):\n    return a + b\n\n\ndef sub(a, b):\n    return a - b\n"


def parse_stream(text: str, size: int = 3):
    parser = StreamParser()
    events = []
    for at in range(0, len(text), size):
        events.extend(parser.feed(text[at : at + size]))
    return events + parser.finish()


def blocks_of(text: str):
    return [e.block for e in parse_stream(text) if e.kind == "block"]


def test_prose_streams_and_blocks_arrive_whole():
    answer = (
        "Here is the fix.\n\nmath.py\n```python\n<<<<<<< SEARCH\n    return a + b\n"
        "=======\n    return b + a\n>>>>>>> REPLACE\n```\nDone.\n"
    )
    events = parse_stream(answer, size=2)
    kinds = [e.kind for e in events]
    assert kinds.count("block") == 1
    block = next(e.block for e in events if e.kind == "block")
    assert block.complete and block.path_hint == "math.py"
    assert block.raw.startswith("```python\n") and block.raw.endswith("```\n")
    prose = "".join(e.text for e in events if e.kind == "text")
    assert prose == "Here is the fix.\n\nmath.py\nDone.\n"
    assert kinds.index("block") > 1  # prose came before, in pieces


def test_unclosed_block_is_incomplete_and_never_an_edit():
    events = parse_stream("x.py\n```python\nprint(1)\n")
    (block,) = [e.block for e in events if e.kind == "block"]
    assert not block.complete
    assert parse_edits([block]) == ([], [])


def test_an_answer_ending_on_the_closing_fence_completes_its_block():
    (block,) = blocks_of("x.py\n```python\nprint(1)\n```")
    assert block.complete and block.body == "print(1)\n"
    (unclosed,) = blocks_of("x.py\n```python\nprint(1)\n``")
    assert not unclosed.complete


def test_think_is_split_even_when_tags_are_cut():
    events = parse_stream("<think>plan it</think>The answer.", size=2)
    assert "".join(e.text for e in events if e.kind == "think") == "plan it"
    assert "".join(e.text for e in events if e.kind == "text") == "The answer."


def test_search_replace_applies():
    blocks = blocks_of(
        "math.py\n```\n<<<<<<< SEARCH\n    return a - b\n=======\n"
        "    return a - b - 0\n>>>>>>> REPLACE\n```\n"
    )
    edits, problems = parse_edits(blocks)
    assert not problems and edits[0].format == "search-replace"
    result = apply_edits(edits, lambda path: SOURCE)
    assert result.after["math.py"] == SOURCE.replace("a - b\n", "a - b - 0\n")
    assert not result.failures and not result.notes


def test_unified_diff_applies_despite_wrong_line_numbers():
    diff = (
        "```diff\n--- a/math.py\n+++ b/math.py\n@@ -40,2 +40,2 @@\n def sub(a, b):\n"
        "-    return a - b\n+    return -(b - a)\n```\n"
    )
    edits, _ = parse_edits(blocks_of(diff))
    assert [e.format for e in edits] == ["diff"]
    result = apply_edits(edits, lambda path: SOURCE)
    assert "return -(b - a)\n" in result.after["math.py"]


def test_whole_file_for_a_new_file():
    edits, _ = parse_edits(blocks_of("```python pkg/new.py\nVALUE = 1\n```\n"))
    assert [(e.path, e.format) for e in edits] == [("pkg/new.py", "whole")]
    result = apply_edits(edits, lambda path: None)
    assert result.after == {"pkg/new.py": "VALUE = 1\n"}


def test_block_without_a_path_is_an_example():
    assert parse_edits(blocks_of("```python\nprint('hi')\n```\n")) == ([], [])


@pytest.mark.parametrize(
    ("search", "strategy"),
    [
        ("  def sub(a, b):\n        return a - b\n", "whitespace"),
        ("def sub(a, b):\n    return a - b\n", "exact"),
        ("def add(a, b):\n    return a + b\n\ndef sub(a, b):\n", "extra line"),
        ("    return a + b\ndef add(a, b):\n\n\ndef sub(a, b):\n", "moved line"),
    ],
)
def test_stale_search_text_is_found(search, strategy):
    block = f"math.py\n```\n<<<<<<< SEARCH\n{search}=======\nX = 1\n>>>>>>> REPLACE\n```\n"
    edits, _ = parse_edits(blocks_of(block))
    result = apply_edits(edits, lambda path: SOURCE)
    assert not result.failures, result.failures
    assert "X = 1\n" in result.after["math.py"]
    assert result.notes == ([] if strategy == "exact" else [result.notes[0]])
    assert strategy in "".join(result.notes) or strategy == "exact"


def test_missing_search_text_says_why_and_shows_the_closest():
    block = (
        "math.py\n```\n<<<<<<< SEARCH\ndef mul(a, b):\n    return a * b\n"
        "=======\nX\n>>>>>>> REPLACE\n```\n"
    )
    result = apply_edits(parse_edits(blocks_of(block))[0], lambda path: SOURCE)
    (failure,) = result.failures
    assert "not in math.py" in failure.reason and "closest lines" in failure.reason


def test_ambiguous_search_is_refused():
    text = "x = 1\ny = 2\nx = 1\ny = 2\n"
    block = "a.py\n```\n<<<<<<< SEARCH\nx = 1\n=======\nx = 3\n>>>>>>> REPLACE\n```\n"
    result = apply_edits(parse_edits(blocks_of(block))[0], lambda path: text)
    assert "matches 2 places" in result.failures[0].reason


def test_accepting_one_hunk_of_two():
    before = "".join(f"line {i}\n" for i in range(30))
    after = before.replace("line 2\n", "line two\n").replace("line 27\n", "line 27!\n")
    proposal = Proposal.build(1, {"f.txt": before}, {"f.txt": after})
    assert proposal is not None
    (file,) = proposal.files
    assert len(file.diff.hunks) == 2
    file.decisions = {0: "accepted", 1: "rejected"}
    assert file.result() == before.replace("line 2\n", "line two\n")
    file.decisions = {0: "rejected", 1: "accepted"}
    assert file.result() == before.replace("line 27\n", "line 27!\n")


def test_proposal_for_a_file_without_final_newline():
    proposal = Proposal.build(1, {"f": "a\nb"}, {"f": "a\nc"})
    file = proposal.files[0]
    file.decisions = {0: "accepted"}
    assert file.result() == "a\nc"
    new = Proposal.build(2, {"n.py": None}, {"n.py": "x = 1\n"})
    new.files[0].decisions = {0: "accepted"}
    assert new.files[0].result() == "x = 1\n"


def _block(body: str) -> CodeBlock:
    return CodeBlock("python", body, f"```python\n{body}```\n")


def test_a_restated_method_is_indented_as_the_one_it_replaces():
    text = (
        "class Cart:\n    def total(self):\n        return 0\n\n"
        "    def clear(self):\n        pass\n"
    )
    (edit,) = restated_edits(
        [_block("def total(self):\n    return sum(self.items)\n")], {"cart.py": text}
    )
    assert (edit.path, edit.search) == ("cart.py", "    def total(self):\n        return 0\n")
    assert edit.replace == "    def total(self):\n        return sum(self.items)\n"


def test_a_restated_brace_function_ends_at_its_closing_brace():
    text = "function add(a, b) {\n  return a + b;\n}\n\nfunction sub(a, b) {\n  return a - b;\n}\n"
    (edit,) = restated_edits(
        [_block("function add(a, b) {\n  return b + a;\n}\n")], {"calc.js": text}
    )
    assert edit.search == "function add(a, b) {\n  return a + b;\n}\n"


def test_prose_and_plain_statements_are_not_restated_edits():
    files = {"calc.py": "x = compute(1)\n"}
    assert restated_edits([_block("x = compute(1)\n")], files) == []
    assert restated_edits([_block("def missing(a):\n    pass\n")], files) == []


def _retargeted(text: str, files: dict[str, str], candidates: list[str]):
    edits, _ = parse_edits(blocks_of(text))
    return apply_edits(edits, files.get, candidates=lambda missing: candidates)


SUB_EDIT = (
    "{path}\n```python\n<<<<<<< SEARCH\ndef sub(a, b):\n    return a - b\n=======\n"
    "def sub(a, b):\n    return b - a\n>>>>>>> REPLACE\n```\n"
)


def test_an_edit_of_a_missing_path_goes_to_the_one_file_holding_its_lines():
    files = {"pkg/math.py": SOURCE, "pkg/other.py": "X = 1\n"}
    result = _retargeted(SUB_EDIT.format(path="math.py"), files, ["pkg/other.py", "pkg/math.py"])
    assert result.failures == []
    assert list(result.after) == ["pkg/math.py"]
    assert "return b - a" in result.after["pkg/math.py"]
    assert result.notes == ["math.py does not exist: applied to pkg/math.py, which holds its lines"]


def test_a_missing_path_whose_lines_fit_two_files_or_none_is_not_guessed():
    files = {"a/math.py": SOURCE, "b/math.py": SOURCE, "c.py": "X = 1\n"}
    both = _retargeted(SUB_EDIT.format(path="math.py"), files, ["a/math.py", "b/math.py"])
    none = _retargeted(SUB_EDIT.format(path="math.py"), files, ["c.py"])
    for result in (both, none):
        assert result.after == {}
        assert "does not exist" in result.failures[0].reason


def test_new_files_and_existing_paths_are_never_retargeted():
    files = {"math.py": SOURCE, "pkg/math.py": SOURCE}
    existing = _retargeted(SUB_EDIT.format(path="math.py"), files, ["pkg/math.py"])
    assert list(existing.after) == ["math.py"] and existing.notes == []
    created = _retargeted("```python new.py\nVALUE = 1\n```\n", files, ["math.py"])
    assert created.after == {"new.py": "VALUE = 1\n"}


CART = (
    '"""Shopping carts."""\n\nfrom decimal import Decimal\n\n\nclass Cart:\n'
    "    def __init__(self):\n        self.items = []\n\n"
    "    def total(self):\n        return sum(self.items, Decimal(0))\n"
)


def test_a_whole_file_restated_with_a_change_becomes_that_files_new_text():
    changed = CART.replace("class Cart:\n", 'class Cart:\n    """Items to buy."""\n\n')
    files = {"shop/cart.py": CART, "shop/other.py": "VALUE = 1\n"}
    (edit,) = restated_edits([_block(changed)], files)
    assert (edit.path, edit.format, edit.replace) == ("shop/cart.py", "whole", changed)


def test_a_whole_file_with_code_left_out_or_like_two_files_is_not_taken():
    elided = CART.replace(
        "    def total(self):\n        return sum(self.items, Decimal(0))\n",
        "    def total(self):\n        return 0\n\n    # ... rest of the class unchanged\n",
    )
    assert restated_edits([_block(elided)], {"cart.py": CART}) == []
    twins = {"a/cart.py": CART, "b/cart.py": CART}
    assert restated_edits([_block(CART + "\nX = 1\n")], twins) == []


def test_a_restated_function_of_a_small_file_replaces_only_the_function():
    text = "import os\n\n\ndef home():\n    return os.getcwd()\n"
    new = 'def home():\n    """Where we are."""\n    return os.getcwd()\n'
    (edit,) = restated_edits([_block(new)], {"where.py": text})
    assert (edit.format, edit.search) == ("search-replace", "def home():\n    return os.getcwd()\n")


def test_a_path_comment_over_one_changed_function_replaces_only_that_function():
    """Qwen 1.5B's habit: the path as the block's first line, a comment, then the function
    it changed. That names the file, stays out of it, and leaves the rest of it alone."""
    answer = (
        "Here is the change:\n\n```python\n# pkg/math.py\n"
        "def sub(a, b):\n    return -(b - a)\n```\n"
    )
    (block,) = blocks_of(answer)
    assert block.path_hint == "pkg/math.py" and not block.body.startswith("#")
    edits, problems = parse_edits([block])
    assert not problems
    result = apply_edits(edits, lambda path: SOURCE if path == "pkg/math.py" else None)
    assert result.after["pkg/math.py"] == SOURCE.replace("return a - b", "return -(b - a)")
    assert not result.notes


def test_a_restated_file_that_leaves_a_function_out_says_so():
    old = "\n\n".join(f"def f{n}(a):\n    return a + {n}\n" for n in range(10))
    restated = old.split("\n\ndef f9")[0].replace("a + 0", "a - 0")
    edits, _ = parse_edits(blocks_of(f"```python\n# calc.py\n{restated}```\n"))
    result = apply_edits(edits, lambda path: old)
    assert "a - 0" in result.after["calc.py"] and "def f9" not in result.after["calc.py"]
    assert result.notes == [
        "calc.py: the model's version leaves out f9; reject those hunks unless you asked for"
        " them to go"
    ]


def test_a_few_restated_functions_replace_theirs_and_a_new_one_is_added_at_the_end():
    old = "\n\n".join(f"def f{n}(a):\n    return a + {n}\n" for n in range(10))
    block = (
        "def f2(a):\n    return a - 2\n\n\ndef f3(a):\n    return a + 3\n\n\n"
        "def g(a):\n    return a\n"
    )
    edits, _ = parse_edits(blocks_of(f"```python\n# calc.py\n{block}```\n"))
    result = apply_edits(edits, lambda path: old)
    expected = old.replace("a + 2", "a - 2") + "\n\ndef g(a):\n    return a\n"
    assert result.after["calc.py"] == expected and not result.notes


def test_a_comment_that_is_not_a_path_stays_code():
    (block,) = blocks_of("```python\n# v1.2\nVALUE = 1\n```\n")
    assert block.path_hint is None and block.body.startswith("# v1.2")


PRICING = (
    '"""Pricing rules."""\n\nRATE = 0.1\n\n\ndef discount(amount):\n    if amount > 100:\n'
    "        return amount * (1 - RATE)\n    return amount\n\n\ndef tax(amount):\n"
    "    return amount * 0.2\n"
)


def test_a_path_comment_over_a_new_constant_and_a_function_changes_just_those():
    """`TAX_RATE = 0.2` over the changed `tax`: the constant goes before the function that
    uses it, and `discount` stays (the whole file was replaced, silently deleting it)."""
    block = "TAX_RATE = 0.2\n\n\ndef tax(amount):\n    return round(amount * TAX_RATE, 2)\n"
    edits, _ = parse_edits(blocks_of(f"```python\n# shop/pricing.py\n{block}```\n"))
    result = apply_edits(edits, lambda path: PRICING)
    expected = PRICING.replace(
        "def tax(amount):\n    return amount * 0.2\n",
        "TAX_RATE = 0.2\n\n\ndef tax(amount):\n    return round(amount * TAX_RATE, 2)\n",
    )
    assert result.after["shop/pricing.py"] == expected and not result.notes


def test_a_path_comment_over_one_constant_sets_it_in_place():
    edits, _ = parse_edits(blocks_of("```python\n# shop/pricing.py\nRATE = 0.15\n```\n"))
    result = apply_edits(edits, lambda path: PRICING)
    assert result.after["shop/pricing.py"] == PRICING.replace("RATE = 0.1\n", "RATE = 0.15\n")


def test_a_whole_file_edit_that_cannot_be_narrowed_still_says_what_it_leaves_out():
    edits, _ = parse_edits(blocks_of("```python\n# shop/pricing.py\nprint('only this')\n```\n"))
    result = apply_edits(edits, lambda path: PRICING)
    assert result.after["shop/pricing.py"] == "print('only this')\n"
    assert result.notes == [
        "shop/pricing.py: the model's version leaves out discount, tax; reject those hunks"
        " unless you asked for them to go"
    ]
