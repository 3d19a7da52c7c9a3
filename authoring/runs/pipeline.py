"""The wiring of runs that call the network: `new` (ids -> arXiv -> concurrent summaries -> DATE.json/.md),
`resume`, `regen` (one or more entries again) and `add` (late papers into a day). No run holds the day's lock
while it waits for arXiv or the model: `days.Checkpoints` takes it to write the day, to journal each finished
entry, and to fold the journal in at the end (also after Ctrl-C or a run-stopping error)."""

from __future__ import annotations

import shlex
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from authoring.config import Settings, check_credentials
from authoring.errors import DigestError, HubError, StoreError, passes_through
from authoring.ids import ArxivId, normalise
from authoring.models import Digest, Entry, HubInfo
from authoring.runs.progress import QuietProgress
from authoring.runs.summarising import Clock, Progress, Run, RunReport, summarise
from authoring.sources import arxiv_api as arxiv_source
from authoring.sources import hub as hf_source
from authoring.store import days, edits
from authoring.store import files as store
from authoring.text import count


@dataclass
class HubSelection:
    """The ids `--from-hf` chose from the Hub's listing (the Hub's order), what the Hub said of each, how many
    papers the day listed and how many requests that took."""

    ids: list[str]
    hub: dict[str, HubInfo]
    listed: int
    requests: int


def papers_from_hub(
    day: date,
    settings: Settings,
    *,
    limit: int | None = None,
    min_upvotes: int | None = None,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> HubSelection:
    """The day's ids from the Hub's daily-papers listing, selected by `min_upvotes` then `limit`. A day the Hub
    lists nothing for (weekends, holidays), or nothing left after selection, is an error: nothing is written."""
    progress = progress or QuietProgress()
    if not dry_run:
        check_credentials(settings)  # a run that cannot summarise does not ask the Hub first
    listing = hf_source.daily_papers(day, settings, on_retry=lambda reason: progress.notice(f"Retrying {reason}"))
    where = hf_source.endpoint_label(settings)
    if listing.not_arxiv:
        progress.notice(f"Not arXiv ids, skipped from the Hub's listing: {', '.join(listing.not_arxiv)}")
    if not listing.papers:
        raise HubError(f"the Hub lists no daily papers for {day.isoformat()} at {where} (there are none on weekends "
                       "and holidays); nothing was written")
    chosen = hf_source.select(listing.papers, limit=limit, min_upvotes=min_upvotes)
    if not chosen:
        raise HubError(f"none of the {len(listing.papers)} papers the Hub lists for {day.isoformat()} has "
                       f"{min_upvotes} upvotes or more (--min-upvotes); nothing was written")
    progress.notice(f"The Hub lists {len(listing.papers)} papers for {day.isoformat()}; taking {len(chosen)}")
    return HubSelection([str(p.id) for p in chosen], {p.id.base: p.hub for p in chosen}, len(listing.papers),
                        listing.requests)


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
    hub: Mapping[str, HubInfo] | None = None,
) -> RunReport:
    """Build a new day: every check that needs no network runs before the first request. `hub` holds what the
    Hub's daily-papers listing said of some ids (version-less id -> HubInfo), stored with their entries."""
    run = Run(settings, clock, progress or QuietProgress(), source=source, verify=verify)
    ids, dropped = _ids(raw_ids, run)
    json_file = store.json_path(settings.output_dir, day)
    if json_file.exists() and not force:
        try:
            existing = days.load(settings, day, notice=run.progress.notice)
        except StoreError as problem:
            raise StoreError(f"{json_file} already exists; pass --force to overwrite it ({problem})") from None
        if {i.base for i in ids} == {e.id for e in existing.entries}:
            # The same day again: carry on where it stopped (only missing and failed papers).
            return resume(day, settings, clock=clock, source=source, verify=verify, progress=run.progress)
        raise StoreError(
            f"{json_file} already exists with other papers; pass --force to overwrite it, "
            "or change it with `digest add` / `digest rm`"
        )
    check_credentials(settings)  # before anything is written: a run that cannot start changes nothing
    # Every paper is written pending first; arXiv's metadata arrives a chunk at a time while the model works.
    digest = Digest(date=day.isoformat(), entries=_pending(ids, hub))
    report = run.report = _report(digest, settings, day, dropped=dropped)

    def prepare(current: Digest | None) -> tuple[Digest, list[Entry]]:
        if current is not None:  # created by another command while arXiv answered
            raise StoreError(f"{json_file} was created meanwhile by another command; pass --force to overwrite it")
        return digest, digest.entries

    checkpoints = days.Checkpoints(settings, day, "new", force=force, notice=run.progress.notice)
    checkpoints.begin(prepare, replace=force)
    return _summarise_and_fold(digest.entries, run, report, checkpoints,
                               arriving=_arriving(ids, digest.entries, run, report))


