"""One open document: a code `TextArea` that knows its file and whether it has unsaved edits.

The view never reads or writes the file. The screen hands it text with the
file's mtime and an opaque `meta` dict (encoding, newline), and gets them back
with the text when saving.

Textual's `TextArea` re-runs the highlight query over the whole syntax tree
after every edit (about 60 ms for a 3,500-line file, so typing lags); this
view highlights only the lines around the viewport, when they are drawn
(about 3 ms wherever the edit is).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from textual.binding import Binding, BindingsMap, BindingType
from textual.geometry import Offset, Region
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.widgets import TextArea
from textual.widgets.text_area import Selection

from aiide_tui.ui.syntax import ensure_language, language_for_path

__all__ = ["HIGHLIGHT_LIMIT", "CodeView"]

logger = logging.getLogger(__name__)

HIGHLIGHT_LIMIT = 1_000_000
"""Documents longer than this (in characters) open as plain text: parsing costs about 2 s a MB."""
HIGHLIGHT_MARGIN = 150
"""Lines highlighted above and below the drawn ones, so scrolling a little needs no query."""
LEFT_TO_EDITOR = frozenset({"ctrl+w", "ctrl+pageup", "ctrl+pagedown"})
"""Keys `TextArea` (delete word) and its scroll container (page sideways) would take from the
editor (close tab, switch tabs): bound here, they would also hide the editor's in the footer."""


def _text_area_bindings_without(dropped: frozenset[str]) -> list[Binding]:
    """`TextArea`'s bindings, inherited ones included, less those for the `dropped` keys."""
    by_key: dict[str, list[Binding]] = {}
    for base in reversed(TextArea.__mro__):
        if "BINDINGS" in base.__dict__:
            by_key.update(BindingsMap(base.__dict__["BINDINGS"]).key_to_bindings)
    return [
        binding for key, bindings in by_key.items() if key not in dropped for binding in bindings
    ]


class CodeView(TextArea, inherit_bindings=False):
    """A code editor for one file: line numbers, indent on Tab, highlighting by file type.

    | Key(s) | Description |
    | :- | :- |
    | ctrl+z | Undo. |
    | ctrl+y | Redo. |
    | ctrl+backspace | Delete the word left of the cursor. |

    ctrl+w (delete word) and ctrl+pageup/pagedown (page sideways) are left to the editor.
    """

    BINDINGS: list[BindingType] = _text_area_bindings_without(LEFT_TO_EDITOR)

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
        id: str | None = None,
    ) -> None:
        super().__init__(
            text,
            soft_wrap=soft_wrap,
            tab_behavior="indent",
            show_line_numbers=show_line_numbers,
            theme="css",
            compact=True,
            id=id,
        )
        self.indent_width = tab_size
        self.path = path
        """Project-relative path of the file, as the screen named it."""
        self.mtime_ns = mtime_ns
        """The file's mtime when last read or saved, for the screen's stale-write check."""
        self.meta: dict[str, Any] = dict(meta or {})
        """Opaque to the view: what the screen needs to write the file back (encoding, newline)."""
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

    def reload(self, text: str, mtime_ns: int) -> None:
        """Show the file's new text as one undoable edit, keeping the cursor's line."""
        row, column = self.cursor_location
        scroll_y = self.scroll_y
        self.history.checkpoint()
        self.replace(text, (0, 0), self.document.end, maintain_selection_offset=False)
        self.history.checkpoint()
        self.mark_saved(text, mtime_ns)
        row = min(row, self.document.line_count - 1)
        self.move_cursor((row, min(column, len(self.document[row]))))
        self.scroll_to(y=scroll_y, animate=False, immediate=True)

    def goto_line(self, number: int) -> int:
        """Move the cursor to the start of line `number` (1-based, clamped); return the line."""
        number = max(1, min(number, self.document.line_count))
        self.move_cursor((number - 1, 0), center=True)
        return number

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
