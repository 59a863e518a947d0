"""The no-wrap layout fast path gives exactly the layout Textual's own wrap gives."""

from __future__ import annotations

from textual.document._document import Document
from textual.document._wrapped_document import WrappedDocument

from aiide_tui.ui.widgets import wrap_fast

TEXT = "plain\n\n\tindented\na\tb\t\tc\n全角の文字\n" + "x" * 300 + "\n  trailing  \n\t\n"
FIELDS = ("_wrap_offsets", "_offset_to_line_info", "_line_index_to_offsets", "_tab_width_cache")


def layout(wrapped: WrappedDocument) -> tuple:
    return tuple(getattr(wrapped, name) for name in FIELDS)


def test_the_fast_layout_is_textuals_layout(monkeypatch):
    original = getattr(WrappedDocument.wrap, "original", WrappedDocument.wrap)  # Textual's
    for tab_width in (4, 8):
        monkeypatch.setattr(WrappedDocument, "wrap", original)
        theirs = WrappedDocument(Document(TEXT), width=0, tab_width=tab_width)
        wrap_fast.lay_out_without_wrapping_fast()
        ours = WrappedDocument(Document(TEXT), width=0, tab_width=tab_width)
        assert WrappedDocument.wrap is not original
        assert layout(ours) == layout(theirs)
        ours.wrap(40)  # soft wrap: Textual's own
        theirs_wrapped = WrappedDocument(Document(TEXT), width=0, tab_width=tab_width)
        original(theirs_wrapped, 40)
        assert layout(ours) == layout(theirs_wrapped)
        monkeypatch.undo()
