from pathlib import Path

import pytest

from authoring import config
from authoring.errors import ConfigError


@pytest.fixture
def load(monkeypatch):
    """config.load run in folder `cwd` with exactly the variables `environ` (and the conftest's key unless given)."""
    def load_in(flags=None, *, cwd, environ):
        cwd.mkdir(parents=True, exist_ok=True)
        monkeypatch.chdir(cwd)
        for var in (*config.ENV_VARS, "HTTPS_PROXY", "HTTP_PROXY", "NO_PROXY", "ALL_PROXY"):
            monkeypatch.delenv(var, raising=False)
            monkeypatch.delenv(var.lower(), raising=False)
        for var, value in environ.items():
            monkeypatch.setenv(var, value)
        return config.load(flags)
    return load_in


def test_precedence_flags_over_env_over_file_over_defaults(load, tmp_path):
    (tmp_path / "digest.toml").write_text('model = "from-file"\nconcurrency = 3\nmax_authors = 4\n')
    env = {"DIGEST_MODEL": "from-env", "DIGEST_CONCURRENCY": "5"}
    settings = load({"model": "from-flag", "concurrency": None}, cwd=tmp_path, environ=env)
    assert settings.model == "from-flag"
    assert settings.concurrency == 5
    assert settings.max_authors == 4
    assert settings.arxiv_api_url == "https://export.arxiv.org/api/query"
    assert load(cwd=tmp_path, environ={}).model == "from-file"
    assert load(cwd=tmp_path / "nowhere", environ={}).model == config.DEFAULT_MODEL


def test_environment_names(load, tmp_path):
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://localhost:8000/v1",
           "DIGEST_ARXIV_API_URL": "http://mirror.example/api/query", "DIGEST_OUTPUT_DIR": "~/digests"}
    settings = load(cwd=tmp_path, environ=env)
    assert settings.api_key.get_secret_value() == "k" and settings.base_url == "http://localhost:8000/v1"
    assert settings.arxiv_api_url == "http://mirror.example/api/query"
    assert settings.output_dir == Path("~/digests").expanduser()


def test_key_never_shows_in_repr(load, tmp_path):
    settings = load(cwd=tmp_path, environ={"OPENAI_API_KEY": "sk-very-secret"})
    assert "sk-very-secret" not in repr(settings)


