"""The wiring of runs that call the network: `new` (ids -> arXiv -> concurrent summaries -> DATE.json/.md),
`regen` (one or more entries again) and `add` (late papers into a day)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from . import arxiv_source, days, history, llm, store
from .config import Settings
from .errors import DigestError, StoreError
from .fulltext import extract_text, fit
from .grounding import Source, parts_text, ungrounded
from .ids import ArxivId, normalise
from .models import Digest, Entry, Paper, Provenance, Usage
from .progress import QuietProgress
from .prompts import build_messages
from .templates import prompt_hash

Clock = Callable[[], datetime]


class Progress(Protocol):
    """What a run reports while it goes; the CLI draws it, tests may record it."""

    def notice(self, message: str) -> None: ...

    def start(self, total: int) -> None: ...

    def advance(self, entry: Entry) -> None: ...

    def retry(self, reason: str) -> None: ...


@dataclass
class RunReport:
    """The outcome of a run: where it was written, which entries it worked on, which of those failed and why."""

    digest: Digest
    json_path: Path
    markdown_path: Path
    processed: list[Entry] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    dropped: list[ArxivId] = field(default_factory=list)
    arxiv_requests: int = 0
    retries: int = 0
    unverified: dict[str, str] = field(default_factory=dict)  # --verify: figures still not found in the source
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_retry(self) -> None:
        with self._lock:  # worker threads report retries concurrently
            self.retries += 1

    @property
    def usage(self) -> Usage:
        total = Usage()
        for entry in self.processed:
            if entry.provenance and entry.id not in self.failed:
                total.prompt_tokens += entry.provenance.usage.prompt_tokens
                total.completion_tokens += entry.provenance.usage.completion_tokens
                total.total_tokens += entry.provenance.usage.total_tokens
        return total


@dataclass
class _Run:
    settings: Settings
    clock: Clock
    progress: Progress
    source: str = "abstract"
    hint: str = ""
    verify: bool = False
    report: RunReport | None = None
    pdfs: arxiv_source.PdfFetcher | None = None

    def on_retry(self, reason: str) -> None:
        if self.report is not None:
            self.report.count_retry()
        self.progress.retry(reason)


def create_digest(
    day: date,
    raw_ids: Sequence[str],
    settings: Settings,
    *,
    clock: Clock,
    force: bool = False,
    source: str = "abstract",
    verify: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """Build a new day: every check that needs no network runs before the first request."""
    run = _Run(settings, clock, progress or QuietProgress(), source=source, verify=verify)
    ids, dropped = _ids(raw_ids, run)
    json_file = store.json_path(settings.output_dir, day)
    if json_file.exists():
        if force:
            llm.check_credentials(settings)  # before the snapshot: a run that cannot start changes nothing
            history.snapshot(settings.output_dir, day, "new")  # kept for `digest undo`, readable or not
        else:
            try:
                existing = store.load_digest(settings.output_dir, day)
            except StoreError as problem:
                raise StoreError(f"{json_file} already exists; pass --force to overwrite it ({problem})") from None
            if {i.base for i in ids} == {e.id for e in existing.entries}:
                # The same day again: carry on where it stopped (only missing and failed papers).
                return resume(day, settings, clock=clock, source=source, verify=verify, progress=run.progress)
            raise StoreError(
                f"{json_file} already exists with other papers; pass --force to overwrite it, "
                "or change it with `digest add` / `digest rm`"
            )
    llm.check_credentials(settings)
    digest = Digest(date=day.isoformat())
    report = run.report = _report(digest, settings, day, dropped=dropped)
    digest.entries = _fetch(ids, run, report)
    store.save_digest(settings.output_dir, day, digest)
    _summarise(digest.entries, run, report, checkpoint=lambda: store.save_digest(settings.output_dir, day, digest))
    days.save(settings, day, digest)
    return report


def resume(
    day: date,
    settings: Settings,
    *,
    clock: Clock,
    source: str = "abstract",
    verify: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """Finish an interrupted or partly failed day: only entries without a summary are fetched or summarised."""
    digest = store.load_digest(settings.output_dir, day)
    if all(entry.ok for entry in digest.entries):
        return _report(digest, settings, day)
    return regenerate(day, [], settings, clock=clock, all_failed=True, source=source, verify=verify,
                      progress=progress)


def regenerate(
    day: date,
    raw_ids: Sequence[str],
    settings: Settings,
    *,
    clock: Clock,
    all_failed: bool = False,
    hint: str = "",
    force: bool = False,
    source: str = "abstract",
    verify: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """Ask the model again for some entries of a day; every other entry (and its row) stays as it was."""
    run = _Run(settings, clock, progress or QuietProgress(), source=source, hint=hint, verify=verify)
    digest = store.load_digest(settings.output_dir, day)
    entries: list[Entry] = []
    for entry in [days.find(digest, text) for text in raw_ids] + [e for e in digest.entries if all_failed and not e.ok]:
        if all(entry is not chosen for chosen in entries):  # each entry once, however often it is named
            entries.append(entry)
    if not entries:
        raise DigestError("nothing to regenerate: name entries, or pass --all-failed when some have failed")
    edited = [e.id for e in entries if e.provenance and e.provenance.edited]
    if edited and not force:
        raise DigestError(f"{', '.join(edited)} edited by hand; pass --force to regenerate and replace the edits")
    llm.check_credentials(settings)
    digest = days.begin_change(settings, day, "regen", force=force)
    entries = [digest.entry(e.id) for e in entries]
    report = run.report = _report(digest, settings, day)
    _refetch_missing(entries, run, report)
    _summarise(entries, run, report, checkpoint=lambda: store.save_digest(settings.output_dir, day, digest))
    days.save(settings, day, digest)
    return report


def add_papers(
    day: date,
    raw_ids: Sequence[str],
    settings: Settings,
    *,
    clock: Clock,
    at: int | None = None,
    force: bool = False,
    source: str = "abstract",
    verify: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """Fetch and summarise late papers into an existing day, at a 1-based position (default: the end)."""
    run = _Run(settings, clock, progress or QuietProgress(), source=source, verify=verify)
    ids, dropped = _ids(raw_ids, run)
    digest = store.load_digest(settings.output_dir, day)
    present = [i for i in ids if digest.entry(i.base) is not None]
    if present:
        run.progress.notice(f"Already in the digest, skipped: {', '.join(map(str, present))}")
    ids = [i for i in ids if digest.entry(i.base) is None]
    if not ids:
        raise DigestError(f"every id given is already in the {day.isoformat()} digest")
    position = len(digest.entries) + 1 if at is None else at
    if not 1 <= position <= len(digest.entries) + 1:
        raise DigestError(f"--at {position} is outside 1..{len(digest.entries) + 1}")
    llm.check_credentials(settings)
    digest = days.begin_change(settings, day, "add", force=force)
    report = run.report = _report(digest, settings, day, dropped=dropped)
    new_entries = _fetch(ids, run, report)
    digest.entries[position - 1 : position - 1] = new_entries
    store.save_digest(settings.output_dir, day, digest)
    _summarise(new_entries, run, report, checkpoint=lambda: store.save_digest(settings.output_dir, day, digest))
    days.save(settings, day, digest)
    return report


def _report(digest: Digest, settings: Settings, day: date, **fields) -> RunReport:
    return RunReport(
        digest, store.json_path(settings.output_dir, day), store.markdown_path(settings.output_dir, day), **fields
    )


def _ids(raw_ids: Sequence[str], run: _Run) -> tuple[list[ArxivId], list[ArxivId]]:
    ids, dropped = normalise(raw_ids)
    if not ids:
        raise DigestError("no arXiv ids given; pass them as arguments or with --ids-file")
    if dropped:
        run.progress.notice(f"Dropped {len(dropped)} duplicate id(s): {', '.join(map(str, dropped))}")
    return ids, dropped


def _fetch(ids: list[ArxivId], run: _Run, report: RunReport) -> list[Entry]:
    """Entries for ids in their order: with arXiv metadata, or failed as not found."""
    fetched = arxiv_source.fetch_papers(ids, run.settings, on_retry=run.on_retry)
    report.arxiv_requests += fetched.requests
    if fetched.missing:
        run.progress.notice(f"Not found on arXiv: {', '.join(map(str, fetched.missing))}")
    if fetched.withdrawn:
        run.progress.notice(f"Withdrawn on arXiv: {', '.join(fetched.withdrawn)}")
    entries = []
    for arxiv_id in ids:
        paper = fetched.papers.get(arxiv_id.base)
        entry = Entry(id=arxiv_id.base, paper=paper)
        if arxiv_id.base in fetched.withdrawn:
            entry.error = f"{arxiv_id} was withdrawn on arXiv ({fetched.withdrawn[arxiv_id.base]})"
        elif paper is None:
            entry.error = f"{arxiv_id} not found on arXiv"
        if entry.error:
            report.processed.append(entry)
            report.failed[entry.id] = entry.error
        entries.append(entry)
    return entries


def _refetch_missing(entries: list[Entry], run: _Run, report: RunReport) -> None:
    """Entries that never got arXiv metadata (not found earlier) ask arXiv again before being summarised."""
    missing = [e for e in entries if e.paper is None]
    if not missing:
        return
    fetched = _fetch([ArxivId(e.id) for e in missing], run, report)
    for entry, again in zip(missing, fetched, strict=True):
        entry.paper, entry.error = again.paper, again.error


def _summarise(entries: list[Entry], run: _Run, report: RunReport, *, checkpoint: Callable[[], None]) -> None:
    """Summarise entries that have a paper, `concurrency` at a time, checkpointing each as it lands. A failure
    never destroys a summary the entry already had: it is reported, and recorded on entries without one."""
    pending = [e for e in entries if e.paper is not None]
    run.progress.start(len(pending))
    if not pending:
        return
    settings = run.settings
    client = llm.make_client(settings)
    templates_hash = prompt_hash(settings.prompts_dir)
    if run.source == "pdf":
        run.pdfs = arxiv_source.PdfFetcher(settings)
    executor = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="digest-model")
    futures: dict[Future, Entry] = {
        executor.submit(_summary_for, client, entry.paper, run, templates_hash): entry for entry in pending
    }
    try:
        remaining = set(futures)
        while remaining:
            done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
            for future in done:
                entry = futures[future]
                report.processed.append(entry)
                try:
                    entry.summary, entry.provenance, unverified = future.result()
                    entry.summary_markdown, entry.error = None, None
                    if unverified:
                        report.unverified[entry.id] = unverified
                except llm.FatalModelError:
                    raise
                except DigestError as err:
                    report.failed[entry.id] = str(err)
                    if entry.summary is None and entry.summary_markdown is None:
                        entry.error = str(err)
                except Exception as err:
                    err.add_note(f"while summarising {entry.id}")
                    raise
                checkpoint()  # finished work is on disk before the next result is awaited
                run.progress.advance(entry)
    finally:
        # Ctrl-C or a fatal error: drop queued calls; finished entries are already on disk.
        executor.shutdown(wait=False, cancel_futures=True)


def _summary_for(client, paper: Paper, run: _Run, templates_hash: str):
    """One entry's summary and provenance (and, with --verify, what is still not grounded)."""
    label, text, note = _source_for(paper, run)
    full_text = text if label == "full text" else None

    def ask(hint: str) -> llm.Generation:
        messages = build_messages(paper, prompts_dir=run.settings.prompts_dir, hint=hint, full_text=full_text)
        return llm.summarise(client, messages, run.settings, on_retry=run.on_retry)

    generation = ask(run.hint)
    usage = generation.usage.model_copy()
    remaining = ""
    if run.verify:
        source = Source(text)
        missing = ungrounded(parts_text(generation.summary), source)
        if missing:
            figures = ", ".join(f.text for f in missing)
            correction = (f"These figures are not in the paper text: {figures}. Use only figures that appear in "
                          "the text, exactly as written there.")
            generation = ask(f"{run.hint} {correction}".strip())
            for name in ("prompt_tokens", "completion_tokens", "total_tokens"):
                setattr(usage, name, getattr(usage, name) + getattr(generation.usage, name))
            still = ungrounded(parts_text(generation.summary), source)
            remaining = f"{', '.join(f.text for f in still)} not in the {label}" if still else ""
            note = "; ".join(filter(None, [note, f"regenerated once by --verify ({figures} not in the {label})",
                                           f"still unverified: {remaining}" if remaining else ""]))
    provenance = provenance_for(generation, templates_hash, "pdf" if full_text else "abstract", run.clock)
    provenance.usage, provenance.note = usage, note
    return generation.summary, provenance, remaining


