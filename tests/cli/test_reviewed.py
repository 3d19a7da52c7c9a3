"""The `reviewed` mark as data: stored with its time, cleared when the entry's content changes (set, edit, import,
regen), shown by `list` and `show`, required by `check --require reviewed`; `digest review` needs a terminal."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from authoring.config import Settings
from authoring.models import Digest, Entry, Paper, Summary
from authoring.review.desk import Desk
from authoring.store import days
from tests.helpers import assert_one_line_error, assert_usage_error, run
from tools.assemble_cassettes import seed_golden_day

DAY = date(2024, 10, 8)


def clock():
    return datetime(2026, 12, 5, 8, 1, 2, tzinfo=UTC)


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "output"
    seed_golden_day(folder)
    return folder


def mark(out, *ids):
    desk = Desk(Settings(output_dir=out), DAY, clock=clock)
    for entry_id in ids:
        assert desk.toggle_reviewed(entry_id) is True


def entry(out, entry_id: str) -> dict:
    data = json.loads((out / "2024-10-08.json").read_text(encoding="utf-8"))
    return next(e for e in data["entries"] if e["id"] == entry_id)


def clean_day(out) -> None:
    """A day of two entries with no finding at all: only --require reviewed can fail it."""
    summary = Summary(objective="O.", method="M.", result="It reaches 42%.", implication="I.",
                      questions=["Q1?", "Q2?"])
    entries = [Entry(id=i, summary=summary, paper=Paper(id=i, title=f"T {i}", authors=["A"],
                                                         abstract="It reaches 42% accuracy."))
               for i in ("2410.00001", "2410.00002")]
    days.write(Settings(output_dir=out), DAY, Digest(date="2024-10-08", entries=entries))


def test_an_entry_never_reviewed_serialises_as_before_and_a_mark_is_stored_with_its_time(out):
    before = (out / "2024-10-08.json").read_bytes()
    assert b'"reviewed"' not in before
    mark(out, "2410.05258")
    assert entry(out, "2410.05258")["reviewed"] == "2026-12-05T08:01:02Z"
    assert "reviewed" not in entry(out, "2410.02707")
    assert Entry(id="2410.00001").model_dump_json() == '{"id":"2410.00001","paper":null,"summary":null,' \
        '"summary_markdown":null,"provenance":null,"error":null}'


def test_check_require_reviewed_refuses_a_day_until_every_entry_is_marked(tmp_path):
    out = tmp_path / "output"
    clean_day(out)
    assert run("check", "2024-10-08", "--output-dir", str(out)).exit_code == 0
    result = run("check", "2024-10-08", "--require", "reviewed", "--output-dir", str(out))
    assert result.exit_code == 1
    lines = [line for line in result.stdout.splitlines() if " reviewed " in line]
    assert len(lines) == 2 and all("not reviewed; `digest review 2024-10-08` marks it" in line for line in lines)
    mark(out, "2410.00001")
    result = run("check", "2024-10-08", "--require", "reviewed", "--json", "--output-dir", str(out))
    assert result.exit_code == 1
    found = json.loads(result.stdout)[0]["findings"]
    assert [(f["kind"], f["entry"], f["severity"]) for f in found] == [("reviewed", "2410.00002", "error")]
    mark(out, "2410.00002")
    assert run("check", "2024-10-08", "--require", "reviewed", "--output-dir", str(out)).exit_code == 0


def test_check_require_reviewed_of_a_markdown_file_or_an_unknown_requirement_is_a_usage_error(out):
    assert_usage_error(run("check", str(out / "2024-10-08.md"), "--require", "reviewed"),
                       "reviewed marks are kept in DATE.json")
    assert_usage_error(run("check", "2024-10-08", "--require", "read", "--output-dir", str(out)), "'read'")


def test_set_and_import_of_a_changed_row_clear_the_mark_an_untouched_row_keeps_it(out):
    mark(out, "2410.05258", "2410.02707", "2410.04364")
    assert run("set", "2024-10-08", "2410.05258", "title", "New title", "--output-dir", str(out)).exit_code == 0
    assert "reviewed" not in entry(out, "2410.05258")
    markdown = out / "2024-10-08.md"
    markdown.write_text(markdown.read_text(encoding="utf-8").replace("LLMs Know More Than They Show",
                                                                     "LLMs Know More", 1), encoding="utf-8")
    result = run("import", str(markdown), "--force", "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    assert "reviewed" not in entry(out, "2410.02707")  # the person changed its row
    assert entry(out, "2410.04364")["reviewed"] == "2026-12-05T08:01:02Z"  # untouched


def test_list_counts_and_show_shows_the_marks(out):
    mark(out, "2410.05258", "2410.02707")
    listed = run("list", "--output-dir", str(out))
    assert listed.exit_code == 0
    header = next(line for line in listed.stdout.splitlines() if "reviewed" in line)
    row = next(line for line in listed.stdout.splitlines() if "2024-10-08" in line)
    columns = [c.strip() for c in header.strip("┃│ ").split("┃")]
    cells = [c.strip() for c in row.strip("│ ").split("│")]
    assert cells[columns.index("reviewed")] == "2"
    shown = run("show", "2024-10-08", "2410.05258", "--output-dir", str(out))
    assert "Reviewed: 2026-12-05 08:01 UTC" in shown.stdout
    assert "Reviewed: no" in run("show", "2024-10-08", "2410.04364", "--output-dir", str(out)).stdout
    assert " reviewed " in run("show", "2024-10-08", "--output-dir", str(out)).stdout  # the day table's column


def test_the_day_table_shows_each_entrys_mark(out):
    import io

    from rich.console import Console

    from authoring.cli import views

    mark(out, "2410.05258")
    console = Console(file=io.StringIO(), width=250)
    console.print(views.day_table(days.peek(Settings(output_dir=out), DAY)))
    rows = [line for line in console.file.getvalue().splitlines() if "2410." in line]
    assert "2026-12-05 08:01" in rows[0] and all("2026-12-05" not in row for row in rows[1:])


def test_review_outside_a_terminal_is_a_one_line_error(out):
    assert_one_line_error(run("review", "2024-10-08", "--output-dir", str(out)),
                          "`digest review` is a full-screen app: run it in a terminal")
