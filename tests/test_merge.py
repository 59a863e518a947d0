"""Merging a tab's unsaved edits with the file's newer text on disk."""

from __future__ import annotations

from aiide_tui.workspace.merge import conflict_markers, follow_line, merge_texts

BASE = "one\ntwo\nthree\nfour\nfive\n"


def test_changes_to_different_lines_are_both_kept():
    mine = "ONE\ntwo\nthree\nfour\nfive\n"
    theirs = "one\ntwo\nthree\nfour\nFIVE\nsix\n"
    merged = merge_texts(BASE, mine, theirs)
    assert merged.conflicts == 0
    assert merged.text == "ONE\ntwo\nthree\nfour\nFIVE\nsix\n"


def test_one_side_unchanged_gives_the_other():
    changed = "one\n2\nthree\nfour\nfive\n"
    assert merge_texts(BASE, BASE, changed).text == changed
    assert merge_texts(BASE, changed, BASE).text == changed
    assert merge_texts(BASE, changed, changed).conflicts == 0


def test_the_same_line_changed_both_ways_is_marked_with_both_versions():
    merged = merge_texts(BASE, "one\ntwo\nmine\nfour\nfive\n", "one\ntwo\ntheirs\nfour\nfive\n")
    assert merged.conflicts == 1
    assert merged.text == (
        "one\ntwo\n<<<<<<< mine (unsaved)\nmine\n=======\ntheirs\n>>>>>>> on disk\nfour\nfive\n"
    )


def test_conflicts_are_counted_apart():
    mine = "1\ntwo\nthree\nfour\n5\n"
    theirs = "uno\ntwo\nthree\nfour\ncinco\n"
    merged = merge_texts(BASE, mine, theirs)
    assert merged.conflicts == 2
    assert merged.text.count("<<<<<<<") == 2


def test_a_marker_never_joins_a_last_line_without_newline():
    merged = merge_texts("a\nb", "a\nmine", "a\ntheirs")
    assert merged.text.splitlines() == [
        "a", "<<<<<<< mine (unsaved)", "mine", "=======", "theirs", ">>>>>>> on disk",
    ]  # fmt: skip
    assert not merged.text.endswith("\n")  # as all three were


def test_the_final_newline_follows_whoever_changed_it():
    assert merge_texts("a\nb", "a\nb\n", "A\nb").text == "A\nb\n"
    assert merge_texts("a\nb\n", "a\nb\n", "a\nb").text == "a\nb"
    assert merge_texts("", "", "new\n").text == "new\n"


def test_a_line_on_disk_is_followed_into_the_unsaved_text():
    disk = "a\nb\nc\nd\ne\n"
    assert follow_line(disk, disk, 3) == (3, True)
    assert follow_line(disk, "# new\n# lines\na\nb\nc\nd\ne\n", 3) == (5, True)
    assert follow_line(disk, "a\nd\ne\n", 4) == (2, True)  # lines above it deleted
    assert follow_line(disk, "a\nb\nC!\nd\ne\n", 3) == (3, False)  # the line itself edited
    assert follow_line(disk, "a\nb\nd\ne\n", 3) == (3, False)  # deleted: the line after it
    assert follow_line(disk, "a\n", 5) == (1, False)
    assert follow_line("a\n", "", 1) == (1, False)


def test_conflict_marks_are_counted():
    merged = merge_texts(BASE, "one\ntwo\nmine\nfour\nfive\n", "one\ntwo\ntheirs\nfour\nfive\n")
    assert conflict_markers(merged.text) == 2 and conflict_markers(BASE) == 0
    assert conflict_markers("a <<<<<<< b\n") == 0  # only at the start of a line
