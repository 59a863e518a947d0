"""Build the services for one project and expose them on a bus router.

The same router backs the app (in-process transport) and `aiide serve`
(stdio or a Unix socket), so every client sees the same API.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiide_tui.bus import Router
from aiide_tui.complete.snippets import IndexSnippets
from aiide_tui.config import Config
from aiide_tui.index.project import CodeIndex, embedder_from_config
from aiide_tui.services.chat_service import ChatService
from aiide_tui.services.completion_service import CompletionService
from aiide_tui.services.environment_service import EnvironmentService
from aiide_tui.services.index_service import IndexService
from aiide_tui.services.sandbox_service import SandboxService
from aiide_tui.services.workspace_service import WorkspaceService
from aiide_tui.state import project_state_dir
from aiide_tui.workspace import Workspace


@contextlib.asynccontextmanager
async def project_services(root: Path, config: Config) -> AsyncIterator[Router]:
    """Every service for the project at `root`, registered on one router; closed on exit
    (so sandbox containers and open stores are released however the caller ends)."""
    root = root.resolve()
    router = Router(named_params=True)
    workspace = Workspace(root, project_state_dir(root))
    sandbox = SandboxService(root, config, workspace)
    index = IndexService(
        CodeIndex.from_config(root, config),
        embedder=embedder_from_config(config),
        chroma_url=config.index.chroma_url,
        debounce_ms=config.index.debounce_ms,
    )
    WorkspaceService(workspace, max_file_bytes=config.editor.max_file_bytes).register(router)
    EnvironmentService(config).register(router)
    sandbox.register(router)
    index.register(router)
    chat = ChatService(root, config, workspace, index, sandbox)
    chat.register(router)
    completion = CompletionService(
        root, config, project_state_dir(root), snippets=IndexSnippets(index.index)
    )
    completion.register(router)
    try:
        yield router
    finally:
        await completion.aclose()
        await chat.close()
        await sandbox.close()
        await asyncio.to_thread(index.close)
        workspace.close()
