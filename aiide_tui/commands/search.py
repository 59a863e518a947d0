"""`aiide search [--k N] [--json] [--root PATH] QUERY`: hybrid code search from the shell.

The project is indexed first when needed (only changed files are parsed).
"""

from __future__ import annotations

import json

import click


@click.command("search")
@click.argument("query", nargs=-1, required=True)
@click.option("--k", "k", default=10, show_default=True, type=click.IntRange(1, 200))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of results.")
@click.option("--root", type=click.Path(exists=True, file_okay=False), help="Project folder.")
def command(query: tuple[str, ...], k: int, as_json: bool, root: str | None) -> None:
    """Search the project's code for QUERY (identifiers or a question)."""
    from aiide_tui.commands.index import index_with_progress, open_index

    index = open_index(root, vectors=True)
    try:
        index_with_progress(index, quiet=True)
        results = index.search(" ".join(query), k)
        status = index.status()
    finally:
        index.close()
    wanted = not index.vector_state.startswith("off (no embedder")  # not switched off
    if wanted and status["embedded"] < status["chunks"]:  # say what the ranking could not use
        click.echo(
            f"aiide search: vectors {index.vector_state}, {status['embedded']:,} of"
            f" {status['chunks']:,} chunks embedded"
            + (
                " (the app fills them in the background)"
                if index.vector_state.startswith("on")
                else "; full-text and graph answered"
            ),
            err=True,
        )
    if as_json:
        click.echo(json.dumps([result.to_json() for result in results], indent=2))
        return
    if not results:
        click.echo(f"Nothing in the index matches {' '.join(query)!r}.", err=True)
    for result in results:
        parts = " ".join(f"{name}={value:.4f}" for name, value in result.parts.items())
        click.echo(
            f"{_one_line(result.path)}:{result.start_line}-{result.end_line}"
            f"  {_one_line(result.symbol)}  score={result.score:.4f} ({parts})"
        )


def _one_line(text: str) -> str:
    """One line a hit, even for a path or symbol holding a newline or an escape (escaped;
    `--json` has them as they are)."""
    return text if text.isprintable() else text.encode("unicode_escape").decode()
