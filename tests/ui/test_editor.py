"""The editor region driven by keys: tabs, dirty marks, save, undo, go-to-line, find, close."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.message import Message
from textual.widgets.text_area import Selection

from aiide_tui.ui.screens.confirm import ConfirmScreen
from aiide_tui.ui.screens.goto_line import GotoLineScreen
from aiide_tui.ui.widgets.code_view import HIGHLIGHT_LIMIT, CodeView
from aiide_tui.ui.widgets.editor import DIRTY_MARK, Editor
from aiide_tui.ui.widgets.find_bar import FindBar

PY = "import os\n\n\ndef main():\n    return os.getcwd()\n"
JS = "const answer = 42;\nexport default answer;\n" + "// " + "wide " * 60 + "\n"


class Host(App[None]):
    """Just an editor, recording every message it posts."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[Message] = []

    def compose(self) -> ComposeResult:
        yield Editor(id="editor")

    @property
    def editor(self) -> Editor:
        return self.query_one(Editor)

    def on_editor_save_requested(self, event: Editor.SaveRequested) -> None:
        self.messages.append(event)

    def on_editor_active_changed(self, event: Editor.ActiveChanged) -> None:
        self.messages.append(event)

    def on_editor_dirty_changed(self, event: Editor.DirtyChanged) -> None:
        self.messages.append(event)

    def on_editor_close_requested(self, event: Editor.CloseRequested) -> None:
        self.messages.append(event)

    def of(self, kind: type[Message]) -> list:
        return [m for m in self.messages if isinstance(m, kind)]


async def _open_two(app: Host, pilot) -> Editor:
    editor = app.editor
    editor.open_document("src/main.py", PY, mtime_ns=111, meta={"encoding": "utf-8"})
    editor.open_document("web/app.js", JS, mtime_ns=222)
    await pilot.pause()
    return editor


async def test_two_files_open_as_two_tabs_and_switch() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = await _open_two(app, pilot)
        assert [view.path for view in editor.documents] == ["src/main.py", "web/app.js"]
        assert editor.tab_label("src/main.py") == "main.py"
        assert editor.active is editor.document("web/app.js")
        assert app.focused is editor.active
        assert str(editor.border_title) == "app.js"
        # Keys TextArea would take (delete word, page sideways) reach the editor, footer included.
        for key, action in (("ctrl+w", "close_tab"), ("ctrl+pageup", "previous_tab")):
            assert app.active_bindings[key].binding.action == action

        await pilot.press("ctrl+pageup")
        assert editor.active is editor.document("src/main.py")
        assert app.focused is editor.active
        assert editor.active.display and not editor.document("web/app.js").display
        await pilot.press("ctrl+pagedown")
        assert editor.active.path == "web/app.js"
        # A screen focusing "the editor region" finds the active document first.
        assert not editor.focusable
        assert next(w for w in editor.query("*") if w.focusable and w.display) is editor.active
        await pilot.pause()
        assert [m.path for m in app.of(Editor.ActiveChanged)] == [
            "src/main.py",
            "web/app.js",
            "src/main.py",
            "web/app.js",
        ]


async def test_opening_an_open_file_reuses_its_tab() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = await _open_two(app, pilot)
        first = editor.document("src/main.py")
        again = editor.open_document("src/main.py", "ignored", mtime_ns=999)
        await pilot.pause()
        assert again is first
        assert len(editor.documents) == 2
        assert editor.active is first and first.text == PY


async def test_typing_marks_the_tab_dirty_and_save_carries_the_text() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = await _open_two(app, pilot)
        await pilot.press("ctrl+pageup")
        await pilot.press("#", " ")
        await pilot.pause()
        assert editor.is_dirty("src/main.py")
        assert editor.tab_label("src/main.py") == f"{DIRTY_MARK}main.py"
        assert editor.tab_label("web/app.js") == "app.js"
        assert [(m.path, m.dirty) for m in app.of(Editor.DirtyChanged)] == [("src/main.py", True)]

        await pilot.press("ctrl+s")
        await pilot.pause()
        (save,) = app.of(Editor.SaveRequested)
        assert (save.path, save.text, save.mtime_ns) == ("src/main.py", "# " + PY, 111)
        assert save.meta == {"encoding": "utf-8"}

        editor.mark_saved("src/main.py", save.text, 333)
        await pilot.pause()
        assert not editor.is_dirty("src/main.py")
        assert editor.tab_label("src/main.py") == "main.py"
        assert editor.mtime_ns("src/main.py") == 333
        assert app.of(Editor.DirtyChanged)[-1].dirty is False


