"""Every action the user can bind, and the checks on the keys they bind it to.

The registry is plain data, so config validation and `aiide doctor` can use it
without importing Textual; the UI turns it into `Binding`s with ids, and the
user's `[keys]` table into an `App.set_keymap` keymap.

Keys are chosen for what terminals actually send over SSH and through tmux:
control keys and F-keys. The `alt+` keys arrive as ESC and the key, which
every terminal sends once Option/Alt is set to act as Meta (macOS Terminal
and iTerm2 need that setting); `ui/terminal_keys.py` makes Textual read ESC
and a digit as alt+digit too. All of them are also in the command palette.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass

from aiide_tui.errors import ConfigError


@dataclass(frozen=True)
class Action:
    """An action the screen implements as `action_<id>`, with its default keys."""

    id: str
    description: str
    default_keys: str
    show: bool = False
    widget: str = ""
    """When set, the key works only while that widget has focus (it binds it, by the
    same id); the screen does not bind it, but help lists it."""
    palette: bool = True
    """Whether the command palette offers it (not keys that act on what focus would lose)."""


DEFAULT_ACTIONS: tuple[Action, ...] = (
    Action("quit", "Quit", "ctrl+q", show=True),
    Action("save", "Save file", "ctrl+s", show=True),
    Action("goto_file", "Go to file (fuzzy search by path)", "alt+p"),
    Action("new_file", "New file", "ctrl+n"),
    Action("delete_file", "Delete file (tree cursor, else open tab)", "delete", widget="files"),
    Action("rename_file", "Rename/move file (tree cursor, else open tab)", "m", widget="files"),
    Action("close_tab", "Close tab", "ctrl+w"),
    Action("next_tab", "Next tab", "ctrl+pagedown"),
    Action("previous_tab", "Previous tab", "ctrl+pageup"),
    Action("goto_line", "Go to line", "ctrl+g"),
    Action("find", "Find in file", "ctrl+f"),
    Action("replace", "Find and replace in file", "ctrl+r"),
    Action("undo", "Undo", "ctrl+z"),
    Action("redo", "Redo", "ctrl+y"),
    Action("undo_file_change", "Undo the last file change (save, delete, move...)", "alt+z"),
    Action("copy", "Copy selection", "ctrl+c"),
    Action("command_palette", "Command palette", "ctrl+p"),
    Action("help", "Help: keys", "f1", show=True),
    Action("toggle_side_panel", "Switch side panel", "f2", show=True),
    Action("refresh_review", "Refresh review", "f5"),
    Action("cycle_region", "Next region", "f6", show=True),
    Action("theme", "Choose theme", "f9"),
    Action("search", "Search code", "ctrl+t"),
    Action("find_in_files", "Find in files (text, or /regex/)", "alt+g"),
    Action("goto_definition", "Go to definition (of the name at the cursor)", "f12"),
    Action("find_references", "Find references (of the name at the cursor)", "shift+f12"),
    Action("toggle_completion", "Toggle code suggestions", "f4"),
    Action("run_command", "Run a command in the sandbox", "f8"),
    Action("run_log", "Sandbox run log", "f7"),
    Action("focus_files", "Focus files", "alt+1"),
    Action("focus_editor", "Focus editor", "alt+2"),
    Action("focus_chat", "Focus chat", "alt+3"),
    Action("focus_review", "Focus review", "alt+4"),
    Action("conversations", "Conversations: resume, search, export", "ctrl+o"),
    Action(
        "toggle_comment",
        "Comment/uncomment lines (editor)",
        "ctrl+underscore,ctrl+slash",
        widget="editor",
    ),
    Action("edit_hunk", "Edit the proposed hunk (review pane)", "e", widget="review"),
    Action("accept_suggestion", "Accept the suggestion", "tab", widget="editor", palette=False),
    Action(
        "accept_suggestion_word",
        "Accept the suggestion's next word",
        "ctrl+right",
        widget="editor",
        palette=False,
    ),
    Action(
        "accept_suggestion_line",
        "Accept the suggestion's next line",
        "ctrl+down",
        widget="editor",
        palette=False,
    ),
    Action("dismiss_suggestion", "Dismiss suggestion", "escape", widget="editor", palette=False),
)

ACTIONS_BY_ID: Mapping[str, Action] = {action.id: action for action in DEFAULT_ACTIONS}

MODIFIERS = frozenset({"alt", "ctrl", "hyper", "meta", "shift", "super"})
"""Textual sorts modifiers alphabetically in key names, so bindings must too."""

NAMED_KEYS = frozenset(
    {
        "escape", "enter", "return", "tab", "space", "backspace", "insert", "delete",
        "home", "end", "pageup", "pagedown", "up", "down", "left", "right",
        *(f"f{number}" for number in range(1, 25)),
    }
)  # fmt: skip
"""Keys that are not characters, by the names Textual gives them."""

WORD_MOTION_KEYS = {"alt+b": "ctrl+left", "alt+f": "ctrl+right"}
"""Alt keys that never arrive: Textual reads ESC b and ESC f (macOS word motions) as these."""

_SHORT_CHARACTER_NAMES = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}
"""Textual's friendlier names for some characters (`textual.keys.KEY_NAME_REPLACEMENTS`)."""
_LONG_CHARACTER_NAMES = {short: long for long, short in _SHORT_CHARACTER_NAMES.items()}


