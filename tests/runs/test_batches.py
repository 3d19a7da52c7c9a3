"""Backfills through the Batch API: submit, status and collect replayed from cassettes of the Files and Batches
endpoints, and against the loopback BatchService where the uploaded requests themselves are inspected."""

import json
from datetime import UTC, date, datetime
from pathlib import Path

from authoring.model.prompts import build_messages
from authoring.models import Digest
from authoring.runs import batches
from tests.conftest import CASSETTES
from tests.helpers import assert_one_line_error, run, table_rows
from tools.assemble_cassettes import BATCH_IDS, summary_reply
from tools.standin import BatchService, StandIn

GOLDEN = Digest.model_validate_json((CASSETTES.parent / "tests" / "golden" / "2024-10-08.json").read_text())


def test_two_day_backfill_submit_status_collect(tmp_path):
    out = str(tmp_path / "output")
    submitted = run("batch", "submit", "2024-10-08", "2024-10-09", "--ids-dir", str(BATCH_IDS), "--output-dir", out,
                    "--cassette", str(CASSETTES / "test_batch_submit.yaml"))
    assert submitted.exit_code == 0, submitted.output
    assert "Submitted batch_digest0001: 15 requests for 2024-10-08, 2024-10-09" in submitted.stdout
    record = json.loads((tmp_path / "output" / ".batches" / "batch_digest0001.json").read_text())
    assert record["requests"]["2024-10-09"][-1] == "2410.03959" and record["collected"] is False

    status = run("batch", "status", "--output-dir", out, "--cassette", str(CASSETTES / "test_batch_status.yaml"))
    assert status.exit_code == 0
    assert "batch_digest0001  in_progress  7/15 done, 0 failed  days: 2024-10-08, 2024-10-09" in status.stdout

    collected = run("batch", "collect", "--output-dir", out, "--cassette", str(CASSETTES / "test_batch_collect.yaml"))
    assert collected.exit_code == 1
    assert "Collected 8 of 8 into" in collected.stdout and "Collected 6 of 7 into" in collected.stdout
    assert ("Failed: 2024-10-09 2410.03959: batch request failed: server_error: The server had an error while "
            "processing your request.") in collected.stderr

    first = Digest.model_validate_json((tmp_path / "output" / "2024-10-08.json").read_text())
    for entry in first.entries:  # exactly what the interactive demo run stored for the same papers
        expected = GOLDEN.entry(entry.id)
        assert (entry.paper, entry.summary, entry.provenance) == (expected.paper, expected.summary, expected.provenance)
    second = Digest.model_validate_json((tmp_path / "output" / "2024-10-09.json").read_text())
    assert [e.id for e in second.entries if not e.ok] == ["2410.03959"]
    assert second.entry("2410.03959").error.startswith("batch request failed: server_error")
    assert len(table_rows((tmp_path / "output" / "2024-10-09.md").read_text())) == 6

    again = run("batch", "collect", "--output-dir", out)
    assert again.exit_code == 0 and "No batches to collect" in again.stdout


def _local(settings, stand_in):
    return settings.replace(base_url=f"{stand_in.url}/v1", arxiv_api_url=f"{stand_in.url}/api/query")


def test_requests_are_the_interactive_requests_and_resubmit_takes_only_failures(settings):
    from tools.assemble_cassettes import fixture_papers as standin_papers
    from tools.assemble_cassettes import paper_of, reference_summaries

    papers, summaries = standin_papers(), reference_summaries()
    service = BatchService(chat=lambda body: summary_reply(body, summaries[paper_of(body, papers)], "b"),
                           fail={"2024-10-09/2410.03959": ("server_error", "boom")})
    clock = lambda: datetime(2030, 1, 1, tzinfo=UTC)  # noqa: E731
    days = [date(2024, 10, 8), date(2024, 10, 9)]
    with StandIn(papers, routes=service) as stand_in:
        local = _local(settings, stand_in)
        batches.submit(days, local, ids_dir=BATCH_IDS, clock=clock)
        lines = [json.loads(line) for line in service.files["file-digest0001"].decode().splitlines()]
        first = GOLDEN.entry("2410.05258")
        assert lines[0]["custom_id"] == "2024-10-08/2410.05258" and lines[0]["url"] == "/v1/chat/completions"
        assert lines[0]["body"]["messages"] == build_messages(first.paper)
        assert lines[0]["body"]["response_format"]["type"] == "json_schema"
        assert "temperature" not in lines[0]["body"]

        batches.status(local)
        reports, waiting = batches.collect(local, clock)
        assert waiting == [] and [len(r.failed) for r in reports] == [0, 1]
        record, notices = batches.submit(days, local, ids_dir=BATCH_IDS, clock=clock)
    assert record.requests == {"2024-10-09": ["2410.03959"]} and notices == []
    assert len(service.files["file-digest0004"].decode().splitlines()) == 1