async def test_undo_and_redo() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = await _open_two(app, pilot)
        await pilot.press("x", "y")
        assert editor.active.text == "xy" + JS
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert editor.active.text == JS
        assert not editor.is_dirty("web/app.js")
        await pilot.press("ctrl+y")
        await pilot.pause()
        assert editor.active.text == "xy" + JS
        assert editor.is_dirty("web/app.js")


async def test_goto_line_moves_the_cursor_and_clamps() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = await _open_two(app, pilot)
        await pilot.press("ctrl+pageup")
        await pilot.press("ctrl+g")
        assert isinstance(app.screen, GotoLineScreen)
        await pilot.press("4", "enter")
        await pilot.pause()
        assert not isinstance(app.screen, GotoLineScreen)
        assert editor.active.cursor_location == (3, 0)
        assert app.focused is editor.active

        await pilot.press("ctrl+g", "9", "9", "9", "enter")
        await pilot.pause()
        assert editor.active.cursor_location == (editor.active.document.line_count - 1, 0)

        await pilot.press("ctrl+g", "enter")
        assert isinstance(app.screen, GotoLineScreen)  # nothing typed: it stays and says why
        assert "line number" in str(app.screen.query_one("#goto-error").content)
        await pilot.press("escape")
        assert not isinstance(app.screen, GotoLineScreen)


async def test_replace_one_match_at_a_time_then_all_in_one_undo_step() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = app.editor
        editor.open_document("notes.txt", "foo bar\nFoo baz foo\n", mtime_ns=1)
        await pilot.pause()
        await pilot.press("ctrl+r")
        bar = editor.query_one(FindBar)
        assert bar.is_open and bar.has_class("-replace")
        await pilot.press(*"foo", "tab", *"qux")
        await pilot.pause()
        await pilot.press("enter")  # none selected yet: the first from the cursor is replaced
        await pilot.pause()
        assert editor.active.text == "qux bar\nFoo baz foo\n"
        assert editor.active.selection == Selection((1, 0), (1, 3))  # and the next selected
        await pilot.press("alt+a")
        await pilot.pause()
        assert editor.active.text == "qux bar\nqux baz qux\n"
        assert bar.status == "no matches"
        editor.active.action_undo()
        await pilot.pause()
        assert editor.active.text == "qux bar\nFoo baz foo\n"
        await pilot.press("escape")
        assert not bar.has_class("-replace")


async def test_find_selects_matches_in_turn_and_reports_none() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = app.editor
        editor.open_document("notes.txt", "foo bar\nFoo baz foo\n", mtime_ns=1)
        await pilot.pause()
        await pilot.press("ctrl+f")
        bar = editor.query_one(FindBar)
        assert bar.is_open and app.focused is bar.input
        await pilot.press(*"foo")
        await pilot.pause()
        assert bar.status == "3 matches"

        await pilot.press("enter")
        await pilot.pause()
        assert editor.active.selection == Selection((0, 0), (0, 3))
        assert bar.status == "1 of 3"
        await pilot.press("enter")
        await pilot.pause()
        assert editor.active.selection == Selection((1, 0), (1, 3))  # case-insensitive
        assert bar.status == "2 of 3"
        await pilot.press("shift+enter")
        await pilot.pause()
        assert editor.active.selection == Selection((0, 0), (0, 3))

        await pilot.press("alt+c", "enter")
        await pilot.pause()
        assert editor.active.selection == Selection((1, 8), (1, 11))
        assert bar.status == "2 of 2"

        bar.input.value = ""
        await pilot.press(*"qqq", "enter")
        await pilot.pause()
        assert bar.status == "no matches"
        await pilot.press("escape")
        await pilot.pause()
        assert not bar.is_open
        assert app.focused is editor.active


