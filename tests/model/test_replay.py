"""Recording and replaying whole runs: secrets filtered, body matching, safe recording."""

import json
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
    assert replayed.api_key.get_secret_value() == replay.REPLAY_PLACEHOLDER_KEY
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
    from tests.helpers import ok, paper, run

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
    from tests.helpers import assert_one_line_error, run

    folder = tmp_path / "day.yaml"
    folder.mkdir()
    for extra in ([], ["--record"]):
        result = run("new", "2024-10-08", "2410.05258", "--cassette", str(folder), *extra, "--output-dir",
                     str(tmp_path / "out"))
        assert_one_line_error(result, "is a folder")
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------------------- recording extends, never loses
def _interaction(method, uri, body, status, answer):
    return {"request": {"method": method, "uri": uri, "body": body, "headers": {}},
            "response": {"status": {"code": status, "message": ""}, "headers": {}, "body": {"string": answer}}}


def _chat(paper_text, status=200, answer="ok"):
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": paper_text}]})
    return _interaction("POST", "https://api.openai.com/v1/chat/completions", body, status, answer)


LISTING = "https://huggingface.co/api/daily_papers?date=2024-10-09"


def test_merge_adds_new_requests_and_keeps_what_was_recorded():
    old = [_interaction("GET", LISTING, None, 200, "[1]"), _chat("A"), _chat("B", 500, "down")]
    new = [_interaction("GET", LISTING, None, 200, "[1, 2]"), _chat("B"), _chat("C")]
    merged, added = replay.merge(old, new)
    # the listing the day was built from stays; B's failure is replaced by its answer, in place; C is added
    assert [(i["request"]["body"], i["response"]["body"]["string"]) for i in merged] == [
        (None, "[1]"), (old[1]["request"]["body"], "ok"), (new[1]["request"]["body"], "ok"),
        (new[2]["request"]["body"], "ok")]
    assert added == 2


def test_merge_never_replaces_a_recorded_answer_with_a_failure():
    old = [_chat("A", 200, "first"), _interaction("GET", LISTING, None, 503, "busy")]
    merged, added = replay.merge(old, [_chat("A", 500, "down"), _interaction("GET", LISTING, None, 200, "[1]")])
    assert [i["response"]["body"]["string"] for i in merged] == ["first", "[1]"] and added == 1
    merged, added = replay.merge(old, [_chat("A", 200, "regenerated")])
    assert merged[0]["response"]["body"]["string"] == "regenerated" and added == 1
    assert replay.merge(old, [_chat("A", 200, "first")]) == (old, 0)  # the same answer again adds nothing


class _Day:
    """`digest new 2024-10-08 IDS` against one stand-in (its address is in the recorded URLs, so every run, and the
    replays after it has stopped, use the same one)."""

    def __init__(self, tmp_path, ids, chat):
        from tests.helpers import paper

        self.cassette, self.ids, self.chat = tmp_path / "day.yaml", ids, chat
        self.stand_in = StandIn({i: paper(i) for i in ids}, chat=lambda body: self.chat(body))
        self.stand_in.__enter__()

    def __call__(self, out, *extra, record=True):
        from tests.helpers import run

        return run("new", "2024-10-08", *self.ids, "--base-url", f"{self.stand_in.url}/v1", "--cassette",
                   str(self.cassette), *(["--record"] if record else []), "--output-dir", str(out), *extra,
                   env={"DIGEST_ARXIV_API_URL": f"{self.stand_in.url}/api/query"})

    def stop(self):
        self.stand_in.__exit__(None, None, None)


def _answer_naming_the_paper(body):
    from tests.helpers import title_of

    answer = {"objective": f"About {title_of(body)}.", "method": "M.", "result": "R 1%.", "implication": "I.",
              "questions": ["a?", "b?"]}
    return Reply(200, chat_completion(json.dumps(answer), model=body["model"], created=1, usage=(1, 1)))


IDS = ["2410.00001", "2410.00002", "2410.00003"]


def test_a_re_run_that_sends_nothing_new_leaves_the_cassette_byte_identical(tmp_path):
    day = _Day(tmp_path, IDS, _answer_naming_the_paper)
    first = day(tmp_path / "out")
    assert first.exit_code == 0, first.output
    before = day.cassette.read_bytes()
    again = day(tmp_path / "out")  # the day is finished: "Nothing to do"
    assert again.exit_code == 0 and "Nothing to do" in again.stdout and len(day.stand_in.requests()) == 4
    assert day.cassette.read_bytes() == before
    # the same run recorded again (the stand-in answers with new Date headers): the same bytes
    again = day(tmp_path / "out2")
    day.stop()
    assert again.exit_code == 0 and len(day.stand_in.requests()) == 8
    assert day.cassette.read_bytes() == before


