"""Go to file: the project's paths in Textual's fuzzy command palette.

Paths are shown as plain text: a path such as `pages/[id].js` is not markup
(Textual's simple command list, and its fuzzy highlighter, read names as
markup: `[/x]` in a path crashed the palette).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial

from textual.command import CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.markup import escape


def goto_file_palette(paths: Sequence[str], open_file: Callable[[str], object]) -> CommandPalette:
    """A palette over `paths` that calls `open_file` with the one chosen."""

    class Files(Provider):
        async def discover(self) -> Hits:
            for path in paths:
                yield DiscoveryHit(Content(path), partial(open_file, path), text=path)

        async def search(self, query: str) -> Hits:
            matcher = self.matcher(query)
            for path in paths:
                if (score := matcher.match(path)) > 0:
                    shown = matcher.highlight(escape(path))  # it reads its input as markup
                    yield Hit(score, shown, partial(open_file, path), text=path)

    return CommandPalette(providers=[Files], placeholder="Go to file…")
