"""Text from files, sandboxed programs and models never reaches the terminal as control codes.

A file's content or name, a sandbox run's output or a model's answer can hold
escape sequences: `ESC ] 2 ; title BEL` retitles the terminal, OSC 52 writes
the clipboard, a carriage return draws over what is beside it. Rich measures
control characters as zero cells wide and Textual writes a widget's text as
it is, so they would reach the terminal. Two layers:

- `visible()` turns them into their visible pictures (`␛`) where the text is
  built from such sources (file names, run output): each picture is one cell,
  and measured as one;
- `guard_terminal_output()` removes any left at the one place Textual turns
  widget text into terminal output, so a widget nobody thought of is safe
  too (removed, not pictured: Rich laid the line out with them as no width).
"""

from __future__ import annotations

import re

VISIBLE_CONTROLS = {
    **{code: chr(0x2400 + code) for code in range(32) if chr(code) not in "\t\n"},
    0x0D: None,
    0x7F: "␡",
    **{code: "�" for code in range(0x80, 0xA0)},  # C1: 0x9B is a one-byte CSI to some terminals
    0x85: "␤",
    0x2028: "␤",
    0x2029: "␤",
}
"""Control characters as their visible pictures (a carriage return goes: CRLF text shows as
LF text). The line separators among them would otherwise split lines and shift highlighting."""

CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
"""What must not reach the terminal inside a widget's text (tab and newline never do)."""


def visible(text: str) -> str:
    """`text` with its control characters drawn as pictures; unchanged when it has none."""
    shown = CONTROL.search(text) or "\u2028" in text or "\u2029" in text
    return text.translate(VISIBLE_CONTROLS) if shown else text


def guard_terminal_output() -> None:
    """Make Textual drop control characters from widget text as it writes it (idempotent)."""
    from rich.segment import Segment
    from textual.strip import Strip

    if getattr(Strip.render, "guarded", False):
        return
    render = Strip.render

    def guarded_render(self: Strip, console) -> str:
        if self._render_cache is None:
            segments = self._segments
            if CONTROL.search("".join(text for text, _, control in segments if not control)):
                self._segments = [
                    Segment(CONTROL.sub("", text), style, control) if not control else segment
                    for segment in segments
                    for text, style, control in (segment,)
                ]
        return render(self, console)

    guarded_render.guarded = True  # type: ignore[attr-defined]
    Strip.render = guarded_render  # type: ignore[method-assign]


_CONTROL_BYTE = re.compile(rb"[\x00-\x07\x0b\x0c\x0e-\x1f\x7f]")
"""A byte the filter must look at (ESC among them); tab, newline, CR and backspace are text."""


class TerminalFilter:
    """A sandboxed program's output bytes, made safe for a terminal as they stream.

    Kept: text, newlines, tabs, carriage returns and backspaces (progress bars), and
    colour (SGR: `ESC [ ... m`). Dropped: every other escape sequence, whole (string
    sequences such as OSC `ESC ] ... BEL` retitle the terminal or write the clipboard,
    cursor moves can draw over what was printed), and other control bytes. A sequence
    split between two chunks is handled: the filter keeps its state between calls.
    """

    _TEXT, _ESC, _CSI, _STRING, _STRING_ESC = range(5)

    def __init__(self) -> None:
        self._state = self._TEXT
        self._sequence = bytearray()

    def feed(self, data: bytes) -> bytes:
        if self._state == self._TEXT and not _CONTROL_BYTE.search(data):
            return data  # plain text, most chunks: no Python loop over every byte
        out = bytearray()
        for byte in data:
            state = self._state
            if state == self._TEXT:
                if byte == 0x1B:
                    self._state = self._ESC
                elif (byte >= 0x20 and byte != 0x7F) or byte in (0x09, 0x0A, 0x0D, 0x08):
                    out.append(byte)
            elif state == self._ESC:
                if byte == ord("["):
                    self._state, self._sequence = self._CSI, bytearray(b"\x1b[")
                elif byte in b"]PX^_":  # OSC, DCS, SOS, PM, APC: up to BEL or ESC \
                    self._state = self._STRING
                else:  # a two-byte escape (ESC c resets the terminal): dropped
                    self._state = self._TEXT
            elif state == self._CSI:
                self._sequence.append(byte)
                if 0x40 <= byte <= 0x7E:  # the final byte
                    if byte == ord("m"):
                        out += self._sequence
                    self._state = self._TEXT
                elif len(self._sequence) > 64:  # not a sequence any terminal sends
                    self._state = self._TEXT
            elif state == self._STRING:
                if byte == 0x07:
                    self._state = self._TEXT
                elif byte == 0x1B:
                    self._state = self._STRING_ESC
            else:  # _STRING_ESC: ESC \ ends the string; anything else goes on with it
                self._state = self._TEXT if byte == ord("\\") else self._STRING
        return bytes(out)
