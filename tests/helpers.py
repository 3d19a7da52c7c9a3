"""Small helpers shared by tests."""

from __future__ import annotations

import re

# GFM splits a row at every pipe not escaped by a backslash; `\\.` consumes an escape pair first.
_CELL = re.compile(r"((?:\\.|[^|\\])*)\|")


def table_cells(row: str) -> list[str]:
    """Split a markdown table row the way a GFM parser does (escaped pipes stay inside their cell)."""
    assert row.startswith("|"), row
    return [cell.strip() for cell in _CELL.findall(row[1:])]


def table_rows(markdown: str) -> list[str]:
    return [line for line in markdown.split("\n") if line.startswith("| ") and "(Read more on [arXiv]" in line]


def gfm_table(markdown: str) -> list[list[str]]:
    """The table as a real GFM parser (markdown-it-py, table rule on) reads it: one list of cells per row."""
    from markdown_it import MarkdownIt

    rows: list[list[str]] = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows:
            rows[-1].append(token.content)
    return rows
