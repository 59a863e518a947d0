"""The whole app under Textual's pilot, on a real git project with real services."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from textual.widgets import Input, Label

from aiide_tui.config import load_config, user_config_path
from aiide_tui.ui.app import AiideApp
from aiide_tui.ui.screens.confirm import ConfirmScreen
from aiide_tui.ui.screens.goto_line import GotoLineScreen
from aiide_tui.ui.screens.help import HelpScreen
from aiide_tui.ui.screens.path_prompt import PathPrompt
from aiide_tui.ui.screens.search import Replacement
from aiide_tui.ui.widgets.editor import Editor
from aiide_tui.ui.widgets.file_tree import FileTree
from aiide_tui.ui.widgets.review_pane import FileSection, ReviewPane
from tests.ui.conftest import wait_for


def make_app(root: Path, **overrides) -> AiideApp:
    return AiideApp(root, load_config(root, overrides=overrides), probe_environment=False)


async def ready(pilot) -> None:
    await wait_for(pilot, lambda: pilot.app.screen.query_one(FileTree).file_count > 0)


async def open_file(pilot, path: str) -> None:
    pilot.app.screen.open_file(path)
    await wait_for(pilot, lambda: pilot.app.screen.query_one(Editor).is_open(path))
    await wait_for(pilot, lambda: pilot.app.screen.query_one(Editor).active is pilot.app.focused)


def editor(pilot) -> Editor:
    return pilot.app.screen.query_one(Editor)


async def test_open_from_tree_edit_save(project: Path):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        assert isinstance(pilot.app.focused, FileTree)
        # Folders come first: expand `inventory`, then its second file is models.py.
        await pilot.press("enter", "down", "down", "enter")
        await wait_for(pilot, lambda: editor(pilot).is_open("inventory/models.py"))
        assert editor(pilot).border_title == "models.py"
        await wait_for(pilot, lambda: editor(pilot).active is pilot.app.focused)
        await pilot.press(*"# edited", "enter")
        assert editor(pilot).is_dirty("inventory/models.py")
        assert "●" in editor(pilot).tab_label("inventory/models.py")
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: not editor(pilot).is_dirty("inventory/models.py"))
        text = (project / "inventory/models.py").read_text()
        assert text.startswith("# edited\nfrom __future__ import annotations")
        assert "●" not in editor(pilot).tab_label("inventory/models.py")


async def test_the_cursor_line_stays_in_view_when_the_terminal_shrinks(project: Path):
    (project / "long.py").write_text("".join(f"x{n} = {n}\n" for n in range(400)))
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "long.py")
        view = editor(pilot).active
        view.goto_line(300)
        await pilot.pause(0.2)
        await pilot.resize_terminal(60, 20)

        def cursor_in_view() -> bool:
            top = view.scroll_offset.y
            return top <= view.cursor_location[0] < top + view.scrollable_content_region.height

        await wait_for(pilot, cursor_in_view)


async def test_undo_and_redo(project: Path):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "README.md")
        original = editor(pilot).text("README.md")
        await pilot.press(*"abc")
        assert editor(pilot).text("README.md") == "abc" + original
        await pilot.press("ctrl+z")
        assert editor(pilot).text("README.md") == original
        await pilot.press("ctrl+y")
        assert editor(pilot).text("README.md") == "abc" + original


async def test_clean_tab_reloads_when_file_changes_on_disk(project: Path):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "web/format.js")
        (project / "web/format.js").write_text("// rewritten by vim\n")
        rewritten = "// rewritten by vim\n"
        await wait_for(pilot, lambda: editor(pilot).text("web/format.js") == rewritten)
        assert not editor(pilot).is_dirty("web/format.js")


async def test_mixed_line_endings_are_said_once_and_a_reload_stays_clean(project: Path):
    """A text area holds one kind of line ending: the mix is said at open, a save uses the
    most common one, and a reload of a now-mixed file is not an edit."""
    (project / "notes.txt").write_bytes(b"one\r\ntwo\r\nthree\n")
    (project / "plain.txt").write_bytes(b"a\nb\n")
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "notes.txt")
        notices = [n.message for n in pilot.app._notifications]
        assert any("mixes line endings: saving ends every line with CRLF" in n for n in notices)
        assert not editor(pilot).is_dirty("notes.txt")
        await open_file(pilot, "plain.txt")
        with (project / "plain.txt").open("ab") as handle:
            handle.write(b"c\r\n")  # a tool appends a CRLF line
        await wait_for(pilot, lambda: editor(pilot).text("plain.txt") == "a\nb\nc\n")
        await pilot.pause(0.3)
        assert not editor(pilot).is_dirty("plain.txt")
        await open_file(pilot, "notes.txt")
        await pilot.press("ctrl+end", *"four", "ctrl+s")
        await wait_for(pilot, lambda: not editor(pilot).is_dirty("notes.txt"))
    assert (project / "notes.txt").read_bytes() == b"one\r\ntwo\r\nthree\r\nfour"


async def test_a_file_rewritten_unchanged_asks_nothing_of_a_tab_with_edits(project: Path):
    """`git checkout` away and back rewrites the file as the tab read it: nothing to merge."""
    import os

    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "web/format.js")
        await pilot.press(*"mine ")
        original = (project / "web/format.js").read_text()
        before = os.stat(project / "web/format.js").st_mtime_ns
        (project / "web/format.js").write_text(original)  # same text, a new mtime
        await wait_for(pilot, lambda: editor(pilot).mtime_ns("web/format.js") != before)
        await pilot.pause(0.3)
        assert not isinstance(pilot.app.screen, ConfirmScreen)
        assert editor(pilot).text("web/format.js") == "mine " + original  # edits kept,
        assert editor(pilot).is_dirty("web/format.js")  # and still unsaved


@pytest.mark.parametrize(("choice", "keeps_mine"), [("r", False), ("k", True)])
async def test_dirty_tab_asks_reload_or_keep(project: Path, choice: str, keeps_mine: bool):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "web/format.js")
        await pilot.press(*"mine ")
        (project / "web/format.js").write_text("// theirs\n")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press(choice)
        await wait_for(pilot, lambda: not isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.pause(0.2)
        text = editor(pilot).text("web/format.js")
        assert text.startswith("mine ") is keeps_mine
        assert (text == "// theirs\n") is not keeps_mine


async def test_edits_typed_right_after_a_save_stay_unsaved(project: Path):
    """The watcher reports our own save a moment later: that must not mark the edits typed
    since as saved (quitting would then lose them without asking)."""
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "web/format.js")
        await pilot.press(*"// saved", "ctrl+s")
        await wait_for(pilot, lambda: not editor(pilot).is_dirty("web/format.js"))
        await pilot.press(*" and then more")
        assert editor(pilot).is_dirty("web/format.js")
        await pilot.app.screen._reconcile("web/format.js", deleted=False)  # the late event
        assert editor(pilot).is_dirty("web/format.js")
        assert "and then more" not in (project / "web/format.js").read_text()


async def test_dirty_tab_merges_a_change_on_disk_to_other_lines(project: Path):
    """Both sides' edits stay; the tab is unsaved until the user saves the merge."""
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "web/format.js")
        await pilot.press(*"// mine", "enter")
        on_disk = (project / "web/format.js").read_text().replace("out of stock", "sold out")
        (project / "web/format.js").write_text(on_disk)
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert "merging keeps both" in pilot.app.screen.message
        await pilot.press("m")
        await wait_for(pilot, lambda: "sold out" in editor(pilot).text("web/format.js"))
        assert editor(pilot).text("web/format.js") == "// mine\n" + on_disk
        assert editor(pilot).is_dirty("web/format.js")
        await pilot.press("ctrl+s")  # no question: the tab read the file's newest text
        await wait_for(pilot, lambda: not editor(pilot).is_dirty("web/format.js"))
        assert (project / "web/format.js").read_text() == "// mine\n" + on_disk
        assert not isinstance(pilot.app.screen, ConfirmScreen)
        await pilot.press("ctrl+z")  # the merge is one step: the change on disk goes
        assert editor(pilot).text("web/format.js") == "// mine\n" + on_disk.replace(
            "sold out", "out of stock"
        )


