"""The typed client that the UI and the CLI use to reach services over the bus."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiide_tui.bus import Endpoint, connect_in_process, connect_unix_socket
from aiide_tui.config import Config
from aiide_tui.doctor import Check


@dataclass(frozen=True)
class Document:
    """A text file as read from the workspace."""

    path: str
    text: str
    encoding: str
    newline: str
    mtime_ns: int
    size: int


@dataclass(frozen=True)
class ProjectInfo:
    root: str
    name: str
    is_git: bool
    branch: str | None


ChangeCallback = Callable[[list[tuple[str, str]]], Awaitable[None] | None]


class ServicesClient:
    """Every service call goes through here, so local and remote services look the same."""

    def __init__(self, endpoint: Endpoint, services: AsyncExitStack | None = None) -> None:
        self.endpoint = endpoint
        self._services = services

    @classmethod
    async def in_process(cls, root: Path, config: Config) -> ServicesClient:
        """Start the project's services in this process; `close()` stops them."""
        from aiide_tui.services.host import project_services

        services = AsyncExitStack()
        router = await services.enter_async_context(project_services(root, config))
        return cls(await connect_in_process(router), services)

    @classmethod
    async def connect(cls, socket_path: Path) -> ServicesClient:
        return cls(await connect_unix_socket(socket_path))

    async def close(self) -> None:
        await self.endpoint.close()
        if self._services is not None:
            await self._services.aclose()

    async def _call(self, method: str, params: dict[str, Any] | None = None) -> Any:
        return await self.endpoint.request(method, params or {})

    async def project_info(self) -> ProjectInfo:
        return ProjectInfo(**await self._call("workspace/info"))

    async def list_files(self) -> list[str]:
        return await self._call("workspace/list")

    async def find_text(
        self, query: str, *, limit: int = 1000, paths: list[str] | None = None
    ) -> dict[str, Any]:
        """Lines of the project's files (or of `paths` among them) holding `query` (`/regex/`
        for a regular expression): `matches` (path, line, column, length, text, text_column),
        `files_searched`, `files_matched`, `files_skipped`, `truncated`."""
        params: dict[str, Any] = {"query": query, "limit": limit}
        if paths is not None:
            params["paths"] = paths
        return await self._call("workspace/find_text", params)

    async def read(self, path: str, *, force: bool = False) -> Document:
        """Read a text file; raises BinaryFileError, FileTooLargeError (unless `force`)."""
        result = await self._call("workspace/read", {"path": path, "force": force})
        return Document(**result)

    async def write(
        self,
        path: str,
        text: str,
        *,
        encoding: str = "utf-8",
        newline: str = "\n",
        expected_mtime_ns: int | None = None,
        confirmed: bool = False,
        create: bool = False,
    ) -> int:
        """Write atomically through the path policy; returns the new mtime_ns.

        Raises StaleFileError when the file changed since `expected_mtime_ns`,
        and WorkspaceError with `create` when the path already exists.
        """
        result = await self._call(
            "workspace/write",
            {
                "path": path,
                "text": text,
                "encoding": encoding,
                "newline": newline,
                "expected_mtime_ns": expected_mtime_ns,
                "confirmed": confirmed,
                "create": create,
            },
        )
        return result["mtime_ns"]

    async def delete(self, path: str, *, confirmed: bool = False) -> None:
        """Delete a file through the path policy, journaled (undo brings it back)."""
        await self._call("workspace/delete", {"path": path, "confirmed": confirmed})

    async def rename(self, path: str, new_path: str, *, confirmed: bool = False) -> int:
        """Move a file through the path policy, journaled as one undoable step; returns the
        moved file's mtime_ns."""
        params = {"path": path, "new_path": new_path, "confirmed": confirmed}
        return (await self._call("workspace/rename", params))["mtime_ns"]

    async def undo(self, *, force: bool = False) -> list[str]:
        """Revert the newest file change in the undo journal; the paths it touched.

        Raises StaleFileError, changing nothing, when one of them changed since
        (unless `force`).
        """
        return (await self._call("workspace/undo", {"force": force}))["paths"]

    async def last_change(self) -> dict[str, Any] | None:
        """What `undo` would revert: label, paths, created_at; None when nothing."""
        return await self._call("workspace/last_change")

    async def git_status(self) -> dict[str, str]:
        return await self._call("git/status")

    async def git_diff(self) -> tuple[bool, str, list[str]]:
        """(is a git repository, the working tree's diff, untracked files it leaves out)."""
        result = await self._call("git/diff")
        return result["is_git"], result["diff"], result["not_shown"]

    async def environment_checks(self) -> dict[str, Check]:
        """The model-server and sandbox checks, as seen from where the services run."""
        result = await self._call("environment/checks")
        return {name: Check(**fields) for name, fields in result.items()}

    async def run_in_sandbox(
        self,
        argv: list[str],
        on_output: Callable[[str, str], None],
        *,
        timeout: float | None = None,
        requester: str = "user",
    ) -> dict[str, Any]:
        """Run `argv` in the sandbox; `on_output(stream, text)` gets output as it comes."""
        token = uuid.uuid4().hex

        def forward(params: dict[str, Any]) -> None:
            if params.get("token") == token:
                on_output(params["stream"], params["text"])

        unsubscribe = self.endpoint.on_notification("sandbox/output", forward)
        try:
            return await self._call(
                "sandbox/run",
                {"argv": argv, "timeout": timeout, "requester": requester, "token": token},
            )
        finally:
            unsubscribe()

    async def apply_sandbox_changes(
        self, run_id: int, *, confirmed: bool = False
    ) -> dict[str, Any]:
        """A run's changes written to the project: `written` paths, and `skipped` (path,
        why) pairs for what was left alone (links, files changed on the host, protected
        files unless `confirmed`), which wait in the run log for another try."""
        return await self._call("sandbox/apply", {"run_id": run_id, "confirmed": confirmed})

    async def sandbox_runs(self, limit: int = 50) -> list[dict[str, Any]]:
        return await self._call("sandbox/runs", {"limit": limit})

    async def sandbox_run(self, run_id: int) -> dict[str, Any] | None:
        return await self._call("sandbox/show", {"id": run_id})

    async def keep_index_fresh(
        self,
        on_progress: Callable[[dict[str, Any]], None],
        on_updated: Callable[[dict[str, Any]], None],
    ) -> None:
        """Index the project (reporting progress), then keep it fresh until cancelled."""
        self.endpoint.on_notification("index/progress", on_progress)
        self.endpoint.on_notification("index/updated", on_updated)
        await self._call("index/watch")

    async def index_status(self) -> dict[str, Any]:
        return await self._call("index/status")

    async def focus_index(self, paths: list[str]) -> None:
        """Name the files in view, the active one first: the index embeds their code first."""
        await self._call("index/focus", {"paths": paths})

    async def search(self, query: str, k: int = 20) -> list[dict[str, Any]]:
        """Hybrid code search: each hit has path, start_line, end_line, symbol, score, parts."""
        return await self._call("index/search", {"query": query, "k": k})

    async def definitions(self, name: str, near: str | None = None) -> list[dict[str, Any]]:
        """Where the index says `name` is defined: path, start_line, symbol, kind, signature;
        those in `near` (the file asking) and the files it imports first."""
        params: dict[str, Any] = {"name": name}
        if near is not None:
            params["near"] = near
        return await self._call("index/definitions", params)

    async def dependents(self, path: str) -> list[str]:
        """Files that import `path` or use a definition in it."""
        return await self._call("index/dependents", {"path": path})

    async def imports_of(self, path: str) -> list[str]:
        """Project files that the import statements of `path` name."""
        return await self._call("index/imports_of", {"path": path})

    async def references(self, name: str) -> list[dict[str, Any]]:
        """Uses of `name`'s definitions: path, lines, and the definition they lie in."""
        return await self._call("index/references", {"name": name})

    async def complete(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """A fill-in-the-middle suggestion, or None; cancelling the caller cancels the model."""
        return await self._call("complete/request", request)

    async def completion_accepted(self, completion_id: str, chars: int, kind: str) -> None:
        await self._call("complete/accepted", {"id": completion_id, "chars": chars, "kind": kind})

    async def completion_state(self, on_change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
        """The FIM model's state now; later changes arrive through `on_change`."""
        self.endpoint.on_notification("complete/state", on_change)
        return await self._call("complete/state")

    async def watch(self, on_change: ChangeCallback) -> None:
        """Call `on_change` for each batch of file changes until this task is cancelled."""

        async def forward(params: dict[str, Any]) -> None:
            outcome = on_change([(kind, path) for kind, path in params["changes"]])
            if outcome is not None:
                await outcome

        self.endpoint.on_notification("workspace/changed", forward)
        await self._call("workspace/watch")

    # -- chat -------------------------------------------------------------------------

    async def chat_send(
        self,
        text: str,
        on_event: Callable[[dict[str, Any]], None] | None = None,
        *,
        open_file: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Ask a question (or run a slash command); `on_event` gets each `chat/delta`.

        Events: context, text, think, block (a whole code block), notice, proposal.
        Cancel the awaiting task to stop the answer (the model's stream is closed).
        The result has answer, think, proposal, problems, usage, truncated, context
        (or `command`: the Markdown a slash command answered).
        """
        token = uuid.uuid4().hex

        def forward(params: dict[str, Any]) -> None:
            if on_event is not None and params.get("token") == token:
                on_event({key: value for key, value in params.items() if key != "token"})

        unsubscribe = self.endpoint.on_notification("chat/delta", forward)
        try:
            params = {"text": text, "token": token, "open_file": open_file}
            return await self._call("chat/send", params)
        finally:
            unsubscribe()

    async def chat_decide(
        self, proposal: int, path: str, hunk: int, *, accept: bool
    ) -> dict[str, Any]:
        """Accept or reject one hunk; `written` lists files written (all their hunks decided)."""
        method = "chat/accept_hunk" if accept else "chat/reject_hunk"
        return await self._call(method, {"proposal": proposal, "path": path, "hunk": hunk})

    async def chat_replace(self, query: str, replacement: str) -> dict[str, Any] | None:
        """Replace every match of a find-in-files `query`: a proposal to review hunk by hunk
        (None when nothing would change)."""
        result = await self._call("chat/replace", {"query": query, "replacement": replacement})
        return result["proposal"]

    async def chat_decide_all(self, proposal: int, *, accept: bool) -> dict[str, Any]:
        return await self._call("chat/decide_all", {"proposal": proposal, "accept": accept})

    async def chat_edit_hunk(
        self, proposal: int, path: str, hunk: int, text: str
    ) -> dict[str, Any]:
        """Replace a hunk's new side with `text` (file form); returns the updated proposal.

        Nothing is written: the hunk waits for accept or reject again. Raises
        HunkEditError when the edited hunk does not fit.
        """
        params = {"proposal": proposal, "path": path, "hunk": hunk, "text": text}
        return (await self._call("chat/edit_hunk", params))["proposal"]

    async def chat_proposals(self) -> list[dict[str, Any]]:
        """This session's proposals, each with its files' hunk decisions."""
        return await self._call("chat/proposals")

    async def chat_undo(self) -> list[str]:
        """Revert the last applied chat proposal; returns the paths restored."""
        return (await self._call("chat/undo"))["paths"]

    async def chat_files(self) -> list[str]:
        """Paths a `@` mention may name (no ignored or secrets files)."""
        return await self._call("chat/files")

    async def chat_state(self) -> dict[str, Any]:
        return await self._call("chat/state")

    async def chat_export(self, conversation: int | None = None) -> str:
        return (await self._call("chat/export", {"conversation": conversation}))["markdown"]

    async def chat_export_file(self, conversation: int) -> str:
        """Write the conversation as Markdown beside the chat history; returns the file's path."""
        return (await self._call("chat/export_file", {"conversation": conversation}))["path"]

    async def chat_conversations(self, query: str = "", limit: int = 100) -> list[dict[str, Any]]:
        """Stored conversations, newest first: id, title, created_at, updated_at, messages,
        excerpt (where `query` matched, when one is given)."""
        return await self._call("chat/conversations", {"query": query, "limit": limit})

    async def chat_open(self) -> list[dict[str, Any]]:
        """Open the chat session before the first question; returns the messages of the
        conversation it continues (role, content, think)."""
        return (await self._call("chat/open"))["messages"]

    async def chat_resume(self, conversation: int) -> list[dict[str, Any]]:
        """Continue a stored conversation; returns its messages (role, content, think)."""
        return (await self._call("chat/resume", {"conversation": conversation}))["messages"]
