"""Test-wide isolation: no test reads or writes the real user's config or data."""

from __future__ import annotations

import pytest

from tests.support.model_server import model_server, model_server_process  # noqa: F401


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Point config and state at fresh folders, and hide the developer's own settings."""
    base = tmp_path_factory.mktemp("user")
    monkeypatch.setenv("AIIDE_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("AIIDE_DATA_DIR", str(base / "data"))
    for name in ("OLLAMA_HOST",):
        monkeypatch.delenv(name, raising=False)
    return base