def test_a_day_finished_by_a_re_run_after_a_failure_replays_whole(tmp_path):
    def flaky(body):
        return Reply(400, b'{"error": {"message": "bad paper"}}') if "00002" in body["messages"][-1]["content"] \
            else _answer_naming_the_paper(body)

    day = _Day(tmp_path, IDS, flaky)
    failed = day(tmp_path / "out")
    assert failed.exit_code == 1 and "1 of 3 papers failed" in failed.stderr
    day.chat = _answer_naming_the_paper
    resumed = day(tmp_path / "out")
    day.stop()
    assert resumed.exit_code == 0, resumed.output
    assert len(day.stand_in.requests("POST")) == 3 + 1  # only the failed paper was asked again
    replayed = day(tmp_path / "replay", record=False)
    assert replayed.exit_code == 0, replayed.output
    assert (tmp_path / "replay" / "2024-10-08.md").read_text() == (tmp_path / "out" / "2024-10-08.md").read_text()


# ---------------------------------------------------------------------------- replay across prompt changes
def test_a_changed_prompt_replays_with_each_papers_recorded_answer_and_says_so(tmp_path, monkeypatch):
    from tests.conftest import ROOT

    day, live = _Day(tmp_path, IDS, _answer_naming_the_paper), tmp_path / "live"
    recorded = day(live, "--concurrency", "3")
    day.stop()
    assert recorded.exit_code == 0, recorded.output
    prompts = tmp_path / "prompts"
    prompts.mkdir()
    for name in ("system.j2", "user.j2"):
        (prompts / name).write_text((ROOT / "prompts" / name).read_text() + "\nOne more rule.\n")
    monkeypatch.delenv("DIGEST_STRICT_REPLAY")
    replayed = day(tmp_path / "replay", "--prompts", str(prompts), record=False)
    assert replayed.exit_code == 0, replayed.output
    assert ("3 answers were recorded with other prompts; re-record to see the new prompts' effect "
            "(--strict-replay fails instead)") in replayed.stderr
    assert (tmp_path / "replay" / "2024-10-08.md").read_text() == (live / "2024-10-08.md").read_text()

    strict = day(tmp_path / "strict", "--prompts", str(prompts), "--strict-replay", record=False)
    assert strict.exit_code == 1 and "request not recorded in" in strict.stderr
    assert "--strict-replay: the prompts must be the recorded ones" in strict.stderr
    unchanged = day(tmp_path / "same", record=False)  # the recorded prompts: nothing to say
    assert unchanged.exit_code == 0 and "other prompts" not in unchanged.stderr


def test_another_model_is_not_answered_from_the_recording(tmp_path, monkeypatch):
    day = _Day(tmp_path, IDS[:1], _answer_naming_the_paper)
    recorded = day(tmp_path / "live")
    day.stop()
    assert recorded.exit_code == 0, recorded.output
    monkeypatch.delenv("DIGEST_STRICT_REPLAY")
    other = day(tmp_path / "replay", "--model", "another-model", record=False)
    assert other.exit_code == 1 and "request not recorded in" in other.stderr


# ---------------------------------------------------------------------------- not a cassette of digest
@pytest.mark.parametrize("text, fragment", [
    ("- request: {uri: 'https://export.arxiv.org/api/query'}\n  response: {}\n", "not a usable vcrpy cassette"),
    ('{"interactions": {"request": 1}}', "not the layout digest records"),
    ("interactions:\n- request: {method: GET, uri: 'https://api.github.com/repos/x/y', body: null, headers: {}}\n"
     "  response: {status: {code: 200, message: OK}, headers: {}, body: {string: '{}'}}\nversion: 1\n",
     "was not recorded by digest: none of its 1 request goes to arXiv, the Hub or a model server (the first is GET "
     "https://api.github.com/repos/x/y)"),
], ids=["old vcrpy layout", "another layout", "another tool's requests"])
def test_a_cassette_that_is_not_one_of_digest_is_one_line_before_any_day_is_written(tmp_path, text, fragment):
    from tests.helpers import assert_one_line_error, run

    cassette = tmp_path / "other.yaml"
    cassette.write_text(text)
    for extra in ([], ["--record"]):
        result = run("new", "2024-10-08", "--from-hf", "--cassette", str(cassette), *extra, "--output-dir",
                     str(tmp_path / "out"))
        assert_one_line_error(result, fragment)
    assert not (tmp_path / "out").exists() and cassette.read_text() == text
