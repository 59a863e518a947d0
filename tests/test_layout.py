import pytest

from aiide_tui.ui import layout


@pytest.mark.parametrize(
    ("width", "mode"),
    [
        (200, "wide"),
        (140, "wide"),
        (139, "medium"),
        (100, "medium"),
        (99, "narrow"),
        (40, "narrow"),
    ],
)
def test_layout_follows_width(width, mode):
    assert layout.layout_for_width(width) == mode


def test_configured_layout_wins_over_width():
    assert layout.layout_for_width(200, "narrow") == "narrow"
    assert layout.layout_for_width(60, "wide") == "wide"


def test_visible_regions():
    assert layout.visible_regions("wide", "chat", "editor") == set(layout.REGIONS)
    assert layout.visible_regions("medium", "review", "files") == {"files", "editor", "review"}
    assert layout.visible_regions("narrow", "chat", "review") == {"review"}


def test_cycling_visits_every_region_and_wraps():
    seen = ["files"]
    for _ in layout.REGIONS:
        seen.append(layout.next_region(seen[-1]))
    assert seen[:4] == list(layout.REGIONS) and seen[4] == "files"
    assert layout.other_side_panel("chat") == "review"
    assert layout.other_side_panel("review") == "chat"
