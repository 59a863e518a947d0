"""The conversation as the model reads it: whole turns, sent again byte for byte.

Each turn keeps its user message exactly as sent (with that turn's context)
and the answer without its reasoning, so the next prompt starts with the
previous one plus its answer and the server's prefix (KV) cache covers it.
When the window runs short, whole oldest turns go in one step, down to half
of the room, so the prefix then holds again for several turns instead of
breaking on every question. The latest turn stays whenever it fits: it is
what a follow-up question ("and now the tests?") refers to.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from aiide_tui.llm.base import ChatMessage, estimate_tokens

MESSAGE_TOKENS = 4
"""Tokens the chat template adds around each message (role markers), roughly."""
LOW_WATER = 0.5
"""A trim keeps turns filling at most this share of the room it was given."""


def message_tokens(message: ChatMessage) -> int:
    return estimate_tokens(message.content) + MESSAGE_TOKENS


@dataclass(frozen=True)
class Turn:
    """One exchange: the user message as sent (context included) and the answer as sent back."""

    user: ChatMessage
    answer: ChatMessage

    @property
    def tokens(self) -> int:
        return message_tokens(self.user) + message_tokens(self.answer)


class History:
    """The turns still sent with each question, and how many older ones were trimmed."""

    def __init__(self, turns: Iterable[Turn] = ()) -> None:
        self.turns = list(turns)
        self.dropped = 0
        """Turns of this conversation no longer sent (trimmed to fit the window)."""

    @classmethod
    def from_messages(cls, messages: Iterable[ChatMessage]) -> History:
        """Pair user messages with the answers that follow them (an unanswered one is skipped)."""
        turns, asked = [], None
        for message in messages:
            if message.role == "user":
                asked = message
            elif message.role == "assistant" and asked is not None:
                turns.append(Turn(asked, message))
                asked = None
        return cls(turns)

    def messages(self) -> list[ChatMessage]:
        return [message for turn in self.turns for message in (turn.user, turn.answer)]

    @property
    def tokens(self) -> int:
        return sum(turn.tokens for turn in self.turns)

    def add(self, user: ChatMessage, answer: ChatMessage) -> None:
        self.turns.append(Turn(user, answer))

    def holds(self, text: str) -> bool:
        """Whether `text` was sent verbatim in a user message still in the history."""
        return any(text in turn.user.content for turn in self.turns)

    def trim(self, room: int) -> int:
        """Make the turns fit `room` tokens, dropping whole oldest turns down to LOW_WATER of it
        (the latest turn is kept if it fits `room` alone).

        Returns how many turns were dropped (0 when they already fit).
        """
        if self.tokens <= room:
            return 0
        start, size = len(self.turns), 0
        if self.turns and self.turns[-1].tokens <= room:
            start, size = start - 1, self.turns[-1].tokens
        while start > 0 and size + self.turns[start - 1].tokens <= room * LOW_WATER:
            start -= 1
            size += self.turns[start].tokens
        del self.turns[:start]
        self.dropped += start
        return start
