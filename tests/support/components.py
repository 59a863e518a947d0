"""Real components a test needs: skip outside CI with how to enable it; fail in CI."""

from __future__ import annotations

import os
import shutil

import pytest


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require_command(name: str, how: str) -> str:
    """Return the path of `name`, or skip (locally) / fail (CI) saying how to get it."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} is not installed: {how}"
    if in_ci():
        pytest.fail(f"CI needs {name}: {how}")
    pytest.skip(message)
