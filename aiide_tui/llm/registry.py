"""Which provider class serves a role: the one place that maps config names to classes.

Providers load lazily (the `ollama` client costs 0.2 s to import), so the
app paints before any of them is needed.
"""

from __future__ import annotations

import importlib
from types import MappingProxyType
from typing import TYPE_CHECKING

from aiide_tui.errors import ConfigError
from aiide_tui.llm.roles import Role, resolve_role

if TYPE_CHECKING:
    from aiide_tui.config import Config
    from aiide_tui.llm.base import Provider

PROVIDER_CLASSES = MappingProxyType(
    {
        "ollama": "aiide_tui.llm.ollama:OllamaProvider",
        "openai": "aiide_tui.llm.openai_compat:OpenAIProvider",
        "local": "aiide_tui.llm.local:LocalProvider",
    }
)
"""Config `provider` name -> "module:class"."""


def provider_class(name: str) -> type[Provider]:
    """The provider class registered as `name`.

    Raises:
        ConfigError: no provider has that name.
    """
    try:
        module_name, _, class_name = PROVIDER_CLASSES[name].partition(":")
    except KeyError:
        known = ", ".join(PROVIDER_CLASSES)
        raise ConfigError(f"no model provider {name!r}; providers are {known}") from None
    return getattr(importlib.import_module(module_name), class_name)


def provider_for_role(role: Role) -> Provider:
    """A provider for an already resolved role.

    Raises:
        ConfigError: an unknown provider, or an API key variable that is not set.
    """
    return provider_class(role.provider)(role)


def provider_for(role: str, config: Config) -> Provider:
    """A provider serving `role` ("fim", "chat", "reasoning", "embed", "draft") under `config`.

    The caller owns it: `await provider.aclose()` when done.

    Raises:
        ConfigError: an unknown role or provider, a draft role that is not
            configured, an OpenAI-compatible role without base_url, or an
            API key variable that is not set.
    """
    resolved = resolve_role(config, role)
    if resolved is None:
        raise ConfigError(f"no model is configured for the {role} role: set [models.{role}] model")
    return provider_for_role(resolved)
