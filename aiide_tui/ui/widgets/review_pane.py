"""The diff-review pane: every change, file by file and hunk by hunk, waiting for a yes or no.

The pane only renders and forwards. The screen hands it diff text (the working
tree's `git diff` today, model proposals later) and listens for its messages;
it never reads files or runs git itself.

Hunks are drawn by `HunkView` rather than textual-diff-view's `DiffView`:
`DiffView` re-diffs two whole texts and numbers lines from 1, so a hunk at line
120 would show as line 1, and it builds about ten widgets per hunk. `HunkView`
keeps git's own pairing and real line numbers in one widget per hunk, and
borrows `DiffView`'s colours. Files beyond a small budget start collapsed and
mount their hunks only when expanded, so a 200-file diff paints at once.
"""

from __future__ import annotations

import asyncio
from functools import lru_cache
from itertools import zip_longest
from typing import ClassVar, Literal

from pygments.lexers import get_lexer_for_filename
from pygments.util import ClassNotFound
from rich.segment import Segment
from textual import highlight, on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from aiide_tui.review import DiffLine, DiffParseError, FileDiff, Hunk, hunk_old_new, parse_diff

__all__ = ["FileSection", "HunkView", "ReviewPane"]

Decision = Literal["accepted", "rejected"]

EXPANDED_FILES_MAX = 12
"""At most this many files start expanded (with their hunks mounted)."""
EXPANDED_LINES_MAX = 600
"""Files start expanded only while their diff lines add up to at most this."""

_STATUS_TAGS = {"modified": "M", "added": "A", "deleted": "D", "renamed": "R", "binary": "B"}
_LINE_CLASSES = {"+": "hunk-view--line-added", "-": "hunk-view--line-removed", " ": ""}
_NUMBER_CLASSES = {
    "+": "hunk-view--number-added",
    "-": "hunk-view--number-removed",
    " ": "hunk-view--number",
}


_VISIBLE_CONTROLS = {
    **{code: chr(0x2400 + code) for code in range(32) if chr(code) not in "\t\n"},
    0x0D: None,
    0x7F: "␡",
    0x85: "␤",
    0x2028: "␤",
    0x2029: "␤",
}
"""Control characters as their visible pictures: they must not reach the terminal, and the
line separators among them would otherwise split lines and shift the highlighting."""


@lru_cache(maxsize=256)
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

    def _render_strips(self, width: int) -> list[Strip]:
        """All lines of the hunk at this width, cached until the width or mode changes."""
        key = (width, self.split, self.decision, self.app.theme)
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
        header = Content(self.hunk.header.translate(_VISIBLE_CONTROLS))
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
        code = code.translate(_VISIBLE_CONTROLS).expandtabs(4)
        theme = highlight.HighlightTheme
        if getattr(self.app.current_theme, "ansi", False):
            dark = self.app.current_theme.dark
            theme = highlight.ANSIDarkHighlightTheme if dark else highlight.ANSILightHighlightTheme
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


class FileSection(Collapsible):
    """One file: a title with its status and counts, and its hunks, mounted on first expand."""

    DEFAULT_CSS = """
    FileSection {
        padding: 0;
        border-top: none;
        background: transparent;
        &:focus-within { background-tint: transparent 0%; }
        & > Contents { padding: 0 0 0 1; }
        &.-current > CollapsibleTitle { background: $block-cursor-blurred-background; }
    }
    """

    def __init__(self, file_diff: FileDiff, *, collapsed: bool, split: bool) -> None:
        self.file_diff = file_diff
        self.hunk_views: list[HunkView] = []
        self._split = split
        self._populated = not collapsed
        children = self._make_hunk_views() if not collapsed else []
        super().__init__(*children, title=_file_title(file_diff), collapsed=collapsed)
        self._title.can_focus = False

    def _watch_collapsed(self, collapsed: bool) -> None:
        super()._watch_collapsed(collapsed)
        if not collapsed and self.is_mounted:
            self.populate()

    def populate(self) -> None:
        """Mount this file's hunks if they are not mounted yet."""
        if self._populated:
            return
        self._populated = True
        self.get_child_by_type(Collapsible.Contents).mount_all(self._make_hunk_views())

    def set_split(self, split: bool) -> None:
        """Switch every hunk of this file (mounted now or later) to split or unified."""
        self._split = split
        for view in self.hunk_views:
            view.split = split

    def _make_hunk_views(self) -> list[HunkView]:
        path = self.file_diff.path
        self.hunk_views = [
            HunkView(path, index, hunk, split=self._split)
            for index, hunk in enumerate(self.file_diff.hunks)
        ]
        if not self.hunk_views:
            return [Static(_no_hunks_text(self.file_diff), classes="-no-hunks", markup=False)]
        return list(self.hunk_views)


