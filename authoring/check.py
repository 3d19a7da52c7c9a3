"""Digest -> findings: structure (a-d parts, 2-3 questions, a figure in the result), grounding (figures absent
from the source text), table safety, duplicates within and across days, and drift (DATE.md vs DATE.json, and
title/authors vs arXiv when fetched). Pure: callers print and decide the exit code."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass

from .errors import StoreError
from .grounding import Source, figures, parts_text, ungrounded
from .models import Digest, Entry, Paper
from .templates import unescape_cell

ERROR, WARNING = "error", "warning"
_MARKER = re.compile(r"(?:^|\s)([a-d])\)\s")
_QUESTIONS = re.compile(r"[^.?!]*follow-up questions[^:]*:(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_ROW_LINK = re.compile(r"\(Read more on \[arXiv\]\(https?://arxiv\.org/abs/([^)\s]+)\)")
_CELL = re.compile(r"((?:\\.|[^|\\])*)\|")


@dataclass(frozen=True)
class Finding:
    severity: str
    kind: str  # structure, grounding, table, duplicate, drift
    entry: str | None
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def check_digest(
    digest: Digest,
    *,
    source_text: Callable[[Entry], tuple[str, str] | None],
    earlier_days: Mapping[str, list[str]] | None = None,
) -> list[Finding]:
    """Findings about the entries of a day. `source_text(entry)` gives (label, text) of what the summary was made
    from, or None; `earlier_days` maps a paper id to the earlier days that already have it."""
    findings: list[Finding] = []
    for entry in digest.entries:
        if entry.error:
            findings.append(Finding(WARNING, "structure", entry.id, f"no summary: {entry.error}"))
            continue
        if entry.pending:
            findings.append(Finding(WARNING, "pending", entry.id,
                                    f"not summarised yet (run `digest resume {digest.date}`)"))
            continue
        findings += _structure(entry)
        source = source_text(entry)
        if source is not None:
            label, text = source
            grounded = Source(text)
            for figure in ungrounded(_checked_text(entry), grounded):
                findings.append(Finding(ERROR, "grounding", entry.id, f"{figure.text} does not occur in the {label}"))
        for day in (earlier_days or {}).get(entry.id, []):
            findings.append(Finding(WARNING, "duplicate", entry.id, f"already in the {day} digest"))
    return findings


def _checked_text(entry: Entry) -> str:
    """The summary text whose figures must be grounded: the four parts, not the questions."""
    if entry.summary is not None:
        return parts_text(entry.summary)
    text = unescape_cell(entry.summary_markdown or "")
    questions = _QUESTIONS.search(text)
    return text[: questions.start()] if questions else text


def _structure(entry: Entry) -> list[Finding]:
    if entry.summary is not None:
        found = []
        if not figures(entry.summary.result):
            found.append(Finding(WARNING, "structure", entry.id, "the result c) states no figure"))
        return found
    text = unescape_cell(entry.summary_markdown or "")
    found = []
    present = {m.group(1) for m in _MARKER.finditer(text)}
    missing = [f"{part})" for part in "abcd" if part not in present]
    if missing:
        found.append(Finding(ERROR, "structure", entry.id,
                             f"the summary does not follow the a)-d) structure (missing {', '.join(missing)})"))
    questions = _QUESTIONS.search(text)
    count = len(re.findall(r"(?:^|\s)[1-9]\.\s", questions.group("rest"))) if questions else 0
    if not 2 <= count <= 3:
        found.append(Finding(ERROR, "structure", entry.id, f"{count} follow-up questions (expected 2 or 3)"))
    if not figures(_checked_text(entry)):
        found.append(Finding(WARNING, "structure", entry.id, "the summary states no figure"))
    return found


def check_table(markdown: str) -> list[Finding]:
    """Anything in a markdown digest that breaks, or would break, its table; and papers listed twice."""
    findings, seen = [], {}
    lines = markdown.split("\n")
    in_table = False
    for number, line in enumerate(lines, start=1):
        if line.startswith("|-"):
            in_table = True
            continue
        if not in_table:
            continue
        if not line.strip():
            in_table = False
            continue
        link = _ROW_LINK.search(line)
        if not line.startswith("|") or link is None:
            message = f"line {number}: not a table row (a line break inside a row?)"
            findings.append(Finding(ERROR, "table", None, message))
            continue
        cells = _CELL.findall(line[1:])
        if len(cells) != 3 or not line.rstrip().endswith("|"):
            findings.append(Finding(ERROR, "table", link.group(1),
                                    f"line {number}: row has {len(cells)} cells, not 3 (an unescaped '|'?)"))
        base = re.sub(r"v\d+$", "", link.group(1))
        if base in seen:
            message = f"line {number}: listed twice (first on line {seen[base]})"
            findings.append(Finding(ERROR, "duplicate", base, message))
        seen.setdefault(base, number)
    return findings


def check_drift(entry: Entry, arxiv: Paper | None, *, max_authors: int) -> list[Finding]:
    """Title and authors of an entry against arXiv's current metadata."""
    if entry.paper is None:
        return []
    if arxiv is None:
        return [Finding(WARNING, "drift", entry.id, "arXiv no longer returns this id")]
    found = []
    if " ".join(entry.paper.title.split()).casefold() != " ".join(arxiv.title.split()).casefold():
        found.append(Finding(WARNING, "drift", entry.id, f"title differs from arXiv's: {arxiv.title!r}"))
    shown = entry.paper.authors[:max_authors]
    if shown != arxiv.authors[: len(shown)]:
        found.append(Finding(WARNING, "drift", entry.id,
                             f"authors differ from arXiv's: {', '.join(arxiv.authors[:max_authors])}"))
    return found


