"""Summarising entries: `concurrency` model calls at a time, each from its source text (abstract or fitted full
text), checked against it with --verify, checkpointed as it lands; and the run's report."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from authoring.checks.grounding import Source, parts_text, ungrounded
from authoring.config import Settings
from authoring.errors import ConfigError, DigestError, passes_through
from authoring.ids import ArxivId
from authoring.model.prompts import build_messages
from authoring.models import Digest, Entry, Paper, Provenance, Usage
from authoring.runs.estimates import Budget, BudgetReached
from authoring.sources.fulltext import extract_text, fit
from authoring.sources.pdfs import PdfFetcher
from authoring.store import files as store
from authoring.templating import prompt_hash

if TYPE_CHECKING:
    from authoring.model import llm

Clock = Callable[[], datetime]


class Progress(Protocol):
    """What a run reports while it goes; the CLI draws it, tests may record it."""

    def notice(self, message: str) -> None: ...

    def start(self, total: int) -> None: ...

    def advance(self, entry: Entry, problem: str | None = None) -> None: ...

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
    # Entries a person changed or removed while the run summarised them: id -> where the run's result was kept.
    conflicts: dict[str, str] = field(default_factory=dict)
    markdown_edited: bool = False  # DATE.md was edited by hand, so it was not re-rendered
    rerendered: bool = False  # resume re-rendered a stale DATE.md
    idle: str = ""  # why a run had nothing to do (every paper already there, nothing failed)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def count_retry(self) -> None:
        with self._lock:  # worker threads report retries concurrently
            self.retries += 1

    @property
    def pending(self) -> int:
        """Entries of the day still without a summary or an error (an interrupted run)."""
        return sum(1 for e in self.digest.entries if e.pending)

    @property
    def left_out(self) -> int:
        """Entries DATE.md leaves out: failed or pending."""
        return sum(1 for e in self.digest.entries if not e.ok)

    @property
    def usage(self) -> Usage:
        return sum((e.provenance.usage for e in self.processed if e.provenance and e.id not in self.failed), Usage())


@dataclass
class Run:
    """One run's settings, clock, display and options, shared by its worker threads."""

    settings: Settings
    clock: Clock
    progress: Progress
    source: str = "abstract"
    hint: str = ""
    verify: bool = False
    report: RunReport | None = None
    pdfs: PdfFetcher | None = None
    stopped: bool = False  # a fatal error ended the run: calls still in flight retry silently
    watch: llm.ServerWatch | None = None  # what the run's calls learn of the server: a stop, a silence
    budget: Budget | None = None  # --max-cost: each call is checked against it before it is made

    def on_retry(self, reason: str) -> None:
        if self.stopped:
            return
        if self.report is not None:
            self.report.count_retry()
        self.progress.retry(reason)


def _next_batch(arriving: Iterator[list[Entry]]) -> list[Entry] | None:
    return next(arriving, None)


