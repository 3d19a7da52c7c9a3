"""Checking what is stored: reads the days (never writing: a run's journal is applied in memory), the kept source
texts and, with --arxiv, arXiv's current metadata, and hands them to the pure checks (checks/findings.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date
from typing import TYPE_CHECKING

from authoring.checks.findings import (
    ERROR,
    WARNING,
    Finding,
    add_to_index,
    check_digest,
    check_drift,
    check_table,
    unreviewed,
)
from authoring.errors import StoreError
from authoring.ids import parse_id
from authoring.markdown.parse import parse_digest
from authoring.models import Digest, Entry
from authoring.store import days as stored
from authoring.store import files as store

if TYPE_CHECKING:  # the arXiv client is loaded only by `check --arxiv`, which passes its fetch in
    from authoring.sources.arxiv_api import FetchResult


def earlier_days_index(output_dir, day: str) -> dict[str, list[str]]:
    """Paper id -> the stored days before `day` that list it (each earlier day read once)."""

    index: dict[str, list[str]] = {}
    for other in store.stored_days(output_dir):
        if other.isoformat() >= day:
            break
        try:
            add_to_index(index, store.load_digest(output_dir, other))
        except StoreError:  # an unreadable day is reported by `digest list`, not here
            continue
    return index


def stored_source(output_dir) -> Callable[[Entry], tuple[str, str] | None]:
    """What each stored entry was summarised from: the kept full text for --source pdf, else the abstract."""

    def source(entry: Entry) -> tuple[str, str] | None:
        if entry.provenance and entry.provenance.source == "pdf" and entry.paper:
            path = store.source_path(output_dir, entry.id, entry.paper.version)
            if path.exists():
                return "full text", path.read_text(encoding="utf-8")
        if entry.paper and entry.paper.abstract:
            return "abstract", entry.paper.abstract
        return None

    return source


def check_days(settings, days: Iterable[date], *, require_reviewed: bool = False
               ) -> Iterator[tuple[str, Digest, list[Finding]]]:
    """Every check of the given stored days, oldest first (with `require_reviewed`, also an error per entry not
    marked reviewed). Each stored day up to the last one asked for is read once: the index of ids to earlier days
    grows as the days go by, so N days cost O(N)."""

    wanted = set(days)
    if not wanted:
        return
    index: dict[str, list[str]] = {}
    for day in sorted(set(store.stored_days(settings.output_dir)) | wanted):
        if day > max(wanted):
            break
        try:
            digest = stored.peek(settings, day)  # checks never write: a run's journal is applied in memory
        except StoreError as problem:
            if day in wanted:  # reported, and the other days are still checked
                yield day.isoformat(), Digest(date=day.isoformat()), [Finding(ERROR, "unreadable", None, str(problem))]
            continue
        if day in wanted:
            findings = check_day(settings, day, digest, index)
            yield day.isoformat(), digest, findings + (unreviewed(digest) if require_reviewed else [])
        add_to_index(index, digest)


def check_day(settings, day: date, digest: Digest, earlier_days: Mapping[str, list[str]]) -> list[Finding]:
    """Every check of a stored day: its entries, its DATE.md, and DATE.md against DATE.json."""

    findings = check_digest(digest, source_text=stored_source(settings.output_dir), earlier_days=earlier_days)
    markdown = store.markdown_path(settings.output_dir, day)
    if not markdown.exists():
        findings.append(Finding(WARNING, "drift", None, f"{markdown} is missing; `digest render {digest.date}`"))
        return findings
    findings += check_table(markdown.read_text(encoding="utf-8"))
    state = stored.markdown_state(settings, day, digest)
    if state == stored.EDITED:
        findings.append(Finding(WARNING, "drift", None, f"{markdown} was edited by hand since it was rendered; "
                                                        f"take the edits in with `digest import {markdown} --force`"))
    elif state == stored.STALE:
        findings.append(Finding(WARNING, "drift", None, f"{markdown} is stale: DATE.json changed since it was "
                                                        "rendered, or it was rendered with other settings "
                                                        "(max_authors, authors_style, templates) than these; "
                                                        f"`digest render {digest.date}` renders it with these"))
    return findings


def check_file(settings, path, text: str) -> tuple[Digest, list[Finding]]:
    """Every check that a markdown digest alone allows (imported digests carry no source text to ground)."""

    digest = parse_digest(text, source=str(path)).digest
    findings = check_digest(digest, source_text=lambda entry: None,
                            earlier_days=earlier_days_index(settings.output_dir, digest.date))
    return digest, findings + check_table(text)


def check_against_arxiv(digest: Digest, fetch: Callable[[list], FetchResult], max_authors: int) -> list[Finding]:
    """Drift of titles and authors from arXiv's current metadata, as `fetch` (sources.arxiv_api.fetch_papers with
    the run's settings; one request per 100 entries) gives it for the entries' ids."""
    entries = [e for e in digest.entries if e.paper is not None]
    fetched = fetch([parse_id(e.id) for e in entries])
    findings = []
    for entry in entries:
        if entry.id in fetched.withdrawn or entry.id in fetched.unreadable:
            error = fetched.error_for(parse_id(entry.id))
            assert error is not None  # withdrawn or unreadable
            findings.append(Finding(WARNING, "drift", entry.id, error))
        else:
            findings += check_drift(entry, fetched.papers.get(entry.id), max_authors=max_authors)
    return findings
