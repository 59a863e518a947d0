"""Control codes in files, file names and run output never reach the terminal."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from aiide_tui.ui.terminal_output import guard_terminal_output, visible
from aiide_tui.ui.widgets.file_tree import FileTree
from tests.ui.conftest import wait_for
from tests.ui.test_app import editor, make_app, open_file, ready

RETITLE = "\x1b]2;INJECTED\x07"
CLIPBOARD = "\x1b]52;c;ZXZpbA==\x1b\\"


def test_a_strip_drops_control_characters_and_keeps_its_own_styles():
    guard_terminal_output()
    strip = Strip([Segment(f"a{RETITLE}b\r", Style(bold=True)), Segment(f"c{CLIPBOARD}")])
    out = strip.render(Console(color_system="truecolor"))
    assert "\x1b]" not in out and "\x07" not in out and "\r" not in out
    assert "\x1b[1m" in out  # the style's own sequence is kept
    assert out.replace("\x1b[1m", "").replace("\x1b[0m", "") == "a]2;INJECTEDbc]52;c;ZXZpbA==\\"
    assert strip.cell_length == len("a]2;INJECTEDbc]52;c;ZXZpbA==\\")  # the layout still holds


def test_visible_pictures_control_characters():
    assert visible(f"x{RETITLE}y") == "x␛]2;INJECTED␇y"
    assert visible("tab\tstays") == "tab\tstays"
    assert visible("csi\x9b31m") == "csi�31m"
    assert visible("para\u2029graph") == "para␤graph"  # a line separator would split the row


async def test_the_screen_holds_no_control_codes_from_files_or_their_names(project: Path):
    (project / "evil.py").write_text(f'print("hi")  # {RETITLE} end {CLIPBOARD}\n')
    (project / f"name{RETITLE}.txt").write_text("x\n")
    (project / "[b]bold.txt").write_text("x\n")  # markup in a name: shown as it is
    async with make_app(project).run_test(size=(160, 48)) as pilot:
        await ready(pilot)
        tree = pilot.app.screen.query_one(FileTree)
        await wait_for(pilot, lambda: "[b]bold.txt" in tree.paths)
        await open_file(pilot, "evil.py")
        await wait_for(pilot, lambda: "end" in editor(pilot).active.text)
        await pilot.pause(0.2)
        update = pilot.app.screen._compositor.render_update(full=True)
        output = update.render_segments(pilot.app.console)
        assert "INJECTED" in output  # the text is there...
        assert "\x1b]2;" not in output and "\x1b]52" not in output and "\x07" not in output
        rows = [tree.render_line(y).text for y in range(tree.size.height)]
        assert any("[b]bold.txt" in row for row in rows)
        assert any("name␛]2;INJECTED␇.txt" in row for row in rows)  # ...as pictures


def test_run_output_keeps_colour_and_drops_other_escapes_even_split_between_chunks():
    from aiide_tui.ui.terminal_output import TerminalFilter

    stream = (
        b"ok \x1b[31mred\x1b[0m \x1b]2;TITLE\x07 mid \x1b]52;c;Zm9v\x1b\\ end"
        b"\x1b[2K\x1b[1A\rbar\x07\n"
    )
    whole = TerminalFilter().feed(stream)
    assert whole == b"ok \x1b[31mred\x1b[0m  mid  end\rbar\n"
    for size in (1, 2, 3, 7):  # however the stream is cut, the same bytes come out
        chunked = TerminalFilter()
        parts = [stream[i : i + size] for i in range(0, len(stream), size)]
        assert b"".join(chunked.feed(part) for part in parts) == whole
    text = "tabs\tand ünïcödé stay\n".encode()
    assert TerminalFilter().feed(text) == text
