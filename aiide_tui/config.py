"""Layered settings: defaults < user file < project file < `AIIDE_*` environment < flags.

One schema (the section dataclasses below, each field carrying a `Setting`)
drives validation, the defaults and the documented default file. Every
problem in the settings is collected and reported at once, each naming the
file, the line and the dotted key, so a user fixes them in one pass; unknown
keys are warnings, not errors, so an older aiide still starts with a newer
config file.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import tomllib
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from difflib import get_close_matches
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from aiide_tui.errors import ConfigError
from aiide_tui.keymap import ACTIONS_BY_ID, describe_conflicts, parse_keys, suggest_action

PROJECT_FILE_NAME = ".aiide.toml"
USER_FILE_NAME = "config.toml"
ENV_PREFIX = "AIIDE_"
OLLAMA_DEFAULT_PORT = 11434
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "::1", "localhost"})


@dataclass(frozen=True)
class Setting:
    """One key of the schema: its default, what it means and what it accepts."""

    default: Any
    help: str
    choices: tuple[str, ...] = ()
    minimum: int | None = None
    normalize: Callable[[str], str] | None = None
    """Turns an accepted string into its canonical form; raises ValueError to refuse it."""

    def validate(self, value: Any) -> Any:
        """The value as the app will use it; ValueError (the reason) when it is not valid."""
        expected = type(self.default)
        if expected is bool and not isinstance(value, bool):
            raise ValueError(f"expected true or false, got {_show(value)}")
        if expected is int:
            return self._validate_int(value)
        if expected is str:
            if not isinstance(value, str):
                raise ValueError(f"expected a string, got {_show(value)}")
            if self.choices and value not in self.choices:
                raise ValueError(f"expected one of {', '.join(self.choices)}, got {_show(value)}")
            return self.normalize(value) if self.normalize else value
        return value

    def _validate_int(self, value: Any) -> int:
        if self.minimum == 1:
            wanted = "a positive integer"
        elif self.minimum is not None:
            wanted = f"an integer >= {self.minimum}"
        else:
            wanted = "an integer"
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError(f"expected {wanted}, got {_show(value)}")
        if self.minimum is not None and value < self.minimum:
            raise ValueError(f"expected {wanted}, got {_show(value)}")
        return value


def setting(default: Any, help: str, **rules: Any) -> Any:
    """A dataclass field whose default and rules come from one `Setting`."""
    return field(default=default, metadata={"setting": Setting(default, help, **rules)})


def _role_tables_text(section_type: type) -> list[str]:
    """Commented examples of the role tables (unset, a role takes its defaults)."""
    lines: list[str] = []
    for item in dataclasses.fields(section_type):
        if "role" in item.metadata:
            lines.append(f"# [models.{item.name}]: {item.metadata['role']}")
            lines.append('# provider = "ollama"  model = "..."  num_ctx = 4096')
    return [*lines, ""] if lines else []


def _show(value: Any) -> str:
    """A value as the user would have typed it in TOML."""
    try:
        return json.dumps(value)
    except TypeError:
        return repr(value)


def _non_empty(value: str) -> str:
    if not value.strip():
        raise ValueError("expected a name, got an empty string")
    return value.strip()


def normalize_ollama_host(value: str) -> str:
    """`OLLAMA_HOST` spellings (`host`, `host:port`, a URL) as a base URL, as Ollama reads them."""
    text = value.strip().rstrip("/")
    has_scheme = "://" in text
    try:
        parts = urlsplit(text if has_scheme else f"http://{text}")
        port = parts.port
    except ValueError as error:
        raise ValueError(
            f"expected a URL such as http://127.0.0.1:11434, got {_show(value)}"
        ) from error
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"expected a URL such as http://127.0.0.1:11434, got {_show(value)}")
    if port is None and not has_scheme:
        return f"http://{parts.netloc}:{OLLAMA_DEFAULT_PORT}{parts.path}"
    return f"{parts.scheme}://{parts.netloc}{parts.path}"


@dataclass(frozen=True)
class UiConfig:
    """[ui]: how the screen looks and behaves."""

    theme: str = setting(
        "aiide-dark", "Theme: aiide-dark, aiide-light or any Textual theme.", normalize=_non_empty
    )
    layout: str = setting(
        "auto",
        "Regions shown: auto follows the terminal's width.",
        choices=("auto", "wide", "medium", "narrow"),
    )
    mouse: bool = setting(True, "Let the mouse click, scroll and select.")


@dataclass(frozen=True)
class EditorConfig:
    """[editor]: opening and showing files."""

    max_file_bytes: int = setting(
        2_097_152, "Files larger than this ask before opening.", minimum=1
    )
    tab_size: int = setting(4, "Columns a tab character takes.", minimum=1)
    soft_wrap: bool = setting(False, "Wrap long lines at the window's edge.")
    show_line_numbers: bool = setting(True, "Show line numbers in the gutter.")


ROLES = ("fim", "chat", "reasoning", "embed", "draft")
"""What models do for aiide; each role is a `[models.ROLE]` table."""
PROVIDERS = ("ollama", "openai", "local")


@dataclass(frozen=True)
class RoleSettings:
    """[models.ROLE]: which server and model serve one role; unset keys take the role's defaults.

    `provider = "openai"` is any OpenAI-compatible server (vLLM, llama.cpp's
    llama-server, LM Studio) at `base_url`, with its key read from the
    environment variable named by `api_key_env` (keys never live in files).
    """

    provider: str = ""
    model: str = ""
    base_url: str = ""
    api_key_env: str = ""
    num_ctx: int = 0
    """Context window sent with every Ollama request (0: the role's default, never Ollama's)."""
    max_tokens: int = 0
    temperature: float | None = None
    keep_alive: str = ""
    first_token_timeout_s: float = 0.0
    idle_timeout_s: float = 0.0
    server: str = ""
    """What serves it, shown by `aiide doctor`: e.g. llama-server, vllm."""
    fim_format: str = ""
    """The model's fill-in-the-middle family (e.g. qwen2.5-coder, codestral) when its name
    does not say (a GGUF file called model.gguf); empty: told by the name."""
    options: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    """Extra sampling options passed through (e.g. top_p, repeat_penalty)."""

    def __hash__(self) -> int:
        return hash((self.provider, self.model, self.base_url, tuple(sorted(self.options))))


def parse_role(value: Any) -> RoleSettings:
    """A `[models.ROLE]` table as `RoleSettings`; ValueError names the first bad key."""
    if isinstance(value, RoleSettings):
        return value
    if not isinstance(value, Mapping):
        raise ValueError(f'expected a table such as {{ model = "x" }}, got {_show(value)}')
    known = {item.name: item for item in dataclasses.fields(RoleSettings)}
    checked: dict[str, Any] = {}
    for key, item in value.items():
        if key in known:  # others were warned about when read (see `unknown_role_keys`)
            checked[key] = _role_value(key, item)
    return RoleSettings(**checked)


def unknown_role_keys(value: Any) -> list[str]:
    """The keys of a `[models.ROLE]` table this version does not know, each with a hint."""
    if not isinstance(value, Mapping):
        return []
    known = [item.name for item in dataclasses.fields(RoleSettings)]
    found = []
    for key in value:
        if key not in known:
            matches = get_close_matches(key, known, n=1)
            hint = f"; did you mean {matches[0]}?" if matches else ""
            found.append(f"unknown key {key!r}{hint}")
    return found


def _role_value(key: str, value: Any) -> Any:
    if key == "options":
        if not isinstance(value, Mapping):
            raise ValueError(f"options: expected a table, got {_show(value)}")
        return MappingProxyType(dict(value))
    if key in ("num_ctx", "max_tokens"):
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ValueError(f"{key}: expected a positive integer, got {_show(value)}")
        return value
    if key in ("temperature", "first_token_timeout_s", "idle_timeout_s"):
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ValueError(f"{key}: expected a number >= 0, got {_show(value)}")
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string, got {_show(value)}")
    if key == "provider" and value not in PROVIDERS:
        raise ValueError(f"provider: expected one of {', '.join(PROVIDERS)}, got {_show(value)}")
    if key == "base_url" and value:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(
                f"base_url: expected a URL such as http://127.0.0.1:8000/v1, got {_show(value)}"
            )
        return value.rstrip("/")
    return value


UNSET_ROLE = RoleSettings()


def role_help(help: str) -> Mapping[str, str]:
    """Field metadata marking a `[models.ROLE]` table (not a plain setting: `schema()` skips it)."""
    return {"role": help}


@dataclass(frozen=True)
class ModelsConfig:
    """[models]: where the language models are served."""

    ollama_host: str = setting(
        "http://127.0.0.1:11434",
        "Ollama's base URL (OLLAMA_HOST is used when no file sets this).",
        normalize=normalize_ollama_host,
    )
    chat_model: str = setting("", "Ollama model for chat and the agent, e.g. qwen2.5-coder:7b.")
    fim_model: str = setting("", "Ollama model for fill-in-the-middle completion.")
    fim: RoleSettings = field(
        default=UNSET_ROLE, metadata=role_help("Fill-in-the-middle completion (ghost text).")
    )
    chat: RoleSettings = field(default=UNSET_ROLE, metadata=role_help("Chat and the agent."))
    reasoning: RoleSettings = field(
        default=UNSET_ROLE,
        metadata=role_help("Planning and hard questions (defaults to chat's model)."),
    )
    embed: RoleSettings = field(
        default=UNSET_ROLE, metadata=role_help("Embeddings for code search.")
    )
    draft: RoleSettings = field(
        default=UNSET_ROLE,
        metadata=role_help(
            "The small draft model that the fim server uses for speculative decoding (informative: "
            "the server runs it; see docs/speculative-decoding.md)."
        ),
    )


@dataclass(frozen=True)
class SandboxConfig:
    """[sandbox]: where generated code runs."""

    engine: str = setting(
        "docker",
        "Backend that runs generated code: docker, or bwrap (bubblewrap: weaker than a "
        "container, for machines without Docker). Code never runs on the host.",
        choices=("docker", "bwrap"),
    )
    image: str = setting(
        "aiide-sandbox-python:latest",
        "Image runs use (sandbox/build-offline-image.sh builds the default with no registry).",
        normalize=_non_empty,
    )
    runtime: str = setting(
        "", "Docker runtime, e.g. runsc for gVisor when installed; empty: the engine's default."
    )
    timeout_s: int = setting(
        120, "Wall-clock seconds before a run is killed (exit 124).", minimum=1
    )
    memory_mb: int = setting(512, "Memory limit of a run, in MiB (no swap).", minimum=16)
    cpus: int = setting(1, "CPUs a run may use.", minimum=1)
    pids: int = setting(256, "Most processes and threads a run may have.", minimum=8)
    tmp_mb: int = setting(64, "Size of the run's /tmp (tmpfs), in MiB.", minimum=1)
    work_mb: int = setting(512, "Size of the run's copy of the project (tmpfs), in MiB.", minimum=1)
    output_kb: int = setting(
        1024, "Output kept per stream (stdout, stderr), in KiB; the rest is cut.", minimum=1
    )
    network: bool = setting(
        False, "Give every run network access (off: only `aiide run --network` turns it on)."
    )
    pass_env: str = setting(
        "", "Comma-separated host environment variables a run may see (none by default)."
    )
    pool_size: int = setting(
        1, "Containers kept started ahead so an interactive run starts faster.", minimum=0
    )


@dataclass(frozen=True)
class CompleteConfig:
    """[complete]: fill-in-the-middle suggestions shown as ghost text while typing."""

    enabled: bool = setting(True, "Suggest completions as you type (Tab accepts, Esc dismisses).")
    disabled_languages: str = setting(
        "", "Comma-separated languages with no suggestions, e.g. markdown,text."
    )
    debounce_min_ms: int = setting(
        50, "Shortest wait after a keystroke before asking the model.", minimum=0
    )
    debounce_max_ms: int = setting(
        500, "Longest wait; the wait adapts to your typing rhythm in between.", minimum=0
    )
    prompt_tokens: int = setting(
        400, "Prompt budget for the text around the cursor; 300-500 keeps CPU models fast.",
        minimum=64,
    )  # fmt: skip
    snippet_tokens: int = setting(
        140, "Room on top of prompt_tokens for definitions from other files of the names just"
        " used (0: none).", minimum=0,
    )  # fmt: skip
    max_tokens: int = setting(
        128, "Most tokens one suggestion may have (overrides [models.fim] max_tokens).", minimum=1
    )
    multiline: bool = setting(True, "Allow suggestions that span several lines.")


@dataclass(frozen=True)
class IndexConfig:
    """[index]: the code index behind search, the repo map and model context."""

    max_file_bytes: int = setting(
        1_000_000, "Files larger than this are left out of the index.", minimum=1
    )
    max_line_chars: int = setting(
        4_000, "Files with a longer line (minified, data) are left out.", minimum=80
    )
    workers: int = setting(2, "Processes that parse files in parallel.", minimum=1)
    debounce_ms: int = setting(
        50, "Quiet time after a file change before it is re-indexed.", minimum=0
    )
    vectors: bool = setting(
        True, "Add embedding search (from [models.embed]) when an embedder answers."
    )
    chroma_url: str = setting(
        "", "A Chroma server (chroma run) for vectors; empty: embedded in the state folder."
    )


SECTIONS: Mapping[str, type] = MappingProxyType(
    {
        "ui": UiConfig,
        "editor": EditorConfig,
        "models": ModelsConfig,
        "sandbox": SandboxConfig,
        "complete": CompleteConfig,
        "index": IndexConfig,
    }
)
"""Sections of plain settings; `[keys]` (action -> keys) is checked by `keymap`."""


@dataclass(frozen=True)
class Config:
    """The settings in force, with where each came from and what was ignored."""

    ui: UiConfig = UiConfig()
    editor: EditorConfig = EditorConfig()
    models: ModelsConfig = ModelsConfig()
    sandbox: SandboxConfig = SandboxConfig()
    complete: CompleteConfig = CompleteConfig()
    index: IndexConfig = IndexConfig()
    keys: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """The user's key overrides (action id -> keys); `keymap.resolve_bindings` adds the rest."""
    warnings: tuple[str, ...] = ()
    """Unknown keys and risky values, each naming the file and line."""
    sources: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    """Dotted key -> where its value came from: "default", "FILE:LINE", "environment NAME"..."""
    files: tuple[Path, ...] = ()
    """The config files that were read, lowest layer first."""


