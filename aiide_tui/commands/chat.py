"""`aiide chat`: the chat in line mode, for a tmux pane beside vim (or a script).

The same services and proposals as the app: answers stream as they come
(code blocks shown whole, highlighted, once complete); each proposed hunk
is shown as a coloured diff and confirmed inline (y yes, n no, e edit its
new lines in $VISUAL or $EDITOR first, a all the rest, q none of the
rest). Interactive input uses prompt-toolkit: history per project, Esc Enter
for a new line, completion of `@` paths and slash commands. With
`--no-input` (or stdin not a terminal) stdin is one question, nothing is
asked (so no editor opens), and proposals are only applied with `--apply`.
"""

from __future__ import annotations

import sys
from typing import Any

import click

ERROR_EXIT = 1


@click.command("chat")
@click.argument("question", nargs=-1)
@click.option(
    "--no-input", is_flag=True, help="Read one question from stdin; never prompt (scripts)."
)
@click.option("--apply", is_flag=True, help="Accept every proposed hunk without asking.")
@click.option(
    "--new", "new", is_flag=True, help="Start a new conversation (default: go on with the latest)."
)
@click.option(
    "-C",
    "--project",
    type=click.Path(exists=True, file_okay=False),
    help="Project folder (default: the project you are in).",
)
def command(
    question: tuple[str, ...], no_input: bool, apply: bool, new: bool, project: str | None
) -> None:
    """Ask about the project's code; proposed edits are confirmed hunk by hunk."""
    import asyncio

    from aiide_tui.commands import load_settings
    from aiide_tui.errors import AiideError
    from aiide_tui.workspace.git import project_at

    root = project_at(project)
    scripted = no_input or not sys.stdin.isatty()
    text = " ".join(question)
    if scripted and not text:
        text = sys.stdin.read().strip()
        if not text:
            raise click.UsageError("nothing to ask: give a question, or pipe one in")
    try:
        config = load_settings(root)
        asyncio.run(_main(root, config, text, scripted, apply, new))
    except AiideError as error:
        click.echo(f"aiide chat: {error.message}", err=True)
        sys.exit(ERROR_EXIT)


async def _main(root, config, question: str, scripted: bool, apply: bool, new: bool) -> None:
    from aiide_tui.commands import output_console
    from aiide_tui.services.client import ServicesClient

    console = output_console(highlight=False)
    client = await ServicesClient.in_process(root, config)
    try:
        if new:
            await client.chat_send("/clear")
        if scripted:  # the answer alone on stdout; what went into it, and notices, on stderr
            notes = output_console(stderr=True, highlight=False)
            await _turn(client, console, question, ask=None, apply_all=apply, notes=notes)
            return
        ui = _LineUI(client, console, root)
        if question:
            await ui.turn(question, apply)
        await ui.loop(apply)
    finally:
        await client.close()


async def _turn(client, console, text: str, *, ask, apply_all: bool, notes=None) -> None:
    """One question (or slash command): stream it, then decide its proposal."""
    import asyncio
    import signal

    notes = notes or console
    printer = _Printer(console, notes)
    task = asyncio.ensure_future(client.chat_send(text, printer.event))
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGINT, task.cancel)
    try:
        result = await task
    except asyncio.CancelledError:
        notes.print("\n[yellow]stopped[/]")
        return
    finally:
        loop.remove_signal_handler(signal.SIGINT)
    console.print()
    if "command" in result:
        console.print(_markdown(_for(console, result["command"])))
        return
    if result.get("truncated"):
        notes.print("[yellow]The context was truncated by the model server.[/]")
    if result.get("proposal"):
        await _decide(
            client, console, result["proposal"], ask=ask, apply_all=apply_all, notes=notes
        )


