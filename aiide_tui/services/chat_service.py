"""The chat service: questions in, streamed answers and proposals out, over the bus.

`chat/send` streams `chat/delta` notifications (tagged with the caller's
token) and answers with the whole turn; cancelling the request (the bus's
`$/cancelRequest`) cancels the handler, which closes the model's HTTP
stream, so the server stops generating. Slash commands go through the same
method. Proposals wait here until `chat/accept_hunk` / `chat/reject_hunk`
(`chat/edit_hunk` rewrites a hunk's new side first, in memory); a file is
written (through the workspace) once all its hunks are decided. Past
conversations are listed, searched, resumed and exported to Markdown here.
The output of the user's latest sandbox run, when it failed in the last
minutes, joins the next question's context once (it shows in the context bar).
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiide_tui.bus import InvalidParams, NamedParams, RequestContext, Router
from aiide_tui.config import Config
from aiide_tui.sandbox.command_line import command_text
from aiide_tui.workspace import Workspace

STOPPED_BY_USER = (130, 141, 143)
"""Ctrl-C, a reader that left (`| head`), a kill: the user ended the run, it did not fail."""
RECENT_RUN_S = 900
"""A failing sandbox run this recent joins the next question's context, once."""

if TYPE_CHECKING:
    from aiide_tui.chat.session import ChatSession
    from aiide_tui.chat.store import ChatStore
    from aiide_tui.services.index_service import IndexService
    from aiide_tui.services.sandbox_service import SandboxService


class _IndexRetriever:
    """The index service's handlers as the `Retriever` chat context assembly wants."""

    def __init__(self, index: IndexService) -> None:
        self.index = index
        self.ctx: Any = None

    async def search(self, query: str, k: int) -> list[dict[str, Any]]:
        return await self.index.search(NamedParams(query=query, k=k), self.ctx)

    async def repo_map(self, tokens: int, focus_files: list[str]) -> str:
        reply = await self.index.repo_map(
            NamedParams(tokens=tokens, focus_files=list(focus_files)), self.ctx
        )
        return reply["text"]

    async def definitions(self, name: str) -> list[dict[str, Any]]:
        return await self.index.definitions(NamedParams(name=name), self.ctx)


class _OutputCapture:
    """Stands in for a request context to collect a sandbox run's output."""

    def __init__(self) -> None:
        self.parts: list[str] = []

    async def notify(self, method: str, params: dict[str, Any] | None = None) -> None:
        if method == "sandbox/output" and params:
            self.parts.append(params["text"])


