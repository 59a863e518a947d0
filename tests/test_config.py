"""Layered settings from real files and explicit environments; per-project state folders."""

from __future__ import annotations

import os
import re
import stat
import tomllib
from pathlib import Path

import pytest

from aiide_tui.config import (
    Config,
    default_config_text,
    key_lines,
    load_config,
    normalize_ollama_host,
    parse_env_value,
    save_user_setting,
    schema,
    user_config_path,
)
from aiide_tui.errors import ConfigError, WorkspaceError
from aiide_tui.state import data_dir, project_slug, project_state_dir


@pytest.fixture
def user_dir(tmp_path: Path) -> Path:
    return tmp_path / "user-config"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "project"
    root.mkdir()
    return root


def env_for(user_dir: Path, **variables: str) -> dict[str, str]:
    """An explicit environment: only the user config location and the given variables."""
    return {"AIIDE_CONFIG_DIR": str(user_dir), **variables}


def write_user(user_dir: Path, text: str) -> Path:
    user_dir.mkdir(parents=True, exist_ok=True)
    path = user_dir / "config.toml"
    path.write_text(text)
    return path


def write_project(root: Path, text: str) -> Path:
    path = root / ".aiide.toml"
    path.write_text(text)
    return path


# -- defaults and layering --------------------------------------------------------------


def test_defaults_when_nothing_is_set(project, user_dir):
    config = load_config(project, env=env_for(user_dir))
    assert config.ui.theme == "aiide-dark"
    assert config.ui.layout == "auto"
    assert config.ui.mouse is True
    assert config.editor.max_file_bytes == 2_097_152
    assert config.editor.tab_size == 4
    assert config.models.ollama_host == "http://127.0.0.1:11434"
    assert config.sandbox.engine == "docker"
    assert dict(config.keys) == {}
    assert config.warnings == ()
    assert config.files == ()
    assert set(config.sources.values()) == {"default"}
    defaults = Config()
    assert (config.ui, config.editor, config.models, config.sandbox) == (
        defaults.ui,
        defaults.editor,
        defaults.models,
        defaults.sandbox,
    )


def test_each_layer_overrides_the_one_below(project, user_dir):
    user = write_user(
        user_dir, '[ui]\ntheme = "from-user"\nlayout = "wide"\n[editor]\ntab_size = 2\n'
    )
    proj = write_project(project, '[ui]\ntheme = "from-project"\nlayout = "medium"\n')
    env = env_for(user_dir, AIIDE_UI__THEME="from-env")

    assert load_config(None, env=env_for(user_dir)).ui.theme == "from-user"
    assert load_config(project, env=env_for(user_dir)).ui.theme == "from-project"
    assert load_config(project, env=env).ui.theme == "from-env"
    config = load_config(project, env=env, overrides={"ui": {"theme": "from-flag", "layout": None}})

    assert config.ui.theme == "from-flag"
    assert config.ui.layout == "medium"  # a None flag means "not given"
    assert config.editor.tab_size == 2
    assert config.sources["ui.theme"] == "command line"
    assert config.sources["ui.layout"] == f"{proj}:3"
    assert config.sources["editor.tab_size"] == f"{user}:5"
    assert config.sources["ui.mouse"] == "default"
    assert config.files == (user, proj)


def test_ollama_host_env_applies_only_when_no_file_sets_it(project, user_dir):
    env = env_for(user_dir, OLLAMA_HOST="gpu-box:11500")
    config = load_config(project, env=env)
    assert config.models.ollama_host == "http://gpu-box:11500"
    assert config.sources["models.ollama_host"] == "environment OLLAMA_HOST"

    write_user(user_dir, '[models]\nollama_host = "http://127.0.0.1:9999"\n')
    assert load_config(project, env=env).models.ollama_host == "http://127.0.0.1:9999"

    env["AIIDE_MODELS__OLLAMA_HOST"] = "http://10.0.0.5:11434"
    assert load_config(project, env=env).models.ollama_host == "http://10.0.0.5:11434"


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("127.0.0.1", "http://127.0.0.1:11434"),
        ("0.0.0.0:8080", "http://0.0.0.0:8080"),
        ("https://models.example.com/", "https://models.example.com"),
        ("http://gpu:11434/ollama", "http://gpu:11434/ollama"),
    ],
)
def test_ollama_host_spellings(given, expected):
    assert normalize_ollama_host(given) == expected