class _Printer:
    """Stream events to the terminal: prose as it comes, blocks highlighted once whole."""

    def __init__(self, console, notes) -> None:
        self.console = console
        self.notes = notes
        """Where notices and the context summary go (stderr when scripted)."""

    def event(self, event: dict[str, Any]) -> None:
        kind, out = event["kind"], self.console
        text = _for(out, event.get("text", ""))
        if kind == "text":
            out.print(text, end="", markup=False)
        elif kind == "think":
            out.print(text, end="", markup=False, style="dim italic")
        elif kind == "block":  # highlighted on a terminal; in a pipe, the text as it came
            out.print(_block(text) if out.is_terminal else text, markup=False)
        elif kind == "notice":
            self.notes.print(f"\n[yellow]{event['text']}[/]")
        elif kind == "context":
            self.notes.print(f"[dim]{event['context']['summary']}[/]")


def _for(console, text: str) -> str:
    """A model's or a command's text, safe for `console`: at a terminal, its control
    characters drawn as pictures (`␛]52;...` would write the clipboard); in a pipe, as is."""
    from aiide_tui.ui.terminal_output import visible

    return visible(text) if console.is_terminal else text


def _block(raw: str):
    from rich.syntax import Syntax

    lines = raw.splitlines()
    fenced = lines and lines[0].startswith(("```", "~~~"))
    info = lines[0].strip("`~ ").split(" ")[0] if fenced else ""
    body = "\n".join(lines[1:-1] if fenced else lines)
    return Syntax(body, info or "text", theme="ansi_dark", background_color="default")


def _markdown(text: str):
    from rich.markdown import Markdown

    return Markdown(text)


def _hunk(diff: str, path: str, index: int):
    from aiide_tui.review import parse_diff

    return next(f for f in parse_diff(diff) if f.path == path).hunks[index]


def hunk_text(diff: str, path: str, index: int):
    """One hunk of a proposal's diff as coloured Rich text."""
    from rich.text import Text

    hunk = _hunk(diff, path, index)
    text = Text(f"{path}  {hunk.header}\n", style="bold")
    styles = {"+": "green", "-": "red", " ": ""}
    for line in hunk.lines:
        text.append(f"{line.kind}{line.text}\n", style=styles[line.kind])
    return text


async def _decide(client, console, proposal: dict, *, ask, apply_all: bool, notes=None) -> None:
    pid = proposal["id"]
    if apply_all:
        reply = await client.chat_decide_all(pid, accept=True)
        _written(console, reply["written"])
        return
    if ask is None:
        console.print(_for(console, proposal["diff"]), markup=False, highlight=False, end="")
        (notes or console).print(f"[dim]Proposal #{pid} not applied (use --apply to apply it).[/]")
        return
    diff = proposal["diff"]
    for file in proposal["files"]:
        for index in range(file["hunks"]):
            answer, diff = await _confirm_hunk(client, console, pid, diff, file["path"], index, ask)
            if answer in ("a", "q"):
                reply = await client.chat_decide_all(pid, accept=answer == "a")
                if answer == "q":
                    console.print("[dim]rejected this hunk and the rest[/]")
                _written(console, reply["written"])
                return
            reply = await client.chat_decide(pid, file["path"], index, accept=answer == "y")
            if answer == "n":
                console.print("[dim]rejected[/]")
            elif not reply["written"] and index + 1 < file["hunks"]:
                console.print(
                    f"[dim]accepted ({file['path']} is written once its hunks are all decided)[/]"
                )
            _written(console, reply["written"])


async def _confirm_hunk(client, console, pid: int, diff: str, path: str, index: int, ask):
    """Show a hunk and ask about it until the answer is not "edit"; returns (answer, diff).

    Editing is offered only when stdin is a terminal, which the editor needs.
    """
    editable = sys.stdin.isatty()
    question = (
        "Apply this hunk? [y]es [n]o " + ("[e]dit " if editable else "") + "[a]ll [q]uit (Enter) "
    )
    while True:
        console.print(hunk_text(_for(console, diff), path, index))
        answer = await ask(question, "ynaq" + ("e" if editable else ""))
        if answer != "e":
            return answer, diff
        diff = await _edit_hunk(client, console, pid, diff, path, index)


