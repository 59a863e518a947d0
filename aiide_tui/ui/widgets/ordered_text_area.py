"""A TextArea whose bound keys act in the order they were typed.

Textual lets a key the focused widget binds (an arrow, Home/End, ctrl+k...) bubble
up to the app before its action runs, while a typed character is inserted at once.
In a burst of keys (over SSH, key repeat, a paste of keystrokes) `Down End Enter x`
then puts the new line where the cursor was before the arrows. Running the bound
action right in the key handler keeps the order.
"""

from __future__ import annotations

from textual import events
from textual.binding import NoBinding
from textual.widgets import TextArea


class OrderedTextArea(TextArea):
    """`TextArea`, with its own bound keys handled in typing order."""

    async def _on_key(self, event: events.Key) -> None:
        action = self._bound_action(event.key)
        if action is None:
            return  # TextArea's handler inserts characters; the app handles the rest
        event.stop()
        event.prevent_default()
        await self.run_action(action)

    def _bound_action(self, key: str) -> str | None:
        """The action this widget binds `key` to, when enabled."""
        try:
            bindings = self._bindings.get_bindings_for_key(key)
        except NoBinding:
            return None
        for binding in bindings:
            if self.check_action(binding.action.partition("(")[0], ()) is not False:
                return binding.action
        return None
