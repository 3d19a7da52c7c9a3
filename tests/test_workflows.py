"""The CI recipes run: examples/github-actions/daily.yml and replay.yml, their `run:` steps executed with bash in a
temporary digests repository (tests/workflows.py) against loopback stand-ins for the Hub, arXiv and the model."""

import json
from datetime import UTC, datetime

import pytest

from tests.conftest import FAKE_KEY, ROOT
from tests.helpers import paper
from tests.workflows import Runner, clone, digests_repository, git
from tools.standin import Reply, StandIn, chat_completion, hub_item

WORKFLOWS = ROOT / "examples" / "github-actions"
DAILY, REPLAY = WORKFLOWS / "daily.yml", WORKFLOWS / "replay.yml"
IDS = ["2410.00001", "2410.00002", "2410.00003"]
TODAY = datetime.now(UTC).date().isoformat()  # the workflow names the day with `date -u +%F`
GITIGNORE = "output/.locks/\noutput/.journal/\noutput/.recovery/\noutput/.history/\n"


def answer(body) -> Reply:
    """A valid summary naming its paper (so a replay that gave one paper another's answer would show)."""
    title = body["messages"][-1]["content"].split("Title: ", 1)[1].split("\n", 1)[0]
    summary = {"objective": f"Study {title}.", "method": "A method.", "result": "It gains 42%.",
               "implication": "Practitioners gain.", "questions": ["Why?", "How?"]}
    return Reply(200, chat_completion(json.dumps(summary), model=body["model"], created=1728345600, usage=(9, 9)))


class Services:
    """One stand-in for the whole test (its address is in the recorded URLs); `chat` can be swapped."""

    def __init__(self, listing=IDS):
        self.chat = answer
        items = [hub_item(i, f"Paper {i}", [("A. Author", None)], day=TODAY) for i in listing]
        self.stand_in = StandIn({i: paper(i) for i in IDS}, chat=lambda body: self.chat(body), hub={TODAY: items})

    def __enter__(self):
        self.stand_in.__enter__()
        return self

    def __exit__(self, *exc):
        self.stand_in.__exit__(*exc)

    def env(self) -> dict[str, str]:
        url = self.stand_in.url
        return {"HF_ENDPOINT": url, "DIGEST_ARXIV_API_URL": f"{url}/api/query", "OPENAI_BASE_URL": f"{url}/v1"}


@pytest.fixture
def daily(tmp_path):
    """(services, runner, repo, remote): a digests repository whose daily.yml runs against the stand-ins."""
    with Services() as services:
        repo, remote = digests_repository(tmp_path, GITIGNORE)
        runner = Runner(tmp_path, services.env(), {
            "secrets.OPENAI_API_KEY": FAKE_KEY, "github.repository_owner": "someone",
            "github.event.repository.name": "digests", "secrets.DIGEST_SEND_TO": ""})
        yield services, runner, repo, remote


def replay_in_a_fresh_clone(runner, remote, tmp_path, name, env=None, change=None):
    """replay.yml's job in a new clone of what daily.yml pushed (the stand-ins may be gone)."""
    checkout = clone(remote, tmp_path / name)
    if change:
        change(checkout)
    return runner.run(REPLAY, "replay", checkout, {"COMPARE_WITH_COMMITTED": "true", **(env or {})})


def test_first_run_then_a_re_run_leaves_the_day_and_its_cassette_as_they_were(daily, tmp_path):
    services, runner, repo, remote = daily
    first = runner.run(DAILY, "digest", repo)
    assert not first.failed, first.output
    assert first.step("Stop with").outcome == "skipped" and first.step("Check today").outcome == "success"
    assert f"Digest for {TODAY}" in git(remote, "log", "--format=%s", "-1")
    committed = set(git(remote, "ls-tree", "-r", "--name-only", "main").split())
    assert {f"output/{TODAY}.json", f"output/{TODAY}.md", f"cassettes/{TODAY}.yaml"} <= committed
    assert not any(".locks" in p or "recording" in p for p in committed)
    cassette = (repo / "cassettes" / f"{TODAY}.yaml").read_bytes()
    calls = len(services.stand_in.requests("POST"))
    assert calls == 3

    again = runner.run(DAILY, "digest", repo)  # "Re-run all jobs"
    assert not again.failed, again.output
    assert "Nothing new to commit." in again.step("Commit").stdout
    assert (repo / "cassettes" / f"{TODAY}.yaml").read_bytes() == cassette
    assert len(services.stand_in.requests("POST")) == calls  # the finished day asked the model nothing

    services.__exit__(None, None, None)  # offline from here on
    replayed = replay_in_a_fresh_clone(runner, remote, tmp_path, "pr")
    assert not replayed.failed, replayed.output
    assert "other prompts" not in replayed.output