def resume(
    day: date,
    settings: Settings,
    *,
    clock: Clock,
    source: str = "abstract",
    verify: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """Finish an interrupted or partly failed day: only entries without a summary are fetched or summarised; a
    day whose DATE.md is stale (DATE.json changed since it was rendered) is re-rendered even when none is missing."""
    from authoring.runs.batches import queued

    digest = days.load(settings, day, notice=(progress or QuietProgress()).notice)
    waiting = {entry_id for queued_day, entry_id in queued(settings.output_dir) if queued_day == digest.date}
    if all(entry.ok or entry.id in waiting for entry in digest.entries):
        if any(not entry.ok for entry in digest.entries):
            (progress or QuietProgress()).notice("The entries still missing are queued in a batch: "
                                                 "`digest batch collect` brings them in")
        report = _report(digest, settings, day)
        if days.markdown_state(settings, day, digest) in (days.STALE, days.MISSING):
            report.digest, report.rerendered = days.render_day(settings, day)
        return report
    return regenerate(day, [], settings, clock=clock, all_failed=True, source=source, verify=verify,
                      progress=progress, command="resume")


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
    command: str = "regen",
) -> RunReport:
    """Ask the model again for some entries of a day; every other entry (and its row) stays as it was."""
    run = Run(settings, clock, progress or QuietProgress(), source=source, hint=hint, verify=verify)
    digest = days.load(settings, day, notice=run.progress.notice)
    skip = _in_batches(digest, settings, run) if all_failed else set()
    wanted = regen_choice(digest, raw_ids, all_failed, force, skip)
    if not wanted:
        return _report(digest, settings, day, idle="no entry has failed or is missing its summary")
    check_credentials(settings)

    def prepare(current: Digest | None) -> tuple[Digest, list[Entry]]:
        if current is None:
            raise StoreError(f"{store.json_path(settings.output_dir, day)} was removed meanwhile")
        return current, _held(current, regen_choice(current, wanted, False, force))  # the day as it is now

    checkpoints = days.Checkpoints(settings, day, command, force=force, notice=run.progress.notice)
    digest = checkpoints.begin(prepare)
    entries = _held(digest, wanted)
    report = run.report = _report(digest, settings, day)
    _refetch_missing(entries, run, report)
    return _summarise_and_fold(entries, run, report, checkpoints)


def _held(digest: Digest, ids: Sequence[str]) -> list[Entry]:
    """The entries of `ids`, which the day holds (`regen_choice` found each in it)."""
    entries = []
    for arxiv_id in ids:
        entry = digest.entry(arxiv_id)
        assert entry is not None, f"{arxiv_id} is not in the day"
        entries.append(entry)
    return entries


def _in_batches(digest: Digest, settings: Settings, run: Run) -> set[str]:
    """Entries of the day waiting in a Batch API job: `resume` and `--all-failed` leave them to `batch collect`."""
    from authoring.runs.batches import queued

    waiting = {entry_id for day, entry_id in queued(settings.output_dir) if day == digest.date}
    waiting &= {e.id for e in digest.entries if not e.ok}
    if waiting:
        run.progress.notice(f"Left for `digest batch collect` (queued in a batch): {', '.join(sorted(waiting))}")
    return waiting


