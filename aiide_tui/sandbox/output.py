"""A run's output: stdout and stderr kept apart, streamed live, capped with a marker."""

from __future__ import annotations

import asyncio
import codecs
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Stream = Literal["stdout", "stderr"]


@dataclass(frozen=True)
class OutputChunk:
    """Text a run wrote to one stream, as it arrived."""

    stream: Stream
    text: str
    data: bytes = b""
    """The bytes as written (the text is their UTF-8 reading): `aiide run -- cat logo.png`
    passes them on unchanged."""


OutputCallback = Callable[[OutputChunk], None]


def truncation_marker(dropped: int) -> str:
    return f"\n[aiide: output truncated: {dropped} more bytes were not kept]\n"


class OutputCapture:
    """Collects both streams up to `limit` bytes each; everything goes to the callback live.

    `feed` may be called from any thread; the callback always runs on `loop`.
    """

    def __init__(
        self,
        limit: int,
        on_output: OutputCallback | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self.limit = limit
        self._on_output = on_output
        self._loop = loop
        self._kept: dict[Stream, bytearray] = {"stdout": bytearray(), "stderr": bytearray()}
        self._dropped: dict[Stream, int] = {"stdout": 0, "stderr": 0}
        self._decoders = {
            name: codecs.getincrementaldecoder("utf-8")(errors="replace") for name in self._kept
        }

    def feed(self, stream: Stream, data: bytes) -> None:
        if not data:
            return
        kept = self._kept[stream]
        room = max(0, self.limit - len(kept))
        kept.extend(data[:room])
        self._dropped[stream] += len(data) - min(room, len(data))
        if self._on_output is not None and room:
            text = self._decoders[stream].decode(data[:room])
            self._emit(OutputChunk(stream, text, bytes(data[:room])))

    def _emit(self, chunk: OutputChunk) -> None:
        assert self._on_output is not None
        if self._loop is None:
            self._on_output(chunk)
        else:
            self._loop.call_soon_threadsafe(self._on_output, chunk)

    @property
    def truncated(self) -> bool:
        return any(self._dropped.values())

    def text(self, stream: Stream) -> str:
        """What was kept of `stream`, with the truncation marker when some was dropped."""
        text = bytes(self._kept[stream]).decode("utf-8", errors="replace")
        dropped = self._dropped[stream]
        return text + truncation_marker(dropped) if dropped else text
