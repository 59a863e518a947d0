"""Fill-in-the-middle benchmark: replay human typing against the test model server.

Types a stretch of the standard library's `json/encoder.py` and `difflib.py`
character by character, at a human rhythm (with pauses at line ends and a
few typos fixed with backspace; after Enter, only the keys the editor's own
indent leaves to press), into a real `CodeView` in a headless
Textual app wired to the completion service exactly as the main screen is.
The test model server answers after a fixed 40 ms and continues the current
line as the real file does (a model that guesses right); a second pass uses
a model whose guesses never match, so only the debounce and cancellation
save requests. Prints one `name: value` line per figure:

- requests_per_100_keys / naive_requests_per_100_keys: model requests sent,
  against one per keystroke that passes the trigger (no debounce, no cache,
  no reuse). Target: under a third.
- overhead_p95_ms: time from keystroke to ghost text on screen beyond the
  debounce wait and the model's own time (the server's, from its records):
  the bus, context, prompt, HTTP client, post-processing and the UI,
  including the frame that draws the keystroke. Target: under 20.
- cache_hit_ms: p95 time the engine takes to answer from its cache (the
  request reaching it to the suggestion being ready). Target: under 5.
  `cache_hit_keystroke_to_ghost_ms` is the same hits seen from the key
  press, one frame and the bus included.
- max_frame_ms: the longest frame (Textual's compositor refresh) drawn while
  a stream was in flight, the cursor moving meanwhile. Target: 16.
  `max_frame_cpu_ms` is the CPU time of that frame's thread (what the frame
  cost, whatever else the machine was doing); `max_loop_stall_ms` is the
  longest the UI loop could not serve input while a stream was in flight.

The host app calls `gc.freeze()` once mounted, as the app should: without
it, full collections of the start-up heap (20 to 80 ms here) land in frames
and in suggestions' latency. `--no-gc-freeze` measures without it.

Usage: python bench/fim.py [--keys N] [--no-gc-freeze]
(N keystrokes per file, default 300; the run takes about 4 minutes).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import math
import os
import random
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

FILES = ("json/encoder.py", "difflib.py")
MODEL_LATENCY_S = 0.040
TYPO_RATE = 0.04
SEED = 1234
TICK_S = 0.001
FREEZE_GC = True
"""Freeze start-up objects out of the collector after mounting (`--no-gc-freeze` to compare)."""
STREAM_CHUNKS = 40
STREAM_CHUNK_S = 0.025
"""The long suggestion streamed while the cursor moves: 40 lines over a second."""


@dataclass
class Figures:
    """What one replay measured."""

    keys: int = 0
    naive: int = 0
    requests: int = 0
    shown_from_model: list[tuple[float, float, float]] = field(default_factory=list)
    """(wall clock when shown, ms from key press, debounce ms) per model suggestion shown."""
    overhead_ms: list[float] = field(default_factory=list)
    cache_hit_ms: list[float] = field(default_factory=list)
    cache_hit_e2e_ms: list[float] = field(default_factory=list)
    frame_ms: list[float] = field(default_factory=list)
    frame_cpu_ms: list[float] = field(default_factory=list)
    stall_ms: list[float] = field(default_factory=list)
    shown: int = 0
    typing: bool = True
    """False once the replay is over: suggestions shown then are not counted."""


# -- the typist ------------------------------------------------------------------------------


def region(text: str, keys: int) -> tuple[int, int]:
    """A stretch of about `keys` characters of code, from a `def` line to a line's end.

    The line break that ends the stretch stays in the document, so the cursor
    types on a line of its own, with the rest of the file below.
    """
    start = text.find("\n    def ", len(text) // 3) + 1
    end = text.find("\n", start + keys)
    return start, end


MAX_INDENT_KEYS = 64


class Indent(str):
    """Where a line's indentation goes: the editor indents after Enter by itself, so the
    keys for it depend on what it did (`indent_keys`)."""


def keystrokes(typed: str, rng: random.Random) -> list[str]:
    """The keys a person presses to type `typed`: characters, and typos fixed at once; each
    line's indentation after a line break is an `Indent`."""
    keys: list[str] = []
    for number, line in enumerate(typed.split("\n")):
        body = line.lstrip(" \t")
        if number:
            keys.append("\n")
            if body:
                keys.append(Indent(line[: len(line) - len(body)]))
        else:
            body = line
        for character in body:
            if character.isalpha() and rng.random() < TYPO_RATE:
                keys += [rng.choice("asdfghjkl"), "backspace"]
            keys.append(character)
    return keys


def indent_key(view: Any, wanted: str) -> str | None:
    """The next key to bring the cursor line's indentation to `wanted` (None when it is), as
    a person does after the editor's automatic indent: Backspace out of too deep, spaces in."""
    row, column = view.cursor_location
    current = view.document.get_line(row)[:column]
    if current == wanted:
        return None
    return wanted[len(current)] if wanted.startswith(current) else "backspace"


