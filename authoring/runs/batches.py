"""Backfills through the OpenAI Batch API: one JSONL of summary requests for many days, uploaded and run as a
batch, then collected into the days' JSON exactly as interactive runs would write it. Batch records live in
output/.batches/BATCH_ID.json."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Final

from pydantic import BaseModel

from authoring.config import Settings, check_credentials
from authoring.errors import DigestError, ModelError
from authoring.ids import parse_id, read_id_lines
from authoring.model import llm
from authoring.model.prompts import build_messages
from authoring.models import Digest, Entry
from authoring.runs.summarising import Clock, RunReport, provenance_for
from authoring.sources import arxiv_api as arxiv_source
from authoring.store import days
from authoring.store import files as store
from authoring.templating import prompt_hash

if TYPE_CHECKING:
    from openai import OpenAI
    from openai.types import Batch

ENDPOINT: Final = "/v1/chat/completions"
FINISHED = {"completed", "failed", "expired", "cancelled"}


class BatchRecord(BaseModel):
    """What `digest` remembers of a submitted batch."""

    id: str
    input_file_id: str
    model: str
    prompt_hash: str
    submitted_at: str
    requests: dict[str, list[str]]  # day -> entry ids in the batch
    # custom_id -> the entry's fingerprint when submitted: a result lands only on an entry still as it was
    submitted: dict[str, str] = {}
    merged_days: list[str] = []  # days already collected (a collect that stopped halfway does not redo them)
    status: str = "validating"
    collected: bool = False
    language: str | None = None  # the language the summaries were asked for (--language)


def batch_dir(output_dir: Path) -> Path:
    return output_dir / ".batches"


def records(output_dir: Path) -> list[BatchRecord]:
    folder = batch_dir(output_dir)
    if not folder.is_dir():
        return []
    found = [BatchRecord.model_validate_json(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.json"))]
    return sorted(found, key=lambda r: r.submitted_at)


def _save_record(output_dir: Path, record: BatchRecord) -> None:
    store.atomic_write(batch_dir(output_dir) / f"{record.id}.json", record.model_dump_json(indent=2) + "\n")


def queued(output_dir: Path) -> set[tuple[str, str]]:
    """(day, entry id) of every request in a batch that was not collected yet."""
    return {(day, i) for r in records(output_dir) if not r.collected
            for day, ids in r.requests.items() if day not in r.merged_days for i in ids}


def custom_id(day: str, entry_id: str) -> str:
    return f"{day}/{entry_id}"


def submit(
    the_days: Sequence[date], settings: Settings, *, ids_dir: Path | None, clock: Clock
) -> tuple[BatchRecord | None, list[str]]:
    """Queue every entry without a summary in the days (new days are created from ids_dir/DATE.txt) as one batch.
    Returns the record (None when there was nothing to send) and notices (ids not found, entries already queued)."""
    check_credentials(settings)
    notices: list[str] = []
    in_flight = queued(settings.output_dir)
    digests = {day: _day_for_batch(day, settings, ids_dir) for day in the_days}
    _fill_metadata(digests, settings, notices)  # network: no day is locked meanwhile
    digests = {day: _save_metadata(settings, day, digest) for day, digest in digests.items()}
    templates_hash = prompt_hash(settings.prompts_dir, settings.language)
    lines: list[str] = []
    requests: dict[str, list[str]] = {}
    submitted: dict[str, str] = {}
    for digest in digests.values():
        for entry in digest.entries:
            if entry.ok or entry.paper is None:
                continue
            if (digest.date, entry.id) in in_flight:
                notices.append(f"{digest.date} {entry.id} is already in a batch that was not collected yet")
                continue
            messages = build_messages(entry.paper, prompts_dir=settings.prompts_dir, language=settings.language)
            body = llm.request_body(messages, settings)
            lines.append(json.dumps({"custom_id": custom_id(digest.date, entry.id), "method": "POST",
                                     "url": ENDPOINT, "body": body}, ensure_ascii=False))
            requests.setdefault(digest.date, []).append(entry.id)
            submitted[custom_id(digest.date, entry.id)] = days.fingerprint(entry)
    if not lines:
        return None, notices
    client = llm.make_client(settings)
    payload = ("\n".join(lines) + "\n").encode("utf-8")
    uploaded = llm.call(settings, lambda: client.files.create(file=("digest-batch.jsonl", payload), purpose="batch"))
    batch = llm.call(settings, lambda: client.batches.create(
        input_file_id=uploaded.id, endpoint=ENDPOINT, completion_window="24h",
        metadata={"tool": "digest", "days": ",".join(sorted(requests))[:512]},
    ))
    record = BatchRecord(
        id=batch.id, input_file_id=uploaded.id, model=settings.model, prompt_hash=templates_hash,
        submitted_at=clock().isoformat(timespec="seconds"), requests=requests, status=batch.status,
        submitted=submitted, language=settings.language,
    )
    _save_record(settings.output_dir, record)
    return record, notices


def _day_for_batch(day: date, settings: Settings, ids_dir: Path | None) -> Digest:
    if store.json_path(settings.output_dir, day).exists():
        return days.load(settings, day)
    source = ids_dir / f"{day.isoformat()}.txt" if ids_dir else None
    if source is None or not source.is_file():
        raise DigestError(
            f"{store.json_path(settings.output_dir, day)} does not exist and there is no ids file for it; "
            f"pass --ids-dir DIR with {day.isoformat()}.txt in it"
        )
    seen: set[str] = set()
    entries = []
    for text in read_id_lines(source.read_text(encoding="utf-8")):
        arxiv_id = parse_id(text)
        if arxiv_id.base not in seen:
            seen.add(arxiv_id.base)
            entries.append(Entry(id=str(arxiv_id) if arxiv_id.version else arxiv_id.base))
    return Digest(date=day.isoformat(), entries=entries)


def _save_metadata(settings: Settings, day: date, fetched: Digest) -> Digest:
    """Under the day's lock: a new day is written as fetched; an existing one, read fresh, takes the metadata of
    the entries that had none (other entries may have changed meanwhile, and keep their change)."""
    with days.locked(settings, day, "batch-submit"):
        if not store.json_path(settings.output_dir, day).exists():
            days.commit(settings, day, fetched, "batch-submit")
            return fetched
        current = days.load(settings, day)
        days.guard_markdown(settings, day, current, force=False)
        for entry in current.entries:
            got = fetched.entry(entry.id)
            if entry.paper is None and got is not None:
                entry.paper, entry.error = got.paper, got.error
        days.commit(settings, day, current, "batch-submit")
        return current


def _fill_metadata(digests: dict[date, Digest], settings: Settings, notices: list[str]) -> None:
    """One arXiv fetch for every entry of every day that has no metadata yet (chunks of 100 across days)."""
    wanted = [(digest, entry) for digest in digests.values() for entry in digest.entries if entry.paper is None]
    if not wanted:
        return
    ids = list(dict.fromkeys(parse_id(entry.id) for _, entry in wanted))
    fetched = arxiv_source.fetch_papers(ids, settings)
    for digest, entry in wanted:
        arxiv_id = parse_id(entry.id)
        entry.id = arxiv_id.base
        entry.paper = fetched.papers.get(arxiv_id.base)
        entry.error = fetched.error_for(arxiv_id)
        if entry.error:
            notices.append(f"{digest.date} {entry.error}")


def _chosen(settings: Settings, batch_id: str | None) -> list[BatchRecord]:
    pending = [r for r in records(settings.output_dir) if batch_id in (None, r.id) and (batch_id or not r.collected)]
    if batch_id and not pending:
        raise DigestError(f"no batch {batch_id} in {batch_dir(settings.output_dir)}")
    return pending


def status(settings: Settings, batch_id: str | None = None) -> list[tuple[BatchRecord, Batch]]:
    """The API's view of each uncollected batch (or of one): (record, batch object); records are updated. With
    none to ask about, no client is needed (nor a key)."""
    chosen = _chosen(settings, batch_id)
    if not chosen:
        return []
    client = llm.make_client(settings)
    found = []
    for record in chosen:
        batch = llm.call(settings, partial(client.batches.retrieve, record.id))
        record.status = batch.status
        _save_record(settings.output_dir, record)
        found.append((record, batch))
    return found


def collect(settings: Settings, clock: Clock, batch_id: str | None = None) -> tuple[list[RunReport], list[str]]:
    """Merge finished batches into their days; returns a report per day and the batches still running. With none
    to collect, no client is needed (nor a key)."""
    chosen = _chosen(settings, batch_id)
    if not chosen:
        return [], []
    client = llm.make_client(settings)
    reports, waiting = [], []
    for record in chosen:
        batch = llm.call(settings, partial(client.batches.retrieve, record.id))
        record.status = batch.status
        if batch.status not in FINISHED:
            waiting.append(f"{record.id} is {batch.status}")
            _save_record(settings.output_dir, record)
            continue
        results = _results(client, batch, settings)
        for day, ids in record.requests.items():
            if day in record.merged_days:
                continue
            reports.append(_merge(date.fromisoformat(day), ids, results, record, batch.status, settings, clock))
            record.merged_days.append(day)
            _save_record(settings.output_dir, record)
        record.collected = True
        _save_record(settings.output_dir, record)
    return reports, waiting


def _file_text(client: OpenAI, file_id: str) -> str:
    return client.files.content(file_id).text


def _results(client, batch, settings: Settings) -> dict[str, llm.Generation | str]:
    """custom_id -> Generation, or the reason that request failed."""
    results: dict[str, llm.Generation | str] = {}
    for file_id in (batch.output_file_id, batch.error_file_id):
        if not file_id:
            continue
        text = llm.call(settings, partial(_file_text, client, file_id))
        for line in text.splitlines():
            if line.strip():
                item = json.loads(line)
                results[item["custom_id"]] = _outcome(item, settings)
    return results


def _outcome(item: dict, settings: Settings) -> llm.Generation | str:
    response, error = item.get("response") or {}, item.get("error")
    if error:
        return f"batch request failed: {error.get('code') or 'error'}: {error.get('message') or ''}".rstrip(": ")
    if response.get("status_code") != 200:
        message = ((response.get("body") or {}).get("error") or {}).get("message", "")
        return f"batch request failed with HTTP {response.get('status_code')}: {message}".rstrip(": ")
    try:
        return llm.generation_from_body(response["body"], settings)
    except ModelError as problem:
        return str(problem)


def _keep_result(settings: Settings, day: date, entry: Entry, outcome: llm.Generation, record: BatchRecord,
                 clock: Clock) -> Path:
    result = entry.model_copy(deep=True)
    result.summary, result.summary_markdown, result.error = outcome.summary, None, None
    result.provenance = provenance_for(outcome, record.prompt_hash, "abstract", clock, language=record.language)
    path = days.conflict_path(settings.output_dir, day, entry.id, days.fingerprint(result))
    store.atomic_write(path, result.model_dump_json(indent=2) + "\n")
    return path


def _merge(day: date, ids: list[str], results, record: BatchRecord, batch_status: str, settings: Settings,
           clock: Clock) -> RunReport:
    with days.change(settings, day, "batch-collect") as digest:
        return _apply_results(digest, day, ids, results, record, batch_status, settings, clock)


def _apply_results(digest: Digest, day: date, ids: list[str], results, record: BatchRecord, batch_status: str,
                   settings: Settings, clock: Clock) -> RunReport:
    report = RunReport(digest, store.json_path(settings.output_dir, day), store.markdown_path(settings.output_dir, day))
    for entry_id in ids:
        entry = digest.entry(entry_id)
        if entry is None:
            continue  # removed from the day since it was submitted
        report.processed.append(entry)
        outcome = results.get(custom_id(digest.date, entry_id), f"no result: the batch ended {batch_status}")
        base = record.submitted.get(custom_id(digest.date, entry_id))
        changed = base is not None and days.fingerprint(entry) != base
        if isinstance(outcome, str):
            if changed:  # summarised or edited meanwhile: this failure is old news
                continue
            report.failed[entry_id] = outcome
            if not entry.ok:
                entry.error = outcome
        elif changed or (base is None and entry.provenance and entry.provenance.edited):
            # A person or an interactive run changed the entry since it was submitted: theirs stays, and the
            # batch's summary is kept beside it.
            kept = _keep_result(settings, day, entry, outcome, record, clock)
            report.conflicts[entry_id] = str(kept)
        else:
            entry.summary, entry.summary_markdown, entry.error = outcome.summary, None, None
            entry.provenance = provenance_for(outcome, record.prompt_hash, "abstract", clock, language=record.language)
    return report

