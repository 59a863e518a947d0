"""`aiide map [--tokens N] [--root PATH]`: the ranked repo map that chat and the agent see."""

from __future__ import annotations

import click


@click.command("map")
@click.option("--tokens", default=1024, show_default=True, type=click.IntRange(16, 1_000_000))
@click.option("--root", type=click.Path(exists=True, file_okay=False), help="Project folder.")
@click.option("--focus", multiple=True, help="A file or name in play (repeatable).")
def command(tokens: int, root: str | None, focus: tuple[str, ...]) -> None:
    """Print the project's most important definitions within a token budget."""
    from aiide_tui.commands.index import index_with_progress, open_index

    index = open_index(root)
    try:
        index_with_progress(index, quiet=True)
        files = [item for item in focus if "/" in item or "." in item]
        names = [item for item in focus if item not in files]
        known = index.store.file_states(files)
        for item in [f for f in files if f not in known] + [
            n for n in names if not index.definitions(n)
        ]:
            click.echo(f"aiide map: {item} is no file or definition in the index", err=True)
        text = index.repo_map(tokens, focus_files=files, focus_names=names)
        click.echo(text, nl=False)
        if not text:
            click.echo(f"aiide map: no definition, or none that fits in {tokens} tokens", err=True)
    finally:
        index.close()
