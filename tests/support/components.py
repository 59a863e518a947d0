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


def as_plain_user(command: list[str]) -> list[str]:
    """`command` run without the powers that let root read any file (CAP_DAC_OVERRIDE and
    CAP_DAC_READ_SEARCH, dropped by setpriv), so a mode-000 file is unreadable to it even
    when the tests run as root."""
    if os.geteuid() != 0:
        return command
    caps = "-dac_override,-dac_read_search"
    setpriv = require_command("setpriv", "apt-get install util-linux")
    return [setpriv, "--bounding-set", caps, "--inh-caps", caps, *command]