def schema() -> Iterator[tuple[str, str, Setting]]:
    """(section, key, setting) for every plain setting, in documentation order."""
    for section, section_type in SECTIONS.items():
        for item in dataclasses.fields(section_type):
            if "setting" in item.metadata:
                yield section, item.name, item.metadata["setting"]


def default_config_text() -> str:
    """A config file listing every setting at its default, each with its help as a comment."""
    lines: list[str] = []
    for section, section_type in SECTIONS.items():
        lines.append(f"# {section_type.__doc__}")
        lines.append(f"[{section}]")
        for key_section, key, spec in schema():
            if key_section == section:
                lines.append(f"# {spec.help}")
                lines.append(f"{key} = {_show(spec.default)}")
        lines.append("")
        lines.extend(_role_tables_text(section_type))
    lines.append('# [keys]: action = keys, e.g. save = "ctrl+s,f10" (F1 in the app lists actions)')
    lines.append("[keys]")
    return "\n".join(lines) + "\n"


# -- where the files are --------------------------------------------------------


def user_config_path(env: Mapping[str, str] | None = None) -> Path:
    """The user's config file; AIIDE_CONFIG_DIR (in `env`, else the process's) moves it."""
    override = (env or {}).get("AIIDE_CONFIG_DIR") or os.environ.get("AIIDE_CONFIG_DIR")
    if override:
        return Path(override).expanduser() / USER_FILE_NAME
    import platformdirs

    return platformdirs.user_config_path("aiide") / USER_FILE_NAME