async def test_replace_text_keeps_the_cursor_line_and_is_undoable() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = app.editor
        old = "".join(f"line {n}\n" for n in range(20))
        editor.open_document("a.txt", old, mtime_ns=1)
        await pilot.pause()
        editor.goto_line(8)
        new = "header\n" + "".join(f"row {n}\n" for n in range(30))
        editor.replace_text("a.txt", new, 2)
        await pilot.pause()
        view = editor.active
        assert view.text == new
        assert view.cursor_location[0] == 7
        assert not view.dirty and view.mtime_ns == 2

        editor.replace_text("a.txt", "short\n", 3)
        assert view.cursor_location == (1, 0)  # clamped to the new last line

        await pilot.press("ctrl+z")
        await pilot.pause()
        assert view.text == new and view.dirty


async def test_closing_a_dirty_tab_asks_the_screen_instead() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = await _open_two(app, pilot)
        await pilot.press("z")
        await pilot.press("ctrl+w")  # TextArea's delete-word key is left to the editor
        await pilot.pause()
        assert [m.path for m in app.of(Editor.CloseRequested)] == ["web/app.js"]
        assert editor.is_open("web/app.js")
        assert editor.active.text == "z" + JS

        assert editor.close_document("web/app.js", force=True)
        await pilot.pause()
        assert not editor.is_open("web/app.js")
        assert editor.active is editor.document("src/main.py")
        assert app.focused is editor.active
        assert app.of(Editor.ActiveChanged)[-1].path == "src/main.py"

        await pilot.press("ctrl+w")  # clean: closes at once
        await pilot.pause()
        assert editor.documents == []
        assert editor.active is None
        assert app.of(Editor.ActiveChanged)[-1].path is None
        assert editor.border_title == "Editor"
        assert editor.query_one("#editor-empty").display


async def test_same_file_names_show_their_folder() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = app.editor
        editor.open_document("pkg/a/__init__.py", "", mtime_ns=1)
        editor.open_document("pkg/b/__init__.py", "", mtime_ns=1)
        await pilot.pause()
        assert editor.tab_label("pkg/a/__init__.py") == "__init__.py · a"
        assert editor.tab_label("pkg/b/__init__.py") == "__init__.py · b"
        editor.close_document("pkg/a/__init__.py")
        await pilot.pause()
        assert editor.tab_label("pkg/b/__init__.py") == "__init__.py"


async def test_clicking_a_tab_activates_it() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = await _open_two(app, pilot)
        await pilot.click("EditorTab")  # the first tab
        await pilot.pause()
        assert editor.active.path == "src/main.py"
        assert app.focused is editor.active


async def test_highlighting_follows_the_viewport_after_edits() -> None:
    app = Host()
    async with app.run_test(size=(80, 24)) as pilot:
        editor = app.editor
        text = "".join(f"def f{n}(x):\n    return x + {n}\n" for n in range(2000))
        view = editor.open_document("big.py", text, mtime_ns=1)
        await pilot.pause()
        assert view.highlighting
        editor.goto_line(3001)
        await pilot.pause()
        await pilot.press("a")
        await pilot.pause()
        assert view.text.splitlines()[3000] == "adef f1500(x):"
        assert any(name == "keyword.function" for _, _, name in view._highlights[3002])
        assert not view._highlights.get(0)  # far above the viewport: not computed