def gap_s(previous: str, rng: random.Random) -> float:
    """Seconds before the next key: about 150 ms, longer after a line or a clause."""
    gap = rng.lognormvariate(math.log(0.15), 0.3)
    if previous == "\n":
        gap += rng.uniform(0.3, 0.9)
    elif previous in ":(," and rng.random() < 0.3:
        gap += rng.uniform(0.1, 0.4)
    return gap


def key_name(key: str) -> str:
    return {"\n": "enter", " ": "space"}.get(key, key)


# -- the app ---------------------------------------------------------------------------------


def make_host(router: Any, path: str, document: str, figures: Figures):
    from textual import on, work
    from textual.app import App, ComposeResult
    from textual.screen import Screen

    from aiide_tui.bus import connect_in_process
    from aiide_tui.ui.widgets.code_view import CodeView

    class TimedScreen(Screen[None]):
        """Times each frame while a model request is in flight."""

        def compose(self) -> ComposeResult:
            yield CodeView(path, document, mtime_ns=0)

        def on_mount(self) -> None:
            self.query_one(CodeView).focus()

        def _compositor_refresh(self) -> None:
            started, cpu = time.perf_counter(), time.thread_time()
            super()._compositor_refresh()
            if self.app.in_flight:
                figures.frame_ms.append((time.perf_counter() - started) * 1000)
                figures.frame_cpu_ms.append((time.thread_time() - cpu) * 1000)

    class Host(App[None]):
        """A code view and the completion service, wired as the main screen wires them."""

        def __init__(self) -> None:
            super().__init__()
            self.client = None
            self.in_flight = False

        def get_default_screen(self) -> Screen:
            return TimedScreen()

        async def on_mount(self) -> None:
            self.client = await connect_in_process(router)
            self.client.on_notification("complete/state", self._state)
            await self.client.request("complete/state")  # as the screen does for its status bar
            if FREEZE_GC:
                gc.collect()
                gc.freeze()  # start-up objects leave the collector's scans, as in AiideApp

        def _state(self, params: dict[str, Any]) -> None:
            self.in_flight = params["in_flight"]

        @on(CodeView.CompletionRequested)
        def requested(self, event: CodeView.CompletionRequested) -> None:
            self.ask(event.view, event.request, time.perf_counter())

        @work(exclusive=True, group="complete", exit_on_error=False)
        async def ask(self, view: CodeView, request: dict[str, Any], started: float) -> None:
            result = await self.client.request("complete/request", request)
            if result is None or not view.show_completion(result):
                return
            elapsed_ms = (time.perf_counter() - started) * 1000
            if not figures.typing:
                return
            figures.shown += 1
            if result["source"] == "cache":
                figures.cache_hit_ms.append(result["latency_ms"])
                figures.cache_hit_e2e_ms.append(elapsed_ms)
            else:
                debounce_ms = result["details"]["debounce_ms"]
                figures.shown_from_model.append((time.time(), elapsed_ms, debounce_ms))

    return Host()


async def watch_loop(app: Any, figures: Figures) -> None:
    """Record how long the loop was busy between ticks while a request was in flight."""
    last = time.perf_counter()
    while True:
        await asyncio.sleep(TICK_S)
        now = time.perf_counter()
        if app.in_flight:
            figures.stall_ms.append(max(0.0, (now - last - TICK_S) * 1000))
        last = now


async def navigate_while_streaming(pilot: Any, app: Any, server: Any) -> None:
    """Move the cursor about while a long suggestion streams in (each move draws a frame)."""
    from aiide_tui.ui.widgets.code_view import CodeView

    view = app.query_one(CodeView)
    row = view.cursor_location[0]
    indent = " " * (len(view.document[row]) - len(view.document[row].lstrip()))
    lines = [f"\n{indent}value_{number} = {number}" for number in range(STREAM_CHUNKS)]
    server.script("/api/generate", chunks=lines, chunk_delay=STREAM_CHUNK_S)
    await pilot.press("space")
    deadline = time.monotonic() + 5
    while not app.in_flight and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    for step in range(int(STREAM_CHUNKS * STREAM_CHUNK_S / 0.03)):
        await pilot.press("left" if step % 2 else "right")
        await asyncio.sleep(0.03)
    await pilot.press("backspace")


def model_overheads(figures: Figures, records: list[Any]) -> list[float]:
    """Per model suggestion shown: ms from key press beyond the debounce and the server's time."""
    served = sorted((r.ended, r.ended - r.started) for r in records if r.outcome == "completed")
    overheads = []
    for shown_at, elapsed_ms, debounce_ms in figures.shown_from_model:
        before = [duration for ended, duration in served if ended <= shown_at]
        if before:
            overheads.append(elapsed_ms - debounce_ms - before[-1] * 1000)
    return overheads


