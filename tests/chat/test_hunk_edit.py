"""Editing a proposed hunk: the diff stays truthful, the file gets exactly the user's lines."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aiide_tui.chat.hunk_edit import (
    HunkEditError,
    check_applies,
    format_file_diff,
    new_side_text,
    split_lines,
)
from aiide_tui.chat.proposal import Proposal, unified_diff
from aiide_tui.review import parse_diff
from tests.chat.conftest import CALC
from tests.chat.test_service import CHAT, TWO_HUNKS

SWAPPED = CALC.replace("return a + b", "return b + a").replace("return a - b", "return -(b - a)")


def two_hunks() -> Proposal:
    proposal = Proposal.build(1, {"calc.py": CALC}, {"calc.py": SWAPPED})
    assert proposal is not None and len(proposal.files[0].diff.hunks) == 2
    return proposal


def test_split_lines_is_the_inverse_of_file_form():
    assert split_lines("") == []
    assert split_lines("\n") == [""]
    assert split_lines("a\n\nb\n") == ["a", "", "b"]
    assert split_lines("a\r\nb") == ["a", "b"]


def test_editing_the_first_hunk_renumbers_the_second_and_applies_exactly():
    proposal = two_hunks()
    item = proposal.files[0]
    first = item.diff.hunks[0]
    second_start = item.diff.hunks[1].new_start
    text = new_side_text(first).replace(
        "    return b + a\n", "    # edited\n    return a + b + 0\n"
    )
    proposal.edit_hunk("calc.py", 0, text)
    assert item.edited == {0}
    assert item.diff.hunks[0].new_len == first.new_len + 1
    assert item.diff.hunks[1].new_start == second_start + 1
    assert [line.new_no for line in item.diff.hunks[1].lines if line.kind == "+"] == [
        second_start + 1 + 3  # after two blank lines and `def sub`, one line further down
    ]
    assert parse_diff(proposal.diff_text) == [item.diff]
    item.decisions = {0: "accepted", 1: "rejected"}
    expected = CALC.replace("    return a + b\n", "    # edited\n    return a + b + 0\n")
    assert item.result() == expected
    item.decisions = {0: "accepted", 1: "accepted"}
    assert item.result() == expected.replace("return a - b", "return -(b - a)")


def test_an_edit_clears_the_hunks_decision():
    proposal = two_hunks()
    item = proposal.files[0]
    item.decisions[0] = "accepted"
    proposal.edit_hunk("calc.py", 0, new_side_text(item.diff.hunks[0]))
    assert item.decisions == {} and not item.decided


def test_the_missing_newline_at_the_end_of_the_file_is_kept():
    before = "one\ntwo\nthree"
    proposal = Proposal.build(1, {"f.txt": before}, {"f.txt": "one\ntwo\nTHREE"})
    assert proposal is not None
    proposal.edit_hunk("f.txt", 0, "one\ntwo\n3\n")
    item = proposal.files[0]
    item.decisions[0] = "accepted"
    assert item.result() == "one\ntwo\n3"
    assert "\\ No newline at end of file" in proposal.diff_text
    assert parse_diff(proposal.diff_text) == [item.diff]


def test_emptying_a_new_files_only_hunk_is_refused():
    proposal = Proposal.build(1, {"new.py": None}, {"new.py": "x = 1\n"})
    assert proposal is not None
    with pytest.raises(HunkEditError, match="empty"):
        proposal.edit_hunk("new.py", 0, "")
    proposal.edit_hunk("new.py", 0, "x = 2\ny = 3\n")
    proposal.files[0].decisions[0] = "accepted"
    assert proposal.files[0].result() == "x = 2\ny = 3\n"
    assert proposal.diff_text.startswith("diff --git a/new.py b/new.py\nnew file mode")


def test_a_written_file_or_unknown_hunk_cannot_be_edited():
    proposal = two_hunks()
    with pytest.raises(HunkEditError, match="2 hunks"):
        proposal.edit_hunk("calc.py", 5, "x\n")
    with pytest.raises(HunkEditError, match="does not change"):
        proposal.edit_hunk("other.py", 0, "x\n")
    proposal.files[0].written = True
    with pytest.raises(HunkEditError, match="already decided"):
        proposal.edit_hunk("calc.py", 0, "x\n")


def test_check_applies_names_a_hunk_that_no_longer_fits():
    proposal = two_hunks()
    diff = proposal.files[0].diff
    check_applies(CALC, diff)
    with pytest.raises(HunkEditError, match=r"Hunk 2 of calc\.py"):
        check_applies(CALC.replace("def sub(a, b):", "def minus(a, b):"), diff)


texts = st.lists(st.sampled_from(["a", "b", "c", "", "  d", "e e"]), max_size=14)


@settings(max_examples=150, deadline=None)
@given(texts, texts, st.booleans(), st.booleans(), texts, st.data())
def test_round_trip_and_edit_of_any_hunk(old, new, old_eol, new_eol, lines, data):
    before = "\n".join(old) + ("\n" if old_eol and old else "")
    after = "\n".join(new) + ("\n" if new_eol and new else "")
    diff = unified_diff("f.txt", before, after)
    if not diff:
        return
    assert format_file_diff(parse_diff(diff)[0], new_file=False) == diff
    proposal = Proposal.build(1, {"f.txt": before}, {"f.txt": after})
    assert proposal is not None
    item = proposal.files[0]
    index = data.draw(st.integers(0, len(item.diff.hunks) - 1))
    hunk = item.diff.hunks[index]
    start = hunk.new_start - 1 if hunk.new_len else hunk.new_start
    ends_open = any(line.missing_newline for line in hunk.lines if line.kind != "-")
    text = "".join(line + "\n" for line in lines)
    try:
        proposal.edit_hunk("f.txt", index, text)
    except HunkEditError as error:
        assert "empty" in error.message and not lines and not hunk.old_len
        return
    kept = after.splitlines(keepends=True)
    body = [line + "\n" for line in lines]
    if ends_open and body:
        body[-1] = body[-1][:-1]
    item.decisions = dict.fromkeys(range(len(item.diff.hunks)), "accepted")
    assert item.result() == "".join(kept[:start] + body + kept[start + hunk.new_len :])
    assert parse_diff(proposal.diff_text) == [item.diff]
    item.decisions = dict.fromkeys(range(len(item.diff.hunks)), "rejected")
    assert item.result() == before


async def test_edit_through_the_service_then_accept_writes_the_edit(client, model_server, project):
    model_server.script(CHAT, text=TWO_HUNKS)
    proposal = (await client.chat_send("swap the operands"))["proposal"]
    hunk = parse_diff(proposal["diff"])[0].hunks[0]
    text = new_side_text(hunk).replace("return b + a", "return a + b  # kept, on purpose")
    edited = await client.chat_edit_hunk(proposal["id"], "calc.py", 0, text)
    assert edited["files"][0]["edited"] == [0]
    assert "+    return a + b  # kept, on purpose" in edited["diff"]
    assert (project / "calc.py").read_text() == CALC  # nothing written by an edit
    await client.chat_decide(proposal["id"], "calc.py", 0, accept=True)
    reply = await client.chat_decide(proposal["id"], "calc.py", 1, accept=False)
    assert reply["written"] == ["calc.py"]
    expected = CALC.replace("return a + b", "return a + b  # kept, on purpose")
    assert (project / "calc.py").read_text() == expected
    assert await client.chat_undo() == ["calc.py"]
    assert (project / "calc.py").read_text() == CALC
