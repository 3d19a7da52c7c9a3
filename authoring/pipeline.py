"""The wiring of runs that call the network: `new` (ids -> arXiv -> concurrent summaries -> DATE.json/.md),
`resume`, `regen` (one or more entries again) and `add` (late papers into a day)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from . import arxiv_source, days, history, llm, store
from .config import Settings
from .errors import DigestError, StoreError
from .ids import ArxivId, normalise
from .models import Digest, Entry
from .progress import QuietProgress
from .summarising import Clock, Progress, Run, RunReport, summarise


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
    run = Run(settings, clock, progress or QuietProgress(), source=source, verify=verify)
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
    summarise(digest.entries, run, report, checkpoint=lambda: store.save_digest(settings.output_dir, day, digest))
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
    run = Run(settings, clock, progress or QuietProgress(), source=source, hint=hint, verify=verify)
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
    summarise(entries, run, report, checkpoint=lambda: store.save_digest(settings.output_dir, day, digest))
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
    run = Run(settings, clock, progress or QuietProgress(), source=source, verify=verify)
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
    summarise(new_entries, run, report, checkpoint=lambda: store.save_digest(settings.output_dir, day, digest))
    days.save(settings, day, digest)
    return report


def _report(digest: Digest, settings: Settings, day: date, **fields) -> RunReport:
    return RunReport(
        digest, store.json_path(settings.output_dir, day), store.markdown_path(settings.output_dir, day), **fields
    )


def _ids(raw_ids: Sequence[str], run: Run) -> tuple[list[ArxivId], list[ArxivId]]:
    ids, dropped = normalise(raw_ids)
    if not ids:
        raise DigestError("no arXiv ids given; pass them as arguments or with --ids-file")
    if dropped:
        run.progress.notice(f"Dropped {len(dropped)} duplicate id(s): {', '.join(map(str, dropped))}")
    return ids, dropped


def _fetch(ids: list[ArxivId], run: Run, report: RunReport) -> list[Entry]:
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


def _refetch_missing(entries: list[Entry], run: Run, report: RunReport) -> None:
    """Entries that never got arXiv metadata (not found earlier) ask arXiv again before being summarised."""
    missing = [e for e in entries if e.paper is None]
    if not missing:
        return
    fetched = _fetch([ArxivId(e.id) for e in missing], run, report)
    for entry, again in zip(missing, fetched, strict=True):
        entry.paper, entry.error = again.paper, again.error