async def test_saving_over_a_change_to_the_same_lines_merges_with_markers(project: Path):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "web/format.js")
        await pilot.press(*"// mine")
        view = editor(pilot).document("web/format.js")
        original = view.saved_text
        # Changed behind the editor's back, the watcher not noticing first.
        view.mtime_ns -= 1
        (project / "web/format.js").write_text("// theirs" + original)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert "same lines in 1 place" in pilot.app.screen.message
        assert [key for key, _ in pilot.app.screen.choices] == ["m", "o", "r", "c"]
        await pilot.press("m")
        await wait_for(pilot, lambda: "=======" in editor(pilot).text("web/format.js"))
        first = editor(pilot).text("web/format.js").splitlines()[:5]
        assert first == [
            "<<<<<<< mine (unsaved)", "// mine// Formatting helpers for the inventory web page.",
            "=======", "// theirs// Formatting helpers for the inventory web page.",
            ">>>>>>> on disk",
        ]  # fmt: skip
        assert (project / "web/format.js").read_text() == "// theirs" + original  # not saved
        assert editor(pilot).is_dirty("web/format.js")
        await pilot.press("ctrl+s")  # the marks are still there: it asks first
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert "between <<<<<<< and >>>>>>>" in pilot.app.screen.message
        await pilot.press("c")
        await wait_for(pilot, lambda: not isinstance(pilot.app.screen, ConfirmScreen))
        assert (project / "web/format.js").read_text() == "// theirs" + original


