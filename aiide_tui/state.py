"""Where per-project state lives: under the user's data directory, never in the repo.

Each project gets a folder named after it plus a hash of its resolved path, so
two checkouts called `app` never share an index or an undo journal, and the
name still tells a person which folder is which. Folders are private (0700):
they hold chat history and code excerpts.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

from aiide_tui.errors import WorkspaceError

PRIVATE_MODE = 0o700
SLUG_MAX = 32


def data_dir() -> Path:
    """The user's aiide data folder; AIIDE_DATA_DIR overrides it (tests use that)."""
    override = os.environ.get("AIIDE_DATA_DIR")
    if override:
        return Path(override).expanduser()
    import platformdirs

    return platformdirs.user_data_path("aiide")


def project_state_dir(root: Path) -> Path:
    """The project's private state folder, created (0700) if needed.

    Raises:
        WorkspaceError: the folder cannot be created, saying how to move it.
    """
    resolved = Path(root).resolve()
    digest = hashlib.sha256(os.fsencode(resolved)).hexdigest()[:12]
    folder = data_dir() / "projects" / f"{project_slug(resolved)}-{digest}"
    try:
        _make_private_dirs(folder)
    except OSError as error:
        reason = error.strerror or str(error)
        raise WorkspaceError(
            f"Cannot create the project state folder {folder}: {reason}. "
            "Set AIIDE_DATA_DIR to a writable folder."
        ) from error
    return folder


def project_slug(root: Path) -> str:
    """A file-name-safe short form of the project folder's name."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", root.name).strip("-.")[:SLUG_MAX]
    return slug or "root"


def _make_private_dirs(folder: Path) -> None:
    """Create the data folder, `projects/` and `folder`, each private."""
    for directory in (folder.parent.parent, folder.parent, folder):
        directory.mkdir(mode=PRIVATE_MODE, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        folder.chmod(PRIVATE_MODE)
