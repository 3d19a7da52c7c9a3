"""Markdown digest -> Digest: imports digests in the reference format, including ones written by other tools.
Lossless where it can be: each imported row renders back to the bytes it was read from."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from authoring.errors import DigestError, InvalidIdError
from authoring.ids import parse_id
from authoring.markdown.render import summary_cell, summary_layout
from authoring.markdown.rows import Row, Table, read_table
from authoring.markdown.summary_text import follow_up, holds_a_marker, split_parts
from authoring.models import Digest, Entry, Paper, Provenance, Summary
from authoring.templating import escape_cell, unescape_cell

_HEADING = re.compile(r"^## Papers for (\d{4}-\d{2}-\d{2})\s*$", re.MULTILINE)
_TITLE = re.compile(
    r"^(?P<title>.*?) \(Read more on \[arXiv\]\((?P<url>https?://(?:www\.)?arxiv\.org/(?:abs|pdf|html)/[^)\s]+)\)"
    r"(?: or \[HuggingFace\]\([^)]*\))?\)$"
)
# The links at the end of a title cell: '(Read more on [arXiv](…) or [HuggingFace](…))', or in the older layout
# (2024-09-09) 'TITLE - read more on [arXiv](…) or [HuggingFace](…)'. Neither belongs to the title.
_READ_MORE_TAIL = re.compile(
    r"\s*(?:\(Read more on \[arXiv\]\([^)]*\)(?: or \[HuggingFace\]\([^)]*\))?\)"
    r"|[-–—:]?\s*Read more on \[arXiv\]\([^)]*\)(?: or \[HuggingFace\]\([^)]*\))?)\s*$",
    re.IGNORECASE,
)
# The bullet-list layout: each paper's lines end with one '- read more on [arXiv](…)' line.
_BULLET_LINK = re.compile(
    r"^\s*[-*]\s+read more on \[arxiv\]\((?P<url>https?://(?:www\.)?arxiv\.org/(?:abs|pdf|html)/[^)\s]+)\)",
    re.IGNORECASE,
)
_AUTHORS_LINE = re.compile(r"^[\s*_-]*authors?[\s*_]*:[\s*_]*(?P<authors>.*)$", re.IGNORECASE)


@dataclass
class ImportResult:
    digest: Digest
    warnings: list[str] = field(default_factory=list)


class NotADigestError(DigestError):
    pass


def parse_digest(text: str, *, source: str, date: str | None = None) -> ImportResult:
    """Read a markdown digest: the reference table, the older table with a `Link` column, or the bullet list.
    `date` overrides the heading's; `source` names the file in messages. A day with no papers imports empty."""
    heading = _HEADING.search(text)
    lines = text.split("\n")
    table = read_table(lines)
    warnings: list[str] = []
    entries = [_row_entry(row, warnings) for row in table.rows]
    if not table.rows:
        entries = _bullet_entries(lines, warnings)
    if heading is None and table.header_line is None and not entries:
        raise NotADigestError(
            f"{source} is not a digest: no '## Papers for DATE' heading and no table or list of papers found"
        )
    day = date or (heading.group(1) if heading else None)
    if day is None:
        raise DigestError(f"{source} has no '## Papers for DATE' heading; pass --date YYYY-MM-DD")
    result = ImportResult(Digest(date=day), warnings)
    if table.header_line is not None or table.rows:
        result.digest.text_above, result.digest.text_below = _text_around(lines, table, warnings)
    seen: set[str] = set()
    for number, entry in (e for e in entries if e is not None):
        if entry.id in seen:
            result.warnings.append(f"line {number}: {entry.id} appears twice; the later row was skipped")
            continue
        seen.add(entry.id)
        result.digest.entries.append(entry)
    if not result.digest.entries:
        result.warnings.append(f"no papers listed for {day}: imported as an empty day")
    return result