async def test_saving_a_file_deleted_on_disk_offers_to_create_it_again(project: Path):
    """The deleted file has nothing to reload: the choice is to write it again or not, and
    the edits are never lost."""
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "README.md")
        await pilot.press(*"mine ")
        (project / "README.md").unlink()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert [key for key, _ in pilot.app.screen.choices] == ["o", "c"]  # nothing to reload
        await pilot.press("c")
        await pilot.pause(0.2)
        assert editor(pilot).text("README.md").startswith("mine ")
        assert not (project / "README.md").exists()
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("o")
        await wait_for(pilot, lambda: (project / "README.md").exists())
        assert (project / "README.md").read_text().startswith("mine # inventory")


async def test_saving_over_an_external_change_asks_first(project: Path):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "README.md")
        await pilot.press(*"mine ")
        screen = pilot.app.screen
        # Change the file behind the editor's back without the watcher noticing first: the
        # editor read other text, at another time.
        view = editor(pilot).document("README.md")
        view.mtime_ns -= 1
        view._saved_text = "what the editor read\n"
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("o")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        await wait_for(pilot, lambda: (project / "README.md").read_text().startswith("mine "))


async def test_saving_over_a_file_rewritten_with_the_same_text_does_not_ask(project: Path):
    """Written since it was opened (an undo put back what it held), but holding just what
    the editor read: nothing to choose between."""
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "README.md")
        await pilot.press(*"mine ")
        editor(pilot).document("README.md").mtime_ns -= 1
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: (project / "README.md").read_text().startswith("mine "))
        assert not isinstance(pilot.app.screen, ConfirmScreen)


async def test_tabs_switch_and_close(project: Path):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "README.md")
        await open_file(pilot, "inventory/store.py")
        assert editor(pilot).active.path == "inventory/store.py"
        await pilot.press("ctrl+pageup")
        assert editor(pilot).active.path == "README.md"
        await pilot.press("ctrl+pagedown")
        assert editor(pilot).active.path == "inventory/store.py"
        await pilot.press("ctrl+w")
        await wait_for(pilot, lambda: not editor(pilot).is_open("inventory/store.py"))
        assert [view.path for view in editor(pilot).documents] == ["README.md"]


async def test_binary_file_is_refused(project: Path):
    (project / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00binary")
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await wait_for(pilot, lambda: pilot.app.screen.query_one(FileTree).file_count > 0)
        pilot.app.screen.open_file("logo.png")
        await wait_for(pilot, lambda: any("binary" in n.message for n in pilot.app._notifications))
        assert not editor(pilot).is_open("logo.png")


async def test_large_file_asks_before_opening(project: Path):
    (project / "big.txt").write_text("line\n" * 5000)
    async with make_app(project, editor={"max_file_bytes": 1000}).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        pilot.app.screen.open_file("big.txt")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("o")
        await wait_for(pilot, lambda: editor(pilot).is_open("big.txt"))
        assert editor(pilot).text("big.txt").count("\n") == 5000


async def test_palette_runs_actions(project: Path):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "inventory/store.py")
        await pilot.press("ctrl+p")
        await pilot.press(*"go to line")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, GotoLineScreen))
        await pilot.press(*"12", "enter")
        await wait_for(pilot, lambda: editor(pilot).active.cursor_location[0] == 11)


async def test_help_lists_keys_from_the_keymap(project: Path):
    async with make_app(project, keys={"save": "f10"}).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        rows = {action.id: keys for action, keys in pilot.app.screen.actions}
        assert rows["save"] == "f10"
        assert "under [keys] by name" in str(pilot.app.screen.query_one(".hint").render())
        await pilot.press("escape")
        await open_file(pilot, "README.md")
        await pilot.press("x", "f10")
        await wait_for(pilot, lambda: (project / "README.md").read_text().startswith("x#"))


async def test_help_at_60_columns_keeps_the_actions_readable(project: Path):
    from aiide_tui.ui.screens.help import KeysTable

    async with make_app(project).run_test(size=(60, 30)) as pilot:
        await ready(pilot)
        await pilot.press("f1")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, HelpScreen))
        await pilot.pause()
        table = pilot.app.screen.query_one(KeysTable)
        shown = "\n".join(line.text for line in table.render_lines(table.region.reset_offset))
        assert "Quit" in shown and "Name in [keys]" not in shown


async def test_theme_switch_is_remembered(project: Path):
    config_file = user_config_path(os.environ)
    async with make_app(project, ui={"theme": "nord"}).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await pilot.pause(0.3)
        assert pilot.app.theme == "nord"
    assert not config_file.exists()  # `--theme nord` is for this run; starting writes nothing
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        assert pilot.app.theme == "aiide-dark"
        await pilot.press("f9")
        await pilot.press(*"aiide-light")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_for(pilot, lambda: pilot.app.theme == "aiide-light")
    assert 'theme = "aiide-light"' in user_config_path(os.environ).read_text()
    assert load_config(project).ui.theme == "aiide-light"


def shown(pilot) -> set[str]:
    screen = pilot.app.screen
    return {
        name
        for name in ("files", "editor", "chat", "review")
        if screen.query_one(f"#{name}").display and screen.query_one(f"#{name}").region.area
    }


