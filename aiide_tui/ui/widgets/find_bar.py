"""The editor's find bar: a query line docked under the document, and where the match stands.

The bar only asks: it posts what the user wants found (or replaced) and
shows the answer the editor gives back ("2 of 5", "no matches"); the editor
searches and edits its active document.
"""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import Input, Label
from textual.widgets.text_area import Selection

from aiide_tui.ui.widgets.ordered_keys import OrderedInput

__all__ = ["FindBar", "next_match"]


def next_match(matches: Sequence[Selection], current: Selection, *, backward: bool) -> int | None:
    """Index of the match after `current` (or before it), wrapping round; None if no matches.

    Forward, a match starting at or after the end of `current` comes next, so an
    empty selection at a match finds that match; backward, the nearest match
    starting before `current` does.
    """
    if not matches:
        return None
    start, end = sorted(current)
    if backward:
        before = [index for index, match in enumerate(matches) if match.start < start]
        return before[-1] if before else len(matches) - 1
    return next((index for index, match in enumerate(matches) if match.start >= end), 0)


class FindBar(Horizontal):
    """Find (and replace) in the active document.

    | Key(s) | Description |
    | :- | :- |
    | enter, f3 | Select the next match (in the replace field: replace it, then go on). |
    | shift+enter, shift+f3 | Select the previous match. |
    | alt+a | Replace every match (one undo step). |
    | alt+c | Toggle case-sensitive matching. |
    | escape | Close the bar. |
    """

    BINDINGS: list[BindingType] = [
        Binding("shift+enter,shift+f3", "find(True)", "Previous", show=True),
        Binding("f3", "find(False)", "Next", show=False),
        # priority: the focused field would otherwise type the "a" or "c" that ESC a sends
        Binding("alt+a", "replace_all", "Replace all", show=True, priority=True),
        Binding("alt+c", "toggle_case", "Match case", show=True, priority=True),
        Binding("escape", "close", "Close", show=True),
    ]

    DEFAULT_CSS = """
    FindBar {
        dock: bottom;
        height: 1;
        background: $panel;
        display: none;
        &.-open { display: block; }
        & > Label { padding: 0 1; color: $text-muted; }
        & > #find-status { width: auto; min-width: 12; }
        & > #find-status.-none { color: $text-error; }
        & > #find-case { width: auto; }
        & > #find-case.-on { color: $text; text-style: bold; }
        & > #replace-label, & > #replace-input { display: none; }
        &.-replace > #replace-label, &.-replace > #replace-input { display: block; }
        &.-narrow > #find-label, &.-replace.-narrow > #replace-label { display: none; }
        &.-narrow > #find-status { min-width: 0; }
        & > Input {
            width: 1fr;
            height: 1;
            border: none;
            padding: 0;
            background: $panel;
            &:focus { background: $boost; }
        }
    }
    """

    NARROW = 70
    """Below this many columns the field labels go (the placeholders say the same), so the
    fields keep room to show what is typed."""

    case_sensitive: reactive[bool] = reactive(False)
    """Whether matching respects case (off by default)."""

    class FindRequested(Message):
        """The user asked for the next (or previous) match of `query`."""

        def __init__(self, bar: FindBar, query: str, backward: bool) -> None:
            super().__init__()
            self.bar = bar
            self.query = query
            self.backward = backward
            self.case_sensitive = bar.case_sensitive

        @property
        def control(self) -> FindBar:
            return self.bar

    class QueryChanged(Message):
        """The query (or its case sensitivity) changed: the match count needs refreshing."""

        def __init__(self, bar: FindBar, query: str) -> None:
            super().__init__()
            self.bar = bar
            self.query = query
            self.case_sensitive = bar.case_sensitive

        @property
        def control(self) -> FindBar:
            return self.bar

    class ReplaceRequested(Message):
        """The user asked to replace the selected match of `query` (then select the next),
        or every match (`everywhere`)."""

        def __init__(self, bar: FindBar, query: str, replacement: str, everywhere: bool) -> None:
            super().__init__()
            self.bar = bar
            self.query = query
            self.replacement = replacement
            self.everywhere = everywhere
            self.case_sensitive = bar.case_sensitive

        @property
        def control(self) -> FindBar:
            return self.bar

    class Closed(Message):
        """The user closed the bar."""

        def __init__(self, bar: FindBar) -> None:
            super().__init__()
            self.bar = bar

        @property
        def control(self) -> FindBar:
            return self.bar

    def on_resize(self) -> None:
        self.set_class(self.size.width < self.NARROW, "-narrow")

    def compose(self) -> ComposeResult:
        yield Label("Find", id="find-label")
        yield OrderedInput(placeholder="text to find", id="find-input", compact=True)
        yield Label("Replace", id="replace-label")
        yield OrderedInput(placeholder="replace with", id="replace-input", compact=True)
        yield Label("Aa", id="find-case")
        yield Label("", id="find-status")

    @property
    def input(self) -> Input:
        return self.query_one("#find-input", Input)

    @property
    def query_text(self) -> str:
        """The text being searched for."""
        return self.input.value

    @property
    def status(self) -> str:
        """What the bar says about the matches ("2 of 5", "no matches", or nothing)."""
        return str(self.query_one("#find-status", Label).content)

    @property
    def is_open(self) -> bool:
        return self.has_class("-open")

    def watch_case_sensitive(self, case_sensitive: bool) -> None:
        if self.is_mounted:
            self.query_one("#find-case", Label).set_class(case_sensitive, "-on")
            self.post_message(self.QueryChanged(self, self.query_text))

    @on(Input.Submitted, "#find-input")
    def _next(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_find(False)

    @on(Input.Submitted, "#replace-input")
    def _replace_one(self, event: Input.Submitted) -> None:
        event.stop()
        self._ask_replace(everywhere=False)

    @on(Input.Changed, "#find-input")
    def _changed(self, event: Input.Changed) -> None:
        event.stop()
        self.post_message(self.QueryChanged(self, event.value))

    def action_find(self, backward: bool) -> None:
        self.post_message(self.FindRequested(self, self.query_text, backward))

    def action_replace_all(self) -> None:
        if self.has_class("-replace"):
            self._ask_replace(everywhere=True)

    def _ask_replace(self, *, everywhere: bool) -> None:
        replacement = self.query_one("#replace-input", Input).value
        self.post_message(self.ReplaceRequested(self, self.query_text, replacement, everywhere))

    def action_toggle_case(self) -> None:
        self.case_sensitive = not self.case_sensitive

    def action_close(self) -> None:
        self.remove_class("-open", "-replace")
        self.post_message(self.Closed(self))

    def open(self, query: str | None = None, *, replace: bool = False) -> None:
        """Show the bar and focus its input (pre-filled with `query`, all of it selected);
        with `replace`, the replace field too."""
        self.add_class("-open")
        self.set_class(replace, "-replace")
        if query:
            self.input.value = query
        self.input.select_all()
        self.input.focus()

    def show_result(self, index: int | None, total: int) -> None:
        """Show where the selected match stands (`index` is 0-based; None if none selected)."""
        if not self.query_text:
            text = ""
        elif total == 0:
            text = "no matches"
        elif index is None:
            text = f"{total} match{'es' if total != 1 else ''}"
        else:
            text = f"{index + 1} of {total}"
        status = self.query_one("#find-status", Label)
        status.update(text)
        status.set_class(bool(self.query_text) and total == 0, "-none")
