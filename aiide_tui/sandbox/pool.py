"""A warm pool: containers started ahead so an interactive run skips the start-up.

Each container is still used once and removed; the pool only moves the cost
of creating and starting it before the user asks. Containers are made for
one policy (image, limits, network): a run with another policy starts its
own. A pooled container's first process exits after `ttl_s`, so a pool left
behind by a crash goes away by itself (and is reaped on the next start).
When given a `prepare` callable (the project's snapshot), the pool also copies
the project in ahead, so a run sends only what changed since.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

from aiide_tui.sandbox.policy import SandboxPolicy
from aiide_tui.sandbox.workcopy import Snapshot

POOL_TTL_S = 1800
MARGIN_S = 30
"""A pooled container must have this long left beyond the run's time limit."""


class WarmPool:
    """Keeps `size` started containers for `policy`, refilled in a background thread."""

    def __init__(
        self,
        backend: Any,
        policy: SandboxPolicy,
        size: int,
        ttl_s: float = POOL_TTL_S,
        prepare: Callable[[], Snapshot] | None = None,
    ):
        self.backend = backend
        self.policy = policy
        self.size = size
        self.ttl_s = ttl_s
        self.prepare = prepare
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
            box = self.backend.create(self.policy, self.ttl_s)
            self._preload(box)
            with self._lock:
                if not self._closed:
                    self._ready.append((box, time.monotonic() + self.ttl_s))
                    continue
            box.close()
            self.backend.destroy(box.name)
            return

    def _preload(self, box: Any) -> None:
        """Copy the project in now; a failure only leaves the work for the run."""
        if self.prepare is not None:
            with contextlib.suppress(Exception):
                box.load(self.prepare())

    def take(self, policy: SandboxPolicy) -> Any | None:
        """A started container's `Box` for `policy`, or None (the caller starts its own)."""
        if policy != self.policy:
            return None
        needed = policy.timeout_s + MARGIN_S
        box = None
        with self._lock:
            stale = [b for b, ends in self._ready if ends - time.monotonic() < needed]
            self._ready = [(b, ends) for b, ends in self._ready if b not in stale]
            if self._ready:
                box = self._ready.pop(0)[0]
        for old in stale:
            old.close()
            self.backend.destroy(old.name)
        self._wanted.set()
        return box

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
        for box, _ in ready:
            box.close()
            self.backend.destroy(box.name)