async def test_plain_text_for_unknown_and_huge_files() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = app.editor
        assert not editor.open_document("notes.txt", "just words\n", mtime_ns=1).highlighting
        assert editor.open_document("x.py", "x = 1\n", mtime_ns=1).highlighting
        huge = editor.open_document("huge.py", "x = 1\n" * (HIGHLIGHT_LIMIT // 6 + 1), mtime_ns=1)
        assert not huge.highlighting
        forced = editor.open_document("script", "echo hi\n", mtime_ns=1, language="bash")
        assert forced.highlighting
        await pilot.pause()


async def test_confirm_screen_returns_the_chosen_key() -> None:
    app = Host()
    choices = [("s", "Save"), ("d", "Discard"), ("c", "Cancel")]
    async with app.run_test() as pilot:
        results: list[str | None] = []
        app.push_screen(ConfirmScreen("Unsaved", "a [b].py has edits", choices), results.append)
        await pilot.pause()
        await pilot.press("d")
        app.push_screen(ConfirmScreen("Unsaved", "again", choices), results.append)
        await pilot.pause()
        await pilot.press("escape")
        app.push_screen(ConfirmScreen("Unsaved", "again", choices), results.append)
        await pilot.pause()
        await pilot.press("enter")  # the first button has focus
        await pilot.pause()
        assert results == ["d", "c", "s"]


async def test_confirm_buttons_stack_when_a_row_would_be_cut() -> None:
    from textual.widgets import Button

    choices = [("s", "Save and quit"), ("d", "Quit without saving"), ("c", "Cancel")]
    for width, stacked in ((60, True), (120, False)):
        app = Host()
        async with app.run_test(size=(width, 24)) as pilot:
            app.push_screen(ConfirmScreen("Unsaved changes", "a.py has edits.", choices))
            await pilot.pause()
            screen = app.screen
            assert screen.query_one("#confirm-choices").has_class("-stacked") is stacked
            for button in screen.query(Button):  # every choice whole on screen
                assert button.region.right <= width and button.region.width >= len(button.name)


async def _main_py(app: Host, pilot) -> CodeView:
    """Both documents open, src/main.py the active one."""
    editor = await _open_two(app, pilot)
    editor.open_existing("src/main.py")
    await pilot.pause()
    return editor.active


async def test_tab_and_shift_tab_indent_and_dedent_selected_lines_in_one_undo_step() -> None:
    app = Host()
    async with app.run_test() as pilot:
        view = await _main_py(app, pilot)
        view.selection = Selection((3, 2), (4, 5))  # parts of `def main():` and `return`
        await pilot.press("tab")
        assert view.text == "import os\n\n\n    def main():\n        return os.getcwd()\n"
        assert view.selection == Selection((3, 0), (4, 26))  # the same lines, whole
        await pilot.press("shift+tab", "shift+tab")
        assert view.text == "import os\n\n\ndef main():\nreturn os.getcwd()\n"
        await pilot.press("ctrl+z")
        await pilot.pause()
        await pilot.press("ctrl+z")
        await pilot.pause()
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert view.text == PY
        # with no selection Tab still inserts an indent at the cursor
        view.selection = Selection((4, 4), (4, 4))
        await pilot.press("tab")
        assert view.document.get_line(4) == "        return os.getcwd()"


async def test_ctrl_slash_toggles_comments_in_the_files_language() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = await _open_two(app, pilot)
        view = editor.active  # web/app.js
        view.move_cursor((0, 6))
        await pilot.press("ctrl+underscore")  # what terminals send for ctrl+/
        assert view.document.get_line(0) == "// const answer = 42;"
        assert view.cursor_location == (0, 9)  # still before `answer`
        view.selection = Selection((0, 0), (1, 0))  # ends at the start of line 2: not taken
        await pilot.press("ctrl+underscore")
        assert view.text == JS
        editor.open_existing("src/main.py")
        await pilot.pause()
        editor.active.selection = Selection((3, 0), (4, 3))
        await pilot.press("ctrl+underscore")
        assert editor.active.text == "import os\n\n\n# def main():\n#     return os.getcwd()\n"


async def test_enter_indents_as_the_code_calls_for_and_undoes_as_one_keystroke() -> None:
    app = Host()
    async with app.run_test() as pilot:
        view = await _main_py(app, pilot)
        view.move_cursor((4, len("    return os.getcwd()")))
        await pilot.press("enter", *"x = [", "enter", *"1,")
        assert view.text.endswith("    return os.getcwd()\nx = [\n    1,\n")  # out after return
        view.move_cursor((3, len("def main():")))
        await pilot.press("enter", *"pass")
        assert view.document.get_line(4) == "    pass"
        await pilot.press("ctrl+z")
        await pilot.pause()
        assert view.document.get_line(4) == "    "  # the typing went, the new line stays
        view.selection = Selection((0, 2), (0, 6))  # "port" of "import os", then Enter
        await pilot.press("enter")
        assert view.document.get_line(0) == "im" and view.document.get_line(1) == "os"
        assert view.cursor_location == (1, 0)


async def test_closing_brackets_go_back_to_their_openers_indentation() -> None:
    """Typed as a person would, each key once: a closer first on its line dedents to the
    line that opened it, and the line after a closed bracket starts there too."""
    app = Host()
    async with app.run_test() as pilot:
        view = await _main_py(app, pilot)
        view.move_cursor((view.document.line_count - 1, 0))
        await pilot.press(*"data = foo(", "enter", *"1,", "enter", ")", "enter")
        await pilot.press(*"d = {", "enter", *"'a': [1,", "enter", *"2],", "enter", "}")
        await pilot.press("enter", *"END")
        typed = view.text.split("data = foo(")[1]
        assert typed == "\n    1,\n)\nd = {\n    'a': [1,\n        2],\n}\nEND"
        await pilot.press("ctrl+z")  # one keystroke each: END goes, the dedented } stays
        assert view.text.endswith("}\n")


async def test_ctrl_home_and_end_go_to_the_ends_of_the_file_and_select_with_shift() -> None:
    app = Host()
    async with app.run_test() as pilot:
        view = await _main_py(app, pilot)
        view.move_cursor((3, 4))
        await pilot.press("ctrl+end")
        assert view.cursor_location == view.document.end
        await pilot.press("ctrl+shift+home")
        assert view.selected_text == PY
        await pilot.press("ctrl+home")
        assert view.cursor_location == (0, 0) and view.selection.is_empty


async def test_a_tab_indented_file_gets_tabs_and_backspace_takes_a_level() -> None:
    app = Host()
    async with app.run_test() as pilot:
        editor = app.editor
        editor.open_document("tabs.py", "def f():\n\tif x:\n\t\treturn 1\n", mtime_ns=1)
        editor.open_document("two.yaml", "a:\n  b: 1\n", mtime_ns=1)
        await pilot.pause()
        editor.open_existing("tabs.py")
        await pilot.pause()
        view = editor.active
        view.move_cursor((1, len("\tif x:")))
        await pilot.press("enter", *"y = 2", "enter", "tab", *"z")
        assert view.document.get_line(2) == "\t\ty = 2"
        assert view.document.get_line(3) == "\t\t\tz"
        editor.open_existing("two.yaml")
        await pilot.pause()
        view = editor.active
        view.move_cursor((1, len("  b: 1")))
        await pilot.press("enter", "tab", "tab", "backspace")
        assert view.document.get_line(2) == "    "  # 2 + 2 + 2 - one level of 2
        await pilot.press("backspace", "backspace")
        assert view.document.get_line(2) == ""


async def test_escape_clears_the_selection_and_keeps_the_editor_focused() -> None:
    """Vim hands press Esc out of habit: it must not send the focus to another region."""
    app = Host()
    async with app.run_test() as pilot:
        view = await _main_py(app, pilot)
        view.focus()
        view.selection = Selection((3, 0), (4, 5))
        await pilot.press("escape")
        assert view.selection == Selection.cursor((4, 5))
        await pilot.press("escape")
        assert app.focused is view


async def test_the_active_tab_is_in_view_when_tabs_overflow_the_bar() -> None:
    """Ten long-named files in 60 columns: the tab bar scrolls so that the tab just opened,
    then the one switched back to, shows whole."""
    app = Host()
    async with app.run_test(size=(60, 12)) as pilot:
        editor = app.editor
        for number in range(10):
            editor.open_document(f"pkg/module_with_a_long_name_{number}.py", PY, mtime_ns=1)
        await pilot.pause()
        bar = editor.query_one("#editor-tabbar")

        def shown_whole(path: str) -> bool:
            tab = editor._tabs[path].region
            return bar.region.x <= tab.x and tab.right <= bar.region.right

        await pilot.pause()
        assert shown_whole("pkg/module_with_a_long_name_9.py")
        await pilot.press("x")  # the dirty mark makes the tab wider
        await pilot.pause()
        assert editor.tab_label("pkg/module_with_a_long_name_9.py").startswith(DIRTY_MARK)
        assert shown_whole("pkg/module_with_a_long_name_9.py")
        for _ in range(9):
            await pilot.press("ctrl+pageup")
        await pilot.pause()
        assert editor.active.path == "pkg/module_with_a_long_name_0.py"
        assert shown_whole("pkg/module_with_a_long_name_0.py")
        await pilot.press("ctrl+pageup")  # back to the last tab, then a resize
        await pilot.resize_terminal(120, 12)
        await pilot.pause()
        await pilot.resize_terminal(50, 12)
        await pilot.pause()
        await pilot.pause()
        assert shown_whole("pkg/module_with_a_long_name_9.py")


async def test_going_to_a_match_centres_its_line_without_scrolling_sideways() -> None:
    """A match at column 64 of a line that fits the view: the line is shown from its start
    (Textual's centring scrolled sideways too, hiding `def ` and the like)."""
    app = Host()
    lines = [f"value_{n:03} = compute_something(first_argument, second_argument, argument_{n:03})"
             for n in range(200)]  # fmt: skip
    lines[5] = "x = " + "1 + " * 60 + "1"  # wider than the view: sideways scrolling is possible
    async with app.run_test(size=(100, 30)) as pilot:
        editor = app.editor
        view = editor.open_document("long.py", "\n".join(lines) + "\n", mtime_ns=1)
        await pilot.pause()
        view.goto_line(120, column=lines[119].index("argument_119"), length=12)
        await pilot.pause()
        assert view.selected_text == "argument_119"
        assert view.scroll_x == 0
        assert view.scroll_y > 100 and abs(view.scroll_y + view.size.height // 2 - 119) <= 2


async def test_a_narrow_find_bar_gives_its_room_to_the_fields() -> None:
    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        app.editor.open_document("a.txt", "items\n", mtime_ns=1)
        await pilot.pause()
        await pilot.press("ctrl+r", *"items", "tab", *"stock_items")
        await pilot.pause()
        bar = app.editor.query_one(FindBar)
        assert bar.has_class("-narrow")
        for field in ("#find-input", "#replace-input"):
            assert bar.query_one(field).region.width >= 10
        for kept in ("#find-status", "#find-case"):  # the count and the case toggle stay
            assert bar.query_one(kept).display and bar.query_one(kept).region.width > 0
        assert not bar.query_one("#find-label").display


async def test_lines_pasted_after_an_auto_indent_keep_their_shape() -> None:
    from textual import events

    app = Host()
    async with app.run_test() as pilot:
        app.editor.open_document("shapes.py", "", mtime_ns=1)
        await pilot.pause()
        view = app.editor.active
        view.focus()
        await pilot.press(*"class A:", "enter")  # auto-indent: the cursor at column 4
        view.post_message(events.Paste("def a(self):\n    if x:\n        return 1\n"))
        await pilot.pause()
        assert view.text == "class A:\n    def a(self):\n        if x:\n            return 1\n"


async def test_a_long_file_name_is_cut_in_the_middle_of_its_tab() -> None:
    app = Host()
    async with app.run_test(size=(90, 30)) as pilot:
        long = "L" * 200 + ".txt"
        app.editor.open_document(long, "x\n", mtime_ns=1)
        app.editor.open_document("short.py", "y\n", mtime_ns=2)
        await pilot.pause()
        label = app.editor.tab_label(long)
        assert len(label) == 32 and "…" in label and label.endswith("LL.txt")
        assert app.editor.tab_label("short.py") == "short.py"
