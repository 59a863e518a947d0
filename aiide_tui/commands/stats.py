"""`aiide stats [PATH] [--all] [--json]`: your completion figures, kept on this machine only.

Suggestions shown, accepted (and the share accepted), characters accepted,
how many came from the cache, and model latency (median and 95th
percentile), for one project or for every project aiide has opened.
"""

from __future__ import annotations

import click


@click.command("stats")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--all", "all_projects", is_flag=True, help="Add up every project's figures.")
@click.option("--json", "as_json", is_flag=True, help="Print the figures as JSON.")
def command(path: str | None, all_projects: bool, as_json: bool) -> None:
    """Completion figures for PATH (default: the project you are in): shown, accepted,
    characters, latency."""
    import json
    from dataclasses import asdict

    from aiide_tui.complete.stats import FILE_NAME, read_summaries
    from aiide_tui.state import data_dir, project_state_dir
    from aiide_tui.workspace.git import project_at

    if all_projects:
        paths = sorted((data_dir() / "projects").glob(f"*/{FILE_NAME}"))
        scope = f"{len(paths)} projects"
    else:
        root = project_at(path)
        paths = [project_state_dir(root) / FILE_NAME]
        scope = str(root)
    summary = read_summaries(paths)
    if as_json:
        click.echo(json.dumps({**asdict(summary), "acceptance_rate": summary.acceptance_rate}))
        return
    click.echo(f"completion figures for {scope} (never sent anywhere)")
    for name, value in _lines(summary):
        click.echo(f"{name}: {value}")


def _lines(summary) -> list[tuple[str, str]]:
    def ms(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.0f} ms"

    return [
        ("shown", str(summary.shown)),
        ("accepted", f"{summary.accepted} ({summary.acceptance_rate:.0%})"),
        ("chars_accepted", str(summary.chars_accepted)),
        ("from_cache", str(summary.from_cache)),
        ("latency_p50", ms(summary.latency_p50_ms)),
        ("latency_p95", ms(summary.latency_p95_ms)),
    ]
