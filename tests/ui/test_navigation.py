"""Go to definition and find references: the name at the cursor, answered by the real index."""

from __future__ import annotations

from pathlib import Path

from aiide_tui.config import load_config
from aiide_tui.ui.app import AiideApp
from aiide_tui.ui.screens.locations import (
    Location,
    LocationsScreen,
    locations_of_definitions,
    locations_of_references,
    locations_of_uses,
)
from aiide_tui.ui.widgets.editor import Editor
from tests.ui.conftest import wait_for


async def open_at(pilot, path: str, line: int, name: str):
    """Open `path` once the index is built, with the cursor inside `name` on `line`."""
    screen = pilot.app.screen
    await wait_for(pilot, lambda: "files ·" in screen.status.segment_text("index"), timeout=30)
    screen.open_file(path)
    editor = screen.query_one(Editor)
    await wait_for(pilot, lambda: editor.is_open(path) and pilot.app.focused is editor.active)
    view = editor.active
    column = view.document.get_line(line - 1).index(name) + 2
    view.move_cursor((line - 1, column))
    assert view.word_at_cursor() == name
    return editor


def make_app(project: Path) -> AiideApp:
    config = load_config(project, overrides={"index": {"vectors": False}})
    return AiideApp(project, config, remember_theme=False, probe_environment=False)


