"""Scale and resilience against loopback stand-ins that really misbehave: rate limits, server errors, resets,
invalid and truncated answers, withdrawn papers, crashes mid-run, Ctrl-C, and failed writes."""

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date

import pytest

from authoring.runs import pipeline
from tests.conftest import FAKE_KEY, ROOT
from tests.helpers import clock, local, ok, paper, run, title_of
from tools.standin import Reply, StandIn, chat_completion

DAY = date(2024, 10, 8)




def test_every_fault_kind_is_survived_and_no_paper_is_lost(settings):
    ids = [f"2410.{n:05d}" for n in range(1, 13)]
    faults = {  # each paper's first answers, then a valid one
        ids[0]: [Reply(429, b'{"error": {"message": "rate"}}', {"Retry-After": "0"})],
        ids[1]: [Reply(500, b"{}"), Reply(503, b"{}")],
        ids[2]: [Reply(reset=True)],
        ids[3]: [Reply(200, chat_completion("Not JSON at all.", model="m", created=1))],
        ids[4]: [Reply(200, chat_completion('{"objective": "cut', model="m", created=1, finish_reason="length"))],
        ids[5]: [Reply(408, b"{}"), Reply(409, b"{}")],
    }
    seen: dict[str, int] = {}

    def chat(body):
        arxiv_id = title_of(body)
        seen[arxiv_id] = seen.get(arxiv_id, 0) + 1
        queue = faults.get(arxiv_id, [])
        return queue.pop(0) if queue else ok(body)

    with StandIn({i: paper(i) for i in ids}, chat=chat) as stand_in:
        report = pipeline.create_digest(DAY, ids, local(settings, stand_in, concurrency=4), clock=clock)
    assert report.failed == {}
    assert [e.id for e in report.digest.entries] == ids and all(e.ok for e in report.digest.entries)
    assert report.retries == 8
    assert seen[ids[1]] == 3 and seen[ids[6]] == 1


def test_a_paper_that_keeps_failing_is_kept_as_failed_and_resume_retries_only_it(settings):
    ids = ["2410.00001", "2410.00002", "2410.00003"]
    broken = {"on": True}
    calls: list[str] = []

    def chat(body):
        calls.append(title_of(body))
        if title_of(body) == ids[1] and broken["on"]:
            return Reply(500, b'{"error": {"message": "model overloaded"}}')
        return ok(body)

    with StandIn({i: paper(i) for i in ids}, chat=chat) as stand_in:
        config = local(settings, stand_in, model_attempts=2)
        report = pipeline.create_digest(DAY, ids, config, clock=clock)
        assert report.failed == {ids[1]: "model server answered HTTP 500: model overloaded"}
        stored = json.loads((config.output_dir / "2024-10-08.json").read_text())
        errors = [e["error"] for e in stored["entries"]]
        assert errors == [None, "model server answered HTTP 500: model overloaded", None]
        assert (config.output_dir / "2024-10-08.md").read_text().count("(Read more on") == 2
        broken["on"] = False
        calls.clear()
        again = pipeline.create_digest(DAY, list(reversed(ids)), config, clock=clock)  # same ids: resumes
    assert calls == [ids[1]] and again.failed == {}
    assert [e.id for e in again.digest.entries] == ids and all(e.ok for e in again.digest.entries)


def test_withdrawn_and_unknown_ids_are_reported(settings):
    papers = {
        "2410.00001": paper("2410.00001"),
        "2410.00002": paper("2410.00002", comment="This paper has been withdrawn by the author due to an error"),
    }
    with StandIn(papers, chat=ok) as stand_in:
        report = pipeline.create_digest(DAY, ["2410.00001", "2410.00002", "2410.00003"],
                                        local(settings, stand_in), clock=clock)
    assert report.failed["2410.00002"].startswith("2410.00002 was withdrawn on arXiv (This paper has been withdrawn")
    assert report.failed["2410.00003"] == "2410.00003 not found on arXiv"
    assert len(stand_in.requests("POST")) == 1