def shown_path(path: Path) -> str:
    """A path as a user reads it: under their home folder, from `~`."""
    home = Path.home()
    return f"~/{path.relative_to(home)}" if path.is_relative_to(home) else str(path)


def project_config_path(project_root: Path) -> Path:
    return project_root / PROJECT_FILE_NAME


# -- reading layers ---------------------------------------------------------------


@dataclass
class _Entry:
    """One value from one layer, with the place it came from ("FILE:LINE", "command line")."""

    section: str
    key: str
    value: Any
    where: str


@dataclass
class _Collected:
    """Entries from all layers in order, and the problems met while reading them."""

    entries: list[_Entry] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)

    def add_table(self, data: Mapping[str, Any], where: Callable[[tuple[str, ...]], str]) -> None:
        """Add a nested {section: {key: value}} table; `where` places a key path."""
        for section, table in data.items():
            if section != "keys" and section not in SECTIONS:
                matches = get_close_matches(section, [*SECTIONS, "keys"], n=1)
                hint = f"; did you mean [{matches[0]}]?" if matches else ""
                self.warnings.append(f"{where((section,))}: unknown section [{section}]{hint}")
            elif not isinstance(table, Mapping):
                self.errors.append(f"{where((section,))}: {section}: expected a table [{section}]")
            else:
                for key, value in table.items():
                    self.add(section, key, value, where((section, key)))

    def add(self, section: str, key: str, value: Any, where: str) -> None:
        """Add one value if the schema knows its key (else warn); check its value later."""
        if section != "keys" and section not in SECTIONS:
            self.warnings.append(f"{where}: unknown section [{section}]")
        elif section == "keys" and key not in ACTIONS_BY_ID:
            self.warnings.append(f"{where}: keys.{key}: no such action{suggest_action(key)}")
        elif section != "keys" and key not in _setting_names(section):
            matches = get_close_matches(key, _setting_names(section), n=1)
            hint = f"; did you mean {section}.{matches[0]}?" if matches else ""
            self.warnings.append(f"{where}: unknown setting {section}.{key}{hint}")
        else:
            if section == "models" and key in ROLES:  # an older aiide still starts
                for problem in unknown_role_keys(value):
                    self.warnings.append(f"{where}: models.{key}: {problem}")
            self.entries.append(_Entry(section, key, value, where))