def test_user_config_path_follows_aiide_config_dir(user_dir):
    assert user_config_path(env_for(user_dir)) == user_dir / "config.toml"


# -- the environment layer ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("true", True),
        ("false", False),
        ("12", 12),
        ("1.5", 1.5),
        ('"quoted"', "quoted"),
        ("aiide-light", "aiide-light"),
        ("ctrl+s,f10", "ctrl+s,f10"),
        ("http://127.0.0.1:11434", "http://127.0.0.1:11434"),
        ("[1, 2]", "[1, 2]"),
        ("", ""),
        ("1\nother = 2", "1\nother = 2"),
    ],
)
def test_env_values_are_toml_scalars_or_strings(text, value):
    assert parse_env_value(text) == value


def test_env_variables_set_typed_values(project, user_dir):
    env = env_for(
        user_dir,
        AIIDE_EDITOR__SOFT_WRAP="true",
        AIIDE_EDITOR__TAB_SIZE="8",
        AIIDE_KEYS__SAVE="F10",
        AIIDE_DATA_DIR="/not/a/setting",
    )
    config = load_config(project, env=env)
    assert config.editor.soft_wrap is True
    assert config.editor.tab_size == 8
    assert config.keys["save"] == "f10"
    assert config.sources["editor.tab_size"] == "environment AIIDE_EDITOR__TAB_SIZE"
    assert config.warnings == ()


def test_env_switches_take_the_usual_spellings(project, user_dir):
    env = env_for(
        user_dir, AIIDE_INDEX__VECTORS="0", AIIDE_EDITOR__SOFT_WRAP="Yes",
        AIIDE_COMPLETE__MULTILINE="off", AIIDE_UI__MOUSE="TRUE",
    )  # fmt: skip
    config = load_config(project, env=env)
    assert config.index.vectors is False and config.editor.soft_wrap is True
    assert config.complete.multiline is False and config.ui.mouse is True
    assert config.warnings == ()
    with pytest.raises(ConfigError, match=r"AIIDE_INDEX__VECTORS: index\.vectors: expected true"):
        load_config(project, env=env_for(user_dir, AIIDE_INDEX__VECTORS="maybe"))


def test_env_variable_sets_one_key_of_a_role_over_the_files_table(project, user_dir):
    """`AIIDE_MODELS__FIM__MODEL` changes the model only: the provider the file chose stays."""
    write_project(project, '[models.fim]\nprovider = "openai"\nmodel = "from-file"\n')
    env = env_for(user_dir, AIIDE_MODELS__FIM__MODEL="from-env", AIIDE_MODELS__CHAT__NUM_CTX="4096")
    config = load_config(project, env=env)
    assert (config.models.fim.provider, config.models.fim.model) == ("openai", "from-env")
    assert config.models.chat.num_ctx == 4096
    assert config.sources["models.fim"] == "environment AIIDE_MODELS__FIM__MODEL"
    assert config.warnings == ()
    typo = load_config(project, env=env_for(user_dir, AIIDE_MODELS__FIM__MODLE="x"))
    assert typo.warnings == (
        "environment AIIDE_MODELS__FIM__MODLE: models.fim: unknown key 'modle'; did you mean"
        " model?",
    )  # a warning, as for any unknown key: an older aiide still starts with a newer config
    assert typo.models.fim.model == "from-file"


def test_an_unknown_key_of_a_role_is_a_warning_and_the_rest_applies(project, user_dir):
    write_project(project, '[models.fim]\nmodel = "x"\n\ntop_p = 0.9\n')
    config = load_config(project, env=env_for(user_dir))
    assert config.models.fim.model == "x"
    assert [w for w in config.warnings if "top_p" in w] == [
        f"{project / '.aiide.toml'}:1: models.fim: unknown key 'top_p'"
    ]


def test_env_values_for_text_settings_stay_text_and_options_merge_key_by_key(project, user_dir):
    write_project(project, "[models.fim.options]\ntop_k = 20\ntop_p = 0.9\n")
    env = env_for(
        user_dir, AIIDE_SANDBOX__IMAGE="2024", AIIDE_MODELS__CHAT__MODEL="1.5",
        AIIDE_MODELS__FIM__KEEP_ALIVE="-1", AIIDE_MODELS__FIM__OPTIONS__TOP_P="0.5",
        AIIDE_EDITOR__TAB_SIZE="2",
    )  # fmt: skip
    config = load_config(project, env=env)
    assert config.sandbox.image == "2024" and config.models.chat.model == "1.5"
    assert config.models.fim.keep_alive == "-1" and config.editor.tab_size == 2
    assert dict(config.models.fim.options) == {"top_k": 20, "top_p": 0.5}