async def test_wide_layout_shows_all_four_regions(project: Path):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        assert shown(pilot) == {"files", "editor", "chat", "review"}
        titles = {pilot.app.screen.query_one(f"#{n}").border_title for n in ("files", "chat")}
        assert titles == {"Files", "Chat"}


async def test_medium_layout_toggles_the_side_panel(project: Path):
    async with make_app(project).run_test(size=(120, 40)) as pilot:
        await ready(pilot)
        assert shown(pilot) == {"files", "editor", "chat"}
        await pilot.press("f2")
        await pilot.pause()
        assert shown(pilot) == {"files", "editor", "review"}
        await pilot.press("f2")
        await pilot.pause()
        assert shown(pilot) == {"files", "editor", "chat"}


async def test_narrow_layout_cycles_one_region_at_a_time(project: Path):
    async with make_app(project).run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        assert shown(pilot) == {"files"}
        seen = []
        for _ in range(4):
            await pilot.press("f6")
            await pilot.pause()
            seen.append(shown(pilot))
        assert seen == [{"editor"}, {"chat"}, {"review"}, {"files"}]


async def test_f6_leaves_the_editor_with_a_file_open(project: Path):
    """TextArea binds F6 (select line) and F7 (select all); in the editor they must stay the
    app's keys (next region, run log) as everywhere else."""
    async with make_app(project).run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await open_file(pilot, "inventory/store.py")
        assert shown(pilot) == {"editor"}
        await pilot.press("f6")
        await pilot.pause()
        assert shown(pilot) == {"chat"}
        assert editor(pilot).active.selection.is_empty


async def test_focus_chat_puts_the_cursor_in_the_prompt(project: Path):
    async with make_app(project).run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        await pilot.press("alt+3")
        await pilot.pause()
        assert shown(pilot) == {"chat"}
        assert pilot.app.focused is pilot.app.screen.query_one("#chat-input")


async def test_resizing_switches_layout(project: Path):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await pilot.resize_terminal(90, 30)
        await pilot.pause()
        assert len(shown(pilot)) == 1
        await pilot.resize_terminal(160, 48)
        await pilot.pause()
        assert len(shown(pilot)) == 4


async def test_f6_into_the_chat_types_in_its_prompt_and_a_wider_terminal_keeps_it(
    project: Path,
):
    """F6 focused the first message (typing vanished), and widening from narrow to medium
    showed the other side panel with the focus in the editor (keys then edited a file)."""
    from aiide_tui.ui.widgets.chat_panel import ChatPanel

    async with make_app(project).run_test(size=(80, 24)) as pilot:
        await ready(pilot)
        screen = pilot.app.screen
        screen.query_one(ChatPanel).add_message("system", "an earlier message")
        screen.action_focus_review()
        await pilot.pause()
        screen.show_region("chat")
        await pilot.pause()
        prompt = screen.query_one("#chat-input", Input)
        await pilot.press(*"why")
        assert prompt.value == "why" and pilot.app.focused is prompt
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        assert "chat" in shown(pilot) and "review" not in shown(pilot)
        await pilot.press(*"abc")
        assert prompt.value == "whyabc"
        screen.narrow_region = "files"  # the region last shown while narrow, long ago
        screen.action_focus_chat()  # chosen while wide, then the terminal narrows
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert shown(pilot) == {"chat"}
        await pilot.press("Q")
        assert prompt.value == "whyabcQ"


async def test_review_pane_shows_working_tree_changes(project: Path):
    import subprocess

    from tests.support.projects import GIT

    (project / "inventory/store.py").write_text("# changed\n")
    (project / "staged.py").write_text("x = 1\n")
    subprocess.run([*GIT, "add", "staged.py"], cwd=project, check=True)
    (project / "notes.md").write_text("not in git yet\n")
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        review = pilot.app.screen.query_one(ReviewPane)
        await wait_for(pilot, lambda: "3 files" in str(review.border_subtitle))
        status = pilot.app.screen.query_one(FileTree)._status
        assert status == {
            "inventory/store.py": "modified", "staged.py": "added", "notes.md": "untracked",
        }  # fmt: skip
        titles = {s.file_diff.path: str(s.title).split()[0] for s in review.query(FileSection)}
        assert titles == {"inventory/store.py": "M", "staged.py": "A", "notes.md": "U"}  # as tree


async def test_tree_follows_files_created_and_deleted_on_disk(project: Path):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        tree = pilot.app.screen.query_one(FileTree)
        before = tree.file_count
        (project / "notes.md").write_text("new\n")
        await wait_for(pilot, lambda: tree.file_count == before + 1)
        assert tree._status.get("notes.md") == "untracked"
        (project / "notes.md").unlink()
        await wait_for(pilot, lambda: tree.file_count == before)


def _rows(tree: FileTree) -> list[str]:
    return [tree.render_line(y).text for y in range(tree.size.height)]


