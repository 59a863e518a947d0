"""The Textual application: themes, keymap, palette and help around the main screen."""

from __future__ import annotations

import gc
from collections.abc import Iterable
from pathlib import Path

from textual.app import App, SystemCommand
from textual.notifications import Notify, SeverityLevel
from textual.screen import Screen

from aiide_tui.config import Config, save_user_setting
from aiide_tui.errors import AiideError
from aiide_tui.keymap import DEFAULT_ACTIONS, resolve_bindings
from aiide_tui.ui.screens.main import MainScreen
from aiide_tui.ui.terminal_keys import read_alt_digits_as_alt_keys
from aiide_tui.ui.terminal_output import guard_terminal_output
from aiide_tui.ui.widgets.wrap_fast import lay_out_without_wrapping_fast

MAX_NOTICES = 5
"""Notifications on screen at once; a newer one retires the oldest."""


class AiideApp(App[None]):
    """`aiide [PATH]`: one project, one screen, every action reachable by keyboard."""

    TITLE = "aiide"
    ENABLE_COMMAND_PALETTE = True
    CSS = """
    /* Notices sit above the status bar and the key bar, not over them (the end of a long
       one landed on a panel's border, where it read as a stray fragment). */
    ToastRack { margin-bottom: 2; }
    """

    def __init__(
        self,
        root: Path,
        config: Config,
        *,
        remember_theme: bool = True,
        probe_environment: bool = True,
    ) -> None:
        read_alt_digits_as_alt_keys()
        guard_terminal_output()
        lay_out_without_wrapping_fast()
        super().__init__()
        self.root = root.resolve()
        self.config = config
        self.remember_theme = remember_theme
        self.probe_environment = probe_environment
        self.keys = resolve_bindings(config.keys)

    def on_mount(self) -> None:
        from aiide_tui.themes import load_themes

        for theme in load_themes():
            self.register_theme(theme)
        self.theme = (
            self.config.ui.theme
            if self.config.ui.theme in self.available_themes
            else ("aiide-dark")
        )
        self.set_keymap(self.keys)
        self._theme_in_config = self.theme
        self.theme_changed_signal.subscribe(self, self._remember_theme)
        for warning in self.config.warnings:
            self.notify(warning, title="Configuration", severity="warning", timeout=8)
        self.push_screen(
            MainScreen(self.root, self.config, probe_environment=self.probe_environment)
        )
        self.call_after_refresh(self._freeze_startup_objects)

    async def action_quit(self) -> None:
        """Quit, unless the main screen has unsaved edits to ask about first."""
        main = next((s for s in self.screen_stack if isinstance(s, MainScreen)), None)
        if main is None:
            self.exit()
        else:
            main.action_quit()

    def _freeze_startup_objects(self) -> None:
        """Move what start-up made out of the collector's way, so full collections stay
        short and never land in a frame while a suggestion streams."""
        gc.collect()
        gc.freeze()

    def _remember_theme(self, theme) -> None:
        """Write a theme the user chose to their config; never the one the app started with
        (that wrote the file at every start, and made `--theme` permanent)."""
        if not self.remember_theme or theme.name == self._theme_in_config:
            return
        self._theme_in_config = theme.name
        try:
            save_user_setting("ui", "theme", theme.name)
        except AiideError as error:
            self.notify(error.message, title="Theme not remembered", severity="warning")

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        main = isinstance(screen, MainScreen)
        for command in super().get_system_commands(screen):
            if not (main and command.title == "Theme"):  # ours says "Choose theme" and its key
                yield command
        if not main:
            return
        for action in DEFAULT_ACTIONS:
            if action.id in ("command_palette", "quit") or not action.palette:
                continue  # Textual's own list has the palette's Quit
            keys = self.keys.get(action.id, action.default_keys).replace(",", ", ")
            yield SystemCommand(
                action.description,
                f"key: {keys}",
                lambda name=action.id: self.call_later(screen.run_action, name),
            )

    def action_show_keys_help(self) -> None:
        from aiide_tui.ui.screens.help import HelpScreen

        rows = [(a, self.keys.get(a.id, a.default_keys)) for a in DEFAULT_ACTIONS]
        self.push_screen(HelpScreen(rows))

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Notifications carry paths, commands and model text: never read as markup (`[/x]` in a
        file name crashed the app). Widgets' `notify` passes `markup=True`; it is ignored."""
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=False)

    def forget_notices(self, *fragments: str) -> None:
        """Take down the notices holding any of `fragments`: what they said no longer holds
        (a file "opened as cp1252" that was just saved as UTF-8)."""
        stale = [n for n in self._notifications if any(f in n.message for f in fragments)]
        for notice in stale:
            self._unnotify(notice, refresh=False)
        if stale:
            self._refresh_notifications()

    def _on_notify(self, event: Notify) -> None:
        """Before Textual shows it: a notice already on screen is retired, not stacked again
        (ctrl+s pressed three times on a read-only file), and at most `MAX_NOTICES` show (a
        burst would otherwise cover the editor)."""
        new = event.notification
        shown = list(self._notifications)
        repeats = [
            n
            for n in shown
            if (n.message, n.title, n.severity) == (new.message, new.title, new.severity)
        ]
        others = [n for n in shown if n not in repeats]
        for old in [*repeats, *others[: max(0, len(others) - MAX_NOTICES + 1)]]:
            self._unnotify(old, refresh=False)

    def action_copy_selection(self) -> None:
        """Copy the focused selection through OSC 52, which works over SSH and in tmux."""
        text = getattr(self.focused, "selected_text", "") or ""
        if not text:
            self.notify("Nothing selected to copy.", timeout=2)
            return
        self.copy_to_clipboard(text)
        self.notify(f"Copied {len(text)} characters", timeout=2)
