"""One real chat round trip through the services with the embedded small model (SmolLM2).

The same path a user takes with `provider = "local"`: the chat service assembles
context, the llama.cpp child process streams an answer, the conversation is
stored, a second turn continues it, and closing the services stops the model
process. Assertions are about behaviour, never the model's words.
"""

from __future__ import annotations

import time

import psutil

from aiide_tui.chat.store import ChatStore
from aiide_tui.config import load_config
from aiide_tui.services.client import ServicesClient
from tests.chat.conftest import make_project


def model_processes() -> list[psutil.Process]:
    return [
        child
        for child in psutil.Process().children(recursive=True)
        if "aiide_tui.llm.local_child" in " ".join(child.cmdline())
    ]


async def test_a_real_round_trip_with_the_embedded_model(tmp_path, smollm2):
    project = make_project(tmp_path / "proj")
    role = {"provider": "local", "model": smollm2, "num_ctx": 2048, "max_tokens": 24}
    config = load_config(
        project,
        overrides={"models": {"chat": role}, "index": {"vectors": False, "workers": 1}},
    )
    client = await ServicesClient.in_process(project, config)
    try:
        events: list[dict] = []
        first = await client.chat_send("what does @calc.py do?", events.append)
        texts = [event["text"] for event in events if event["kind"] == "text"]
        assert events[0]["kind"] == "context"
        assert len(texts) > 1, "the answer should arrive in pieces"
        assert "".join(texts) == first["answer"] and first["answer"].strip()
        assert model_processes(), "the local model runs in its own process"
        second = await client.chat_send("and in one word?", lambda event: None)
        assert second["answer"].strip()
    finally:
        await client.close()
    deadline = time.monotonic() + 5
    while model_processes():
        assert time.monotonic() < deadline, "the model process outlived the services"
        time.sleep(0.1)
    store = ChatStore.for_project(project)
    try:
        (conversation,) = store.conversations()
        roles = [message.role for message in store.messages(conversation.id)]
    finally:
        store.close()
    assert roles == ["user", "assistant", "user", "assistant"]
