"""Roles: what each model does for aiide, resolved from config into concrete settings.

`[models.ROLE]` tables (see `aiide_tui.config.RoleSettings`) may leave any
key unset; this module fills them from the role's defaults and the older
`[models] fim_model` / `chat_model` keys. `num_ctx` always has a value and
is always sent: Ollama's own default (2048 or 4096 tokens, by version)
silently cuts longer prompts.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiide_tui.config import ROLES, RoleSettings
from aiide_tui.errors import ConfigError

if TYPE_CHECKING:
    from aiide_tui.config import Config

CONNECT_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class Role:
    """One role with every setting decided."""

    name: str
    provider: str
    model: str
    base_url: str
    num_ctx: int
    max_tokens: int
    temperature: float | None
    first_token_timeout_s: float
    idle_timeout_s: float
    connect_timeout_s: float = CONNECT_TIMEOUT_S
    api_key_env: str = ""
    keep_alive: str = ""
    server: str = ""
    fim_format: str = ""
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    source: str = "default"
    """Where the role was configured ("default" or FILE:LINE)."""

    def api_key(self) -> str | None:
        """The API key from the environment variable the role names (None when it names none).

        Raises:
            ConfigError: the role names a variable that is not set.
        """
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise ConfigError(
                f"[models.{self.name}] api_key_env names {self.api_key_env}, which is not set: "
                f"export {self.api_key_env}=... before starting aiide"
            )
        return value

    def describe(self) -> str:
        """e.g. `qwen2.5-coder:1.5b-base (ollama at http://127.0.0.1:11434)`."""
        via = f"{self.server} " if self.server else ""
        where = f" at {self.base_url}" if self.base_url else ", on this machine"
        return f"{self.model} ({via}{self.provider}{where})"


@dataclass(frozen=True)
class _Defaults:
    model: str
    num_ctx: int
    max_tokens: int
    temperature: float | None
    first_token_timeout_s: float
    idle_timeout_s: float


DEFAULTS: Mapping[str, _Defaults] = MappingProxyType(
    {
        "fim": _Defaults("qwen2.5-coder:1.5b-base", 4096, 128, 0.2, 30.0, 10.0),
        "chat": _Defaults("qwen2.5-coder:7b", 8192, 2048, 0.2, 120.0, 60.0),
        "reasoning": _Defaults("", 16384, 4096, 0.6, 120.0, 60.0),
        "embed": _Defaults("nomic-embed-text", 2048, 0, None, 60.0, 60.0),
        "draft": _Defaults("", 4096, 16, 0.0, 30.0, 10.0),
    }
)
"""Per role: the model when none is configured ("" : see `_default_model`), then options."""


def _default_model(name: str, config: Config) -> str:
    models = config.models
    if name == "fim" and models.fim_model:
        return models.fim_model
    if name in ("chat", "reasoning"):
        chat = models.chat.model or models.chat_model
        return chat or DEFAULTS["chat"].model
    return DEFAULTS[name].model


def resolve_role(config: Config, name: str) -> Role | None:
    """The settings in force for role `name`; None for `draft` when no draft is configured.

    Raises:
        ConfigError: an unknown role, or an OpenAI-compatible role without base_url.
    """
    if name not in ROLES:
        raise ConfigError(f"no role {name!r}; roles are {', '.join(ROLES)}")
    table: RoleSettings = getattr(config.models, name)
    defaults = DEFAULTS[name]
    model = table.model or _default_model(name, config)
    if table.provider == "local" and not table.model:
        from aiide_tui.models.registry import LOCAL_ROLE_MODELS

        model = LOCAL_ROLE_MODELS.get(name, model)
    if not model:
        return None
    provider = table.provider or "ollama"
    _check_fim_format(name, table.fim_format)
    return Role(
        name=name,
        provider=provider,
        model=model,
        base_url=_base_url(name, provider, table.base_url, config.models.ollama_host),
        num_ctx=table.num_ctx or defaults.num_ctx,
        max_tokens=table.max_tokens or defaults.max_tokens,
        temperature=defaults.temperature if table.temperature is None else table.temperature,
        first_token_timeout_s=table.first_token_timeout_s or defaults.first_token_timeout_s,
        idle_timeout_s=table.idle_timeout_s or defaults.idle_timeout_s,
        api_key_env=table.api_key_env,
        keep_alive=table.keep_alive,
        server=table.server,
        fim_format=table.fim_format,
        options=table.options,
        source=config.sources.get(f"models.{name}", "default"),
    )


def _check_fim_format(name: str, family: str) -> None:
    from aiide_tui.llm.templates import FIM_TEMPLATES

    families = [template.family for template in FIM_TEMPLATES]
    if family and family not in families:
        raise ConfigError(
            f"[models.{name}] fim_format {family!r} is not a format aiide knows: "
            f"one of {', '.join(families)}"
        )


def _base_url(name: str, provider: str, configured: str, ollama_host: str) -> str:
    if provider == "ollama":
        return configured or ollama_host
    if provider == "local":
        return ""
    if not configured:
        raise ConfigError(
            f'[models.{name}] provider = "openai" needs base_url, '
            'e.g. base_url = "http://127.0.0.1:8000/v1"'
        )
    parts = urlsplit(configured)
    return configured if parts.path not in ("", "/") else configured.rstrip("/") + "/v1"


def resolve_roles(config: Config) -> dict[str, Role]:
    """Every configured role by name (a missing draft is left out).

    Raises:
        ConfigError: as `resolve_role`.
    """
    roles = {name: resolve_role(config, name) for name in ROLES}
    return {name: role for name, role in roles.items() if role is not None}
