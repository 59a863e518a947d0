"""Text fields whose bound keys act in the order they were typed.

Textual lets a key the focused widget binds (an arrow, Home/End, Backspace,
ctrl+k...) bubble up to the app before its action runs, while a typed character
is inserted at once. In a burst of keys (over SSH, key repeat, a paste of
keystrokes) `Down End Enter x` then puts the new line where the cursor was before
the arrows, and `x Backspace items` in a search field deletes the `s`. Running
the bound action right in the key handler keeps the order.
"""

from __future__ import annotations

from textual import events
from textual.binding import NoBinding
from textual.widgets import Input, TextArea


class BoundKeysInOrder:
    """Mixin (before a Textual widget class): the widget's own bound keys run as they
    arrive, between typed characters. Not a Widget itself, so the widget's component
    classes and CSS stay its own."""

    async def _on_key(self, event: events.Key) -> None:
        action = self._bound_action(event.key)
        if action is None:
            return  # the widget's own handler inserts characters; the app handles the rest
        if await self.app.run_action(action, self):  # type: ignore[attr-defined]
            event.stop()
            event.prevent_default()
        # else the action stood aside (SkipAction: an Input cannot scroll down), and the key
        # goes on as it would have: to the screen's binding, say, moving through a list

    def _bound_action(self, key: str) -> str | None:
        """The action this widget binds `key` to, when enabled."""
        try:
            bindings = self._bindings.get_bindings_for_key(key)  # type: ignore[attr-defined]
        except NoBinding:
            return None
        for binding in bindings:
            name = binding.action.partition("(")[0]
            if self.check_action(name, ()) is not False:  # type: ignore[attr-defined]
                return binding.action
        return None


class OrderedTextArea(BoundKeysInOrder, TextArea):
    """`TextArea`, with its own bound keys handled in typing order."""


class OrderedInput(BoundKeysInOrder, Input):
    """`Input`, with its own bound keys handled in typing order."""
