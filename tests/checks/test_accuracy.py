"""Accuracy of `digest check` on real phrasings: one table-driven test per finding kind. Every phrasing here is
hand-written for these tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from authoring.checks.findings import check_digest, check_table
from authoring.checks.grounding import Source, figures, ungrounded
from authoring.markdown.parse import parse_digest
from authoring.markdown.render import render_markdown
from authoring.markdown.summary_text import follow_up
from authoring.models import Digest, Entry, Paper, Provenance
from tests.helpers import run

REFERENCE = Path(__file__).parents[1] / "data" / "reference-2024-10-08.md"
STRUCTURED = "a) Aim.  b) Method.  c) It gains 4.2%.  d) Use.  "


# ------------------------------------------------------------------------------------------------ figures
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PSNR rises by over 1dB on both sets.", ["1dB"]),
        ("It needs up to 47X less memory.", ["47X"]),
        ("It needs up to 47x less memory.", ["47x"]),
        ("a 3.2× speed-up at batch size one", ["3.2×"]),
        ("trained on 800K-1M samples per task", ["800K", "1M"]),
        ("the loss falls from 8.1e-3 to 1.5e-4", ["8.1e-3", "1.5e-4"]),
        ("an average gain of +Δ9.4% over the baseline", ["9.4%"]),
        ("with only 1k labelled images", ["1k"]),
        ("scaled to 1.5B tokens and 12M steps", ["1.5B", "12M"]),
        ("a margin of ±0.3 and ~40% fewer calls", ["0.3", "40%"]),
        ("a 10–18x speedup", ["10", "18x"]),
        ("an error drop of -3.2 points", ["3.2"]),
        ("accuracy of 87.5 % and 4.1 pp better", ["87.5 %", "4.1 pp"]),
        ("1,532 questions at 0.85 AUC", ["1,532", "0.85"]),
        # units and notations as a reader writes them (issue 19)
        ("a latency of 226ms per frame", ["226ms"]),
        ("streams at 0.35kbps", ["0.35kbps"]),
        ("renders at 100FPS and 30fps", ["100FPS", "30fps"]),
        ("a mean error of 6.90mm, never >10mm", ["6.90mm", "10mm"]),
        ("answers within 100ms", ["100ms"]),
        ("an AUC of .828 (and (.91) in the appendix)", [".828", ".91"]),
        # names stay names
        ("GPT-4o beats Llama-3.1-8B and Qwen2.5-7B-Instruct", []),
        ("PaliGemma-3B-Mix-448 at 44.1kHz on an A100 40GB", []),
        ("top-1 accuracy with Mistral-7b-instruct in 3D scenes, v2 only", []),
        ("in the 1990s, with v.2 and x.5 of the tool", []),
        ("no figure here at all", []),
    ],
)
def test_figures_with_units_and_names(text, expected):
    assert [f.text for f in figures(text)] == expected


@pytest.mark.parametrize(
    ("summary", "source", "missing"),
    [
        ("up to 47X less memory", "uses 47x less memory", []),
        ("800K-1M samples", "between 800,000 and 1 million samples", []),
        ("800K-1M samples", "800K to 1M samples", []),
        ("from 8.1e-3 to 1.5e-4", "from 0.0081 to 0.00015", []),
        ("from 8.1e-3 to 1.5e-4", "from 8.1e-3 to 1.5e-4", []),
        ("+Δ9.4%", "an improvement of 9.4 points", []),
        ("1k images", "1,000 images", []),
        ("over 2dB PSNR", "over 1 dB PSNR", ["2dB"]),
        ("47X less memory", "40x less memory", ["47X"]),
        ("an AUC of .828 at 226ms", "AUC 0.828 with a latency of 226 ms", []),
        ("an AUC of 0.828", "AUC of .828", []),
        ("an AUC of .828", "AUC of 0.818", [".828"]),
        ("6.90mm", "6.9 mm", []),
    ],
)
def test_grounding_of_figures_with_units(summary, source, missing):
    assert [f.text for f in ungrounded(summary, Source(source))] == missing


# The eight summaries the issue found wrongly warned "states no figure" (issue 19), as prose cells.
@pytest.mark.parametrize(
    "summary",
    [
        "The codec decodes a frame in 226ms on a phone.",
        "It keeps speech intelligible at 0.35kbps.",
        "The renderer runs at 100FPS on one GPU.",
        "Depth error falls to 6.90mm on the benchmark.",
        "No reconstruction is off by >10mm.",
        "The agent answers within 100ms.",
        "The detector reaches an AUC of .828.",
        "The benchmark scores the follow-up questions a tutor asks; the best model answers 61.5% of them.",
    ],
)
def test_figures_as_a_reader_writes_them_are_seen(summary):
    assert [k for k in kinds(summary) if k[0] == "figure"] == []


def test_the_questions_heading_is_recognised_only_where_it_is_a_heading():
    body = "The benchmark scores the follow-up questions a tutor asks; the best model answers 61.5% of them."
    assert follow_up(body) is None
    question = "How does it compare with the follow-up questions baseline of Lee et al.?"
    found = follow_up(f"{STRUCTURED}Follow-up questions:  1. {question}  2. Why?")
    assert found.heading == "Follow-up questions:" and found.questions == [question, "Why?"]
    found = follow_up("Plain prose.  Here are some follow-up questions an AI practitioner might have: 1. A? 2. B?")
    assert found.heading == "Here are some follow-up questions an AI practitioner might have:"
    assert follow_up("Plain prose. Follow-up questions 1. A? 2. B?").questions == ["A?", "B?"]


# ------------------------------------------------------------------------------------------------ the corpus
CORPUS = Path(__file__).parents[1] / "data" / "corpus"


def test_the_defects_corpus_gives_exactly_its_labelled_findings(tmp_path):
    expected = json.loads((CORPUS / "defects.expected.json").read_text())
    result = run("check", str(CORPUS / "defects.md"), "--json", "--fail-on", "never", "--output-dir", str(tmp_path))
    got: dict[str, list[list[str]]] = {entry: [] for entry in expected}
    for finding in json.loads(result.stdout)[0]["findings"]:
        got[finding["entry"]].append([finding["kind"], finding["severity"]])
    assert {k: sorted(v) for k, v in got.items()} == {k: sorted(v) for k, v in expected.items()}


def test_an_imported_archive_passes_the_gate_but_for_its_real_errors(tmp_path):
    """Days in the layouts of the generator's archive (prose rows without numbered questions, the 2024-09-09 title
    cells with their read-more tail, i)-v) summaries, units as a reader writes them, a <think> left in a title):
    imported, every day passes `check --fail-on error` except for what a reader really sees wrong."""
    out = str(tmp_path / "out")
    for path in sorted((CORPUS / "archive").glob("*.md")):
        assert run("import", str(path), "--output-dir", out).exit_code == 0
    gate = run("check", "--json", "--fail-on", "error", "--output-dir", out)
    assert gate.exit_code == 1
    results = json.loads(gate.stdout)
    errors = [(r["target"], f["entry"], f["kind"]) for r in results for f in r["findings"] if f["severity"] == "error"]
    assert errors == [("2024-11-20", "2411.04001", "markup")]
    for day in ("2024-06-03", "2024-07-15", "2024-09-09"):
        assert run("check", day, "--fail-on", "error", "--output-dir", out).exit_code == 0
    findings = {(f["entry"], f["kind"], f["severity"]) for r in results for f in r["findings"]}
    assert not any(kind == "figure" for _, kind, _ in findings)  # 226ms, 0.35kbps, 100FPS, 6.90mm, >10mm, .828
    assert ("2409.03002", "structure", "warning") in findings  # its i)-v) parts lack iii)
    assert ("2409.03001", "structure", "warning") not in findings
    titles = [e["paper"]["title"] for day in sorted(Path(out).glob("*.json"))
              for e in json.loads(day.read_text())["entries"]]
    assert titles[6:9] == ["Five-Part Summaries of Long Documents", "Sparse Retrieval at Scale",
                           "Quantised Vision Encoders"]
    assert not any("read more" in title.lower() for title in titles)


def test_a_think_tag_in_a_title_is_flagged_when_a_file_is_checked(tmp_path):
    result = run("check", str(CORPUS / "archive" / "2024-11-20.md"), "--output-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "2411.04001    markup     raw tag <think>, </think> in the title" in result.stdout


def entry(summary: str, *, authors=("A. Author",), abstract: str | None = None, source: str = "import") -> Entry:
    paper = Paper(id="2501.00001", title="T", authors=list(authors), abstract=abstract or "")
    return Entry(id="2501.00001", paper=paper, summary_markdown=summary, provenance=Provenance(source=source))


@pytest.mark.parametrize(
    ("source", "summary", "expected"),
    [
        # another tool's prose, imported: its style is reported, not held against it
        ("import", "Plain prose with a 5% gain.", [("structure", "info"), ("questions", "info")]),
        ("import", "Plain prose with a 5% gain. Follow-up questions: 1. A?", [("structure", "info"),
                                                                                ("questions", "info")]),
        # a)-d) text missing a part, or a summary digest wrote: the gate stays strict
        ("import", "a) Aim.  b) Method with 3% gain.  Follow-up questions: 1. A? 2. B?", [("structure", "error")]),
        ("import", STRUCTURED + "Follow-up questions: 1. A?", [("questions", "error")]),
        ("abstract", "Plain prose with a 5% gain.", [("structure", "info"), ("questions", "error")]),
    ],
)
def test_severity_follows_provenance(source, summary, expected):
    assert [k for k in kinds(summary, source=source) if k[0] in ("structure", "questions")] == expected


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("i) Aim.  ii) Method.  iii) A 5% gain.  iv) Use.  v) Limits.", []),
        ("i) Aim.  ii) Method.  iv) A 5% gain.  v) Limits.", ["the summary's i)-v) parts lack iii)"]),
        ("i) Aim. ii) Method. iii) A 5% gain.", ["the summary's i)-v) parts lack iv), v)"]),
        ("Two aims: i) speed and ii) cost, with a 5% gain.", []),  # an inline list is not the layout
    ],
)
def test_i_to_v_summaries_with_a_missing_part_are_reported(summary, expected):
    the_entry = entry(summary)
    findings = check_digest(Digest(date="2025-01-15", entries=[the_entry]), source_text=lambda e: None)
    assert [f.message for f in findings if f.severity == "warning" and f.kind == "structure"] == expected


def kinds(summary: str, **kwargs) -> list[tuple[str, str]]:
    the_entry = entry(summary, **kwargs)
    source = (lambda e: ("abstract", e.paper.abstract)) if kwargs.get("abstract") else (lambda e: None)
    return [(f.kind, f.severity) for f in check_digest(Digest(date="2025-01-15", entries=[the_entry]),
                                                       source_text=source)]



@pytest.mark.parametrize(
    ("block", "count"),
    [
        ("Follow-up questions:  1. How does it act beyond Figure 4. How does it scale? 2. Why? 3. When?", 3),
        ("Follow Up Questions: 1. Why? 2. How? 3. When?", 3),
        ("FOLLOW-UP QUESTIONS: 1) Why? 2) How?", 2),
        ("**Follow-up questions:** - Why does it work? - How far does it go?", 2),
        ("Here are some follow-up questions an AI practitioner might have:  1. Why?  2.  How?", 2),
        ("Follow-up questions from a practitioner: Why? How? When?", 3),
        ("Follow-up questions:  1. Only one, about version 2. of the model?", 1),
        ("No questions here.", 0),
    ],
)
def test_follow_up_questions_are_counted_as_a_reader_counts_them(block, count):
    found = follow_up(STRUCTURED + block)
    assert (len(found.questions) if found else 0) == count
    expected = [] if 2 <= count <= 3 else [("questions", "error")]
    assert [k for k in kinds(STRUCTURED + block) if k[0] == "questions"] == expected


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        (STRUCTURED + "Follow-up questions: 1. A? 2. B?", []),
        ("The method has two stages: a) pretraining and b) tuning, at 0.91 F1. Follow-up questions: 1. A? 2. B?",
         [("structure", "info")]),
        ("a) Aim.  b) Method with 3% gain.  Follow-up questions: 1. A? 2. B?", [("structure", "error")]),
        ("Plain prose with 5% gain. Follow-up questions: 1. A? 2. B?", [("structure", "info")]),
    ],
)
def test_structure_findings(summary, expected):
    assert [k for k in kinds(summary) if k[0] == "structure"] == expected


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("<think>plan</think> " + STRUCTURED + "Follow-up questions: 1. A? 2. B?", [("markup", "error")]),
        (STRUCTURED.replace("Use.", "Use <answer> tags.") + "Follow-up questions: 1. A? 2. B?", [("markup", "error")]),
        (STRUCTURED.replace("Use.", "Use `<answer>` tags.") + "Follow-up questions: 1. A? 2. B?", []),
        (STRUCTURED.replace("4.2%", "p < 0.05 and x<y") + "Follow-up questions: 1. A? 2. B?", []),
        # GitHub shows these as formatting: nothing is hidden
        (STRUCTURED.replace("4.2%", "4.2×10<sup>-3</sup> and H<sub>2</sub>O") + "Follow-up questions: 1. A? 2. B?",
         []),
    ],
)
def test_raw_tags_outside_code_spans(summary, expected):
    assert [k for k in kinds(summary) if k[0] == "markup"] == expected


@pytest.mark.parametrize(
    ("opening", "flagged"),
    [
        ("Here's a concise summary of the paper, following your strict guidelines:  ", True),
        ("Sure! ", True),
        ("Here is a structured overview:  ", True),
        ("As an AI language model, I summarise:  ", True),
        ("", False),
    ],
)
def test_model_preamble_and_meta_talk(opening, flagged):
    summary = opening + STRUCTURED + "Here are some follow-up questions an AI practitioner might have:  1. A? 2. B?"
    assert [k for k in kinds(summary) if k[0] == "preamble"] == ([("preamble", "warning")] if flagged else [])


@pytest.mark.parametrize(("authors", "expected"), [((), [("authors", "warning")]), (("A. B",), [])])
def test_empty_authors_cell(authors, expected):
    assert [k for k in kinds(STRUCTURED + "Follow-up questions: 1. A? 2. B?", authors=authors)
            if k[0] == "authors"] == expected


@pytest.mark.parametrize(
    ("summary", "abstract", "expected"),
    [
        ("Code at https://github.com/x/y. It gains 4.2%.", "Code: https://github.com/x/y. Gains 4.2%.",
         [("link", "warning")]),  # from the source, but rendered live: a second look
        ("Code at [repo](https://github.com/x/z). It gains 4.2%.", "Code: https://github.com/x/y. 4.2%.",
         [("link", "error")]),
        ("It gains 4.2%.", "Gains 4.2%.", []),
    ],
)
def test_links_the_source_does_not_contain(summary, abstract, expected):
    text = summary + " Follow-up questions: 1. A? 2. B?"
    assert [k for k in kinds(text, abstract=abstract) if k[0] in ("link", "grounding")] == expected


@pytest.mark.parametrize(
    ("summary", "expected"),
    [
        ("It needs up to 47X less memory.", []),
        ("PSNR rises by over 1dB.", []),
        ("An average gain of +Δ9.4%.", []),
        ("It is better than GPT-4o and Llama-3.1-8B.", [("figure", "warning")]),
    ],
)
def test_states_no_figure(summary, expected):
    text = summary + " Follow-up questions: 1. A? 2. B?"
    assert [k for k in kinds(text) if k[0] == "figure"] == expected


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda row: row.replace("internal activations.", "internal | activations."),
         "line 8: 1 unescaped '|' (4 cells, not 3)"),
        (lambda row: row.replace("internal activations.", "internal\nactivations."),
         "line 8: a line break inside the row (lines 8-9)"),
        (lambda row: row.replace("internal activations.", "internal |\nactivations."),
         "line 8: a line break inside the row (lines 8-9); 1 unescaped '|' (4 cells, not 3)"),
        (lambda row: row.rstrip("|").rstrip(), "line 8: no closing '|'"),
    ],
)
def test_one_table_finding_per_row_naming_each_defect(change, message):
    lines = REFERENCE.read_text().split("\n")
    lines[7] = change(lines[7])
    table = [f for f in check_table("\n".join(lines)) if f.kind == "table"]
    assert [(f.entry, f.message) for f in table] == [("2410.02707", message)]


def test_a_20000_character_run_on_cell_is_processed():
    run_on = "a) " + "and the model keeps going without a full stop " * 420 + "reaching 4.2%.  b) M.  c) 5%.  d) I.  "
    text = run_on + "Follow-up questions: " + "1. " + "why " * 400 + "? 2. How?"
    assert len(text) > 20_000
    found = follow_up(text)
    assert len(found.questions) == 2 and found.questions[1] == "How?"
    assert kinds(text) == []
    row = f"| T (Read more on [arXiv](https://arxiv.org/abs/2501.00001))| A | {text} |"
    assert check_table(f"| Title | Authors | Summary |\n|---|---|---|\n{row}\n") == []


# ------------------------------------------------------------------------------------------------ import layouts
def test_the_older_link_column_layout_imports_all_its_rows(tmp_path):
    result = parse_digest((CORPUS / "link-column.md").read_text(), source="old")
    digest = result.digest
    assert [e.id for e in digest.entries] == ["2403.01001", "2403.01002", "2403.01003"]
    assert digest.entries[0].summary is not None and digest.entries[0].paper.authors == ["Ana Ruiz", "Bo Chen"]
    assert digest.entries[1].paper.title == "Curriculum Distillation for Code Models"
    assert result.warnings == ["line 7: row broken over lines 7-8 was joined"]
    cli = run("import", str(CORPUS / "link-column.md"), "--output-dir", str(tmp_path))
    assert cli.exit_code == 0 and "Imported 3 entries" in cli.stdout


def test_the_bullet_list_layout_imports_all_its_papers():
    digest = parse_digest((CORPUS / "bullet-list.md").read_text(), source="bullets").digest
    assert [(e.id, e.paper.title, e.paper.authors) for e in digest.entries] == [
        ("2402.02001", "Denoising Priors for Low-Light Video", ["Mei Lin", "Jonas Berg"]),
        ("2402.02002", "Calibrated Refusals in Chat Models", ["Sam Okoro"]),
    ]
    assert digest.entries[0].summary is not None and digest.entries[0].summary.result.startswith("PSNR improves")
    assert digest.entries[1].summary_markdown.startswith("A method that calibrates")


def test_an_empty_day_imports_as_empty_with_a_notice(tmp_path):
    result = run("import", str(CORPUS / "empty-day.md"), "--output-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert "Imported 0 entries" in result.stdout and "imported as an empty day" in result.stderr
    assert json.loads((tmp_path / "2024-12-25.json").read_text())["entries"] == []
    assert (tmp_path / "2024-12-25.md").read_text() == (CORPUS / "empty-day.md").read_text()


def test_pipe_repair_keeps_the_padding():
    lines = REFERENCE.read_text().split("\n")
    lines[6] = lines[6].replace("comparable performance.", "comparable performance | at scale.")
    rendered = render_markdown(parse_digest("\n".join(lines), source="x").digest).split("\n")
    assert rendered[6] == lines[6].replace("performance | at", "performance \\| at")


# ------------------------------------------------------------------------------------------------ linear cost
def test_check_over_all_days_reads_each_day_once(tmp_path, monkeypatch):
    from authoring.config import Settings
    from authoring.runs import checking
    from authoring.store import files as store

    text = REFERENCE.read_text()
    for day in range(1, 9):
        path = tmp_path / f"day{day}.md"
        path.write_text(text.replace("2024-10-08", f"2024-10-{day:02d}"))
        assert run("import", str(path), "--output-dir", str(tmp_path / "out")).exit_code == 0
    loads = []
    real = store.load_digest
    monkeypatch.setattr(store, "load_digest", lambda d, day: loads.append(day) or real(d, day))
    settings = Settings(output_dir=tmp_path / "out")
    results = list(checking.check_days(settings, store.stored_days(settings.output_dir)))
    assert len(results) == 8 and len(loads) == 8
    duplicates = [f for f in results[-1][2] if f.kind == "duplicate"]
    assert len(duplicates) == 15 * 7  # every paper, once per earlier day