def test_a_batch_still_running_is_left_for_later(settings):
    from tools.assemble_cassettes import fixture_papers as standin_papers
    from tools.assemble_cassettes import paper_of, reference_summaries

    papers, summaries = standin_papers(), reference_summaries()
    service = BatchService(chat=lambda body: summary_reply(body, summaries[paper_of(body, papers)], "b"))
    with StandIn(papers, routes=service) as stand_in:
        local = _local(settings, stand_in)
        batches.submit([date(2024, 10, 8)], local, ids_dir=BATCH_IDS, clock=datetime.now)
        reports, waiting = batches.collect(local, datetime.now)  # first look: in_progress
    assert reports == [] and waiting == ["batch_digest0001 is in_progress"]
    assert not batches.records(local.output_dir)[0].collected


def test_submit_needs_a_day_or_its_ids(tmp_path):
    result = run("batch", "submit", "2024-10-10", "--output-dir", str(tmp_path), "--ids-dir", str(BATCH_IDS))
    assert_one_line_error(result, "2024-10-10.json does not exist and there is no ids file for it")


def test_status_and_collect_with_nothing_submitted_need_no_key(tmp_path):
    result = run("batch", "status", "--output-dir", str(tmp_path), env={"OPENAI_API_KEY": ""})
    assert result.exit_code == 0 and "No batches waiting" in result.stdout
    result = run("batch", "collect", "--output-dir", str(tmp_path), env={"OPENAI_API_KEY": ""})
    assert result.exit_code == 0 and "No batches to collect" in result.stdout


def test_collect_spares_hand_edited_entries_and_nothing_is_submitted_twice(settings):

    from authoring.store import days, edits
    from tools.assemble_cassettes import fixture_papers as standin_papers
    from tools.assemble_cassettes import paper_of, reference_summaries

    papers, summaries = standin_papers(), reference_summaries()
    service = BatchService(chat=lambda body: summary_reply(body, summaries[paper_of(body, papers)], "b"))
    day = date(2024, 10, 8)
    with StandIn(papers, routes=service) as stand_in:
        local = _local(settings, stand_in)
        batches.submit([day], local, ids_dir=BATCH_IDS, clock=datetime.now)
        again, notices = batches.submit([day], local, ids_dir=BATCH_IDS, clock=datetime.now)
        assert again is None and len(notices) == 8  # the 8 ids of that day, all queued already: none sent twice
        with days.change(local, day, "set") as digest:  # a person writes one entry while the batch runs
            entry = digest.entry("2410.05258")
            entry.summary = None
            edits.replace_content(entry, "Typed title", ["A. Person"], GOLDEN.entry("2410.02707").summary)
        batches.status(local)
        reports, _ = batches.collect(local, datetime.now)
    assert reports[0].failed == {} and list(reports[0].conflicts) == ["2410.05258"]
    from authoring.models import Entry

    batch_result = Entry.model_validate_json(Path(reports[0].conflicts["2410.05258"]).read_text())
    assert batch_result.summary == GOLDEN.entry("2410.05258").summary  # the batch's answer is kept, not applied
    stored = Digest.model_validate_json((local.output_dir / "2024-10-08.json").read_text())
    kept = stored.entry("2410.05258")
    assert kept.paper.title == "Typed title" and kept.summary == GOLDEN.entry("2410.02707").summary
    assert sum(1 for e in stored.entries if e.ok) == len(stored.entries)
    assert len(service.files["file-digest0001"].decode().splitlines()) == len(stored.entries)


def test_resume_leaves_queued_entries_to_collect_and_collect_never_overwrites_newer_work(settings):
    from authoring.runs import pipeline
    from tools.assemble_cassettes import fixture_papers as standin_papers
    from tools.assemble_cassettes import paper_of, reference_summaries

    papers, summaries = standin_papers(), reference_summaries()
    asked: list[str] = []

    def chat(body):
        asked.append(paper_of(body, papers))
        return summary_reply(body, summaries[paper_of(body, papers)], "i")

    service = BatchService(chat=lambda body: summary_reply(body, summaries[paper_of(body, papers)], "b"))
    day = date(2024, 10, 8)
    with StandIn(papers, chat=chat, routes=service) as stand_in:
        local = _local(settings, stand_in)
        batches.submit([day], local, ids_dir=BATCH_IDS, clock=datetime.now)
        report = pipeline.resume(day, local, clock=datetime.now)
        assert asked == [] and report.processed == []  # queued entries are left to the batch
        regenerated = pipeline.regenerate(day, ["2410.02707"], local, clock=datetime.now)  # asked by name: done
        assert regenerated.failed == {} and asked == ["2410.02707"]
        interactive = Digest.model_validate_json((local.output_dir / "2024-10-08.json").read_text())
        batches.status(local)
        reports, _ = batches.collect(local, datetime.now)
    assert list(reports[0].conflicts) == ["2410.02707"]
    stored = Digest.model_validate_json((local.output_dir / "2024-10-08.json").read_text())
    assert stored.entry("2410.02707").provenance == interactive.entry("2410.02707").provenance  # newer work kept
    assert all(e.ok for e in stored.entries)