def parse_keys(text: str) -> str:
    """Check a comma-separated key list and return it as Textual names its keys.

    `"Ctrl+S, f10"` becomes `"ctrl+s,f10"`, `"?"` becomes `"question_mark"`.

    Raises:
        ValueError: with a reason meant for the user, when a key is not one
            Textual can receive.
    """
    if not isinstance(text, str):
        raise ValueError(f'expected a key such as "ctrl+s", got {text!r}')
    keys = [_parse_key(part.strip()) for part in text.split(",")]
    return ",".join(dict.fromkeys(keys))


def _parse_key(key: str) -> str:
    if not key:
        raise ValueError('expected a key such as "ctrl+s" (an empty key in the list)')
    if key == "+":
        return "plus"
    *modifiers, base = key.split("+") if len(key) > 1 else [key]
    modifiers = [modifier.lower() for modifier in modifiers]
    unknown = [modifier for modifier in modifiers if modifier not in MODIFIERS]
    if unknown or len(set(modifiers)) != len(modifiers):
        raise ValueError(
            f'"{key}": modifiers are {", ".join(sorted(MODIFIERS))}, each at most once'
        )
    if modifiers == ["ctrl"] and base == "@":
        return "ctrl+@"  # what legacy terminals send for ctrl+space; Textual keeps the "@"
    if modifiers or len(base) > 1:
        base = base.lower()
    name = _key_name(base)
    if name is None:
        raise ValueError(f'"{key}": "{base}" is not a key name (e.g. a, f5, pagedown, slash)')
    combined = "+".join([*sorted(modifiers), name])
    if combined in WORD_MOTION_KEYS:
        raise ValueError(
            f'"{key}": terminals send it as ESC {name}, which arrives as'
            f" {WORD_MOTION_KEYS[combined]} (a word motion); choose another key"
        )
    return combined


def _key_name(base: str) -> str | None:
    """Textual's name for a key, or None when no key has that name."""
    if base in NAMED_KEYS:
        return base
    if len(base) == 1:
        return _character_name(base) if base.isprintable() and not base.isspace() else None
    unicode_name = _LONG_CHARACTER_NAMES.get(base, base).replace("_", " ").upper()
    try:
        character = unicodedata.lookup(unicode_name)
    except KeyError:
        return None
    return _character_name(character) if len(character) == 1 else None


def _character_name(character: str) -> str:
    """The key name Textual gives a typed character (`textual.keys._character_to_key`)."""
    if character.isalnum():
        return character
    name = unicodedata.name(character, character).lower().replace("-", "_").replace(" ", "_")
    return _SHORT_CHARACTER_NAMES.get(name, name)


def resolve_bindings(overrides: Mapping[str, str]) -> dict[str, str]:
    """The keys of every action: the defaults with `overrides` (action id -> keys) applied.

    Raises:
        ConfigError: naming the `[keys]` entry that is unknown or malformed, or
            the one that gives an action a key another action already has.
    """
    bindings = {action.id: action.default_keys for action in DEFAULT_ACTIONS}
    problems = []
    for action_id, keys in overrides.items():
        if action_id not in ACTIONS_BY_ID:
            problems.append(f"keys.{action_id}: no such action{suggest_action(action_id)}")
            continue
        try:
            bindings[action_id] = parse_keys(keys)
        except ValueError as error:
            problems.append(f"keys.{action_id}: {error}")
    if not problems:
        problems = [
            f"keys.{blame}: {message}"
            for blame, message in describe_conflicts(bindings, set(overrides))
        ]
    if problems:
        raise ConfigError("\n".join(problems))
    return bindings


def describe_conflicts(bindings: Mapping[str, str], changed: set[str]) -> list[tuple[str, str]]:
    """(action to blame, message) for each key that two actions share.

    The blame goes to an action in `changed` (the user's overrides) when there
    is one, since that is the line the user has to edit.
    """
    owner: dict[str, str] = {}
    conflicts = []
    for action_id, keys in bindings.items():
        for key in keys.split(","):
            first = owner.setdefault(key, action_id)
            if first == action_id:
                continue
            blame, other = (
                (first, action_id)
                if first in changed and action_id not in changed
                else (
                    action_id,
                    first,
                )
            )
            conflicts.append(
                (blame, f"{key} is also bound to {other}; give one of them another key")
            )
    return conflicts


def suggest_action(name: str) -> str:
    """`"; did you mean save?"` when `name` looks like a misspelt action id."""
    from difflib import get_close_matches

    matches = get_close_matches(name, list(ACTIONS_BY_ID), n=1)
    return f"; did you mean {matches[0]}?" if matches else ""