def earlier_days_index(output_dir, day: str) -> dict[str, list[str]]:
    """Paper id -> the stored days before `day` that list it."""
    from . import store

    index: dict[str, list[str]] = {}
    for other in store.stored_days(output_dir):
        if other.isoformat() >= day:
            continue
        try:
            digest = store.load_digest(output_dir, other)
        except StoreError:  # an unreadable day is reported by `digest list`, not here
            continue
        for entry in digest.entries:
            index.setdefault(entry.id, []).append(other.isoformat())
    return index


def stored_source(output_dir) -> Callable[[Entry], tuple[str, str] | None]:
    """What each stored entry was summarised from: the kept full text for --source pdf, else the abstract."""
    from . import store

    def source(entry: Entry) -> tuple[str, str] | None:
        if entry.provenance and entry.provenance.source == "pdf" and entry.paper:
            path = store.source_path(output_dir, entry.id, entry.paper.version)
            if path.exists():
                return "full text", path.read_text(encoding="utf-8")
        if entry.paper and entry.paper.abstract:
            return "abstract", entry.paper.abstract
        return None

    return source


def check_day(settings, day) -> list[Finding]:
    """Every check of a stored day: its entries, its DATE.md, and DATE.md against DATE.json."""
    from . import days, store

    digest = days.load(settings, day)
    findings = check_digest(
        digest,
        source_text=stored_source(settings.output_dir),
        earlier_days=earlier_days_index(settings.output_dir, digest.date),
    )
    markdown = store.markdown_path(settings.output_dir, day)
    if not markdown.exists():
        findings.append(Finding(WARNING, "drift", None, f"{markdown} is missing; `digest render {digest.date}`"))
        return findings
    findings += check_table(markdown.read_text(encoding="utf-8"))
    state = days.markdown_state(settings, day, digest)
    if state == days.EDITED:
        findings.append(Finding(WARNING, "drift", None, f"{markdown} was edited by hand since it was rendered; "
                                                        f"take the edits in with `digest import {markdown} --force`"))
    elif state == days.STALE:
        findings.append(Finding(WARNING, "drift", None, f"{markdown} is stale: DATE.json changed since it was "
                                                        f"rendered; `digest render {digest.date}`"))
    return findings


def check_file(settings, path, text: str) -> tuple[Digest, list[Finding]]:
    """Every check that a markdown digest alone allows (imported digests carry no source text to ground)."""
    from .parse import parse_digest

    digest = parse_digest(text, source=str(path)).digest
    findings = check_digest(digest, source_text=lambda entry: None,
                            earlier_days=earlier_days_index(settings.output_dir, digest.date))
    return digest, findings + check_table(text)


def check_against_arxiv(digest: Digest, settings) -> list[Finding]:
    """Drift of titles and authors from arXiv's current metadata (one request per 100 entries)."""
    from . import arxiv_source
    from .ids import parse_id

    entries = [e for e in digest.entries if e.paper is not None]
    fetched = arxiv_source.fetch_papers([parse_id(e.id) for e in entries], settings)
    findings = []
    for entry in entries:
        findings += check_drift(entry, fetched.papers.get(entry.id), max_authors=settings.max_authors)
    return findings
