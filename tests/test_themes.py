"""The shipped themes: they load, they are readable all day, and bad files are named."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Static

from aiide_tui.errors import ConfigError
from aiide_tui.themes import THEMES_DIR, load_theme_file, load_themes

REPO_THEMES = Path(__file__).parent.parent / "themes"
GROUNDS = ("background", "surface", "panel")
ACCENTS = ("primary", "secondary", "accent", "success", "warning", "error")


def contrast(first: str, second: str) -> float:
    """WCAG 2 contrast ratio of two colours."""

    def luminance(text: str) -> float:
        def channel(value: int) -> float:
            value_f = value / 255
            return value_f / 12.92 if value_f <= 0.03928 else ((value_f + 0.055) / 1.055) ** 2.4

        color = Color.parse(text)
        return 0.2126 * channel(color.r) + 0.7152 * channel(color.g) + 0.0722 * channel(color.b)

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_the_package_finds_the_repository_themes():
    assert THEMES_DIR.resolve() == REPO_THEMES.resolve()
    assert sorted(path.name for path in THEMES_DIR.glob("*.toml")) == ["dark.toml", "light.toml"]


def test_both_themes_load_with_their_names():
    themes = {theme.name: theme for theme in load_themes()}
    assert set(themes) == {"aiide-dark", "aiide-light"}
    assert themes["aiide-dark"].dark is True
    assert themes["aiide-light"].dark is False


@pytest.mark.parametrize("theme", load_themes(), ids=lambda theme: theme.name)
def test_text_and_accents_are_readable_on_every_ground(theme):
    for ground in GROUNDS:
        background = getattr(theme, ground)
        assert contrast(theme.foreground, background) >= 7.0, ground
        for accent in ACCENTS:
            assert contrast(getattr(theme, accent), background) >= 4.5, (accent, ground)


@pytest.mark.parametrize("theme", load_themes(), ids=lambda theme: theme.name)
def test_grounds_are_distinct_but_close(theme):
    for lower, upper in ((theme.background, theme.surface), (theme.surface, theme.panel)):
        assert 1.02 <= contrast(lower, upper) <= 1.5


class ThemedApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("themed")


async def test_a_textual_app_applies_the_themes():
    app = ThemedApp()
    async with app.run_test() as pilot:
        for theme in load_themes():
            app.register_theme(theme)
            app.theme = theme.name
            await pilot.pause()
            variables = app.get_css_variables()
            assert Color.parse(variables["background"]) == Color.parse(theme.background)
            assert Color.parse(variables["border"]) == Color.parse(theme.variables["border"])


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_bad_theme_file_lists_every_problem_with_its_file(tmp_path):
    path = write(
        tmp_path,
        "bad.toml",
        'name = "bad"\nprimary = "#12345z"\ndark = "yes"\ncolour = "#000"\n'
        '[variables]\n"boarder" = "#fff"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_themes(tmp_path)
    lines = caught.value.message.splitlines()
    assert all(line.startswith(f"{path}: ") for line in lines)
    text = caught.value.message
    assert "unknown field 'colour'" in text
    assert "primary: " in text
    assert "dark: expected true or false" in text
    assert "variables.boarder: not a Textual design variable" in text


def test_a_theme_needs_a_name_and_a_primary_colour(tmp_path):
    path = write(tmp_path, "empty.toml", "dark = true\n")
    with pytest.raises(ConfigError) as caught:
        load_theme_file(path)
    assert f"{path}: name: expected a non-empty string" in caught.value.message
    assert f"{path}: primary: a theme needs at least a primary colour" in caught.value.message


def test_invalid_toml_and_duplicate_names_are_named(tmp_path):
    broken = write(tmp_path, "broken.toml", 'name = "x\n')
    with pytest.raises(ConfigError) as caught:
        load_theme_file(broken)
    assert caught.value.message.startswith(f"{broken}:1: invalid TOML: ")
    broken.unlink()
    write(tmp_path, "a.toml", 'name = "same"\nprimary = "#336699"\n')
    second = write(tmp_path, "b.toml", 'name = "same"\nprimary = "#663399"\n')
    with pytest.raises(ConfigError) as caught:
        load_themes(tmp_path)
    assert caught.value.message.startswith(f"{second}: theme 'same' is already defined in ")
