"""LSP's base-protocol framing: `Content-Length: N\\r\\n\\r\\n` then N bytes of UTF-8 JSON.

A frame with bad headers raises `ParseError` after its headers are consumed, so
the reader can go on with the next frame. The end of the stream, even in the
middle of a frame, reads as `None`: a peer that died is a closed connection.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from aiide_tui.bus.protocol import ParseError

MAX_FRAME_BYTES = 256 * 1024 * 1024
"""Larger frames are skipped unread: no peer of ours sends a quarter gigabyte at once."""
_SKIP_CHUNK = 1024 * 1024


class FrameReader(Protocol):
    async def readline(self) -> bytes: ...
    async def readexactly(self, n: int) -> bytes: ...


class FrameWriter(Protocol):
    def write(self, data: bytes) -> None: ...
    async def drain(self) -> None: ...
    def close(self) -> None: ...
    async def wait_closed(self) -> None: ...


def encode_frame(body: bytes) -> bytes:
    return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)


async def write_frame(writer: FrameWriter, body: bytes) -> None:
    writer.write(encode_frame(body))
    await writer.drain()


async def read_frame(reader: FrameReader) -> bytes | None:
    """The next frame's body, or None at the end of the stream."""
    try:
        length = await _read_headers(reader)
        if length is None:
            return None
        if length > MAX_FRAME_BYTES:
            for start in range(0, length, _SKIP_CHUNK):
                await reader.readexactly(min(_SKIP_CHUNK, length - start))
            raise ParseError(f"frame of {length} bytes is over the limit")
        return await reader.readexactly(length)
    except asyncio.IncompleteReadError:
        return None


async def _read_headers(reader: FrameReader) -> int | None:
    """The Content-Length of the next frame, reading up to and including its blank line."""
    length: int | None = None
    problem = ""
    seen_header = False
    while True:
        try:
            line = await reader.readline()
        except ValueError:  # over the reader's line limit; it dropped the line
            problem, seen_header = "header line too long", True
            continue
        if not line.endswith(b"\n"):  # the stream ended, maybe in the middle of a line
            return None
        line = line.rstrip(b"\r\n")
        if not line:
            if seen_header:
                break
            continue  # stray blank lines between frames are harmless
        if not seen_header and (at := line.lower().find(b"content-length:")) > 0:
            line = line[at:]  # the body of a frame refused for its headers ran into this one
        seen_header = True
        name, colon, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value) if value.strip().isdigit() else None
            problem = problem or ("" if length is not None else f"bad Content-Length {value!r}")
        elif not colon and length is None and not problem:
            raise ParseError(f"bad header line {line[:80]!r}")  # junk; a frame may follow it
        elif not colon:
            problem = problem or f"bad header line {line[:80]!r}"
    if problem or length is None:
        raise ParseError(problem or "frame has no Content-Length")
    return length
