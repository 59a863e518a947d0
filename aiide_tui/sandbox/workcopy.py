"""The run's copy of the project, and the diff that is all a run can give back.

The project goes in as a tar of its files (git's view: .gitignore'd junk such
as .venv/ stays out) minus anything that looks like a secret; it comes back
as a tar of the work folder, compared in memory with what went in. Nothing
from a run is ever written to the user's files here: `apply_changes` does
that later, through the workspace's path policy and undo journal, when the
user says yes.
"""

from __future__ import annotations

import base64
import difflib
import hashlib
import io
import json
import os
import re
import stat
import tarfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from aiide_tui.errors import AiideError, PathPolicyError
from aiide_tui.sandbox.errors import SandboxError
from aiide_tui.sandbox.policy import SANDBOX_UID
from aiide_tui.workspace import GitError, GitRepo, PathPolicy, Workspace, decode_bytes
from aiide_tui.workspace.listing import SKIPPED_DIRS, project_files
from aiide_tui.workspace.paths import secret_text

MAX_CHANGE_BYTES = 64 << 20
"""A file a run made bigger than this stays in the sandbox: kept in the run log until applied,
and in the undo journal after, one 466 MB file grew aiide's data folder by gigabytes."""
SYMLINK_PREFIX = b"\0symlink\0"
"""How a symlink's target is held in a snapshot, so a link never compares equal to a file."""


@dataclass(frozen=True)
class Snapshot:
    """Files by root-relative posix path: bytes, or SYMLINK_PREFIX + target for links."""

    files: Mapping[str, bytes]
    skipped_secrets: tuple[str, ...] = ()
    executable: frozenset[str] = frozenset()
    """The regular files with an execute bit: scripts must still run in the sandbox."""

    @property
    def size(self) -> int:
        return sum(len(data) for data in self.files.values())


