"""The chat session's model providers, made ahead in a thread so that no question waits.

Making a provider imports its client library and builds its HTTP client:
about 150 ms the first time, long enough to stall the event loop the UI
shares. `warm` starts that in a thread as the session opens (or the model
changes); `get` waits only if it is still going. A provider that cannot be
made raises its error to the question that needs it, and the next question
tries again.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable

from aiide_tui.errors import AiideError
from aiide_tui.llm.base import Provider
from aiide_tui.llm.roles import Role

ProviderFactory = Callable[[Role], Provider]


class ProviderPool:
    """One provider per (role, model), made in a thread on first need or on `warm`."""

    def __init__(self, factory: ProviderFactory) -> None:
        self.factory = factory
        self._made: dict[tuple[str, str], asyncio.Task[Provider]] = {}

    def warm(self, role: Role) -> None:
        """Start making `role`'s provider in a thread, unless it is made or being made.

        Needs a running event loop; without one, `get` makes it.
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        key = (role.name, role.model)
        if key not in self._made:
            task = asyncio.ensure_future(asyncio.to_thread(_ready, self.factory, role))
            task.add_done_callback(_observed)
            self._made[key] = task

    async def get(self, role: Role) -> Provider:
        """`role`'s provider, waiting for its warm-up if that is still going.

        Raises:
            ConfigError: the provider cannot be made (the next call tries again).
        """
        self.warm(role)
        key = (role.name, role.model)
        task = self._made[key]
        try:
            return await asyncio.shield(task)
        except AiideError:
            if self._made.get(key) is task:
                del self._made[key]
            raise

    async def aclose(self) -> None:
        tasks, self._made = list(self._made.values()), {}
        for task in tasks:
            try:
                provider = await task
            except Exception:
                continue  # never made, so nothing to close (a question got the error)
            await provider.aclose()


def _ready(factory: ProviderFactory, role: Role) -> Provider:
    """Make the provider (in a thread), then load what its HTTP stack imports on first use."""
    provider = factory(role)
    _load_http_backend()
    return provider


@functools.cache
def _load_http_backend() -> None:
    """httpx loads anyio's asyncio backend on its first request (about 15 ms): load it now."""
    try:
        import anyio
    except ImportError:
        return
    anyio.run(anyio.sleep, 0)


def _observed(task: asyncio.Task) -> None:
    """Mark a failed warm-up as seen: its error is raised to the question that needs it."""
    if not task.cancelled():
        task.exception()
