"""A chat session makes its model provider in a thread as it opens; history trims by turns."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from aiide_tui.chat.context import ProjectFiles
from aiide_tui.chat.history import History, Turn
from aiide_tui.chat.session import ChatSession
from aiide_tui.chat.store import ChatStore
from aiide_tui.config import load_config
from aiide_tui.errors import ConfigError
from aiide_tui.llm.base import ChatMessage
from aiide_tui.llm.registry import provider_for_role
from aiide_tui.llm.roles import resolve_roles
from aiide_tui.workspace import Workspace

CHAT = "/api/chat"


def open_session(project: Path, state: Path, url: str, factory) -> ChatSession:
    roles = resolve_roles(load_config(project, env={"OLLAMA_HOST": url}))
    store = ChatStore(state / "chat.sqlite")
    return ChatSession(ProjectFiles(Workspace(project, state)), store, roles, None, factory)


async def test_the_provider_is_made_in_a_thread_as_the_session_opens(
    project, tmp_path, model_server
):
    model_server.default(CHAT, text="ok")
    made: list[int] = []

    def factory(role):
        made.append(threading.get_ident())
        return provider_for_role(role)

    session = open_session(project, tmp_path, model_server.url, factory)
    try:
        async with asyncio.timeout(10):
            while not made:
                await asyncio.sleep(0.01)
        assert made[0] != threading.get_ident()  # not on the event loop's thread
        assert model_server.requests_to(CHAT) == []  # made before any question
        await session.send("what does @calc.py do?")
        await session.send("and sub?")
        assert len(made) == 1
        assert len(model_server.requests_to(CHAT)) == 2
    finally:
        await session.aclose()


async def test_a_provider_that_cannot_be_made_fails_the_question_then_is_tried_again(
    project, tmp_path, model_server
):
    model_server.default(CHAT, text="ok")
    calls = []

    def factory(role):
        calls.append(role.name)
        if len(calls) == 1:
            raise ConfigError("CHAT_KEY is not set")
        return provider_for_role(role)

    session = open_session(project, tmp_path, model_server.url, factory)
    try:
        with pytest.raises(ConfigError, match="CHAT_KEY"):
            await session.send("hello?")
        result = await session.send("hello again")
        assert result.answer == "ok" and calls == ["chat", "chat"]
        assert session.history.messages()[0].content == "hello again"  # the failed one is not
    finally:
        await session.aclose()


def turn(tokens: int) -> Turn:
    """A turn of exactly `tokens` estimated tokens (4 per message for its framing)."""
    return Turn(ChatMessage("user", "q" * (tokens - 8) * 4), ChatMessage("assistant", ""))


def test_trim_drops_whole_oldest_turns_down_to_half_the_room():
    history = History([turn(100) for _ in range(6)])
    newest = history.turns[-2:]
    assert history.trim(600) == 0 and len(history.turns) == 6
    assert history.trim(500) == 4
    assert history.turns == newest and history.dropped == 4
    assert history.trim(500) == 0  # the prefix holds until the room runs short again


def test_trim_keeps_the_latest_turn_while_it_fits():
    history = History([turn(100), turn(100), turn(180)])
    assert history.trim(190) == 2 and history.tokens == 180
    assert history.trim(150) == 1 and history.turns == [] and history.dropped == 3


def test_an_unanswered_question_is_not_sent_again():
    history = History.from_messages(
        [
            ChatMessage("user", "lost"),
            ChatMessage("user", "asked"),
            ChatMessage("assistant", "answered"),
        ]
    )
    assert [m.content for m in history.messages()] == ["asked", "answered"]