async def test_tree_cuts_a_long_name_in_the_middle_to_fit_the_panel(project: Path):
    long = "a_module_whose_name_goes_on_well_past_the_panel_width_widgets.py"
    (project / long).write_text("x = 1\n")
    async with make_app(project).run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        tree = pilot.app.screen.query_one(FileTree)
        await wait_for(pilot, lambda: long in tree.paths)

        def shown() -> str:
            return next(row.rstrip() for row in _rows(tree) if row.startswith("a_module"))

        await wait_for(pilot, lambda: shown().endswith("py U"))  # untracked: the mark stays
        row = shown()
        assert "…" in row and len(row) <= tree.scrollable_content_region.width
        assert tree.virtual_size.width <= tree.scrollable_content_region.width  # no sideways
        assert any(r.rstrip() == "pyproject.toml" for r in _rows(tree))  # fits: whole
        await pilot.resize_terminal(300, 30)  # a wider panel shows more of the name
        await wait_for(pilot, lambda: len(shown()) > len(row))
        assert shown().startswith(row.split("…")[0]) and shown().endswith("widgets.py U")


async def test_the_branch_in_the_status_bar_follows_a_checkout_in_a_shell(project: Path):
    import subprocess

    from aiide_tui.ui.widgets.status_bar import StatusBar

    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        status = pilot.app.screen.query_one(StatusBar)
        await wait_for(pilot, lambda: "main" in status.segment_text("branch"))
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@t"]
        subprocess.run([*git, "checkout", "-q", "-b", "feature"], cwd=project, check=True)
        (project / "feature.md").write_text("on the branch\n")
        await wait_for(pilot, lambda: "feature" in status.segment_text("branch"))


async def test_a_commit_in_a_shell_clears_the_trees_marks_and_the_review(project: Path):
    import subprocess

    from tests.support.projects import GIT

    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        tree = pilot.app.screen.query_one(FileTree)
        review = pilot.app.screen.query_one(ReviewPane)
        (project / "README.md").write_text("# changed\n")
        await wait_for(pilot, lambda: tree._status.get("README.md") == "modified")
        await wait_for(pilot, lambda: [f.path for f in review.files] == ["README.md"])
        subprocess.run([*GIT, "commit", "-qam", "wip"], cwd=project, check=True)
        await wait_for(pilot, lambda: tree._status == {} and not review.files)


async def test_copy_uses_the_clipboard_escape(project: Path):
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "README.md")
        await pilot.press("shift+end")
        await pilot.press("ctrl+c")
        assert pilot.app.clipboard == "# inventory"


def offline_app(project: Path) -> AiideApp:
    """The app with its model server on a port where nothing answers."""
    config = load_config(project, env={"OLLAMA_HOST": "http://127.0.0.1:9"})
    return AiideApp(project, config, remember_theme=False)


async def test_status_bar_reports_an_unreachable_model_server(project: Path):
    app = offline_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        status = pilot.app.screen.query_one("#status")
        await wait_for(pilot, lambda: "offline" in status.segment_text("model"))
        assert "main" in status.segment_text("branch")
        chat = pilot.app.screen.query_one("#chat")
        await wait_for(pilot, lambda: "127.0.0.1:9" in str(chat.query_one("#chat-notice").render()))


async def test_a_narrow_status_bar_still_says_the_model_server_is_offline(project: Path):
    app = offline_app(project)
    async with app.run_test(size=(80, 24)) as pilot:
        status = pilot.app.screen.query_one("#status")
        await wait_for(pilot, lambda: "offline" in status.segment_text("model"))
        await pilot.pause()
        model = status.query_one("#status-model")
        assert model.display and model.region.width > 0  # the model's name is what goes


