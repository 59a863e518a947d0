"""Which regions a terminal of a given width shows: pure rules, tested without a screen."""

from __future__ import annotations

from typing import Literal

LayoutMode = Literal["wide", "medium", "narrow"]
REGIONS = ("files", "editor", "chat", "review")
SIDE_PANELS = ("chat", "review")

WIDE_MIN_COLUMNS = 140
MEDIUM_MIN_COLUMNS = 100


def layout_for_width(width: int, preference: str = "auto") -> LayoutMode:
    """Wide shows all four regions, medium one side panel, narrow one region at a time."""
    if preference in ("wide", "medium", "narrow"):
        return preference  # type: ignore[return-value]
    if width >= WIDE_MIN_COLUMNS:
        return "wide"
    if width >= MEDIUM_MIN_COLUMNS:
        return "medium"
    return "narrow"


def visible_regions(mode: LayoutMode, side_panel: str, focused_region: str) -> set[str]:
    """The regions on screen for `mode` (medium: the chosen side panel; narrow: one)."""
    if mode == "wide":
        return set(REGIONS)
    if mode == "medium":
        return {"files", "editor", side_panel}
    return {focused_region}


def next_region(current: str, step: int = 1) -> str:
    return REGIONS[(REGIONS.index(current) + step) % len(REGIONS)]


def other_side_panel(current: str) -> str:
    return SIDE_PANELS[(SIDE_PANELS.index(current) + 1) % len(SIDE_PANELS)]
