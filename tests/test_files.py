"""read_text / encode_text: byte-exact round trips, and clear refusals of what is not text."""

from __future__ import annotations

import codecs
import os
import random
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aiide_tui.errors import BinaryFileError, FileTooLargeError, WorkspaceError
from aiide_tui.workspace.files import (
    DEFAULT_MAX_BYTES,
    encode_text,
    is_binary,
    read_text,
    uniform_newlines,
)
from tests.support.components import as_plain_user


def _roundtrip(path: Path, raw: bytes) -> str:
    """Write raw bytes, read them, encode them back; assert nothing changed."""
    path.write_bytes(raw)
    content = read_text(path)
    assert encode_text(content.text, content.encoding, content.newline) == raw
    assert content.size == len(raw)
    assert content.mtime_ns == path.stat().st_mtime_ns
    return content.text


def test_plain_utf8(tmp_path: Path) -> None:
    content = read_text(_file(tmp_path, "déjà vu\nline 2\n".encode()))
    assert (content.text, content.encoding, content.newline) == ("déjà vu\nline 2\n", "utf-8", "\n")


def test_crlf_roundtrip(tmp_path: Path) -> None:
    assert _roundtrip(tmp_path / "w.txt", b"one\r\ntwo\r\n") == "one\ntwo\n"
    assert read_text(tmp_path / "w.txt").newline == "\r\n"


def test_crlf_with_lone_carriage_returns(tmp_path: Path) -> None:
    assert _roundtrip(tmp_path / "w.txt", b"a\rb\r\r\nc\r\n") == "a\rb\r\nc\n"


def test_mixed_newlines_are_kept_verbatim(tmp_path: Path) -> None:
    assert _roundtrip(tmp_path / "m.txt", b"a\r\nb\nc\r\n") == "a\r\nb\nc\r\n"
    assert read_text(tmp_path / "m.txt").newline == "\n"


def test_uniform_newlines_take_the_most_common_ending() -> None:
    assert uniform_newlines("a\r\nb\nc\r\n", "\n") == ("a\nb\nc\n", "\r\n", 1)
    assert uniform_newlines("a\r\nb\nc\n", "\n") == ("a\nb\nc\n", "\n", 1)
    assert uniform_newlines("a\nb\n", "\r\n") == ("a\nb\n", "\r\n", 0)  # as read: CRLF
    assert uniform_newlines("a\nb\n", "\n") == ("a\nb\n", "\n", 0)
    assert uniform_newlines("a\rb\rc\n", "\n") == ("a\nb\nc\n", "\r", 1)  # an old Mac's CR
    assert uniform_newlines("x\ry\r", "\n") == ("x\ry\r", "\n", 0)  # CR alone: as read
    assert encode_text("a\nb\n", newline="\r") == b"a\rb\r"


def test_utf8_bom_roundtrip(tmp_path: Path) -> None:
    raw = codecs.BOM_UTF8 + b"print('hi')\r\n"
    assert _roundtrip(tmp_path / "bom.py", raw) == "print('hi')\n"
    assert read_text(tmp_path / "bom.py").encoding == "utf-8-sig"


