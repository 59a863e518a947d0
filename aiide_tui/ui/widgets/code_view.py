"""One open document: a code `TextArea` that knows its file and whether it has unsaved edits.

The view never reads or writes the file. The screen hands it text with the
file's mtime and an opaque `meta` dict (encoding, newline), and gets them back
with the text when saving.

Textual's `TextArea` re-runs the highlight query over the whole syntax tree
after every edit (about 60 ms for a 3,500-line file, so typing lags); this
view highlights only the lines around the viewport, when they are drawn
(about 3 ms wherever the edit is).

Completion: after each typed edit the view posts `CompletionRequested` with
the text around the cursor; the screen asks the completion service and hands
the answer to `show_completion`, which draws it as ghost text (first line at
the cursor, the rest as dim rows below). Typing what the ghost shows keeps
it, with no new request.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from textual import events
from textual.binding import Binding, BindingsMap, BindingType
from textual.document._edit import Edit
from textual.document._wrapped_document import WrappedDocument
from textual.geometry import Offset, Region, Size, Spacing
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widgets import TextArea
from textual.widgets.text_area import EditResult, Selection

from aiide_tui.keymap import ACTIONS_BY_ID
from aiide_tui.line_edits import (
    CLOSER_LOOKBACK_LINES,
    CLOSERS,
    COMMENT_STYLES,
    break_line,
    dedent_lines,
    detect_indentation,
    indent_lines,
    opener_indent,
    paste_indented,
    toggle_comment,
    unindent_stop,
)
from aiide_tui.ui.syntax import ensure_language, language_for_path
from aiide_tui.ui.widgets.ghost_text import GhostText, ghost_row_strip
from aiide_tui.ui.widgets.ordered_keys import OrderedTextArea

__all__ = ["HIGHLIGHT_LIMIT", "CodeView"]

logger = logging.getLogger(__name__)

HIGHLIGHT_LIMIT = 1_000_000
"""Documents longer than this (in characters) open as plain text: parsing costs about 2 s a MB."""
HIGHLIGHT_MARGIN = 50
"""Lines highlighted above and below the drawn ones, so scrolling a little needs no query
(each edit re-queries drawn lines plus margins: about 1 ms for 140 lines of Python)."""
LEFT_TO_EDITOR = frozenset({"ctrl+w", "ctrl+pageup", "ctrl+pagedown", "f6", "f7"})
"""Keys `TextArea` (delete word, select line, select all) and its scroll container (page
sideways) would take from the app (close tab, switch tabs, next region, run log) while the
editor has focus: bound here, they would also hide the app's in the footer."""
CONTEXT_LINES_BEFORE = 200
"""Lines before the cursor sent with a completion request (the engine cuts to its budget)."""
CONTEXT_LINES_AFTER = 80
AcceptKind = Literal["all", "word", "line"]


def _text_area_bindings_without(dropped: frozenset[str]) -> list[Binding]:
    """`TextArea`'s bindings, inherited ones included, less those for the `dropped` keys."""
    by_key: dict[str, list[Binding]] = {}
    for base in reversed(TextArea.__mro__):
        if "BINDINGS" in base.__dict__:
            by_key.update(BindingsMap(base.__dict__["BINDINGS"]).key_to_bindings)
    return [
        binding for key, bindings in by_key.items() if key not in dropped for binding in bindings
    ]


class _ConstantHeightWrappedDocument(WrappedDocument):
    """Textual's wrapped document, with `height` read in constant time.

    Textual's sums over every line of the file, and `TextArea` reads it once
    per drawn line: 80,000 steps a frame in a 2,000-line file, half of the
    frame's time. The list of screen rows it keeps has that length already.
    """

    @property
    def height(self) -> int:
        return len(self._offset_to_line_info)


IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
WORD_LOOKAHEAD_LINES = 10
"""How far below a line `goto_line` looks for a name (past a comment or decorators)."""

SUGGESTION_ACTIONS = {
    "accept_suggestion": "all",
    "accept_suggestion_word": "word",
    "accept_suggestion_line": "line",
    "dismiss_suggestion": "dismiss",
}
"""Keymap actions on a shown suggestion, and what each does."""


