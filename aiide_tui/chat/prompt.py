"""Prompt layout for prefix-cache reuse: stable parts first, volatile parts last.

The system message holds the instructions, the repo map and the pinned
files, in a fixed order, so it is byte-identical from turn to turn while
they do not change. Earlier turns follow exactly as they were sent (the
`<think>` part of an answer is never sent back). The new question comes
last, with the context that belongs to it alone (search hits, the open
file, command output), and it is sent again verbatim in later turns. So
each prompt begins with the previous prompt plus its answer, and Ollama,
llama.cpp and vLLM reuse the KV cache for everything up to the new message.
"""

from __future__ import annotations

from aiide_tui.chat.context import ContextItem, ContextPack
from aiide_tui.chat.history import message_tokens
from aiide_tui.llm.base import ChatMessage

SYSTEM_PROMPT = """\
You are a careful programming assistant working inside the user's repository.
Answer from the code you are shown; say so when you need a file you were not shown.

To change files, use SEARCH/REPLACE blocks. Put the file's path alone on the line
before the fence, copy the SEARCH lines exactly from the file (enough lines to be
unique), and keep each block small:

path/to/file.py
```python
<<<<<<< SEARCH
    return a + b
=======
    return a + b + c
>>>>>>> REPLACE
```

SEARCH holds lines the file has now, never new code. To add code, SEARCH for the
lines just before where it goes and repeat them in REPLACE, followed by the new code.
To create a new file, use an empty SEARCH section, or a fence with the path after
the language: ```python path/to/new_file.py
A unified diff (```diff with --- a/PATH and +++ b/PATH lines) is also accepted.
Never print a whole existing file. Edits are shown to the user, who accepts them.
"""

_KIND_TITLES = {
    "map": "Repository map",
    "pinned": "File",
    "mention": "File",
    "symbol": "Symbol",
    "selection": "Selection",
    "open": "Open file",
    "run": "Command output",
    "hit": "Search hit",
}


REPEATABLE_KINDS = frozenset({"mention", "symbol", "open", "hit"})
"""Kinds not sent again while an earlier turn holds the same text (a selection or command
output is sent every time: that it was chosen again is the point)."""


def render_item(item: ContextItem) -> str:
    """One context item as a titled, fenced section."""
    return f"## {_KIND_TITLES[item.kind]}: {item.label}\n{fenced(item)}"


def fenced(item: ContextItem) -> str:
    """The item's text in its fence, as it appears in a prompt whatever its title."""
    body = item.text if item.text.endswith("\n") else item.text + "\n"
    return f"````\n{body}````\n"


def system_message(pack: ContextPack, system_prompt: str = SYSTEM_PROMPT) -> ChatMessage:
    """Instructions, then the stable context (map first, then pinned files in pin order)."""
    stable = sorted(pack.stable(), key=lambda item: item.kind != "map")
    parts = [system_prompt]
    parts += [render_item(item) for item in stable]
    return ChatMessage("system", "\n".join(parts))


def user_message(pack: ContextPack, question: str) -> ChatMessage:
    """The question, after the context that is only for this turn."""
    volatile = pack.volatile()
    if not volatile:
        return ChatMessage("user", question)
    context = "".join(render_item(item) for item in volatile)
    return ChatMessage("user", f"# Context for this question\n{context}\n# Question\n{question}")


def build_messages(
    pack: ContextPack, history: list[ChatMessage], question: str
) -> tuple[ChatMessage, ...]:
    """System (stable), earlier turns as sent, then the new question with its context."""
    return (system_message(pack), *history, user_message(pack, question))


def new_tokens(pack: ContextPack, question: str) -> int:
    """Tokens of the prompt apart from the earlier turns: the system message and the question."""
    messages = (system_message(pack), user_message(pack, question))
    return sum(message_tokens(message) for message in messages)


def shared_prefix(previous: str, current: str) -> int:
    """How many leading characters two serialised prompts share (for the benchmark)."""
    limit = min(len(previous), len(current))
    at = 0
    while at < limit and previous[at] == current[at]:
        at += 1
    return at