def test_bad_env_value_names_the_variable(project, user_dir):
    with pytest.raises(ConfigError) as caught:
        load_config(project, env=env_for(user_dir, AIIDE_UI__LAYOUT="huge"))
    assert caught.value.message == (
        "environment AIIDE_UI__LAYOUT: ui.layout: expected one of auto, wide, medium, narrow, "
        'got "huge"'
    )


def test_unknown_env_setting_is_a_warning(project, user_dir):
    config = load_config(project, env=env_for(user_dir, AIIDE_UI__THEMES="x"))
    assert config.warnings == (
        "environment AIIDE_UI__THEMES: unknown setting ui.themes; did you mean ui.theme?",
    )


def test_env_names_that_look_like_settings_but_are_not_get_a_warning(project, user_dir):
    env = env_for(user_dir, AIIDE_UI="1", AIIDE_UI_THEME="x", AIIDE_TEST_MARK="y")
    config = load_config(project, env=env)
    assert config.warnings == (
        "environment AIIDE_UI: not a setting; name one key, e.g. AIIDE_UI__THEME",
        "environment AIIDE_UI_THEME: not a setting; did you mean AIIDE_UI__THEME?",
    )


# -- errors and warnings with places -----------------------------------------------------


def test_bad_toml_names_file_and_line(project, user_dir):
    path = write_project(project, '[ui]\ntheme = "aiide-dark"\nlayout = \n')
    with pytest.raises(ConfigError) as caught:
        load_config(project, env=env_for(user_dir))
    assert caught.value.message.startswith(f"{path}:3: invalid TOML: ")


def test_toml_cut_short_names_the_last_line(project, user_dir):
    path = write_project(project, '[ui]\ntheme = "aiide-dark')
    with pytest.raises(ConfigError) as caught:
        load_config(project, env=env_for(user_dir))
    assert caught.value.message == (f"{path}:2: invalid TOML: Unterminated string (at end of file)")


def test_bad_values_are_all_reported_with_file_line_and_key(project, user_dir):
    user = write_user(user_dir, "[ui]\nmouse = 1\n")
    path = write_project(
        project,
        '# project settings\n[editor]\ntab_size = "four"\nmax_file_bytes = -5\n'
        '\n[ui]\nlayout = "huge"\n',
    )
    with pytest.raises(ConfigError) as caught:
        load_config(project, env=env_for(user_dir))
    assert caught.value.message.splitlines() == [
        f"{user}:2: ui.mouse: expected true or false, got 1",
        f'{path}:3: editor.tab_size: expected a positive integer, got "four"',
        f"{path}:4: editor.max_file_bytes: expected a positive integer, got -5",
        f'{path}:7: ui.layout: expected one of auto, wide, medium, narrow, got "huge"',
    ]


def test_a_section_that_is_not_a_table_is_an_error(project, user_dir):
    path = write_project(project, 'ui = "dark"\n')
    with pytest.raises(ConfigError, match=re.escape(f"{path}:1: ui: expected a table")):
        load_config(project, env=env_for(user_dir))


def test_unknown_keys_are_warned_with_file_and_line(project, user_dir):
    path = write_project(
        project,
        '[ui]\ntheme = "aiide-light"\ntab_size = 2\n\n[colours]\nx = 1\n[keys]\nsav = "f10"\n',
    )
    config = load_config(project, env=env_for(user_dir))
    assert config.ui.theme == "aiide-light"
    assert config.warnings == (
        f"{path}:3: unknown setting ui.tab_size",
        f"{path}:5: unknown section [colours]",
        f"{path}:8: keys.sav: no such action; did you mean save?",
    )


def test_warnings_follow_the_files_lines_and_a_misspelt_section_gets_a_suggestion(
    project, user_dir
):
    text = '[models]\ncolour = 1\n[editr]\nx = 1\n[models.chat]\nmodle = "x"\n'
    path = write_project(project, text)
    warnings = load_config(project, env=env_for(user_dir)).warnings
    assert warnings == (
        f"{path}:2: unknown setting models.colour",
        f"{path}:3: unknown section [editr]; did you mean [editor]?",
        f"{path}:5: models.chat: unknown key 'modle'; did you mean model?",
    )  # a nested table's warning came before the later section's


