"""Files: path policy, atomic writes, text decoding, undo journal, git and watching.

A domain package: it never imports the UI or the services layer.
"""

from aiide_tui.workspace.atomic import TEMP_PREFIX, atomic_write, is_temp_name
from aiide_tui.workspace.files import (
    DEFAULT_MAX_BYTES,
    FileContent,
    decode_bytes,
    encode_text,
    is_binary,
    read_text,
)
from aiide_tui.workspace.git import GitError, GitRepo
from aiide_tui.workspace.journal import JournalEntry, UndoJournal
from aiide_tui.workspace.paths import NAME_MAX, PATH_MAX, PathPolicy
from aiide_tui.workspace.watcher import always_ignored, watch_changes
from aiide_tui.workspace.workspace import Workspace

__all__ = [
    "DEFAULT_MAX_BYTES",
    "NAME_MAX",
    "PATH_MAX",
    "TEMP_PREFIX",
    "FileContent",
    "GitError",
    "GitRepo",
    "JournalEntry",
    "PathPolicy",
    "UndoJournal",
    "Workspace",
    "always_ignored",
    "atomic_write",
    "decode_bytes",
    "encode_text",
    "is_binary",
    "is_temp_name",
    "read_text",
    "watch_changes",
]
