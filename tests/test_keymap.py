"""The action registry and key checks, cross-checked against the key names Textual uses."""

from __future__ import annotations

import string

import pytest
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.keys import Keys, _character_to_key
from textual.widgets import Static

from aiide_tui.errors import ConfigError
from aiide_tui.keymap import (
    ACTIONS_BY_ID,
    DEFAULT_ACTIONS,
    describe_conflicts,
    parse_keys,
    resolve_bindings,
)


def test_action_ids_are_unique_and_defaults_are_canonical():
    assert len(ACTIONS_BY_ID) == len(DEFAULT_ACTIONS)
    for action in DEFAULT_ACTIONS:
        assert action.id.isidentifier()
        assert action.description
        assert parse_keys(action.default_keys) == action.default_keys


def test_default_keys_do_not_conflict():
    defaults = {action.id: action.default_keys for action in DEFAULT_ACTIONS}
    assert describe_conflicts(defaults, set()) == []
    assert resolve_bindings({}) == defaults


@pytest.mark.parametrize(
    ("given", "canonical"),
    [
        ("Ctrl+S, f10", "ctrl+s,f10"),
        ("shift+ctrl+left", "ctrl+shift+left"),
        ("ctrl+S", "ctrl+s"),
        ("?", "question_mark"),
        ("ctrl+/", "ctrl+slash"),
        ("ctrl+slash", "ctrl+slash"),
        ("alt+1", "alt+1"),
        ("+", "plus"),
        ("A", "A"),
        ("PageDown", "pagedown"),
        ("f1,f1", "f1"),
        ("ctrl+@", "ctrl+@"),
        ("ctrl+space", "ctrl+space"),
    ],
)
def test_parse_keys_gives_textual_names(given, canonical):
    assert parse_keys(given) == canonical


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("", "empty key"),
        ("ctrl+s,", "empty key"),
        ("control+s", "modifiers are"),
        ("ctrl+ctrl+s", "each at most once"),
        ("ctrl+nothing", '"nothing" is not a key name'),
        ("f25", '"f25" is not a key name'),
        ("ctrl+", "not a key name"),
        ("alt+f", "arrives as ctrl\\+right"),
        ("Alt+B", "arrives as ctrl\\+left"),
    ],
)
def test_parse_keys_rejects_what_no_terminal_sends(given, reason):
    with pytest.raises(ValueError, match=reason):
        parse_keys(given)


def test_named_keys_match_textuals_key_names():
    """Every unmodified or modified non-character key Textual knows parses to itself."""
    special = {Keys.Any, Keys.ScrollUp, Keys.ScrollDown, Keys.Ignore, Keys.ControlSpace}
    for key in Keys:
        if key in special:
            continue
        assert parse_keys(key.value) == key.value, key


def test_characters_get_the_names_textual_gives_them():
    for character in string.ascii_letters + string.digits + string.punctuation:
        expected = _character_to_key(character)
        assert parse_keys(character if character != "," else "comma") == expected, character


def test_resolve_bindings_applies_overrides():
    bindings = resolve_bindings({"save": "F10", "find": "ctrl+shift+f"})
    assert bindings["save"] == "f10"
    assert bindings["find"] == "ctrl+shift+f"
    assert bindings["quit"] == "ctrl+q"
    assert set(bindings) == set(ACTIONS_BY_ID)


def test_resolve_bindings_names_every_bad_entry():
    with pytest.raises(ConfigError) as caught:
        resolve_bindings({"sav": "f10", "find": "ctrl+nothing"})
    lines = caught.value.message.splitlines()
    assert lines[0] == "keys.sav: no such action; did you mean save?"
    assert lines[1].startswith('keys.find: "ctrl+nothing"')


def test_resolve_bindings_reports_conflicts_on_the_changed_action():
    with pytest.raises(ConfigError) as caught:
        resolve_bindings({"theme": "f1"})
    assert caught.value.message == (
        "keys.theme: f1 is also bound to help; give one of them another key"
    )


def test_suggestion_keys_come_from_the_keymap():
    from aiide_tui.ui.widgets.code_view import keys_for_suggestions

    assert keys_for_suggestions({}) == {
        "tab": "all", "ctrl+right": "word", "ctrl+down": "line", "escape": "dismiss",
    }  # fmt: skip
    keys = keys_for_suggestions(resolve_bindings({"accept_suggestion": "ctrl+l,ctrl+e"}))
    assert keys["ctrl+l"] == keys["ctrl+e"] == "all"
    assert "tab" not in keys
    with pytest.raises(ConfigError, match=r"accept_suggestion_line: ctrl\+right is also bound"):
        resolve_bindings({"accept_suggestion_line": "ctrl+right"})


class KeymapApp(App[None]):
    """Bindings built the way the main screen builds them, with ids the keymap targets."""

    BINDINGS = [
        Binding(action.default_keys, f"record('{action.id}')", id=action.id)
        for action in DEFAULT_ACTIONS
        if action.id != "quit"
    ]

    def __init__(self) -> None:
        super().__init__()
        self.fired: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("keys")

    def action_record(self, name: str) -> None:
        self.fired.append(name)


async def test_resolved_bindings_drive_a_textual_keymap():
    app = KeymapApp()
    async with app.run_test() as pilot:
        app.set_keymap(resolve_bindings({"save": "f10", "refresh_review": "ctrl+e,f5"}))
        await pilot.press("f10", "ctrl+s", "ctrl+e", "f5", "f2", "alt+1")
        await pilot.pause()
    assert app.fired == [
        "save",
        "refresh_review",
        "refresh_review",
        "toggle_side_panel",
        "focus_files",
    ]
