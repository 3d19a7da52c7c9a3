"""The paper table of a markdown digest as a reader sees it: its columns (the reference layout, or the older one
with a fourth `Link` column), and one logical row a paper, joined back across line breaks, split into cells the
way GFM splits them, with its defects named. Shared by import and check."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_SEPARATOR = re.compile(r"^\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
# An escape pair (skipped whole) or an unescaped pipe: GFM splits a row at the pipes. Each match consumes what it
# scans, so a row is read once (a cell pattern retried from every position of an unclosed row is quadratic).
_ESCAPE_OR_PIPE = re.compile(r"\\.|\|")
_READ_MORE = re.compile(r"\(Read more on \[arXiv\]\((?P<url>https?://(?:www\.)?arxiv\.org/(?:abs|pdf|html)/[^)\s]+)\)",
                        re.IGNORECASE)
_ARXIV_URL = re.compile(r"https?://(?:www\.)?arxiv\.org/(?:abs|pdf|html)/[^)\s|\]]+")
REFERENCE_COLUMNS = ("title", "authors", "summary")


@dataclass
class Row:
    line: int  # 1-based line the row starts on
    last_line: int
    text: str  # the row's lines joined with a space
    columns: tuple[str, ...]
    cells: list[str] = field(default_factory=list)  # as written, padding included

    def cell(self, name: str) -> str | None:
        """A column's cell as written; stray pipes are taken to split the summary (the free-text column)."""
        if name not in self.columns:
            return None
        index, summary = self.columns.index(name), self.columns.index("summary")
        if name == "summary":
            parts = self.cells[summary : summary + 1 + self.stray_pipes]
            return "\\|".join(parts) if parts else None
        index += self.stray_pipes if index > summary else 0
        return self.cells[index] if index < len(self.cells) else None

    @property
    def url(self) -> str | None:
        """The paper's arXiv link: the title cell's 'Read more on [arXiv](…)', else the Link column's, else any."""
        found = _READ_MORE.search(self.cell("title") or "")
        if found:
            return found["url"]
        link = _ARXIV_URL.search(self.cell("link") or "")
        if link:
            return link.group(0)
        found = _READ_MORE.search(self.text)
        if found:
            return found["url"]
        link = _ARXIV_URL.search(self.text)
        return link.group(0) if link else None

    @property
    def closed(self) -> bool:
        return self.text.rstrip().endswith("|")

    @property
    def stray_pipes(self) -> int:
        return max(0, len(self.cells) - len(self.columns))

    def defects(self) -> list[str]:
        """What is wrong with the row as a table row, each named once."""
        found = []
        if self.last_line > self.line:
            found.append(f"a line break inside the row (lines {self.line}-{self.last_line})")
        if self.stray_pipes:
            found.append(f"{self.stray_pipes} unescaped '|' ({len(self.cells)} cells, not {len(self.columns)})")
        elif len(self.cells) < len(self.columns):
            found.append(f"{len(self.cells)} cells, not {len(self.columns)}")
        if not self.closed:
            found.append("no closing '|'")
        return found

@dataclass
class Table:
    header_line: int | None  # 1-based, None when the file has no digest table header
    columns: tuple[str, ...]
    rows: list[Row]


def has_arxiv_link(line: str) -> bool:
    return _ARXIV_URL.search(line) is not None


def _columns(header: str) -> tuple[str, ...] | None:
    cells, _ = split_cells(header.strip().lstrip("|") + "|")
    names = tuple(cell.strip().strip("*").strip().lower() for cell in cells)
    names = tuple(n for n in names if n)
    return names if "title" in names and "summary" in names else None


def read_table(lines: list[str]) -> Table:
    """The first digest table of a file (header with Title and Summary, or rows with arXiv links) and its rows."""
    table = Table(None, REFERENCE_COLUMNS, [])
    in_table, current = False, None
    for number, line in enumerate(lines, start=1):
        if not in_table:
            if _SEPARATOR.match(line) and "-" in line and number >= 2:
                columns = _columns(lines[number - 2])
                if columns is not None:
                    table.header_line, table.columns, in_table = number - 1, columns, True
                elif table.header_line is None and any(has_arxiv_link(x) for x in lines[number : number + 1]):
                    in_table = True
            continue
        if not line.strip():
            if table.rows or current is not None:
                break
            continue
        if current is None or line.startswith("|") and (has_arxiv_link(line) or current.closed):
            current = Row(number, number, line, table.columns)
            table.rows.append(current)
        else:
            current.text, current.last_line = f"{current.text} {line}", number
    for row in table.rows:
        row.cells, rest = split_cells(row.text[1:] if row.text.startswith("|") else row.text)
        if rest.strip():  # a row without its closing pipe still has its last cell
            row.cells.append(rest)
    return table


def split_cells(text: str) -> tuple[list[str], str]:
    """The cells of a row (its leading pipe removed) up to each unescaped pipe, and the text after the last one."""
    cells, start = [], 0
    for found in _ESCAPE_OR_PIPE.finditer(text):
        if found.group() == "|":
            cells.append(text[start : found.start()])
            start = found.end()
    return cells, text[start:]