def _in_file_order(warnings: list[str]) -> list[str]:
    """`path:line: ...` warnings in each file's line order (a nested table's came before a
    later section's), the files in the order they were read."""
    places = [re.match(r"(.*?):(\d+): ", warning) for warning in warnings]
    files = list(dict.fromkeys(place.group(1) for place in places if place))

    def order(index: int) -> tuple[int, int, int]:
        place = places[index]
        if place is None:
            return (len(files), 0, index)
        return (files.index(place.group(1)), int(place.group(2)), index)

    return [warnings[index] for index in sorted(range(len(warnings)), key=order)]


def _setting_names(section: str) -> list[str]:
    return [item.name for item in dataclasses.fields(SECTIONS[section])]


def _read_file(path: Path, collected: _Collected) -> None:
    """Add a TOML file's settings; a missing file adds nothing."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        return
    except UnicodeDecodeError:
        collected.errors.append(f"{path}: not UTF-8 text")
        return
    except OSError as error:
        collected.errors.append(f"{path}: cannot read: {error.strerror}")
        return
    collected.files.append(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        collected.errors.append(toml_error_message(path, text, error))
        return
    lines = key_lines(text)
    collected.add_table(data, lambda key_path: f"{path}:{_line_of(lines, key_path)}")


def toml_error_message(path: Path, text: str, error: tomllib.TOMLDecodeError) -> str:
    """`FILE:LINE: invalid TOML: reason (column N)`, from tomllib's message about `text`."""
    message = str(error)
    found = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if found:
        line, column = found.groups()
        return f"{path}:{line}: invalid TOML: {message[: found.start()]} (column {column})"
    found = re.search(r"\s*\(at end of document\)$", message)
    if found:
        last = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
        return f"{path}:{last}: invalid TOML: {message[: found.start()]} (at end of file)"
    return f"{path}: invalid TOML: {message}"