@dataclass(frozen=True)
class Changes:
    """What a run changed: new contents by path (None: deleted), and the unified diff."""

    files: Mapping[str, bytes | None] = field(default_factory=dict)
    diff: str = ""
    base: Mapping[str, str | None] = field(default_factory=dict)
    """Per changed path, a digest of what the run started from (None: no such file), so
    applying later never overwrites what was changed on the host since."""
    executable: frozenset[str] = frozenset()
    """The changed files that are executable after the run."""
    too_large: tuple[str, ...] = ()
    """Files the run wrote over `MAX_CHANGE_BYTES`: not changes, named so the user knows."""

    def to_json(self) -> str:
        """The changes as JSON (contents in base64), kept in the run log until applied."""
        return json.dumps(
            {
                "files": {
                    path: None if data is None else base64.b64encode(data).decode("ascii")
                    for path, data in self.files.items()
                },
                "diff": self.diff,
                "base": dict(self.base),
                "executable": sorted(self.executable),
                "too_large": list(self.too_large),
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Changes:
        stored = json.loads(text)
        files = {
            path: None if data is None else base64.b64decode(data)
            for path, data in stored["files"].items()
        }
        return cls(
            files, stored["diff"], stored["base"], frozenset(stored["executable"]),
            tuple(stored.get("too_large", ())),
        )  # fmt: skip


def snapshot(root: Path, limit_bytes: int) -> Snapshot:
    """Read the files a run may see; secrets and links leaving the project stay out.

    Raises:
        SandboxError: the files are larger than the run's work folder.
    """
    policy = PathPolicy(root)
    files: dict[str, bytes] = {}
    secrets: list[str] = []
    executable: set[str] = set()
    total = 0
    for rel in project_files(policy.root, folder_links=True):
        path = policy.root / rel
        if policy.is_secret(rel):
            secrets.append(rel)
            continue
        data = _read_entry(policy, path, rel)
        if data is None:
            continue
        if secret_text(data):  # a private key, whatever the file is called
            secrets.append(rel)
            continue
        if not data.startswith(SYMLINK_PREFIX) and _is_executable(path):
            executable.add(rel)
        total += len(data)
        if total > limit_bytes:
            raise SandboxError(
                f"The project's files are over the work folder's size ({limit_bytes >> 20} MiB): "
                "raise [sandbox] work_mb"
            )
        files[rel] = data
    return Snapshot(files, tuple(secrets), frozenset(executable))


def _is_executable(path: Path) -> bool:
    try:
        return bool(path.stat().st_mode & 0o111)
    except OSError:
        return False


def _read_entry(policy: PathPolicy, path: Path, rel: str) -> bytes | None:
    """A regular file's bytes, a relative in-project link as a link, else None."""
    try:
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode):
            target = os.readlink(path)
            if os.path.isabs(target):
                return None
            policy.resolve(rel)
            return SYMLINK_PREFIX + os.fsencode(target)
        if stat.S_ISREG(info.st_mode):
            return path.read_bytes()
    except (OSError, PathPolicyError):
        return None
    return None


def pack(snap: Snapshot) -> bytes:
    """The snapshot as a tar owned by the sandbox user, for extraction into the work folder."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for directory in sorted(_parents(snap.files)):
            tar.addfile(_info(directory, tarfile.DIRTYPE, 0o755))
        for rel, data in sorted(snap.files.items()):
            if data.startswith(SYMLINK_PREFIX):
                info = _info(rel, tarfile.SYMTYPE, 0o777)
                info.linkname = os.fsdecode(data[len(SYMLINK_PREFIX) :])
                tar.addfile(info)
            else:
                info = _info(rel, tarfile.REGTYPE, 0o755 if rel in snap.executable else 0o644)
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _parents(paths: Iterable[str]) -> set[str]:
    return {parent.as_posix() for rel in paths for parent in PurePosixPath(rel).parents} - {"."}


def _info(name: str, kind: bytes, mode: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = int(time.time())
    info.type = kind
    info.mode = mode
    info.uid = info.gid = SANDBOX_UID
    return info


def read_tree(chunks: Iterable[bytes], limit_bytes: int) -> Snapshot:
    """Files from a tar stream of the work folder, relative to its root.

    Only regular files and links are taken; devices, fifos and the like are
    ignored. Nothing is written to disk: the tar comes from an untrusted run.

    Raises:
        SandboxError: the tree is larger than `limit_bytes`.
    """
    stream = _ChunkReader(iter(chunks))
    files: dict[str, bytes] = {}
    executable: set[str] = set()
    total = 0
    with tarfile.open(fileobj=stream, mode="r|") as tar:
        for member in tar:
            rel = _relative(member.name)
            if rel is None:
                continue
            if member.issym():
                files[rel] = SYMLINK_PREFIX + os.fsencode(member.linkname)
            elif member.isfile():
                total += member.size
                if total > limit_bytes:
                    raise SandboxError("The run's work folder came back larger than its limit")
                handle = tar.extractfile(member)
                files[rel] = handle.read() if handle else b""
                if member.mode & 0o111:
                    executable.add(rel)
    return Snapshot(files, executable=frozenset(executable))


def _relative(name: str) -> str | None:
    parts = PurePosixPath(name).parts
    if not parts or any(part in ("..", "") for part in parts) or parts[0] == "/":
        return None
    return PurePosixPath(*parts).as_posix()


class _ChunkReader(io.RawIOBase):
    """A file-like reader over an iterator of byte chunks (tarfile's stream mode reads it)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        while not self._pending:
            try:
                self._pending = next(self._chunks)
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def compare(before: Snapshot, after: Snapshot, *, left_out: Iterable[str] = ()) -> Changes:
    """The files a run added, changed, deleted or made (not) executable, and their unified
    diff (a/ and b/ paths, git's mode lines); new files named in `left_out` (see
    `byproducts`) are not changes."""
    changed: dict[str, bytes | None] = {}
    base: dict[str, str | None] = {}
    parts: list[str] = []
    skipped = set(left_out) - set(before.files)
    too_large: list[str] = []
    for rel in sorted(set(before.files) | set(after.files)):
        old, new = before.files.get(rel), after.files.get(rel)
        modes = (_mode(before, rel, old), _mode(after, rel, new))
        if (old == new and modes[0] == modes[1]) or rel in skipped:
            continue
        if new is not None and len(new) > MAX_CHANGE_BYTES:
            too_large.append(rel)
            continue
        changed[rel] = new
        base[rel] = _digest(old)
        parts.append(_file_diff(rel, old, new, modes))
    executable = frozenset(rel for rel in changed if rel in after.executable)
    return Changes(changed, "".join(parts), base, executable, tuple(too_large))


def _mode(snap: Snapshot, rel: str, data: bytes | None) -> str:
    if data is None:
        return ""
    if data.startswith(SYMLINK_PREFIX):
        return "120000"
    return "100755" if rel in snap.executable else "100644"


def _digest(data: bytes | None) -> str | None:
    return None if data is None else hashlib.blake2b(data, digest_size=16).hexdigest()


def byproducts(root: Path, before: Snapshot, after: Snapshot) -> set[str]:
    """Files a run created that the project would not keep: caches in junk folders
    (`.pytest_cache/`, `__pycache__/`...) and whatever the project's .gitignore excludes
    (build output), just as such files never went into the run."""
    created = [rel for rel in after.files if rel not in before.files]
    junk = {rel for rel in created if not SKIPPED_DIRS.isdisjoint(rel.split("/")[:-1])}
    repo = GitRepo.open(root)
    if repo is None:
        return junk
    try:
        return junk | repo.ignored([rel for rel in created if rel not in junk])
    except GitError:
        return junk


def _file_diff(rel: str, old: bytes | None, new: bytes | None, modes: tuple[str, str]) -> str:
    header = f"diff --git a/{rel} b/{rel}\n"
    if old is None:
        header += f"new file mode {modes[1]}\n"
    elif new is None:
        header += f"deleted file mode {modes[0]}\n"
    elif modes[0] != modes[1]:
        header += f"old mode {modes[0]}\nnew mode {modes[1]}\n"
    if old == new:
        return header
    old_text, new_text = _as_text(old), _as_text(new)
    if old_text is None or new_text is None:
        from_name = f"a/{rel}" if old is not None else "/dev/null"
        to_name = f"b/{rel}" if new is not None else "/dev/null"
        return header + f"Binary files {from_name} and {to_name} differ\n"
    from_name = f"a/{rel}" if old is not None else "/dev/null"
    to_name = f"b/{rel}" if new is not None else "/dev/null"
    lines = difflib.unified_diff(
        old_text.splitlines(keepends=True),
        new_text.splitlines(keepends=True),
        from_name,
        to_name,
    )
    body = "".join(
        line if line.endswith("\n") else line + "\n\\ No newline at end of file\n" for line in lines
    )
    return header + body


def _as_text(data: bytes | None) -> str | None:
    if data is None:
        return ""
    if data.startswith(SYMLINK_PREFIX):
        return None
    try:
        return decode_bytes(data)[0]
    except Exception:
        return None


@dataclass(frozen=True)
class Applied:
    """What `apply_changes` wrote, and what it left for the user (with the reason)."""

    written: tuple[str, ...]
    skipped: tuple[tuple[str, str], ...]


def apply_changes(
    workspace: Workspace, changes: Changes, *, group: str, confirmed: bool = False
) -> Applied:
    """Write a run's changed files (text or binary, byte for byte, with their execute bit)
    and make its deletions through the workspace (path policy, undo journal); a file changed
    on the host since the run started is left as it is (the run's version would overwrite
    that change).

    Links are left for the user: the workspace has no journaled way to make them. Undo
    restores contents; a mode the run changed stays. `confirmed` writes protected paths
    (secrets, CI config) too, which otherwise are left with the reason.
    """
    written: list[str] = []
    skipped: list[tuple[str, str]] = []
    policy = workspace.policy
    for rel, data in sorted(changes.files.items()):
        if (
            rel in changes.base
            and _digest(_read_entry(policy, policy.root / rel, rel)) != (changes.base[rel])
        ):
            skipped.append((rel, "changed on the host since the run started; run it again"))
            continue
        if data is not None and data.startswith(SYMLINK_PREFIX):
            skipped.append((rel, "a symbolic link"))
            continue
        try:
            if data is None:
                workspace.delete(rel, confirmed=confirmed, label="sandbox run", group=group)
            else:
                workspace.write_bytes(
                    rel, data, executable=rel in changes.executable, label="sandbox run",
                    group=group, confirmed=confirmed,
                )  # fmt: skip
        except AiideError as error:
            skipped.append((rel, error.message))
            continue
        written.append(rel)
    return Applied(tuple(written), tuple(skipped))


def left_over(changes: Changes, applied: Applied) -> Changes:
    """The part of `changes` that `applied` left, to wait for another try."""
    left = {rel for rel, _ in applied.skipped}
    files = {rel: data for rel, data in changes.files.items() if rel in left}
    base = {rel: digest for rel, digest in changes.base.items() if rel in left}
    heads = tuple(f"diff --git a/{rel} b/{rel}\n" for rel in left)
    parts = re.split(r"(?m)^(?=diff --git )", changes.diff)
    diff = "".join(part for part in parts if part.startswith(heads))
    return Changes(files, diff, base, changes.executable & left)
