"""A started sandbox container: what its work folder holds, and how the folder comes back.

Two costs of a run are moved off its path here. The project goes in when the
container is made (a warm pool does it ahead); a run only sends the files
that changed since, and takes a fresh container when a file was deleted, so
the folder always holds exactly the run's snapshot. The folder comes back
through the container's first process: it waits on its stdin (attached when
the container starts) and on request replaces itself with `tar` of the
folder, which is cheaper than the engine's `get_archive`. That stream is as
untrusted as the folder (the run may write into it): it is parsed in memory
under the same size limit, and read under a deadline.
"""

from __future__ import annotations

import contextlib
import struct
import tarfile
import time
from collections.abc import Iterator
from typing import Any

from aiide_tui.sandbox.errors import SandboxError
from aiide_tui.sandbox.policy import WORK_DIR
from aiide_tui.sandbox.workcopy import Snapshot, pack, read_tree

READBACK_S = 30.0
"""The longest a finished run's work folder may take to come back."""
HOLD_SCRIPT = (
    "read -r _ || exit 0; chmod -R u+rwX . 2>/dev/null; "
    "exec tar --hard-dereference -cf - . 2>/dev/null"
)
"""Wait for the request (exit when aiide goes away), then send the folder as a tar.

`chmod` first so files the run made unreadable still come back; `exec` so a
run that used up its process limit cannot stop the reply.
"""
STDOUT = 1


def first_process(hold_s: float) -> list[str]:
    """The container's first process: holds it `hold_s` seconds at most, then exits."""
    return ["timeout", str(int(hold_s)), "sh", "-c", HOLD_SCRIPT]


class Box:
    """One container, used for one run, with the channel its work folder comes back on."""

    def __init__(self, container: Any, channel: Any) -> None:
        self.container = container
        self.name: str = container.name
        self._channel = channel
        self._raw = getattr(channel, "_sock", channel)
        self.loaded: Snapshot | None = Snapshot({})
        """The files in its work folder; None once unknown (a copy failed half-way)."""

    @classmethod
    def attach(cls, api: Any, container: Any) -> Box:
        """Attach to a started container's first process (its stdin and stdout)."""
        params = {"stdin": 1, "stdout": 1, "stream": 1}
        return cls(container, api.attach_socket(container.id, params=params))

    def load(self, snap: Snapshot) -> bool:
        """Make the work folder hold exactly `snap`; False when only a fresh container can.

        Raises:
            SandboxError: the engine refused the copy.
        """
        held = self.loaded
        if held is None or any(rel not in snap.files for rel in held.files):
            return False
        changed = {
            rel: data
            for rel, data in snap.files.items()
            if held.files.get(rel) != data or (rel in held.executable) != (rel in snap.executable)
        }
        if changed:
            self.loaded = None
            update = Snapshot(changed, executable=snap.executable & changed.keys())
            if not self.container.put_archive(WORK_DIR, pack(update)):
                raise SandboxError("Could not copy the project into the sandbox")
        self.loaded = snap
        return True

    def fetch(self, limit_bytes: int, timeout_s: float = READBACK_S) -> Snapshot:
        """The work folder's files as they are now (the box cannot be asked twice).

        Raises:
            SandboxError: it did not come back in time, or came back malformed or too large.
        """
        deadline = time.monotonic() + timeout_s
        try:
            self._raw.sendall(b"send\n")
            return read_tree(self._frames(deadline), limit_bytes)
        except (OSError, EOFError) as error:
            raise SandboxError(f"The run's work folder did not come back ({error})") from None
        except tarfile.TarError as error:
            raise SandboxError(f"The run's work folder came back malformed ({error})") from None

    def _frames(self, deadline: float) -> Iterator[bytes]:
        """The first process's stdout from the engine's multiplexed stream, until it ends."""
        while True:
            header = self._read(8, deadline, allow_eof=True)
            if not header:
                return
            kind, size = struct.unpack(">BxxxL", header)
            while size:
                chunk = self._read(min(size, 1 << 16), deadline)
                size -= len(chunk)
                if kind == STDOUT:
                    yield chunk

    def _read(self, size: int, deadline: float, *, allow_eof: bool = False) -> bytes:
        data = b""
        while len(data) < size:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("time is up")
            self._raw.settimeout(left)
            chunk = self._raw.recv(size - len(data))
            if not chunk:
                if allow_eof and not data:
                    return b""
                raise EOFError("the stream ended early")
            data += chunk
        return data

    def close(self) -> None:
        """Drop the channel (the first process then exits, if it still waits)."""
        with contextlib.suppress(Exception):
            self._channel.close()