def test_an_unreadable_arxiv_entry_fails_its_paper_only_and_resume_reads_it_once_arxiv_is_fixed(settings):
    ids = [f"2410.{n:05d}" for n in range(1, 7)]
    papers = {i: paper(i) for i in ids}
    papers["2410.00004"] = paper("2410.00004", updated="not a date")
    notices = []

    class Heard:
        def notice(self, message): notices.append(message)
        def start(self, total): pass
        def advance(self, entry, problem=None): pass
        def retry(self, reason): notices.append(reason)

    with StandIn(papers, chat=ok) as stand_in:
        report = pipeline.create_digest(DAY, ids, local(settings, stand_in), clock=clock, progress=Heard())
        assert list(report.failed) == ["2410.00004"] and "could not be read" in report.failed["2410.00004"]
        assert [e.id for e in report.digest.entries if e.ok] == [i for i in ids if i != "2410.00004"]
        assert len(stand_in.requests("POST")) == 5
        assert any("Unreadable in arXiv's answer: 2410.00004" in n for n in notices)
        papers["2410.00004"]["updated"] = "2024-10-07T10:00:00Z"  # arXiv fixed its entry
        again = pipeline.resume(DAY, local(settings, stand_in), clock=clock)
    assert again.failed == {} and all(e.ok for e in again.digest.entries)


def test_a_server_that_accepts_but_never_answers_stops_the_run_once_later_papers_time_out_too(settings):
    """Without a limit, each of the 12 papers would wait model_timeout x model_attempts. The first two papers (the
    concurrency) fail alone after their attempts; when the next two time out too, with no answer in between, the
    run stops, sends nothing more, and resume finishes once the server answers."""
    from authoring.model.llm import FatalModelError
    from authoring.store import days

    ids = [f"2410.{n:05d}" for n in range(1, 13)]
    answering, asked = {"yes": False}, []

    def chat(body):
        asked.append(title_of(body))
        return ok(body) if answering["yes"] else Reply(200, b"{}", delay=3.0)

    with StandIn({i: paper(i) for i in ids}, chat=chat) as stand_in:
        hung = local(settings, stand_in, model_timeout=0.3, model_attempts=2, concurrency=2)
        with pytest.raises(FatalModelError, match=r"gave no complete answer for 4 papers in a row \(more than "
                                                  r"--concurrency \+ 1; each timed out after 0.3 s or lost its "
                                                  r"connection\) and answered nothing in between"):
            pipeline.create_digest(DAY, ids, hung, clock=clock)
        time.sleep(0.5)  # let calls still in flight end: none may start after the stop
        assert asked.count("2410.00001") == asked.count("2410.00002") == 2  # every attempt, then failed alone
        # Papers 3 and 4 start together when 1 and 2 give up; should 3 give up first (a loaded machine), the freed
        # slot may start paper 5 before 4 gives up and stops the run: it gets no second attempt, and no other paper
        # is sent after the stop.
        assert {"2410.00003", "2410.00004"} <= set(asked) <= {f"2410.0000{n}" for n in range(1, 6)}
        assert asked.count("2410.00005") <= 1
        stored = days.load(hung, DAY)
        assert [e.id for e in stored.entries] == ids and not any(e.ok for e in stored.entries)
        alone = "did not answer within 0.3 s (2 attempts)"
        assert all(alone in e.error for e in stored.entries[:2])
        # A paper asked before the stop either failed alone too (a loaded machine) or is pending; the rest pending.
        assert all(e.pending or (e.id in asked and alone in e.error) for e in stored.entries[2:])
        assert all(e.pending for e in stored.entries if e.id not in asked)
        answering["yes"] = True
        again = pipeline.resume(DAY, hung, clock=clock)
    assert again.failed == {} and all(e.ok for e in again.digest.entries)


@pytest.mark.parametrize("concurrency", [1, 3])
def test_after_a_run_stopping_answer_no_queued_paper_is_sent(settings, concurrency):
    from authoring.model.llm import FatalModelError

    ids = [f"2410.{n:05d}" for n in range(1, 41)]
    rejected = Reply(401, b'{"error": {"message": "Incorrect API key provided"}}', delay=0.05)
    with StandIn({i: paper(i) for i in ids}, chat=lambda body: rejected) as stand_in:
        with pytest.raises(FatalModelError, match="rejected the API key"):
            pipeline.create_digest(DAY, ids, local(settings, stand_in, concurrency=concurrency), clock=clock)
        time.sleep(0.3)  # a freed worker would have sent the next paper by now
    assert len(stand_in.requests("POST")) <= concurrency  # the calls already in flight, nothing after