def _text_around(lines: list[str], table: Table, warnings: list[str]) -> tuple[str | None, str | None]:
    """The markdown written above the table (the '## Papers for DATE' heading aside) and below it, each without
    its surrounding blank lines; None where there is none. Text above the heading is rendered below it."""
    first = table.header_line if table.header_line is not None else table.rows[0].line - 2  # 1-based
    last = table.rows[-1].last_line if table.rows else first + 1  # an empty day: header and separator
    above = lines[: max(0, first - 1)]
    heading = next((n for n, line in enumerate(above) if _HEADING.match(line)), None)
    if heading is not None:
        if (top := next((n for n, line in enumerate(above[:heading]) if line.strip()), None)) is not None:
            warnings.append(f"line {top + 1}: the text above the '## Papers for DATE' heading is kept, below it")
        above = above[:heading] + above[heading + 1 :]
    return _block(above), _block(lines[last:])


def _block(lines: list[str]) -> str | None:
    """Lines as one text, without the blank lines around them; None when nothing is left."""
    written = [n for n, line in enumerate(lines) if line.strip()]
    return "\n".join(lines[written[0] : written[-1] + 1]) if written else None


def _row_entry(row: Row, warnings: list[str]) -> tuple[int, Entry] | None:
    number = row.line
    if row.last_line > row.line:
        warnings.append(f"line {number}: row broken over lines {number}-{row.last_line} was joined")
    title_cell, summary_cell_ = row.cell("title"), row.cell("summary")
    if title_cell is None or summary_cell_ is None:
        warnings.append(f"line {number}: not a paper row ({len(row.cells)} cells); skipped")
        return None
    url = row.url
    if url is None:
        warnings.append(f"line {number}: no arXiv link in the row; skipped")
        return None
    if row.stray_pipes:
        # Unescaped pipes split the summary: keep them as text (escaped, so the table is whole again).
        warnings.append(f"line {number}: {row.stray_pipes} unescaped '|' in the summary; kept as text and escaped")
    match = _TITLE.match(title_cell.strip())
    title = match["title"] if match else _READ_MORE_TAIL.sub("", title_cell).strip()
    authors = [a.strip() for a in unescape_cell((row.cell("authors") or "").strip()).split(", ") if a.strip()]
    return _entry(number, url, unescape_cell(title), authors, _strip_cell_padding(summary_cell_), warnings)


def _entry(number: int, url: str, title: str, authors: list[str], summary_markdown: str,
           warnings: list[str]) -> tuple[int, Entry] | None:
    try:
        arxiv_id = parse_id(url)
    except InvalidIdError:
        warnings.append(f"line {number}: {url} is not an arXiv paper link; skipped")
        return None
    summary, cell = cell_summary(summary_markdown)
    return number, Entry(
        id=arxiv_id.base,
        paper=Paper(id=arxiv_id.base, version=arxiv_id.version, title=title, authors=authors),
        summary=summary,
        summary_markdown=cell,
        provenance=Provenance(source="import"),
    )


def _bullet_entries(lines: list[str], warnings: list[str]) -> list[tuple[int, Entry] | None]:
    """Papers of the bullet-list layout: title line, an optional 'Authors:' line, the summary, then the
    '- read more on [arXiv](…)' line that closes each paper."""
    entries: list[tuple[int, Entry] | None] = []
    block: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        link = _BULLET_LINK.match(line)
        if link is None:
            if line.strip() and not _HEADING.match(line) and not line.startswith("# "):
                block.append((number, line.strip()))
            continue
        if not block:
            warnings.append(f"line {number}: an arXiv link with no paper before it; skipped")
            continue
        start, title = block[0]
        authors: list[str] = []
        summary: list[str] = []
        for _, text in block[1:]:
            found = _AUTHORS_LINE.match(text)
            if found and not authors:
                authors = [a.strip() for a in found["authors"].strip("*_ ").split(", ") if a.strip()]
            else:
                summary.append(text)
        title = re.sub(r"^(?:[-*]\s+|#+\s+)", "", title).strip().strip("*_").strip()
        entries.append(_entry(start, link["url"], title, authors, escape_cell(" ".join(summary)), warnings))
        block = []
    return entries


