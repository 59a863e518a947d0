"""Subcommands beyond the core ones, one module each, found at start-up.

Each module here defines a click command named `command`; `register` adds them
all to the `aiide` group. Modules keep heavy imports inside their functions so
`aiide --help` stays fast.
"""

from __future__ import annotations

import importlib
import pkgutil

import click


def register(group: click.Group) -> None:
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        group.add_command(module.command)