async def test_status_bar_names_the_models_serving_each_role(project: Path, model_server):
    (project / ".aiide.toml").write_text(model_server.config_toml("ollama"))
    app = AiideApp(project, load_config(project), remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        status = pilot.app.screen.query_one("#status")
        await wait_for(pilot, lambda: "checking" not in status.segment_text("model"))
        text = status.segment_text("model")
        assert "fim" in text and "chat" in text, text
        notice = pilot.app.screen.query_one("#chat").query_one("#chat-notice")
        assert not notice.display


async def test_a_model_server_that_starts_later_is_found(project: Path, model_server, monkeypatch):
    """Ollama (or dockerd) started after aiide: the next check finds it, no restart."""
    import aiide_tui.ui.screens.main as main_screen

    monkeypatch.setattr(main_screen, "RECHECK_S", 0.5)
    model_server.default("*", status=503, error="starting")
    (project / ".aiide.toml").write_text(model_server.config_toml("ollama"))
    app = AiideApp(project, load_config(project), remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        notice = pilot.app.screen.query_one("#chat").query_one("#chat-notice")
        await wait_for(pilot, lambda: notice.display)
        model_server.default("*")  # the server is up now
        await wait_for(pilot, lambda: not notice.display, timeout=15)


async def test_without_ollama_the_chat_names_its_model(project: Path, model_server):
    (project / ".aiide.toml").write_text(model_server.config_toml("openai"))
    app = AiideApp(project, load_config(project), remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        chat = pilot.app.screen.query_one("#chat")
        status = pilot.app.screen.query_one("#status")
        await wait_for(pilot, lambda: "checking" not in status.segment_text("model"))
        await wait_for(pilot, lambda: "chat " in str(chat.border_subtitle))
        assert "Ollama" not in str(chat.border_subtitle)


async def test_the_chat_is_connected_when_its_own_model_answers(project: Path, model_server):
    """Chat on an OpenAI-compatible server, the reasoning role on an Ollama that is down."""
    chat = f'[models.chat]\nprovider = "openai"\nbase_url = "{model_server.openai_url}"\n'
    (project / ".aiide.toml").write_text(f'[models]\nollama_host = "http://127.0.0.1:9"\n{chat}')
    app = AiideApp(project, load_config(project), remember_theme=False)
    async with app.run_test(size=(160, 48)) as pilot:
        panel = pilot.app.screen.query_one("#chat")
        status = pilot.app.screen.query_one("#status")
        await wait_for(pilot, lambda: "checking" not in status.segment_text("model"))
        await wait_for(pilot, lambda: "chat " in str(panel.border_subtitle))
        assert not panel.query_one("#chat-notice").display
        assert "offline" not in status.segment_text("model")


async def quit_with_an_unsaved_edit(pilot) -> None:
    """Type into README.md, then ctrl+q: the app asks about it."""
    await ready(pilot)
    await open_file(pilot, "README.md")
    await pilot.press(*"draft ", "ctrl+q")
    await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
    assert "README.md has unsaved changes" in pilot.app.screen.message


async def test_quit_asks_about_unsaved_edits(project: Path):
    original = (project / "README.md").read_text()
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await quit_with_an_unsaved_edit(pilot)
        await pilot.press("c")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert app.is_running and editor(pilot).is_dirty("README.md")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("s")
        await wait_for(pilot, lambda: not app.is_running)
    assert (project / "README.md").read_text() == "draft " + original


async def test_quit_without_saving_leaves_the_file(project: Path):
    original = (project / "README.md").read_text()
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await quit_with_an_unsaved_edit(pilot)
        await pilot.press("d")
        await wait_for(pilot, lambda: not app.is_running)
    assert (project / "README.md").read_text() == original


async def test_quit_with_nothing_unsaved_does_not_ask(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "README.md")
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_quit_asks_before_dropping_proposed_hunks_still_waiting(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        screen = pilot.app.screen
        screen.propose_replacement(Replacement("inventory", "stock"))  # as ctrl+r in alt+g
        review = screen.query_one(ReviewPane)
        await wait_for(pilot, lambda: review.source == "chat" and review.files)
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert "wait in the review pane" in str(pilot.app.screen.message)
        await pilot.press("c")
        await wait_for(pilot, lambda: pilot.app.screen is screen)
        assert app.is_running
        await pilot.press("ctrl+q")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        await pilot.press("q")
        await wait_for(pilot, lambda: not app.is_running)


async def test_legacy_encoded_file_opens_and_saves_in_its_encoding(project: Path):
    (project / "legacy.py").write_bytes("NAME = 'café'\n".encode("cp1252"))
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "legacy.py")
        assert editor(pilot).text("legacy.py") == "NAME = 'café'\n"
        assert any("opened as cp1252" in str(n.message) for n in app._notifications)
        await pilot.press(*"# é ", "ctrl+s")
        await wait_for(pilot, lambda: not editor(pilot).is_dirty("legacy.py"))
    assert (project / "legacy.py").read_bytes() == "# é NAME = 'café'\n".encode("cp1252")


async def test_text_the_legacy_encoding_cannot_hold_can_be_saved_as_utf8(project: Path):
    (project / "legacy.py").write_bytes("NAME = 'café'\n".encode("cp1252"))
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "legacy.py")
        editor(pilot).active.insert("# → ")  # a key the pilot cannot press
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, ConfirmScreen))
        assert "'→' (U+2192, line 1)" in str(pilot.app.screen.message)
        await pilot.press("u")
        await wait_for(pilot, lambda: not editor(pilot).is_dirty("legacy.py"))
        assert (project / "legacy.py").read_text("utf-8") == "# → NAME = 'café'\n"
        assert not any("is not UTF-8" in str(n.message) for n in app._notifications)  # stale
        await pilot.press(*"é", "ctrl+s")  # UTF-8 from now on: no more asking
        await wait_for(pilot, lambda: not editor(pilot).is_dirty("legacy.py"))
    assert (project / "legacy.py").read_text("utf-8") == "# → éNAME = 'café'\n"