def _file_title(file_diff: FileDiff) -> Content:
    tag = _STATUS_TAGS[file_diff.status]
    name = file_diff.path
    if file_diff.old_path is not None:
        name = f"{file_diff.old_path} → {file_diff.path}"
    parts: list[Content | tuple[str, str] | str] = [(tag, "bold"), " "]
    parts.append(name.translate(_VISIBLE_CONTROLS))
    if file_diff.hunks:
        parts += ["  ", (f"+{file_diff.added}", "$text-success"), " "]
        parts += [(f"-{file_diff.removed}", "$text-error")]
    return Content.assemble(*parts)


def _no_hunks_text(file_diff: FileDiff) -> str:
    if file_diff.status == "binary":
        return "Binary file: contents not shown."
    if file_diff.status == "renamed":
        return "Renamed without changes."
    return "No line changes (mode or metadata only)."


class ReviewPane(VerticalScroll, can_focus=True):
    """Changes to review: one collapsible section per file, one highlighted hunk at a time.

    `source` says where the diff came from. "git" (the working tree) is
    read-only; any other source (a model proposal) lets the user accept or
    reject hunks, which the pane forwards as messages for the screen to apply.
    """

    BORDER_TITLE = "Review"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down,j", "next_hunk", "Next hunk", show=False),
        Binding("up,k", "previous_hunk", "Previous hunk", show=False),
        Binding("enter,space", "toggle_file", "Fold file"),
        Binding("s", "toggle_split", "Split/unified"),
        Binding("r", "refresh_diff", "Refresh"),
        Binding("a", "accept_hunk", "Accept hunk"),
        Binding("x", "reject_hunk", "Reject hunk"),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | down, j | Move to the next hunk (or the next folded file). |
    | up, k | Move to the previous hunk (or the previous folded file). |
    | enter, space | Fold or unfold the current file. |
    | s | Toggle split (side by side) and unified views. |
    | r | Ask the screen to reload the diff. |
    | a | Accept the current hunk (proposals only). |
    | x | Reject the current hunk (proposals only). |
    """

    DEFAULT_CSS = """
    ReviewPane {
        border: round $foreground 25%;
        border-title-color: $text-muted;
        border-subtitle-color: $text-muted;
        &:focus { border: round $accent; border-title-color: $text; }
        & > #review-message { color: $text-muted; padding: 1 1; }
        & .-no-hunks { color: $text-muted; text-style: italic; padding: 0 1 1 1; }
        &:focus FileSection.-current > CollapsibleTitle {
            background: $block-cursor-background;
            color: $block-cursor-foreground;
        }
    }
    """

    split: reactive[bool] = reactive(False)
    """Show hunks side by side (old left, new right) instead of unified."""

    class RefreshRequested(Message):
        """The user asked for the diff to be reloaded."""

        def __init__(self, pane: ReviewPane) -> None:
            super().__init__()
            self.pane = pane

        @property
        def control(self) -> ReviewPane:
            return self.pane

    class HunkDecided(Message):
        """Base of the two answers below; handle one or the other, not this."""

        def __init__(self, pane: ReviewPane, path: str, hunk_index: int, source: str) -> None:
            super().__init__()
            self.pane = pane
            self.path = path
            self.hunk_index = hunk_index
            self.source = source

        @property
        def control(self) -> ReviewPane:
            return self.pane

    class HunkAccepted(HunkDecided):
        """The user accepted hunk `hunk_index` of `path` in a diff from `source`."""

    class HunkRejected(HunkDecided):
        """The user rejected hunk `hunk_index` of `path` in a diff from `source`."""

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.source = "git"
        self.files: list[FileDiff] = []
        self._sections: list[FileSection] = []
        self._current: tuple[int, int | None] | None = None
        self._folded: dict[str, bool] = {}
        self._mount_lock = asyncio.Lock()
        self._message = Static("", id="review-message", markup=False)

    def compose(self) -> ComposeResult:
        yield self._message

    def on_mount(self) -> None:
        self._replace_sections()

    def watch_split(self, split: bool) -> None:
        for section in self._sections:
            section.set_split(split)
        self._update_subtitle()

    # Public API

    @property
    def current_hunk(self) -> tuple[str, int] | None:
        """(path, hunk index) of the highlighted hunk, or None when a file header is current."""
        if self._current is None or self._current[1] is None:
            return None
        return self.files[self._current[0]].path, self._current[1]

    @property
    def current_path(self) -> str | None:
        """Path of the file the cursor is in."""
        return None if self._current is None else self.files[self._current[0]].path

    def show_diff(self, diff_text: str, *, source: str = "git") -> AwaitComplete:
        """Show a unified diff; a malformed one is reported in the pane, never raised."""
        try:
            files = parse_diff(diff_text)
        except DiffParseError as error:
            return self.show_message(error.message)
        return self.show_files(files, source=source)

    def show_files(self, files: list[FileDiff], *, source: str = "git") -> AwaitComplete:
        """Show parsed file diffs, keeping the cursor and folds of paths seen before."""
        previous = self.current_hunk or (self.current_path, None)
        if source != self.source:
            self._folded.clear()
        self.source = source
        self.files = list(files)
        self._sections = self._make_sections()
        self._show_text("" if files else self._empty_text())
        done = self._replace_sections()
        self._current = None
        self._move_to(self._find_stop(*previous))
        self._update_subtitle()
        return done

    def show_message(self, text: str) -> AwaitComplete:
        """Replace the diff with a plain message ("Not a git repository")."""
        self.files = []
        self._sections = []
        self._current = None
        self._show_text(text)
        self.border_subtitle = ""
        return self._replace_sections()

    # Actions

    def action_next_hunk(self) -> None:
        self._step(+1)

    def action_previous_hunk(self) -> None:
        self._step(-1)

    def action_toggle_file(self) -> None:
        if self._current is None:
            return
        file_index = self._current[0]
        section = self._sections[file_index]
        section.collapsed = not section.collapsed
        self._folded[section.file_diff.path] = section.collapsed
        has_hunks = bool(section.file_diff.hunks) and not section.collapsed
        self._move_to((file_index, 0 if has_hunks else None))

    def action_toggle_split(self) -> None:
        self.split = not self.split

    def action_refresh_diff(self) -> None:
        self.post_message(self.RefreshRequested(self))

    def action_accept_hunk(self) -> None:
        self._decide("accepted")

    def action_reject_hunk(self) -> None:
        self._decide("rejected")

    # Handlers

    @on(Collapsible.Toggled)
    def _file_toggled(self, event: Collapsible.Toggled) -> None:
        """A click on a file title: remember the fold and keep the cursor on a visible stop."""
        if (
            not isinstance(event.collapsible, FileSection)
            or event.collapsible not in self._sections
        ):
            return
        section = event.collapsible
        self._folded[section.file_diff.path] = section.collapsed
        if self._current is not None and self._sections[self._current[0]] is section:
            self._move_to((self._current[0], None if section.collapsed else self._current[1]))

    def on_hunk_view_selected(self, event: HunkView.Selected) -> None:
        event.stop()
        view = event.hunk_view
        for file_index, section in enumerate(self._sections):
            if view in section.hunk_views:
                self._move_to((file_index, view.index))
                return

    # Internals

    def _make_sections(self) -> list[FileSection]:
        sections = []
        expanded_files = expanded_lines = 0
        for file_diff in self.files:
            size = sum(len(hunk.lines) for hunk in file_diff.hunks)
            fits = (
                expanded_files < EXPANDED_FILES_MAX and expanded_lines + size <= EXPANDED_LINES_MAX
            )
            collapsed = self._folded.get(file_diff.path, not fits)
            if not collapsed:
                expanded_files += 1
                expanded_lines += size
            sections.append(FileSection(file_diff, collapsed=collapsed, split=self.split))
        return sections

    def _replace_sections(self) -> AwaitComplete:
        """Swap in `_sections` (again on mount, if the pane was fed before it mounted).

        The lock keeps back-to-back calls in order; a call overtaken by a newer
        one, or repeating a finished one, does nothing.
        """
        sections = self._sections

        async def replace() -> None:
            async with self._mount_lock:
                stale = sections is not self._sections
                done = bool(sections) and sections[0].is_attached
                if stale or done or not self.is_mounted:
                    return
                with self.app.batch_update():
                    await self.query_children(FileSection).remove()
                    if sections:
                        await self.mount_all(sections)

        return AwaitComplete(replace())

    def _show_text(self, text: str) -> None:
        self._message.update(text)
        self._message.display = bool(text)

    def _empty_text(self) -> str:
        return "No changes in the working tree" if self.source == "git" else "No proposed changes"

    def _update_subtitle(self) -> None:
        label = "working tree" if self.source == "git" else self.source
        count = len(self.files)
        if count == 0:
            self.border_subtitle = f"{label} · no changes"
            return
        added = sum(file_diff.added for file_diff in self.files)
        removed = sum(file_diff.removed for file_diff in self.files)
        parts = [label, f"{count} file{'s' if count != 1 else ''}", f"+{added} -{removed}"]
        if self.split:
            parts.append("split")
        parts.append("read-only" if self.source == "git" else "a accept · x reject")
        self.border_subtitle = " · ".join(parts)

    def _stops(self) -> list[tuple[int, int | None]]:
        """Cursor positions: every hunk of an unfolded file, the header of a folded one."""
        stops: list[tuple[int, int | None]] = []
        for file_index, section in enumerate(self._sections):
            hunk_count = len(section.file_diff.hunks)
            if section.collapsed or hunk_count == 0:
                stops.append((file_index, None))
            else:
                stops.extend((file_index, hunk_index) for hunk_index in range(hunk_count))
        return stops

    def _find_stop(self, path: str | None, hunk_index: int | None) -> tuple[int, int | None] | None:
        """The stop for a path (and hunk) shown before a refresh, else the first stop."""
        stops = self._stops()
        for file_index, file_diff in enumerate(self.files):
            if file_diff.path != path:
                continue
            in_file = [stop for stop in stops if stop[0] == file_index]
            return next((stop for stop in in_file if stop[1] == hunk_index), in_file[0])
        return stops[0] if stops else None

    def _step(self, delta: int) -> None:
        stops = self._stops()
        if not stops:
            return
        if self._current not in stops:
            self._move_to(stops[0])
            return
        position = stops.index(self._current) + delta
        self._move_to(stops[max(0, min(len(stops) - 1, position))])

    def _move_to(self, stop: tuple[int, int | None] | None) -> None:
        """Make `stop` current: highlight its hunk (or file title) and scroll it into view."""
        if self._current is not None:
            self._widget_at(self._current).remove_class("-current")
        self._current = stop
        if stop is None:
            return
        widget = self._widget_at(stop)
        widget.add_class("-current")
        self.call_after_refresh(self.scroll_to_widget, widget, animate=False)

    def _widget_at(self, stop: tuple[int, int | None]) -> Widget:
        section = self._sections[stop[0]]
        if stop[1] is None:
            return section
        section.populate()
        return section.hunk_views[stop[1]]

    def _decide(self, decision: Decision) -> None:
        """Forward an accept/reject for the current hunk; git diffs are read-only."""
        current = self.current_hunk
        if current is None:
            self.app.bell()
            return
        if self.source == "git":
            self.notify("The working tree diff is read-only.", severity="warning")
            return
        path, hunk_index = current
        message_type = self.HunkAccepted if decision == "accepted" else self.HunkRejected
        self.post_message(message_type(self, path, hunk_index, self.source))
        assert self._current is not None
        view = self._widget_at(self._current)
        if isinstance(view, HunkView):
            view.decision = decision
        self._step(+1)
