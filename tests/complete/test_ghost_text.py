"""Ghost text in the editor, driven by keys, answered by the real service and test server.

The host app is wired as the main screen is: the view's `CompletionRequested`
goes to an exclusive worker that asks `complete/request` over the in-process
bus (a newer keystroke cancels the older worker, and so the request), and
the answer goes back to the view's `show_completion`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual import on, work
from textual.app import App, ComposeResult

from aiide_tui.bus import Endpoint, Router, connect_in_process
from aiide_tui.ui.widgets.code_view import CodeView
from tests.complete.test_service import service_for
from tests.support.model_server import FINISHED, ModelServer

GENERATE = "/api/generate"
TEXT = "def add(a, b):\n    \n\nprint(add(1, 2))\n"


class Host(App[None]):
    """One code view and the completion service, wired like the main screen."""

    def __init__(self, router: Router) -> None:
        super().__init__()
        self.router = router
        self.client: Endpoint | None = None
        self.accepted: list[dict[str, Any]] = []

    def compose(self) -> ComposeResult:
        yield CodeView("calc.py", TEXT, mtime_ns=0)

    async def on_mount(self) -> None:
        self.client = await connect_in_process(self.router)
        view = self.query_one(CodeView)
        view.focus()
        view.move_cursor((1, 4))

    async def on_unmount(self) -> None:
        if self.client is not None:
            await self.client.close()

    @on(CodeView.CompletionRequested)
    def completion_requested(self, event: CodeView.CompletionRequested) -> None:
        self.request_completion(event.view, event.request)

    @work(exclusive=True, group="complete", exit_on_error=False)
    async def request_completion(self, view: CodeView, request: dict[str, Any]) -> None:
        assert self.client is not None
        result = await self.client.request("complete/request", request)
        if result is not None:
            view.show_completion(result)

    @on(CodeView.CompletionAccepted)
    async def completion_accepted(self, event: CodeView.CompletionAccepted) -> None:
        params = {"id": event.completion_id, "chars": event.chars, "kind": event.kind}
        self.accepted.append(params)
        assert self.client is not None
        await self.client.request("complete/accepted", params)


def host(model_server: ModelServer, tmp_path: Path) -> Host:
    router = Router()
    service_for(model_server.url, tmp_path).register(router)
    return Host(router)


async def until(pilot, condition: Callable[[], object], timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {condition}"
        await pilot.pause(0.02)


def rows(view: CodeView, count: int = 6) -> list[str]:
    return [view.render_line(y).text.rstrip() for y in range(count)]


async def test_ghost_text_appears_tab_inserts_it(model_server: ModelServer, tmp_path: Path) -> None:
    model_server.script(GENERATE, "eturn a + b\n    # checked\n    assert a")
    app = host(model_server, tmp_path)
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(CodeView)
        await pilot.press("r")
        await until(pilot, lambda: view.ghost is not None)
        assert rows(view) == [
            "1  def add(a, b):",
            "2      return a + b",
            "       # checked",
            "       assert a",
            "3",
            "4  print(add(1, 2))",
        ]
        await pilot.press("tab")
        await pilot.pause()
        assert view.ghost is None
        assert view.text == "def add(a, b):\n    return a + b\n    # checked\n    assert a\n\n" + (
            "print(add(1, 2))\n"
        )
        assert view.cursor_location == (3, 12)
        await until(pilot, lambda: app.accepted)
        assert app.accepted[0]["chars"] == len("eturn a + b\n    # checked\n    assert a")


async def test_typing_through_keeps_it_with_no_new_request(
    model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.script(GENERATE, "eturn a + b")
    app = host(model_server, tmp_path)
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(CodeView)
        await pilot.press("r")
        await until(pilot, lambda: view.ghost is not None)
        await pilot.press("e", "t", "u")
        await pilot.pause(0.2)
        assert view.ghost is not None and view.ghost.text == "rn a + b"
        assert rows(view, 2)[1] == "2      return a + b"
        assert len(model_server.requests_to(GENERATE)) == 1
        await pilot.press("x")  # no longer what the ghost shows
        await pilot.pause()
        assert view.ghost is None


async def test_escape_removes_it_and_partial_accepts(
    model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.script(GENERATE, "eturn a + b\n    # done")
    app = host(model_server, tmp_path)
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(CodeView)
        await pilot.press("r")
        await until(pilot, lambda: view.ghost is not None)
        await pilot.press("ctrl+right")
        assert view.document[1] == "    return" and view.ghost.text == " a + b\n    # done"
        await pilot.press("ctrl+down")
        assert view.document[1] == "    return a + b" and view.ghost.text == "\n    # done"
        await pilot.press("escape")
        assert view.ghost is None and view.has_focus
        assert rows(view, 3)[2] == "3"
        assert [item["kind"] for item in app.accepted] == ["word", "line"]


async def test_moving_the_cursor_dismisses_it(model_server: ModelServer, tmp_path: Path) -> None:
    model_server.script(GENERATE, "eturn a + b")
    app = host(model_server, tmp_path)
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(CodeView)
        await pilot.press("r")
        await until(pilot, lambda: view.ghost is not None)
        await pilot.press("left")
        await pilot.pause()
        assert view.ghost is None and view.suggestion == ""


async def test_the_ui_never_blocks_while_a_stream_stalls(
    model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.script(GENERATE, "eturn a + b", stall_after=1)
    app = host(model_server, tmp_path)
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(CodeView)
        await pilot.press("r")
        await asyncio.to_thread(
            model_server.wait_for, lambda seen: any(r.path == GENERATE for r in seen)
        )
        gaps = await loop_gaps(pilot, seconds=1.0)
        # The loop kept turning through a stall of over a second: waiting on the model
        # would show as one gap that long (a collector pass can take tens of ms).
        assert max(gaps) < 0.25 and len(gaps) > 20
        started = time.monotonic()
        await pilot.press("e")
        assert view.document[1] == "    re" and time.monotonic() - started < 0.5
        stalled = await asyncio.to_thread(
            model_server.wait_for,
            lambda seen: next(r.outcome for r in seen if r.path == GENERATE) in FINISHED,
        )
        first = next(r for r in stalled if r.path == GENERATE)
        assert first.outcome == "disconnected"  # typing on cancelled the stalled request


async def loop_gaps(pilot, seconds: float) -> list[float]:
    """The gaps between turns of the event loop over `seconds` (a stall shows as a long gap)."""
    gaps: list[float] = []
    last = time.monotonic()
    end = last + seconds
    while last < end:
        await asyncio.sleep(0.005)
        now = time.monotonic()
        gaps.append(now - last)
        last = now
    return gaps


def ghost_colour(view: CodeView, y: int):
    """The colour of the ghost text drawn on screen row `y` (past the gutter)."""
    segments = [s for s in view.render_line(y) if s.text.strip() and not s.text.strip().isdigit()]
    return segments[0].style.color


async def test_ghost_rows_follow_the_theme(model_server: ModelServer, tmp_path: Path) -> None:
    model_server.script(GENERATE, "eturn a + b\n    # checked")
    app = host(model_server, tmp_path)
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(CodeView)
        await pilot.press("r")
        await until(pilot, lambda: view.ghost is not None)
        dark = ghost_colour(view, 2)
        assert dark == view.get_component_rich_style("text-area--suggestion").color
        assert dark != ghost_colour(view, 0)  # dimmer than the code
        app.theme = "textual-light"
        await pilot.pause()
        light = ghost_colour(view, 2)
        assert light == view.get_component_rich_style("text-area--suggestion").color
        assert light != dark


async def test_a_click_below_the_ghost_lands_on_the_line_drawn_there(
    model_server: ModelServer, tmp_path: Path
) -> None:
    model_server.script(GENERATE, "eturn a + b\n    # one\n    # two")
    app = host(model_server, tmp_path)
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(CodeView)
        await pilot.press("r")
        await until(pilot, lambda: view.ghost is not None)
        assert rows(view)[5] == "4  print(add(1, 2))"
        await pilot.click(CodeView, offset=(6, 5))
        await pilot.pause()
        assert view.cursor_location == (3, 3) and view.ghost is None
