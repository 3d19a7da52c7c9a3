"""Markdown digest -> Digest: imports digests in the reference format, including ones written by other tools.
Lossless where it can be: each imported row renders back to the bytes it was read from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .errors import DigestError, InvalidIdError
from .ids import parse_id
from .models import Digest, Entry, Paper, Provenance, Summary
from .render import summary_cell
from .templates import escape_cell, unescape_cell

_HEADING = re.compile(r"^## Papers for (\d{4}-\d{2}-\d{2})\s*$", re.MULTILINE)
_TITLE = re.compile(
    r"^(?P<title>.*?) \(Read more on \[arXiv\]\((?P<url>https?://(?:www\.)?arxiv\.org/(?:abs|pdf|html)/[^)\s]+)\)"
    r"(?: or \[HuggingFace\]\([^)]*\))?\)$"
)
# A run of escape pairs or anything but a pipe, up to an unescaped pipe: how GFM splits a row.
_CELL = re.compile(r"((?:\\.|[^|\\])*)\|")
# The a)-d) structure as this tool writes it and as the reference's structured rows have it: each marker and the
# questions heading follow a gap of two or more spaces (a paragraph break flattened into the cell).
_PARTS = re.compile(
    r"^a\)\s+(?P<objective>.+?)\s{2,}b\)\s+(?P<method>.+?)\s{2,}c\)\s+(?P<result>.+?)\s{2,}d\)\s+(?P<implication>.+?)"
    r"\s{2,}(?P<heading>[^.?!]*?follow-up questions[^:]*:)\s+(?P<questions>1\..+)$",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class ImportResult:
    digest: Digest
    warnings: list[str] = field(default_factory=list)


class NotADigestError(DigestError):
    pass


def parse_digest(text: str, *, source: str, date: str | None = None) -> ImportResult:
    """Read a markdown digest. `date` overrides the heading's; `source` names the file in messages."""
    heading = _HEADING.search(text)
    lines = text.split("\n")
    row_starts = [n for n, line in enumerate(lines) if "(Read more on [arXiv](" in line]
    if heading is None and not row_starts:
        raise NotADigestError(f"{source} is not a digest: no '## Papers for DATE' heading and no paper rows found")
    day = date or (heading.group(1) if heading else None)
    if day is None:
        raise DigestError(f"{source} has no '## Papers for DATE' heading; pass --date YYYY-MM-DD")
    result = ImportResult(Digest(date=day))
    seen: set[str] = set()
    for number, row in _rows(lines, result.warnings):
        entry = _entry(row, number, result.warnings)
        if entry is None:
            continue
        if entry.id in seen:
            result.warnings.append(f"line {number}: {entry.id} appears twice; the later row was skipped")
            continue
        seen.add(entry.id)
        result.digest.entries.append(entry)
    if not result.digest.entries:
        raise NotADigestError(f"{source} is not a digest: no paper rows with an arXiv link found")
    return result


def _rows(lines: list[str], warnings: list[str]) -> list[tuple[int, str]]:
    """Table rows with their 1-based line numbers; a row broken over several lines (a raw line break in a cell)
    is joined back."""
    rows: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, line in enumerate(lines, start=1):
        if pending is not None:
            start, text = pending
            text = f"{text} {line}"
            if line.rstrip().endswith("|"):
                warnings.append(f"line {start}: row broken over lines {start}-{number} was joined")
                rows.append((start, text))
                pending = None
            else:
                pending = (start, text)
            continue
        if not line.startswith("|") or line.startswith("|--") or line.startswith("| Title |"):
            continue
        if line.rstrip().endswith("|") and "(Read more on [arXiv](" in line:
            rows.append((number, line))
        else:
            pending = (number, line)
    if pending is not None:
        warnings.append(f"line {pending[0]}: unfinished row at the end of the file was skipped")
    return rows


def _entry(row: str, number: int, warnings: list[str]) -> Entry | None:
    cells = _CELL.findall(row[1:])
    if len(cells) < 3:
        warnings.append(f"line {number}: not a paper row ({len(cells)} cells); skipped")
        return None
    title_cell = cells[0].strip()
    match = _TITLE.match(title_cell)
    if match is None:
        warnings.append(f"line {number}: no arXiv link in the first cell; skipped")
        return None
    authors_cell = cells[1]
    if len(cells) == 3:
        summary_markdown = _strip_cell_padding(cells[2])
    else:
        # Unescaped pipes split the summary: keep them as text (escaped, so the table is whole again).
        warnings.append(f"line {number}: {len(cells) - 3} unescaped '|' in the summary; kept as text and escaped")
        summary_markdown = escape_cell("|".join(cells[2:]).strip())
    try:
        arxiv_id = parse_id(match["url"])
    except InvalidIdError:
        warnings.append(f"line {number}: {match['url']} is not an arXiv paper link; skipped")
        return None
    title = unescape_cell(match["title"])
    authors = [a.strip() for a in unescape_cell(authors_cell.strip()).split(", ") if a.strip()]
    summary = structured_summary(unescape_cell(summary_markdown))
    if summary is not None and summary_cell(summary) == summary_markdown:
        summary_markdown = None  # the structure alone renders the very same cell
    return Entry(
        id=arxiv_id.base,
        paper=Paper(id=arxiv_id.base, version=arxiv_id.version, title=title, authors=authors),
        summary=summary,
        summary_markdown=summary_markdown,
        provenance=Provenance(source="import"),
    )


def _strip_cell_padding(cell: str) -> str:
    """The cell between '| ' and ' |': one padding space each side belongs to the table, the rest to the text."""
    if cell.startswith(" "):
        cell = cell[1:]
    return cell[:-1] if cell.endswith(" ") else cell


def structured_summary(text: str) -> Summary | None:
    """The a)-d) parts and questions of a summary written in that structure, or None (prose summaries)."""
    match = _PARTS.match(text.strip())
    if match is None:
        return None
    try:
        return Summary(
            objective=match["objective"],
            method=match["method"],
            result=match["result"],
            implication=match["implication"],
            questions=_questions(match["questions"]),
        )
    except ValueError:
        return None


def _questions(text: str) -> list[str]:
    """Split '1. … 2. … 3. …' at the next expected number only, so other numbers inside a question stay."""
    questions = []
    rest = re.sub(r"^1\.\s+", "", text.strip())
    for number in range(2, 10):
        found = re.search(rf"\s+{number}\.\s+", rest)
        if found is None:
            break
        questions.append(rest[: found.start()])
        rest = rest[found.end() :]
    questions.append(rest)
    return [q.strip() for q in questions]