def test_a_server_that_drops_every_connection_unanswered_stops_the_run_too(settings):
    from authoring.model.llm import FatalModelError

    ids = [f"2410.{n:05d}" for n in range(1, 13)]
    with StandIn({i: paper(i) for i in ids}, chat=lambda body: Reply(reset=True)) as stand_in:
        with pytest.raises(FatalModelError, match=r"gave no complete answer for 4 papers in a row"):
            pipeline.create_digest(DAY, ids, local(settings, stand_in, model_attempts=2, concurrency=2), clock=clock)
        assert len(stand_in.requests("POST")) <= 4 * 2  # not 12 papers x 2 attempts


@pytest.mark.parametrize(("slow", "concurrency"), [
    (["2410.00003"], 1),
    (["2410.00001", "2410.00002"], 1),  # the first papers: nothing answered yet
    (["2410.00006", "2410.00007", "2410.00008"], 2),  # the last papers: nothing else left in flight
])
def test_papers_the_server_is_too_slow_for_fail_alone(settings, slow, concurrency):
    ids = [f"2410.{n:05d}" for n in range(1, 9)]

    def chat(body):
        return Reply(200, b"{}", delay=3.0) if title_of(body) in slow else ok(body)

    with StandIn({i: paper(i) for i in ids}, chat=chat) as stand_in:
        report = pipeline.create_digest(DAY, ids, local(settings, stand_in, model_timeout=0.3, model_attempts=2,
                                                        concurrency=concurrency), clock=clock)
    assert sorted(report.failed) == slow
    assert all("did not answer within 0.3 s (2 attempts)" in report.failed[i] for i in slow)
    assert sum(e.ok for e in report.digest.entries) == len(ids) - len(slow)


def md_rows(out) -> int:
    return sum(1 for line in (out / "2024-10-08.md").read_text().splitlines() if "(Read more on [arXiv]" in line)


def _run_cli_in_background(stand_in, out, ids):
    env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"}
    command = [sys.executable, "-m", "authoring", "new", "2024-10-08", *ids, "--base-url", f"{stand_in.url}/v1",
               "--output-dir", str(out), "--concurrency", "2"]
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for_summaries(out, count, timeout=30.0):
    """Until `count` finished entries are checkpointed in the day's journal."""
    journal = out / ".journal" / "2024-10-08.jsonl"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if sum(1 for line in journal.read_text().splitlines() if '"summary":{' in line) >= count:
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"fewer than {count} summaries in {journal} after {timeout} s")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT], ids=["kill-9", "ctrl-c"])
def test_a_crash_mid_run_loses_only_calls_in_flight_and_resume_finishes(settings, tmp_path, sig):
    ids = [f"2410.{n:05d}" for n in range(1, 11)]
    calls: list[str] = []

    resumed = {"yes": False}

    def chat(body):
        calls.append(title_of(body))
        fast = resumed["yes"] or len(calls) <= 6
        return ok(body, delay=0.3 if fast else 20)  # later calls hang: Ctrl-C must not wait for them

    out = tmp_path / "output"
    with StandIn({i: paper(i) for i in ids}, chat=chat) as stand_in:
        process = _run_cli_in_background(stand_in, out, ids)
        _wait_for_summaries(out, 3)
        process.send_signal(sig)
        _, stderr = process.communicate(timeout=15)  # before the 20 s hang ends: calls in flight are not waited for
        assert process.returncode == (-9 if sig == signal.SIGKILL else 130)
        if sig == signal.SIGINT:
            assert re.search(r"Interrupted; \d+ finished papers are saved and \d+ are pending: `digest resume "
                             r"2024-10-08 --output-dir \S+` does the rest\.", stderr) and "Traceback" not in stderr
            # Ctrl-C folded the finished entries in and rendered them before exiting
            assert not (out / ".journal" / "2024-10-08.jsonl").exists()
            listed = run("list", "--output-dir", str(out))
            assert "in sync" in listed.stdout
        shown = run("show", "2024-10-08", "--output-dir", str(out))  # after kill -9, this folds the journal in
        assert shown.exit_code == 0 and "pending" in shown.stdout
        entries = json.loads((out / "2024-10-08.json").read_text())["entries"]  # never corrupt
        done = {e["id"] for e in entries if e["summary"]}
        assert len(done) >= 3 and len(entries) == 10
        assert all(e["error"] is None for e in entries)  # unfinished entries are pending, not failed
        assert md_rows(out) == len(done)  # DATE.md shows what finished
        assert not list(out.glob(".*.tmp"))
        calls.clear()
        resumed["yes"] = True
        finish = _run_cli_in_background(stand_in, out, ids)
        stdout, stderr = finish.communicate(timeout=60)
    assert finish.returncode == 0, stderr
    assert sorted(calls) == sorted(set(ids) - done)  # only the missing papers were asked for again
    assert sum(1 for e in json.loads((out / "2024-10-08.json").read_text())["entries"] if e["summary"]) == 10