def summarise(
    entries: list[Entry],
    run: Run,
    report: RunReport,
    *,
    checkpoint: Callable[[Entry], None],
    arriving: Iterator[list[Entry]] | None = None,
) -> None:
    """Summarise entries that have a paper, `concurrency` at a time, checkpointing each as it lands. With
    `arriving`, the entries get their papers in batches (arXiv chunks) while earlier ones are summarised; an entry
    that arrives failed (not on arXiv) is checkpointed as it is. A failure never destroys a summary the entry
    already had: it is reported, and recorded on entries without one."""
    expected = len(entries) if arriving is not None else sum(1 for e in entries if e.paper is not None)
    run.progress.start(expected)
    if not expected:
        return
    settings = run.settings
    # arXiv is asked first, so its answer is on the way while the model client (the openai SDK, the slowest
    # import) is loaded and built.
    fetcher: ThreadPoolExecutor | None = None
    next_batch: Future[list[Entry] | None] | None = None
    if arriving is not None:
        fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-arxiv")
        next_batch = fetcher.submit(_next_batch, arriving)
    try:
        from authoring.model import llm

        run.budget = Budget.for_run(settings, report.digest)
        client = llm.make_client(settings)
        run.watch = llm.ServerWatch(settings)
        templates_hash = prompt_hash(settings.prompts_dir, settings.language)
        if run.source == "pdf":
            run.pdfs = PdfFetcher(settings)
    except BaseException:
        if fetcher is not None:
            fetcher.shutdown(wait=False, cancel_futures=True)
        raise
    executor = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="digest-model")
    futures: dict[Future, Entry] = {}

    def start(batch: list[Entry]) -> set[Future]:
        started = set()
        for entry in batch:
            if entry.paper is not None:
                future = executor.submit(_summary_for, client, entry.paper, run, templates_hash)
                futures[future] = entry
                started.add(future)
            elif arriving is not None:  # failed at arXiv: nothing to ask the model
                checkpoint(entry)
                run.progress.advance(entry, entry.error)
        return started

    fetch_failed: DigestError | None = None
    try:
        remaining = start(entries if arriving is None else [])
        while remaining or next_batch is not None:
            waiting = remaining | ({next_batch} if next_batch is not None else set())
            done, _ = wait(waiting, return_when=FIRST_COMPLETED)
            if next_batch in done:
                done.discard(next_batch)
                try:
                    batch = next_batch.result()
                except DigestError as problem:  # arXiv gave up on a chunk: finish what is in flight, then stop
                    fetch_failed, batch = problem, None
                assert fetcher is not None and arriving is not None  # next_batch came from them
                next_batch = fetcher.submit(_next_batch, arriving) if batch is not None else None
                remaining |= start(batch or [])
            remaining -= done
            for future in done:
                entry = futures[future]
                if isinstance(future.exception(), BudgetReached):
                    continue  # never asked: the entry stays as it was (pending, or its previous summary)
                report.processed.append(entry)
                try:
                    entry.summary, entry.provenance, unverified = future.result()
                    entry.summary_markdown, entry.error = None, None
                    entry.reviewed = None  # a new summary has not been reviewed
                    if unverified:
                        report.unverified[entry.id] = unverified
                except (llm.FatalModelError, ConfigError):  # a prompt template that does not render fails them all
                    raise
                except DigestError as err:
                    report.failed[entry.id] = str(err)
                    if entry.summary is None and entry.summary_markdown is None:
                        entry.error = str(err)
                except Exception as err:
                    if passes_through(err):  # a --cassette miss: the run's problem, named with the paper
                        err.add_note(f"while summarising {entry.id}")
                        raise
                    # Unclassified: still this paper's failure, never the run's.
                    report.failed[entry.id] = f"unexpected error: {type(err).__name__}: {err}"
                    if entry.summary is None and entry.summary_markdown is None:
                        entry.error = report.failed[entry.id]
                checkpoint(entry)  # finished work is on disk before the next result is awaited
                run.progress.advance(entry, report.failed.get(entry.id))
        if run.budget is not None and run.budget.refused:
            raise BudgetReached(run.budget.stopped())
        if fetch_failed is not None:
            raise fetch_failed  # the papers of the chunks not fetched stay pending for `digest resume`
    except BaseException as err:
        # The run is over (a fatal error, a --cassette miss, Ctrl-C): calls still in flight retry silently and
        # start no further attempt, so nothing is printed or sent after the error line.
        run.stopped = True
        if run.watch is not None:
            run.watch.stop(err if isinstance(err, llm.FatalModelError) else llm.FatalModelError("the run stopped"))
        raise
    finally:
        # Ctrl-C or a fatal error: drop queued calls; finished entries are already on disk.
        executor.shutdown(wait=False, cancel_futures=True)
        if fetcher is not None:
            fetcher.shutdown(wait=False, cancel_futures=True)


def _summary_for(client, paper: Paper, run: Run, templates_hash: str):
    """One entry's summary and provenance (and, with --verify, what is still not grounded)."""
    from authoring.model import llm

    label, text, note = _source_for(paper, run)
    full_text = text if label == "full text" else None

    def ask(hint: str) -> llm.Generation:
        messages = build_messages(paper, prompts_dir=run.settings.prompts_dir, hint=hint, full_text=full_text,
                                  language=run.settings.language)
        reserved = run.budget.reserve(messages) if run.budget is not None else 0.0
        usage = None
        try:
            generation = llm.summarise(client, messages, run.settings, watch=run.watch, paper=paper.id,
                                       on_retry=lambda why: run.on_retry(f"{paper.id}: {why}"))
            usage = generation.usage
            return generation
        finally:
            if run.budget is not None:
                run.budget.settle(reserved, usage)

    generation = ask(run.hint)
    usage = generation.usage
    remaining = ""
    if run.verify:
        source = Source(text)
        missing = ungrounded(parts_text(generation.summary), source)
        if missing:
            figures = ", ".join(f.text for f in missing)
            correction = (f"These figures are not in the paper text: {figures}. Use only figures that appear in "
                          "the text, exactly as written there.")
            try:
                generation = ask(f"{run.hint} {correction}".strip())
                usage += generation.usage
                redone = f"regenerated once by --verify ({figures} not in the {label})"
            except (llm.FatalModelError, ConfigError):
                raise
            except DigestError as problem:  # keep the first answer rather than lose the entry
                redone = f"--verify could not regenerate it ({problem})"
            still = ungrounded(parts_text(generation.summary), source)
            remaining = f"{', '.join(f.text for f in still)} not in the {label}" if still else ""
            note = "; ".join(filter(None, [note, redone, f"still unverified: {remaining}" if remaining else ""]))
    provenance = provenance_for(generation, templates_hash, "pdf" if full_text else "abstract", run.clock,
                                language=run.settings.language)
    provenance.usage, provenance.note = usage, note
    return generation.summary, provenance, remaining


def _source_for(paper: Paper, run: Run) -> tuple[str, str, str | None]:
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


def provenance_for(generation: llm.Generation, templates_hash: str, source: str, clock: Clock,
                   language: str | None = None) -> Provenance:
    """Provenance of a model answer; its time is the server's `created` stamp when it sent one."""
    generated = datetime.fromtimestamp(generation.created, UTC) if generation.created else clock().astimezone(UTC)
    return Provenance(
        model=generation.model,
        prompt_hash=templates_hash,
        source=source,
        usage=generation.usage,
        generated_at=generated.isoformat().replace("+00:00", "Z"),
        language=language,
    )
