"""Fixtures for driving the whole app: a real git project and a helper to wait on it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.projects import committed_example


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the example project, committed in a fresh git repository."""
    return committed_example(tmp_path)


async def wait_for(pilot, condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Let the app run until `condition()` is true (workers and the watcher are real)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {condition}")
        await pilot.pause(0.05)