async def test_new_file_is_created_in_the_folder_in_view_and_opened(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "inventory/store.py")
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
        field = app.screen.query_one(Input)
        assert field.value == "inventory/"
        await wait_for(pilot, lambda: app.focused is field)
        await pilot.press(*"store.py", "enter")  # taken: the screen says so and stays
        await wait_for(pilot, lambda: "already exists" in str(app.screen.query_one(Label).render()))
        assert "class" in (project / "inventory/store.py").read_text()
        field.value = "inventory/reports/daily.py"
        await pilot.press("enter")
        await wait_for(pilot, lambda: editor(pilot).is_open("inventory/reports/daily.py"))
        assert (project / "inventory/reports/daily.py").read_bytes() == b""
        await wait_for(pilot, lambda: editor(pilot).active is app.focused)
        await pilot.press(*"TOTAL = 0", "ctrl+s")
        await wait_for(
            pilot, lambda: (project / "inventory/reports/daily.py").read_text() == "TOTAL = 0"
        )


async def test_new_file_outside_the_project_is_refused(project: Path, tmp_path: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
        app.screen.query_one(Input).value = "../escape.py"
        await pilot.press("enter")
        await wait_for(pilot, lambda: "climbs out" in str(app.screen.query_one(Label).render()))
        assert isinstance(app.screen, PathPrompt)
        assert not (project.parent / "escape.py").exists()
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, PathPrompt))


async def test_a_protected_new_file_is_said_once_and_enter_again_creates_it(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
        app.screen.query_one(Input).value = ".github/workflows/ci.yml"
        await pilot.press("enter")
        said = lambda: str(app.screen.query_one(Label).render())  # noqa: E731
        await wait_for(pilot, lambda: "Enter again to go ahead" in said())
        assert "CI" in said() and not (project / ".github/workflows/ci.yml").exists()
        await pilot.press("enter")
        await wait_for(pilot, lambda: (project / ".github/workflows/ci.yml").exists())


async def test_new_file_starts_in_the_open_folder_at_the_tree_cursor(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        assert isinstance(app.focused, FileTree)  # on the collapsed `inventory` folder
        await pilot.press("ctrl+n")
        await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
        assert app.screen.query_one(Input).value == ""
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.focused, FileTree))
        await pilot.press("enter", "ctrl+n")  # expanded: new files go inside it
        await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
        assert app.screen.query_one(Input).value == "inventory/"


async def test_delete_a_file_from_the_tree_after_confirming(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "README.md")
        await pilot.press(*"unsaved ")
        tree = app.screen.query_one(FileTree)
        await pilot.press("alt+1")  # focus files
        await wait_for(pilot, lambda: app.focused is tree)
        line = next(n.line for n in tree._walk(tree.root) if n.data and n.data.path == "README.md")
        tree.cursor_line = line
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "(alt+z undoes it)" in app.screen.message
        assert "unsaved changes go too" in app.screen.message
        await pilot.press("c")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        assert (project / "README.md").exists()
        await pilot.press("delete")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not (project / "README.md").exists())
        await wait_for(pilot, lambda: not editor(pilot).is_open("README.md"))


async def test_delete_the_open_file_from_the_palette(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "web/format.js")
        await pilot.press("ctrl+p")
        await pilot.press(*"delete file")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert "web/format.js" in app.screen.message
        await pilot.press("y")
        await wait_for(pilot, lambda: not (project / "web/format.js").exists())


async def test_rename_a_file_from_the_tree_and_its_tab_follows(project: Path):
    text = (project / "web/format.js").read_text()
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "README.md")
        await open_file(pilot, "web/format.js")
        await open_file(pilot, "inventory/store.py")
        tree = app.screen.query_one(FileTree)
        await pilot.press("alt+1")  # focus files
        await wait_for(pilot, lambda: app.focused is tree)
        next(n for n in tree._walk(tree.root) if n.data and n.data.path == "web").expand()
        await pilot.pause()
        tree.cursor_line = next(
            n.line for n in tree._walk(tree.root) if n.data and n.data.path == "web/format.js"
        )
        await pilot.press("m")
        await wait_for(pilot, lambda: isinstance(app.screen, PathPrompt))
        field = app.screen.query_one(Input)
        assert field.value == "web/format.js"
        field.value = "README.md"  # taken: said in the prompt, nothing moves
        await pilot.press("enter")
        await wait_for(pilot, lambda: "already exists" in str(app.screen.query_one(Label).render()))
        field.value = "web/lib/fmt.js"
        await pilot.press("enter")
        await wait_for(pilot, lambda: (project / "web/lib/fmt.js").exists())
        assert (project / "web/lib/fmt.js").read_text() == text
        assert not (project / "web/format.js").exists()
        await wait_for(pilot, lambda: editor(pilot).is_open("web/lib/fmt.js"))
        assert not editor(pilot).is_open("web/format.js")
        tabs = [view.path for view in editor(pilot).documents]
        assert tabs == ["README.md", "web/lib/fmt.js", "inventory/store.py"]  # in its place
        await pilot.press("alt+z")  # undo the move: the tab follows it back
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: editor(pilot).is_open("web/format.js"))
        assert (project / "web/format.js").read_text() == text
        assert not editor(pilot).is_open("web/lib/fmt.js")