@pytest.mark.parametrize(
    ("bom", "codec"), [(codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")]
)
def test_utf16_with_bom_roundtrip(tmp_path: Path, bom: bytes, codec: str) -> None:
    raw = bom + "héllo\r\nwörld\r\n".encode(codec)
    assert _roundtrip(tmp_path / "u16.txt", raw) == "héllo\nwörld\n"
    assert read_text(tmp_path / "u16.txt").encoding == codec


def test_edited_text_is_saved_in_the_files_own_form(tmp_path: Path) -> None:
    content = read_text(_file(tmp_path, codecs.BOM_UTF8 + b"a\r\nb\r\n"))
    edited = content.text + "c\n"
    assert (
        encode_text(edited, content.encoding, content.newline)
        == codecs.BOM_UTF8 + b"a\r\nb\r\nc\r\n"
    )


def test_nul_bytes_mean_binary(tmp_path: Path) -> None:
    path = _file(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(BinaryFileError, match="binary"):
        read_text(path)
    assert is_binary(path)


def test_legacy_8bit_text_opens_and_saves_back_byte_for_byte(tmp_path: Path) -> None:
    raw = "# café “quoted”\r\nprint('naïve')\r\n".encode("cp1252")
    content = read_text(_file(tmp_path, raw))
    assert (content.text, content.encoding) == ("# café “quoted”\nprint('naïve')\n", "cp1252")
    assert _roundtrip(tmp_path / "legacy.py", raw) == content.text
    assert not is_binary(tmp_path / "legacy.py")
    with pytest.raises(WorkspaceError, match="cannot be saved as cp1252"):
        encode_text(content.text + "✓", content.encoding)


def test_bytes_cp1252_leaves_undefined_fall_back_to_latin1(tmp_path: Path) -> None:
    raw = b"x = '\x81\xe9'\n"
    content = read_text(_file(tmp_path, raw))
    assert content.encoding == "latin-1"
    assert encode_text(content.text, content.encoding) == raw


def test_invalid_utf8_full_of_control_bytes_is_refused_with_a_reason(tmp_path: Path) -> None:
    rng = random.Random(7)
    noise = bytes(rng.randrange(1, 256) for _ in range(4000))
    path = _file(tmp_path, noise)
    with pytest.raises(BinaryFileError, match="is not text"):
        read_text(path)
    assert is_binary(path)


def test_utf32_is_not_mistaken_for_utf16(tmp_path: Path) -> None:
    with pytest.raises(BinaryFileError):
        read_text(_file(tmp_path, "abc".encode("utf-32")))


def test_is_binary_on_text(tmp_path: Path) -> None:
    assert not is_binary(_file(tmp_path, b"x = 1\n" * 5000 + "é".encode()))
    assert not is_binary(_file(tmp_path, codecs.BOM_UTF16_LE + "hi".encode("utf-16-le")))
    assert not is_binary(_file(tmp_path, b""))


def test_multibyte_char_split_at_sniff_boundary_is_text(tmp_path: Path) -> None:
    assert not is_binary(_file(tmp_path, b"a" * 8191 + "é".encode()))


def test_too_large(tmp_path: Path) -> None:
    path = _file(tmp_path, b"x" * 1001)
    with pytest.raises(FileTooLargeError, match="over the limit of 1,000"):
        read_text(path, max_bytes=1000)
    assert read_text(path, max_bytes=None).size == 1001
    assert read_text(path, max_bytes=1001).size == 1001
    assert DEFAULT_MAX_BYTES == 2 * 1024 * 1024


def test_directory_is_a_workspace_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="directory"):
        read_text(tmp_path)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    outcome: list[BaseException] = []

    def attempt() -> None:
        try:
            read_text(fifo)
        except WorkspaceError as exc:
            outcome.append(exc)

    reader = threading.Thread(target=attempt, daemon=True)
    reader.start()
    reader.join(timeout=5)
    assert not reader.is_alive(), "read_text blocked on a FIFO"
    assert "not a regular file" in str(outcome[0])


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="does not exist"):
        read_text(tmp_path / "nope.txt")


def test_permission_denied(tmp_path: Path) -> None:
    """In a process that cannot read everything (`as_plain_user`), as a user's would."""
    path = _file(tmp_path, b"secret\n")
    path.chmod(0)
    script = (
        "import sys\nfrom aiide_tui.errors import WorkspaceError\n"
        "from aiide_tui.workspace.files import read_text\n"
        "try:\n    read_text(sys.argv[1])\nexcept WorkspaceError as error:\n    print(error)\n"
    )
    done = subprocess.run(
        as_plain_user([sys.executable, "-c", script, str(path)]),
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert "Permission denied" in done.stdout


def test_unencodable_text_is_a_workspace_error() -> None:
    with pytest.raises(WorkspaceError, match="cannot be saved"):
        encode_text("\ud800", "utf-8", "\n")
    with pytest.raises(WorkspaceError, match="Unknown encoding"):
        encode_text("x", "no-such-codec", "\n")
    with pytest.raises(WorkspaceError, match="line ending"):
        encode_text("x", "utf-8", "\n\r")


TEXT = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"))
FORMS = st.sampled_from(
    [
        (b"", "utf-8"),
        (codecs.BOM_UTF8, "utf-8"),
        (codecs.BOM_UTF16_LE, "utf-16-le"),
        (codecs.BOM_UTF16_BE, "utf-16-be"),
    ]
)


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(lines=st.lists(TEXT), ending=st.sampled_from(["\n", "\r\n", "\r"]), form=FORMS)
def test_any_text_file_roundtrips_byte_for_byte(
    tmp_path: Path, lines: list[str], ending: str, form: tuple[bytes, str]
) -> None:
    bom, codec = form
    raw = bom + ending.join(lines).encode(codec)
    _roundtrip(tmp_path / "any.txt", raw)


def _file(tmp_path: Path, raw: bytes) -> Path:
    path = tmp_path / f"f{len(os.listdir(tmp_path))}.txt"
    path.write_bytes(raw)
    return path
