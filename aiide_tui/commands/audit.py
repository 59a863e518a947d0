"""`aiide audit [list|show ID|apply ID]`: the project's sandboxed runs, newest first, one run
in full, or a run's changes applied."""

from __future__ import annotations

import click


@click.command("audit")
@click.argument(
    "action", required=False, type=click.Choice(["list", "show", "apply"]), default="list"
)
@click.argument("run_id", required=False, type=click.IntRange(1, 2**63 - 1))
@click.option(
    "-n", "--limit", default=30, show_default=True, type=click.IntRange(min=1), help="Runs to list."
)
@click.option(
    "--confirm", is_flag=True,
    help="apply: write protected files too (secrets, CI config, git internals).",
)  # fmt: skip
@click.option(
    "-C",
    "--project",
    type=click.Path(exists=True, file_okay=False),
    help="Project folder (default: the project you are in).",
)
def command(
    action: str, run_id: int | None, limit: int, confirm: bool, project: str | None
) -> None:
    """List sandboxed runs (`aiide audit`), show one (`aiide audit show ID`), or apply the
    changes a run left waiting (`aiide audit apply ID`)."""

    from aiide_tui.sandbox.audit import AuditStore
    from aiide_tui.workspace.git import project_at

    root = project_at(project)
    if action == "apply":
        from aiide_tui.commands.run import apply_run

        if run_id is None:
            raise click.UsageError("aiide audit apply needs a run ID")
        if not apply_run(root, run_id, command="aiide audit", confirmed=confirm):
            raise SystemExit(1)
        return
    store = AuditStore.for_project(root)
    try:
        if action == "show":
            if run_id is None:
                raise click.UsageError("aiide audit show needs a run ID")
            record = store.get(run_id)
            if record is None:
                raise click.ClickException(f"no run #{run_id} in this project's run log")
            _show(record)
        else:
            records, waiting = store.list(limit), store.waiting_runs()
            for record in records:
                changes = f"  (changes wait: aiide audit apply {record.id})"
                click.echo(
                    _for_terminal(_line(record) + changes * (record.id in waiting)), color=True
                )
            if not records:
                click.echo("No sandboxed runs in this project yet (`aiide run -- CMD`).", err=True)
    finally:
        store.close()


def _when(started_at: float) -> str:
    import time

    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(started_at))


def _outcome(record) -> str:  # type: ignore[no-untyped-def]
    if record.timed_out:
        return "timeout"
    if record.exit_code is None:
        return record.status
    return f"exit {record.exit_code}"


def _line(record) -> str:  # type: ignore[no-untyped-def]
    import shlex

    duration = f"{record.duration_s:.2f}s" if record.duration_s is not None else "-"
    command_line = shlex.join(map(str, record.argv))
    return (
        f"#{record.id:<5} {_when(record.started_at)}  {record.requester:<5}  "
        f"{_outcome(record):<10} {duration:>8}  {command_line.replace(chr(10), '␤')}"
    )


def _for_terminal(text: str) -> str:
    """What a sandboxed program wrote, safe to print: at a terminal its control characters
    are drawn as pictures (`␛]2;...` would retitle it); into a pipe or file, as they are."""
    import sys

    from aiide_tui.ui.terminal_output import visible

    return visible(text) if sys.stdout.isatty() else text


def _show(record) -> None:  # type: ignore[no-untyped-def]
    import json
    import shlex

    fields = [
        ("run", f"#{record.id} ({record.status})"),
        ("command", shlex.join(map(str, record.argv))),
        ("requested by", record.requester),
        ("backend", record.backend),
        ("image", record.image),
        ("started", _when(record.started_at)),
        ("duration", f"{record.duration_s:.3f}s" if record.duration_s is not None else "-"),
        ("outcome", _outcome(record)),
        ("signal", str(record.signal) if record.signal else "-"),
        ("limits", json.dumps(dict(record.limits))),
    ]
    if record.error:
        fields.append(("error", record.error))
    for name, value in fields:
        click.echo(_for_terminal(f"{name + ':':<14}{value}"), color=True)
    for title, text in (
        ("stdout", record.stdout),
        ("stderr", record.stderr),
        ("diff", record.diff),
    ):
        click.echo(f"--- {title} ---")
        click.echo(_for_terminal(text), nl=not text.endswith("\n"), color=True)