async def test_rename_refuses_a_file_with_unsaved_edits(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "README.md")
        await pilot.press("x")
        app.screen.action_rename_file()
        said = lambda: any("unsaved edits" in str(n.message) for n in app._notifications)  # noqa: E731
        await wait_for(pilot, said)
        assert not isinstance(app.screen, PathPrompt)


async def test_a_deleted_file_comes_back_with_undo_file_change(project: Path):
    original = (project / "README.md").read_text()
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await open_file(pilot, "README.md")
        await pilot.press("ctrl+p", *"delete file")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: not (project / "README.md").exists())
        await pilot.press("alt+z")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.message == "Undo the last change (delete) to README.md?"
        await pilot.press("y")
        await wait_for(pilot, lambda: (project / "README.md").exists())
        assert (project / "README.md").read_text() == original
        await pilot.press("alt+z")  # nothing older in this project's journal
        await wait_for(
            pilot, lambda: any("No file change" in str(n.message) for n in app._notifications)
        )


async def test_undoing_a_run_of_many_files_names_a_few_and_counts_the_rest(project: Path):
    from aiide_tui.state import project_state_dir
    from aiide_tui.workspace import Workspace

    with Workspace(project, project_state_dir(project)) as workspace:  # a run's 30 new files
        for n in range(30):
            workspace.write_bytes(f"gen/f{n:02}.txt", b"x", label="sandbox run", group="run-1")
    app = make_app(project)
    async with app.run_test(size=(100, 30)) as pilot:
        await ready(pilot)
        await pilot.press("alt+z")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.message.endswith("gen/f07.txt and 22 more?")  # not 30 names
        await pilot.press("y")
        await wait_for(pilot, lambda: not (project / "gen").exists())  # the folder it made too


async def test_go_to_file_by_fuzzy_path(project: Path):
    """Paths are plain text: `[/b]` in a path is not markup (it crashed the palette)."""
    (project / "web" / "[").mkdir()
    (project / "web" / "[" / "b].js").write_text("// brackets\n")  # the path: web/[/b].js
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        await pilot.press("alt+p")
        await pilot.pause(0.5)  # every path listed, the bracketed one too
        await pilot.press(*"invmodels")
        await pilot.pause(0.8)
        await pilot.press("enter")
        await wait_for(pilot, lambda: editor(pilot).is_open("inventory/models.py"))
        await pilot.press("alt+p")
        await pilot.pause(0.3)
        await pilot.press(*"webbjs")  # only web/[/b].js holds these letters in order
        await pilot.pause(0.8)
        await pilot.press("enter")
        await wait_for(pilot, lambda: editor(pilot).is_open("web/[/b].js"))
        pilot.app.notify("Saved web/[/b].js")  # notifications are plain text too
        await pilot.pause(0.2)


async def test_the_palette_lists_each_action_once_with_its_key(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        commands = list(app.get_system_commands(app.screen))
        titles = [command.title for command in commands]
        assert len(titles) == len(set(titles)) and "Theme" not in titles
        by_title = {command.title: command.help for command in commands}
        assert by_title["Choose theme"] == "key: f9"  # found by "choose" and by "theme"
        assert by_title["Close tab"] == "key: ctrl+w"
        assert by_title["Comment/uncomment lines (editor)"] == "key: ctrl+underscore, ctrl+slash"


async def test_delete_and_move_on_a_folder_say_they_take_files(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        tree = app.screen.query_one(FileTree)
        tree.cursor_line = next(
            n.line for n in tree._walk(tree.root) if n.data and n.data.path == "web"
        )
        await pilot.press("delete", "m")
        said = [str(n.message) for n in app._notifications]
        assert any("web/ is a folder: files are deleted here" in m for m in said)
        assert any("web/ is a folder: files are renamed or moved here" in m for m in said)
        assert (project / "web").is_dir() and not isinstance(app.screen, ConfirmScreen)


async def test_a_repeated_notice_shows_once_and_a_burst_keeps_only_the_newest(project: Path):
    from textual.widgets._toast import Toast

    from aiide_tui.ui.app import MAX_NOTICES

    app = make_app(project)
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await ready(pilot)

        def shown() -> list[str]:
            return [toast._notification.message for toast in app.screen.query(Toast)]

        for _ in range(3):
            app.notify("Cannot save web/a.js: read-only", severity="error")
        await wait_for(pilot, lambda: shown() != [])
        assert shown() == ["Cannot save web/a.js: read-only"]
        for number in range(MAX_NOTICES + 3):
            app.notify(f"changed on disk: file{number}.py")
        last = f"changed on disk: file{MAX_NOTICES + 2}.py"
        await wait_for(pilot, lambda: last in shown())
        assert shown() == [f"changed on disk: file{n}.py" for n in range(3, MAX_NOTICES + 3)]