async def _edit_hunk(client, console, pid: int, diff: str, path: str, index: int) -> str:
    """Open the hunk's new lines in the user's editor; returns the proposal's diff after."""
    import asyncio

    from aiide_tui.chat.hunk_edit import new_side_text
    from aiide_tui.errors import AiideError

    try:
        edited = await asyncio.to_thread(_edit_text, new_side_text(_hunk(diff, path, index)), path)
    except click.ClickException as error:
        console.print(error.format_message(), style="red", markup=False)
        return diff
    if edited is None:
        console.print("Hunk unchanged (the editor did not save).", style="dim", markup=False)
        return diff
    try:
        proposal = await client.chat_edit_hunk(pid, path, index, edited)
    except AiideError as error:
        console.print(f"{error.title}: {error.message}", style="red", markup=False)
        return diff
    console.print("Edited hunk:", style="dim", markup=False)
    return proposal["diff"]


def _edit_text(text: str, path: str) -> str | None:
    """`text` after the user edited it in $VISUAL, $EDITOR or vi; None when not saved."""
    import os
    from pathlib import PurePath

    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    suffix = PurePath(path).suffix or ".txt"
    return click.edit(text, editor=editor, extension=suffix, require_save=True)


def _written(console, paths: list[str]) -> None:
    for path in paths:
        console.print(f"[green]wrote {path}[/] (/undo reverts)")


class _LineUI:
    """The interactive prompt: history, multi-line input, @ and / completion."""

    def __init__(self, client, console, root) -> None:
        from prompt_toolkit import PromptSession
        from prompt_toolkit.history import FileHistory
        from prompt_toolkit.key_binding import KeyBindings

        from aiide_tui.state import project_state_dir

        self.client = client
        self.console = console
        self.files: list[str] = []
        keys = KeyBindings()

        @keys.add("escape", "enter")
        def _newline(event) -> None:
            event.current_buffer.insert_text("\n")

        history = FileHistory(str(project_state_dir(root) / "chat_prompt_history"))
        self.session = PromptSession(history=history, completer=_completer(self), key_bindings=keys)
        self.answers: PromptSession = PromptSession()
        """For y/n answers: their own (unsaved) history, so Up at `>` recalls questions."""

    async def confirm(self, question: str, choices: str) -> str:
        """Ask until the first letter typed is one of `choices`."""
        while True:
            answer = (await self.answers.prompt_async(question)).strip().lower()[:1]
            if answer and answer in choices:
                return answer

    async def loop(self, apply: bool) -> None:
        self.files = await self.client.chat_files()
        self.console.print("[dim]aiide chat: Enter sends, Esc Enter adds a line, Ctrl-D quits.[/]")
        while True:
            try:
                text = (await self.session.prompt_async("> ")).strip()
            except KeyboardInterrupt:
                continue
            except EOFError:
                return
            if text:
                await self.turn(text, apply)

    async def turn(self, text: str, apply: bool) -> None:
        """One question or command; its error is said, and the session goes on."""
        from aiide_tui.errors import AiideError

        try:
            await _turn(self.client, self.console, text, ask=self.confirm, apply_all=apply)
        except AiideError as error:
            self.console.print(f"\n{error.message}", style="red", markup=False)


def _completer(ui: _LineUI):
    """Completes `@path` from the project's files and `/command` at the start."""
    from prompt_toolkit.completion import Completer, Completion

    from aiide_tui.chat.commands import COMMANDS

    class Complete(Completer):
        def get_completions(self, document, complete_event):
            word = document.get_word_before_cursor(WORD=True)
            if word.startswith("@"):
                for path in ui.files:
                    if word[1:] in path:
                        yield Completion("@" + path, start_position=-len(word))
            elif word.startswith("/") and document.text_before_cursor == word:
                for name, help_text in COMMANDS.items():
                    if name.startswith(word):
                        yield Completion(name, start_position=-len(word), display_meta=help_text)

    return Complete()