async def test_f12_opens_the_definition_in_another_file(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        editor = await open_at(pilot, "inventory/store.py", 35, "price_for")
        await pilot.press("f12")
        await wait_for(pilot, lambda: editor.active.path == "inventory/models.py")
        await wait_for(pilot, lambda: editor.active.cursor_location[0] == 12)
        assert "def price_for" in editor.active.document.get_line(12)
        assert editor.active.word_at_cursor() == "price_for"  # on the name: shift+F12 works


async def test_references_are_listed_and_one_opens(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        editor = await open_at(pilot, "inventory/store.py", 37, "_move")
        await pilot.press("shift+f12")
        await wait_for(pilot, lambda: isinstance(app.screen, LocationsScreen))
        assert [(item.path, item.line) for item in app.screen.locations] == [
            ("inventory/store.py", 24),
            ("inventory/store.py", 29),
        ]
        await pilot.press("down", "enter")
        await wait_for(pilot, lambda: not isinstance(app.screen, LocationsScreen))
        await wait_for(pilot, lambda: editor.active.cursor_location[0] == 28)


async def test_references_include_imports_and_type_hints_the_graph_does_not_record(
    project: Path,
):
    """`Movement` is never called by name (`Movement.now(...)` calls `now`): its uses are its
    imports, a type hint and that receiver; the definition line itself is left out."""
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_at(pilot, "inventory/models.py", 19, "Movement")
        await pilot.press("shift+f12")
        await wait_for(pilot, lambda: isinstance(app.screen, LocationsScreen))
        found = {(item.path, item.line) for item in app.screen.locations}
        assert found == {
            ("inventory/__init__.py", 3), ("inventory/__init__.py", 6),
            ("inventory/models.py", 26), ("inventory/store.py", 5),
            ("inventory/store.py", 18), ("inventory/store.py", 41),
        }  # fmt: skip


async def test_uses_of_a_name_the_index_does_not_define_stay_in_the_file(project: Path):
    """`sku` is a parameter here (and in other files, unrelated): its uses are this file's."""
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_at(pilot, "inventory/store.py", 26, "sku")
        await pilot.press("shift+f12")
        await wait_for(pilot, lambda: isinstance(app.screen, LocationsScreen))
        paths = {item.path for item in app.screen.locations}
        assert paths == {"inventory/store.py"} and len(app.screen.locations) > 5


async def test_no_name_at_the_cursor_says_so(project: Path):
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        editor = await open_at(pilot, "inventory/store.py", 35, "price_for")
        editor.active.move_cursor((1, 0))  # a blank line
        await pilot.press("f12")
        said = lambda: any("cursor on a name" in str(n.message) for n in app._notifications)  # noqa: E731
        await wait_for(pilot, said)


def test_definitions_in_the_current_file_come_first():
    symbols = [
        {"path": "a.py", "start_line": 3, "symbol": "a.run", "signature": "def run():",
         "name": "run"},
        {"path": "b.py", "start_line": 9, "symbol": "b.run", "signature": None, "name": "run"},
    ]  # fmt: skip
    assert [item.path for item in locations_of_definitions(symbols, "b.py")] == ["b.py", "a.py"]
    assert locations_of_definitions(symbols, "c.py")[0] == Location(
        "a.py", 3, "a.run", "def run():", word="run"
    )


def test_references_become_one_location_per_line():
    refs = [
        {"path": "s.py", "lines": [4, 9, 9], "enclosing": "s.main"},  # two calls on line 9
        {"path": "t.py", "lines": [1], "enclosing": None},
    ]
    assert locations_of_references(refs, "run") == [
        Location("s.py", 4, "s.main", word="run"),  # opened with the cursor on the name
        Location("s.py", 9, "s.main", word="run"),
        Location("t.py", 1, "", word="run"),
    ]


def test_uses_add_whole_word_lines_in_the_same_case_after_the_references():
    refs = [{"path": "s.py", "lines": [4], "enclosing": "s.main"}]
    match = {"path": "t.py", "line": 2, "column": 7, "length": 3, "text_column": 7}
    matches = [
        {**match, "text": "import Run"},  # a use
        {**match, "path": "s.py", "line": 4, "text": "x = Run()"},  # a reference already
        {**match, "line": 5, "text": "import run"},  # smart case: another case
        {**match, "line": 9, "text": "class Run:"},  # the definition
    ]
    definitions = [{"path": "t.py", "start_line": 9}]
    assert locations_of_uses(refs, matches, definitions, "Run") == [
        Location("s.py", 4, "s.main", word="Run"),
        Location("t.py", 2, "", "import Run", 7, 3),
    ]
    # a file with a `Run` of its own: its text matches are that one's uses
    namesake = [{"path": "t.py", "start_line": 9}]
    assert locations_of_uses(refs, matches, [], "Run", namesakes_elsewhere=namesake) == [
        Location("s.py", 4, "s.main", word="Run")
    ]


async def test_a_place_found_on_disk_is_followed_into_a_tab_with_unsaved_edits(project: Path):
    """The index and text search read the file on disk; lines typed above a hit in the
    tab must not send the cursor to the wrong line."""
    path = "web/format.js"
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        screen = pilot.app.screen
        await wait_for(pilot, lambda: screen.client is not None)
        screen.open_file(path)
        editor = screen.query_one(Editor)
        await wait_for(pilot, lambda: editor.is_open(path) and pilot.app.focused is editor.active)
        await pilot.press(*"// one", "enter", *"// two", "enter")
        on_disk = (project / path).read_text().splitlines()
        line = next(n for n, text in enumerate(on_disk, 1) if "function describeLevel" in text)
        column = on_disk[line - 1].index("describeLevel")
        screen.open_file(path, line=line, column=column, length=len("describeLevel"))
        await wait_for(pilot, lambda: editor.active.selected_text == "describeLevel")
        assert editor.active.cursor_location[0] == line + 1  # two lines down, as typed
        # A hit on a line edited since: its line, nothing selected from stale columns.
        editor.active.move_cursor((line + 1, 0))
        await pilot.press(*"async ")
        screen.open_file(path, line=line, column=column, length=len("describeLevel"))
        await wait_for(pilot, lambda: editor.active.cursor_location == (line + 1, 0))
        assert editor.active.selected_text == ""


def write_two_quotes(project: Path) -> None:
    """Two modules that each define `quote`; the first calls its own on line 6."""
    (project / "shellish.py").write_text(
        "def quote(s):\n    return repr(s)\n\n\ndef join(parts):\n"
        "    return ' '.join(quote(p) for p in parts)\n"
    )
    (project / "webish.py").write_text("def quote(s):\n    return s.replace(' ', '%20')\n")


async def test_f12_on_a_plain_name_defined_in_the_file_jumps_there_without_a_list(
    project: Path,
):
    write_two_quotes(project)
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        editor = await open_at(pilot, "shellish.py", 6, "quote")
        await pilot.press("f12")
        await wait_for(pilot, lambda: editor.active.cursor_location[0] == 0)
        assert not isinstance(pilot.app.screen, LocationsScreen)
        assert editor.active.word_at_cursor() == "quote"


async def test_uses_of_a_name_the_file_defines_are_that_definitions_not_its_namesakes(
    project: Path,
):
    write_two_quotes(project)
    (project / "uses_shell.py").write_text("from shellish import quote\n\nquote('a b')\n")
    (project / "uses_web.py").write_text("import webish\n\nwebish.quote('a b')\n")
    (project / "own.py").write_text(  # imports shellish, calls its own quote
        "import shellish\n\n\ndef quote(s):\n    return s\n\n\nquote(shellish.join([]))\n"
    )
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        await open_at(pilot, "shellish.py", 1, "quote")  # on the definition itself
        await pilot.press("shift+f12")
        await wait_for(pilot, lambda: isinstance(pilot.app.screen, LocationsScreen))
        places = {(place.path, place.line) for place in pilot.app.screen.locations}
        assert ("shellish.py", 6) in places and ("uses_shell.py", 3) in places
        assert not any(path.startswith(("uses_web", "webish", "own")) for path, _ in places)


async def test_f12_on_an_imported_name_jumps_to_the_module_it_comes_from(project: Path):
    write_two_quotes(project)
    (project / "caller.py").write_text("from webish import quote\n\nquote('a b')\n")
    app = make_app(project)
    async with app.run_test(size=(160, 48)) as pilot:
        editor = await open_at(pilot, "caller.py", 3, "quote")
        await pilot.press("f12")
        await wait_for(pilot, lambda: editor.active.path == "webish.py")
        assert not isinstance(pilot.app.screen, LocationsScreen)