def _laid_over(below: Mapping[str, Any], patch: Mapping[str, Any]) -> dict[str, Any]:
    """`below` with `patch`'s keys set, tables within patched key by key too."""
    merged = dict(below)
    for key, value in patch.items():
        under = merged.get(key)
        is_patch = isinstance(value, _Patch) and isinstance(under, Mapping)
        merged[key] = _laid_over(under, value) if is_patch else value
    return merged


class _Patch(dict):
    """Keys of a table given one by one (`AIIDE_MODELS__FIM__MODEL=x`): laid over the table
    the lower layers give, where a table from a file replaces it whole."""


def _read_environment(env: Mapping[str, str], collected: _Collected) -> None:
    """Add `AIIDE_SECTION__KEY=value` variables (`AIIDE_SECTION__TABLE__KEY` for a key of a
    table such as `[models.fim]`); values are TOML scalars where they parse."""
    for name in sorted(env):
        if not name.startswith(ENV_PREFIX):
            continue
        if "__" not in name:
            _check_single_underscore(name, collected)
            continue
        section, key, *inner = name[len(ENV_PREFIX) :].lower().split("__")
        value: Any = parse_env_value(env[name])
        expected = _expected_type(section, key, inner)
        if not isinstance(value, str) and expected is str:
            value = env[name]  # `AIIDE_SANDBOX__IMAGE=2024` is the name 2024, not a number
        elif expected is bool:
            value = ENV_BOOLEANS.get(env[name].strip().lower(), value)
        for part in reversed(inner):
            value = _Patch({part: value})
        collected.add(section, key, value, f"environment {name}")


