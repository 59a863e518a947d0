"""Subcommands beyond the core ones, one module each, found at start-up.

Each module here defines a click command named `command`; `register` adds them
all to the `aiide` group. Modules keep heavy imports inside their functions so
`aiide --help` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from pathlib import Path

    from rich.console import Console

    from aiide_tui.config import Config

PIPE_WIDTH = 1000
"""Columns assumed when output is not a terminal: Rich would assume 80 and cut table cells,
which a script reading the output can never get back."""


def register(group: click.Group) -> None:
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        group.add_command(module.command)


def output_console(*, stderr: bool = False, highlight: bool = True) -> Console:
    """The Rich console for a command's output: the terminal's, or in a pipe one that never
    wraps a line and is wide enough that no table cell is cut."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    piped = not stream.isatty()
    return Console(
        stderr=stderr, highlight=highlight, width=PIPE_WIDTH if piped else None, soft_wrap=piped
    )


def load_settings(root: Path | None, *, overrides: dict | None = None) -> Config:
    """`load_config` for a command: its warnings go to stderr, where the app would show them
    (a project file sending prompts to another host, a mistyped key).

    Raises:
        ConfigError: as `load_config`.
    """
    from aiide_tui.config import load_config

    config = load_config(root, overrides=overrides)
    for warning in config.warnings:
        click.echo(f"aiide: warning: {warning}", err=True)
    return config
