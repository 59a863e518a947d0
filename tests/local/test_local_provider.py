"""The `local` provider end to end with a real model (SmolLM2-135M) in a real llama.cpp process.

Assertions are about behaviour (chunks stream, a limit is honoured, a
cancelled answer stops being generated, processes end), never the words.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import aclosing
from pathlib import Path
from types import MappingProxyType

import pytest

from aiide_tui.llm.base import ChatMessage, ChatRequest, GenerateRequest, collect
from aiide_tui.llm.errors import ModelNotFound
from aiide_tui.llm.local import LocalProvider
from aiide_tui.llm.local_server import LocalServerError, LocalServers
from aiide_tui.llm.roles import Role
from aiide_tui.models.registry import DEFAULT_CODE_MODEL
from tests.local.conftest import require_xllamacpp

CONTEXT = 1024
REPO_ROOT = Path(__file__).resolve().parents[2]


def local_role(model: str, name: str = "chat", **options: object) -> Role:
    return Role(
        name=name,
        provider="local",
        model=model,
        base_url="",
        num_ctx=CONTEXT,
        max_tokens=16,
        temperature=0.0,
        first_token_timeout_s=60.0,
        idle_timeout_s=30.0,
        options=MappingProxyType(dict(options)),
    )


def alive(pid: int) -> bool:
    """Whether any thread of the process still runs (a zombie whose threads all ended does not:
    a killed process's main thread turns zombie while its other threads are still exiting)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        threads = len(os.listdir(f"/proc/{pid}/task"))
    except (OSError, IndexError):
        return False
    return state != "Z" or threads > 1


def wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.05)
    return not alive(pid)


def slots(base_url: str) -> list[dict]:
    with urllib.request.urlopen(base_url.removesuffix("/v1") + "/slots", timeout=5) as reply:
        return json.loads(reply.read())


@pytest.fixture
async def provider(smollm2):
    provider = LocalProvider(local_role(smollm2), context=CONTEXT, servers=LocalServers())
    yield provider
    await provider.aclose()


async def test_chat_answer_streams_in_pieces(provider):
    request = ChatRequest((ChatMessage("user", "Name three colours."),), max_tokens=24)
    chunks = [chunk async for chunk in provider.stream_chat(request)]
    texts = [chunk.text for chunk in chunks if chunk.text]
    assert len(texts) > 1
    last = chunks[-1]
    assert last.done and last.finish_reason in ("stop", "length")
    assert last.usage is not None and 0 < last.usage.output_tokens <= 24
    assert last.usage.prompt_tokens > 0


async def test_completion_honours_max_tokens(provider):
    reply = await collect(
        provider.stream_generate(GenerateRequest("def fibonacci(n):\n", max_tokens=8))
    )
    assert reply.text.strip()
    assert reply.usage is not None and reply.usage.output_tokens <= 8
    assert reply.finish_reason in ("stop", "length")


async def test_cancelling_a_stream_stops_generation(smollm2):
    role = local_role(smollm2, ignore_eos=True)
    provider = LocalProvider(role, context=CONTEXT, servers=LocalServers())
    try:
        base_url = await provider.warm_up()
        request = GenerateRequest("Once upon a time", max_tokens=900)
        async with aclosing(provider.stream_generate(request)) as stream:
            received = 0
            async for chunk in stream:
                received += bool(chunk.text)
                if received == 5:
                    break
            busy = [slot["is_processing"] for slot in slots(base_url)]
        assert any(busy), "the answer should still be generating when it is cancelled"
        deadline = time.monotonic() + 5.0  # 900 tokens would take half a minute or more
        while any(slot["is_processing"] for slot in slots(base_url)):
            assert time.monotonic() < deadline, "generation went on after the stream was closed"
            await asyncio.sleep(0.05)
        again = await collect(provider.stream_generate(GenerateRequest("Hello", max_tokens=4)))
        assert again.usage is not None and again.usage.output_tokens <= 4
    finally:
        await provider.aclose()


async def test_roles_on_one_model_share_one_process_until_the_last_closes(smollm2):
    servers = LocalServers()
    fim = LocalProvider(local_role(smollm2, name="fim"), context=CONTEXT, servers=servers)
    chat = LocalProvider(local_role(smollm2), context=CONTEXT, servers=servers)
    assert await fim.warm_up() == await chat.warm_up()
    (server,) = servers.running()
    pid = server.pid
    await fim.aclose()
    assert alive(pid)
    reply = await collect(chat.stream_generate(GenerateRequest("1, 2, 3,", max_tokens=4)))
    assert reply.text
    await chat.aclose()
    assert wait_gone(pid, 2.0)
    assert servers.running() == []


async def test_a_crashed_server_is_started_again_on_the_next_request(provider):
    await provider.warm_up()
    (server,) = provider._servers.running()
    crashed = server.pid
    os.kill(crashed, signal.SIGKILL)
    assert wait_gone(crashed, 5.0)
    reply = await collect(provider.stream_generate(GenerateRequest("a, b,", max_tokens=4)))
    assert reply.text
    assert server.pid != crashed and alive(server.pid)


async def test_load_progress_is_reported_up_to_ready(smollm2):
    events = []
    provider = LocalProvider(local_role(smollm2), context=CONTEXT, servers=LocalServers())
    try:
        await provider.warm_up(events.append)
    finally:
        await provider.aclose()
    stages = [event.stage for event in events]
    assert stages[-1] == "ready" and "loading" in stages
    reading = [event for event in events if event.stage == "reading"]
    assert reading and reading[-1].done == reading[-1].total > 0
    assert [event.done for event in reading] == sorted(event.done for event in reading)


def test_server_process_ends_when_aiide_is_killed(smollm2, tmp_path):
    script = tmp_path / "holder.py"
    script.write_text(
        "import asyncio, sys\n"
        "from tests.local.test_local_provider import local_role\n"
        "from aiide_tui.llm.local import LocalProvider\n"
        "async def main():\n"
        f"    provider = LocalProvider(local_role({smollm2!r}), context={CONTEXT})\n"
        "    await provider.warm_up()\n"
        "    print(provider._server.pid, flush=True)\n"
        "    await asyncio.sleep(120)\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    holder = subprocess.Popen(
        [sys.executable, str(script)], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        child = int(holder.stdout.readline())
        assert alive(child)
        holder.send_signal(signal.SIGKILL)
        holder.wait(10)
        assert wait_gone(child, 5.0), "the model server outlived the process that started it"
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


async def test_missing_default_model_says_how_to_install_it():
    provider = LocalProvider(local_role(DEFAULT_CODE_MODEL), servers=LocalServers())
    health = await provider.health()
    assert not health.reachable
    assert f"aiide models install {DEFAULT_CODE_MODEL}" in health.detail
    with pytest.raises(ModelNotFound, match="aiide models install"):
        await collect(provider.stream_chat(ChatRequest((ChatMessage("user", "hi"),))))
    await provider.aclose()


async def test_a_file_that_is_not_a_model_fails_with_the_log_named(tmp_path):
    require_xllamacpp()
    bogus = tmp_path / "broken.gguf"
    bogus.write_bytes(b"GGUF" + os.urandom(4096))
    servers = LocalServers()
    provider = LocalProvider(local_role(str(bogus)), context=CONTEXT, servers=servers)
    with pytest.raises(LocalServerError, match=r"local-model-broken\.gguf\.log"):
        await provider.warm_up()
    assert servers.running() == []
    await provider.aclose()