def _check_single_underscore(name: str, collected: _Collected) -> None:
    """Warn about `AIIDE_UI=1` and `AIIDE_UI_THEME=x`, which look like settings but name
    none (a setting is `AIIDE_SECTION__KEY`); other `AIIDE_*` names are not settings."""
    rest = name[len(ENV_PREFIX) :].lower()
    section, _, key = rest.partition("_")
    if rest in SECTIONS:
        collected.warnings.append(
            f"environment {name}: not a setting; name one key, e.g. {name}__{_first_key(rest)}"
        )
    elif section in SECTIONS and (section, key) in {(s, k) for s, k, _ in schema()}:
        fixed = f"{ENV_PREFIX}{section.upper()}__{key.upper()}"
        collected.warnings.append(f"environment {name}: not a setting; did you mean {fixed}?")


def _first_key(section: str) -> str:
    return next((key.upper() for name, key, _ in schema() if name == section), "KEY")


ENV_BOOLEANS = {
    **dict.fromkeys(("1", "true", "yes", "on"), True),
    **dict.fromkeys(("0", "false", "no", "off"), False),
}
"""How environment variables spell a switch (`AIIDE_INDEX__VECTORS=0`), beside TOML's."""


def _expected_type(section: str, key: str, inner: list[str]) -> type | None:
    """The type of the setting an environment variable names (str, bool...), if known."""
    if section == "models" and key in ROLES:
        if len(inner) != 1:
            return None
        fields = {item.name: item.type for item in dataclasses.fields(RoleSettings)}
        named = fields.get(inner[0])
        return next((kind for kind in (str, bool) if named in (kind, kind.__name__)), None)
    if inner or section not in SECTIONS:
        return None
    return next(
        (
            type(item.default)
            for name, item_key, item in schema()
            if (name, item_key) == (section, key)
        ),
        None,
    )


def parse_env_value(text: str) -> Any:
    """`"true"` -> True, `"12"` -> 12, `'"x"'` -> "x"; anything else stays the string."""
    if "\n" in text or "\r" in text:
        return text
    try:
        value = tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text
    return value if isinstance(value, (str, int, float, bool)) else text


def _read_overrides(overrides: Mapping[str, Any], collected: _Collected) -> None:
    """Add flags given as {section: {key: value}}; None values mean "not given"."""
    given = {
        section: {key: value for key, value in table.items() if value is not None}
        if isinstance(table, Mapping)
        else table
        for section, table in overrides.items()
    }
    collected.add_table(given, lambda key_path: "command line")


# -- line numbers -------------------------------------------------------------------

_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"(?:[^"\\]|\\.)*"|'[^']*')"""
_DOTTED_KEY = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_HEADER = re.compile(rf"\s*\[\[?\s*({_DOTTED_KEY})\s*\]\]?")
_ASSIGNMENT = re.compile(rf"\s*({_DOTTED_KEY})\s*=")
_TRIPLE_QUOTES = ('"""', "'''")


