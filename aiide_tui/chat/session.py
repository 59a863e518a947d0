"""A chat session: one conversation, from a question to proposals waiting for a yes.

Stages, top to bottom: context (`context.assemble`) -> room (items that
earlier turns already hold are not sent again; whole old turns go when the
prompt is over the window) -> prompt (`prompt.build_messages`) -> stream
(`stream.StreamParser`, events passed on as they come) -> edits
(`edits.parse_edits`) -> in-memory apply (`apply.apply_edits`), with one
repair round for what did not apply -> a `Proposal`. Files change only in
`decide`, hunk by hunk, through the workspace. Events are JSON-ready dicts,
since they cross the bus as they are. The model's provider is made in a
thread as the session opens, so the first question does not wait for it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import inspect
import posixpath
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import Any

from aiide_tui.chat.apply import Applied, apply_edits
from aiide_tui.chat.context import (
    MAP_TOKENS,
    ContextItem,
    ContextPack,
    OpenFile,
    ProjectFiles,
    Request,
    Retriever,
    assemble,
    mentions,
)
from aiide_tui.chat.edits import ADDING, parse_edits, restated_edits
from aiide_tui.chat.history import History
from aiide_tui.chat.prompt import (
    REPEATABLE_KINDS,
    SYSTEM_PROMPT,
    build_messages,
    fenced,
    new_tokens,
)
from aiide_tui.chat.proposal import Decision, Proposal
from aiide_tui.chat.providers import ProviderFactory, ProviderPool
from aiide_tui.chat.store import ChatStore
from aiide_tui.chat.stream import CodeBlock, StreamParser
from aiide_tui.errors import AiideError
from aiide_tui.llm.base import ChatMessage, ChatRequest, Usage, estimate_tokens
from aiide_tui.llm.roles import Role
from aiide_tui.sandbox.command_line import command_text

EventSink = Callable[[dict[str, Any]], "Awaitable[None] | None"]
CommandRunner = Callable[[list[str]], Awaitable[tuple[int, str]]]
"""Runs argv (in the sandbox) and returns (exit code, output)."""
RUN_OUTPUT_TOKENS = 2000
REPLACE_MATCHES = 10_000
"""Most matches one replace-in-files proposal takes (each is a line to review)."""
NAMESAKES = 20
"""Files of the same name checked for the lines of an edit whose path does not exist."""
IMPLICIT_SHARE = 8
"""Search hits, and the open file, each get at most 1/IMPLICIT_SHARE of the room: each turn's
context stays in the conversation (for prefix-cache reuse), which then holds several turns
before whole old ones are dropped."""
MAP_SHARE = 4
"""The repo map takes at most 1/MAP_SHARE of the room (small windows), MAP_TOKENS at most."""
FIXED_TOKENS = 64
"""Room kept for the message framing and section titles around the context."""
UNPLACED = (
    "The answer's code names no file, so nothing was proposed: ask again naming the file"
    ' ("as an edit of @path").'
)
PROGRESS_S = 0.5
"""Seconds between `progress` events while a code block arrives unseen (it shows whole)."""


class ChatError(AiideError):
    """A chat request or command that cannot be done as asked."""

    title = "Chat"


@dataclass
class Answer:
    """One streamed answer, filled in as it arrives (so a stopped one keeps what came)."""

    text: str = ""
    think: str = ""
    blocks: list[CodeBlock] = field(default_factory=list)
    usage: Usage | None = None


@dataclass
class TurnResult:
    answer: str
    think: str
    proposal: Proposal | None
    problems: list[str]
    usage: Usage | None
    context: ContextPack

    def to_json(self) -> dict[str, Any]:
        usage = dataclasses.asdict(self.usage) if self.usage else None
        return {
            "answer": self.answer,
            "think": self.think,
            "proposal": self.proposal.to_json() if self.proposal else None,
            "problems": list(self.problems),
            "usage": usage,
            "truncated": bool(self.usage and self.usage.truncated),
            "context": self.context.to_json(),
        }


def repair_request(failures: list[tuple[str, str]]) -> str:
    """What the model is told when its edits did not apply: each block and why."""
    parts = [f"{len(failures)} of your edits did not apply:\n"]
    for number, (source, reason) in enumerate(failures, 1):
        parts.append(f"## Edit {number}\n```\n{source.rstrip()}\n```\nWhy: {reason}\n")
    parts.append(
        "Reply with corrected SEARCH/REPLACE blocks for these edits only. Copy the SEARCH "
        "lines exactly from the file as it is now. To add new code, SEARCH for the existing "
        "lines just before where it goes and repeat them in REPLACE, followed by the new code."
    )
    return "\n".join(parts)


class ChatSession:
    """One conversation with its pinned files, proposals and undo."""

    def __init__(
        self,
        files: ProjectFiles,
        store: ChatStore,
        roles: dict[str, Role],
        retriever: Retriever | None,
        provider_factory: ProviderFactory,
        *,
        run_command: CommandRunner | None = None,
        conversation_id: int | None = None,
    ) -> None:
        self.files = files
        self.store = store
        self.roles = roles
        self.retriever = retriever
        self.run_command = run_command
        self.role_name = "chat"
        self.model_override = ""
        self.pinned: list[str] = []
        self.dropped: set[str] = set()
        self.extra: list[ContextItem] = []
        self.proposals: dict[int, Proposal] = {}
        self.applied: list[int] = []
        self.last_context: ContextPack | None = None
        self._map: str | None = None
        self.providers = ProviderPool(provider_factory)
        self._token = uuid.uuid4().hex[:8]
        self.conversation_id = conversation_id or store.latest() or store.new_conversation()
        self.history = self._load_history()
        self.warm_up()

    # -- state ---------------------------------------------------------------------------

    @property
    def role(self) -> Role:
        role = self.roles.get(self.role_name) or self.roles["chat"]
        return dataclasses.replace(role, model=self.model_override) if self.model_override else role

    def _load_history(self) -> History:
        stored = self.store.messages(self.conversation_id)
        return History.from_messages(
            ChatMessage(message.role, message.sent or message.content)  # type: ignore[arg-type]
            for message in stored
            if message.role in ("user", "assistant")
        )

    def new_conversation(self) -> None:
        self.conversation_id = self.store.new_conversation()
        self.history = History()
        self._map = None
        self.extra = []

    def resume(self, conversation_id: int) -> None:
        """Continue a stored conversation: the next question follows its history."""
        if self.store.conversation(conversation_id) is None:
            raise ChatError(f"no conversation #{conversation_id} in this project")
        self.conversation_id = conversation_id
        self.history = self._load_history()
        self._map = None
        self.extra = []

    def forget_map(self) -> None:
        """Compute the repo map again before the next question (pins or drops changed)."""
        self._map = None

    def warm_up(self) -> None:
        """Start making the current role's provider in a thread (see `ProviderPool`)."""
        self.providers.warm(self.role)

    async def aclose(self) -> None:
        await self.providers.aclose()

    # -- a turn --------------------------------------------------------------------------

    def budget(self, question: str) -> int:
        """Tokens for context and earlier turns: the room, less the instructions and question."""
        fixed = estimate_tokens(SYSTEM_PROMPT) + estimate_tokens(question) + FIXED_TOKENS
        return max(0, self._room() - fixed)

    def _room(self) -> int:
        """The window less the answer's share."""
        role = self.role
        return role.num_ctx - min(role.max_tokens, role.num_ctx // 4)

    async def _repo_map(self) -> str:
        if self._map is None:
            self._map = ""
            if self.retriever is not None and "map" not in self.dropped:
                try:
                    tokens = min(MAP_TOKENS, self._room() // MAP_SHARE)
                    self._map = await self.retriever.repo_map(tokens, list(self.pinned))
                except AiideError:
                    self._map = ""
        return self._map

    async def context_for(self, question: str, open_file: OpenFile | None = None) -> ContextPack:
        """This question's context, with room made for it in the conversation."""
        share = self._room() // IMPLICIT_SHARE
        request = Request(
            question,
            self.budget(question),
            list(self.pinned),
            open_file,
            list(self.extra),
            await self._repo_map(),
            set(self.dropped),
            hits_tokens=share,
            open_tokens=share,
        )
        return self._make_room(await assemble(request, self.files, self.retriever), question)

    def _make_room(self, pack: ContextPack, question: str) -> ContextPack:
        """Leave out items an earlier turn still holds verbatim; when the prompt is then
        over the room, drop whole old turns in one step (`History.trim`)."""
        room, history = self._room(), self.history
        lean = pack.minus(self._repeats(pack))
        if new_tokens(lean, question) + history.tokens > room:
            history.trim(room - new_tokens(pack, question))
            lean = pack.minus(self._repeats(pack))
        return dataclasses.replace(
            lean,
            history_turns=len(history.turns),
            history_tokens=history.tokens,
            dropped_turns=history.dropped,
        )

    def _repeats(self, pack: ContextPack) -> list[ContextItem]:
        """This question's items whose exact text an earlier turn still in the prompt holds."""
        return [
            item
            for item in pack.volatile()
            if item.kind in REPEATABLE_KINDS and self.history.holds(fenced(item))
        ]

    async def send(
        self, question: str, *, open_file: OpenFile | None = None, on_event: EventSink | None = None
    ) -> TurnResult:
        """Ask `question`; events stream to `on_event`; edits become one proposal.

        Cancelling the task closes the model's stream (the server stops) and keeps
        the partial answer in the history, marked as stopped.
        """
        emit = _emitter(on_event)
        pack = await self.context_for(question, open_file)
        self.extra = []
        self.last_context = pack
        await emit({"kind": "context", "context": pack.to_json()})
        messages = build_messages(pack, self.history.messages(), question)
        answer = await self._turn(messages, question, pack, emit)
        files = functools.partial(self._files_in_question, question, open_file, pack)
        adding = ADDING.search(question) is not None and "@" in question  # to a named file
        applied, problems = await self._edits(messages, answer, emit, files, adding=adding)
        proposal = self._proposal(applied)
        if proposal is not None:
            await emit({"kind": "proposal", "proposal": proposal.to_json()})
        return TurnResult(answer.text, answer.think, proposal, problems, answer.usage, pack)

    async def _turn(
        self, messages: tuple[ChatMessage, ...], shown: str, pack: ContextPack | None, emit
    ) -> Answer:
        """Stream one answer and record both sides, also when stopped part way."""
        sent = messages[-1]
        context = pack.to_json() if pack else None
        asked = self.store.add_message(
            self.conversation_id, "user", shown, sent=sent.content, context=context
        )
        answer = Answer()
        try:
            await self._stream(messages, answer, emit)
        except asyncio.CancelledError:
            self._record(sent, answer, stopped=True)
            raise
        except AiideError as error:  # no model, or the stream broke
            if not answer.text:  # unanswered: not kept, as if never asked (ask it again)
                self.store.remove_message(asked)
            else:
                self._record(sent, answer, broken=error.message)
            raise
        self._record(sent, answer)
        if answer.usage and answer.usage.truncated:
            await emit({"kind": "notice", "text": truncation_notice(answer.usage, self.role)})
        return answer

    def _record(
        self, sent: ChatMessage, answer: Answer, *, stopped: bool = False, broken: str = ""
    ) -> None:
        text = answer.text + ("\n\n*(stopped)*" if stopped else "")
        text += f"\n\n*(cut short: {broken})*" if broken else ""
        self.store.add_message(self.conversation_id, "assistant", text, think=answer.think)
        self.history.add(sent, ChatMessage("assistant", text))

    async def _stream(self, messages: tuple[ChatMessage, ...], answer: Answer, emit) -> None:
        parser = StreamParser()
        request = ChatRequest(messages)
        provider = await self.providers.get(self.role)
        said_at, said = 0.0, None
        async with aclosing(provider.stream_chat(request)) as stream:
            async for chunk in stream:
                for event in parser.feed(chunk.text):
                    await _route(event, answer, emit)
                held = parser.held_lines
                if held != said and (held is None or time.monotonic() - said_at > PROGRESS_S):
                    lines = f"{held} line{'s' * (held != 1)}" if held is not None else ""
                    text = f"writing a code block: {lines}" if held is not None else ""
                    await emit({"kind": "progress", "text": text})  # held blocks show late
                    said_at, said = time.monotonic(), held
                if chunk.done:
                    answer.usage = chunk.usage
        for event in parser.finish():
            await _route(event, answer, emit)

    async def _edits(
        self,
        messages: tuple[ChatMessage, ...],
        answer: Answer,
        emit,
        files_in_question: Callable[[], dict[str, str]],
        *,
        adding: bool = False,
    ) -> tuple[Applied, list[str]]:
        """Apply the answer's edits in memory; ask once for a repair of those that fail.
        An answer with no edit at all may restate a definition of the files in question."""
        edits, problems = parse_edits(answer.blocks)
        if not edits and not problems and answer.blocks:
            edits = restated_edits(answer.blocks, files_in_question(), adding=adding)
            if not edits and adding and any(block.complete for block in answer.blocks):
                await emit({"kind": "notice", "text": UNPLACED})  # asked for code: say why none
        candidates = functools.partial(self._candidates, files_in_question)
        applied = apply_edits(edits, self.files.read_for_edit, candidates=candidates)
        failures = [(f.edit.source, f.reason) for f in applied.failures]
        failures += [(p.source, p.reason) for p in problems]
        if not failures:
            return applied, []
        await emit({"kind": "notice", "text": f"{len(failures)} edit(s) did not apply; "
                    "asking the model to repair them"})  # fmt: skip
        request = repair_request(failures)
        repair_messages = (messages[0], *self.history.messages(), ChatMessage("user", request))
        repair = await self._turn(repair_messages, "(repair request)", None, emit)
        edits, problems = parse_edits(repair.blocks)
        apply_edits(edits, self.files.read_for_edit, into=applied, candidates=candidates)
        left = [f"{f.edit.path}: {f.reason}" for f in applied.failures]
        left += [p.reason for p in problems]
        for text in left:
            await emit({"kind": "notice", "text": f"Edit not applied: {text}"})
        return applied, left

    def _candidates(
        self, files_in_question: Callable[[], dict[str, str]], missing: str
    ) -> list[str]:
        """Files an edit of the missing path `missing` may have meant: the project's files of
        the same name, then the files the question was about."""
        name = posixpath.basename(missing)
        namesakes = sorted(p for p in self.files.listed() if posixpath.basename(p) == name)
        return [*namesakes[:NAMESAKES], *files_in_question()]

    def _files_in_question(
        self, question: str, open_file: OpenFile | None, pack: ContextPack
    ) -> dict[str, str]:
        """The files the question was about (pinned, mentioned, open; also when an earlier
        turn already holds them) and their text."""
        paths = dict.fromkeys([*self.pinned, *mentions(question)])
        if open_file is not None:
            paths[open_file.path] = None
        for item in pack.items:
            if item.kind in ("pinned", "mention", "open"):
                paths[item.label.split(" (around line ", 1)[0]] = None
        texts = {}
        for path in paths:
            try:
                text = self.files.read_for_edit(path)
            except AiideError:
                continue
            if text is not None:
                texts[path] = text
        return texts

    def _proposal(self, applied: Applied) -> Proposal | None:
        proposal = Proposal.build(0, applied.before, applied.after, applied.notes)
        return self._keep(proposal) if proposal is not None else None

    def propose_replacement(self, query: str, replacement: str) -> Proposal | None:
        """Every match of `query` (as find in files reads it: literal in smart case, or a
        `/regex/`, whose replacement may use `\\1` and `\\g<name>`) replaced, as a proposal
        that waits in the review pane like a model's; None when nothing would change.

        Raises:
            ChatError: a bad query or replacement, or too many matches to review.
        """
        from aiide_tui.chat.fuzzy import EditApplyError
        from aiide_tui.workspace.text_search import compile_query, is_pattern

        try:
            pattern = compile_query(query)
            found = self.files.workspace.find_text(query, limit=REPLACE_MATCHES)
        except AiideError as error:
            raise ChatError(error.message) from None
        if found.truncated:
            raise ChatError(
                f"More than {REPLACE_MATCHES:,} matches: narrow the search before replacing."
            )
        regex = is_pattern(query)
        before: dict[str, str | None] = {}
        after: dict[str, str] = {}
        notes = []
        for path in dict.fromkeys(match.path for match in found.matches):
            try:
                text = self.files.read_for_edit(path)
            except EditApplyError as error:
                notes.append(f"left alone: {error.message}")
                continue
            if text is None:
                continue
            try:
                new = pattern.sub(replacement if regex else lambda _: replacement, text)
            except (re.error, IndexError) as error:
                raise ChatError(f"Bad replacement {replacement!r}: {error}") from None
            before[path], after[path] = text, new
        proposal = Proposal.build(0, before, after, notes)
        if proposal is not None:
            proposal.label = f"replace {query!r} with {replacement!r}"
        if proposal is None and notes:
            raise ChatError("Nothing replaced: " + "; ".join(notes))
        return self._keep(proposal) if proposal is not None else None

    def _keep(self, proposal: Proposal) -> Proposal:
        """Number a new proposal, note the files' mtimes, and keep it for decisions."""
        proposal.id = max(self.proposals, default=0) + 1
        for item in proposal.files:
            item.mtime_ns = self.files.mtimes.get(item.path) if item.before is not None else None
        self.proposals[proposal.id] = proposal
        return proposal

    # -- decisions -----------------------------------------------------------------------

    def group(self, proposal_id: int) -> str:
        return f"chat-{self._token}-{proposal_id}"

    def decide(self, proposal_id: int, path: str, hunk: int, decision: Decision) -> list[str]:
        """Record a decision; a file whose hunks are all decided is written. Returns written paths.

        Raises:
            ChatError: no such proposal, file or hunk; and the workspace's errors on writing.
        """
        proposal = self.proposals.get(proposal_id)
        if proposal is None:
            raise ChatError(f"no proposal #{proposal_id} in this session")
        try:
            item = proposal.file(path)
        except KeyError:
            raise ChatError(f"proposal #{proposal_id} does not change {path}") from None
        if not 0 <= hunk < len(item.diff.hunks):
            raise ChatError(f"{path} has {len(item.diff.hunks)} hunks in proposal #{proposal_id}")
        if item.written:
            raise ChatError(f"{path} from proposal #{proposal_id} is already decided")
        item.decisions[hunk] = decision
        if not item.decided:
            return []
        item.written = True
        if "accepted" not in item.decisions.values():
            return []
        try:
            self.files.workspace.write(
                path,
                item.result(),
                **self.files.forms.get(path, {}),
                expected_mtime_ns=item.mtime_ns,
                label=proposal.label or f"chat proposal #{proposal_id}",
                group=self.group(proposal_id),
            )
        except AiideError:  # nothing written: this hunk waits again (reject it, or fix the file)
            item.written = False
            del item.decisions[hunk]
            raise
        if proposal_id not in self.applied:
            self.applied.append(proposal_id)
        return [path]

    def decide_all(self, proposal_id: int, decision: Decision) -> list[str]:
        """Decide every hunk still open in a proposal the same way."""
        proposal = self.proposals.get(proposal_id)
        if proposal is None:
            raise ChatError(f"no proposal #{proposal_id} in this session")
        written: list[str] = []
        for item in proposal.files:
            for hunk in range(len(item.diff.hunks)):
                if hunk not in item.decisions and not item.written:
                    written += self.decide(proposal_id, item.path, hunk, decision)
        return written

    def export_file(self, conversation: int | None = None, path: str = "") -> str:
        """Write a conversation (this one by default) as Markdown; returns where.

        By default as `<title-slug>.md` under a free name in the project's private state
        folder, beside the chat history: never in the project, where it would become
        context for the next question and a hit for searches. `path` writes it into the
        project there instead (through the workspace: path policy, undo).

        Raises:
            ChatError: there is no such conversation.
        """
        from aiide_tui.chat.store import export_name
        from aiide_tui.workspace.atomic import atomic_write

        conversation = conversation or self.conversation_id
        found = self.store.conversation(conversation)
        if found is None:
            raise ChatError(f"no conversation #{conversation} in this project")
        if not found.messages:
            raise ChatError("nothing to export yet: this conversation has no messages")
        markdown = self.store.export_markdown(conversation)
        if path:
            self.files.workspace.write(path, markdown, label="chat export")
            return path
        folder = self.store.path.parent / "exports"
        folder.mkdir(mode=0o700, exist_ok=True)
        name = export_name(found.title, lambda name: (folder / name).exists())
        atomic_write(folder / name, markdown.encode("utf-8"))
        return str(folder / name)

    def undo(self) -> list[str]:
        """Revert the last applied proposal (every file of it, one journal step).

        Raises:
            ChatError: nothing applied, or the journal's last step is not that proposal.
        """
        workspace = self.files.workspace
        undone_elsewhere = None
        while self.applied and self._undone(self.applied[-1]):  # alt+z in the app did it
            undone_elsewhere = self.applied.pop()
        if not self.applied:
            if undone_elsewhere is not None:
                raise ChatError(f"chat proposal #{undone_elsewhere} was undone already")
            raise ChatError("no applied chat proposal to undo in this session")
        proposal_id = self.applied[-1]
        step = workspace.journal.last_step()
        if not step or step[0].group != self.group(proposal_id):
            newer = f"{step[0].label} of {', '.join(e.path for e in step[:3])}" if step else ""
            raise ChatError(
                f"the last change was not chat proposal #{proposal_id} but a newer one ({newer});"
                " undo that first (alt+z in the app), or undo the proposal's hunks by hand"
            )
        paths = workspace.undo_step()
        self.applied.pop()
        return paths

    def _undone(self, proposal_id: int) -> bool:
        """Whether the journal holds this proposal's writes as undone (by the file-change undo)."""
        group = self.group(proposal_id)
        entries = [e for e in self.files.workspace.journal.entries(500) if e.group == group]
        return bool(entries) and all(entry.undone for entry in entries)

    # -- commands ------------------------------------------------------------------------

    async def add_run_output(self, argv: list[str]) -> str:
        """Run `argv` (in the sandbox) and add its output to the next question's context."""
        if self.run_command is None:
            raise ChatError("no sandbox to run commands in")
        code, output = await self.run_command(argv)
        item = self.add_output(f"$ {command_text(argv)} (exit {code})", output)
        return f"{item.label}\n\n```\n{item.text.rstrip()}\n```"

    def add_output(self, label: str, output: str) -> ContextItem:
        """Add a command's output (its tail) to the next question's context."""
        item = ContextItem.of("run", label, output[-RUN_OUTPUT_TOKENS * 4 :])
        self.extra.append(item)
        return item


def truncation_notice(usage: Usage, role: Role) -> str:
    return (
        f"The context was truncated: the model read {usage.prompt_tokens} prompt tokens of "
        f"about {usage.sent_tokens} sent (num_ctx {role.num_ctx}). Drop items (/drop) or raise "
        f"[models.{role.name}] num_ctx."
    )


async def _route(event, answer: Answer, emit) -> None:
    if event.kind == "think":
        answer.think += event.text
        await emit({"kind": "think", "text": event.text})
    elif event.kind == "text":
        answer.text += event.text
        await emit({"kind": "text", "text": event.text})
    else:
        block = event.block
        answer.text += block.raw
        answer.blocks.append(block)
        await emit({"kind": "block", "text": block.raw, "complete": block.complete})


def _emitter(sink: EventSink | None) -> Callable[[dict[str, Any]], Awaitable[None]]:
    async def emit(event: dict[str, Any]) -> None:
        if sink is None:
            return
        outcome = sink(event)
        if inspect.isawaitable(outcome):
            await outcome

    return emit
