"""A command line the user types (F8, chat's `/run`): run by the shell, in the sandbox.

Splitting it into words ourselves would pass `|`, `>` and `&&` on as arguments;
`sh -c` gives them the meaning the user meant, inside the container.
"""

from __future__ import annotations

import shlex


def shell_command(line: str) -> list[str]:
    """The argv that runs `line` with the shell's pipes, redirects and `&&`."""
    return ["sh", "-c", line]


def command_text(argv: list[str]) -> str:
    """A run's command as the user typed it (the line of a `shell_command`), else quoted."""
    if len(argv) == 3 and argv[:2] == ["sh", "-c"]:
        return argv[2]
    return shlex.join(argv)
