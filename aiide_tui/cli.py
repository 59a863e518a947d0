"""The `aiide` command: open a project (the default), check the setup, serve headless."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
import sys
from collections.abc import Coroutine
from pathlib import Path
from typing import Any

import click

from aiide_tui import __version__
from aiide_tui.errors import AiideError, BusError


class DefaultToOpen(click.Group):
    """`aiide [PATH]` means `aiide open [PATH]`, so a path and subcommands can share one command."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "--version")):
            if args and not Path(args[0]).exists() and (near := self._near(args[0])):
                ctx.fail(f"No command or folder named {args[0]!r}; did you mean {near!r}?")
            args = ["open", *args]
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """An aiide error no command caught (an unusable data folder, say) is one line of
        error, not a traceback."""
        try:
            return super().invoke(ctx)
        except AiideError as error:
            raise click.ClickException(error.message) from error

    def _near(self, word: str) -> str | None:
        """The command a mistyped word most likely meant (`serach` -> `search`)."""
        from difflib import get_close_matches

        found = get_close_matches(word, list(self.commands), n=1, cutoff=0.75)
        return found[0] if found else None


def _load_config(root: Path | None, overrides: dict | None = None, *, warn: bool = True):
    """Settings, a bad config file as a one-line error; warnings on stderr unless `warn` is
    off (the app shows them itself)."""
    from aiide_tui.commands import load_settings
    from aiide_tui.config import load_config

    try:
        return (load_settings if warn else load_config)(root, overrides=overrides)
    except AiideError as error:
        raise click.ClickException(error.message) from error


def _project_root(path: str | None) -> Path:
    from aiide_tui.workspace.git import project_at

    root = project_at(path)
    if not root.is_dir():
        raise click.BadParameter(f"{path} is not a directory", param_hint="PATH")
    return root


@click.group(cls=DefaultToOpen, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="aiide")
def main() -> None:
    """aiide: an AI coding IDE in your terminal. `aiide [PATH]` opens PATH (default: the
    project you are in)."""


@main.command("open")
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
@click.option("--theme", help="Theme to use (aiide-dark, aiide-light or any Textual theme).")
@click.option(
    "--layout",
    type=click.Choice(["auto", "wide", "medium", "narrow"]),
    help="Force a layout instead of choosing by terminal width.",
)
def open_project(path: str | None, theme: str | None, layout: str | None) -> None:
    """Open the IDE on PATH."""
    root = _project_root(path)
    overrides = {"ui": {k: v for k, v in {"theme": theme, "layout": layout}.items() if v}}
    config = _load_config(root, overrides, warn=False)
    from aiide_tui.ui.app import AiideApp

    app = AiideApp(root, config)
    app.run(mouse=config.ui.mouse)
    sys.exit(app.return_code or 0)  # 1 after a crash, so scripts and shells can tell


@main.command()
@click.argument("path", required=False, type=click.Path(exists=True, file_okay=False))
def doctor(path: str | None) -> None:
    """Check Python, git, the terminal, model servers, Docker and language servers."""
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from aiide_tui.config import Config, load_config
    from aiide_tui.doctor import essentials_ok, run_checks

    root = _project_root(path)
    try:
        config, config_error = load_config(root), None
    except AiideError as error:  # say so in its row; check the rest with the defaults
        config, config_error = Config(), error.message
    checks = asyncio.run(run_checks(root, config, config_error))
    marks = {"ok": "[green]ok[/]", "warn": "[yellow]warn[/]", "fail": "[red]FAIL[/]"}
    table = Table(title=f"aiide {__version__} doctor · {root}", title_justify="left")
    table.add_column("Check", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    table.add_column("Detail")
    for check in checks:
        name = f"{check.name}{' *' if check.essential else ''}"
        table.add_row(name, marks[check.status], Text(check.detail))
    console = Console()
    console.print(table)
    console.print("[dim]* essential[/]")
    sys.exit(0 if essentials_ok(checks) and config_error is None else 1)


@main.command()
@click.option("--stdio", "use_stdio", is_flag=True, help="Speak JSON-RPC on stdin/stdout.")
@click.option("--socket", "socket_path", type=click.Path(), help="Listen on a Unix socket.")
@click.option("--root", type=click.Path(exists=True, file_okay=False))
def serve(use_stdio: bool, socket_path: str | None, root: str | None) -> None:
    """Serve the project's services headless (JSON-RPC 2.0, LSP framing)."""
    if use_stdio == bool(socket_path):
        raise click.UsageError("Give exactly one of --stdio or --socket PATH.")
    from aiide_tui.bus import serve_stdio, serve_unix_socket
    from aiide_tui.services.host import project_services

    project = _project_root(root)
    config = _load_config(project)

    async def serve_project() -> None:
        async with project_services(project, config) as router:
            if use_stdio:
                await serve_stdio(router)
            else:
                listening = f"aiide serve: listening on {socket_path}"
                ready = functools.partial(click.echo, listening, err=True)
                await serve_unix_socket(Path(socket_path), router, ready=ready)

    try:
        asyncio.run(_until_signalled(serve_project()))
    except BusError as error:
        raise click.ClickException(error.message) from None


async def _until_signalled(server: Coroutine[Any, Any, None]) -> None:
    """Run `server` until it ends or SIGTERM/SIGINT arrives, so it can clean up (the socket)."""
    task = asyncio.current_task()
    assert task is not None
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await server


def _register_plugins() -> None:
    from aiide_tui.commands import register

    register(main)


_register_plugins()
