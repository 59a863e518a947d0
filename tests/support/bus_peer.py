"""A small bus server for tests: `python -m tests.support.bus_peer --stdio | --socket PATH`.

With `--socket` it prints `ready` on stdout once clients can connect, and
removes the socket on SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from typing import Any

from aiide_tui.bus import RequestContext, Router, serve_stdio, serve_unix_socket
from aiide_tui.errors import BinaryFileError


def build_router() -> Router:
    """Methods that exercise the bus: echo, slow (cancellable), stream, errors."""
    router = Router()
    slow_state = {"started": 0, "cancelled": 0, "finished": 0}
    received: list[Any] = []

    @router.method("echo")
    async def echo(params: Any, ctx: RequestContext) -> Any:
        return params

    @router.method("pid")
    async def pid(params: Any, ctx: RequestContext) -> int:
        return os.getpid()

    @router.method("slow")
    async def slow(params: dict[str, Any], ctx: RequestContext) -> str:
        slow_state["started"] += 1
        try:
            await asyncio.sleep(params.get("seconds", 30))
        except asyncio.CancelledError:
            slow_state["cancelled"] += 1
            raise
        slow_state["finished"] += 1
        return "finished"

    @router.method("slow/state")
    async def slow_status(params: Any, ctx: RequestContext) -> dict[str, int]:
        return slow_state

    @router.method("stream")
    async def stream(params: dict[str, Any], ctx: RequestContext) -> dict[str, int]:
        for index in range(params["count"]):
            await ctx.notify("stream/progress", {"index": index})
        return {"sent": params["count"]}

    @router.method("binary")
    async def binary(params: dict[str, Any], ctx: RequestContext) -> None:
        raise BinaryFileError(f"{params['path']} is binary")

    @router.method("crash")
    async def crash(params: Any, ctx: RequestContext) -> None:
        raise RuntimeError("boom")

    @router.method("noisy")
    async def noisy(params: Any, ctx: RequestContext) -> str:
        print("stray output that must not reach the protocol stream")
        os.write(1, b"and a raw write to fd 1\n")
        return "quiet"

    @router.notification("remember")
    async def remember(params: Any, ctx: RequestContext) -> None:
        received.append(params)

    @router.method("remembered")
    async def remembered(params: Any, ctx: RequestContext) -> list[Any]:
        return received

    return router


async def _serve_socket(path: str) -> None:
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)

    def ready() -> None:
        print("ready", flush=True)

    with contextlib.suppress(asyncio.CancelledError):
        await serve_unix_socket(path, build_router(), ready=ready)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--stdio", action="store_true")
    group.add_argument("--socket", metavar="PATH")
    args = parser.parse_args()
    logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
    if args.stdio:
        asyncio.run(serve_stdio(build_router()))
    else:
        asyncio.run(_serve_socket(args.socket))


if __name__ == "__main__":
    main()
