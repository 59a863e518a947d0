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
from collections.abc import Collection, Mapping, Sequence
from dataclasses import replace
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Collapsible, Static

from aiide_tui.keymap import ACTIONS_BY_ID
from aiide_tui.review import DiffParseError, FileDiff, Hunk, parse_diff
from aiide_tui.ui.terminal_output import visible
from aiide_tui.ui.widgets.hunk_view import Decision, HunkView

__all__ = ["FileSection", "HunkView", "ReviewPane"]


EXPANDED_FILES_MAX = 12
"""At most this many files start expanded (with their hunks mounted)."""
EXPANDED_LINES_MAX = 600
"""Files start expanded only while their diff lines add up to at most this."""

_STATUS_TAGS = {
    "modified": "M", "added": "A", "untracked": "U", "deleted": "D", "renamed": "R", "binary": "B",
    "conflict": "C",
}  # fmt: skip
"""The file tree's letters."""


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

    def set_file(self, file_diff: FileDiff) -> None:
        """Show a new version of this file's diff with the same hunks (one of them edited)."""
        self.file_diff = file_diff
        self.title = _file_title(file_diff)
        for view, hunk in zip(self.hunk_views, file_diff.hunks, strict=False):
            view.set_hunk(hunk)

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
    parts.append(visible(name))
    if file_diff.hunks:
        parts += ["  ", (f"+{file_diff.added}", "$text-success"), " "]
        parts += [(f"-{file_diff.removed}", "$text-error")]
    if file_diff.mode:
        parts += ["  ", (file_diff.mode, "$text-warning")]
    return Content.assemble(*parts)