def keys_for_suggestions(bindings: Mapping[str, str]) -> dict[str, str]:
    """Key -> what it does to a shown suggestion, from resolved keymap `bindings`."""
    return {
        key: what
        for action_id, what in SUGGESTION_ACTIONS.items()
        for key in bindings.get(action_id, ACTIONS_BY_ID[action_id].default_keys).split(",")
    }


class CodeView(OrderedTextArea, inherit_bindings=False):
    """A code editor for one file: line numbers, indent on Tab, highlighting by file type.

    | Key(s) | Description |
    | :- | :- |
    | ctrl+z | Undo. |
    | ctrl+y | Redo. |
    | ctrl+backspace | Delete the word left of the cursor. |
    | tab | With a suggestion shown: accept it; otherwise indent (every selected line). |
    | shift+tab | Dedent the selected lines, or the cursor's line. |
    | enter | A new line, indented as the code around it calls for. |
    | backspace | In a line's leading spaces: back to the previous indentation stop. |
    | ctrl+home / ctrl+end | Start / end of the file (with shift: select to there). |
    | ctrl+right | With a suggestion shown: accept its next word. |
    | ctrl+down | With a suggestion shown: accept its next line. |
    | escape | With a suggestion shown: dismiss it; else clear the selection (focus stays). |

    The suggestion keys are the keymap's `accept_suggestion*` and
    `dismiss_suggestion` (`suggestion_keys`). They are read in `_on_key`, not
    bound, because TextArea takes Tab for itself before any binding is checked.
    ctrl+w (delete word) and ctrl+pageup/pagedown (page sideways) are left to the editor.
    """

    BINDINGS: list[BindingType] = [
        *_text_area_bindings_without(LEFT_TO_EDITOR),
        Binding("ctrl+home", "cursor_document_start", "Start of file", show=False),
        Binding("ctrl+end", "cursor_document_end", "End of file", show=False),
        Binding("ctrl+shift+home", "cursor_document_start(True)", "Select to start", show=False),
        Binding("ctrl+shift+end", "cursor_document_end(True)", "Select to end", show=False),
        Binding(
            ACTIONS_BY_ID["toggle_comment"].default_keys,
            "toggle_comment",
            "Comment",
            show=False,
            id="toggle_comment",
        ),
    ]

    DEFAULT_CSS = """
    CodeView {
        height: 1fr;
        border: none;
        padding: 0;
    }
    """

    dirty: reactive[bool] = reactive(False, init=False)
    """Whether the text differs from the text last loaded or saved."""

    class DirtyChanged(Message):
        """The view's text started or stopped differing from the saved text."""

        def __init__(self, view: CodeView, dirty: bool) -> None:
            super().__init__()
            self.view = view
            self.dirty = dirty

        @property
        def control(self) -> CodeView:
            return self.view

    class CompletionRequested(Message):
        """The user typed: ask for a suggestion at the cursor (`request` is bus-ready)."""

        def __init__(self, view: CodeView, request: dict[str, Any]) -> None:
            super().__init__()
            self.view = view
            self.request = request
            """`CompletionRequest` fields: path, prefix, suffix, language, kind, version."""

        @property
        def control(self) -> CodeView:
            return self.view

    class CompletionAccepted(Message):
        """The user inserted `chars` characters of suggestion `completion_id`."""

        def __init__(
            self, view: CodeView, completion_id: str, chars: int, kind: AcceptKind
        ) -> None:
            super().__init__()
            self.view = view
            self.completion_id = completion_id
            self.chars = chars
            self.kind = kind

        @property
        def control(self) -> CodeView:
            return self.view

    def __init__(
        self,
        path: str,
        text: str,
        *,
        mtime_ns: int,
        meta: dict[str, Any] | None = None,
        language: str | None = None,
        soft_wrap: bool = False,
        show_line_numbers: bool = True,
        tab_size: int = 4,
        complete: bool = True,
        suggestion_keys: Mapping[str, str] | None = None,
        id: str | None = None,
    ) -> None:
        self._ghost: GhostText | None = None  # before TextArea's init, which sizes the view
        self._version = 0
        """Counts edits, so an answer to an older request is never shown."""
        self._text: tuple[object, int, str] | None = None
        """(document, version, its text): see `text`."""
        self._asked: tuple[int, tuple[int, int]] | None = None
        """(version, cursor) of the last request: an answer shows only if both still hold."""
        super().__init__(
            text,
            soft_wrap=soft_wrap,
            tab_behavior="indent",
            show_line_numbers=show_line_numbers,
            theme="css",
            compact=True,
            id=id,
        )
        indentation = detect_indentation(text, tab_size)
        self.indent_type = "tabs" if indentation.tabs else "spaces"
        self.indent_width = indentation.width
        self.path = path
        """Project-relative path of the file, as the screen named it."""
        self.mtime_ns = mtime_ns
        """The file's mtime when last read or saved, for the screen's stale-write check."""
        self.meta: dict[str, Any] = dict(meta or {})
        """Opaque to the view: what the screen needs to write the file back (encoding, newline)."""
        self.complete = complete
        """Whether typing asks for suggestions (the engine also checks the language)."""
        self.suggestion_keys = dict(suggestion_keys or keys_for_suggestions({}))
        """Key -> what it does to a shown suggestion: all, word, line or dismiss."""
        self._saved_text = text
        self._highlight_window: tuple[int, int] | None = None
        self._apply_language(language or language_for_path(path), text)

    @property
    def saved_text(self) -> str:
        """The text as last loaded from or saved to disk."""
        return self._saved_text

    @property
    def highlighting(self) -> bool:
        """Whether the document is highlighted (False for plain text and very large files)."""
        return self._highlight_query is not None

    @property
    def text(self) -> str:
        """The whole text, joined once per edit: TextArea asks for it on every line it draws
        (to know whether to show its placeholder), a 30 MB join per line in a big file."""
        cached = self._text
        if cached is None or cached[0] is not self.document or cached[1] != self._version:
            cached = self._text = (self.document, self._version, self.document.text)
        return cached[2]

    @text.setter
    def text(self, value: str) -> None:
        TextArea.text.fset(self, value)  # type: ignore[attr-defined]

    def _set_document(self, text: str, language: str | None) -> None:
        super()._set_document(text, language)
        # Same data, faster `height`; the navigator keeps its reference to this object.
        self.wrapped_document.__class__ = _ConstantHeightWrappedDocument

    def _apply_language(self, language: str | None, text: str) -> None:
        """Highlight as `language` if it loads; otherwise (or for huge text) stay plain text."""
        if language is None or len(text) > HIGHLIGHT_LIMIT or not ensure_language(self, language):
            return
        try:
            self.language = language
        except Exception as error:  # a grammar failing at parse time must not take the app down
            logger.warning("Highlighting %s as %s failed: %s", self.path, language, error)
            self.set_reactive(TextArea.language, None)
            self._set_document(text, None)

    # -- events ---------------------------------------------------------------

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._follow_app_theme)

    def _follow_app_theme(self) -> None:
        self.theme = "github_light" if not self.app.current_theme.dark else "css"

    def on_resize(self, event: events.Resize) -> None:
        """A smaller terminal (or layout) keeps the cursor's line in view."""
        self.call_after_refresh(self.scroll_cursor_visible, animate=False)

    def _on_text_area_changed(self, event: TextArea.Changed) -> None:
        # Comparing the whole text costs about 0.2 ms a MB, so doing it per edit is fine.
        self.dirty = self.text != self._saved_text

    def watch_dirty(self, dirty: bool) -> None:
        self.post_message(self.DirtyChanged(self, dirty))

    # -- public API -----------------------------------------------------------

    def mark_saved(self, text: str, mtime_ns: int) -> None:
        """Record that `text` is now what the file holds (edits typed since stay dirty)."""
        self._saved_text = text
        self.mtime_ns = mtime_ns
        self.dirty = self.text != text

    def reload(self, text: str, mtime_ns: int, *, on_disk: str | None = None) -> None:
        """Show the file's new text as one undoable edit, keeping the cursor's line (`text`
        differs from the file's, `on_disk`, after a merge: the tab stays dirty)."""
        row, column = self.cursor_location
        scroll_y = self.scroll_y
        self.history.checkpoint()
        self.replace(text, (0, 0), self.document.end, maintain_selection_offset=False)
        self.history.checkpoint()
        self.mark_saved(text if on_disk is None else on_disk, mtime_ns)
        row = min(row, self.document.line_count - 1)
        self.move_cursor((row, min(column, len(self.document[row]))))
        self.scroll_to(y=scroll_y, animate=False, immediate=True)

    def word_at_cursor(self) -> str:
        """The identifier the cursor is on or just after ("" when none)."""
        found = self._identifier_at_cursor()
        return found.group(0) if found else ""

    def after_dot(self) -> bool:
        """Whether the name at the cursor is an attribute (`obj.name`), not a plain name."""
        found = self._identifier_at_cursor()
        return found is not None and found.string[: found.start()].rstrip().endswith(".")

    def _identifier_at_cursor(self) -> re.Match[str] | None:
        row, column = self.cursor_location
        for match in IDENTIFIER.finditer(self.document.get_line(row)):
            if match.start() <= column <= match.end():
                return match
        return None

    def goto_line(self, number: int, *, column: int = 0, length: int = 0, word: str = "") -> int:
        """Move the cursor to line `number` (1-based, clamped), at `column` or selecting
        `length` characters from it, or onto the whole `word` where the line has it, or one
        of the few lines after it (a definition's name, below its comment or decorators:
        find references works from there); return the line."""
        number = max(1, min(number, self.document.line_count))
        if word:
            pattern = re.compile(rf"\b{re.escape(word)}\b")
            last = min(number + WORD_LOOKAHEAD_LINES, self.document.line_count)
            for candidate in range(number, last + 1):
                if found := pattern.search(self.document.get_line(candidate - 1)):
                    number, column = candidate, found.start()
                    break
        if self.size.width:
            self._goto(number - 1, column, length)
        else:  # a tab just opened: scrolling to a column needs its width, known after a frame
            self.call_after_refresh(self._goto, number - 1, column, length)
        return number

    def _goto(self, row: int, column: int, length: int) -> None:
        column = max(0, min(column, len(self.document.get_line(row))))
        self.move_cursor((row, column))
        if length > 0:
            self.selection = Selection((row, column), (row, column + length))
        self.reveal_cursor()

    def reveal_cursor(self) -> None:
        """The cursor's line in the middle of the view, scrolled sideways only as far as the
        cursor needs: `scroll_cursor_visible(center=True)` centres both ways, hiding the
        start of lines that fit."""
        if not self._has_cursor:
            return
        self._recompute_cursor_offset()
        x, y = self._cursor_offset
        cursor = Region(x, y, width=3, height=1)
        margin = Spacing(right=self.gutter_width)
        self.scroll_to_region(cursor, spacing=margin, animate=False, force=True, x_axis=False,
                              center=True)  # fmt: skip
        self.scroll_to_region(cursor, spacing=margin, animate=False, force=True, y_axis=False)

    def find_matches(self, query: str, *, case_sensitive: bool = False) -> list[Selection]:
        """Every occurrence of `query` (plain text, within one line), in document order."""
        if not query:
            return []
        pattern = re.compile(re.escape(query), 0 if case_sensitive else re.IGNORECASE)
        return [
            Selection((row, match.start()), (row, match.end()))
            for row, line in enumerate(self.document.lines)
            for match in pattern.finditer(line)
        ]

    def replace_all(self, query: str, replacement: str, case_sensitive: bool = False) -> int:
        """Replace every match of `query` in one edit (one undo step); returns how many."""
        if not query:
            return 0
        pattern = re.compile(re.escape(query), 0 if case_sensitive else re.IGNORECASE)
        text, count = pattern.subn(lambda _: replacement, self.text)
        if count:
            cursor = self.cursor_location
            self.replace(text, (0, 0), self.document.end)
            self.move_cursor(cursor)
        return count

    # -- completion: requests and ghost text ---------------------------------------

    @property
    def ghost(self) -> GhostText | None:
        """The suggestion shown at the cursor, if any."""
        return self._ghost

    def completion_request(self, kind: str = "insert") -> dict[str, Any]:
        """The bus-ready request for a suggestion at the cursor."""
        row, column = self.cursor_location
        document = self.document
        last = min(document.line_count - 1, row + CONTEXT_LINES_AFTER)
        return {
            "path": self.path,
            "language": self.language,
            "prefix": document.get_text_range(
                (max(0, row - CONTEXT_LINES_BEFORE), 0), (row, column)
            ),
            "suffix": document.get_text_range((row, column), (last, len(document[last]))),
            "kind": kind,
            "version": self._version,
        }

    def show_completion(self, completion: Mapping[str, Any]) -> bool:
        """Show a completion result (`id`, `text`, `version`) as ghost text at the cursor.

        Returns:
            False (nothing shown) when the text was edited or the cursor moved
            since the last request, text is selected, or the suggestion is empty.
        """
        text = completion.get("text") or ""
        asked = (completion.get("version"), self.cursor_location)
        if asked != self._asked or not self.selection.is_empty or not text:
            return False
        self._set_ghost(GhostText(str(completion["id"]), text, self.cursor_location))
        return True

    def dismiss_ghost(self) -> None:
        self._set_ghost(None)

    def accept_ghost(self, kind: AcceptKind = "all") -> None:
        """Insert all of the ghost text, or its next word or line."""
        ghost = self._ghost
        if ghost is None:
            return
        part = {"all": ghost.text, "word": ghost.next_word(), "line": ghost.next_line()}[kind]
        cursor = self.cursor_location
        self.replace(part, cursor, cursor, maintain_selection_offset=False)
        self.post_message(self.CompletionAccepted(self, ghost.completion_id, len(part), kind))

    def _set_ghost(self, ghost: GhostText | None) -> None:
        if ghost is None and self._ghost is None:
            return
        self._ghost = ghost
        self.suggestion = ghost.first_line if ghost else ""
        self._refresh_size()
        self.refresh()

    def _ghost_rows(self) -> int:
        return len(self._ghost.lines_below) if self._ghost else 0

    def _ghost_anchor_row(self) -> int:
        """The last screen row (in the virtual space) of the cursor's line."""
        row = self.cursor_location[0]
        return self.wrapped_document.location_to_offset((row, len(self.document[row]))).y

    # -- completion: hooks into TextArea -------------------------------------------

    def edit(self, edit: Edit) -> EditResult:
        """Every change to the text: typing what the ghost shows keeps the rest of it."""
        ghost, cursor = self._ghost, self.cursor_location
        result = super().edit(edit)
        self._version += 1
        if ghost is not None:
            here = cursor == ghost.anchor and edit.from_location == edit.to_location == cursor
            self._set_ghost(ghost.typed(edit.text, self.cursor_location) if here else None)
        return result

    def undo(self) -> None:
        self.dismiss_ghost()
        self._version += 1
        super().undo()
        self._version += 1  # the text read while undoing is not the text now

    def redo(self) -> None:
        self.dismiss_ghost()
        self._version += 1
        super().redo()
        self._version += 1

    def _replace_via_keyboard(self, insert: str, start: Any, end: Any) -> EditResult | None:
        result = super()._replace_via_keyboard(insert, start, end)
        if result is not None and self._ghost is None:
            self._request_completion("insert")
        return result

    def _delete_via_keyboard(self, start: Any, end: Any) -> EditResult | None:
        result = super()._delete_via_keyboard(start, end)
        if result is not None:
            self._request_completion("delete")
        return result

    def _request_completion(self, kind: str) -> None:
        if self.complete:
            request = self.completion_request(kind)
            self._asked = (request["version"], self.cursor_location)
            self.post_message(self.CompletionRequested(self, request))

    async def _on_key(self, event: events.Key) -> None:
        if self.read_only:
            return
        what = self.suggestion_keys.get(event.key) if self._ghost is not None else None
        if what == "dismiss":
            self.dismiss_ghost()
        elif what is not None:
            self.accept_ghost(what)  # type: ignore[arg-type]
        elif event.key == "tab" and len(set(self._selected_rows())) > 1:
            self.indent()  # TextArea would replace the selected lines with one indent
        elif event.key == "shift+tab":
            self.dedent()
        elif event.key == "enter":
            self.break_line()
        elif event.character in CLOSERS and self._close_bracket(event.character):
            pass
        elif event.key == "escape":  # TextArea would move focus on: F6 and alt+1..4 do that
            self.selection = Selection.cursor(self.cursor_location)
        elif event.key != "backspace" or not self._unindent():
            return  # OrderedTextArea, then TextArea, take it
        event.stop()
        event.prevent_default()

    async def _on_paste(self, event: events.Paste) -> None:
        """Lines pasted at the end of a line's indentation keep their shape at that depth
        (`line_edits.paste_indented`); anywhere else they go in as they are."""
        if self.read_only:
            return
        start, end = sorted(self.selection)
        indent = self.document.get_line(start[0])[: start[1]]
        unit = "\t" if self.indent_type == "tabs" else " " * self.indent_width
        text = paste_indented(event.text, indent, unit)
        if result := self._replace_via_keyboard(text, start, end):
            self.move_cursor(result.end_location)
            self.focus()
        event.stop()
        event.prevent_default()

    # -- line edits ------------------------------------------------------------

    def _unindent(self) -> bool:
        """Backspace in a line's leading spaces goes back to the previous indentation stop;
        False where it is an ordinary Backspace."""
        if not self.selection.is_empty or self.indent_type == "tabs":
            return False
        row, column = self.cursor_location
        count = unindent_stop(self.document.get_line(row)[:column], self.indent_width)
        if count < 2:
            return False
        self._delete_via_keyboard((row, column - count), (row, column))
        return True

    def break_line(self) -> None:
        """Enter: a new line at the right indentation (`line_edits.break_line`)."""
        start, end = sorted(self.selection)
        before = self.document.get_line(start[0])[: start[1]]
        after = self.document.get_line(end[0])[end[1] :]
        unit = "\t" if self.indent_type == "tabs" else " " * self.indent_width
        language = self.language or language_for_path(self.path)
        cut = break_line(before, after, unit, language, self._lines_above(start[0]))
        start = (start[0], start[1] - cut.drop_before)
        end = (end[0], end[1] + cut.drop_after)
        if self._replace_via_keyboard(cut.text, start, end) is None:
            return
        placed = cut.text[: cut.cursor].split("\n")
        self.move_cursor((start[0] + len(placed) - 1, len(placed[-1])))

    def _lines_above(self, row: int) -> list[str]:
        """The lines over `row`, nearest last, as far as a bracket's opener is looked for."""
        first = max(0, row - CLOSER_LOOKBACK_LINES)
        return [self.document.get_line(index) for index in range(first, row)]

    def _close_bracket(self, closer: str) -> bool:
        """A closing bracket typed first on a line goes to the indentation of the line that
        opened it (`}` under `d = {`); False where it is typed as it is."""
        row, column = self.cursor_location
        before = self.document.get_line(row)[:column]
        if not self.selection.is_empty or before.strip():
            return False
        indent = opener_indent(self._lines_above(row), 1)
        if indent is None or indent == before:
            return False
        self._replace_via_keyboard(indent + closer, (row, 0), (row, column))
        self.move_cursor((row, len(indent) + 1))
        return True

    def indent(self) -> None:
        """Indent the selected lines (or the cursor's line) by one level."""
        unit = "\t" if self.indent_type == "tabs" else " " * self.indent_width
        self._edit_lines(lambda lines: indent_lines(lines, unit))

    def dedent(self) -> None:
        """Take one level of indentation off the selected lines (or the cursor's line)."""
        self._edit_lines(lambda lines: dedent_lines(lines, self.indent_width))

    def action_toggle_comment(self) -> None:
        if not self.toggle_comment():
            self.notify(f"No line comments known for {self.path}.", timeout=3)

    def toggle_comment(self) -> bool:
        """Comment or uncomment the selected lines (or the cursor's line) in the file's
        language; False when the language has no line comments that we know of."""
        style = COMMENT_STYLES.get(self.language or language_for_path(self.path) or "")
        if style is None or self.read_only:
            return False
        self._edit_lines(lambda lines: toggle_comment(lines, style))
        return True

    def _selected_rows(self) -> tuple[int, int]:
        """First and last row the selection touches (a selection ending at the start of a
        line does not take that line)."""
        (first, _), (last, column) = sorted(self.selection)
        if last > first and column == 0:
            last -= 1
        return first, last

    def _edit_lines(self, change: Callable[[list[str]], list[str]]) -> None:
        """Replace rows with `change(rows)` in one edit, keeping the same lines selected (or
        the cursor where it was in its text)."""
        first, last = self._selected_rows()
        old = [self.document.get_line(row) for row in range(first, last + 1)]
        new = change(old)
        if new == old:
            return
        row, column = self.cursor_location
        whole_lines = not self.selection.is_empty
        self.replace("\n".join(new), (first, 0), (last, len(old[-1])))
        if whole_lines:
            self.selection = Selection((first, 0), (last, len(new[-1])))
        else:
            shifted = column + len(new[row - first]) - len(old[row - first])
            self.move_cursor((row, max(0, min(shifted, len(new[row - first])))))

    def action_cursor_document_start(self, select: bool = False) -> None:
        self.move_cursor((0, 0), select=select)

    def action_cursor_document_end(self, select: bool = False) -> None:
        self.move_cursor(self.document.end, select=select)

    def action_cursor_right(self, select: bool = False) -> None:
        self.dismiss_ghost()  # TextArea would insert the suggestion's first line
        super().action_cursor_right(select)

    def _on_text_area_selection_changed(self, event: TextArea.SelectionChanged) -> None:
        ghost = self._ghost
        if ghost is not None and (
            not self.selection.is_empty or self.cursor_location != ghost.anchor
        ):
            self.dismiss_ghost()

    def _on_blur(self, event: events.Blur) -> None:
        self.dismiss_ghost()

    def _refresh_size(self) -> None:
        super()._refresh_size()
        rows = self._ghost_rows()
        if rows:
            width, height = self.virtual_size
            self.virtual_size = Size(width, height + rows)
            self._refresh_scrollbars()

    def render_line(self, y: int) -> Strip:
        rows = self._ghost_rows()
        if not rows:
            return super().render_line(y)
        below = self.scroll_offset.y + y - self._ghost_anchor_row()
        if below <= 0:
            return super().render_line(y)
        if below > rows:
            return super().render_line(y - rows)
        assert self._ghost is not None
        return self._ghost_row(self._ghost.lines_below[below - 1])

    def _ghost_row(self, text: str) -> Strip:
        theme = self._theme
        base = theme.base_style if theme and theme.base_style is not None else self.rich_style
        virtual_width = self.virtual_size.width
        return ghost_row_strip(
            text,
            style=self.get_component_rich_style("text-area--suggestion"),
            base_style=base,
            gutter_width=self.gutter_width,
            gutter_style=theme.gutter_style if theme else None,
            scroll_x=0 if self.soft_wrap else self.scroll_offset.x,
            visible_width=virtual_width,
            total_width=max(virtual_width, self.region.size.width),
            tab_size=self.indent_width,
        )

    def get_target_document_location(self, event: events.MouseEvent) -> tuple[int, int]:
        """Where a click lands, skipping the ghost rows drawn under the cursor's line."""
        rows = self._ghost_rows()
        if rows:
            below = event.y + self.scroll_offset.y - self._ghost_anchor_row()
            if below > 0:
                event = event._apply_offset(0, -min(below, rows))
        return super().get_target_document_location(event)

    # -- highlighting only what is drawn ----------------------------------------

    def _build_highlight_map(self) -> None:
        """Called by `TextArea` after every change: forget highlights, compute them when drawn."""
        self._highlight_window = None
        self._highlights.clear()
        self._line_cache.clear()

    def render_lines(self, crop: Region) -> list[Strip]:
        top = self.scroll_offset.y + crop.y
        first = self.wrapped_document.offset_to_location(Offset(0, top))[0]
        self._highlight_lines(first, first + crop.height)
        return super().render_lines(crop)

    def _highlight_lines(self, first: int, last: int) -> None:
        """Make sure lines `first` to `last` (exclusive) have their highlights."""
        window = self._highlight_window
        query = self._highlight_query
        if query is None or (window is not None and window[0] <= first and last <= window[1]):
            return
        start = max(0, first - HIGHLIGHT_MARGIN)
        end = min(self.document.line_count, last + HIGHLIGHT_MARGIN)
        captures = self.document.query_syntax_tree(query, (start, 0), (end, 0))
        highlights = self._highlights
        highlights.clear()
        self._line_cache.clear()
        for name, nodes in captures.items():
            for node in nodes:
                (start_row, start_column), (end_row, end_column) = node.start_point, node.end_point
                if start_row == end_row:
                    highlights[start_row].append((start_column, end_column, name))
                    continue
                if start_row >= start:
                    highlights[start_row].append((start_column, None, name))
                for row in range(max(start_row + 1, start), min(end_row, end)):
                    highlights[row].append((0, None, name))
                if end_row < end:
                    highlights[end_row].append((0, end_column, name))
        self._highlight_window = (start, end)
