"""The editor region: a tab per open file, a find bar, and the go-to-line prompt.

The editor renders and forwards. It never touches the disk: the screen opens
documents with text it has read, hears `SaveRequested` and `CloseRequested`,
does the I/O (and any asking), then calls back `mark_saved`, `replace_text`
or `close_document(force=True)`.

Tabs are a row of small `EditorTab` labels rather than Textual's
`TabbedContent`: that one activates tabs on its own after adding or removing
panes, sometimes after a newer choice was made (open two files at once and
the first can end up in front). Here the editor alone decides which document
is active, and showing it is synchronous.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Container, HorizontalScroll
from textual.content import Content
from textual.events import Click
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static
from textual.widgets.text_area import Selection

from aiide_tui.ui.screens.goto_line import GotoLineScreen
from aiide_tui.ui.terminal_output import visible
from aiide_tui.ui.widgets.code_view import CodeView
from aiide_tui.ui.widgets.find_bar import FindBar, next_match

__all__ = ["DIRTY_MARK", "Editor", "EditorTab"]

DIRTY_MARK = "● "
"""Prefix of the tab label of a file with unsaved edits."""
TAB_NAME_MAX = 32
"""A longer file name is cut in the middle: a 200-character name hid every other tab."""

EMPTY_HINT = "No file open.\n\nChoose a file in the Files panel and press Enter to open it."


class EditorTab(Static):
    """One document's tab: its file name, marked while it has unsaved edits."""

    DEFAULT_CSS = """
    EditorTab {
        width: auto;
        height: 1;
        padding: 0 1;
        color: $text-muted;
        &:hover { color: $text; background: $boost; }
        &.-active { color: $text; background: $surface; text-style: bold; }
    }
    EditorTab:ansi.-active { text-style: bold reverse; }
    """

    class Clicked(Message):
        """The user clicked the tab."""

        def __init__(self, tab: EditorTab) -> None:
            super().__init__()
            self.tab = tab

        @property
        def control(self) -> EditorTab:
            return self.tab

    def __init__(self, path: str, label: Content) -> None:
        super().__init__(label)
        self.path = path
        self.label = label
        self.tooltip = path

    def set_label(self, label: Content) -> None:
        self.label = label
        self.update(label)

    def on_click(self, event: Click) -> None:
        event.stop()
        self.post_message(self.Clicked(self))

    def on_resize(self) -> None:
        """Laid out anew (just opened, or wider with the dirty mark): the active tab must
        not run off the end of the bar."""
        if self.has_class("-active"):
            self.scroll_visible(animate=False)


