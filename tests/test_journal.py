"""UndoJournal: record, undo (single and grouped), persistence, schema and recovery."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from aiide_tui.errors import WorkspaceError
from aiide_tui.workspace.journal import SCHEMA_VERSION, UndoJournal


@pytest.fixture
def journal(tmp_path: Path) -> Iterator[UndoJournal]:
    with UndoJournal(tmp_path / "state" / "journal.sqlite") as opened:
        yield opened


def test_record_and_list_newest_first(journal: UndoJournal) -> None:
    first = journal.record("a.py", None, b"x = 1\n", "create a")
    second = journal.record("a.py", b"x = 1\n", b"x = 2\n", "edit a")
    entries = journal.entries()
    assert [e.id for e in entries] == [second, first]
    assert (entries[1].before, entries[1].after, entries[1].label) == (None, b"x = 1\n", "create a")
    assert not any(e.undone for e in entries)
    assert journal.entries(limit=1)[0].id == second


def test_undo_last_walks_back_one_entry_at_a_time(journal: UndoJournal) -> None:
    first = journal.record("a.py", None, b"1", "one")
    second = journal.record("b.py", b"0", b"2", "two")
    assert journal.undo_last().id == second
    assert journal.undo_last().id == first
    assert journal.undo_last() is None
    assert all(e.undone for e in journal.entries())


def test_a_group_undoes_as_one_step(journal: UndoJournal) -> None:
    lone = journal.record("x.py", b"", b"x", "lone")
    ids = [journal.record(f"m{i}.py", b"old", b"new", "refactor", group="g1") for i in range(3)]
    step = journal.undo_last_step()
    assert [e.id for e in step] == ids[::-1]
    assert {e.path for e in step} == {"m0.py", "m1.py", "m2.py"}
    assert journal.last_step()[0].id == lone


def test_undo_last_marks_the_whole_group(journal: UndoJournal) -> None:
    journal.record("a.py", b"", b"a", "before")
    journal.record("m0.py", b"", b"0", "refactor", group="g")
    newest = journal.record("m1.py", b"", b"1", "refactor", group="g")
    assert journal.undo_last().id == newest
    assert [e.label for e in journal.last_step()] == ["before"]


def test_a_group_split_by_another_entry_is_two_steps(journal: UndoJournal) -> None:
    early = journal.record("a.py", b"", b"1", "agent", group="g")
    journal.record("b.py", b"", b"2", "user edit")
    late = journal.record("c.py", b"", b"3", "agent", group="g")
    assert [e.id for e in journal.undo_last_step()] == [late]
    journal.undo_last_step()
    assert [e.id for e in journal.undo_last_step()] == [early]


def test_last_step_does_not_mark(journal: UndoJournal) -> None:
    entry_id = journal.record("a.py", b"", b"1", "one")
    assert journal.last_step()[0].id == entry_id
    assert journal.last_step()[0].id == entry_id
    journal.mark_undone([entry_id])
    assert journal.last_step() == []


def test_forget_removes_an_entry(journal: UndoJournal) -> None:
    entry_id = journal.record("a.py", b"", b"1", "failed write")
    journal.forget(entry_id)
    assert journal.entries() == []


def test_entries_survive_reopening(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite"
    with UndoJournal(db) as journal:
        journal.record("a.py", None, b"\x00binary\xff", "one")
        journal.record("b.py", b"b", None, "delete b")
        journal.undo_last()
    with UndoJournal(db) as journal:
        entries = journal.entries()
        assert [(e.path, e.undone) for e in entries] == [("b.py", True), ("a.py", False)]
        assert entries[1].after == b"\x00binary\xff"
        assert journal.undo_last().path == "a.py"


def test_committed_entries_survive_kill_9(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite"
    script = (
        "import os, signal, sys\n"
        "from aiide_tui.workspace.journal import UndoJournal\n"
        "j = UndoJournal(sys.argv[1])\n"
        "for i in range(20): j.record(f'f{i}.py', None, b'x' * 1000, 'edit')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(db)], check=False)
    with UndoJournal(db) as journal:
        assert len(journal.entries(limit=100)) == 20


def test_schema_is_versioned_and_in_wal_mode(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite"
    UndoJournal(db).close()
    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite"
    with sqlite3.connect(db) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(WorkspaceError, match="newer aiide"):
        UndoJournal(db)


def test_corrupt_journal_is_moved_aside(tmp_path: Path) -> None:
    db = tmp_path / "journal.sqlite"
    db.write_bytes(b"this is not a database" * 100)
    with UndoJournal(db) as journal:
        journal.record("a.py", None, b"1", "one")
        assert len(journal.entries()) == 1
    kept = [p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name]
    assert len(kept) == 1


def test_old_entries_are_pruned(tmp_path: Path) -> None:
    with UndoJournal(tmp_path / "j.sqlite", keep=5) as journal:
        ids = [journal.record(f"{i}.py", None, b"x", "edit") for i in range(12)]
        assert [e.id for e in journal.entries()] == ids[::-1][:5]


def test_a_version_1_journal_is_migrated_and_keeps_its_entries(tmp_path: Path) -> None:
    path = tmp_path / "journal.sqlite"
    with sqlite3.connect(path) as raw:
        raw.executescript(
            "CREATE TABLE entries (id INTEGER PRIMARY KEY AUTOINCREMENT, path BLOB NOT NULL,"
            " before BLOB, after BLOB, label TEXT NOT NULL, grp TEXT, created_at REAL NOT NULL,"
            " undone INTEGER NOT NULL DEFAULT 0); CREATE INDEX entries_grp ON entries (grp);"
            " INSERT INTO entries (path, before, after, label, created_at)"
            " VALUES (X'612E7079', X'31', X'32', 'edit a', 1.0); PRAGMA user_version = 1;"
        )
    raw.close()
    with UndoJournal(path) as journal:
        (old,) = journal.entries()
        assert (old.path, old.before, old.after, old.mode_before) == ("a.py", b"1", b"2", None)
        journal.record("b.py", None, b"x", "create b", mode_after=0o755)
        assert journal.entries(1)[0].mode_after == 0o755
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
    raw.close()


def test_a_big_multi_file_step_is_one_step_and_keeps_the_history_before_it(
    tmp_path: Path,
) -> None:
    with UndoJournal(tmp_path / "j.sqlite", keep=3) as journal:
        for n in range(5):
            journal.record(f"s{n}.py", b"old", b"new", "save")
        assert [e.path for e in journal.entries()] == ["s4.py", "s3.py", "s2.py"]  # 3 steps
        for n in range(600):  # one sandbox run's files: once they pruned everything else
            journal.record(f"gen/f{n}.txt", None, b"x", "sandbox run", group="run-47")
        assert len(journal.undo_last_step()) == 600
        assert journal.undo_last().path == "s4.py" and journal.undo_last().path == "s3.py"


def test_old_steps_give_their_space_back(tmp_path: Path, monkeypatch) -> None:
    import aiide_tui.workspace.journal as journal_module

    monkeypatch.setattr(journal_module, "KEEP_BYTES", 3 << 20)
    path = tmp_path / "j.sqlite"
    with UndoJournal(path) as journal:
        for n in range(6):  # one step of 6 MiB: the newest is kept, whatever its size
            journal.record(f"big{n}.bin", None, bytes([n]) * (1 << 20), "run", group="run-1")
        journal.record("small.py", b"a", b"b", "save")
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        paths = [e.path for e in journal.entries()]
    assert paths == ["small.py"]  # the run's 6 MiB went: over the 3 MiB older steps may hold
    assert path.stat().st_size < 1 << 20  # and the file gave the space back
