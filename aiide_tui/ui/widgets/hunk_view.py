"""One hunk of a diff in one widget: git's real line numbers, syntax colours, wrapping.

textual-diff-view's `DiffView` re-diffs two whole texts and numbers lines from 1,
so a hunk at line 120 would show as line 1, and it builds about ten widgets per
hunk; this keeps git's own pairing and borrows `DiffView`'s colours.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import zip_longest
from typing import ClassVar, Literal

from pygments.lexers import get_lexer_for_filename
from pygments.util import ClassNotFound
from rich.segment import Segment
from textual import highlight
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget

from aiide_tui.review import DiffLine, Hunk, hunk_old_new
from aiide_tui.ui.terminal_output import VISIBLE_CONTROLS

__all__ = ["Decision", "HunkView"]

Decision = Literal["accepted", "rejected"]

_LINE_CLASSES = {"+": "hunk-view--line-added", "-": "hunk-view--line-removed", " ": ""}
_NUMBER_CLASSES = {
    "+": "hunk-view--number-added",
    "-": "hunk-view--number-removed",
    " ": "hunk-view--number",
}


@lru_cache(maxsize=256)
def _repaired(theme: type[highlight.HighlightTheme]) -> type[highlight.HighlightTheme]:
    """Textual's ANSI highlight themes with its misspelt colours corrected (`ansi_greenb`,
    `ansi_yelllow`, `ansi_blow`, `ans_red` fail to parse: every string crashed the pane)."""
    fixes = {"ansi_greenb": "ansi_green", "ansi_yelllow": "ansi_yellow", "ansi_blow": "ansi_blue",
             "ans_red": "ansi_red"}  # fmt: skip
    styles = {
        token: " ".join(fixes.get(word, word) for word in style.split())
        for token, style in theme.STYLES.items()
    }
    return type(theme.__name__, (theme,), {"STYLES": styles})


_ANSI_THEMES = {
    True: _repaired(highlight.ANSIDarkHighlightTheme),
    False: _repaired(highlight.ANSILightHighlightTheme),
}


def _language(path: str) -> str:
    """Pygments language for a path, by name only (guessing from code is slow)."""
    try:
        lexer = get_lexer_for_filename(path)
    except ClassNotFound:
        return "text"
    return lexer.aliases[0] if lexer.aliases else lexer.name


class HunkView(Widget):
    """One hunk with git's own line numbers, unified or side by side, wrapped to the width."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "hunk-view--header",
        "hunk-view--number",
        "hunk-view--number-added",
        "hunk-view--number-removed",
        "hunk-view--line-added",
        "hunk-view--line-removed",
        "hunk-view--hatch",
        "hunk-view--note",
    }

    DEFAULT_CSS = """
    HunkView {
        width: 1fr;
        height: auto;
        border-left: blank;
        margin-bottom: 1;
        &.-current { border-left: outer $accent; }
        & > .hunk-view--header { color: $text-muted; background: $foreground 6%; }
        & > .hunk-view--number { color: $foreground 35%; }
        & > .hunk-view--number-added { color: $text-success; background: $success 20%; }
        & > .hunk-view--number-removed { color: $text-error; background: $error 20%; }
        & > .hunk-view--line-added { background: $success 12%; }
        & > .hunk-view--line-removed { background: $error 12%; }
        & > .hunk-view--hatch { color: $foreground 15%; }
        & > .hunk-view--note { color: $text-warning; text-style: italic; }
    }
    HunkView:ansi {
        & > .hunk-view--header { color: ansi_default; background: ansi_default; text-style: dim; }
        & > .hunk-view--number { color: ansi_default; text-style: dim; }
        & > .hunk-view--number-added { color: ansi_green; background: ansi_default; }
        & > .hunk-view--number-removed { color: ansi_red; background: ansi_default; }
        & > .hunk-view--line-added { background: ansi_default; }
        & > .hunk-view--line-removed { background: ansi_default; }
        & > .hunk-view--hatch { color: ansi_default; text-style: dim; }
        & > .hunk-view--note { color: ansi_yellow; }
    }
    """

    split: reactive[bool] = reactive(False, layout=True)
    """Show old and new side by side instead of interleaved."""
    decision: reactive[Decision | None] = reactive(None, layout=True)
    """The user's answer for this hunk, shown in its header, once given."""
    edited: reactive[bool] = reactive(False, layout=True)
    """The user rewrote this hunk's new side (shown in its header)."""

    class Selected(Message):
        """The hunk was clicked."""

        def __init__(self, hunk_view: HunkView) -> None:
            super().__init__()
            self.hunk_view = hunk_view

        @property
        def control(self) -> HunkView:
            return self.hunk_view

    def __init__(self, path: str, index: int, hunk: Hunk, *, split: bool = False) -> None:
        super().__init__()
        self.path = path
        self.index = index
        self.hunk = hunk
        self.set_reactive(HunkView.split, split)
        self._highlighted: tuple[list[Content], list[Content]] | None = None
        self._strips: list[Strip] = []
        self._strips_key: tuple[object, ...] | None = None

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._highlighted = None
        self._strips_key = None

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        return len(self._render_strips(width))

    def render_line(self, y: int) -> Strip:
        strips = self._render_strips(self.size.width)
        return strips[y] if y < len(strips) else Strip.blank(self.size.width)

    def on_click(self) -> None:
        self.post_message(self.Selected(self))

    def set_hunk(self, hunk: Hunk) -> None:
        """Show `hunk` instead (the same place in the file, rewritten or renumbered)."""
        self.hunk = hunk
        self._highlighted = None
        self._strips_key = None
        self.refresh(layout=True)

    def _render_strips(self, width: int) -> list[Strip]:
        """All lines of the hunk at this width, cached until the width or mode changes."""
        key = (width, self.split, self.decision, self.edited, self.app.theme)
        if key != self._strips_key:
            rows = self._header_rows(width)
            rows += self._split_rows(width) if self.split else self._unified_rows(width)
            self._strips = [self._to_strip(row, width) for row in rows]
            self._strips_key = key
        return self._strips

    def _to_strip(self, row: Content, width: int) -> Strip:
        """Render one row, resolving theme variables (`$text`) in its styles."""
        base = self.visual_style
        parse_style = self.app.stylesheet.parse_style
        segments = [
            Segment(text, style.rich_style)
            for text, style in row.render(base, end="", parse_style=parse_style)
        ]
        strip = Strip(segments, row.cell_length)
        return strip.extend_cell_length(width, base.rich_style).crop(0, width)

    def _style(self, component: str) -> Style:
        if not component:
            return Style.null()
        return self.get_visual_style(component, partial=True)

    def _header_rows(self, width: int) -> list[Content]:
        header = Content(self.hunk.header.translate(VISIBLE_CONTROLS))
        if self.edited:
            header = Content.assemble(header, "  ", ("✎ edited", self._style("hunk-view--note")))
        if self.decision is not None:
            mark = "✓ accepted" if self.decision == "accepted" else "✗ rejected"
            header = Content.assemble(header, "  ", (mark, self._style("hunk-view--note")))
        header = header.pad_right(max(0, width - header.cell_length))
        return [header.stylize_before(self._style("hunk-view--header"))]

    def _code_lines(self) -> tuple[list[Content], list[Content]]:
        """Syntax-highlighted old-side and new-side lines, in hunk order."""
        if self._highlighted is None:
            old, new = hunk_old_new(self.hunk)
            self._highlighted = (self._highlight(old), self._highlight(new))
        return self._highlighted

    def _highlight(self, code: str) -> list[Content]:
        expected = code.count("\n")
        code = code.translate(VISIBLE_CONTROLS).expandtabs(4)
        theme = highlight.HighlightTheme
        if getattr(self.app.current_theme, "ansi", False):
            theme = _ANSI_THEMES[self.app.current_theme.dark]
        content = highlight.highlight(code, language=_language(self.path), theme=theme)
        lines = content.split("\n", allow_blank=True)[:expected]
        return lines + [Content()] * (expected - len(lines))

    def _paired_lines(self) -> list[tuple[DiffLine, Content]]:
        """Each diff line with its highlighted text (old side for '-', new side otherwise)."""
        old_lines, new_lines = self._code_lines()
        old_index = new_index = 0
        paired: list[tuple[DiffLine, Content]] = []
        for line in self.hunk.lines:
            if line.kind == "-":
                paired.append((line, old_lines[old_index]))
                old_index += 1
            else:
                paired.append((line, new_lines[new_index]))
                new_index += 1
                old_index += line.kind == " "
        return paired

    def _number_width(self) -> int:
        last = max(self.hunk.old_start + self.hunk.old_len, self.hunk.new_start + self.hunk.new_len)
        return len(str(last))

    def _unified_rows(self, width: int) -> list[Content]:
        digits = self._number_width()
        code_width = max(2, width - (2 * digits + 4))
        rows: list[Content] = []
        for line, code in self._paired_lines():
            old = "" if line.old_no is None else str(line.old_no)
            new = "" if line.new_no is None else str(line.new_no)
            gutter = Content(f"{old:>{digits}} {new:>{digits}} {line.kind} ")
            gutter = gutter.stylize_before(self._style(_NUMBER_CLASSES[line.kind]))
            blank = Content(" " * gutter.cell_length).stylize_before(
                self._style(_NUMBER_CLASSES[line.kind])
            )
            line_style = self._style(_LINE_CLASSES[line.kind])
            for part, piece in enumerate(code.fold(code_width) if code else [code]):
                row = Content.assemble(gutter if part == 0 else blank, piece)
                row = row.pad_right(max(0, width - row.cell_length))
                rows.append(row.stylize_before(line_style))
            if line.missing_newline:
                rows.append(self._no_newline_row(gutter.cell_length))
        return rows

    def _no_newline_row(self, indent: int) -> Content:
        return Content.styled(" " * indent + "⊘ no newline at end of file", "dim italic")

    def _split_rows(self, width: int) -> list[Content]:
        digits = self._number_width()
        half = max(digits + 5, (width - 1) // 2)
        rows: list[Content] = []
        removed: list[tuple[DiffLine, Content]] = []
        added: list[tuple[DiffLine, Content]] = []

        def flush() -> None:
            for left, right in zip_longest(removed, added):
                rows.extend(self._split_row(left, right, half, digits))
            removed.clear()
            added.clear()

        for line, code in self._paired_lines():
            if line.kind == "-":
                removed.append((line, code))
            elif line.kind == "+":
                added.append((line, code))
            else:
                flush()
                rows.extend(self._split_row((line, code), (line, code), half, digits))
        flush()
        return rows

    def _split_row(
        self,
        left: tuple[DiffLine, Content] | None,
        right: tuple[DiffLine, Content] | None,
        half: int,
        digits: int,
    ) -> list[Content]:
        """One old/new pair side by side; a missing side is hatched."""
        left_cells = self._side_cells(left, "old", half, digits)
        right_cells = self._side_cells(right, "new", half, digits)
        height = max(len(left_cells), len(right_cells))
        hatch = Content.styled("╲" * half, self._style("hunk-view--hatch"))
        filler_left = hatch if left is None else Content(" " * half)
        filler_right = hatch if right is None else Content(" " * half)
        left_cells += [filler_left] * (height - len(left_cells))
        right_cells += [filler_right] * (height - len(right_cells))
        rows = [
            Content.assemble(left_cell, Content.styled("│", "dim"), right_cell)
            for left_cell, right_cell in zip(left_cells, right_cells, strict=True)
        ]
        if any(item is not None and item[0].missing_newline for item in (left, right)):
            rows.append(self._no_newline_row(digits + 3))
        return rows

    def _side_cells(
        self, item: tuple[DiffLine, Content] | None, side: str, half: int, digits: int
    ) -> list[Content]:
        """One side of a split row, folded to `half` cells per visual line."""
        if item is None:
            return []
        line, code = item
        number = line.old_no if side == "old" else line.new_no
        number_style = self._style(_NUMBER_CLASSES[line.kind])
        line_style = self._style(_LINE_CLASSES[line.kind])
        gutter = Content(f"{number or '':>{digits}} {line.kind} ").stylize_before(number_style)
        blank = Content(" " * gutter.cell_length).stylize_before(number_style)
        code_width = max(2, half - gutter.cell_length)
        cells = []
        for part, piece in enumerate(code.fold(code_width) if code else [code]):
            cell = Content.assemble(gutter if part == 0 else blank, piece)
            cell = cell.pad_right(max(0, half - cell.cell_length))
            cells.append(cell.stylize_before(line_style))
        return cells