async def replay(server: Any, relative: str, keys: int, state_dir: Path) -> Figures:
    """Type a stretch of the stdlib file `relative` and measure."""
    from aiide_tui.bus import Router
    from aiide_tui.complete.request import CompletionRequest
    from aiide_tui.complete.trigger import refusal
    from aiide_tui.config import load_config
    from aiide_tui.services.completion_service import CompletionService
    from aiide_tui.ui.widgets.code_view import CodeView

    text = (Path(sysconfig.get_paths()["stdlib"]) / relative).read_text()
    start, end = region(text, keys)
    config = load_config(None, env={"OLLAMA_HOST": server.url})
    service = CompletionService(state_dir, config, state_dir)
    router = Router()
    service.register(router)
    figures = Figures()
    rng = random.Random(SEED)
    app = make_host(router, relative, text[:start] + text[end:], figures)
    async with app.run_test(size=(120, 40)) as pilot:
        view = app.query_one(CodeView)
        view.move_cursor(view.document.get_location_from_index(start))
        watcher = asyncio.create_task(watch_loop(app, figures))
        previous = "\n"
        next_at = time.perf_counter()

        async def press(key: str) -> None:
            nonlocal previous, next_at
            next_at += gap_s(previous, rng)
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
            await pilot.press(key_name(key))
            kind = "delete" if key == "backspace" else "insert"
            request = CompletionRequest.from_params(view.completion_request(kind))
            figures.keys += 1
            figures.naive += refusal(request, config.complete) is None
            previous = key

        for planned in keystrokes(text[start:end], rng):
            if not isinstance(planned, Indent):
                await press(planned)
                continue
            for _ in range(MAX_INDENT_KEYS):
                if (key := indent_key(view, planned)) is None:
                    break
                await press(key)
        await asyncio.sleep(1.0)
        assert view.text == text, "the replay did not type the file back"
        records = server.requests_to("/api/generate")
        figures.typing = False
        await navigate_while_streaming(pilot, app, server)
        watcher.cancel()
    await service.aclose()
    figures.requests = len(records)
    figures.overhead_ms = model_overheads(figures, records)
    return figures


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


async def run(keys: int) -> dict[str, Figures]:
    from tests.support.model_server import ModelServer

    server = ModelServer.start()
    results: dict[str, Figures] = {}
    try:
        for guessing in ("right", "wrong"):
            for relative in FILES:
                server.reset()
                text = (Path(sysconfig.get_paths()["stdlib"]) / relative).read_text()
                if guessing == "right":
                    server.set_corpus(text)
                    server.default("/api/generate", first_token_delay=MODEL_LATENCY_S)
                else:
                    server.default(
                        "/api/generate", "zzz_never()", first_token_delay=MODEL_LATENCY_S
                    )
                with tempfile.TemporaryDirectory() as state:
                    results[f"{guessing}:{relative}"] = await replay(
                        server, relative, keys, Path(state)
                    )
    finally:
        server.close()
    return results


def report(results: dict[str, Figures]) -> None:
    def total(prefix: str, name: str) -> Any:
        values = [getattr(f, name) for key, f in results.items() if key.startswith(prefix)]
        return sum(values, [] if isinstance(values[0], list) else 0)

    for prefix, label in (("right", ""), ("wrong", "_wrong_model")):
        keys = total(prefix, "keys")
        print(f"requests_per_100_keys{label}: {100 * total(prefix, 'requests') / keys:.1f}")
        print(f"naive_requests_per_100_keys{label}: {100 * total(prefix, 'naive') / keys:.1f}")
    every = list(results.values())

    def joined(name: str) -> list[float]:
        return [value for figures in every for value in getattr(figures, name)]

    print(f"gc_freeze: {'on' if FREEZE_GC else 'off'}")
    print(f"keys_typed: {sum(f.keys for f in every)}")
    print(f"suggestions_shown: {sum(f.shown for f in every)}")
    print(f"overhead_p95_ms: {p95(joined('overhead_ms')):.1f}")
    print(f"cache_hit_ms: {p95(joined('cache_hit_ms')):.2f}")
    print(f"cache_hit_keystroke_to_ghost_ms: {p95(joined('cache_hit_e2e_ms')):.1f}")
    print(f"cache_hits: {len(joined('cache_hit_ms'))}")
    print(f"max_frame_ms: {max(joined('frame_ms'), default=float('nan')):.1f}")
    print(f"max_frame_cpu_ms: {max(joined('frame_cpu_ms'), default=float('nan')):.1f}")
    print(f"frame_p95_ms: {p95(joined('frame_ms')):.1f}")
    print(f"frames_in_flight: {len(joined('frame_ms'))}")
    print(f"max_loop_stall_ms: {max(joined('stall_ms'), default=float('nan')):.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keys", type=int, default=300, help="keystrokes per file")
    parser.add_argument("--no-gc-freeze", action="store_true", help="leave the collector as is")
    args = parser.parse_args()
    global FREEZE_GC
    FREEZE_GC = not args.no_gc_freeze
    with tempfile.TemporaryDirectory() as home:
        os.environ["AIIDE_CONFIG_DIR"] = str(Path(home) / "config")
        os.environ["AIIDE_DATA_DIR"] = str(Path(home) / "data")
        os.environ.pop("OLLAMA_HOST", None)
        report(asyncio.run(run(args.keys)))


if __name__ == "__main__":
    main()
