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
from authoring.store.edits import set_field
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


# ------------------------------------------------------------------------------------------------ summary structure
# Plausible summaries whose words read like the layout's own markers (issue 19): each must import to its true
# structure or stay prose, render back to the same bytes, and keep every word through a later edit of another part.
PLAUSIBLE = {
    "2501.00201": {"questions": ["How does it compare with the follow-up questions baseline of Lee et al.?",
                                 "What does it cost?"]},
    "2501.00202": {"questions": ["Is the gain real? 2. If so, at what cost?", "Does it transfer?"]},
    "2501.00203": {"objective": "The study asks two things. a) Does pretraining help? b) Does tuning help?"},
    "2501.00204": {"questions": ["3) 3) Why does step 3 repeat?", "How?"], "method": "c) c) is what they call it."},
}
PARTS = {"objective": "The study measures drift.", "method": "Probes are trained per layer.",
         "result": "Drift drops by 3.5x.", "implication": "Monitoring gets cheaper.",
         "questions": ["Is it stable?", "Does it transfer?"]}


def _plausible_day() -> tuple[Digest, dict[str, Summary]]:
    summaries = {i: Summary(**{**PARTS, **fields}) for i, fields in PLAUSIBLE.items()}
    entries = [Entry(id=i, paper=Paper(id=i, title=f"Paper {i}", authors=["A. Author"]), summary=s)
               for i, s in summaries.items()]
    return Digest(date="2025-01-20", entries=entries), summaries


def _row(markdown: str, arxiv_id: str) -> str:
    return next(r for r in table_rows(markdown) if arxiv_id in r)


def test_plausible_summaries_import_to_their_structure_and_keep_every_word_through_set(tmp_path):
    digest, summaries = _plausible_day()
    markdown = render_markdown(digest)
    source = tmp_path / "2025-01-20.md"
    source.write_text(markdown)
    out = tmp_path / "out"
    assert run("import", str(source), "--output-dir", str(out)).exit_code == 0
    assert (out / "2025-01-20.md").read_text() == markdown  # the same bytes
    stored = Digest.model_validate_json((out / "2025-01-20.json").read_text())
    assert {e.id: e.summary for e in stored.entries} == summaries  # each its true structure, markers kept
    assert all(e.summary_markdown is None for e in stored.entries)
    shown = run("show", "2025-01-20", "2501.00202", "--output-dir", str(out)).stdout
    assert "Is the gain real? 2. If so, at what cost?" in " ".join(shown.split())
    for entry in digest.entries:  # a later set of another part: the row is the summary with that part changed
        cli = run("set", "2025-01-20", entry.id, "implication", "Teams can adopt it.", "--output-dir", str(out))
        assert cli.exit_code == 0, cli.output
        entry.summary = entry.summary.model_copy(update={"implication": "Teams can adopt it."})
        expected = render_markdown(Digest(date="2025-01-20", entries=[entry]))
        assert _row(expected, entry.id) in (out / "2025-01-20.md").read_text()


OTHER_LAYOUT = ("a) {objective}  b) {method}  c) {result}  d) {implication}   Follow-up questions from an AI "
                "practitioner:  1.  {q1}  2.  {q2}")


@pytest.mark.parametrize("arxiv_id", list(PLAUSIBLE))
def test_plausible_summaries_in_another_tools_layout_never_lose_a_word(tmp_path, arxiv_id):
    """Another tool's layout is read by heuristics: the structure is kept only where it holds every word and no
    part holds a marker-like text it could have been cut at; otherwise the cell is prose."""
    fields = {**PARTS, **PLAUSIBLE[arxiv_id]}
    cell = OTHER_LAYOUT.format(**fields, q1=fields["questions"][0], q2=fields["questions"][1])
    row = f"| Paper (Read more on [arXiv](https://arxiv.org/abs/{arxiv_id}))| A. Author | {cell} |"
    source = tmp_path / "2025-01-20.md"
    source.write_text(f"\n\n## Papers for 2025-01-20\n\n| Title | Authors | Summary |\n|---|---|---|\n{row}\n")
    out = tmp_path / "out"
    assert run("import", str(source), "--output-dir", str(out)).exit_code == 0
    assert cell in (out / "2025-01-20.md").read_text()  # rendered as written
    entry = Digest.model_validate_json((out / "2025-01-20.json").read_text()).entries[0]
    if entry.summary is not None:
        assert entry.summary == Summary(**fields)  # a structure, only the true one
    cli = run("set", "2025-01-20", arxiv_id, "implication", "Teams can adopt it.", "--output-dir", str(out))
    after = _row((out / "2025-01-20.md").read_text(), arxiv_id)
    for word in " ".join(v for k, v in fields.items() if k not in ("implication", "questions")).split():
        assert word in after
    for question in fields["questions"]:
        assert question in after
    assert cli.exit_code == (0 if entry.summary is not None else 1)


def test_markers_at_a_fields_start_survive_every_round_trip(tmp_path):
    digest, summaries = _plausible_day()
    markdown = render_markdown(digest)
    for _ in range(3):
        digest = parse_digest(markdown, source="x").digest
        assert render_markdown(digest) == markdown
    assert digest.entry("2501.00204").summary.questions[0] == "3) 3) Why does step 3 repeat?"
    assert digest.entry("2501.00204").summary.method == "c) c) is what they call it."


