"""--dry-run of new, add, regen and resume: the papers each would summarise, chosen as the run chooses them, with
their arXiv metadata fetched and their cost estimated (runs.estimates). Nothing is written and no model is asked:
days are read with `days.peek`, which applies a run's journal in memory only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from authoring.config import Settings
from authoring.errors import DigestError, StoreError
from authoring.ids import ArxivId, normalise
from authoring.models import Digest, Entry, Paper
from authoring.runs.estimates import Estimate, estimate
from authoring.runs.pipeline import regen_choice
from authoring.sources import arxiv_api as arxiv_source
from authoring.store import days
from authoring.store import files as store


def plan_new(day: date, raw_ids: Sequence[str], settings: Settings, *, force: bool = False,
             source: str = "abstract") -> Estimate:
    """What `digest new` would summarise: every id (the same ids as a stored day: what `resume` would do)."""
    ids = _ids(raw_ids)
    json_file = store.json_path(settings.output_dir, day)
    if json_file.exists() and not force:
        try:
            existing = days.peek(settings, day)
        except StoreError as problem:
            raise StoreError(f"{json_file} already exists; pass --force to overwrite it ({problem})") from None
        if {i.base for i in ids} == {e.id for e in existing.entries}:
            return plan_resume(day, settings, source=source)
        raise StoreError(f"{json_file} already exists with other papers; pass --force to overwrite it, or change it "
                         "with `digest add` / `digest rm`")
    papers, notices = _fetch(ids, settings)
    return estimate(day.isoformat(), papers, settings, history=None, source=source, notices=notices)


def plan_add(day: date, raw_ids: Sequence[str], settings: Settings, *, source: str = "abstract") -> Estimate:
    """What `digest add` would summarise: the ids the day does not have yet."""
    ids = _ids(raw_ids)
    digest = days.peek(settings, day)
    present = [str(i) for i in ids if digest.entry(i.base) is not None]
    notices = [f"Already in the digest, skipped: {', '.join(present)}"] if present else []
    ids = [i for i in ids if digest.entry(i.base) is None]
    if not ids:
        return estimate(day.isoformat(), [], settings, history=digest, notices=notices,
                        idle=f"every paper is already in the {day} digest")
    papers, more = _fetch(ids, settings)
    return estimate(day.isoformat(), papers, settings, history=digest, source=source, notices=notices + more)


def plan_regen(day: date, raw_ids: Sequence[str], settings: Settings, *, all_failed: bool = False, hint: str = "",
               force: bool = False, source: str = "abstract") -> Estimate:
    """What `digest regen` would ask the model again for (the same choice, with the same refusals)."""
    digest = days.peek(settings, day)
    skip = _queued(digest, settings) if all_failed else set()
    wanted = regen_choice(digest, raw_ids, all_failed, force, skip)
    if not wanted:
        return estimate(day.isoformat(), [], settings, history=digest,
                        idle="no entry has failed or is missing its summary")
    return _estimate_entries(digest, [e for i in wanted if (e := digest.entry(i)) is not None], settings,
                             hint=hint, source=source)


def plan_resume(day: date, settings: Settings, *, source: str = "abstract") -> Estimate:
    """What `digest resume` would summarise: the entries without a summary, less those queued in a batch."""
    digest = days.peek(settings, day)
    waiting = _queued(digest, settings)
    entries = [e for e in digest.entries if not e.ok and e.id not in waiting]
    if not entries:
        return estimate(day.isoformat(), [], settings, history=digest,
                        idle=f"every paper of {store.json_path(settings.output_dir, day)} already has its summary")
    return _estimate_entries(digest, entries, settings, source=source)


def _estimate_entries(digest: Digest, entries: list[Entry], settings: Settings, *, hint: str = "",
                      source: str = "abstract") -> Estimate:
    """Entries with their stored metadata; those that never got it ask arXiv, as the run would."""
    missing = [ArxivId(e.id) for e in entries if e.paper is None]
    fetched, notices = _fetch(missing, settings) if missing else ([], [])
    by_id = {paper.id: paper for paper in fetched}
    papers = [paper for e in entries if (paper := e.paper or by_id.get(e.id)) is not None]
    return estimate(digest.date, papers, settings, history=digest, hint=hint, source=source, notices=notices)


def _ids(raw_ids: Sequence[str]) -> list[ArxivId]:
    ids, _ = normalise(raw_ids)
    if not ids:
        raise DigestError("no arXiv ids given; pass them as arguments or with --ids-file")
    return ids


def _fetch(ids: list[ArxivId], settings: Settings) -> tuple[list[Paper], list[str]]:
    """The papers arXiv knows, in the order of ids, and a line for each it has nothing to summarise for."""
    fetched = arxiv_source.fetch_papers(ids, settings)
    papers = [fetched.papers[i.base] for i in ids if fetched.error_for(i) is None]
    notices = [f"Not summarised: {problem}" for i in ids if (problem := fetched.error_for(i))]
    return papers, notices


def _queued(digest: Digest, settings: Settings) -> set[str]:
    from authoring.runs.batches import queued

    return {entry_id for day, entry_id in queued(settings.output_dir) if day == digest.date}
