"""A warm pool: containers started ahead so an interactive run skips the start-up.

Each container is still used once and removed; the pool only moves the cost
of creating and starting it before the user asks. Containers are made for
one policy (image, limits, network): a run with another policy starts its
own. A pooled container's first process exits after `ttl_s`, so a pool left
behind by a crash goes away by itself (and is reaped on the next start).
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

from aiide_tui.sandbox.policy import SandboxPolicy

POOL_TTL_S = 1800
MARGIN_S = 30
"""A pooled container must have this long left beyond the run's time limit."""


class WarmPool:
    """Keeps `size` started containers for `policy`, refilled in a background thread."""

    def __init__(self, backend: Any, policy: SandboxPolicy, size: int, ttl_s: float = POOL_TTL_S):
        self.backend = backend
        self.policy = policy
        self.size = size
        self.ttl_s = ttl_s
        self._ready: list[tuple[Any, float]] = []
        self._lock = threading.Lock()
        self._wanted = threading.Event()
        self._closed = False
        self._thread = threading.Thread(target=self._fill_loop, daemon=True, name="sandbox-pool")

    def start(self) -> None:
        self._wanted.set()
        self._thread.start()

    def fill(self) -> None:
        """Create containers until the pool is full (blocking)."""
        while not self._closed:
            with self._lock:
                if len(self._ready) >= self.size:
                    return
            container = self.backend.create(self.policy, self.ttl_s)
            with self._lock:
                if self._closed:
                    self.backend.destroy(container.name)
                    return
                self._ready.append((container, time.monotonic() + self.ttl_s))

    def take(self, policy: SandboxPolicy) -> Any | None:
        """A started container for `policy`, or None (the caller starts its own)."""
        if policy != self.policy:
            return None
        needed = policy.timeout_s + MARGIN_S
        container = None
        with self._lock:
            stale = [c for c, ends in self._ready if ends - time.monotonic() < needed]
            self._ready = [(c, ends) for c, ends in self._ready if c not in stale]
            if self._ready:
                container = self._ready.pop(0)[0]
        for old in stale:
            self.backend.destroy(old.name)
        self._wanted.set()
        return container

    @property
    def ready(self) -> int:
        with self._lock:
            return len(self._ready)

    def _fill_loop(self) -> None:
        while not self._closed:
            self._wanted.wait()
            self._wanted.clear()
            with contextlib.suppress(Exception):
                self.fill()

    def close(self) -> None:
        """Remove every container still waiting in the pool."""
        with self._lock:
            self._closed = True
            ready, self._ready = self._ready, []
        self._wanted.set()
        for container, _ in ready:
            self.backend.destroy(container.name)