class Editor(Widget):
    """Open files as tabs, one `CodeView` each; the active one is shown and focused.

    | Key(s) | Description |
    | :- | :- |
    | ctrl+s | Save the active file (the screen writes it). |
    | ctrl+w | Close the active tab (the screen asks first if it has unsaved edits). |
    | ctrl+pagedown | Next tab. |
    | ctrl+pageup | Previous tab. |
    | ctrl+g | Go to line. |
    | ctrl+f | Find in the active file. |

    Binding ids are the action names, so the app's keymap can rebind them.
    """

    BINDINGS: list[BindingType] = [
        Binding("ctrl+s", "save", "Save", id="save"),
        Binding("ctrl+w", "close_tab", "Close tab", id="close_tab"),
        Binding("ctrl+pagedown", "next_tab", "Next tab", show=False, id="next_tab"),
        Binding("ctrl+pageup", "previous_tab", "Previous tab", show=False, id="previous_tab"),
        Binding("ctrl+g", "goto_line", "Go to line", id="goto_line"),
        Binding("ctrl+f", "find", "Find", id="find"),
        Binding("ctrl+r", "replace", "Replace", show=False, id="replace"),
    ]

    DEFAULT_CSS = """
    Editor {
        border: round $panel-lighten-2;
        border-title-color: $text-muted;
        &:focus-within { border: round $accent; border-title-color: $text; }
        & > #editor-empty {
            height: 1fr;
            content-align: center middle;
            text-align: center;
            color: $text-muted;
        }
        & > #editor-tabbar {
            height: 1;
            background: $panel;
            scrollbar-size: 0 0;
            display: none;
        }
        & > #editor-documents { height: 1fr; display: none; }
        &.-has-documents {
            & > #editor-tabbar, & > #editor-documents { display: block; }
            & > #editor-empty { display: none; }
        }
    }
    """

    class SaveRequested(Message):
        """The user asked to save `path`: write `text` if the file's mtime is still `mtime_ns`."""

        def __init__(
            self, editor: Editor, path: str, text: str, mtime_ns: int, meta: dict[str, Any]
        ) -> None:
            super().__init__()
            self.editor = editor
            self.path = path
            self.text = text
            self.mtime_ns = mtime_ns
            self.meta = meta
            """The document's opaque metadata, as the screen gave it."""

        @property
        def control(self) -> Editor:
            return self.editor

    class ActiveChanged(Message):
        """Another file's tab became active (`path` is None when no file is open)."""

        def __init__(self, editor: Editor, path: str | None) -> None:
            super().__init__()
            self.editor = editor
            self.path = path

        @property
        def control(self) -> Editor:
            return self.editor

    class DirtyChanged(Message):
        """`path` started or stopped having unsaved edits."""

        def __init__(self, editor: Editor, path: str, dirty: bool) -> None:
            super().__init__()
            self.editor = editor
            self.path = path
            self.dirty = dirty

        @property
        def control(self) -> Editor:
            return self.editor

    class CloseRequested(Message):
        """The user asked to close `path`, which has unsaved edits: the screen decides."""

        def __init__(self, editor: Editor, path: str) -> None:
            super().__init__()
            self.editor = editor
            self.path = path

        @property
        def control(self) -> Editor:
            return self.editor

    def __init__(
        self,
        *,
        view_options: Mapping[str, Any] | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.view_options = dict(view_options or {})
        """Passed to every `CodeView`: soft_wrap, show_line_numbers, tab_size."""
        self._views: dict[str, CodeView] = {}
        self._tabs: dict[str, EditorTab] = {}
        self._active_path: str | None = None
        self.border_title = "Editor"

    def compose(self) -> ComposeResult:
        yield Static(EMPTY_HINT, id="editor-empty")
        yield HorizontalScroll(id="editor-tabbar", can_focus=False)
        yield Container(id="editor-documents")
        yield FindBar(id="editor-find")

    @property
    def find_bar(self) -> FindBar:
        return self.query_one("#editor-find", FindBar)

    def allow_focus(self) -> bool:
        """Focusable only while empty: otherwise focus goes straight to the active document."""
        return not self._views

    # -- public API -----------------------------------------------------------

    @property
    def active(self) -> CodeView | None:
        """The document whose tab is active."""
        return self._views.get(self._active_path) if self._active_path else None

    @property
    def documents(self) -> list[CodeView]:
        """Open documents, in tab order."""
        return list(self._views.values())

    def document(self, path: str) -> CodeView | None:
        """The open document for `path`, if any."""
        return self._views.get(path)

    def is_open(self, path: str) -> bool:
        return path in self._views

    def is_dirty(self, path: str) -> bool:
        """Whether `path` is open with unsaved edits."""
        view = self._views.get(path)
        return view is not None and view.dirty

    def text(self, path: str) -> str:
        """The current text of open document `path` (KeyError if it is not open)."""
        return self._view(path).text

    def mtime_ns(self, path: str) -> int:
        """The mtime the open document `path` was last read or saved at."""
        return self._view(path).mtime_ns

    def tab_label(self, path: str) -> str:
        """The tab label of open document `path`, as plain text."""
        return self._tabs[path].label.plain

    def open_document(
        self,
        path: str,
        text: str,
        *,
        mtime_ns: int,
        meta: dict[str, Any] | None = None,
        language: str | None = None,
    ) -> CodeView:
        """Open `path` in a new tab and make it active; an open `path` is just made active.

        `language` overrides the one guessed from the path (None: guess).
        """
        if path in self._views:
            return self.open_existing(path)
        view = CodeView(
            path, text, mtime_ns=mtime_ns, meta=meta, language=language, **self.view_options
        )
        view.display = False
        tab = EditorTab(path, Content(PurePosixPath(path).name))
        self._views[path] = view
        self._tabs[path] = tab
        self.add_class("-has-documents")
        self.query_one("#editor-tabbar").mount(tab)
        mounted = self.query_one("#editor-documents").mount(view)
        self._relabel_all()
        self._activate(path)

        async def focus_when_mounted() -> None:
            await mounted
            if self._active_path == path:
                view.focus()

        self.call_next(focus_when_mounted)
        return view

    def open_existing(self, path: str) -> CodeView:
        """Make the open document `path` the active tab and focus it."""
        view = self._view(path)
        self._activate(path)
        view.focus()
        return view

    def close_document(self, path: str, force: bool = False) -> bool:
        """Close `path`'s tab; with unsaved edits (and not `force`), post `CloseRequested` instead.

        Returns:
            Whether the tab was closed.
        """
        view = self._views.get(path)
        if view is None:
            return False
        if view.dirty and not force:
            self.post_message(self.CloseRequested(self, path))
            return False
        paths = list(self._views)
        index = paths.index(path)
        del self._views[path]
        self._tabs.pop(path).remove()
        view.remove()
        self._relabel_all()
        if self._active_path == path:
            remaining = list(self._views)
            self._activate(remaining[min(index, len(remaining) - 1)] if remaining else None)
            self.focus_active()
        return True

    def rename_document(self, old: str, new: str, mtime_ns: int) -> None:
        """The file of an open tab moved to `new`: the tab keeps its place, its text and its
        undo history."""
        view = self._views.get(old)
        if view is None or new in self._views:
            return
        self._views = {new if path == old else path: v for path, v in self._views.items()}
        self._tabs = {new if path == old else path: t for path, t in self._tabs.items()}
        view.path, view.mtime_ns = new, mtime_ns
        tab = self._tabs[new]
        tab.path = tab.tooltip = new
        self._relabel_all()
        if self._active_path == old:
            self._active_path = None
            self._activate(new)  # the border title and the screen follow

    def mark_saved(self, path: str, text: str, mtime_ns: int) -> None:
        """The screen wrote `text` to `path`, which now has mtime `mtime_ns`."""
        self._view(path).mark_saved(text, mtime_ns)

    def replace_text(
        self, path: str, text: str, mtime_ns: int, *, on_disk: str | None = None
    ) -> None:
        """Show `path`'s text as now on disk (undoable), keeping the cursor's line; `on_disk`
        is the file's text where `text` differs from it (a merge with unsaved edits)."""
        self._view(path).reload(text, mtime_ns, on_disk=on_disk)

    def goto_line(self, number: int, *, column: int = 0, length: int = 0, word: str = "") -> None:
        """Move the active document's cursor to line `number` (1-based, clamped), selecting
        `length` characters from `column` when given, or onto `word` in that line."""
        view = self.active
        if view is not None:
            view.goto_line(number, column=column, length=length, word=word)
            view.focus()

    def focus_active(self) -> None:
        """Focus the active document (or the editor itself when none is open)."""
        view = self.active
        if view is not None:
            view.focus()
        else:
            self.focus()

    # -- actions --------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("save", "close_tab", "goto_line", "find", "replace"):
            return self.active is not None
        if action in ("next_tab", "previous_tab"):
            return len(self._views) > 1
        return True

    def action_save(self) -> None:
        view = self.active
        if view is not None:
            self.post_message(
                self.SaveRequested(self, view.path, view.text, view.mtime_ns, dict(view.meta))
            )

    def action_close_tab(self) -> None:
        if self._active_path is not None:
            self.close_document(self._active_path)

    def action_next_tab(self) -> None:
        self._cycle(1)

    def action_previous_tab(self) -> None:
        self._cycle(-1)

    def action_goto_line(self) -> None:
        view = self.active
        if view is None:
            return
        screen = GotoLineScreen(view.cursor_location[0] + 1, view.document.line_count)

        def chosen(number: int | None) -> None:
            if number is not None:
                self.goto_line(number)

        self.app.push_screen(screen, chosen)

    def action_find(self, replace: bool = False) -> None:
        view = self.active
        if view is None:
            return
        selected = view.selected_text
        query = selected if selected and "\n" not in selected else None
        self.find_bar.open(query, replace=replace)
        self._count_matches(self.find_bar.query_text, self.find_bar.case_sensitive)

    def action_replace(self) -> None:
        self.action_find(replace=True)

    # -- handlers -------------------------------------------------------------

    def _on_focus(self) -> None:
        if self.active is not None:
            self.active.focus()

    @on(EditorTab.Clicked)
    def _tab_clicked(self, event: EditorTab.Clicked) -> None:
        event.stop()
        if event.tab.path in self._views:
            self.open_existing(event.tab.path)

    @on(CodeView.DirtyChanged)
    def _dirty_changed(self, event: CodeView.DirtyChanged) -> None:
        event.stop()
        view = event.view
        if self._views.get(view.path) is not view:
            return
        self._relabel(view.path)
        self.post_message(self.DirtyChanged(self, view.path, event.dirty))

    @on(FindBar.FindRequested)
    def _find(self, event: FindBar.FindRequested) -> None:
        event.stop()
        self._select_match(event.query, event.case_sensitive, backward=event.backward)

    def _select_match(self, query: str, case_sensitive: bool, *, backward: bool) -> None:
        """Select the match of `query` after (or before) the selection, and say where it is."""
        view = self.active
        if view is None:
            return
        matches = view.find_matches(query, case_sensitive=case_sensitive)
        index = next_match(matches, view.selection, backward=backward)
        if index is not None:
            view.selection = matches[index]
            view.reveal_cursor()
        self.find_bar.show_result(index, len(matches))

    @on(FindBar.ReplaceRequested)
    def _replace(self, event: FindBar.ReplaceRequested) -> None:
        event.stop()
        view = self.active
        if view is None or view.read_only:
            return
        if event.everywhere:
            count = view.replace_all(event.query, event.replacement, event.case_sensitive)
            self.notify(f"Replaced {count} match{'es' * (count != 1)}", timeout=3)
            self._count_matches(event.query, event.case_sensitive)
            return
        matches = view.find_matches(event.query, case_sensitive=event.case_sensitive)
        start, end = sorted(view.selection)
        if not any((match.start, match.end) == (start, end) for match in matches):
            # none selected (the query was just typed): the next one from the cursor is meant
            index = next_match(matches, Selection(start, start), backward=False)
            if index is None:
                self.find_bar.show_result(None, 0)
                return
            start, end = matches[index].start, matches[index].end
        view.replace(event.replacement, start, end)
        self._select_match(event.query, event.case_sensitive, backward=False)

    @on(FindBar.QueryChanged)
    def _query_changed(self, event: FindBar.QueryChanged) -> None:
        event.stop()
        self._count_matches(event.query, event.case_sensitive)

    @on(FindBar.Closed)
    def _find_closed(self, event: FindBar.Closed) -> None:
        event.stop()
        self.focus_active()

    def on_resize(self) -> None:
        """A terminal resized: the active tab must still be in the tab bar's view."""
        if self._active_path is not None and self._active_path in self._tabs:
            self.call_after_refresh(self._tabs[self._active_path].scroll_visible, animate=False)

    # -- helpers --------------------------------------------------------------

    def _view(self, path: str) -> CodeView:
        try:
            return self._views[path]
        except KeyError:
            raise KeyError(f"{path} is not open in the editor") from None

    def _activate(self, path: str | None) -> None:
        """Show `path`'s document and tab (None: no document); tell the screen if it changed."""
        for other, view in self._views.items():
            view.display = other == path
            self._tabs[other].set_class(other == path, "-active")
        if path is not None:
            self._tabs[path].scroll_visible(animate=False)
        else:
            self.remove_class("-has-documents")
            self.find_bar.remove_class("-open")
        if path == self._active_path:
            return
        self._active_path = path
        self.border_title = Content(PurePosixPath(path).name) if path else "Editor"
        self.post_message(self.ActiveChanged(self, path))
        if self.find_bar.is_open:
            self._count_matches(self.find_bar.query_text, self.find_bar.case_sensitive)
        self.refresh_bindings()

    def _cycle(self, step: int) -> None:
        paths = list(self._views)
        if len(paths) < 2 or self._active_path is None:
            return
        index = (paths.index(self._active_path) + step) % len(paths)
        self.open_existing(paths[index])

    def _count_matches(self, query: str, case_sensitive: bool) -> None:
        view = self.active
        total = len(view.find_matches(query, case_sensitive=case_sensitive)) if view else 0
        self.find_bar.show_result(None, total)

    def _label(self, path: str) -> Content:
        """File name (with its folder when another open file has the same name), dirty-marked."""
        name = PurePosixPath(path).name
        if sum(PurePosixPath(other).name == name for other in self._views) > 1:
            name = f"{name} · {PurePosixPath(path).parent.name or '.'}"
        if len(name) > TAB_NAME_MAX:  # the end (its extension) tells files apart more often
            tail = TAB_NAME_MAX // 2
            name = f"{name[: TAB_NAME_MAX - tail - 1]}…{name[-tail:]}"
        name = visible(name)
        if self._views[path].dirty:
            return Content.assemble((DIRTY_MARK, "bold $text-warning"), name)
        return Content(name)

    def _relabel(self, path: str) -> None:
        self._tabs[path].set_label(self._label(path))

    def _relabel_all(self) -> None:
        for path in self._views:
            self._relabel(path)
