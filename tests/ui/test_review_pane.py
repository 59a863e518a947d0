"""ReviewPane in a tiny host app, fed real `git diff` output from temporary repositories."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static
from textual.widgets._collapsible import CollapsibleTitle

from aiide_tui.ui.widgets.hunk_view import HunkView
from aiide_tui.ui.widgets.review_pane import FileSection, ReviewPane
from tests.test_review_model import git, make_changed_repo

LONG = "".join(f"value_{n} = {n}\n" for n in range(40))


class Host(App[None]):
    """Just the pane, recording the messages it posts."""

    def __init__(self) -> None:
        super().__init__()
        self.posted: list[tuple[str, str, int]] = []
        self.refreshes = 0
        self.notices: list[str] = []

    def compose(self) -> ComposeResult:
        yield ReviewPane()

    def notify(self, message: str, **kwargs: object) -> None:
        self.notices.append(message)
        super().notify(message, **kwargs)  # type: ignore[arg-type]

    def on_review_pane_hunk_accepted(self, event: ReviewPane.HunkAccepted) -> None:
        self.posted.append(("accepted", event.path, event.hunk_index))

    def on_review_pane_hunk_rejected(self, event: ReviewPane.HunkRejected) -> None:
        self.posted.append(("rejected", event.path, event.hunk_index))

    def on_review_pane_refresh_requested(self, event: ReviewPane.RefreshRequested) -> None:
        self.refreshes += 1


def two_file_diff(tmp_path: Path) -> str:
    """`a.py` with two hunks (lines 3 and 30) and `b.py` with one."""
    repo = tmp_path / "two"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "a.py").write_text(LONG)
    (repo / "b.py").write_text("x = 1\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    (repo / "a.py").write_text(
        LONG.replace("value_3 = 3", "value_3 = 33").replace("_30 = 30", "_30 = 0")
    )
    (repo / "b.py").write_text("x = 2\n")
    return git(repo, "diff")


def one_file_diff(repo: Path, name: str, before: str, after: str) -> str:
    """The git diff of one file committed as `before` and changed to `after`."""
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / name).write_text(before)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    (repo / name).write_text(after)
    return git(repo, "diff")


def title_text(section: FileSection) -> str:
    return str(section.query_one(CollapsibleTitle).render())


def view_text(view: HunkView) -> list[str]:
    return [view.render_line(y).text for y in range(view.size.height)]


def current_widgets(pane: ReviewPane) -> list[object]:
    return list(pane.query(".-current"))


async def test_shows_every_file_with_its_counts(tmp_path: Path) -> None:
    diff = git(make_changed_repo(tmp_path), "diff", "HEAD", "-M")
    app = Host()
    async with app.run_test(size=(100, 50)) as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(diff)
        await pilot.pause()
        titles = {
            section.file_diff.path: title_text(section) for section in pane.query(FileSection)
        }
        assert len(titles) == 6
        assert "M mod.py  +2 -1" in titles["mod.py"]
        assert "D gone.txt  +0 -2" in titles["gone.txt"]
        assert "A fresh.txt  +2 -0" in titles["fresh.txt"]
        assert "R old_name.py → new_name.py  +1 -1" in titles["new_name.py"]
        assert titles["blob.bin"].endswith("B blob.bin")
        assert pane.border_title == "Review"
        assert pane.border_subtitle == "working tree · 6 files · +6 -5 · read-only"
        mod = next(v for v in pane.query(HunkView) if v.path == "mod.py")
        lines = view_text(mod)
        assert lines[0].startswith("@@ -1,3 +1,4 @@")
        assert lines[2].split() == ["2", "-", "b", "=", "2"]
        assert lines[3].split() == ["2", "+", "b", "=", "20"]
        tail = next(v for v in pane.query(HunkView) if v.path == "tail.txt")
        assert "no newline at end of file" in view_text(tail)[-1]


async def test_untracked_files_without_room_are_counted_in_the_subtitle(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test(size=(100, 50)) as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(two_file_diff(tmp_path), not_shown=["x.py", "y.py"])
        await pilot.pause()
        assert pane.border_subtitle == (
            "working tree · 2 files · +3 -3 · read-only · 2 untracked not shown"
        )
        await pane.show_diff("", not_shown=["x.py"])
        assert pane.border_subtitle == "working tree · 1 untracked not shown"
        await pane.show_diff("")
        assert pane.border_subtitle == "working tree · no changes"


async def test_keys_move_the_current_hunk_across_files(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test(size=(90, 40)) as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(two_file_diff(tmp_path))
        pane.focus()
        await pilot.pause()
        assert pane.current_hunk == ("a.py", 0)
        seen = []
        for _ in range(4):
            await pilot.press("j")
            seen.append(pane.current_hunk)
        assert seen == [("a.py", 1), ("b.py", 0), ("b.py", 0), ("b.py", 0)]
        (current,) = current_widgets(pane)
        assert isinstance(current, HunkView) and (current.path, current.index) == ("b.py", 0)
        await pilot.press("k", "up")
        assert pane.current_hunk == ("a.py", 0)
        await pilot.press("down")
        assert pane.current_hunk == ("a.py", 1)
        view_b = next(v for v in pane.query(HunkView) if v.path == "b.py")
        assert await pilot.click(view_b, offset=(5, 1))
        assert pane.current_hunk == ("b.py", 0)
        assert current_widgets(pane) == [view_b]
        await pilot.press("home")  # the selection goes with the view, not the view alone
        assert pane.current_hunk == ("a.py", 0)
        await pilot.press("end")
        assert pane.current_hunk == ("b.py", 0)


async def test_enter_folds_the_current_file_and_navigation_skips_its_hunks(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test(size=(90, 40)) as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(two_file_diff(tmp_path))
        pane.focus()
        await pilot.press("j", "enter")
        section_a = pane.query(FileSection).first()
        assert section_a.collapsed
        assert pane.current_hunk is None and pane.current_path == "a.py"
        assert current_widgets(pane) == [section_a]
        await pilot.press("j")
        assert pane.current_hunk == ("b.py", 0)
        await pilot.press("k", "space")
        assert not section_a.collapsed
        assert pane.current_hunk == ("a.py", 0)


async def test_refresh_keeps_cursor_and_folds(tmp_path: Path) -> None:
    diff = two_file_diff(tmp_path)
    app = Host()
    async with app.run_test(size=(90, 40)) as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(diff)
        pane.focus()
        await pilot.press("enter", "j", "r")
        assert app.refreshes == 1
        await pane.show_diff(diff)
        await pilot.pause()
        assert pane.current_hunk == ("b.py", 0)
        assert pane.query(FileSection).first().collapsed


async def test_split_toggle_puts_old_and_new_side_by_side(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test(size=(90, 40)) as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(two_file_diff(tmp_path))
        pane.focus()
        await pilot.press("j", "j")
        view = next(v for v in pane.query(HunkView) if v.path == "b.py")
        assert [line.split() for line in view_text(view)[1:]] == [
            ["1", "-", "x", "=", "1"],
            ["1", "+", "x", "=", "2"],
        ]
        await pilot.press("s")
        await pilot.pause()
        assert pane.split and all(v.split for v in pane.query(HunkView))
        assert "split" in str(pane.border_subtitle)
        (row,) = view_text(view)[1:]
        old, new = row.split("│")
        assert old.split() == ["1", "-", "x", "=", "1"]
        assert new.split() == ["1", "+", "x", "=", "2"]
        assert pane.current_hunk == ("b.py", 0)
        await pilot.press("s")
        await pilot.pause()
        assert not any(v.split for v in pane.query(HunkView))
        assert len(view_text(view)) == 3


async def test_empty_states_and_unreadable_diff(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test() as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(two_file_diff(tmp_path))
        await pane.show_diff("")
        await pilot.pause()
        message = pane.query_one("#review-message", Static)
        assert message.display and str(message.render()) == "No changes in the working tree"
        assert not pane.query(FileSection)
        assert pane.border_subtitle == "working tree · no changes"
        await pane.show_message("Not a git repository")
        assert str(message.render()) == "Not a git repository"
        await pane.show_diff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,3 +1,3 @@\n a\n")
        assert str(message.render()).startswith("Could not read the diff")
        await pilot.press("j", "a")
        assert pane.current_hunk is None


async def test_git_diffs_are_read_only(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test() as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(two_file_diff(tmp_path))
        pane.focus()
        await pilot.press("a", "x")
        await pilot.pause()
        assert app.posted == []
        assert all(v.decision is None for v in pane.query(HunkView))
        # the footer leaves the deciding keys out here, shows them on a proposal
        assert pane.check_action("accept_hunk", ()) is False
        (tmp_path / "again").mkdir()
        await pane.show_diff(two_file_diff(tmp_path / "again"), source="proposal 1")
        assert pane.check_action("accept_hunk", ()) is True


async def test_proposal_hunks_can_be_accepted_and_rejected(tmp_path: Path) -> None:
    app = Host()
    async with app.run_test(size=(90, 40)) as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(two_file_diff(tmp_path), source="proposal 1")
        pane.focus()
        assert pane.border_subtitle.endswith("a accept · x reject · e edit")
        await pilot.press("a", "x")
        await pilot.pause()
        assert app.posted == [("accepted", "a.py", 0), ("rejected", "a.py", 1)]
        first, second = list(pane.query(HunkView))[:2]
        assert (first.decision, second.decision) == ("accepted", "rejected")
        assert "✓ accepted" in view_text(first)[0]
        assert pane.current_hunk == ("b.py", 0)
        pane.set_decision("a.py", 0, None)  # the write failed: it waits again
        await pilot.pause()
        assert first.decision is None and "accepted" not in view_text(first)[0]


async def test_control_characters_are_shown_not_sent(tmp_path: Path) -> None:
    diff = one_file_diff(tmp_path / "ctl", "t.py", "a = 1\npage\x0cbreak\nb = 2\n",
                         "a = 1\npage\x0cbreak\nb = '\x1b[31m'\n")  # fmt: skip
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(diff)
        await pilot.pause()
        lines = view_text(pane.query_one(HunkView))
        assert [line.split()[-1] for line in lines[1:]] == ["1", "page␌break", "2", "'␛[31m'"]
        assert not any("\x1b" in line or "\x0c" in line for line in lines)


async def test_a_diff_given_before_mount_appears_on_mount(tmp_path: Path) -> None:
    diff = two_file_diff(tmp_path)

    class Early(Host):
        def compose(self) -> ComposeResult:
            pane = ReviewPane()
            pane.show_diff("")
            pane.show_diff(diff, source="proposal")
            yield pane

    app = Early()
    async with app.run_test() as pilot:
        await pilot.pause()
        pane = app.query_one(ReviewPane)
        assert [section.file_diff.path for section in pane.query(FileSection)] == ["a.py", "b.py"]
        assert pane.current_hunk == ("a.py", 0)
        await pane.show_diff(diff)
        await pane.show_diff(diff)
        assert len(pane.query(FileSection)) == 2
        pane.show_diff(diff)
        pane.show_diff("")
        await pilot.pause()
        assert not pane.query(FileSection) and pane.current_hunk is None


async def test_large_diff_mounts_hunks_lazily(tmp_path: Path) -> None:
    repo = tmp_path / "big"
    repo.mkdir()
    git(repo, "init", "-q")
    for i in range(200):
        (repo / f"mod{i:03}.py").write_text(LONG)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "init")
    changed = LONG
    for n in (*range(2, 8), *range(28, 34)):
        changed = changed.replace(f"value_{n} = {n}\n", f"value_{n} = {n} * 2  # changed\n")
    for i in range(200):
        (repo / f"mod{i:03}.py").write_text(changed)
    diff = git(repo, "diff")
    assert diff.count("\n") > 5000

    app = Host()
    async with app.run_test(size=(120, 50)) as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(diff)
        await pilot.pause()
        sections = list(pane.query(FileSection))
        assert len(sections) == 200
        mounted = len(pane.query(HunkView))
        assert 0 < mounted < 40
        last = sections[-1]
        assert last.collapsed and not last.query(HunkView)
        last.collapsed = False
        await pilot.pause()
        assert len(last.query(HunkView)) == 2
        assert pane.border_subtitle == "working tree · 200 files · +2400 -2400 · read-only"


@pytest.mark.parametrize("theme", ["ansi-light", "ansi-dark"])
async def test_ansi_themes_render_strings_and_attributes(tmp_path: Path, theme: str) -> None:
    """Textual's ANSI highlight themes misspell colours (`ansi_greenb` for strings): a diff
    holding a string crashed the pane, and with it the app at every start."""
    diff = one_file_diff(tmp_path / "strings", "s.py", 'NAME = "old"\n',
                         'NAME = "new"\nobj.attr = __len__\n')  # fmt: skip
    app = Host()
    async with app.run_test(size=(90, 20)) as pilot:
        app.theme = theme
        pane = app.query_one(ReviewPane)
        await pane.show_diff(diff)
        await pilot.pause()
        (view,) = pane.query(HunkView)
        assert any('"new"' in line for line in view_text(view))


async def test_an_empty_new_file_says_so_not_mode_or_metadata(tmp_path: Path) -> None:
    repo = tmp_path / "empty"
    repo.mkdir()
    git(repo, "init", "-q")
    (repo / "keep.py").write_text("x = 1\n")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "one")
    (repo / "new.py").write_text("")
    git(repo, "add", "-A")
    diff = git(repo, "diff", "--cached")
    app = Host()
    async with app.run_test(size=(120, 30)) as pilot:
        pane = app.query_one(ReviewPane)
        pane.show_diff(diff)
        await pilot.pause()
        texts = [str(s.render()) for s in pane.query(".-no-hunks").results(Static)]
        assert texts == ["A new, empty file."]


async def test_a_files_title_says_when_its_execute_bit_changed(tmp_path: Path) -> None:
    repo = tmp_path / "modes"
    one_file_diff(repo, "run.sh", "echo a\n", "echo b\n")
    (repo / "run.sh").chmod(0o755)
    app = Host()
    async with app.run_test(size=(100, 30)) as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(git(repo, "diff"))
        await pilot.pause()
        [section] = pane.query(FileSection)
        assert title_text(section).endswith("M run.sh  +1 -1  now executable")


async def test_the_first_hunk_shows_with_its_files_title(tmp_path: Path) -> None:
    """On a refresh the current hunk scrolled into view hid the title above it."""
    app = Host()
    async with app.run_test(size=(90, 20)) as pilot:
        pane = app.query_one(ReviewPane)
        await pane.show_diff(two_file_diff(tmp_path))
        pane.focus()
        await pilot.pause(0.2)
        await pilot.press("j", "j")  # b.py's hunk: its title comes with it
        await pilot.pause(0.2)
        section = next(s for s in pane.query(FileSection) if s.file_diff.path == "b.py")
        assert section.region.y >= pane.region.y  # the title row is on screen
        await pilot.press("home")
        await pilot.pause(0.2)
        assert pane.scroll_y == 0  # the first file's title, at the top
