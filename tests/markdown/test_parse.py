"""`digest import`: the reference round-trips byte for byte; broken rows are recovered; hostile entries survive."""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from authoring.markdown.parse import parse_digest
from authoring.markdown.render import render_markdown
from authoring.models import Digest, Entry, Paper, Summary
from tests.conftest import ROOT
from tests.helpers import assert_one_line_error, gfm_table, run, table_cells, table_rows
from tools.assemble_cassettes import seed_golden_day

REFERENCE = Path(__file__).parents[1] / "data" / "reference-2024-10-08.md"
DAY = "2024-10-08"


def test_the_reference_and_the_golden_digest_are_whole_gfm_tables():
    for path in (REFERENCE, Path(__file__).parents[1] / "golden" / f"{DAY}.md"):
        rows = gfm_table(path.read_text(encoding="utf-8"))
        assert len(rows) == 16 and all(len(cells) == 3 for cells in rows)


def test_reference_round_trips_byte_for_byte(tmp_path):
    result = run("import", str(REFERENCE), "--output-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Imported 15 entries" in result.stdout and "Warning" not in result.stderr
    assert (tmp_path / f"{DAY}.md").read_bytes() == REFERENCE.read_bytes()
    again = run("render", DAY, "--output-dir", str(tmp_path))
    assert again.exit_code == 0 and (tmp_path / f"{DAY}.md").read_bytes() == REFERENCE.read_bytes()


def test_reference_structure_is_recognised_where_it_exists():
    digest = parse_digest(REFERENCE.read_text(encoding="utf-8"), source="ref").digest
    structured = [e.id for e in digest.entries if e.summary is not None]
    assert len(structured) == 7
    videoguide = digest.entry("2410.04364")
    assert videoguide.summary.result.startswith("When applied to AnimateDiff")
    assert len(videoguide.summary.questions) == 2
    first = digest.entry("2410.05258")
    assert first.summary is None and first.summary_markdown.startswith("This research addresses")
    assert first.paper.authors == ["Li Dong", "thegenerality", "sunyt32", "yuqxia", "ytz20"]
    assert all(e.provenance.source == "import" for e in digest.entries)


def test_our_own_digest_imports_fully_structured():
    golden = (Path(__file__).parents[1] / "golden" / f"{DAY}.md").read_text(encoding="utf-8")
    digest = parse_digest(golden, source="golden").digest
    assert all(e.summary is not None and e.summary_markdown is None for e in digest.entries)
    assert render_markdown(digest) == golden


def test_a_row_broken_by_an_unescaped_pipe_is_reported_and_recovered(tmp_path):
    lines = REFERENCE.read_text(encoding="utf-8").split("\n")
    lines[6] = lines[6].replace("comparable performance.", "comparable performance | at scale.")
    broken = tmp_path / "broken.md"
    broken.write_text("\n".join(lines))
    result = run("import", str(broken), "--output-dir", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert "Warning: " in result.stderr and "line 7: 1 unescaped '|' in the summary" in result.stderr
    rows = table_rows((tmp_path / "out" / f"{DAY}.md").read_text())
    assert len(rows) == 15 and all(len(table_cells(r)) == 3 for r in rows)
    assert "comparable performance \\| at scale." in rows[0]


def test_a_row_broken_over_two_lines_is_joined(tmp_path):
    reference = REFERENCE.read_text(encoding="utf-8")
    text = reference.replace("Differential Transformer (Read", "Differential\nTransformer (Read", 1)
    result = parse_digest(text, source="x")
    assert result.warnings == ["line 7: row broken over lines 7-8 was joined"]
    assert result.digest.entries[0].paper.title == "Differential Transformer"


@pytest.mark.parametrize("content", ["# Shopping list\n\n- eggs\n", "", "| a | b |\n|---|---|\n| 1 | 2 |\n"])
def test_a_file_that_is_not_a_digest_is_a_clear_error(tmp_path, content):
    path = tmp_path / "notes.md"
    path.write_text(content)
    assert_one_line_error(run("import", str(path), "--output-dir", str(tmp_path)), "is not a digest")


def test_date_from_option_when_the_heading_lacks_it(tmp_path):
    text = REFERENCE.read_text(encoding="utf-8").replace("## Papers for 2024-10-08\n", "")
    path = tmp_path / "nodate.md"
    path.write_text(text)
    assert_one_line_error(run("import", str(path), "--output-dir", str(tmp_path / "o")), "pass --date")
    result = run("import", str(path), "--date", "2024-10-09", "--output-dir", str(tmp_path / "o"))
    assert result.exit_code == 0 and (tmp_path / "o" / "2024-10-09.json").exists()


def test_import_into_an_existing_day_needs_force_and_takes_in_hand_edits(tmp_path):
    out = tmp_path / "output"
    seed_golden_day(out)
    md_path = out / f"{DAY}.md"
    edited = md_path.read_text().replace("Differential Transformer (Read", "Differential Transformer v2 (Read")
    md_path.write_text(edited)
    assert_one_line_error(run("import", str(md_path), "--output-dir", str(out)), "already exists; pass --force")
    result = run("import", str(md_path), "--output-dir", str(out), "--force")
    assert result.exit_code == 0, result.output
    entries = json.loads((out / f"{DAY}.json").read_text())["entries"]
    assert entries[0]["paper"]["title"] == "Differential Transformer v2"
    assert entries[0]["provenance"]["edited"] is True
    assert entries[0]["paper"]["abstract"].startswith("Transformer tends")  # metadata kept
    assert len(entries[0]["paper"]["authors"]) == 7  # the full list, not the five shown
    assert entries[1]["provenance"]["edited"] is False and entries[1]["provenance"]["model"] == "gpt-5-mini"
    assert run("render", DAY, "--output-dir", str(out)).exit_code == 0  # in sync again


# Text without what the format cannot carry: line breaks (cells are one line), ", " inside one author's name
# (the separator), the part markers inside a part, surrounding whitespace (cells are trimmed), and a leading
# list marker or part marker (the Summary model drops those as the model's own numbering).
_MARKERS = ("a) ", "b) ", "c) ", "d) ", "follow-up questions", " 1. ", " 2. ", " 3. ")
_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\x85"),
    min_size=1, max_size=40,
).map(lambda t: " ".join(t.split())).filter(
    lambda t: t and not any(m in t.lower() for m in _MARKERS) and not re.match(r"(?:\d+[.)]|[-*]|[a-d]\))\s", t)
)
_hostile = st.one_of(_text, st.sampled_from(["a | b", "\\|", "x \\\\| y", "<br>", "$|x|$", "🤖 | 🧪", "trailing \\"]))


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(
    title=_hostile,
    authors=st.lists(_hostile.filter(lambda a: ", " not in a and not a.endswith(",")), min_size=1, max_size=5),
    parts=st.lists(_hostile, min_size=4, max_size=4),
    questions=st.lists(_hostile, min_size=2, max_size=3),
)
# Counterexamples hypothesis found, kept so every run tries them (issue 17: a question that reads like the next
# marker, on a random seed CI had never drawn).
@example(title="0", authors=["0"], parts=["0", "0", "0", "0"], questions=["0", "3)", "0"])
@example(title="0", authors=["0"], parts=["0", "0", "0", "0"], questions=["2.", "0"])
def test_any_entry_survives_render_then_import(title, authors, parts, questions):
    summary = Summary(objective=parts[0], method=parts[1], result=parts[2], implication=parts[3], questions=questions)
    entry = Entry(id="2410.05258", paper=Paper(id="2410.05258", title=title, authors=authors), summary=summary)
    markdown = render_markdown(Digest(date=DAY, entries=[entry]))
    assert [len(cells) for cells in gfm_table(markdown)] == [3, 3]
    imported = parse_digest(markdown, source="property").digest
    assert len(imported.entries) == 1
    back = imported.entries[0]
    assert (back.id, back.paper.title, back.paper.authors) == (entry.id, title, authors)
    assert back.summary == summary and back.summary_markdown is None
    assert render_markdown(imported) == markdown


@pytest.mark.parametrize(("ci", "derandomised"), [("true", True), ("", False)])
def test_property_tests_are_derandomised_under_ci(ci, derandomised):
    code = "import tests.conftest; from hypothesis import settings; print(settings.default.derandomize)"
    env = {**os.environ, "CI": ci}
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == str(derandomised), done.stderr


def test_date_option_wins_over_the_heading(tmp_path):
    out = tmp_path / "o"
    result = run("import", str(REFERENCE), "--date", "2024-10-09", "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.json")) == ["2024-10-09.json"]
    assert json.loads((out / "2024-10-09.json").read_text())["date"] == "2024-10-09"
    assert "## Papers for 2024-10-09" in (out / "2024-10-09.md").read_text()