def test_a_failed_paper_is_committed_said_once_and_a_re_run_finishes_a_day_that_replays_whole(daily, tmp_path):
    services, runner, repo, remote = daily
    services.chat = lambda body: Reply(400, b'{"error": {"message": "context too long"}}') \
        if "Paper 2410.00002" in body["messages"][-1]["content"] else answer(body)
    failed = runner.run(DAILY, "digest", repo)
    assert failed.failed and failed.step("Write").outcome == "failure"
    assert failed.step("Commit").outcome == "success" and "pathspec" not in failed.output
    stop = failed.step("Stop with")
    assert stop.outcome == "failure"
    assert stop.stdout.splitlines()[0].startswith("::error::1 of 3 papers failed; ")
    assert "The day is committed with its failed papers" in stop.stdout
    assert failed.step("Check today").outcome == "skipped"
    day = json.loads(git(remote, "show", f"main:output/{TODAY}.json"))
    assert [bool(e.get("error")) for e in day["entries"]] == [False, True, False]

    services.chat = answer  # fixed: "Re-run all jobs"
    finished = runner.run(DAILY, "digest", repo)
    assert not finished.failed, finished.output
    assert len(services.stand_in.requests("POST")) == 3 + 1  # only the failed paper was asked again

    services.__exit__(None, None, None)
    replayed = replay_in_a_fresh_clone(runner, remote, tmp_path, "pr")
    assert not replayed.failed, replayed.output  # the whole day, compared with the committed DATE.md


def test_a_failure_before_any_day_is_written_says_the_real_error_and_commits_nothing_missing(tmp_path):
    with Services(listing=[]) as services:  # the Hub lists nothing today
        repo, remote = digests_repository(tmp_path, GITIGNORE)
        runner = Runner(tmp_path, services.env(), {"secrets.OPENAI_API_KEY": FAKE_KEY})
        job = runner.run(DAILY, "digest", repo)
    assert job.failed and job.step("Commit").outcome == "success"
    assert "pathspec" not in job.output and not (repo / "output").exists()
    stop = job.step("Stop with").stdout.splitlines()
    assert len(stop) == 1 and stop[0].startswith(f"::error::the Hub lists no daily papers for {TODAY} at "), stop
    assert "failed papers" not in job.output


def test_a_prompt_change_replays_saying_so_and_the_strict_mode_fails_it(daily, tmp_path):
    services, runner, repo, remote = daily
    assert not runner.run(DAILY, "digest", repo).failed
    services.__exit__(None, None, None)

    def new_prompt(checkout):
        (checkout / "prompts").mkdir()
        text = (ROOT / "prompts" / "user.j2").read_text()
        (checkout / "prompts" / "user.j2").write_text(text + "Name the paper's datasets.\n")

    replayed = replay_in_a_fresh_clone(runner, remote, tmp_path, "pr", change=new_prompt)
    assert not replayed.failed, replayed.output
    assert "3 answers were recorded with other prompts; re-record to see the new prompts' effect" in replayed.output

    strict = replay_in_a_fresh_clone(runner, remote, tmp_path, "strict", {"DIGEST_STRICT_REPLAY": "1"}, new_prompt)
    assert strict.failed and strict.step("Replay").outcome == "failure"
    assert "request not recorded in cassettes/" in strict.output


def test_the_replay_compares_with_the_committed_day_when_asked(daily, tmp_path):
    services, runner, repo, remote = daily
    assert not runner.run(DAILY, "digest", repo).failed
    services.__exit__(None, None, None)

    def edit_the_day(checkout):  # a committed DATE.md that is not what its cassette makes
        path = checkout / "output" / f"{TODAY}.md"
        path.write_text(path.read_text().replace("It gains 42%.", "It gains 43%."))

    compared = replay_in_a_fresh_clone(runner, remote, tmp_path, "pr", change=edit_the_day)
    step = compared.step("Replay")
    assert step.outcome == "failure" and "-" in step.stdout and "It gains 43%." in step.stdout
    assert f"::error::the replay of {TODAY} differs from the committed output/{TODAY}.md (diff above)" in step.stdout


def test_the_optional_send_job_delivers_the_committed_day_once_and_commits_the_record(daily, tmp_path):
    from tests.send.test_deliver import Hook

    services, runner, repo, remote = daily
    assert not runner.run(DAILY, "digest", repo).failed
    unset = runner.run(DAILY, "send", repo)  # no DIGEST_SEND_TO secret: nothing to send, nothing to commit
    assert not unset.failed and "DIGEST_SEND_TO is not set: nothing to send." in unset.step("Send").stdout
    assert "No delivery to record." in unset.step("Commit the deliveries").stdout

    hook, broken = Hook(), Hook(status=500)
    try:
        runner.contexts["secrets.DIGEST_SEND_TO"] = f"{hook.url()} {broken.url('broken')}"
        sent = runner.run(DAILY, "send", repo)
        assert sent.failed and sent.step("Send").outcome == "failure"  # one destination failed...
        assert len(hook.received) == 1 and len(broken.received) == 1
        assert "Paper 2410.00001" in hook.received[0]["message"]
        assert "https://someone.github.io/digests/" + f"{TODAY}.html" in hook.received[0]["message"]
        assert sent.step("Commit the deliveries").outcome == "success"  # ...the other's delivery is committed
        assert sent.step("Stop with the send").outcome == "failure"
        day = json.loads(git(remote, "show", f"main:output/{TODAY}.json"))
        assert len(day["deliveries"]) == 1 and f"Sent the digest for {TODAY}" in git(remote, "log", "--format=%s", "-1")
        assert "s3cr3t" not in sent.output and "s3cr3t" not in json.dumps(day)

        runner.contexts["secrets.DIGEST_SEND_TO"] = hook.url()
        again = runner.run(DAILY, "send", repo)  # "Re-run": the day was sent there already
        assert not again.failed and len(hook.received) == 1
        assert "Already sent to" in again.step("Send").stdout
    finally:
        hook.close()
        broken.close()
