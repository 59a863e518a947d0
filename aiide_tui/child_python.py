"""How aiide starts Python processes of its own: never importing from the project.

Python's `-c` and `-m` put the current folder first on `sys.path`, and aiide
runs in the user's project: a project file named `signal.py`, `queue.py` or
`json.py` would be imported, so run on the host, by a model server child, by
`pip`, or by the helpers multiprocessing starts for the parse pool. Python 3.11's
PYTHONSAFEPATH leaves that folder out.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

SAFE_PATH = "PYTHONSAFEPATH"


def child_env() -> dict[str, str]:
    """The environment for a Python child process aiide starts."""
    return {**os.environ, SAFE_PATH: "1"}


@contextlib.contextmanager
def safe_path_while_starting() -> Iterator[None]:
    """Set PYTHONSAFEPATH in this process while children are started that take no `env`
    (multiprocessing's helpers), and put it back as it was."""
    before = os.environ.get(SAFE_PATH)
    os.environ[SAFE_PATH] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(SAFE_PATH, None)
        else:
            os.environ[SAFE_PATH] = before