def test_import_of_a_file_from_an_older_render_keeps_the_changes_made_since(tmp_path):
    """Three-way by entry against the render the file came from: a later set, rm and move stay; the row the
    person edited in the old file is taken in."""
    out = tmp_path / "output"
    seed_golden_day(out)
    old_file = tmp_path / "stale.md"
    old_file.write_text((out / f"{DAY}.md").read_text().replace("Differential Transformer (Read",
                                                                  "My Differential Transformer (Read"))
    cli = ["--output-dir", str(out)]
    assert run("set", DAY, "2410.02707", "title", "Set after that render", *cli).exit_code == 0
    assert run("rm", DAY, "2410.04364", *cli).exit_code == 0
    assert run("move", DAY, "2410.05167", "--to", "1", *cli).exit_code == 0
    result = run("import", str(old_file), "--force", *cli)
    assert result.exit_code == 0, result.output
    entries = {e["id"]: e for e in json.loads((out / f"{DAY}.json").read_text())["entries"]}
    order = list(entries)
    assert order[:2] == ["2410.05167", "2410.05258"] and len(order) == 14  # the move stays, the rm stays
    assert "2410.04364" not in entries
    assert entries["2410.02707"]["paper"]["title"] == "Set after that render"  # the set stays
    assert entries["2410.05258"]["paper"]["title"] == "My Differential Transformer"  # the person's edit lands
    assert "Warning" not in result.stderr


def test_import_of_an_old_file_whose_edited_row_also_changed_since_says_so(tmp_path):
    out = tmp_path / "output"
    seed_golden_day(out)
    old_file = tmp_path / "stale.md"
    old_file.write_text((out / f"{DAY}.md").read_text().replace("Differential Transformer (Read",
                                                                  "My Differential Transformer (Read"))
    assert run("set", DAY, "2410.02707", "title", "Also set", "--output-dir", str(out)).exit_code == 0
    assert run("set", DAY, "2410.05258", "title", "Set meanwhile", "--output-dir", str(out)).exit_code == 0
    result = run("import", str(old_file), "--force", "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    titles = [e["paper"]["title"] for e in json.loads((out / f"{DAY}.json").read_text())["entries"]][:2]
    assert titles == ["My Differential Transformer", "Also set"]
    assert "Warning: 2410.05258 also changed since" in result.stderr and f"digest undo {DAY}" in result.stderr