def key_lines(text: str) -> dict[tuple[str, ...], int]:
    """The 1-based line where each table header and key path is first written.

    tomllib gives no positions, so this scans the (already valid) text,
    tracking `[table]` headers and skipping the inside of multi-line strings.
    """
    lines: dict[tuple[str, ...], int] = {}
    table: tuple[str, ...] = ()
    open_quote: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if open_quote is not None:
            if line.count(open_quote) % 2 == 1:
                open_quote = None
            continue
        if header := _HEADER.match(line):
            table = _split_key(header.group(1))
            lines.setdefault(table, number)
        elif assignment := _ASSIGNMENT.match(line):
            lines.setdefault((*table, *_split_key(assignment.group(1))), number)
            rest = line[assignment.end() :]
            open_quote = next((q for q in _TRIPLE_QUOTES if rest.count(q) % 2 == 1), None)
    return lines


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = re.findall(_KEY_PART, dotted)
    return tuple(tomllib.loads(f"k = {part}")["k"] if part[0] in "\"'" else part for part in parts)


def _line_of(lines: Mapping[tuple[str, ...], int], key_path: tuple[str, ...]) -> int:
    """The line of `key_path`, or of the nearest enclosing table written in the file."""
    for end in range(len(key_path), 0, -1):
        if key_path[:end] in lines:
            return lines[key_path[:end]]
    return 1


# -- putting it together --------------------------------------------------------------


