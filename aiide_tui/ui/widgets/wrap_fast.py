"""Lay out a document without soft wrap in one pass, not line by line through tab splitting.

Textual's `WrappedDocument.wrap` splits every line at its tabs with a regular
expression, even when nothing wraps (width 0, our default). A text area
re-wraps on open, on a language change and on every resize: a 30 MB file took
about 2 s per wrap and froze the app for 15 s on opening. Without soft wrap,
only lines holding a tab need that work; the rest get the same layout at once.
"""

from __future__ import annotations

import gc

from textual.document._wrapped_document import WrappedDocument
from textual.expand_tabs import get_tab_widths


def lay_out_without_wrapping_fast() -> None:
    """Give `WrappedDocument.wrap` a fast path for width 0 (idempotent)."""
    if getattr(WrappedDocument.wrap, "fast", False):
        return
    wrap = WrappedDocument.wrap

    def fast_wrap(self: WrappedDocument, width: int, tab_width: int | None = None) -> None:
        if width:
            wrap(self, width, tab_width)
            return
        self._width = 0
        if tab_width:
            self._tab_width = tab_width
        lines = self.document.lines
        count = len(lines)
        tabs = self._tab_width
        collecting = gc.isenabled()
        gc.disable()  # a million small lists, no cycles: the collector's passes took 4/5
        try:
            self._wrap_offsets = [[] for _ in range(count)]
            self._offset_to_line_info = [(index, 0) for index in range(count)]
            self._line_index_to_offsets = [[index] for index in range(count)]
            self._tab_width_cache = [
                [tab for _, tab in get_tab_widths(line, tabs)] if "\t" in line else [0] * bool(line)
                for line in lines
            ]
        finally:
            if collecting:
                gc.enable()

    fast_wrap.fast = True  # type: ignore[attr-defined]
    fast_wrap.original = wrap  # type: ignore[attr-defined]
    WrappedDocument.wrap = fast_wrap  # type: ignore[method-assign]
