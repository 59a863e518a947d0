"""The run log: every sandboxed run of this project, its output and its diff.

Runs come from the audit store through the sandbox service; a new run streams
its output here live. A run's changes reach the project only when the user
applies them (through the workspace, so undo covers them).
"""

from __future__ import annotations

import time

from rich.syntax import Syntax
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, RichLog, Static

from aiide_tui.errors import AiideError
from aiide_tui.sandbox.backend import KILLED_EXIT
from aiide_tui.sandbox.command_line import command_text, shell_command
from aiide_tui.sandbox.workcopy import MAX_CHANGE_BYTES
from aiide_tui.services.client import ServicesClient
from aiide_tui.ui.screens.confirm import ConfirmScreen
from aiide_tui.ui.terminal_output import visible
from aiide_tui.ui.widgets.ordered_keys import OrderedInput
from aiide_tui.ui.wording import some_paths

NARROW = 100
"""Below this many columns the runs sit above the run's output, not beside it."""
SHOWN_LINES = 2000
"""A run's output and diff shown here, at most (the last lines of output, the first of the
diff): drawing a run's whole 1 MiB of output froze the screen for seconds."""
COMMAND_CELL = 120
"""The command column's width at most (the rest is in the summary above the output)."""


class RunLogScreen(ModalScreen[None]):
    """Runs on the left (above, in a narrow terminal), the selected run's output and diff on
    the right."""

    BINDINGS = [
        Binding("escape", "close", "Close"),
        Binding("n", "new_run", "New run"),
        Binding("a", "apply", "Apply changes"),
        Binding("r", "reload", "Refresh", show=False),
    ]

    DEFAULT_CSS = """
    RunLogScreen {
        align: center middle;
        & > Vertical {
            width: 95%; height: 90%;
            border: round $accent; border-title-color: $text;
            background: $surface;
        }
        #run-command { dock: top; display: none; }
        #run-command.-visible { display: block; }
        #runs { width: 45%; height: 1fr; }
        #run-detail { width: 1fr; height: 1fr; padding: 0 1; }
        &.-narrow {
            #run-panes { layout: vertical; }
            #runs { width: 1fr; height: 35%; }
        }
        #run-summary { height: auto; color: $text-muted; }
        #run-output { height: 1fr; }
    }
    """

    def __init__(self, client: ServicesClient, *, command: str | None = None) -> None:
        super().__init__()
        self.client = client
        self.initial_command = command
        self.selected: int | None = None

    def compose(self) -> ComposeResult:
        with Vertical() as frame:
            frame.border_title = "Sandbox runs"
            yield OrderedInput(
                placeholder="Command to run in the sandbox, e.g. python3 -m pytest -q",
                id="run-command",
            )
            with Horizontal(id="run-panes"):
                yield DataTable(id="runs", cursor_type="row", zebra_stripes=True)
                with Vertical(id="run-detail"):
                    yield Static(id="run-summary")
                    yield RichLog(id="run-output", wrap=False, markup=False, highlight=False)
            yield Footer()

    def on_resize(self) -> None:
        self.set_class(self.size.width < NARROW, "-narrow")

    def on_mount(self) -> None:
        table = self.query_one("#runs", DataTable)
        table.add_columns("#", "when", "by", "result", "command")  # the long one last
        table.focus()  # not the hidden command field: a, n and the arrows act on the runs
        self.reload()
        if self.initial_command:
            self.start_run(self.initial_command)

    @work(exclusive=True, group="runs", description="Load the run log")
    async def reload(self) -> None:
        try:
            runs = await self.client.sandbox_runs()
        except AiideError as error:
            self._say(Text(error.message))
            return
        if not self.is_attached:
            return
        table = self.query_one("#runs", DataTable)
        table.clear()
        for run in runs:
            cells = (
                str(run["id"]),
                time.strftime("%m-%d %H:%M", time.localtime(run["started_at"])),
                run["requester"],
                _result(run) + (" · changes" if run.get("pending") else ""),
                _one_line(command_text(run["argv"]), COMMAND_CELL),
            )
            table.add_row(*map(Text, cells), key=str(run["id"]))  # plain text, never markup
        if runs and self.selected is None:
            self.show_run(runs[0]["id"])

    @on(DataTable.RowHighlighted, "#runs")
    def on_row(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key.value is not None:
            self.show_run(int(event.row_key.value))

    @work(exclusive=True, group="show", description="Show a run")
    async def show_run(self, run_id: int) -> None:
        record = await self.client.sandbox_run(run_id)
        if record is None or not self.is_attached:
            return
        self.selected = run_id
        command = _one_line(command_text(record["argv"]), 200)
        summary = f"#{record['id']} · {command} · {_result(record)}"
        if record.get("exit_code") == KILLED_EXIT and not record.get("timed_out"):
            summary += " (killed: most often at the memory limit, [sandbox] memory_mb)"
        if record.get("pending"):
            summary += " · changes ready: press a to apply"
        self._say(Text(summary))
        log = self.query_one("#run-output", RichLog)
        log.clear()
        for stream, style in (("stdout", ""), ("stderr", "yellow")):
            text, cut = _last_lines(record[stream], SHOWN_LINES)
            if cut:
                log.write(Text(f"… {cut:,} earlier lines of {stream}: `aiide audit show {run_id}`"
                               " has them all", style="italic"))  # fmt: skip
            if text or stream == "stdout":
                log.write(Text(visible(text), style=style))
        if record["diff"]:
            files = record["diff"].count("\ndiff --git ") + record["diff"].startswith("diff --git")
            log.write(Text(f"\n── changes to {files} file{'s' * (files != 1)} ──", style="bold"))
            lines = record["diff"].splitlines(keepends=True)
            diff = visible("".join(lines[:SHOWN_LINES]))
            log.write(Syntax(diff, "diff", theme="ansi_dark", word_wrap=False))
            if len(lines) > SHOWN_LINES:
                log.write(Text(f"… {len(lines) - SHOWN_LINES:,} more lines of the diff:"
                               f" `aiide audit show {run_id}`", style="italic"))  # fmt: skip

    def _say(self, summary: Text) -> None:
        """Show `summary` above the output; a worker that ends after Esc closed the run log
        (its query raised NoMatches, and the app stopped) has nowhere to say it."""
        for static in self.query("#run-summary").results(Static):
            static.update(summary)

    def action_new_run(self) -> None:
        field = self.query_one("#run-command", Input)
        field.add_class("-visible")
        field.focus()

    @on(Input.Submitted, "#run-command")
    def on_command(self, event: Input.Submitted) -> None:
        if not event.value.strip():
            self.notify("Type a command to run, or Esc to close.", timeout=3)
            return
        event.input.remove_class("-visible")
        event.input.value = ""
        self.query_one("#runs", DataTable).focus()
        self.start_run(event.value)

    @work(exclusive=True, group="close", description="Close the run log")
    async def action_close(self) -> None:
        """Esc: close; while a command runs, ask first (closing stops it)."""
        field = self.query_one("#run-command", Input)
        if field.has_class("-visible") and field.has_focus:
            field.remove_class("-visible")
            self.query_one("#runs", DataTable).focus()
            return
        running = [w for w in self.workers if w.node is self and w.group == "run" and w.is_running]
        if running:
            choice = await self.app.push_screen_wait(
                ConfirmScreen(
                    "A command is running",
                    "Closing the run log stops it.",
                    [("s", "Stop it and close"), ("c", "Keep watching")],
                )
            )
            if choice != "s":
                return
        self.dismiss(None)

    @work(exclusive=True, group="run", description="Run a command in the sandbox")
    async def start_run(self, command: str) -> None:
        log = self.query_one("#run-output", RichLog)
        log.clear()
        self._say(Text(f"running: {visible(command)}"))
        try:
            result = await self.client.run_in_sandbox(
                shell_command(command),
                lambda stream, text: log.write(
                    Text(visible(text.rstrip("\n")), style="yellow" if stream == "stderr" else "")
                ),
            )
        except AiideError as error:
            self._say(Text(error.message, style="bold red"))
            return
        self.selected = result["run_id"]
        if result.get("too_large"):
            self.notify(
                f"Not brought back (over {MAX_CHANGE_BYTES >> 20} MiB each):"
                f" {', '.join(result['too_large'])}",
                severity="warning", timeout=10,
            )  # fmt: skip
        self.reload()
        self.show_run(result["run_id"])

    @work(exclusive=True, group="apply", description="Apply a run's changes")
    async def action_apply(self) -> None:
        if self.selected is None:
            return
        run_id = self.selected
        try:
            applied = await self.client.apply_sandbox_changes(run_id)
            protected = [path for path, why in applied["skipped"] if "needs confirmation" in why]
            if (
                protected
                and await self.app.push_screen_wait(
                    ConfirmScreen(
                        "Protected files",
                        f"Run #{run_id} also changed {', '.join(protected)}: secrets, CI config"
                        " or git internals. Write them too?",
                        [("w", "Write them"), ("c", "Leave them waiting")],
                    )
                )
                == "w"
            ):
                again = await self.client.apply_sandbox_changes(run_id, confirmed=True)
                applied = {
                    "written": applied["written"] + again["written"], "skipped": again["skipped"]
                }  # fmt: skip
        except AiideError as error:
            self.notify(error.message, title=error.title, severity="warning")
            return
        written = some_paths(applied["written"]) or "nothing"
        self.notify(f"Applied run #{self.selected}: {written}")
        skipped = [f"{path}: {why}" for path, why in applied["skipped"]]
        if skipped:  # one notice, not a stack of them over the screen
            more = f"\n… and {len(skipped) - 5} more" if len(skipped) > 5 else ""
            lines = "\n".join(skipped[:5])
            self.notify(f"Not applied:\n{lines}{more}", severity="warning", timeout=10)
        self.reload()  # the row's "· changes" goes with them
        self.show_run(self.selected)

    def action_reload(self) -> None:
        self.reload()


def _one_line(text: str, width: int) -> str:
    """A table cell: one line (a multi-line command split its row), pictured, cut to `width`."""
    text = visible(text).replace("\n", "␤")
    return text if len(text) <= width else text[: width - 1] + "…"


def _last_lines(text: str, count: int) -> tuple[str, int]:
    """The last `count` lines of `text`, and how many came before them."""
    lines = text.splitlines(keepends=True)
    if len(lines) <= count:
        return text, 0
    return "".join(lines[-count:]), len(lines) - count


def _result(run: dict) -> str:
    if run["status"] == "running":
        return "running"
    if run.get("timed_out"):
        return "timed out"
    if run.get("exit_code") is None:
        return run["status"]
    return f"exit {run['exit_code']}"