def test_prompts_folder_in_working_directory_overrides_defaults(load, tmp_path):
    assert load(cwd=tmp_path, environ={}).prompts_dir is None
    (tmp_path / "prompts").mkdir()
    assert load(cwd=tmp_path, environ={}).prompts_dir == tmp_path / "prompts"


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('modle = "x"', "unknown setting 'modle'"),
        ('api_key = "sk-x"', "put the key in OPENAI_API_KEY"),
        ("concurrency = 'many'", "'many' is not a valid value for concurrency"),
        ("concurrency = 0", "concurrency must be at least 1"),
        ("model = [", "is not valid TOML"),
    ],
)
def test_bad_config_file_is_a_clear_error(load, tmp_path, toml, message):
    (tmp_path / "digest.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load(cwd=tmp_path, environ={})


@pytest.mark.parametrize("url", [" http://127.0.0.1:8000/v1", "127.0.0.1:8000/v1", "ftp://host/v1", "http:///v1",
                                 "http://host:port/v1", "http://user:secret@host/v 1", "user:secret@host:8080/v1",
                                 "http://host:0/v1", "http://ho\u200bst/v1", "http://host\x00x/v1", "http://a..b/v1",
                                 "http://.../v1", f"http://{'a' * 64}.example/v1", "http://%zz/v1"])
def test_a_server_address_that_is_not_one_is_refused_before_any_request(load, tmp_path, url):
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL|base_url must be an http:// or https:// address") as info:
        if "\x00" in url:  # no environment can hold a NUL byte; a flag can
            load({"base_url": url}, cwd=tmp_path, environ={})
        else:
            load(cwd=tmp_path, environ={"OPENAI_BASE_URL": url})
    assert "secret" not in str(info.value)
    for good in ("HTTP://[::1]:8000/v1", "http://my_service:8000/v1", "https://bücher.example/v1",
                 "http://gpu-box.lan.:8000/v1"):
        load(cwd=tmp_path, environ={"OPENAI_BASE_URL": good})


def test_bad_environment_value_names_the_variable(load, tmp_path):
    with pytest.raises(ConfigError, match="DIGEST_CONCURRENCY: 'lots'"):
        load(cwd=tmp_path, environ={"DIGEST_CONCURRENCY": "lots"})


def test_each_source_gives_way_to_the_one_above_it(load, tmp_path):
    """flags > environment > ./digest.toml > defaults, one layer taken away at a time."""
    (tmp_path / "digest.toml").write_text('model = "from-file"\nmax_authors = 3\n[prices]\n'
                                          '"from-file" = { input = 1.5, output = 6.0 }\n')
    env = {"DIGEST_MODEL": "from-env"}
    assert load({"model": "from-flag"}, cwd=tmp_path, environ=env).model == "from-flag"
    assert load({"model": None}, cwd=tmp_path, environ=env).model == "from-env"
    from_file = load(cwd=tmp_path, environ={})
    assert (from_file.model, from_file.max_authors) == ("from-file", 3)
    assert from_file.prices["from-file"] == (1.5, 6.0) and from_file.prices["gpt-5-mini"] == (0.25, 2.0)
    defaults = load(cwd=tmp_path / "elsewhere", environ={})
    assert (defaults.model, defaults.max_authors, defaults.concurrency) == ("gpt-5-mini", 5, 8)


def test_visual_wins_over_editor_and_hf_endpoint_is_read(load, tmp_path):
    assert load(cwd=tmp_path, environ={"EDITOR": "nano"}).editor == "nano"
    both = load(cwd=tmp_path, environ={"EDITOR": "nano", "VISUAL": "code -w", "HF_ENDPOINT": "http://127.0.0.1:9/"})
    assert (both.editor, both.hf_endpoint) == ("code -w", "http://127.0.0.1:9/")


@pytest.mark.parametrize(("flags", "environ", "toml", "message"), [
    ({"concurrency": 0}, {}, "", "--concurrency: concurrency must be at least 1 (got 0)"),
    ({}, {"DIGEST_LOCK_TIMEOUT": "-1"}, "", "DIGEST_LOCK_TIMEOUT: lock_timeout must be at least 0 (got '-1')"),
    ({}, {}, "model_timeout = 0\n", "digest.toml: model_timeout must be a positive number of seconds (got 0)"),
    ({}, {"DIGEST_PROMPTS_DIR": "/no/such"}, "", "prompts folder /no/such does not exist (DIGEST_PROMPTS_DIR)"),
    ({}, {}, '[prices]\nm = { input = "x" }\n',
     'digest.toml: prices for \'m\' must look like "m" = { input = 0.25, output = 2.0 }'),
])
def test_a_bad_value_names_the_setting_and_where_it_came_from_in_one_line(load, tmp_path, flags, environ, toml,
                                                                           message):
    (tmp_path / "digest.toml").write_text(toml)
    with pytest.raises(ConfigError) as info:
        load(flags, cwd=tmp_path, environ=environ)
    assert str(info.value).endswith(message) and "\n" not in str(info.value)
    assert "pydantic" not in str(info.value) and "validation error" not in str(info.value).lower()


def test_the_key_is_a_secret_in_every_dump(load, tmp_path):
    settings = load(cwd=tmp_path, environ={"OPENAI_API_KEY": "sk-very-secret"})
    for shown in (repr(settings), str(settings), settings.model_dump_json(), str(settings.model_dump()),
                  repr(settings.replace(model="other"))):
        assert "sk-very-secret" not in shown
    assert settings.api_key.get_secret_value() == "sk-very-secret"
    assert settings.replace(api_key="sk-other").secrets() == ["sk-other"]


def test_the_key_never_prints_in_a_traceback_or_json(tmp_path):
    """DIGEST_DEBUG=1 shows the traceback of a failed run; --json prints the error: neither shows the key."""
    import os
    import subprocess
    import sys

    from tests.conftest import ROOT

    env = {**os.environ, "OPENAI_API_KEY": "sk-never-print-me-123", "DIGEST_DEBUG": "1"}
    for extra in ([], ["--json"]):
        result = subprocess.run([sys.executable, "-m", "authoring", "resume", "2024-10-08", *extra, "--output-dir",
                                 str(tmp_path)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert result.returncode == 1
        assert "sk-never-print-me" not in result.stdout + result.stderr
    assert "Traceback" in result.stderr  # the debug run did show its traceback, locals and all
