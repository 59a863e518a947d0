"""`aiide run -- CMD...`: run a command in the sandbox on the current project.

Output streams live; the files the run changed come back as a diff, applied
to the project (through the workspace: path policy and undo journal) only
with `--apply`, or when the user says yes at a terminal.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

BROKEN_PIPE_EXIT = 141  # as READER_LEFT_EXIT
"""Exit status when the reader of the output went away (128 + SIGPIPE, as a shell reports)."""
ERROR_EXIT = 125
"""Exit status when the sandbox itself failed (as `docker run` uses), or when a command that
succeeded left changes that could not be applied as asked: a script must not go on as if
they were."""


MAX_TIMEOUT_S = 7 * 24 * 3600.0


def _a_number(value: float | None, param: click.Parameter) -> float | None:
    if value is not None and value != value:  # NaN passes every range check
        raise click.BadParameter("not a number", param=param)
    return value


@click.command("run", context_settings={"ignore_unknown_options": True})
@click.option("--image", help="Image to run in (default: [sandbox] image).")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True, max=MAX_TIMEOUT_S),
    callback=lambda ctx, param, value: _a_number(value, param),
    help="Seconds before the run is killed (exit 124).",
)
@click.option("--network", is_flag=True, help="Give this run network access (off by default).")
@click.option(
    "--apply/--no-apply",
    "apply",
    default=None,
    help="Apply the run's changes to the project (default: ask at a terminal, else no).",
)
@click.option(
    "-C",
    "--project",
    type=click.Path(exists=True, file_okay=False),
    help="Project folder (default: the project you are in).",
)
@click.argument("argv", nargs=-1, required=True, type=click.UNPROCESSED)
def command(
    image: str | None,
    timeout: float | None,
    network: bool,
    apply: bool | None,
    project: str | None,
    argv: tuple[str, ...],
) -> None:
    """Run CMD in the sandbox on a copy of the project; exit with its status."""
    import asyncio

    from aiide_tui.commands import load_settings
    from aiide_tui.errors import AiideError
    from aiide_tui.workspace.git import project_at

    root = project_at(project)
    ended: list[str] = []  # why the run was stopped early, if it was
    try:
        config = load_settings(root)
    except AiideError as error:  # the user's settings, not the sandbox: not 125
        raise click.ClickException(error.message) from error
    try:
        result = asyncio.run(_run(root, config, argv, image, timeout, network, ended))
    except AiideError as error:
        click.echo(f"aiide run: {error.message}", err=True)
        sys.exit(ERROR_EXIT)
    except KeyboardInterrupt:
        click.echo("aiide run: interrupted; the sandbox was removed", err=True)
        sys.exit(130)
    except asyncio.CancelledError:
        if ended == ["broken pipe"]:  # the reader of our output left (`| head`): as SIGPIPE
            sys.exit(BROKEN_PIPE_EXIT)
        click.echo("aiide run: terminated; the sandbox was removed", err=True)
        sys.exit(143)
    _report(result, config.sandbox.memory_mb)
    if result.changes.files:
        if not _should_apply(apply):
            click.echo(
                f"aiide run: not applied (run #{result.run_id}'s changes wait in the run log:"
                f" `aiide audit apply {result.run_id}` or F7 in the app applies them)",
                err=True,
            )
        elif not apply_run(root, result.run_id) and not _confirm_protected(root, result.run_id):
            sys.exit(result.exit_code or ERROR_EXIT)
    sys.exit(result.exit_code)


async def _run(root, config, argv, image, timeout, network, ended):  # type: ignore[no-untyped-def]
    import asyncio
    import os
    import signal

    from aiide_tui.sandbox import Sandbox

    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)

    from aiide_tui.sandbox.runner import READER_LEFT
    from aiide_tui.ui.terminal_output import TerminalFilter

    filters = {  # at a terminal, escape codes other than colour never pass
        name: TerminalFilter() if stream.isatty() else None
        for name, stream in (("stdout", sys.stdout), ("stderr", sys.stderr))
    }

    def echo(chunk) -> None:  # type: ignore[no-untyped-def]
        stream = sys.stdout if chunk.stream == "stdout" else sys.stderr
        terminal = filters.get(chunk.stream)
        try:  # bytes as the command wrote them (into a pipe or file)
            stream.buffer.write(terminal.feed(chunk.data) if terminal else chunk.data)
            stream.flush()
        except BrokenPipeError:  # stop the run, and write nothing more there
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())
            ended.append("broken pipe")
            task.cancel(READER_LEFT)

    sandbox = Sandbox(root, config.sandbox.__class__(**{**vars(config.sandbox), "pool_size": 0}))
    try:
        await sandbox.start()
        if sandbox.backend.WEAKER:
            click.echo("aiide run: bubblewrap sandbox (weaker than a container)", err=True)
        return await sandbox.run(
            list(argv),
            timeout=timeout,
            network=network or None,
            image=image,
            requester="user",
            on_output=echo,
        )
    finally:
        await sandbox.close()


SHOWN_PATHS = 20
"""Applied files named one by one, at most; the rest are counted."""


def _report(result, memory_mb: int) -> None:  # type: ignore[no-untyped-def]
    from aiide_tui.sandbox.backend import KILLED_EXIT
    from aiide_tui.sandbox.workcopy import MAX_CHANGE_BYTES

    if result.truncated:
        click.echo("aiide run: output was cut at the size limit ([sandbox] output_kb)", err=True)
    if result.timed_out:
        click.echo(f"aiide run: killed at the time limit (exit {result.exit_code})", err=True)
    if result.exit_code == KILLED_EXIT and not result.timed_out:
        click.echo(
            "aiide run: killed (exit 137), most often at the memory limit"
            f" ({memory_mb} MB, [sandbox] memory_mb)", err=True,
        )  # fmt: skip
    if result.changes.too_large:
        click.echo(
            f"aiide run: not brought back (over {MAX_CHANGE_BYTES >> 20} MiB each):"
            f" {', '.join(result.changes.too_large)}", err=True,
        )  # fmt: skip
    if result.skipped_secrets:
        click.echo(
            f"aiide run: not copied in (secrets): {', '.join(result.skipped_secrets)}", err=True
        )
    if result.diff:
        count = len(result.changes.files)
        click.echo(f"aiide run: the run changed {count} file(s) (run #{result.run_id}):", err=True)
        click.echo(result.diff, nl=False)


def _confirm_protected(root: Path, run_id: int) -> bool:
    """At a terminal, when protected files were left, ask to write them too (as the app's
    run log does); True when all of the run's changes are now applied."""
    from aiide_tui.sandbox import AuditStore
    from aiide_tui.workspace import PathPolicy

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    audit = AuditStore.for_project(root)
    try:
        waiting = audit.waiting_changes(run_id)
    finally:
        audit.close()
    policy = PathPolicy(root)
    left = waiting.files if waiting is not None else {}
    protected = sorted(rel for rel in left if policy.is_protected(rel))
    if not protected:
        return False
    try:
        write = click.confirm(f"Write {', '.join(protected)} too?", default=False, err=True)
    except click.Abort:
        click.echo("", err=True)
        return False
    return write and apply_run(root, run_id, confirmed=True)


