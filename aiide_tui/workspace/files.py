"""Reading text files so that saving them writes back exactly the same bytes.

Text comes back with "\\n" line endings; `newline` and `encoding` record how
the file stored them (CRLF, a UTF-8 BOM, UTF-16 with a BOM, a legacy 8-bit
encoding), and
`encode_text` turns edited text back into bytes in that same form. A file
whose line endings are mixed keeps them verbatim in `text` (its `newline` is
"\\n"), so an untouched save is still byte-identical.
"""

from __future__ import annotations

import codecs
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from aiide_tui.errors import (
    BinaryFileError,
    FileTooLargeError,
    UnencodableTextError,
    WorkspaceError,
)

DEFAULT_MAX_BYTES = 2 * 1024 * 1024
SNIFF_BYTES = 8192

NEWLINES = ("\n", "\r\n", "\r")
LEGACY_ENCODINGS = ("cp1252", "latin-1")
"""What text that is not UTF-8 is read as, first that decodes (vim's last resort is latin-1
too). Both map each byte to one character and back, so an untouched save is byte-identical."""
CONTROL_BYTES = frozenset(range(32)) - set(b"\t\n\r\f\v\x1b") | {0x7F}
"""Bytes that plain text hardly ever holds: many of them mean binary, not a legacy encoding."""

_BOMS = (
    ("utf-8-sig", codecs.BOM_UTF8, "utf-8"),
    ("utf-16-le", codecs.BOM_UTF16_LE, "utf-16-le"),
    ("utf-16-be", codecs.BOM_UTF16_BE, "utf-16-be"),
)
"""(encoding name we report, BOM, codec for the bytes after it)."""

_UTF16_BOMS = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}
"""UTF-16 is only read with a BOM, so it is written back with one."""


@dataclass(frozen=True)
class FileContent:
    """A text file as read: its text plus what is needed to save it unchanged.

    `encoding` is "utf-8", "utf-8-sig" (a BOM), "utf-16-le" or "utf-16-be"
    (UTF-16 is only recognised by its BOM, and is written back with it).
    """

    text: str
    encoding: str
    newline: str
    mtime_ns: int
    size: int


def read_text(path: Path, *, max_bytes: int | None = DEFAULT_MAX_BYTES) -> FileContent:
    """Read a text file; raises FileTooLargeError, BinaryFileError or WorkspaceError."""
    data, info = _read_regular(path, max_bytes)
    text, encoding = decode_bytes(data, path)
    newline = "\n"
    if "\n" in text and text.count("\n") == text.count("\r\n"):
        newline = "\r\n"
        text = text.replace("\r\n", "\n")
    return FileContent(text, encoding, newline, info.st_mtime_ns, len(data))


def uniform_newlines(text: str, newline: str) -> tuple[str, str, int]:
    """Text with mixed line endings (CRLF, LF, an old Mac's CR) as an editor can hold it:
    every line ending "\\n", to be saved with the most common ending. Returns (text, newline,
    lines whose ending a save changes: 0 when they were not mixed). A text area keeps one
    ending for the whole file, so the tab read as "unsaved" after any reload, and a save
    converted lines silently."""
    if newline == "\r\n":  # read as CRLF throughout: already one kind
        return text, newline, 0
    crlf = text.count("\r\n")
    counts = {"\r\n": crlf, "\n": text.count("\n") - crlf, "\r": text.count("\r") - crlf}
    if sum(1 for count in counts.values() if count) < 2:
        return text, newline, 0
    most = max(counts, key=counts.__getitem__)
    uniform = text.replace("\r\n", "\n").replace("\r", "\n")
    return uniform, most, sum(counts.values()) - counts[most]


def encode_text(text: str, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    """The bytes to save for `text` (which uses "\\n" line endings) in a file's own form."""
    if newline not in NEWLINES:
        raise WorkspaceError(f"Unsupported line ending {newline!r}")
    if newline != "\n":
        text = text.replace("\n", newline)
    try:
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise WorkspaceError(f"Unknown encoding {encoding!r}") from None
    try:
        return _UTF16_BOMS.get(codec, b"") + text.encode(codec)
    except UnicodeEncodeError as exc:
        bad = exc.object[exc.start : exc.end]
        line = exc.object.count("\n", 0, exc.start) + 1
        raise UnencodableTextError(
            f"The text cannot be saved as {encoding}, the file's encoding: {bad!r} "
            f"(U+{ord(bad[0]):04X}, line {line}) has no place in it"
        ) from None


def decode_bytes(data: bytes, path: Path | str = "file") -> tuple[str, str]:
    """Decode file bytes as (text, encoding name), or raise BinaryFileError."""
    for name, bom, codec in _BOMS:
        if data.startswith(bom):
            text = _decode(data[len(bom) :], codec, name, path)
            if "\x00" in text:
                raise BinaryFileError(f"{path} looks binary (it contains NUL characters)")
            return text, name
    if b"\x00" in data[:SNIFF_BYTES]:
        raise BinaryFileError(f"{path} looks binary (it contains NUL bytes)")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if _looks_like_text(data[:SNIFF_BYTES]):
        for encoding in LEGACY_ENCODINGS:
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                continue
    raise BinaryFileError(
        f"{path} is not text: it is neither UTF-8 (or UTF-16 with a BOM) nor text in a"
        " legacy 8-bit encoding"
    )


def is_binary(path: Path) -> bool:
    """A cheap sniff of the first 8 KiB: NUL bytes, or invalid UTF-8 that doesn't look like
    legacy 8-bit text, mean binary."""
    head, _ = _read_regular(path, None, limit=SNIFF_BYTES)
    if any(head.startswith(bom) for _, bom, _ in _BOMS):
        return False
    if b"\x00" in head:
        return True
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=len(head) < SNIFF_BYTES)
    except UnicodeDecodeError:
        return not _looks_like_text(head)
    return False


def _looks_like_text(head: bytes) -> bool:
    """At most 1 in 100 bytes a control character (binary data has them all over)."""
    controls = sum(head.count(byte) for byte in CONTROL_BYTES)
    return controls * 100 <= len(head)


def _decode(data: bytes, codec: str, name: str, path: Path | str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        raise BinaryFileError(
            f"{path} is not valid {name.upper()} text: it is binary or in an unsupported encoding"
            " (UTF-8, or UTF-16 with a BOM, are supported)"
        ) from None


def _read_regular(
    path: Path, max_bytes: int | None, *, limit: int | None = None
) -> tuple[bytes, os.stat_result]:
    """Read a regular file (never blocking on a FIFO), up to `limit` bytes when given."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise WorkspaceError(f"{path} does not exist") from None
    except PermissionError:
        raise WorkspaceError(f"Permission denied: cannot read {path}") from None
    except OSError as exc:
        raise WorkspaceError(f"Cannot read {path}: {exc.strerror}") from None
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        os.close(fd)
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise WorkspaceError(f"Cannot open {path}: it is {kind}")
    with os.fdopen(fd, "rb") as handle:
        if max_bytes is not None and info.st_size > max_bytes:
            raise FileTooLargeError(
                f"{path} is {info.st_size:,} bytes, over the limit of {max_bytes:,}."
            )
        if limit is None:
            limit = -1 if max_bytes is None else max_bytes + 1
        try:
            data = handle.read(limit)
        except OSError as exc:
            raise WorkspaceError(f"Cannot read {path}: {exc.strerror}") from None
    if max_bytes is not None and len(data) > max_bytes:
        raise FileTooLargeError(f"{path} grew over {max_bytes:,} bytes while being read")
    return data, info
