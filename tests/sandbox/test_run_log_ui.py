"""The run log in the app: a command typed there runs in a container, its diff applies on `a`."""

from __future__ import annotations

import subprocess
from pathlib import Path

from aiide_tui.config import load_config
from aiide_tui.ui.app import AiideApp
from aiide_tui.ui.screens.confirm import ConfirmScreen
from aiide_tui.ui.screens.run_log import RunLogScreen
from aiide_tui.ui.widgets.file_tree import FileTree
from tests.ui.conftest import wait_for


async def open_run_log(app: AiideApp, pilot) -> RunLogScreen:
    """F8 once the project is listed: the run log, its command field focused."""
    await wait_for(pilot, lambda: app.screen.query_one(FileTree).file_count > 0)
    await pilot.press("f8")
    await wait_for(pilot, lambda: isinstance(app.screen, RunLogScreen))
    await pilot.pause(0.2)
    return app.screen


async def test_run_from_the_app_then_apply_its_changes(docker_engine, project: Path):
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=project, check=True)
    config = load_config(project, overrides={"sandbox": {"pool_size": 0}})
    app = AiideApp(project, config, remember_theme=False, probe_environment=False)
    async with app.run_test(size=(160, 48)) as pilot:
        run_log = await open_run_log(app, pilot)
        # a shell line (redirects, &&, |) with brackets that are not markup
        command = "echo '[/x] made-in-sandbox' && echo added >> README.md; cat .env | wc -l"
        await pilot.press(*command, "enter")
        await wait_for(pilot, lambda: run_log.selected is not None, timeout=60)
        summary = str(run_log.query_one("#run-summary").render())
        await wait_for(
            pilot, lambda: "changes ready" in str(run_log.query_one("#run-summary").render())
        )
        output = "\n".join(line.text for line in run_log.query_one("#run-output").lines)
        assert "[/x] made-in-sandbox" in output
        table = run_log.query_one("#runs")
        assert str(table.get_row_at(0)[4]) == command  # shown as typed, not as sh -c '...'
        await wait_for(pilot, lambda: str(table.get_row_at(0)[3]).endswith(" · changes"))
        assert app.focused is table  # so a applies, without tabbing out of a hidden field
        assert "── changes to 1 file ──" in output
        assert "API_TOKEN" not in output  # secrets are never copied in
        assert "added" not in (project / "README.md").read_text()
        await pilot.press("a")
        await wait_for(pilot, lambda: (project / "README.md").read_text().endswith("added\n"))
        assert summary


async def test_esc_while_a_command_runs_asks_before_stopping_it(docker_engine, project: Path):
    config = load_config(project, overrides={"sandbox": {"pool_size": 0}})
    app = AiideApp(project, config, remember_theme=False, probe_environment=False)
    async with app.run_test(size=(160, 48)) as pilot:
        run_log = await open_run_log(app, pilot)
        await pilot.press(*"sleep 30", "enter")
        await wait_for(pilot, lambda: "running" in str(run_log.query_one("#run-summary").render()))
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("c")  # keep watching
        await wait_for(pilot, lambda: app.screen is run_log)
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("s")
        await wait_for(pilot, lambda: not isinstance(app.screen, (RunLogScreen, ConfirmScreen)))


async def test_in_a_narrow_terminal_the_runs_sit_above_the_output(project: Path):
    """No Docker needed: the layout, at 60 columns and at 160."""
    config = load_config(project, overrides={"sandbox": {"pool_size": 0}})
    app = AiideApp(project, config, remember_theme=False, probe_environment=False)
    async with app.run_test(size=(60, 24)) as pilot:
        await wait_for(pilot, lambda: app.screen.query_one(FileTree).file_count > 0)
        await pilot.press("f7")
        await wait_for(pilot, lambda: isinstance(app.screen, RunLogScreen))
        await pilot.pause(0.1)
        runs, detail = app.screen.query_one("#runs"), app.screen.query_one("#run-detail")
        assert runs.region.bottom <= detail.region.y  # stacked
        assert runs.region.width >= 50  # the command column has room
        await pilot.resize_terminal(160, 40)
        await wait_for(pilot, lambda: runs.region.right <= detail.region.x)  # side by side


async def test_run_output_is_pictured_and_bounded(docker_engine, project: Path):
    """Escape codes from the sandbox are drawn, not obeyed; a long output shows its end."""
    config = load_config(project, overrides={"sandbox": {"pool_size": 0}})
    app = AiideApp(project, config, remember_theme=False, probe_environment=False)
    async with app.run_test(size=(160, 48)) as pilot:
        run_log = await open_run_log(app, pilot)
        command = r"printf 'x\033]2;T\007y\n'; seq 1 3000"
        await pilot.press(*command, "enter")
        await wait_for(pilot, lambda: run_log.selected is not None, timeout=60)
        output = run_log.query_one("#run-output")
        await wait_for(pilot, lambda: "earlier lines" in "\n".join(x.text for x in output.lines))
        lines = [line.text for line in output.lines]
        assert lines[0].startswith("… 1,001 earlier lines of stdout: `aiide audit show ")
        assert lines[1] == "1001" and "3000" in lines
        table = run_log.query_one("#runs")
        assert str(table.get_row_at(0)[3]) == "exit 0"  # before the command: always in view
        await pilot.press("n", *r"printf 'x\033]2;T\007y\n'", "enter")
        await wait_for(pilot, lambda: any("␛]2;T␇y" in x.text for x in output.lines), timeout=60)


async def test_a_run_killed_with_exit_137_names_the_memory_limit(docker_engine, project: Path):
    config = load_config(project, overrides={"sandbox": {"pool_size": 0}})
    app = AiideApp(project, config, remember_theme=False, probe_environment=False)
    async with app.run_test(size=(160, 48)) as pilot:
        run_log = await open_run_log(app, pilot)
        await pilot.press(*"kill -9 $$", "enter")

        def summary() -> str:
            return str(run_log.query_one("#run-summary").render())

        await wait_for(pilot, lambda: "exit 137" in summary(), timeout=60)
        assert "killed: most often at the memory limit" in summary()
