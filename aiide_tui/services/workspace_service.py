"""The workspace service: files and git, served over the bus.

Blocking file and git work runs in threads so one slow `git diff` never stalls
the bus; every path goes through the workspace's path policy.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import asdict
from typing import Any

from aiide_tui.bus import NamedParams, RequestContext, Router
from aiide_tui.workspace import Workspace, watch_changes
from aiide_tui.workspace.text_search import DEFAULT_LIMIT


class WorkspaceService:
    """Expose a `Workspace` as `workspace/*` and `git/*` bus methods."""

    def __init__(self, workspace: Workspace, *, max_file_bytes: int) -> None:
        self.workspace = workspace
        self.max_file_bytes = max_file_bytes

    def register(self, router: Router) -> None:
        methods = {
            "workspace/info": self.info,
            "workspace/list": self.list_files,
            "workspace/read": self.read,
            "workspace/write": self.write,
            "workspace/delete": self.delete,
            "workspace/rename": self.rename,
            "workspace/undo": self.undo,
            "workspace/last_change": self.last_change,
            "workspace/watch": self.watch,
            "workspace/find_text": self.find_text,
            "git/status": self.git_status,
            "git/diff": self.git_diff,
        }
        for name, handler in methods.items():
            router.method(name, endless=name == "workspace/watch")(handler)

    async def info(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        git = self.workspace.git
        branch = await asyncio.to_thread(git.branch) if git else None
        return {
            "root": str(self.workspace.root),
            "name": self.workspace.root.name,
            "is_git": git is not None,
            "branch": branch,
        }

    async def list_files(self, params: NamedParams, ctx: RequestContext) -> list[str]:
        return await asyncio.to_thread(self.workspace.list_files)

    async def find_text(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """Lines holding the text (or `/regex/`); a cancelled request stops the scan."""
        stop = threading.Event()
        try:
            result = await asyncio.to_thread(
                self.workspace.find_text,
                params.text("query"),
                limit=params.whole("limit", DEFAULT_LIMIT, minimum=1),
                cancel=stop,
                paths=params.texts("paths", None),
            )
        except asyncio.CancelledError:
            stop.set()
            raise
        return asdict(result)

    async def read(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        path = params.text("path")
        max_bytes = None if params.flag("force") else self.max_file_bytes
        content = await asyncio.to_thread(self.workspace.read, path, max_bytes=max_bytes)
        return {"path": path, **asdict(content)}

    async def write(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        mtime_ns = await asyncio.to_thread(
            self.workspace.write,
            params.text("path"),
            params.text("text"),
            encoding=params.text("encoding", "utf-8"),
            newline=params.text("newline", "\n"),
            expected_mtime_ns=params.whole("expected_mtime_ns", None),
            confirmed=params.flag("confirmed"),
            create=params.flag("create"),
            label=params.text("label", "edit"),
        )
        return {"path": params["path"], "mtime_ns": mtime_ns}

    async def delete(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        await asyncio.to_thread(
            self.workspace.delete, params.text("path"), confirmed=params.flag("confirmed")
        )
        return {"path": params["path"]}

    async def rename(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        mtime_ns = await asyncio.to_thread(
            self.workspace.rename,
            params.text("path"),
            params.text("new_path"),
            confirmed=params.flag("confirmed"),
        )
        return {"path": params["new_path"], "mtime_ns": mtime_ns}

    async def undo(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        """Revert the journal's newest step; `force` even over later changes to its files."""
        force = params.flag("force")
        paths = await asyncio.to_thread(self.workspace.undo_step, force=force)
        return {"path": paths[0] if paths else None, "paths": paths}

    async def last_change(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any] | None:
        """What undo would revert: the newest journal step's label, paths and time."""
        step = await asyncio.to_thread(self.workspace.journal.last_step)
        if not step:
            return None
        return {
            "label": step[0].label,
            "paths": sorted({entry.path for entry in step}),
            "created_at": max(entry.created_at for entry in step),
        }

    async def watch(self, params: NamedParams, ctx: RequestContext) -> None:
        """Stream `workspace/changed` notifications until the request is cancelled."""
        async for changes in watch_changes(self.workspace.root):
            await ctx.notify(
                "workspace/changed",
                {"changes": sorted([kind, path] for kind, path in changes)},
            )

    async def git_status(self, params: NamedParams, ctx: RequestContext) -> dict[str, str]:
        git = self.workspace.git
        return await asyncio.to_thread(git.status) if git else {}

    async def git_diff(self, params: NamedParams, ctx: RequestContext) -> dict[str, Any]:
        git = self.workspace.git
        if git is None:
            return {"is_git": False, "diff": "", "not_shown": []}
        diff = await asyncio.to_thread(git.diff)
        return {"is_git": True, "diff": diff.text, "not_shown": list(diff.untracked_not_shown)}
