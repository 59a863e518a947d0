"""The hardening policy: what a sandboxed run may use, as data, in one place.

Every backend reads the same `SandboxPolicy`; the Docker backend turns it into
container options (`docker_host_config`). The defaults are the safe ones: no
network, a read-only root, no capabilities, no new privileges, Docker's
seccomp profile, a non-root user, and limits on memory, CPU, processes, /tmp
and the copy of the project.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from aiide_tui.config import SandboxConfig

SANDBOX_UID = 65534
"""`nobody`: exists in every Debian image, owns nothing."""

WORK_DIR = "/work"
BASE_ENV: Mapping[str, str] = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/tmp",
    "LANG": "C.UTF-8",
    "PYTHONDONTWRITEBYTECODE": "1",
    "PYTHONUNBUFFERED": "1",
}
"""What every run sees; host variables are added only through the allowlist."""


@dataclass(frozen=True)
class SandboxPolicy:
    """Limits and permissions of one run."""

    image: str = "aiide-sandbox-python:latest"
    timeout_s: float = 120.0
    memory_mb: int = 512
    cpus: float = 1.0
    pids: int = 256
    tmp_mb: int = 64
    work_mb: int = 512
    output_bytes: int = 1024 * 1024
    network: bool = False
    runtime: str = ""
    pass_env: tuple[str, ...] = ()

    @classmethod
    def from_config(cls, config: SandboxConfig) -> SandboxPolicy:
        names = tuple(name.strip() for name in config.pass_env.split(",") if name.strip())
        return cls(
            image=config.image,
            timeout_s=float(config.timeout_s),
            memory_mb=config.memory_mb,
            cpus=float(config.cpus),
            pids=config.pids,
            tmp_mb=config.tmp_mb,
            work_mb=config.work_mb,
            output_bytes=config.output_kb * 1024,
            network=config.network,
            runtime=config.runtime,
            pass_env=names,
        )

    def with_changes(self, **changes: Any) -> SandboxPolicy:
        """A copy with some fields changed (None values are ignored)."""
        return replace(self, **{key: value for key, value in changes.items() if value is not None})

    def environment(self, host_env: Mapping[str, str] | None = None) -> dict[str, str]:
        """The run's environment: the fixed base plus allowlisted host variables."""
        host = os.environ if host_env is None else host_env
        env = dict(BASE_ENV)
        env.update({name: host[name] for name in self.pass_env if name in host})
        return env

    def limits(self) -> dict[str, Any]:
        """The limits as recorded in the audit store."""
        return {
            "timeout_s": self.timeout_s,
            "memory_mb": self.memory_mb,
            "cpus": self.cpus,
            "pids": self.pids,
            "tmp_mb": self.tmp_mb,
            "work_mb": self.work_mb,
            "output_bytes": self.output_bytes,
            "network": self.network,
            "runtime": self.runtime or "default",
        }


def docker_host_config(policy: SandboxPolicy, work_volume: str) -> dict[str, Any]:
    """Keyword arguments for docker-py's `containers.create` that enforce `policy`."""
    memory = f"{policy.memory_mb}m"
    options: dict[str, Any] = {
        "user": f"{SANDBOX_UID}:{SANDBOX_UID}",
        "network_mode": "bridge" if policy.network else "none",
        "read_only": True,
        "cap_drop": ["ALL"],
        "security_opt": ["no-new-privileges:true"],
        "pids_limit": policy.pids,
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": int(policy.cpus * 1e9),
        "tmpfs": {"/tmp": f"rw,nosuid,nodev,exec,size={policy.tmp_mb}m,mode=1777"},
        "volumes": {work_volume: {"bind": WORK_DIR, "mode": "rw"}},
        "working_dir": WORK_DIR,
        "environment": dict(BASE_ENV),
        "ipc_mode": "private",
        "init": True,
        "ulimits": _ulimits(),
    }
    if policy.runtime:
        options["runtime"] = policy.runtime
    return options


def _ulimits() -> list[Any]:
    from docker.types import Ulimit

    return [
        Ulimit(name="nofile", soft=1024, hard=1024),
        Ulimit(name="core", soft=0, hard=0),
    ]


def work_volume_options(policy: SandboxPolicy) -> dict[str, str]:
    """`local` driver options for a size-limited tmpfs volume owned by the sandbox user."""
    size = f"size={policy.work_mb}m,uid={SANDBOX_UID},gid={SANDBOX_UID},mode=0755"
    return {"type": "tmpfs", "device": "tmpfs", "o": f"{size},nosuid,nodev"}
