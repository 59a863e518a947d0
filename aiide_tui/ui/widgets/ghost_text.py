"""Ghost text: a suggestion shown dim at the cursor, accepted whole, by word or by line.

`GhostText` is the state (what is left to insert, and where); `ghost_row_strip`
draws one of its lines below the cursor's line. `CodeView` owns one and
wires keys, edits and drawing to it. Textual's own `TextArea.suggestion`
draws only on the cursor's line, so the code view uses it for the first line
and draws the rest as extra rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

__all__ = ["GhostText"]

_WORD = re.compile(r"\s*(?:\w+|[^\w\s]+)")

Location = tuple[int, int]


@dataclass(frozen=True)
class GhostText:
    """What is left of a suggestion, and the cursor location it is shown at."""

    completion_id: str
    text: str
    anchor: Location
    accepted: int = 0
    """Characters of the suggestion inserted so far (typed or accepted)."""

    @property
    def first_line(self) -> str:
        """The part drawn on the cursor's own line."""
        return self.text.split("\n", 1)[0]

    @property
    def lines_below(self) -> list[str]:
        """The lines drawn as extra rows under the cursor's line."""
        return self.text.split("\n")[1:]

    def typed(self, inserted: str, cursor: Location) -> GhostText | None:
        """The ghost left after `inserted` was typed at the anchor; None when it no longer fits."""
        if not inserted or not self.text.startswith(inserted) or inserted == self.text:
            return None
        return replace(
            self,
            text=self.text[len(inserted) :],
            anchor=cursor,
            accepted=self.accepted + len(inserted),
        )

    def next_word(self) -> str:
        """Leading whitespace (line breaks too) and the word or run of symbols after it."""
        found = _WORD.match(self.text)
        return found.group(0) if found else self.text

    def next_line(self) -> str:
        """The rest of this line; at a line's end, the line break and the next line."""
        first, _, rest = self.text.partition("\n")
        if first.strip() or not rest:
            return first or self.text
        return "\n" + rest.split("\n", 1)[0]


def ghost_row_strip(
    text: str,
    *,
    style: Style,
    base_style: Style,
    gutter_width: int,
    gutter_style: Style | None,
    scroll_x: int,
    visible_width: int,
    total_width: int,
    tab_size: int,
) -> Strip:
    """One line of ghost text as a row of the editor: blank gutter, dim text, padded."""
    expanded = text.expandtabs(tab_size)
    strip = Strip([Segment(expanded, style)], cell_len(expanded))
    strip = strip.crop(scroll_x, scroll_x + visible_width).extend_cell_length(
        max(0, total_width - gutter_width), base_style
    )
    if gutter_width:
        gutter = Strip([Segment(" " * gutter_width, gutter_style)], gutter_width)
        strip = Strip.join([gutter, strip])
    return strip.apply_style(base_style)
