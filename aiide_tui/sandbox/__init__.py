"""Safe execution: generated code runs in a hardened, ephemeral, audited sandbox.

A domain package: it never imports the UI or the services layer, and imports
docker-py only when a Docker backend is made.
"""

from aiide_tui.sandbox.audit import AuditRecord, AuditStore
from aiide_tui.sandbox.backend import CANCELLED_EXIT, TIMEOUT_EXIT, Backend, Job, Outcome
from aiide_tui.sandbox.errors import ImageMissingError, NoEngineError, SandboxError
from aiide_tui.sandbox.output import OutputCallback, OutputChunk
from aiide_tui.sandbox.policy import SandboxPolicy
from aiide_tui.sandbox.runner import RunResult, Sandbox, make_backend
from aiide_tui.sandbox.workcopy import Applied, Changes, apply_changes

__all__ = [
    "CANCELLED_EXIT",
    "TIMEOUT_EXIT",
    "Applied",
    "AuditRecord",
    "AuditStore",
    "Backend",
    "Changes",
    "ImageMissingError",
    "Job",
    "NoEngineError",
    "Outcome",
    "OutputCallback",
    "OutputChunk",
    "RunResult",
    "Sandbox",
    "SandboxError",
    "SandboxPolicy",
    "apply_changes",
    "make_backend",
]