def test_a_cell_the_template_could_write_for_two_summaries_stays_prose():
    # a part holding a paragraph break before 'b) ' renders like the next part: two summaries give this cell
    one = Summary(**{**PARTS, "objective": "Two aims.\n\nb) Does tuning help?"})
    entry = Entry(id="2501.00205", paper=Paper(id="2501.00205", title="T", authors=["A"]), summary=one)
    markdown = render_markdown(Digest(date="2025-01-20", entries=[entry]))
    back = parse_digest(markdown, source="x").digest.entries[0]
    assert back.summary is None and back.summary_markdown is not None
    assert render_markdown(parse_digest(markdown, source="x").digest) == markdown


# Marker-bearing prose: words and the markers the layout itself uses (part letters, numbers, the heading's words),
# single-spaced as a model's one-paragraph answer is.
_MARKER_WORDS = ["a)", "b)", "c)", "d)", "1.", "2.", "3.", "2)", "3)", "-", "*", "follow-up", "questions",
                 "Follow-up questions:", "Questions:", "?", ".", "i)", "iii)"]
_prose = st.lists(st.one_of(st.sampled_from(_MARKER_WORDS), st.from_regex(r"[A-Za-z]{1,8}[.?:]?", fullmatch=True)),
                  min_size=1, max_size=12).map(" ".join)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(parts=st.lists(_prose, min_size=4, max_size=4), questions=st.lists(_prose, min_size=2, max_size=3),
       changed=st.sampled_from(["objective", "method", "result", "implication"]))
@example(parts=["Aim.", "3) 3) Method.", "Result.", "Use."], questions=["3) 3)", "How?"], changed="objective")
@example(parts=["a)", "a)", "a)", "a)"], questions=["a)", "a)"], changed="objective")  # found while writing the test
@example(parts=["The study asks two things. a) Does pretraining help? b) Does tuning help?", "M.", "R.", "I."],
         questions=["Is the gain real? 2. If so, at what cost?", "How does it compare with the follow-up questions "
                    "baseline of Lee et al.?"], changed="implication")
def test_marker_bearing_prose_survives_render_parse_render_and_a_set(parts, questions, changed):
    summary = Summary(objective=parts[0], method=parts[1], result=parts[2], implication=parts[3], questions=questions)
    entry = Entry(id="2410.05258", paper=Paper(id="2410.05258", title="T", authors=["A"]), summary=summary)
    markdown = render_markdown(Digest(date=DAY, entries=[entry]))
    imported = parse_digest(markdown, source="property").digest
    assert render_markdown(imported) == markdown
    back = imported.entries[0]
    assert back.summary in (None, summary)  # its own structure, or prose: never another one
    if back.summary is None:
        return  # prose: `set` of a part refuses (nothing to lose); render gave the same bytes
    set_field(back, changed, ["Changed text."])
    entry.summary = summary.model_copy(update={changed: "Changed text."})
    assert render_markdown(imported) == render_markdown(Digest(date=DAY, entries=[entry]))  # every other word


def test_another_tools_structure_that_would_drop_words_stays_prose():
    cell = ("a) Aim.  b) Method.  c) A 5% gain.  d) Use.  Follow-up questions: Two matter most here. "
            "1. Why? 2. How?")
    row = f"| T (Read more on [arXiv](https://arxiv.org/abs/2501.00206))| A | {cell} |"
    back = parse_digest(f"| Title | Authors | Summary |\n|---|---|---|\n{row}\n", source="x", date=DAY).digest
    assert back.entries[0].summary is None and back.entries[0].summary_markdown == cell


# ------------------------------------------------------------------------------------------------ text around the table
def test_text_above_and_below_the_table_survives_import_force_and_render(tmp_path):
    out = tmp_path / "output"
    seed_golden_day(out)
    path = out / f"{DAY}.md"
    golden = path.read_text()
    note = "Editor's note: 2410.05258 was withdrawn on 2024-10-10.\n\n- errata: [the list](https://example.org/errata)"
    intro = "Fifteen papers today; *three* on video."
    edited = golden.replace("\n\n| Title |", f"\n\n{intro}\n\n| Title |", 1) + f"\n{note}\n"
    path.write_text(edited)
    result = run("import", str(path), "--force", "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr
    stored = json.loads((out / f"{DAY}.json").read_text())
    assert (stored["text_above"], stored["text_below"]) == (intro, note)
    assert path.read_text() == edited  # rendered back as written
    path.unlink()
    assert run("render", DAY, "--output-dir", str(out)).exit_code == 0
    assert path.read_text() == edited
    rows = gfm_table(edited)
    assert len(rows) == 16 and all(len(cells) == 3 for cells in rows)  # the note is not part of the table
    checked = json.loads(run("check", DAY, "--json", "--fail-on", "never", "--output-dir", str(out)).stdout)
    assert [f for f in checked[0]["findings"] if f["kind"] in ("table", "drift")] == []  # in sync, a whole table


def test_text_above_the_heading_is_kept_below_it_and_the_warning_says_so(tmp_path):
    text = "# Our reading group\n\n" + REFERENCE.read_text(encoding="utf-8").lstrip("\n")
    result = parse_digest(text, source="x")
    assert result.digest.text_above == "# Our reading group" and result.digest.text_below is None
    assert result.warnings == ["line 1: the text above the '## Papers for DATE' heading is kept, below it"]
    rendered = render_markdown(result.digest)
    assert rendered.startswith("\n\n## Papers for 2024-10-08\n\n# Our reading group\n\n| Title |")
    assert parse_digest(rendered, source="again").warnings == []


def test_a_day_without_text_around_the_table_stores_no_such_keys(tmp_path):
    assert run("import", str(REFERENCE), "--output-dir", str(tmp_path)).exit_code == 0
    stored = json.loads((tmp_path / f"{DAY}.json").read_text())
    assert "text_above" not in stored and "text_below" not in stored  # DATE.json and its hashes as before