def _should_apply(apply: bool | None) -> bool:
    if apply is not None:
        return apply
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        return False
    try:
        return click.confirm("Apply these changes to the project?", default=False, err=True)
    except click.Abort:  # Ctrl-C or Ctrl-D at the question: a no (they wait in the run log)
        click.echo("", err=True)
        return False


def apply_run(
    root: Path, run_id: int, *, command: str = "aiide run", confirmed: bool = False
) -> bool:
    """Apply a run's changes waiting in the run log; False when some were left (each named,
    with the reason, after `command`: they wait again). `confirmed` writes protected files."""
    from aiide_tui.sandbox import AuditStore, apply_changes
    from aiide_tui.sandbox.workcopy import left_over
    from aiide_tui.state import project_state_dir
    from aiide_tui.workspace import Workspace

    audit = AuditStore.for_project(root)
    try:
        known = audit.get(run_id) is not None
        changes = audit.take_changes(run_id)  # applied here, never again from the log
    finally:
        audit.close()
    if not known:
        raise click.ClickException(f"no run #{run_id} in this project's run log")
    if changes is None:
        raise click.ClickException(
            f"run #{run_id} has no changes waiting (already applied, or too old)"
        )
    with Workspace(root, project_state_dir(root)) as workspace:
        applied = apply_changes(
            workspace, changes, group=f"sandbox-run-{run_id}", confirmed=confirmed
        )
    for rel in applied.written[:SHOWN_PATHS]:
        click.echo(f"{command}: applied {rel}", err=True)
    if len(applied.written) > SHOWN_PATHS:
        more = len(applied.written) - SHOWN_PATHS
        click.echo(f"{command}: applied {more:,} more (`aiide audit show {run_id}`)", err=True)
    for rel, reason in applied.skipped:
        click.echo(f"{command}: not applied {rel}: {reason}", err=True)
    if applied.skipped:
        audit = AuditStore.for_project(root)
        try:
            audit.keep_changes(run_id, left_over(changes, applied))
        finally:
            audit.close()
        again = f"aiide audit apply {run_id}" + (" --confirm" * any(
            "needs confirmation" in reason for _, reason in applied.skipped))  # fmt: skip
        click.echo(f"{command}: those wait in the run log: `{again}` tries again", err=True)
    return not applied.skipped