def regen_choice(digest: Digest, raw_ids: Sequence[str], all_failed: bool, force: bool,
            skip: set[str] | frozenset[str] = frozenset()) -> list[str]:
    """The ids of the entries to regenerate, each once, in the order named (then the failed ones not in `skip`)."""
    chosen: list[str] = []
    failed = [e for e in digest.entries if all_failed and not e.ok and e.id not in skip]
    for entry in [edits.find(digest, text) for text in raw_ids] + failed:
        if entry.id not in chosen:
            chosen.append(entry.id)
    if not chosen and not all_failed:
        raise DigestError("nothing to regenerate: name entries, or pass --all-failed")
    edited = [i for i in chosen if (e := digest.entry(i)) is not None and e.provenance and e.provenance.edited]
    if edited and not force:
        raise DigestError(f"{', '.join(edited)} edited by hand; pass --force to regenerate and replace the edits")
    return chosen


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
    hub: Mapping[str, HubInfo] | None = None,
) -> RunReport:
    """Fetch and summarise late papers into an existing day, at a 1-based position (default: the end); `hub` as
    for create_digest."""
    run = Run(settings, clock, progress or QuietProgress(), source=source, verify=verify)
    ids, dropped = _ids(raw_ids, run)
    digest = days.load(settings, day, notice=run.progress.notice)
    ids = _new_ids(digest, ids, run, at)
    if not ids:
        return _report(digest, settings, day, dropped=dropped, idle=f"every paper is already in the {day} digest")
    check_credentials(settings)
    report = run.report = _report(digest, settings, day, dropped=dropped)
    fetched = _fetch(ids, run, report, hub)

    def prepare(current: Digest | None) -> tuple[Digest, list[Entry]]:
        if current is None:
            raise StoreError(f"{store.json_path(settings.output_dir, day)} was removed meanwhile")
        new_entries = [e for e in fetched if current.entry(e.id) is None]  # as the day is now, under the lock
        position = min(len(current.entries) + 1 if at is None else at, len(current.entries) + 1)
        current.entries[position - 1 : position - 1] = new_entries
        return current, new_entries

    checkpoints = days.Checkpoints(settings, day, "add", force=force, notice=run.progress.notice)
    digest = checkpoints.begin(prepare)
    report.digest = digest
    new_entries = [entry for e in fetched if (entry := digest.entry(e.id)) is not None]
    return _summarise_and_fold(new_entries, run, report, checkpoints)


def _new_ids(digest: Digest, ids: list[ArxivId], run: Run, at: int | None) -> list[ArxivId]:
    present = [i for i in ids if digest.entry(i.base) is not None]
    if present:
        run.progress.notice(f"Already in the digest, skipped: {', '.join(map(str, present))}")
    ids = [i for i in ids if digest.entry(i.base) is None]
    if ids and at is not None and not 1 <= at <= len(digest.entries) + 1:
        raise DigestError(f"--at {at} is outside 1..{len(digest.entries) + 1}")
    return ids


def _summarise_and_fold(entries: list[Entry], run: Run, report: RunReport, checkpoints: days.Checkpoints,
                        arriving: Iterator[list[Entry]] | None = None) -> RunReport:
    """Summarise the run's entries, journaling each as it lands; fold the journal into the day however the run
    ends (finished, Ctrl-C, a run-stopping error), so DATE.md shows what finished."""
    try:
        summarise(entries, run, report, checkpoint=checkpoints.record, arriving=arriving)
    except BaseException as problem:
        _fold_or_say(report, checkpoints)
        if isinstance(problem, DigestError):  # the one line the user sees says what is on disk, and what next
            problem.args = (f"{problem}; {_what_is_saved(report, checkpoints)}",)
        elif passes_through(problem) or isinstance(problem, KeyboardInterrupt):  # a --cassette miss, Ctrl-C
            problem.add_note(_what_is_saved(report, checkpoints))
        raise
    _fold_or_say(report, checkpoints)
    return report


def _fold_or_say(report: RunReport, checkpoints: days.Checkpoints) -> None:
    """Fold the run's journal into the day; if the day cannot be written (a full disk), say where the finished
    papers are: the journal keeps them, and the next command that reads the day folds them in."""
    try:
        _fold_into(report, checkpoints)
    except StoreError as problem:
        journal = store.journal_path(checkpoints.settings.output_dir, checkpoints.day)
        raise StoreError(f"{problem}; the finished papers are kept in {journal}: the next command that reads "
                         f"{report.digest.date} (`digest list` will do) folds them in once the day can be written"
                         ) from None


def _what_is_saved(report: RunReport, checkpoints: days.Checkpoints) -> str:
    day = report.digest.date
    finished = sum(1 for entry_id in checkpoints.recorded if entry_id not in report.failed)
    if checkpoints.command == "regen":
        said = (f"{count(finished, 'entry', 'entries')} regenerated so far {'is' if finished == 1 else 'are'} "
                "saved; the others keep their previous summary")
    else:
        pending = report.pending
        said = (f"{count(finished, 'finished paper')} {'is' if finished == 1 else 'are'} saved"
                + (f" and {pending} {'is' if pending == 1 else 'are'} pending: "
                   f"{_digest(checkpoints.settings, 'resume', day)} does the rest" if pending else ""))
    if checkpoints.replaced:
        said += (f"; this run replaced the day that was there ({_digest(checkpoints.settings, 'undo', day)} brings "
                 "it back)")
    return said


