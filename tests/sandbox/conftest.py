"""Sandbox tests run real containers: skip without an engine locally, fail in CI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from aiide_tui.config import SandboxConfig
from tests.support.components import in_ci

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "inventory"
HOW = "run scripts/ci-docker.sh (installs docker.io, starts dockerd, builds the offline image)"
IMAGE = "aiide-sandbox-python:latest"


def require_docker() -> None:
    """Skip (locally) or fail (CI) unless an engine answers and the image is built."""
    from aiide_tui.sandbox.docker_backend import connect
    from aiide_tui.sandbox.errors import NoEngineError

    try:
        client = connect()
    except NoEngineError as error:
        reason = f"no Docker engine: {HOW} ({error.message[:120]})"
        pytest.fail(f"CI needs Docker: {reason}") if in_ci() else pytest.skip(reason)
    try:
        client.images.get(IMAGE)
    except Exception:
        reason = f"the image {IMAGE} is not built: {HOW}"
        pytest.fail(f"CI needs {IMAGE}: {reason}") if in_ci() else pytest.skip(reason)
    finally:
        client.close()


@pytest.fixture
def docker_engine() -> None:
    require_docker()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of examples/inventory with a secret the sandbox must not see."""
    root = tmp_path / "inventory"
    shutil.copytree(EXAMPLE, root)
    (root / ".env").write_text("API_TOKEN=do-not-leak-9f2c\n")
    (root / ".venv" / "lib").mkdir(parents=True)
    (root / ".venv" / "lib" / "junk.py").write_text("junk\n")
    return root


def sandbox_config(**changes: object) -> SandboxConfig:
    """Test settings: no warm pool unless asked, short time limit."""
    base = {"pool_size": 0, "timeout_s": 60}
    base.update(changes)
    return SandboxConfig(**base)  # type: ignore[arg-type]
