"""`aiide index [PATH] [--explain]`: build or refresh the project's code index.

A Rich progress bar shows files, chunks, rate and time left; `--explain`
lists every file the index leaves out, and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from aiide_tui.index.project import CodeIndex


def open_index(path: str | None, *, vectors: bool = False) -> CodeIndex:
    """The project's index with the settings in force (a click error when they are invalid);
    with `vectors`, the vectors the app filled are used too, when the embedder answers."""
    from aiide_tui.commands import load_settings
    from aiide_tui.errors import AiideError
    from aiide_tui.index.project import CodeIndex, embedder_from_config
    from aiide_tui.workspace.git import project_at

    root = project_at(path)
    if not root.is_dir():
        raise click.BadParameter(f"{path} is not a directory", param_hint="PATH")
    try:
        config = load_settings(root)
        index = CodeIndex.from_config(root, config)
    except AiideError as error:
        raise click.ClickException(error.message) from error
    embedder = embedder_from_config(config) if vectors else None
    if embedder is not None:
        index.attach_vectors(embedder, chroma_url=config.index.chroma_url)
    return index


def index_with_progress(index: CodeIndex, *, quiet: bool = False) -> None:
    """Run a full pass, drawing a progress bar on stderr unless `quiet`."""
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    console = Console(stderr=True)
    columns = (
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("files · {task.fields[chunks]} chunks · {task.fields[rate]} files/s"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console, disable=quiet, transient=False) as bar:
        task = bar.add_task("Indexing", total=None, chunks=0, rate="-")

        def report(step) -> None:
            elapsed = bar.tasks[0].elapsed or 0.0
            rate = f"{step.done / elapsed:,.0f}" if elapsed > 0 else "-"
            bar.update(
                task, completed=step.done, total=step.total or None, chunks=f"{step.chunks:,}",
                rate=rate, description="Linking" if step.phase == "linking" else "Indexing",
            )  # fmt: skip

        result = index.index(progress=report)
    if not quiet:
        console.print(
            f"{result.files:,} files: {result.parsed:,} parsed, {result.unchanged:,} unchanged,"
            f" {result.skipped:,} left out, {result.removed:,} removed;"
            f" {result.chunks:,} chunks in {result.seconds:.1f} s"
        )


@click.command("index")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--explain", is_flag=True, help="List the files left out of the index, and why.")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar or summary.")
def command(path: str | None, explain: bool, quiet: bool) -> None:
    """Build or refresh the code index of the project at PATH (default: the project you are in)."""
    index = open_index(path)
    try:
        index_with_progress(index, quiet=quiet or explain)
        if explain:
            left_out = index.explain()
            for rel, reason in grouped(left_out):
                click.echo(f"{rel}\t{reason}")
            count = len(left_out)
            click.echo(f"{count:,} file{'' if count == 1 else 's'} left out of the index", err=True)
    finally:
        index.close()


GROUP_FROM = 5
"""Files of one folder left out for one reason are listed as the folder from this many on."""


def grouped(left_out: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """(path, reason) pairs, with a folder's files that share a reason as one line
    (`__pycache__/ (102 files)`), in path order."""
    by_group: dict[tuple[str, str], list[str]] = {}
    for rel, reason in left_out:
        by_group.setdefault((rel.rpartition("/")[0], reason), []).append(rel)
    lines = []
    for (folder, reason), paths in by_group.items():
        if len(paths) >= GROUP_FROM and folder:
            lines.append((f"{folder}/ ({len(paths)} files)", reason))
        else:
            lines.extend((rel, reason) for rel in paths)
    return sorted(lines)
