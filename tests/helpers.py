"""Small helpers shared by tests."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

from typer.testing import CliRunner

from authoring.cli import app
from tools.standin import Reply, chat_completion

VALID = {"objective": "O.", "method": "M.", "result": "R: 42%.", "implication": "I.", "questions": ["Q1?", "Q2?"]}


def run(*args, input=None, env=None):
    """`digest ARGS` in-process, stdout and stderr apart."""
    return CliRunner().invoke(app, list(args), input=input, env=env)


def assert_one_line_error(result, *fragments):
    assert result.exit_code == 1, result.output
    lines = result.stderr.strip().splitlines()
    errors = [line for line in lines if line.startswith("Error: ")]
    assert len(errors) == 1 and lines[-1] == errors[0], result.stderr  # progress lines may come before it
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert "Traceback" not in result.output


def assert_usage_error(result, *fragments):
    """A usage error: exit 2, and one `Error:` line (after click's usage lines) naming the bad value."""
    assert result.exit_code == 2, result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert "Traceback" not in result.output


def paper(arxiv_id: str, **changes) -> dict:
    """A paper as the loopback arXiv stand-in serves it."""
    return {
        "id": arxiv_id, "version": 1, "title": f"Paper {arxiv_id}", "authors": ["A. Author", "B. Author"],
        "abstract": f"Abstract of {arxiv_id} with 42% gains.", "categories": ["cs.LG"], "primary_category": "cs.LG",
        "published": "2024-10-07T10:00:00Z", "updated": "2024-10-07T10:00:00Z", "comment": None, **changes,
    }


def ok(body, delay: float = 0.0) -> Reply:
    """A valid summary answer from the model stand-in."""
    return Reply(200, chat_completion(json.dumps(VALID), model=body["model"], created=1728345600, usage=(100, 50)),
                 delay=delay)


def title_of(body) -> str:
    content = body["messages"][-1]["content"]
    return content.split("Title: Paper ", 1)[1].split("\n", 1)[0]


def local(settings, stand_in, **changes):
    """Settings that send arXiv and the model to the loopback stand-in."""
    return settings.replace(arxiv_api_url=f"{stand_in.url}/api/query", base_url=f"{stand_in.url}/v1", **changes)


def clock():
    return datetime(2030, 1, 1, tzinfo=UTC)

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
    in_table = False
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type in ("table_open", "table_close"):
            in_table = token.type == "table_open"
        elif token.type == "tr_open":
            rows.append([])
        elif token.type == "inline" and rows and in_table:
            rows[-1].append(token.content)
    return rows
