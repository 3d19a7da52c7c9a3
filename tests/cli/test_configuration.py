"""The user's own config.toml (platformdirs), `digest config` with each setting's origin, `config path`, and -h."""

import json

import pytest
import typer.main

from authoring.cli import app
from tests.conftest import FAKE_KEY
from tests.helpers import assert_one_line_error, ok, paper, run
from tools.standin import StandIn

DAY = "2024-10-08"


@pytest.fixture
def user_file(tmp_path, monkeypatch):
    """$XDG_CONFIG_HOME/digest/config.toml, in a working directory of its own (no ./digest.toml yet)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "xdg" / "digest" / "config.toml"
    path.parent.mkdir(parents=True)
    return path


def settings_shown(*args, env=None) -> dict:
    result = run("config", *args, "--json", env=env)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["settings"]


def test_the_user_files_model_is_the_one_asked_for(user_file, tmp_path):
    user_file.write_text('model = "model-from-user-file"\n')
    asked = []

    def chat(body):
        asked.append(body["model"])
        return ok(body)

    with StandIn({"2410.00001": paper("2410.00001")}, chat=chat) as stand_in:
        result = run("new", DAY, "2410.00001", "--base-url", f"{stand_in.url}/v1", "--output-dir",
                     str(tmp_path / "out"), env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})
    assert result.exit_code == 0, result.output
    assert asked == ["model-from-user-file"]
    shown = settings_shown()
    assert shown["model"] == {"value": "model-from-user-file", "origin": f"user file {user_file}"}


def test_precedence_flag_over_environment_over_project_file_over_user_file(user_file, tmp_path):
    user_file.write_text('model = "user"\nconcurrency = 2\nmax_authors = 3\nlanguage = "Korean"\n')
    (tmp_path / "digest.toml").write_text('model = "project"\nconcurrency = 4\n')
    shown = settings_shown(env={"DIGEST_CONCURRENCY": "6"})
    assert shown["model"] == {"value": "project", "origin": f"project file {tmp_path / 'digest.toml'}"}
    assert shown["concurrency"] == {"value": 6, "origin": "environment variable DIGEST_CONCURRENCY"}
    assert shown["max_authors"] == {"value": 3, "origin": f"user file {user_file}"}
    assert shown["language"]["value"] == "Korean"
    assert shown["temperature"] == {"value": None, "origin": "default"}
    assert settings_shown("--model", "flag")["model"] == {"value": "flag", "origin": "flag"}


def test_config_shows_the_key_as_set_never_its_value(user_file):
    result = run("config")
    assert result.exit_code == 0 and FAKE_KEY not in result.output
    assert settings_shown()["api_key"] == {"value": "set", "origin": "environment variable OPENAI_API_KEY"}
    assert settings_shown(env={"OPENAI_API_KEY": ""})["api_key"] == {"value": "not set", "origin": "default"}
    shown = settings_shown("--base-url", "http://user:hunter2@127.0.0.1:9/v1")
    assert "hunter2" not in json.dumps(shown) and shown["base_url"]["origin"] == "flag"


def test_config_lists_every_setting_in_a_table(user_file):
    from authoring.config import Settings

    user_file.write_text('model = "m"\n')
    result = run("config")
    assert result.exit_code == 0, result.output
    for name in Settings.model_fields:
        assert name in result.stdout
    assert "user file" in result.stdout and "default" in result.stdout


def test_config_path_prints_the_files_read(user_file, tmp_path):
    result = run("config", "path")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"{tmp_path / 'digest.toml'}  (project file, not there)",
                                          f"{user_file}  (user file, not there)"]
    user_file.write_text("")
    assert run("config", "path").stdout.splitlines()[1] == f"{user_file}  (user file)"


@pytest.mark.parametrize(("text", "message"), [
    ('modle = "x"', "config.toml: unknown setting 'modle'"),
    ('api_key = "sk-x"', "config.toml: unknown setting 'api_key'; put the key in OPENAI_API_KEY"),
    ("concurrency = 0", "config.toml: concurrency must be at least 1"),
    ("model = [", "config.toml is not valid TOML"),
    ("max_cost = -1", "config.toml: max_cost must be a positive amount of US$"),
])
def test_a_bad_user_file_is_one_line_naming_it(user_file, text, message):
    user_file.write_text(text)
    result = run("config")
    assert_one_line_error(result, str(user_file.parent), message)


def test_a_bad_project_file_is_named_not_the_user_file(user_file, tmp_path):
    user_file.write_text('model = "fine"\n')
    (tmp_path / "digest.toml").write_text("concurrency = 0\n")
    assert_one_line_error(run("config"), f"{tmp_path / 'digest.toml'}: concurrency must be at least 1")


def _commands(command, path=()):
    yield path, command
    for name, sub in getattr(command, "commands", {}).items():
        yield from _commands(sub, (*path, name))


def test_dash_h_is_help_everywhere():
    for path, _ in _commands(typer.main.get_command(app)):
        result = run(*path, "-h")
        assert result.exit_code == 0, (path, result.output)
        assert result.stdout.startswith("Usage: ") and result.stdout == run(*path, "--help").stdout, path
