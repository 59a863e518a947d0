"""A real project's tests run in the sandbox; changes come back only as a diff."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from aiide_tui.sandbox import OutputChunk, Sandbox, apply_changes
from aiide_tui.state import project_state_dir
from aiide_tui.workspace import Workspace
from tests.sandbox.conftest import sandbox_config

pytestmark = pytest.mark.usefixtures("docker_engine")
PYTEST = ["python3", "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def tree(root: Path) -> dict[str, bytes]:
    return {
        path.relative_to(root).as_posix(): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


async def test_project_tests_pass_in_the_sandbox_and_stream_live(project: Path) -> None:
    chunks: list[OutputChunk] = []
    async with Sandbox(project, sandbox_config()) as sandbox:
        result = await sandbox.run(PYTEST, on_output=chunks.append)
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout
    assert "3 passed" in "".join(c.text for c in chunks if c.stream == "stdout")
    assert result.diff == "" and not result.timed_out and not result.truncated
    assert result.skipped_secrets == (".env",)


async def test_failing_test_output_comes_back_intact_and_separate(project: Path) -> None:
    failing = "def test_broken():\n    assert 6 * 7 == 43, 'the answer drifted'\n"
    (project / "tests" / "test_broken.py").write_text(failing)
    script = (
        "import sys; sys.stderr.write('to-stderr\\n');"
        " raise SystemExit(__import__('pytest').main(sys.argv[1:]))"
    )
    async with Sandbox(project, sandbox_config()) as sandbox:
        result = await sandbox.run(["python3", "-c", script, "-q", "-p", "no:cacheprovider"])
    assert result.exit_code == 1
    assert "AssertionError: the answer drifted" in result.stdout
    assert "assert (6 * 7) == 43" in result.stdout
    assert "1 failed, 3 passed" in result.stdout
    assert result.stderr == "to-stderr\n" and "to-stderr" not in result.stdout


async def test_edits_come_back_as_a_diff_and_the_project_is_untouched(project: Path) -> None:
    before = tree(project)
    script = (
        "printf 'print(1)\\n' > new_module.py; sed -i 's/python -m pytest/pytest -q/' README.md;"
        " rm web/format.js; ls -a"
    )
    async with Sandbox(project, sandbox_config()) as sandbox:
        result = await sandbox.run(["sh", "-c", script])
    assert result.exit_code == 0
    assert ".env" not in result.stdout.split() and ".venv" not in result.stdout.split()
    assert tree(project) == before
    assert "+++ b/new_module.py" in result.diff and "+print(1)" in result.diff
    assert "-python -m pytest tests" in result.diff and "+pytest -q tests" in result.diff
    assert "deleted file mode" in result.diff and "--- a/web/format.js" in result.diff
    assert set(result.changes.files) == {"new_module.py", "README.md", "web/format.js"}
    with Workspace(project, project_state_dir(project)) as workspace:
        applied = apply_changes(workspace, result.changes, group="t")
        assert applied.written == ("README.md", "new_module.py", "web/format.js")
        assert applied.skipped == ()
        assert "pytest -q tests" in (project / "README.md").read_text()
        assert not (project / "web" / "format.js").exists()
        assert sorted(workspace.undo_step()) == ["README.md", "new_module.py", "web/format.js"]
        assert "pytest -q tests" not in (project / "README.md").read_text()
    assert tree(project) == before


async def test_project_scripts_run_and_new_executables_come_back(project: Path) -> None:
    """A project's `./check.sh` must run in the sandbox (it kept its execute bit), and a
    script the run makes comes back executable."""
    check = project / "check.sh"
    check.write_text("#!/bin/sh\necho checked\n")
    check.chmod(0o755)
    script = "./check.sh && printf '#!/bin/sh\\necho made\\n' > gen.sh && chmod +x gen.sh"
    async with Sandbox(project, sandbox_config()) as sandbox:
        result = await sandbox.run(["sh", "-c", script])
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "checked\n"
    assert set(result.changes.files) == {"gen.sh"} and "new file mode 100755" in result.diff
    with Workspace(project, project_state_dir(project)) as workspace:
        assert apply_changes(workspace, result.changes, group="t").written == ("gen.sh",)
    made = subprocess.run([str(project / "gen.sh")], capture_output=True, text=True, check=True)
    assert made.stdout == "made\n"


async def test_caches_and_ignored_build_output_are_not_changes(project: Path) -> None:
    (project / ".gitignore").write_text("build/\n.env\n.venv/\n")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "start"]):
        subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args], cwd=project, check=True
        )
    script = (
        "python3 -m pytest -q >/dev/null; mkdir -p build; echo obj > build/out.o;"
        " echo kept > notes.txt; ls -a; ls -a build"
    )
    async with Sandbox(project, sandbox_config()) as sandbox:
        result = await sandbox.run(["sh", "-c", script])
    assert result.exit_code == 0, result.stderr
    assert ".pytest_cache" in result.stdout and "out.o" in result.stdout  # the run made them
    assert set(result.changes.files) == {"notes.txt"}
    assert ".pytest_cache" not in result.diff and "__pycache__" not in result.diff


def aiide(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "aiide_tui", *args]
    return subprocess.run(
        command,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "CI": os.environ.get("CI", "")},
    )


def test_aiide_run_cli_exit_status_diff_and_apply(project: Path) -> None:
    edit = ["sh", "-c", "echo appended >> README.md; echo out; echo err >&2; exit 3"]
    plain = aiide("run", "--", *edit, cwd=project)
    assert plain.returncode == 3, plain.stderr
    assert plain.stdout.startswith("out\n") and "+appended" in plain.stdout
    assert "err" in plain.stderr and "appended" not in (project / "README.md").read_text()
    assert "not applied (run #1's changes wait in the run log: `aiide audit apply 1`" in (
        plain.stderr
    )
    later = aiide("audit", "apply", "1", cwd=project)  # or F7 in the app, from another process
    assert later.returncode == 0 and "aiide audit: applied README.md" in later.stderr
    unknown = aiide("audit", "apply", "99", cwd=project)
    assert unknown.returncode == 1 and "no run #99 in this project's run log" in unknown.stderr
    assert (project / "README.md").read_text().endswith("appended\n")
    again = aiide("audit", "apply", "1", cwd=project)
    assert again.returncode == 1 and "no changes waiting" in again.stderr
    (project / "README.md").write_text((project / "README.md").read_text()[: -len("appended\n")])
    missing = aiide("run", "--", "no-such-command", cwd=project)
    assert missing.returncode == 127, "as a shell says for a command that does not exist"
    assert missing.stdout == "" and "no-such-command: command not found" in missing.stderr
    assert "OCI runtime" not in missing.stderr  # the engine's own words stay out
    applied = aiide("run", "--apply", "--", *edit, cwd=project)
    assert applied.returncode == 3 and "applied README.md" in applied.stderr
    assert (project / "README.md").read_text().endswith("appended\n")
    link = aiide("run", "--apply", "--", "ln", "-s", "README.md", "readme-link", cwd=project)
    assert link.returncode == 125, "a script must not go on as if the change were applied"
    assert "not applied readme-link: a symbolic link" in link.stderr
    timed = aiide("run", "--timeout", "1", "--", "sleep", "30", cwd=project)
    assert timed.returncode == 124 and "time limit" in timed.stderr
    typed = aiide("run", "--", "python", "-c", "print(40 + 2)", cwd=project)  # as users type it
    assert typed.returncode == 0 and typed.stdout.startswith("42\n"), typed.stderr


async def test_cancelling_a_run_kills_it_and_removes_its_container(project: Path) -> None:
    import docker

    async with Sandbox(project, sandbox_config()) as sandbox:
        task = asyncio.create_task(sandbox.run(["sleep", "60"]))
        await asyncio.sleep(1.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 15)
        record = sandbox.audit.list(1)[0]
    assert record.status == "interrupted"
    client = docker.from_env()
    owner = sandbox.backend.owner  # type: ignore[attr-defined]
    leftovers = client.containers.list(all=True, filters={"label": f"aiide.owner={owner}"})
    assert leftovers == []


def test_aiide_run_stops_quietly_when_its_reader_leaves(project: Path):
    """`aiide run -- CMD | head -1`: as SIGPIPE would, not a traceback per chunk."""
    line = f"{sys.executable} -m aiide_tui run -- sh -c 'yes | head -c 2000000' | head -1"
    done = subprocess.run(
        ["bash", "-c", line + "; echo exit=${PIPESTATUS[0]} >&2"],
        cwd=project, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.stdout == "y\n"
    assert "exit=141" in done.stderr and "Traceback" not in done.stderr, done.stderr
    listed = aiide("audit", cwd=project)
    assert "exit 141" in listed.stdout.splitlines()[0]  # the run log says what the shell did


def test_aiide_run_passes_binary_output_through_unchanged(project: Path):
    done = subprocess.run(
        [sys.executable, "-m", "aiide_tui", "run", "--", "printf", "\\211PNG\\0\\377\\n"],
        cwd=project, capture_output=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"\x89PNG\x00\xff\n"


def test_aiide_run_says_why_a_run_was_killed_and_what_stayed_behind(project: Path):
    big = aiide(
        "run",
        "--apply",
        "--",
        "sh",
        "-c",
        "head -c 70000000 /dev/zero > big.dat; echo ok > small.txt",
        cwd=project,
    )
    assert big.returncode == 0, big.stderr
    assert "not brought back (over 64 MiB each): big.dat" in big.stderr
    assert not (project / "big.dat").exists() and (project / "small.txt").read_text() == "ok\n"
    hog = "x = []\nwhile True:\n    x.append(bytearray(50 << 20))"
    killed = aiide("run", "--", "python", "-c", hog, cwd=project)
    assert killed.returncode == 137
    assert "killed (exit 137), most often at the memory limit (512 MB" in killed.stderr


def test_a_protected_file_a_run_wrote_waits_for_confirmation(project: Path):
    """`--apply` writes what it may; a secrets file waits in the run log for `--confirm`."""
    done = aiide(
        "run", "--apply", "--", "sh", "-c", "echo KEY=1 > .env.production; echo ok > notes.txt",
        cwd=project,
    )  # fmt: skip
    assert done.returncode == 125, done.stderr
    assert "applied notes.txt" in done.stderr and (project / "notes.txt").exists()
    assert "not applied .env.production: .env.production is a secret" in done.stderr
    assert "those wait in the run log: `aiide audit apply 1 --confirm` tries again" in done.stderr
    assert not (project / ".env.production").exists()
    plain = aiide("audit", "apply", "1", cwd=project)
    assert plain.returncode == 1 and "not applied .env.production" in plain.stderr
    confirmed = aiide("audit", "apply", "1", "--confirm", cwd=project)
    assert confirmed.returncode == 0 and "applied .env.production" in confirmed.stderr
    assert (project / ".env.production").read_text() == "KEY=1\n"
    again = aiide("audit", "apply", "1", "--confirm", cwd=project)
    assert again.returncode == 1 and "no changes waiting" in again.stderr


def test_aiide_run_at_a_terminal_keeps_colour_and_drops_other_escape_codes(project: Path):
    """Byte for byte into a pipe; at a terminal, a run cannot retitle it or write the
    clipboard (OSC), only colour its text."""
    from tests.test_cli import _at_a_terminal

    script = r"printf 'a\033[31mred\033[0m \033]2;RUN-INJECT\007 b\n'"
    shown = _at_a_terminal(["run", "--", "sh", "-c", script], {}, cwd=project)
    assert "a\x1b[31mred\x1b[0m  b" in shown and "RUN-INJECT" not in shown
    piped = aiide("run", "--", "sh", "-c", script, cwd=project)
    assert "\x1b]2;RUN-INJECT\x07" in piped.stdout


def _answering(args: list[str], answers: dict[str, str], cwd: Path) -> tuple[int, str]:
    """`aiide ARGS` at a terminal, typing each answer once its question shows."""
    import pty
    import select

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "aiide_tui", *args], cwd=cwd,
        stdin=follower, stdout=follower, stderr=follower, start_new_session=True,
    )  # fmt: skip
    os.close(follower)
    seen, pending = b"", dict(answers)
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
        for question in [q for q in pending if q.encode() in seen]:
            os.write(leader, pending.pop(question).encode())
    os.close(leader)
    return process.wait(timeout=60), seen.decode(errors="replace")


def test_aiide_run_at_a_terminal_asks_before_writing_protected_files(project: Path):
    script = "echo K=1 > .env.local; echo ok > a.txt"
    answers = {"Apply these changes": "y\n", "Write .env.local too?": "y\n"}
    code, seen = _answering(["run", "--", "sh", "-c", script], answers, project)
    assert code == 0, seen
    assert (project / "a.txt").read_text() == "ok\n"
    assert (project / ".env.local").read_text() == "K=1\n"