def test_a_failed_write_keeps_the_previous_file_with_a_clear_error(tmp_path, monkeypatch):
    from tools.assemble_cassettes import seed_golden_day

    out = tmp_path / "output"
    seed_golden_day(out)
    before = (out / "2024-10-08.json").read_bytes()

    def full_disk(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    result = run("rm", "2024-10-08", "2410.05258", "--output-dir", str(out))
    assert result.exit_code == 1 and "No space left on device" in result.stderr and "Traceback" not in result.output
    assert (out / "2024-10-08.json").read_bytes() == before


def test_a_rejected_key_stops_the_run_with_one_line_and_keeps_the_fetched_day(tmp_path):
    ids = ["2410.00001", "2410.00002"]
    answer = Reply(401, b'{"error": {"message": "Incorrect API key provided: sk-test***"}}')
    with StandIn({i: paper(i) for i in ids}, chat=lambda body: answer) as stand_in:
        result = run("new", "2024-10-08", *ids, "--base-url", f"{stand_in.url}/v1", "--output-dir", str(tmp_path),
                     env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].endswith(
        "rejected the API key (HTTP 401); check OPENAI_API_KEY; 0 finished papers are saved and 2 are pending: "
        f"`digest resume 2024-10-08 --output-dir {tmp_path}` does the rest")
    stored = json.loads((tmp_path / "2024-10-08.json").read_text())
    assert [e["id"] for e in stored["entries"]] == ids and all(e["summary"] is None for e in stored["entries"])
    assert FAKE_KEY not in result.output


def test_a_forced_new_that_stops_says_it_replaced_the_day_and_undo_brings_it_back(tmp_path):
    from tools.assemble_cassettes import seed_golden_day

    out = tmp_path / "output"
    seed_golden_day(out)
    before = (out / "2024-10-08.json").read_bytes()
    ids = ["2410.00001", "2410.00002"]
    rejected = Reply(401, b'{"error": {"message": "Incorrect API key provided"}}')
    with StandIn({i: paper(i) for i in ids}, chat=lambda body: rejected) as stand_in:
        result = run("new", "2024-10-08", *ids, "--force", "--base-url", f"{stand_in.url}/v1", "--output-dir",
                     str(out), env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1].endswith(
        f"2 are pending: `digest resume 2024-10-08 --output-dir {out}` does the rest; this run replaced the day "
        f"that was there (`digest undo 2024-10-08 --output-dir {out}` brings it back)")
    assert run("undo", "2024-10-08", "--output-dir", str(out)).exit_code == 0
    assert json.loads((out / "2024-10-08.json").read_bytes())["entries"] == json.loads(before)["entries"]


def test_a_cassette_miss_says_what_the_run_left_on_disk(tmp_path):
    from tests.conftest import CASSETTES

    result = run("new", "2024-10-08", "2410.05258", "2410.99999", "--cassette",
                 str(CASSETTES / "demo-2024-10-08.yaml"), "--output-dir", str(tmp_path))
    assert result.exit_code == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("Error: request not recorded in ")
    assert f"`digest resume 2024-10-08 --output-dir {tmp_path}` does the rest" in last


def test_a_day_that_cannot_be_written_at_the_end_says_where_the_finished_papers_are(settings, monkeypatch):
    from authoring.errors import StoreError
    from authoring.store import days
    from authoring.store import files as store

    ids = ["2410.00001", "2410.00002", "2410.00003"]
    real = store.atomic_write
    calls = {"n": 0}

    def full_after_begin(path, data, **options):
        calls["n"] += 1
        if calls["n"] > 2:  # the day was written pending (DATE.json, DATE.md); then the disk is full
            raise StoreError(f"cannot write {path}: No space left on device")
        return real(path, data, **options)

    monkeypatch.setattr(store, "atomic_write", full_after_begin)
    with StandIn({i: paper(i) for i in ids}, chat=ok) as stand_in:
        local_settings = local(settings, stand_in)
        with pytest.raises(StoreError, match=r"No space left on device; the finished papers are kept in .*"
                                             r"\.journal/2024-10-08\.jsonl: the next command that reads 2024-10-08"):
            pipeline.create_digest(DAY, ids, local_settings, clock=clock)
    monkeypatch.setattr(store, "atomic_write", real)
    stored = days.load(local_settings, DAY)  # space again: reading the day folds the journal in
    assert [e.id for e in stored.entries if e.ok] == ids


def _interrupted_once_asked(stand_in, method: str, args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """`digest ARGS` in its own process, sent Ctrl-C (SIGINT) once the stand-in has its first `method` request:
    its exit code and stderr."""
    environ = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, **env}
    process = subprocess.Popen([sys.executable, "-m", "authoring", *args], cwd=ROOT, env=environ,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not stand_in.requests(method) and time.monotonic() < deadline:
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=45)
    return process.returncode, stderr


def test_ctrl_c_after_new_force_replaced_a_day_says_undo_brings_it_back(tmp_path):
    from tools.assemble_cassettes import seed_golden_day

    out = tmp_path / "output"
    seed_golden_day(out)
    ids = [f"2410.{n:05d}" for n in range(1, 5)]
    with StandIn({i: paper(i) for i in ids}, chat=lambda body: ok(body, delay=8)) as stand_in:
        returncode, stderr = _interrupted_once_asked(
            stand_in, "POST", ["new", "2024-10-08", *ids, "--force", "--base-url", f"{stand_in.url}/v1",
                               "--output-dir", str(out)], {"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})
    assert returncode == 130 and "Traceback" not in stderr
    assert f"this run replaced the day that was there (`digest undo 2024-10-08 --output-dir {out}` brings it back)." \
        in stderr


def test_ctrl_c_while_the_hub_is_asked_says_nothing_was_written(tmp_path):
    """Nothing is written before the Hub's listing has come: Ctrl-C then says so, and suggests no `resume`."""
    out = tmp_path / "output"

    def hanging(method, path, body, headers):
        return Reply(200, b"[]", delay=20) if path.startswith("/api/daily_papers") else None

    with StandIn({}, routes=hanging) as stand_in:
        returncode, stderr = _interrupted_once_asked(
            stand_in, "GET", ["new", "2024-10-08", "--from-hf", "--output-dir", str(out)],
            {"HF_ENDPOINT": stand_in.url})
    assert returncode == 130 and "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == ("Interrupted while asking the Hub for the day's papers; nothing was "
                                               "written.")
    assert "resume" not in stderr and not out.exists()


def test_ctrl_c_while_the_command_line_loads_is_one_line():
    """Ctrl-C lands while the imports run (the first ~0.15 s): one line, exit 130, no traceback."""
    code = ("import sys, types\n"
            "class Loading(types.ModuleType):\n"
            "    def __getattr__(self, name):\n"
            "        raise KeyboardInterrupt\n"
            "sys.modules['authoring.cli.application'] = Loading('authoring.cli.application')\n"
            "from authoring.cli import main\n"
            "main()\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert (result.returncode, result.stderr) == (130, "Interrupted; nothing was changed.\n")


def test_the_console_script_runs_every_exit_handler(tmp_path):
    """A finished command exits as Python does: every atexit handler runs (no immediate exit on success)."""
    code = ("import atexit, sys\n"
            "atexit.register(lambda: print('exit handler ran', file=sys.stderr))\n"
            f"sys.argv = ['digest', 'list', '--output-dir', {str(tmp_path)!r}]\n"
            "from authoring.cli import main\n"
            "main()\n")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert (result.returncode, result.stderr) == (0, "exit handler ran\n")
    assert result.stdout.startswith("No digests in ")
