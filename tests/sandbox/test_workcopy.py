"""A run's changes against the host's files: applied only over what the run started from."""

from __future__ import annotations

from pathlib import Path

from aiide_tui.sandbox.workcopy import apply_changes, compare, snapshot
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
    changes = compare(before, after)
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
