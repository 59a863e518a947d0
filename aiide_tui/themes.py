"""The themes shipped with aiide, read from the TOML files in the top-level `themes/`.

A theme file holds the fields of `textual.theme.Theme` (name, colours, dark,
and a `[variables]` table of Textual's design variables). Files are checked
strictly: a misspelt field or variable would otherwise be ignored without a
word and the theme would look subtly wrong.
"""

from __future__ import annotations

import dataclasses
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiide_tui.config import toml_error_message
from aiide_tui.errors import ConfigError

if TYPE_CHECKING:
    from textual.theme import Theme

THEMES_DIR = Path(__file__).parent / "themes"
"""`aiide_tui/themes` links to the repository's `themes/`; wheels carry the files."""

COLOR_FIELDS = (
    "primary", "secondary", "accent", "foreground", "background",
    "surface", "panel", "boost", "success", "warning", "error",
)  # fmt: skip
NUMBER_FIELDS = ("luminosity_spread", "text_alpha")
BOOL_FIELDS = ("dark", "ansi")


def load_themes(directory: Path = THEMES_DIR) -> list[Theme]:
    """Every `*.toml` theme in `directory`, in file-name order.

    Raises:
        ConfigError: naming the file (and the field) that is not a valid theme,
            or two files that use one name.
    """
    themes: list[Theme] = []
    seen: dict[str, Path] = {}
    for path in sorted(directory.glob("*.toml")):
        theme = load_theme_file(path)
        if theme.name in seen:
            raise ConfigError(
                f"{path}: theme {theme.name!r} is already defined in {seen[theme.name]}"
            )
        seen[theme.name] = path
        themes.append(theme)
    return themes


def load_theme_file(path: Path) -> Theme:
    """One theme file as a Textual `Theme`.

    Raises:
        ConfigError: the file is unreadable, not TOML, or not a valid theme;
            every problem in it is listed.
    """
    from textual.theme import Theme

    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read theme: {error}") from error
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(toml_error_message(path, text, error)) from error
    problems = _problems(data)
    if problems:
        raise ConfigError("\n".join(f"{path}: {problem}" for problem in problems))
    return Theme(**data)


def _problems(data: dict[str, Any]) -> list[str]:
    """What is wrong with a theme table, one message per field."""
    from textual.theme import Theme

    known = {item.name for item in dataclasses.fields(Theme)}
    problems = [f"unknown field {name!r}" for name in data if name not in known]
    if not isinstance(data.get("name"), str) or not data.get("name"):
        problems.append("name: expected a non-empty string")
    if "primary" not in data:
        problems.append("primary: a theme needs at least a primary colour")
    for name in COLOR_FIELDS:
        if name in data and (reason := _color_problem(data[name])):
            problems.append(f"{name}: {reason}")
    for name in BOOL_FIELDS:
        if name in data and not isinstance(data[name], bool):
            problems.append(f"{name}: expected true or false")
    for name in NUMBER_FIELDS:
        if name in data and not isinstance(data[name], (int, float)):
            problems.append(f"{name}: expected a number")
    problems.extend(_variable_problems(data.get("variables", {})))
    return problems


def _color_problem(value: object) -> str | None:
    from textual.color import Color, ColorParseError

    if not isinstance(value, str):
        return 'expected a colour such as "#1e2430"'
    try:
        Color.parse(value)
    except ColorParseError as error:
        return str(error)
    return None


def _variable_problems(variables: object) -> list[str]:
    """Variables must be ones Textual's design system defines, with string values."""
    from textual.theme import Theme

    if not isinstance(variables, dict):
        return ["variables: expected a table"]
    known = set(Theme(name="probe", primary="#000000").to_color_system().generate())
    problems = []
    for name, value in variables.items():
        if name not in known:
            problems.append(f"variables.{name}: not a Textual design variable")
        elif not isinstance(value, str):
            problems.append(f"variables.{name}: expected a string")
    return problems
