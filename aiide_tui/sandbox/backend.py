"""What every sandbox backend does, so the runner does not care which one runs the code."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import ClassVar

from aiide_tui.sandbox.output import OutputCapture
from aiide_tui.sandbox.policy import SandboxPolicy
from aiide_tui.sandbox.workcopy import Snapshot

TIMEOUT_EXIT = 124
"""Exit status of a run killed at its time limit (as coreutils `timeout` uses)."""
CANCELLED_EXIT = 130
"""Exit status of a run stopped by the user (as a shell reports Ctrl-C)."""
KILLED_EXIT = 137
"""128 + SIGKILL: the kernel's out-of-memory killer, as a rule (the time limit says so)."""


@dataclass(frozen=True)
class Job:
    """One run for a backend: the command, its limits and the files it sees."""

    argv: Sequence[str]
    policy: SandboxPolicy
    snapshot: Snapshot
    environment: Mapping[str, str]
    cancelled: threading.Event = field(default_factory=threading.Event)
    """Set (from any thread) to kill the run now: Ctrl-C, a cancelled task."""


@dataclass(frozen=True)
class Outcome:
    """How the command ended, and the work folder afterwards (None: not read back)."""

    exit_code: int
    timed_out: bool
    after: Snapshot | None


class Backend(ABC):
    """A way to run a command isolated from the host.

    `execute` blocks (the runner calls it in a thread); setting the job's
    `cancelled` event from another thread must make it return soon.
    """

    name: ClassVar[str]
    WEAKER: ClassVar[bool] = False
    """True for backends weaker than a container; the UI labels their runs."""

    @abstractmethod
    def execute(self, job: Job, capture: OutputCapture) -> Outcome:
        """Run `job`, feeding its output to `capture`, and always clean up after it.

        Raises:
            SandboxError: the run could not be started or read back.
        """

    def close(self) -> None:
        """Release what the backend holds (a warm pool, a connection); nothing by default."""
        return None