def load_config(
    project_root: Path | None,
    *,
    env: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Config:
    """Read every layer and return the settings in force.

    `env` stands in for `os.environ` (tests pass their own); `overrides` are
    command-line flags as {section: {key: value}}.

    Raises:
        ConfigError: listing every invalid file and value, each as
            `FILE:LINE: section.key: reason`.
    """
    env = os.environ if env is None else env
    collected = _Collected()
    if env.get("OLLAMA_HOST"):
        collected.add("models", "ollama_host", env["OLLAMA_HOST"], "environment OLLAMA_HOST")
    _read_file(user_config_path(env), collected)
    if project_root is not None:
        start = len(collected.entries)
        _read_file(project_config_path(project_root), collected)
        _drop_loosened_sandbox(collected, start, user_config_path(env))
    _read_environment(env, collected)
    _read_overrides(overrides or {}, collected)
    return _build(collected, project_root)


USER_ONLY = frozenset({("sandbox", "network"), ("sandbox", "pass_env"),
                       ("sandbox", "engine"), ("sandbox", "runtime")})  # fmt: skip
"""Settings that loosen the sandbox's isolation. A project file comes with the repository
cloned, so it could give the code it runs the network or the user's secrets: only the user's
file, the environment and flags may change these from their defaults."""


def _drop_loosened_sandbox(collected: _Collected, start: int, user_file: Path) -> None:
    """Leave out (with a warning) the project file's entries, from `start`, that loosen the
    sandbox."""
    defaults = {(section, key): item.default for section, key, item in schema()}
    kept = collected.entries[:start]
    for entry in collected.entries[start:]:
        name = (entry.section, entry.key)
        if name in USER_ONLY and entry.value != defaults[name]:
            variable = f"{ENV_PREFIX}{entry.section.upper()}__{entry.key.upper()}"
            collected.warnings.append(
                f"{entry.where}: {entry.section}.{entry.key} ignored: a project's file may not "
                f"loosen the sandbox; if you trust this project, set it in {user_file} or "
                f"{variable}"
            )
        else:
            kept.append(entry)
    collected.entries[:] = kept


def _build(collected: _Collected, project_root: Path | None) -> Config:
    values: dict[str, dict[str, Any]] = {section: {} for section in (*SECTIONS, "keys")}
    sources = {f"{section}.{key}": "default" for section, key, _ in schema()}
    errors = list(collected.errors)
    tables: dict[tuple[str, str], Any] = {}
    for entry in collected.entries:
        given = entry.value
        below = tables.get((entry.section, entry.key))
        if isinstance(given, _Patch) and isinstance(below, Mapping):
            given = _laid_over(below, given)
        tables[entry.section, entry.key] = given
        try:
            value = _validate(entry.section, entry.key, given)
        except ValueError as error:
            errors.append(f"{entry.where}: {entry.section}.{entry.key}: {error}")
            continue
        values[entry.section][entry.key] = value
        sources[f"{entry.section}.{entry.key}"] = entry.where
    keys = values.pop("keys")
    if not errors:
        errors = _key_conflicts(keys, sources)
    if errors:
        raise ConfigError("\n".join(errors))
    sections = {name: SECTIONS[name](**values[name]) for name in SECTIONS}
    warnings = [
        *_in_file_order(collected.warnings),
        *_risky_values(sections["models"], sources, project_root),
    ]
    return Config(
        **sections,
        keys=MappingProxyType(keys),
        warnings=tuple(warnings),
        sources=MappingProxyType(sources),
        files=tuple(collected.files),
    )


def _validate(section: str, key: str, value: Any) -> Any:
    if section == "keys":
        return parse_keys(value)
    if section == "models" and key in ROLES:
        return parse_role(value)
    spec = next(item for name, item_key, item in schema() if (name, item_key) == (section, key))
    return spec.validate(value)


def _key_conflicts(keys: Mapping[str, str], sources: Mapping[str, str]) -> list[str]:
    bindings = {action_id: action.default_keys for action_id, action in ACTIONS_BY_ID.items()}
    bindings.update(keys)
    return [
        f"{sources[f'keys.{blame}']}: keys.{blame}: {message}"
        for blame, message in describe_conflicts(bindings, set(keys))
    ]


def _risky_values(
    models: ModelsConfig, sources: Mapping[str, str], project_root: Path | None
) -> list[str]:
    """A project file that sends prompts (your code) to a non-local server deserves a look."""
    if project_root is None:
        return []
    project_file = str(project_config_path(project_root))
    urls = {"models.ollama_host": models.ollama_host}
    urls.update({f"models.{role}": getattr(models, role).base_url for role in ROLES})
    warnings = []
    for key, url in urls.items():
        where = sources.get(key, "default")
        host = urlsplit(url).hostname or ""
        if not url or not where.startswith(project_file):
            continue
        if host in LOOPBACK_HOSTS or host.startswith("127."):
            continue
        warnings.append(
            f"{where}: {key}: this project sends prompts, including your code, to "
            f"{url}; remove it from {PROJECT_FILE_NAME} unless you trust that server"
        )
    return warnings


# -- writing ------------------------------------------------------------------------------


def save_user_setting(section: str, key: str, value: Any) -> Path:
    """Set one key in the user's config file, keeping its comments and layout.

    This is how choices made in the app (the theme from the palette) persist.
    The file is replaced atomically, so a crash leaves the old file or the new.

    Raises:
        ConfigError: the key is unknown, the value invalid, or the existing
            file is not valid TOML (it is left untouched).
    """
    import tomlkit
    from tomlkit.exceptions import ParseError

    collected = _Collected()
    collected.add(section, key, value, "setting")
    if collected.warnings:
        raise ConfigError(collected.warnings[0].removeprefix("setting: "))
    try:
        checked = _validate(section, key, value)
    except ValueError as error:
        raise ConfigError(f"{section}.{key}: {error}") from error
    if not isinstance(checked, RoleSettings):
        value = checked
    path = user_config_path()
    try:
        document = tomlkit.parse(path.read_text("utf-8")) if path.exists() else tomlkit.document()
    except ParseError as error:
        raise ConfigError(f"{path}:{error.line}: invalid TOML: {error}; not changing it") from error
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{path}: cannot read: {error}") from error
    table = document.get(section)
    if table is None:
        document[section] = table = tomlkit.table()
    elif not isinstance(table, MutableMapping):
        raise ConfigError(f"{path}: {section}: expected a table [{section}]; not changing it")
    table[key] = value
    _write_atomically(path, tomlkit.dumps(document).encode("utf-8"))
    return path


def _write_atomically(path: Path, data: bytes) -> None:
    from aiide_tui.workspace.atomic import atomic_write

    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data)
