"""The prompt grows append-only across turns, as the model server received it.

Each request's `messages` array, byte for byte as it went on the wire, must
begin with the previous request's plus the previous answer (without its
reasoning), until a trim, which drops whole old turns and nothing else.
"""

from __future__ import annotations

import itertools
import json

import pytest

from aiide_tui.config import load_config
from aiide_tui.services.client import ServicesClient
from tests.chat.conftest import IGNORED_MARK, SECRET

CHAT = "/api/chat"


def wire_messages(raw: str) -> str:
    """The `messages` array exactly as sent, without its closing bracket."""
    start = raw.index('"messages":') + len('"messages":')
    _, end = json.JSONDecoder().raw_decode(raw, start)
    return raw[start : end - 1]


def assert_appended(before, after, answer: str) -> None:
    """`after` is `before` plus the answer to it, then one new question."""
    sent, grown = wire_messages(before.raw), wire_messages(after.raw)
    assert grown.startswith(sent + ","), "the prompt prefix changed"
    previous = len(before.body["messages"])
    assert after.body["messages"][previous] == {"role": "assistant", "content": answer}
    assert len(after.body["messages"]) == previous + 2


async def test_each_prompt_is_the_previous_one_plus_its_answer(client, model_server, project):
    scripted = [
        ("what does @calc.py do?", "<think>plan A: read calc</think>It has add and sub."),
        ("and what is in @.env?", "I cannot see that file."),
        ("who calls add?", "<think>plan C: grep</think>main.py calls add."),
        ("thanks", "You are welcome."),
    ]
    for _, answer in scripted:
        model_server.script(CHAT, text=answer)
    await client.chat_send("/add main.py .env")
    secret = {"path": ".env", "line": 1, "selection": "API_KEY"}
    for (question, _), opened in zip(scripted, [None, secret, None, secret], strict=True):
        await client.chat_send(question, open_file=opened)
    requests = model_server.requests_to(CHAT)
    assert len(requests) == 4
    for (before, after), (_, answer) in zip(itertools.pairwise(requests), scripted, strict=False):
        assert_appended(before, after, answer.split("</think>")[-1])
    for request in requests:
        assert "plan A" not in request.raw and "plan C" not in request.raw
        assert SECRET not in request.raw and IGNORED_MARK not in request.raw
        assert "def add(a, b)" in request.body["messages"][1]["content"]  # calc.py, from turn 1


async def test_a_file_already_above_is_not_sent_again_until_it_changes(
    client, model_server, project
):
    model_server.default(CHAT, text="Noted.")
    opened = {"path": "calc.py", "line": 1, "selection": ""}
    first = await client.chat_send("what does @calc.py do?")
    second = await client.chat_send("and now?", open_file=opened)
    assert first["context"]["repeated"] == []
    assert second["context"]["repeated"] == ["calc.py"]
    assert "1 already above" in second["context"]["summary"]
    (project / "calc.py").write_text("def add(a, b):\n    return a + b + 0\n")
    third = await client.chat_send("and after my change?", open_file=opened)
    assert third["context"]["repeated"] == []
    asked = [r.body["messages"][-1]["content"] for r in model_server.requests_to(CHAT)]
    assert "def helper_0" in asked[0] and "def add" not in asked[1]
    assert "return a + b + 0" in asked[2]


@pytest.fixture
async def small_window(project, model_server):
    """A project whose every question names a ~200-token file, under a 2048-token window."""
    for number in range(8):
        lines = [
            f"def step_{number}_{i}(value):\n    return value * {i} + {number}\n" for i in range(16)
        ]
        (project / f"steps_{number}.py").write_text("\n\n".join(lines))
    config = load_config(
        project,
        env={"OLLAMA_HOST": model_server.url},
        overrides={
            "index": {"vectors": False, "workers": 1},
            "models": {"chat": {"num_ctx": 2048, "max_tokens": 256}},
        },
    )
    services = await ServicesClient.in_process(project, config)
    try:
        yield services
    finally:
        await services.close()


ANSWER = "Looked at it."


def split_turns(messages: list[dict]) -> list[tuple[dict, dict]]:
    """The (question, answer) pairs between the system message and the new question."""
    history = messages[1:-1]
    return [(history[i], history[i + 1]) for i in range(0, len(history), 2)]


async def test_a_trim_drops_whole_old_turns_and_the_prefix_then_holds(small_window, model_server):
    model_server.default(CHAT, text=f"<think>thinking hard</think>{ANSWER}")
    await small_window.chat_send("/drop hits")  # each turn the same size: trims come on time
    results = [await small_window.chat_send(f"explain @steps_{n}.py") for n in range(8)]
    requests = model_server.requests_to(CHAT)
    trims, dropped = [], 0
    for turn, (before, after) in enumerate(itertools.pairwise(requests), 1):
        grown = wire_messages(after.raw)
        if grown.startswith(wire_messages(before.raw) + ","):
            assert_appended(before, after, ANSWER)
        else:
            trims.append(turn)
            answered = (before.body["messages"][-1], {"role": "assistant", "content": ANSWER})
            old = [*split_turns(before.body["messages"]), answered]
            kept = split_turns(after.body["messages"])
            assert after.body["messages"][0] == before.body["messages"][0]
            assert 1 <= len(kept) < len(old) and old[len(old) - len(kept) :] == kept
            dropped += len(old) - len(kept)
        context = results[turn]["context"]
        assert context["history"]["turns"] == len(split_turns(after.body["messages"]))
        assert context["history"]["dropped"] == dropped
    assert trims, "eight 200-token turns never needed a trim in a 2048-token window"
    assert all(b - a > 1 for a, b in itertools.pairwise(trims)), trims
    assert "older turns dropped" in results[trims[0]]["context"]["summary"]
    for request in requests:
        assert request.truncated is False
        assert "thinking hard" not in request.raw