def _digest(settings: Settings, command: str, day: str) -> str:
    """A command to run next, quoted, with --output-dir when the day is not in ./output."""
    where = "" if settings.output_dir == Path("output") else f" --output-dir {shlex.quote(str(settings.output_dir))}"
    return f"`digest {command} {day}{where}`"


def _fold_into(report: RunReport, checkpoints: days.Checkpoints) -> None:
    outcome = checkpoints.finish()
    report.digest, report.conflicts = outcome.digest, outcome.conflicts
    report.markdown_edited = outcome.markdown_edited


def _report(digest: Digest, settings: Settings, day: date, **fields) -> RunReport:
    return RunReport(
        digest, store.json_path(settings.output_dir, day), store.markdown_path(settings.output_dir, day), **fields
    )


def _ids(raw_ids: Sequence[str], run: Run) -> tuple[list[ArxivId], list[ArxivId]]:
    ids, dropped = normalise(raw_ids)
    if not ids:
        raise DigestError("no arXiv ids given; pass them as arguments or with --ids-file")
    if dropped:
        run.progress.notice(f"Dropped {count(len(dropped), 'duplicate id')}: {', '.join(map(str, dropped))}")
    return ids, dropped


def _pending(ids: list[ArxivId], hub: Mapping[str, HubInfo] | None = None) -> list[Entry]:
    """Entries for ids in their order, not yet fetched (with the Hub's data where given)."""
    return [Entry(id=arxiv_id.base, hub=(hub or {}).get(arxiv_id.base)) for arxiv_id in ids]


def _fetch(ids: list[ArxivId], run: Run, report: RunReport, hub: Mapping[str, HubInfo] | None = None) -> list[Entry]:
    """Entries for ids in their order: with arXiv metadata (and the Hub's data where given), or failed as not
    found."""
    entries = _pending(ids, hub)
    fetched = arxiv_source.fetch_papers(ids, run.settings, on_retry=run.on_retry)
    _apply(ids, fetched, entries, run, report)
    return entries


def _arriving(ids: list[ArxivId], entries: list[Entry], run: Run, report: RunReport) -> Iterator[list[Entry]]:
    """arXiv metadata a chunk at a time (one client, so arXiv's spacing holds between chunks): each chunk's entries
    are yielded as soon as it lands, so the model works on them while the next chunk waits its turn."""
    client = arxiv_source.make_client(run.settings)
    size = arxiv_source.CHUNK_SIZE
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        fetched = arxiv_source.fetch_papers(chunk, run.settings, client=client, on_retry=run.on_retry)
        yield _apply(chunk, fetched, entries[start : start + size], run, report)


def _apply(ids: Sequence[ArxivId], fetched: arxiv_source.FetchResult, entries: list[Entry], run: Run,
           report: RunReport) -> list[Entry]:
    """Fill entries (in the order of ids) from what arXiv answered; unknown and withdrawn papers fail."""
    report.arxiv_requests += fetched.requests
    if fetched.missing:
        run.progress.notice(f"Not found on arXiv: {', '.join(map(str, fetched.missing))}")
    if fetched.withdrawn:
        run.progress.notice(f"Withdrawn on arXiv: {', '.join(fetched.withdrawn)}")
    if fetched.unreadable:
        run.progress.notice(f"Unreadable in arXiv's answer: {', '.join(fetched.unreadable)}")
    for arxiv_id, entry in zip(ids, entries, strict=True):
        entry.paper = fetched.papers.get(arxiv_id.base)
        entry.error = fetched.error_for(arxiv_id)
        if entry.error:
            report.processed.append(entry)
            report.failed[entry.id] = entry.error
    return entries


def _refetch_missing(entries: list[Entry], run: Run, report: RunReport) -> None:
    """Entries that never got arXiv metadata (not found earlier) ask arXiv again before being summarised."""
    missing = [e for e in entries if e.paper is None]
    if not missing:
        return
    fetched = _fetch([ArxivId(e.id) for e in missing], run, report)
    for entry, again in zip(missing, fetched, strict=True):
        entry.paper, entry.error = again.paper, again.error
