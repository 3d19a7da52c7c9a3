from pathlib import Path

import pytest

from authoring import config
from authoring.errors import ConfigError


def test_precedence_flags_over_env_over_file_over_defaults(tmp_path):
    (tmp_path / "digest.toml").write_text('model = "from-file"\nconcurrency = 3\nmax_authors = 4\n')
    env = {"DIGEST_MODEL": "from-env", "DIGEST_CONCURRENCY": "5"}
    settings = config.load({"model": "from-flag", "concurrency": None}, cwd=tmp_path, environ=env)
    assert settings.model == "from-flag"
    assert settings.concurrency == 5
    assert settings.max_authors == 4
    assert settings.arxiv_api_url == "https://export.arxiv.org/api/query"
    assert config.load(cwd=tmp_path, environ={}).model == "from-file"
    assert config.load(cwd=tmp_path / "nowhere", environ={}).model == config.DEFAULT_MODEL


def test_environment_names(tmp_path):
    env = {"OPENAI_API_KEY": "k", "OPENAI_BASE_URL": "http://localhost:8000/v1",
           "DIGEST_ARXIV_API_URL": "http://mirror.example/api/query", "DIGEST_OUTPUT_DIR": "~/digests"}
    settings = config.load(cwd=tmp_path, environ=env)
    assert settings.api_key == "k" and settings.base_url == "http://localhost:8000/v1"
    assert settings.arxiv_api_url == "http://mirror.example/api/query"
    assert settings.output_dir == Path("~/digests").expanduser()


def test_key_never_shows_in_repr(tmp_path):
    settings = config.load(cwd=tmp_path, environ={"OPENAI_API_KEY": "sk-very-secret"})
    assert "sk-very-secret" not in repr(settings)


def test_prompts_folder_in_working_directory_overrides_defaults(tmp_path):
    assert config.load(cwd=tmp_path, environ={}).prompts_dir is None
    (tmp_path / "prompts").mkdir()
    assert config.load(cwd=tmp_path, environ={}).prompts_dir == tmp_path / "prompts"


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
def test_bad_config_file_is_a_clear_error(tmp_path, toml, message):
    (tmp_path / "digest.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        config.load(cwd=tmp_path, environ={})


@pytest.mark.parametrize("url", [" http://127.0.0.1:8000/v1", "127.0.0.1:8000/v1", "ftp://host/v1", "http:///v1",
                                 "http://host:port/v1", "http://user:secret@host/v 1", "user:secret@host:8080/v1",
                                 "http://host:0/v1", "http://ho\u200bst/v1", "http://host\x00x/v1", "http://a..b/v1",
                                 "http://.../v1", f"http://{'a' * 64}.example/v1", "http://%zz/v1"])
def test_a_server_address_that_is_not_one_is_refused_before_any_request(tmp_path, url):
    with pytest.raises(ConfigError, match="OPENAI_BASE_URL|base_url must be an http:// or https:// address") as info:
        config.load(cwd=tmp_path, environ={"OPENAI_BASE_URL": url})
    assert "secret" not in str(info.value)
    for good in ("HTTP://[::1]:8000/v1", "http://my_service:8000/v1", "https://bücher.example/v1",
                 "http://gpu-box.lan.:8000/v1"):
        config.load(cwd=tmp_path, environ={"OPENAI_BASE_URL": good})


def test_bad_environment_value_names_the_variable(tmp_path):
    with pytest.raises(ConfigError, match="DIGEST_CONCURRENCY: 'lots'"):
        config.load(cwd=tmp_path, environ={"DIGEST_CONCURRENCY": "lots"})
