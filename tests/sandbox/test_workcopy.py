"""A run's changes against the host's files: applied only over what the run started from."""

from __future__ import annotations

from pathlib import Path

from aiide_tui.sandbox.workcopy import Snapshot, apply_changes, compare, snapshot
from aiide_tui.workspace import Workspace


def test_a_file_changed_on_the_host_after_the_run_started_is_left_alone(
    project: Path, tmp_path: Path
) -> None:
    """The run edited store.py and deleted README.md; meanwhile the user edited both on the
    host. Applying must not overwrite or delete their edits; models.py, untouched on the host,
    gets the run's change."""
    before = snapshot(project, 64 << 20)
    after = dict(before.files)
    after["inventory/store.py"] += b"# from the run\n"
    after["inventory/models.py"] += b"# from the run\n"
    del after["README.md"]
    changes = compare(before, Snapshot(after))
    (project / "inventory/store.py").write_text("# the user's edit\n")
    with (project / "README.md").open("a") as readme:
        readme.write("host notes\n")
    with Workspace(project, tmp_path / "state") as workspace:
        applied = apply_changes(workspace, changes, group="run-1")
    assert applied.written == ("inventory/models.py",)
    reasons = dict(applied.skipped)
    assert set(reasons) == {"README.md", "inventory/store.py"}
    assert all("changed on the host since the run started" in r for r in reasons.values())
    assert (project / "inventory/store.py").read_text() == "# the user's edit\n"
    assert (project / "README.md").read_text().endswith("host notes\n")
    assert (project / "inventory/models.py").read_text().endswith("# from the run\n")


def test_binary_files_and_execute_bits_come_back_byte_for_byte(
    project: Path, tmp_path: Path
) -> None:
    """A run that writes an image, makes a script and takes the execute bit off another:
    the diff says so in git's words, and applying gives the host exactly that."""
    tool = project / "tool.sh"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    before = snapshot(project, 64 << 20)
    assert "tool.sh" in before.executable and "README.md" not in before.executable
    image = b"\x89PNG\r\n\x1a\n\x00\xff"
    after = Snapshot(
        {**before.files, "logo.png": image, "gen.sh": b"#!/bin/sh\necho made\n"},
        executable=frozenset({"gen.sh"}),
    )
    changes = compare(before, after)
    assert set(changes.files) == {"logo.png", "gen.sh", "tool.sh"}
    assert "diff --git a/gen.sh b/gen.sh\nnew file mode 100755\n" in changes.diff
    assert "diff --git a/tool.sh b/tool.sh\nold mode 100755\nnew mode 100644\n" in changes.diff
    assert "Binary files /dev/null and b/logo.png differ" in changes.diff
    with Workspace(project, tmp_path / "state") as workspace:
        applied = apply_changes(workspace, changes, group="run-2")
        assert applied.skipped == ()
        assert (project / "logo.png").read_bytes() == image
        assert (project / "gen.sh").stat().st_mode & 0o111 == 0o111
        assert tool.stat().st_mode & 0o111 == 0
        assert tool.read_text() == "#!/bin/sh\n"
        # the execute bit taken off tool.sh is part of the step: undo gives it back
        assert sorted(workspace.undo_step()) == ["gen.sh", "logo.png", "tool.sh"]
    assert not (project / "logo.png").exists() and not (project / "gen.sh").exists()
    assert tool.stat().st_mode & 0o777 == 0o755


def test_secrets_by_name_or_by_a_private_key_inside_never_go_into_a_run(project: Path) -> None:
    (project / ".envrc").write_text("export TOKEN=1\n")
    (project / "deploy.txt").write_text(
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEE\n-----END EC PRIVATE KEY-----\n"
    )
    snap = snapshot(project, 64 << 20)
    assert {".env", ".envrc", "deploy.txt"} <= set(snap.skipped_secrets)
    assert not {".env", ".envrc", "deploy.txt"} & set(snap.files)
