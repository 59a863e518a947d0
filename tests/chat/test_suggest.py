"""The chat prompt's ghost text: one suggestion extending what was typed, as Tab would."""

from __future__ import annotations

import pytest

from aiide_tui.chat.suggest import suggest

FILES = ["src/app.py", "src/api/routes.py", "README.md", "tests/test_app.py"]


@pytest.mark.parametrize(
    ("typed", "suggested"),
    [
        ("/un", "/undo"),
        ("/e", "/export"),
        ("/undo", None),  # all typed
        ("/", None),  # every command fits: nothing to add
        ("/zz", None),
        ("why @R", "why @README.md"),
        ("why @src/app", "why @src/app.py"),
        ("why @sr", "why @src/ap"),  # the start the fitting paths share, then a letter more
        ("see @src/app.py and @t", "see @src/app.py and @tests/test_app.py"),
        ("see @src/app.py", None),
        ("mail me@", None),
        ("x @zz", None),
        ("/add src/api/r", "/add src/api/routes.py"),  # /add takes paths without the @
        ("/add ", None),
        ("a src/api/r", None),  # a plain word is not a path
    ],
)
def test_suggestions(typed: str, suggested: str | None) -> None:
    assert suggest(typed, FILES) == suggested
