"""Slash commands: what `/add`, `/drop`, `/model`, `/clear`, `/undo`, `/context`, `/run` do.

Each returns Markdown to show the user; the same table serves the app's
chat panel and `aiide chat`.
"""

from __future__ import annotations

import asyncio
import re
import shlex
from collections.abc import Awaitable, Callable
from difflib import get_close_matches

from aiide_tui.chat.session import ChatError, ChatSession
from aiide_tui.errors import AiideError
from aiide_tui.sandbox.command_line import shell_command

COMMANDS: dict[str, str] = {
    "/add": "PATH... pin files (or a folder's) into every question's context",
    "/drop": "NAME... unpin a file, or leave out `map`, `hits` or an item by label",
    "/model": "[chat|reasoning|MODEL] show or switch the model",
    "/clear": "start a new conversation",
    "/undo": "revert the last applied proposal",
    "/context": "show what went into the last question's context",
    "/run": "CMD run a command in the sandbox; its output joins the next question's context",
    "/history": "list recent conversations",
    "/export": "write the conversation to a Markdown file (/export PATH: into the project)",
    "/search": "TEXT find messages in this project's conversations",
}
"""Command -> its arguments and what it does (for help and completion)."""


_COMMAND_WORD = re.compile(r"/[A-Za-z][\w-]*")
MAX_FOLDER_FILES = 30
"""`/add FOLDER` pins its files up to this many; more would crowd out everything else."""


def is_command(text: str) -> bool:
    """A slash and a word (`/undo`, or a mistyped `/undoo`, which `run` answers with the
    list); a path such as `/etc/hosts` is a question."""
    words = text.split(maxsplit=1)
    return bool(words) and _COMMAND_WORD.fullmatch(words[0]) is not None


async def run(session: ChatSession, text: str) -> str:
    """Run one slash command line; returns Markdown.

    Raises:
        ChatError: an unknown command or bad arguments.
    """
    name, _, rest = text.strip().partition(" ")
    handler = _HANDLERS.get(name)
    if handler is None:
        near = get_close_matches(name, list(COMMANDS), n=1)
        hint = f"did you mean {near[0]}? " if near else ""
        raise ChatError(f"no command {name}; {hint}commands: {', '.join(COMMANDS)}")
    return await handler(session, rest.strip())


async def _add(session: ChatSession, rest: str) -> str:
    if not rest:
        return "Pinned: " + (", ".join(session.pinned) or "nothing")
    added, refused = [], []
    for path in _with_folders_opened(session, shlex.split(rest), refused):
        reason = session.files.refusal(path) or session.files.content_refusal(path)
        if reason is not None:
            refused.append(f"{path} ({reason})")
        elif path not in session.pinned:
            session.pinned.append(path)
            added.append(path)
    session.dropped.difference_update(added)
    session.forget_map()
    lines = [f"Pinned {_code(added)}"] if added else []
    lines += [f"Not added: {_code(refused)}"] if refused else []
    return "\n\n".join(lines) or "Already pinned."


def _with_folders_opened(session: ChatSession, paths: list[str], refused: list[str]) -> list[str]:
    """The paths, a folder's among them replaced by the files in it that chat may see."""
    opened: list[str] = []
    for path in paths:
        try:
            is_folder = session.files.workspace.policy.resolve(path).is_dir()
        except AiideError:
            is_folder = False
        if not is_folder:
            opened.append(path)
            continue
        inside = session.files.under(session.files.workspace.policy.relative(path))
        if not inside:
            refused.append(f"{path} (a folder with no files chat may see)")
        elif len(inside) > MAX_FOLDER_FILES:
            refused.append(
                f"{path} (a folder of {len(inside)} files, over {MAX_FOLDER_FILES}: add the"
                " ones that matter, or @mention them)"
            )
        else:
            opened.extend(inside)
    return opened


async def _drop(session: ChatSession, rest: str) -> str:
    if not rest:
        raise ChatError("/drop what? a pinned path, `map`, `hits`, or an item's label")
    shown, unknown = [], []
    context = session.last_context
    labels = {item.label for item in context.items} if context is not None else set()
    for name in shlex.split(rest):
        inside = [path for path in session.pinned if path.startswith(name.rstrip("/") + "/")]
        if name in session.pinned:
            session.pinned.remove(name)
        elif inside:  # a folder `/add` opened: its files
            session.pinned = [path for path in session.pinned if path not in inside]
        elif name in labels or name in ("map", "hits"):
            session.dropped.add(name)
        else:
            unknown.append(name)
            continue
        if name == "map":
            session.forget_map()
        shown.append(name)
    lines = [f"Dropped {_code(shown)} (from the next question on)."] if shown else []
    if unknown:
        pinned = _code(session.pinned) if session.pinned else "nothing"
        lines.append(
            f"Not in the context: {_code(unknown)} (pinned: {pinned}; /context lists the rest)"
        )
    return "\n\n".join(lines)


async def _model(session: ChatSession, rest: str) -> str:
    if rest in ("chat", "reasoning"):
        if rest not in session.roles:
            raise ChatError(f"no {rest} role is configured")
        session.role_name, session.model_override = rest, ""
    elif rest:
        session.model_override = rest
    session.warm_up()
    return f"Model: {session.role.describe()} ({session.role_name} role)"


async def _clear(session: ChatSession, rest: str) -> str:
    session.new_conversation()
    return "New conversation."


async def _undo(session: ChatSession, rest: str) -> str:
    paths = session.undo()
    return f"Reverted {_code(paths)}."


def _code(items: list[str]) -> str:
    """Paths as Markdown code: `__init__.py` is not bold `init.py`."""
    return ", ".join(f"`{item}`" for item in items)


async def _context(session: ChatSession, rest: str) -> str:
    pack = session.last_context
    pinned = _code(session.pinned) if session.pinned else "nothing"
    if pack is None:
        return f"No question asked yet in this session. Pinned for the next one: {pinned}."
    return "\n".join(
        ["What went into the last question:", *pack.describe(), f"Pinned for the next: {pinned}."]
    )


async def _run(session: ChatSession, rest: str) -> str:
    if not rest:
        raise ChatError("/run what? e.g. /run pytest -x")
    return await session.add_run_output(shell_command(rest))


async def _history(session: ChatSession, rest: str) -> str:
    found = session.store.conversations(20)
    return "\n".join(f"- #{c.id} {c.title or '(empty)'} ({c.messages} messages)" for c in found)


async def _export(session: ChatSession, rest: str) -> str:
    where = await asyncio.to_thread(session.export_file, None, rest.strip())
    if rest.strip():
        return f"Wrote the conversation to `{where}` in the project."
    return (
        f"Wrote the conversation to `{where}` (outside the project, so it never becomes"
        " context; `/export PATH` writes it into the project)."
    )


async def _search(session: ChatSession, rest: str) -> str:
    if not rest:
        raise ChatError("/search what?")
    hits = session.store.search(rest, 20)
    return "\n".join(f"- #{c} {role}: {excerpt}" for c, _, role, excerpt in hits) or "No match."


_HANDLERS: dict[str, Callable[[ChatSession, str], Awaitable[str]]] = {
    "/add": _add,
    "/drop": _drop,
    "/model": _model,
    "/clear": _clear,
    "/undo": _undo,
    "/context": _context,
    "/run": _run,
    "/history": _history,
    "/export": _export,
    "/search": _search,
}