def _strip_cell_padding(cell: str) -> str:
    """The cell between '| ' and ' |': one padding space each side belongs to the table, the rest to the text."""
    if cell.startswith(" "):
        cell = cell[1:]
    return cell[:-1] if cell.endswith(" ") else cell


def cell_summary(cell: str) -> tuple[Summary | None, str | None]:
    """(structure, cell to keep) of a summary cell as written. A cell in digest's own layout gives the one summary
    the template renders as exactly that cell, and nothing else need be kept. Another tool's a)-d) layout gives its
    structure beside the cell (which is what is rendered), and only when that structure holds every word of the
    cell and was not cut at one of two look-alike markers: an edit of one part re-renders the others from it.
    Anything else is prose, rendered as written."""
    exact = own_layout_summary(cell)
    if exact is not None:
        return exact, None
    return structured_summary(unescape_cell(cell)), cell


def own_layout_summary(cell: str) -> Summary | None:
    """The summary the template renders as exactly this cell, or None. A field never holds one of the template's
    separators ('  b) ', '  2. '): that makes the cut unique (a part with a paragraph break before 'b) ' would
    render like two parts, and such a cell is left to structured_summary, which keeps it as prose)."""
    layouts = [summary_layout(questions) for questions in (2, 3)]
    separators = {separator for layout in layouts for separator in layout[1:-1]}
    for layout in layouts:
        fields = _fields(cell, layout, separators)
        if fields is None:
            continue
        text = [unescape_cell(field) for field in fields]
        try:
            summary = Summary(objective=text[0], method=text[1], result=text[2], implication=text[3],
                              questions=text[4:])
        except ValueError:
            return None
        return summary if summary_cell(summary) == cell else None
    return None


def _fields(cell: str, layout: tuple[str, ...], separators: set[str]) -> list[str] | None:
    """The fields of a cell written in `layout` (its literal text around the fields), each non-empty and holding
    none of `separators`; None when the cell is not in that layout."""
    prefix, *between, suffix = layout
    if not (cell.startswith(prefix) and cell.endswith(suffix)) or len(cell) < len(prefix) + len(suffix):
        return None
    rest, cut = cell[len(prefix) : len(cell) - len(suffix)], []
    for separator in between:
        text, found, rest = rest.partition(separator)
        if not found:
            return None
        cut.append(text)
    cut.append(rest)
    if any(not text or any(separator in text for separator in separators) for text in cut):
        return None
    return cut


# What may stand between the fields of another tool's a)-d) cell besides its words: spaces, emphasis, part and item
# markers (the follow-up heading is taken out first).
_MARKUP_ONLY = re.compile(r"(?:\s|[*_•-]|[a-dA-D]\)|\d{1,2}[.)])*")


def structured_summary(text: str) -> Summary | None:
    """The a)-d) parts and questions of a summary written in that structure, or None (prose summaries, and any
    structure that would not hold every word of the text)."""
    text = text.strip()
    block = follow_up(text)
    if block is None:
        return None
    parts = split_parts(text[: block.start])
    if parts is None:
        return None
    try:
        summary = Summary(**parts, questions=block.questions)
    except ValueError:
        return None
    fields = (summary.objective, summary.method, summary.result, summary.implication, *summary.questions)
    if any(holds_a_marker(field) for field in fields):
        return None  # cut at one of two markers that read alike: a guess, so the text stays prose
    return summary if _holds_every_word(text, summary, block.heading) else None


def _holds_every_word(text: str, summary: Summary, heading: str) -> bool:
    """Whether the summary's fields, in order, are the whole text apart from markers, spaces and the heading."""
    position, heading_left = 0, True
    for part in (summary.objective, summary.method, summary.result, summary.implication, *summary.questions):
        at = text.find(part, position)
        if at == -1:
            return False
        gap = text[position:at]
        if heading_left and heading and heading in gap:
            gap, heading_left = gap.replace(heading, " ", 1), False
        if not _MARKUP_ONLY.fullmatch(gap):
            return False
        position = at + len(part)
    return _MARKUP_ONLY.fullmatch(text[position:]) is not None