def test_line_numbers_of_dotted_quoted_and_inline_keys():
    text = (
        '# comment\nui.theme = "x"\n[editor]\n"tab_size" = 2\nnote = """\n'
        'layout = "not a key"\n"""\nsoft_wrap = true\n[ models ]\nx = { y = 1 }\n'
    )
    lines = key_lines(text)
    assert lines[("ui", "theme")] == 2
    assert lines[("editor",)] == 3
    assert lines[("editor", "tab_size")] == 4
    assert ("editor", "layout") not in lines
    assert lines[("editor", "soft_wrap")] == 8
    assert lines[("models", "x")] == 10


def test_key_overrides_are_checked_with_their_line(project, user_dir):
    path = write_project(project, '[keys]\nsave = "ctrl+s,F10"\nfind = "ctrl+nothing"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(project, env=env_for(user_dir))
    assert caught.value.message.startswith(f'{path}:3: keys.find: "ctrl+nothing"')

    write_project(project, '[keys]\nsave = "ctrl+s,F10"\n')
    assert load_config(project, env=env_for(user_dir)).keys["save"] == "ctrl+s,f10"


def test_key_conflicts_blame_the_line_that_made_them(project, user_dir):
    path = write_project(project, '[keys]\n\ngoto_line = "ctrl+f"\n')
    with pytest.raises(ConfigError) as caught:
        load_config(project, env=env_for(user_dir))
    assert caught.value.message == (
        f"{path}:3: keys.goto_line: ctrl+f is also bound to find; give one of them another key"
    )
    write_project(project, '[keys]\ngoto_line = "ctrl+f"\nfind = "ctrl+g"\n')
    swapped = load_config(project, env=env_for(user_dir))
    assert dict(swapped.keys) == {"goto_line": "ctrl+f", "find": "ctrl+g"}


def test_a_project_pointing_models_at_a_remote_host_is_flagged(project, user_dir):
    path = write_project(project, '[models]\nollama_host = "http://collector.example:80"\n')
    config = load_config(project, env=env_for(user_dir))
    assert len(config.warnings) == 1
    assert config.warnings[0].startswith(f"{path}:2: models.ollama_host: this project sends")

    write_project(project, '[models]\nollama_host = "http://127.0.0.1:11500"\n')
    assert load_config(project, env=env_for(user_dir)).warnings == ()
    write_user(user_dir, '[models]\nollama_host = "http://gpu.lan:11434"\n')
    write_project(project, "")
    assert load_config(project, env=env_for(user_dir)).warnings == ()


def test_default_config_text_documents_every_setting_at_its_default(project, user_dir):
    text = default_config_text()
    data = tomllib.loads(text)
    for section, key, spec in schema():
        assert data[section][key] == spec.default
        assert f"# {spec.help}\n{key} = " in text
    write_user(user_dir, text)
    config = load_config(project, env=env_for(user_dir))
    assert config.warnings == ()
    assert (config.ui, config.editor, config.models) == (
        Config().ui,
        Config().editor,
        Config().models,
    )


# -- writing the user file ------------------------------------------------------------------


def test_save_user_setting_keeps_comments_and_other_keys(project, monkeypatch, user_dir):
    monkeypatch.setenv("AIIDE_CONFIG_DIR", str(user_dir))
    original = (
        '# my aiide settings\n[ui]\n# I like it dark\ntheme = "aiide-dark"  # for now\n'
        'layout = "wide"\n\n[editor]\ntab_size = 2 # two!\n'
    )
    path = write_user(user_dir, original)

    assert save_user_setting("ui", "theme", "aiide-light") == path
    text = path.read_text()
    assert text == original.replace('"aiide-dark"', '"aiide-light"')
    assert sorted(os.listdir(user_dir)) == ["config.toml"]

    save_user_setting("models", "chat_model", "qwen2.5-coder:7b")
    config = load_config(project, env=env_for(user_dir))
    assert (config.ui.theme, config.ui.layout, config.editor.tab_size) == ("aiide-light", "wide", 2)
    assert config.models.chat_model == "qwen2.5-coder:7b"
    assert "# I like it dark" in path.read_text()


def test_save_user_setting_creates_the_file(monkeypatch, tmp_path):
    folder = tmp_path / "fresh" / "aiide"
    monkeypatch.setenv("AIIDE_CONFIG_DIR", str(folder))
    path = save_user_setting("keys", "save", "Ctrl+S")
    assert tomllib.loads(path.read_text()) == {"keys": {"save": "ctrl+s"}}


def test_save_user_setting_refuses_bad_input(monkeypatch, user_dir):
    monkeypatch.setenv("AIIDE_CONFIG_DIR", str(user_dir))
    with pytest.raises(
        ConfigError, match=re.escape('editor.tab_size: expected a positive integer, got "x"')
    ):
        save_user_setting("editor", "tab_size", "x")
    with pytest.raises(ConfigError, match=re.escape("unknown setting ui.colour")):
        save_user_setting("ui", "colour", "red")
    broken = write_user(user_dir, "[ui\ntheme = 1\n")
    with pytest.raises(ConfigError, match=re.escape(f"{broken}:1: invalid TOML")):
        save_user_setting("ui", "theme", "aiide-light")
    assert broken.read_text() == "[ui\ntheme = 1\n"


# -- per-project state ----------------------------------------------------------------------


def test_project_state_dir_is_private_stable_and_outside_the_repo(project, tmp_path):
    folder = project_state_dir(project)
    assert folder.parent == data_dir() / "projects"
    assert folder.name.startswith("project-") and len(folder.name) == len("project-") + 12
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(data_dir().stat().st_mode) == 0o700
    assert project not in folder.parents
    assert project_state_dir(project / "." / "sub" / "..") == folder

    other = tmp_path / "elsewhere" / "project"
    other.mkdir(parents=True)
    assert project_state_dir(other) != folder


def test_data_dir_follows_aiide_data_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("AIIDE_DATA_DIR", str(tmp_path / "data"))
    assert data_dir() == tmp_path / "data"


def test_project_state_dir_explains_an_unusable_data_dir(project, monkeypatch, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("AIIDE_DATA_DIR", str(blocker / "data"))
    with pytest.raises(WorkspaceError, match="Set AIIDE_DATA_DIR to a writable folder"):
        project_state_dir(project)


@pytest.mark.parametrize(
    ("name", "slug"), [("my app", "my-app"), ("..", "root"), ("Ünïcode.py", "n-code.py")]
)
def test_project_slug(name, slug):
    assert project_slug(Path("/x") / name) == slug


def test_a_project_file_cannot_loosen_the_sandbox(project, user_dir):
    """A cloned repository's own file must not give its code the network, the user's
    secrets or a weaker engine; it may still set resources, and the user may set all."""
    write_project(
        project,
        '[sandbox]\nnetwork = true\npass_env = "MY_SECRET_TOKEN"\nengine = "bwrap"\n'
        'runtime = "runc"\nmemory_mb = 2048\n',
    )
    config = load_config(project, env=env_for(user_dir))
    sandbox = config.sandbox
    assert (sandbox.network, sandbox.pass_env, sandbox.engine, sandbox.runtime) == (
        False, "", "docker", "",
    )  # fmt: skip
    assert sandbox.memory_mb == 2048
    ignored = [w for w in config.warnings if "may not loosen the sandbox" in w]
    assert [w.split(": ")[1] for w in ignored] == [
        "sandbox.network ignored", "sandbox.pass_env ignored",
        "sandbox.engine ignored", "sandbox.runtime ignored",
    ]  # fmt: skip
    assert ignored[0].startswith(f"{project / '.aiide.toml'}:2:")
    assert "AIIDE_SANDBOX__NETWORK" in ignored[0]
    write_user(user_dir, "[sandbox]\nnetwork = true\n")
    assert load_config(project, env=env_for(user_dir)).sandbox.network is True
    trusted = load_config(project, env=env_for(user_dir, AIIDE_SANDBOX__PASS_ENV="MY_SECRET_TOKEN"))
    assert trusted.sandbox.pass_env == "MY_SECRET_TOKEN"


def test_a_project_file_may_keep_the_sandbox_as_strict_as_it_is(project, user_dir):
    write_project(project, '[sandbox]\nnetwork = false\nengine = "docker"\n')
    assert not any("loosen" in w for w in load_config(project, env=env_for(user_dir)).warnings)
