"""Recording and replaying whole runs: secrets filtered, body matching, safe recording."""

import re
from pathlib import Path

import pytest

from authoring.errors import CassetteError
from authoring.model import llm, replay
from authoring.model.prompts import build_messages
from tests.conftest import CASSETTES
from tools.standin import Reply, StandIn, chat_completion

SECRET = "sk-proj-SECRETSECRETSECRETSECRET1234"
VALID = '{"objective": "O.", "method": "M.", "result": "R 1%.", "implication": "I.", "questions": ["a?", "b?"]}'


def _reply(body):
    return Reply(200, chat_completion(VALID, model=body["model"], created=1, usage=(1, 1)),
                 {"openai-organization": "org-secret", "set-cookie": "__cf_bm=secret", "x-request-id": "req_1"})


def test_recording_filters_secrets_both_ways(tmp_path, clinical_paper, settings):
    path = tmp_path / "run.yaml"
    with StandIn(chat=_reply) as stand_in:
        local = settings.replace(api_key=SECRET, base_url=f"{stand_in.url}/v1")
        with replay.cassette(path, record=True):
            llm.summarise(llm.make_client(local), build_messages(clinical_paper), local)
    text = path.read_text()
    assert SECRET not in text and "Bearer" not in text
    assert "org-secret" not in text and "__cf_bm" not in text and "req_1" not in text
    assert not path.with_name(".run.yaml.recording").exists()


def test_recording_over_a_file_that_is_no_cassette_is_refused_before_any_request(tmp_path, clinical_paper,
                                                                                   settings):
    path = tmp_path / "run.yaml"
    path.write_text("previous recording")
    with StandIn(chat=_reply) as stand_in:
        local = settings.replace(base_url=f"{stand_in.url}/v1")
        with pytest.raises(CassetteError, match="not the layout digest records"):
            with replay.cassette(path, record=True):
                llm.summarise(llm.make_client(local), build_messages(clinical_paper), local)
    assert path.read_text() == "previous recording" and stand_in.requests() == []


def test_a_failed_recording_still_extends_the_cassette(tmp_path, clinical_paper, settings):
    path = tmp_path / "run.yaml"
    with StandIn(chat=lambda body: Reply(500, b"{}")) as stand_in:
        local = settings.replace(base_url=f"{stand_in.url}/v1", model_attempts=1)
        with pytest.raises(llm.ModelError), replay.cassette(path, record=True) as recording:
            llm.summarise(llm.make_client(local), build_messages(clinical_paper), local)
    assert "code: 500" in path.read_text()
    assert not recording.scratch.parent.exists() and not recording.scratch.is_relative_to(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run.yaml"]  # nothing for `git add -A` to take


def test_replay_uses_a_placeholder_key_and_no_waits(settings):
    replayed = replay.replay_settings(settings.replace(api_key=SECRET), record=False)
    assert replayed.api_key == replay.REPLAY_PLACEHOLDER_KEY
    assert replayed.arxiv_delay_seconds == 0 and replayed.retry_base_delay == 0
    assert replay.replay_settings(settings, record=True) == settings


def test_replay_of_a_missing_cassette_is_an_error(tmp_path):
    with pytest.raises(CassetteError, match="does not exist"), replay.cassette(tmp_path / "x.yaml", record=False):
        pass


class _Request:
    def __init__(self, body):
        self.body = body


def test_body_matcher_compares_model_and_messages_only():
    base = '{"model": "m", "messages": [{"role": "user", "content": "paper A"}], "response_format": {"v": 1}}'
    schema_changed = '{"messages": [{"role": "user", "content": "paper A"}], "model": "m", "response_format": {"v": 2}}'
    other_paper = '{"model": "m", "messages": [{"role": "user", "content": "paper B"}]}'
    replay.match_body(_Request(base), _Request(schema_changed.encode()))
    with pytest.raises(AssertionError):
        replay.match_body(_Request(base), _Request(other_paper))
    replay.match_body(_Request(None), _Request(b""))


@pytest.mark.parametrize("cassette", sorted(CASSETTES.glob("*.yaml")), ids=lambda p: p.name)
def test_no_cassette_holds_a_secret(cassette: Path):
    text = cassette.read_text(encoding="utf-8")
    assert not re.search(r"(?im)^\s*authorization:", text)
    assert not re.search(r"sk-[A-Za-z0-9_-]{20,}|Bearer \S", text)
    assert "127.0.0.1" not in text


def test_record_then_replay_a_whole_cli_run(tmp_path):
    from tests.test_cli import run
    from tests.test_resilience import ok, paper

    ids = ["2410.00001", "2410.00002", "2410.00003"]
    cassette = tmp_path / "run.yaml"
    with StandIn({i: paper(i) for i in ids}, chat=ok) as stand_in:
        args = ["new", "2024-10-08", *ids, "--base-url", f"{stand_in.url}/v1", "--cassette", str(cassette)]
        env = {"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query", "OPENAI_API_KEY": SECRET}
        recorded = run(*args, "--record", "--output-dir", str(tmp_path / "live"), env=env)
    assert recorded.exit_code == 0, recorded.output
    assert SECRET not in cassette.read_text() and cassette.read_text().count("uri:") == 4
    # The stand-in is gone: the replay can only be answered from the cassette.
    replayed = run(*args, "--output-dir", str(tmp_path / "replay"), env={**env, "OPENAI_API_KEY": ""})
    assert replayed.exit_code == 0, replayed.output
    for name in ("2024-10-08.json", "2024-10-08.md"):
        assert (tmp_path / "replay" / name).read_bytes() == (tmp_path / "live" / name).read_bytes()


def test_a_cassette_path_that_is_a_folder_is_one_line_before_any_request(tmp_path):
    from tests.test_cli import assert_one_line_error, run

    folder = tmp_path / "day.yaml"
    folder.mkdir()
    for extra in ([], ["--record"]):
        result = run("new", "2024-10-08", "2410.05258", "--cassette", str(folder), *extra, "--output-dir",
                     str(tmp_path / "out"))
        assert_one_line_error(result, "is a folder")
    assert not (tmp_path / "out").exists()