def _source_for(paper: Paper, run: _Run) -> tuple[str, str, str | None]:
    """(label, text, note): the fitted full text for --source pdf, or the abstract (saying why, on a fallback).
    The full text is kept under output/.sources/ so `digest check` can ground figures against it later."""
    if run.pdfs is None:
        return "abstract", paper.abstract, None
    try:
        text = fit(extract_text(run.pdfs.download(paper)), paper.abstract, run.settings.pdf_token_budget)
    except DigestError as problem:
        run.progress.notice(f"{paper.id}: PDF not used, summarised from the abstract ({problem})")
        return "abstract", paper.abstract, f"PDF not used ({problem}); summarised from the abstract"
    store.atomic_write(store.source_path(run.settings.output_dir, paper.id, paper.version), text)
    return "full text", text, None


def provenance_for(generation: llm.Generation, templates_hash: str, source: str, clock: Clock) -> Provenance:
    """Provenance of a model answer; its time is the server's `created` stamp when it sent one."""
    generated = datetime.fromtimestamp(generation.created, UTC) if generation.created else clock().astimezone(UTC)
    return Provenance(
        model=generation.model,
        prompt_hash=templates_hash,
        source=source,
        usage=generation.usage,
        generated_at=generated.isoformat().replace("+00:00", "Z"),
    )
