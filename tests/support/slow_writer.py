"""A child process for the crash test: rewrites one file with `atomic_write` forever.

Usage: python -m tests.support.slow_writer TARGET OLD_BYTES NEW_BYTES
It writes NEW, OLD, NEW, ... (sizes in bytes, contents b"n"/b"o" repeated) and
prints "ready" once it is about to start, so the parent can SIGKILL it mid-write.
"""

from __future__ import annotations

import sys
from pathlib import Path

from aiide_tui.workspace.atomic import atomic_write


def contents(old_size: int, new_size: int) -> tuple[bytes, bytes]:
    """The two versions the writer alternates between (sizes differ, so truncation shows)."""
    return b"o" * old_size, b"n" * new_size


def main() -> None:
    target = Path(sys.argv[1])
    old, new = contents(int(sys.argv[2]), int(sys.argv[3]))
    print("ready", flush=True)
    while True:
        atomic_write(target, new)
        atomic_write(target, old)


if __name__ == "__main__":
    main()
