"""Shared test set-up: one vcr config (the CLI's own), cassettes in the top-level cassettes/ folder, a fake key."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings as hypothesis_settings

from authoring.config import Settings
from authoring.model.replay import match_body
from authoring.model.replay import vcr_config as digest_vcr_config
from authoring.models import Paper

ROOT = Path(__file__).resolve().parent.parent
CASSETTES = ROOT / "cassettes"
FAKE_KEY = "sk-test-not-a-real-key"

# Property tests give one answer under CI=true (the same examples on every run, no example database); locally they
# draw new examples each run, and every counterexample they ever found is kept as an @example beside its test.
hypothesis_settings.register_profile("digest-ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("digest-dev", derandomize=False, print_blob=True)
_ON_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
hypothesis_settings.load_profile("digest-ci" if _ON_CI else "digest-dev")


def pytest_recording_configure(config, vcr) -> None:
    vcr.register_matcher("digest_body", match_body)


@pytest.fixture(scope="module")
def vcr_config():
    # Never a record_mode here: it would override --record-mode=none from the command line.
    return digest_vcr_config()


@pytest.fixture(scope="module")
def vcr_cassette_dir():
    return str(CASSETTES)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch, tmp_path_factory):
    """A developer's real key or settings (variables, their own config.toml) never reach a test."""
    for var in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DIGEST_MODEL", "DIGEST_ARXIV_API_URL", "DIGEST_CONCURRENCY",
                "DIGEST_OUTPUT_DIR", "DIGEST_PROMPTS_DIR", "DIGEST_MAX_AUTHORS", "DIGEST_DEBUG", "DIGEST_AUTHORS_STYLE",
                "HF_ENDPOINT", "DIGEST_ARXIV_PDF_URL", "DIGEST_LOCK_TIMEOUT", "DIGEST_TEMPLATES_DIR",
                "DIGEST_LANGUAGE", "DIGEST_MAX_COST", "DIGEST_SEND_TO", "DIGEST_FEED_DAYS",
                "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                "no_proxy"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("OPENAI_API_KEY", FAKE_KEY)
    # The user config folder (platformdirs reads XDG_CONFIG_HOME): one that holds nothing, unless a test writes it.
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.getbasetemp() / "no-user-config"))
    # The project's own replays are strict: a changed prompt must fail them, never borrow a recorded answer.
    monkeypatch.setenv("DIGEST_STRICT_REPLAY", "1")


@pytest.fixture
def settings(tmp_path) -> Settings:
    """Test settings: no politeness delay, no retry waits, output in a temporary folder."""
    return Settings(api_key=FAKE_KEY, arxiv_delay_seconds=0.0, retry_base_delay=0.0, output_dir=tmp_path / "output")


@pytest.fixture
def clinical_paper() -> Paper:
    """2410.05046 as the arXiv source reads it: the paper the model-level cassettes were assembled for."""
    from tools.assemble_cassettes import test_paper

    return test_paper()