class ChatService:
    """`chat/*` methods over one project's chat session."""

    def __init__(
        self,
        root: Path,
        config: Config,
        workspace: Workspace,
        index: IndexService | None = None,
        sandbox: SandboxService | None = None,
    ) -> None:
        self.root = root
        self.config = config
        self.workspace = workspace
        self.index = index
        self.sandbox = sandbox
        self._session: ChatSession | None = None
        self._store: ChatStore | None = None
        self._retriever = _IndexRetriever(index) if index is not None else None
        self._busy = asyncio.Lock()

    def register(self, router: Router) -> None:
        methods = {
            "chat/send": self.send,
            "chat/proposals": self.proposals,
            "chat/accept_hunk": self.accept_hunk,
            "chat/reject_hunk": self.reject_hunk,
            "chat/decide_all": self.decide_all,
            "chat/replace": self.replace,
            "chat/edit_hunk": self.edit_hunk,
            "chat/undo": self.undo,
            "chat/history": self.history,
            "chat/messages": self.messages,
            "chat/search": self.search,
            "chat/export": self.export,
            "chat/export_file": self.export_file,
            "chat/conversations": self.conversations,
            "chat/resume": self.resume,
            "chat/open": self.open,
            "chat/files": self.files,
            "chat/state": self.state,
        }
        for name, handler in methods.items():
            router.method(name)(handler)

    @property
    def session(self) -> ChatSession:
        """The session, opened on first use (the store and roles load only then)."""
        if self._session is None:
            from aiide_tui.chat.context import ProjectFiles
            from aiide_tui.chat.session import ChatSession
            from aiide_tui.chat.store import ChatStore
            from aiide_tui.llm.registry import provider_for_role
            from aiide_tui.llm.roles import resolve_roles

            self._store = ChatStore.for_project(self.root)
            self._session = ChatSession(
                ProjectFiles(self.workspace),
                self._store,
                resolve_roles(self.config),
                self._retriever,
                provider_for_role,
                run_command=self._run if self.sandbox is not None else None,
            )
        return self._session

    async def _run(self, argv: list[str]) -> tuple[int, str]:
        assert self.sandbox is not None
        capture = _OutputCapture()
        result = await self.sandbox.run(NamedParams(argv=list(argv), requester="chat"), capture)
        return int(result["exit_code"]), "".join(capture.parts)

    async def send(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """Ask a question (or run a slash command); `chat/delta` carries the stream."""
        from aiide_tui.chat import commands

        text = params.text("text")
        token = params.get("token")

        async def forward(event: dict[str, Any]) -> None:
            await ctx.notify("chat/delta", {"token": token, **event})

        async with self._busy:
            session = self.session
            if self._retriever is not None:
                self._retriever.ctx = ctx
            if commands.is_command(text):
                return {"command": await commands.run(session, text)}
            open_file = _open_file(params.get("open_file"))
            await self._add_recent_failure(session)
            result = await session.send(text, open_file=open_file, on_event=forward)
            return result.to_json()

    async def _add_recent_failure(self, session: ChatSession) -> None:
        """The output of the user's latest sandbox run, once, when it failed lately: "why does
        this fail?" right after a failing test run should not need a `/run` again."""
        if self.sandbox is None:
            return
        runs = await asyncio.to_thread(self.sandbox.audit.list, 1)
        run = runs[0] if runs else None
        if run is None or run.requester != "user":
            return
        stopped = run.exit_code in STOPPED_BY_USER or run.status in ("interrupted", "cancelled")
        failed = run.timed_out or run.exit_code not in (0, None) or run.status == "failed"
        failed = failed and not stopped
        ended = run.started_at + (run.duration_s or 0)
        if not failed or run.status == "running" or time.time() - ended > RECENT_RUN_S:
            return
        if not session.store.offer_run(run.id):  # it joined a question already, here or in
            return  # another aiide (the app, `aiide chat`) on this project
        verdict = "timed out" if run.timed_out else f"exit {run.exit_code}"
        output = "\n".join(part for part in (run.stdout, run.stderr, run.error or "") if part)
        session.add_output(f"$ {command_text(run.argv)} ({verdict}, run #{run.id})", output)

    async def proposals(self, params: NamedParams, ctx: RequestContext) -> list[dict[str, Any]]:
        return [p.to_json() for p in self.session.proposals.values()]

    async def _decide(self, params: NamedParams, decision: str) -> dict[str, Any]:
        session = self.session
        written = await asyncio.to_thread(
            session.decide,
            params.whole("proposal"),
            params.text("path"),
            params.whole("hunk"),
            decision,  # type: ignore[arg-type]
        )
        proposal = session.proposals[params.whole("proposal")]
        return {"written": written, "proposal": proposal.to_json()}

    async def accept_hunk(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        return await self._decide(params, "accepted")

    async def reject_hunk(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        return await self._decide(params, "rejected")

    async def decide_all(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        session = self.session
        proposal_id = params.whole("proposal")
        decision = "accepted" if params.flag("accept", True) else "rejected"
        written = await asyncio.to_thread(session.decide_all, proposal_id, decision)
        return {"written": written, "proposal": session.proposals[proposal_id].to_json()}

    async def replace(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """Replace in files, as a proposal to review (None when nothing matches)."""
        proposal = await asyncio.to_thread(
            self.session.propose_replacement, params.text("query"), params.text("replacement")
        )
        return {"proposal": proposal.to_json() if proposal is not None else None}

    async def edit_hunk(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """Replace a hunk's new side with the user's text; nothing is written."""
        from aiide_tui.chat.session import ChatError

        proposal_id = params.whole("proposal")
        proposal = self.session.proposals.get(proposal_id)
        if proposal is None:
            raise ChatError(f"no proposal #{proposal_id} in this session")
        proposal.edit_hunk(params.text("path"), params.whole("hunk"), params.text("text"))
        return {"proposal": proposal.to_json()}

    async def undo(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        return {"paths": await asyncio.to_thread(self.session.undo)}

    async def history(self, params: NamedParams, ctx: RequestContext) -> list[dict[str, Any]]:
        found = self.session.store.conversations(params.whole("limit", 50, minimum=1))
        return [dataclasses.asdict(c) for c in found]

    async def messages(self, params: NamedParams, ctx: RequestContext) -> list[dict[str, Any]]:
        """Messages of a conversation (the current one by default), without what was sent."""
        session = self.session
        conversation = params.whole("conversation", session.conversation_id)
        return [
            {"role": m.role, "content": m.content, "think": m.think}
            for m in session.store.messages(conversation)
        ]

    async def search(self, params: NamedParams, ctx: RequestContext) -> list[list[Any]]:
        hits = self.session.store.search(params.text("text"), params.whole("limit", 50, minimum=1))
        return [list(hit) for hit in hits]

    async def export(self, params: NamedParams, ctx: RequestContext) -> dict[str, str]:
        session = self.session
        conversation = params.whole("conversation", session.conversation_id)
        return {"markdown": session.store.export_markdown(conversation)}

    async def export_file(self, params: NamedParams, ctx: RequestContext) -> dict[str, str]:
        """Write a conversation as `<title-slug>.md` beside the chat history (a free name)."""
        conversation = params.whole("conversation", self.session.conversation_id)
        return {"path": await asyncio.to_thread(self.session.export_file, conversation)}

    async def conversations(self, params: NamedParams, ctx: RequestContext) -> list[dict[str, Any]]:
        """Recent conversations, or those with a message containing `query` (with an excerpt)."""
        store = self.session.store
        limit = params.whole("limit", 100, minimum=1)
        query = params.text("query", "").strip()
        if not query:
            return [{**dataclasses.asdict(c), "excerpt": ""} for c in store.conversations(limit)]
        found: dict[int, dict[str, Any]] = {}
        for conversation_id, _, _, excerpt in store.search(query, limit * 5):
            if conversation_id not in found and (item := store.conversation(conversation_id)):
                found[conversation_id] = {**dataclasses.asdict(item), "excerpt": excerpt}
        return sorted(found.values(), key=lambda c: (-c["updated_at"], -c["id"]))[:limit]

    async def resume(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """Make a stored conversation the current one: the next question continues it."""
        conversation = params.whole("conversation")
        async with self._busy:
            self.session.resume(conversation)
        return {
            "conversation": conversation,
            "messages": await self.messages(NamedParams(conversation=conversation), ctx),
        }

    async def open(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """Open the session ahead of the first question (its modules load in a thread, its
        model client warms up) and return the conversation it continues."""
        import importlib

        await asyncio.to_thread(importlib.import_module, "aiide_tui.chat.session")
        conversation = self.session.conversation_id
        return {
            "conversation": conversation,
            "messages": await self.messages(NamedParams(conversation=conversation), ctx),
        }

    async def files(self, params: NamedParams, ctx: RequestContext) -> list[str]:
        """Files a `@` mention may name (ignored and secrets files left out)."""
        return await asyncio.to_thread(self.session.files.refresh)

    async def state(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        session = self.session
        last = session.last_context
        return {
            "conversation": session.conversation_id,
            "model": session.role.describe(),
            "role": session.role_name,
            "pinned": list(session.pinned),
            "context": last.to_json() if last else None,
        }

    async def close(self) -> None:
        if self._session is not None:
            await self._session.aclose()
        if self._store is not None:
            self._store.close()


def _open_file(given: Any) -> Any:
    """The editor's active file from `open_file` ({path, line, selection}), or None."""
    from aiide_tui.chat.context import OpenFile

    if not given:
        return None
    params = NamedParams(given) if isinstance(given, dict) else None
    if params is None or set(params) - {"path", "line", "selection"}:
        raise InvalidParams("'open_file' must be an object of path, line and selection")
    return OpenFile(
        params.text("path"), params.whole("line", 1, minimum=1), params.text("selection", "")
    )
