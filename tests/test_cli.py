"""The `aiide` command as a user runs it: a real process from the venv."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from aiide_tui import __version__

AIIDE = [sys.executable, "-m", "aiide_tui"]


def run(*args: str, cwd: Path | None = None, env_extra: dict | None = None):
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [*AIIDE, *args], cwd=cwd, capture_output=True, text=True, timeout=60, env=env
    )


def test_version():
    result = run("--version")
    assert result.returncode == 0
    assert __version__ in result.stdout


def test_help_lists_subcommands():
    result = run("--help")
    assert result.returncode == 0
    for name in ("doctor", "serve", "open"):
        assert name in result.stdout


def test_doctor_prints_a_table_and_passes_essentials(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    result = run("doctor", str(tmp_path), env_extra={"OLLAMA_HOST": "http://127.0.0.1:9"})
    assert result.returncode == 0, result.stdout + result.stderr
    for name in ("Python", "git", "Docker", "data"):
        assert name.lower() in result.stdout.lower()


def test_doctor_fails_when_data_dir_is_unusable(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    result = run("doctor", str(tmp_path), env_extra={"AIIDE_DATA_DIR": str(blocker / "sub")})
    assert result.returncode == 1


def test_bad_project_config_names_file_line_and_key(tmp_path):
    (tmp_path / ".aiide.toml").write_text('[editor]\ntab_size = "four"\n')
    result = run("index", str(tmp_path))
    assert result.returncode != 0
    assert ".aiide.toml:2" in result.stderr
    assert "editor.tab_size" in result.stderr


def test_doctor_with_a_bad_config_says_so_in_its_row_and_checks_the_rest(tmp_path):
    (tmp_path / ".aiide.toml").write_text('[editor]\ntab_size = "four"\n')
    result = run("doctor", str(tmp_path), env_extra={"COLUMNS": "200"})
    assert result.returncode == 1
    assert "FAIL" in result.stdout and ".aiide.toml:2: editor.tab_size" in result.stdout
    assert "Python" in result.stdout and "git" in result.stdout  # the other checks ran


def test_doctor_names_the_environment_variables_in_force(tmp_path):
    result = run("doctor", str(tmp_path), env_extra={"AIIDE_UI__LAYOUT": "wide", "COLUMNS": "200"})
    assert "from the environment: AIIDE_UI__LAYOUT" in result.stdout


def test_a_mistyped_command_is_named_not_taken_for_a_folder(tmp_path):
    result = run("serach", "Store", cwd=tmp_path)
    assert result.returncode == 2
    assert "No command or folder named 'serach'; did you mean 'search'?" in result.stderr


def test_not_a_directory(tmp_path):
    result = run(str(tmp_path / "missing"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr


def test_run_refuses_a_timeout_of_zero(tmp_path):
    result = run("run", "--timeout", "0", "--", "true", cwd=tmp_path)
    assert result.returncode == 2 and "--timeout" in result.stderr


def test_quiet_commands_say_when_they_found_nothing(tmp_path):
    (tmp_path / "a.py").write_text("def alpha():\n    return 1\n")
    env = {"AIIDE_DATA_DIR": str(tmp_path / "data")}
    searched = run("search", "--root", str(tmp_path), "zzzqqq", env_extra=env)
    assert searched.returncode == 0 and searched.stdout == ""
    assert "Nothing in the index matches 'zzzqqq'" in searched.stderr
    audited = run("audit", "-C", str(tmp_path), env_extra=env)
    assert audited.returncode == 0 and "No sandboxed runs" in audited.stderr


def test_commands_print_the_config_warnings_the_app_would_show(tmp_path):
    (tmp_path / "a.py").write_text("def alpha():\n    return 1\n")
    (tmp_path / ".aiide.toml").write_text('[ui]\nthemee = "x"\n[sandbox]\nnetwork = true\n')
    env = {"AIIDE_DATA_DIR": str(tmp_path / "data"), "AIIDE_CONFIG_DIR": str(tmp_path / "cfg")}
    searched = run("search", "--root", str(tmp_path), "alpha", env_extra=env)
    assert searched.returncode == 0, searched.stderr
    assert "aiide: warning: " in searched.stderr and "did you mean ui.theme?" in searched.stderr
    assert "sandbox.network ignored" in searched.stderr
    assert "warning" not in searched.stdout


def test_an_unusable_data_folder_is_one_line_of_error_not_a_traceback(tmp_path):
    blocker = tmp_path / "datafile"
    blocker.write_text("")
    for command in (["stats"], ["audit"]):
        result = run(*command, cwd=tmp_path, env_extra={"AIIDE_DATA_DIR": str(blocker)})
        assert result.returncode == 1, command
        assert "Traceback" not in result.stderr
        assert "Set AIIDE_DATA_DIR to a writable folder" in result.stderr


def test_out_of_range_numbers_are_refused_as_usage_errors(tmp_path):
    for args in (
        ["run", "--timeout", "inf", "--", "true"],
        ["run", "--timeout", "nan", "--", "true"],
        ["audit", "-n", "0"],
        ["audit", "-n", "-5"],
        ["audit", "show", "99999999999999999999999"],
    ):
        result = run(*args, cwd=tmp_path, env_extra={"AIIDE_DATA_DIR": str(tmp_path / "d")})
        assert result.returncode == 2, (args, result.stderr)
        assert "Traceback" not in result.stderr and "Invalid value" in result.stderr


def test_search_prints_one_line_per_hit_even_for_a_name_with_a_newline(tmp_path):
    (tmp_path / "new\nline.py").write_text("def oddly_named():\n    return 1\n")
    env = {"AIIDE_DATA_DIR": str(tmp_path / "data")}
    found = run("search", "--root", str(tmp_path), "oddly_named", env_extra=env)
    assert found.returncode == 0, found.stderr
    first = found.stdout.splitlines()[0]
    assert first.startswith("new\\nline.py:1-2  new\\nline.oddly_named  ")  # path and symbol


def test_search_says_when_vectors_could_not_help_the_ranking(tmp_path):
    (tmp_path / "a.py").write_text("def alpha():\n    return 1\n")
    env = {"AIIDE_DATA_DIR": str(tmp_path / "data"), "OLLAMA_HOST": "http://127.0.0.1:9"}
    found = run("search", "--root", str(tmp_path), "alpha", env_extra=env)
    assert found.returncode == 0 and found.stdout.startswith("a.py:1-2")
    assert "aiide search: vectors off (" in found.stderr and "0 of 1 chunks" in found.stderr
    off = run("search", "--root", str(tmp_path), "alpha",
              env_extra={**env, "AIIDE_INDEX__VECTORS": "false"})  # fmt: skip
    assert off.returncode == 0 and "vectors" not in off.stderr  # switched off: nothing to say


def test_run_with_bad_settings_fails_as_a_settings_error_not_as_the_sandbox(tmp_path):
    result = run("run", "--", "true", cwd=tmp_path, env_extra={"AIIDE_SANDBOX__TIMEOUT_S": "abc"})
    assert result.returncode == 1, "125 is the sandbox's failure"
    assert "AIIDE_SANDBOX__TIMEOUT_S" in result.stderr and "Traceback" not in result.stderr


def _at_a_terminal(args: list[str], env: dict, *, cwd: Path | None = None) -> str:
    """What `aiide ARGS` prints when its output is a terminal (a pseudo-terminal here)."""
    import os
    import pty

    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [*AIIDE, *args], stdout=follower, stderr=follower, env={**os.environ, **env}, cwd=cwd
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


def test_audit_shows_a_runs_escape_codes_as_pictures_at_a_terminal(tmp_path, monkeypatch):
    from aiide_tui.sandbox.audit import AuditStore

    monkeypatch.setenv("AIIDE_DATA_DIR", str(tmp_path / "data"))
    store = AuditStore.for_project(tmp_path)
    run_id = store.start(
        argv=["sh", "-c", "printf ...\nsecond line"], requester="user", backend="docker",
        image="python", limits={},
    )  # fmt: skip
    out = "x\x1b]2;OWNED\x07y\n\x1b[2J\x1b[31mRED\n"
    store.finish(run_id, status="done", exit_code=0, stdout=out, diff="")
    store.close()
    env = {"AIIDE_DATA_DIR": str(tmp_path / "data")}
    shown = _at_a_terminal(["audit", "show", str(run_id), "-C", str(tmp_path)], env)
    assert "x␛]2;OWNED␇y" in shown and "\x1b]2;" not in shown
    listed = _at_a_terminal(["audit", "-C", str(tmp_path)], env)
    assert "printf ...␤second line" in listed  # one line per run
    piped = run("audit", "show", str(run_id), "-C", str(tmp_path), env_extra=env)
    assert out in piped.stdout  # into a pipe: the bytes as they were, colour codes too


def test_search_with_the_embedder_down_says_what_answered(tmp_path):
    (tmp_path / "a.py").write_text("def alpha():\n    return 1\n")
    env = {"AIIDE_DATA_DIR": str(tmp_path / "data"), "OLLAMA_HOST": "http://127.0.0.1:9"}
    searched = run("search", "--root", str(tmp_path), "alpha", env_extra=env)
    assert searched.returncode == 0 and "a.py" in searched.stdout
    assert "vectors off (" in searched.stderr and "full-text and graph answered" in searched.stderr
    assert "fills them in the background" not in searched.stderr  # nothing can, while down