def _no_hunks_text(file_diff: FileDiff) -> str:
    if file_diff.status == "binary":
        return "Binary file: contents not shown."
    if file_diff.status == "renamed":
        return "Renamed without changes."
    if file_diff.status in ("added", "untracked"):
        return "A new, empty file."
    if file_diff.status == "deleted":
        return "An empty file, deleted."
    if file_diff.mode:
        return f"No line changes: {file_diff.mode}."
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
        Binding("home,g", "first_hunk", "First hunk", show=False),
        Binding("end,G", "last_hunk", "Last hunk", show=False),
        Binding("enter,space", "toggle_file", "Fold file"),
        Binding("s", "toggle_split", "Split/unified"),
        Binding("r", "refresh_diff", "Refresh"),
        Binding("a", "accept_hunk", "Accept hunk"),
        Binding("x", "reject_hunk", "Reject hunk"),
        Binding(ACTIONS_BY_ID["edit_hunk"].default_keys, "edit_hunk", "Edit hunk", id="edit_hunk"),
    ]
    """
    | Key(s) | Description |
    | :- | :- |
    | down, j | Move to the next hunk (or the next folded file). |
    | up, k | Move to the previous hunk (or the previous folded file). |
    | home, g / end, G | Move to the first / last hunk (the view scrolls with it). |
    | enter, space | Fold or unfold the current file. |
    | s | Toggle split (side by side) and unified views. |
    | r | Ask the screen to reload the diff. |
    | a | Accept the current hunk (proposals only). |
    | x | Reject the current hunk (proposals only). |
    | e | Edit the current hunk's new lines before deciding (proposals only; keymap id
    `edit_hunk`). |
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

    class HunkMessage(Message):
        """Base of the messages about hunk `hunk_index` of `path` in a diff from `source`;
        handle one of those below, not this."""

        def __init__(self, pane: ReviewPane, path: str, hunk_index: int, source: str) -> None:
            super().__init__()
            self.pane = pane
            self.path = path
            self.hunk_index = hunk_index
            self.source = source

        @property
        def control(self) -> ReviewPane:
            return self.pane

    class HunkAccepted(HunkMessage):
        """The user accepted the hunk."""

    class HunkRejected(HunkMessage):
        """The user rejected the hunk."""

    class HunkEditRequested(HunkMessage):
        """The user wants to rewrite the new side of the hunk (`hunk`)."""

        def __init__(
            self, pane: ReviewPane, path: str, hunk_index: int, hunk: Hunk, source: str
        ) -> None:
            super().__init__(pane, path, hunk_index, source)
            self.hunk = hunk

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.source = "git"
        self.files: list[FileDiff] = []
        self.not_shown = 0
        """Untracked files the last git diff had no room for."""
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

    def show_diff(
        self,
        diff_text: str,
        *,
        source: str = "git",
        not_shown: Sequence[str] = (),
        untracked: Collection[str] = (),
        conflicts: Collection[str] = (),
    ) -> AwaitComplete:
        """Show a unified diff; a malformed one is reported in the pane, never raised.

        `not_shown` names untracked files the diff has no room for: the subtitle
        counts them. The new files named in `untracked` are marked U, and those in
        `conflicts` (a merge left markers in them) C, as in the tree.
        """
        try:
            files = parse_diff(diff_text)
        except DiffParseError as error:
            return self.show_message(error.message)
        files = [
            replace(f, status="untracked") if f.status == "added" and f.path in untracked else f
            for f in files
        ]
        files = [replace(f, status="conflict") if f.path in conflicts else f for f in files]
        self.not_shown = len(not_shown)
        return self.show_files(files, source=source)

    def show_files(self, files: list[FileDiff], *, source: str = "git") -> AwaitComplete:
        """Show parsed file diffs, keeping the cursor and folds of paths seen before."""
        previous = self.current_hunk or (self.current_path, None)
        if source != self.source:
            self._folded.clear()
            self.source = source
            self.refresh_bindings()  # the deciding keys dim on the read-only git diff
        self.files = list(files)
        self._sections = self._make_sections()
        self._show_text("" if files else self._empty_text())
        done = self._replace_sections()
        self._current = None
        self._move_to(self._find_stop(*previous))
        self._update_subtitle()
        return done

    def replace_file(
        self, file_diff: FileDiff, *, decisions: Mapping[int, Decision], edited: set[int]
    ) -> AwaitComplete:
        """Show a new version of one file's diff in place, keeping cursor and folds.

        With the same number of hunks (a hunk was edited) only its hunks are
        redrawn; otherwise the whole diff is shown again.
        """
        index = next((i for i, f in enumerate(self.files) if f.path == file_diff.path), None)
        if index is None or len(self.files[index].hunks) != len(file_diff.hunks):
            files = [file_diff if f.path == file_diff.path else f for f in self.files]
            return self.show_files(files, source=self.source)
        self.files[index] = file_diff
        section = self._sections[index]
        section.set_file(file_diff)
        for hunk_index, view in enumerate(section.hunk_views):
            view.decision = decisions.get(hunk_index)
            view.edited = hunk_index in edited
        self._update_subtitle()
        return AwaitComplete.nothing()

    def set_decision(self, path: str, hunk_index: int, decision: Decision | None) -> None:
        """Show a hunk's decision as the service has it (None: waiting, after a failed write)."""
        index = next((i for i, f in enumerate(self.files) if f.path == path), None)
        if index is not None and hunk_index < len(self._sections[index].hunk_views):
            self._sections[index].hunk_views[hunk_index].decision = decision
            self._update_subtitle()

    def show_message(self, text: str) -> AwaitComplete:
        """Replace the diff with a plain message ("Not a git repository")."""
        self.files = []
        self._sections = []
        self._current = None
        self._show_text(text)
        self.border_subtitle = ""
        return self._replace_sections()

    # Actions

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Deciding keys are left out of the footer on the read-only git diff (shown dimmed,
        they looked like keys that failed silently)."""
        deciding = action in ("accept_hunk", "reject_hunk", "edit_hunk")
        return not (deciding and self.source == "git")

    def action_next_hunk(self) -> None:
        self._step(+1)

    def action_previous_hunk(self) -> None:
        self._step(-1)

    def action_first_hunk(self) -> None:
        self._step(-len(self._stops()))

    def action_last_hunk(self) -> None:
        self._step(len(self._stops()))

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

    def action_edit_hunk(self) -> None:
        """Ask the screen to open the current hunk for editing; git diffs are read-only."""
        current = self._proposed_hunk()
        if current is None:
            return
        path, hunk_index = current
        assert self._current is not None
        hunk = self.files[self._current[0]].hunks[hunk_index]
        self.post_message(self.HunkEditRequested(self, path, hunk_index, hunk, self.source))

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
        hidden = self.not_shown if self.source == "git" else 0
        untracked = f"{hidden:,} untracked not shown" if hidden else ""
        if count == 0:
            self.border_subtitle = " · ".join(filter(None, [label, untracked or "no changes"]))
            return
        added = sum(file_diff.added for file_diff in self.files)
        removed = sum(file_diff.removed for file_diff in self.files)
        parts = [label, f"{count} file{'s' if count != 1 else ''}", f"+{added} -{removed}"]
        if self.split:
            parts.append("split")
        parts.append("read-only" if self.source == "git" else "a accept · x reject · e edit")
        if untracked:
            parts.append(untracked)
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
        if stop[1] == 0:  # a file's first hunk: its title (name, counts) comes into view too
            widget = self._sections[stop[0]]
        self.call_after_refresh(self.scroll_to_widget, widget, animate=False)

    def _widget_at(self, stop: tuple[int, int | None]) -> Widget:
        section = self._sections[stop[0]]
        if stop[1] is None:
            return section
        section.populate()
        return section.hunk_views[stop[1]]

    def _proposed_hunk(self) -> tuple[str, int] | None:
        """The current hunk when it belongs to a proposal; else say why not (None)."""
        current = self.current_hunk
        if current is None:
            self.app.bell()
        elif self.source == "git":
            self.notify("The working tree diff is read-only.", severity="warning")
            return None
        return current

    def _decide(self, decision: Decision) -> None:
        """Forward an accept/reject for the current hunk; git diffs are read-only."""
        current = self._proposed_hunk()
        if current is None:
            return
        path, hunk_index = current
        message_type = self.HunkAccepted if decision == "accepted" else self.HunkRejected
        self.post_message(message_type(self, path, hunk_index, self.source))
        assert self._current is not None
        view = self._widget_at(self._current)
        if isinstance(view, HunkView):
            view.decision = decision
        self._step(+1)
