"""`digest check`, grounding, --source pdf and --verify."""

import json
from datetime import date, datetime
from pathlib import Path

import pytest
from fpdf import FPDF

from authoring.checks.grounding import Source, figures, ungrounded
from authoring.runs import pipeline
from authoring.sources.fulltext import FullTextError, extract_text, fit, sections
from tests.conftest import CASSETTES
from tests.helpers import assert_one_line_error, run
from tools.assemble_cassettes import VERIFY_WRONG, seed_golden_day
from tools.standin import Reply, StandIn, chat_completion

REFERENCE = Path(__file__).parents[1] / "data" / "reference-2024-10-08.md"
DAY = "2024-10-08"
PROSE_ROWS = ["2410.05258", "2410.02707", "2410.02675", "2410.02884", "2410.04698", "2410.05262", "2410.03187",
              "2410.03959"]


def findings(result) -> list[dict]:
    return [f for target in json.loads(result.stdout) for f in target["findings"]]


# ------------------------------------------------------------------------------------------------ check
def test_reference_reports_its_prose_rows_as_info_and_passes_the_gate(tmp_path):
    result = run("check", str(REFERENCE), "--json", "--output-dir", str(tmp_path))
    assert result.exit_code == 0
    found = findings(result)
    assert [(f["entry"], f["kind"], f["severity"]) for f in found] == [(i, "structure", "info") for i in PROSE_ROWS]
    assert all(f["message"] == "imported prose: not in the a)-d) structure" for f in found)


def test_imported_reference_checks_the_same_and_passes_the_ci_gate(tmp_path):
    assert run("import", str(REFERENCE), "--output-dir", str(tmp_path)).exit_code == 0
    result = run("check", DAY, "--fail-on", "error", "--output-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert result.stdout.count("imported prose") == 8 and "15 entries, 0 errors, 0 warnings, 8 info" in result.stdout
    as_json = run("check", DAY, "--json", "--output-dir", str(tmp_path))
    assert sorted(f["entry"] for f in findings(as_json)) == sorted(PROSE_ROWS)


@pytest.mark.parametrize(
    ("options", "code"),
    [
        ([], 1), (["--fail-on", "error"], 1), (["--fail-on", "never"], 0),
        (["--ignore", "grounding"], 0), (["--ignore", "figure,grounding", "--fail-on", "warning"], 0),
        (["--ignore", "grounding", "--fail-on", "warning"], 1),
    ],
)
def test_fail_on_and_ignore_decide_the_exit_code(tmp_path, options, code):
    seed_golden_day(tmp_path)  # its summaries state figures that are not in the abstracts, so it has errors
    run("set", DAY, "2410.03959", "result", "Success improved markedly.", "--output-dir", str(tmp_path))
    result = run("check", DAY, *options, "--output-dir", str(tmp_path))
    assert result.exit_code == code, result.output
    if "--ignore" in options:
        ignored = options[options.index("--ignore") + 1].split(",")
        assert not any(f"  {kind} " in result.stdout for kind in ignored)


@pytest.mark.parametrize("options", [["--fail-on", "sometimes"], ["--ignore", "typos"]])
def test_bad_gate_options_are_usage_errors(tmp_path, options):
    result = run("check", str(REFERENCE), *options, "--output-dir", str(tmp_path))
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_check_over_several_days_reports_each_day_and_a_total(tmp_path):
    seed_golden_day(tmp_path)
    later = REFERENCE.read_text().replace("## Papers for 2024-10-08", "## Papers for 2024-10-09")
    (tmp_path / "later.md").write_text(later)
    run("import", str(tmp_path / "later.md"), "--output-dir", str(tmp_path))
    result = run("check", "--fail-on", "never", "--output-dir", str(tmp_path))
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert any(line.startswith("2024-10-08: 15 entries, ") for line in lines)
    assert any(line.startswith("2024-10-09: 15 entries, 0 errors, 15 warnings, 8 info") for line in lines)
    assert lines[-1].startswith("Total: 2 digests, 30 entries, ")


def test_a_planted_wrong_figure_is_caught_and_the_right_one_is_not(tmp_path):
    seed_golden_day(tmp_path)
    right = "Training an open-weight speaker improved communicative success from 58.9 to 69.3%."
    run("set", DAY, "2410.03959", "result", right, "--output-dir", str(tmp_path))
    ours = [f for f in findings(run("check", DAY, "--json", "--output-dir", str(tmp_path)))
            if f["entry"] == "2410.03959" and f["kind"] == "grounding"]
    assert ours == []
    run("set", DAY, "2410.03959", "result", right.replace("69.3%", "67.3%"), "--output-dir", str(tmp_path))
    ours = [f["message"] for f in findings(run("check", DAY, "--json", "--output-dir", str(tmp_path)))
            if f["entry"] == "2410.03959" and f["kind"] == "grounding"]
    assert "67.3% does not occur in the abstract" in ours and not any("69.3" in m or "58.9" in m for m in ours)


def test_a_link_repeated_from_the_abstract_is_a_warning_and_one_not_in_it_an_error(tmp_path):
    seed_golden_day(tmp_path)
    base = "Code and demos: {} show gains of 58.9%."

    def links(url):
        run("set", DAY, "2410.04364", "implication", base.format(url), "--output-dir", str(tmp_path))
        return [(f["severity"], f["message"]) for f in findings(run("check", DAY, "--json", "--output-dir",
                str(tmp_path))) if f["entry"] == "2410.04364" and f["kind"] == "link"]

    planted = "https://dohunlee1.github.io/videoguide.github.io/"  # in the paper's abstract
    assert links(planted) == [("warning", f"{planted} is repeated from the abstract; a digest renders it as a live "
                                          "link, so check where it goes before publishing")]
    assert links("https://arxiv.org/abs/2410.04364") == [("error", "https://arxiv.org/abs/2410.04364 does not "
                                                                   "occur in the abstract")]
    assert links("https://evil.example/x") == [("error", "https://evil.example/x does not occur in the abstract")]


@pytest.mark.parametrize(("url", "findings"), [
    ("https://arxiv.org/abs/2410.00001", []),
    ("http://www.arxiv.org/pdf/2410.00001", []),
    ("https://huggingface.co/papers/2410.00001", []),
    ("https://github.com/org/repo", ["warning"]),
    ("https://arxiv.org.evil.example/abs/1", ["warning"]),
])
def test_only_the_digests_own_kind_of_link_is_repeated_without_a_warning(url, findings):
    from authoring.checks import findings as check
    from authoring.models import Digest, Entry, Paper, Summary

    summary = Summary(objective="O.", method="M.", result="R: 42%.", implication=f"See {url} for it.",
                      questions=["Q1?", "Q2?"])
    entry = Entry(id="2410.00001", paper=Paper(id="2410.00001", title="T", authors=["A"]), summary=summary)
    found = check.check_digest(Digest(date="2024-10-08", entries=[entry]),
                               source_text=lambda e: ("abstract", f"A 42% gain; code at {url}"))
    assert [f.severity for f in found if f.kind == "link"] == findings


@pytest.mark.parametrize(
    ("summary", "source", "missing"),
    [
        ("an AUC of 85%", "AUC 0.85", []),
        ("an AUC of 0.85", "an AUC of 85%", []),
        ("1,532 questions", "1532 questions", []),
        ("three times faster (3x)", "3 times faster", []),
        ("3 agents", "three agents", []),
        ("87% accuracy", "85% accuracy", ["87%"]),
        ("GPT-4o and Llama-3.1-8B at 44.1kHz", "nothing", []),
        ("from 2/30 to 8/30", "from 2/30 to 8/30", []),
        ("5.2% to 21.6%", "5.2 to 21.6 points", []),
    ],
)
def test_grounding_normalisations(summary, source, missing):
    assert [f.text for f in ungrounded(summary, Source(source))] == missing


@pytest.mark.parametrize(("text", "found"), [
    ("FLOP counts in Table 1 show 42% gains", ["42%"]),
    ("0-shot and 2-shot prompting reach 71.2%", ["71.2%"]),
    ("see Fig. 3, Section 4.2, Appendix B.1 and §5", []),
    ("3 of 4 tables improve by 2x", ["3", "4", "2x"]),
])
def test_pointers_into_the_paper_and_prompting_settings_are_not_figures(text, found):
    assert [f.text for f in figures(text)] == found


def test_figures_are_read_as_written():
    assert [f.text for f in figures("65% of 1,532 at 0.9614; 10-18x")] == ["65%", "1,532", "0.9614", "10", "18x"]


def test_duplicates_across_days_and_within_a_file(tmp_path):
    seed_golden_day(tmp_path)
    later = REFERENCE.read_text().replace("## Papers for 2024-10-08", "## Papers for 2024-10-09")
    (tmp_path / "later.md").write_text(later)
    run("import", str(tmp_path / "later.md"), "--output-dir", str(tmp_path))
    found = findings(run("check", "2024-10-09", "--json", "--output-dir", str(tmp_path)))
    duplicates = [f for f in found if f["kind"] == "duplicate"]
    assert len(duplicates) == 15 and duplicates[0]["message"] == "already in the 2024-10-08 digest"
    assert duplicates[0]["severity"] == "warning"

    lines = REFERENCE.read_text().split("\n")
    twice = "\n".join(lines[:8] + [lines[6]] + lines[8:])
    (tmp_path / "twice.md").write_text(twice)
    found = findings(run("check", str(tmp_path / "twice.md"), "--json", "--output-dir", str(tmp_path / "none")))
    assert {"severity": "error", "kind": "duplicate", "entry": "2410.05258",
            "message": "line 9: listed twice (first on line 7)"} in found


def test_table_breakers_are_reported_with_line_numbers(tmp_path):
    lines = REFERENCE.read_text().split("\n")
    lines[7] = lines[7].replace("internal activations.", "internal | activations.")
    lines[8] = lines[8].replace("temporal consistency of", "temporal\nconsistency of")
    (tmp_path / "broken.md").write_text("\n".join(lines))
    result = run("check", str(tmp_path / "broken.md"), "--json", "--output-dir", str(tmp_path / "none"))
    table = [f["message"] for f in findings(result) if f["kind"] == "table"]
    assert table == ["line 8: 1 unescaped '|' (4 cells, not 3)", "line 9: a line break inside the row (lines 9-10)"]
    entries = [f["entry"] for f in findings(result) if f["kind"] == "table"]
    assert entries == ["2410.02707", "2410.04364"]


def test_an_escaped_pipe_in_a_row_without_its_closing_pipe_is_text_not_a_cell_break():
    from authoring.checks.findings import check_table

    head = "## Papers for 2024-10-08\n\n| Title | Authors | Summary |\n|-------|---------|---------|\n"
    row = "| T (Read more on [arXiv](https://arxiv.org/abs/2410.00001)) | A | x \\| y\n"
    assert [f.message for f in check_table(head + row)] == ["line 5: no closing '|'"]


def test_markdown_out_of_sync_and_missing(tmp_path):
    seed_golden_day(tmp_path)
    md = tmp_path / f"{DAY}.md"
    md.write_text(md.read_text().replace("Differential Transformer (Read", "Differential Transformers (Read"))
    drift = [f for f in findings(run("check", DAY, "--json", "--output-dir", str(tmp_path))) if f["kind"] == "drift"]
    assert len(drift) == 1 and "edited by hand" in drift[0]["message"]
    md.unlink()
    drift = [f for f in findings(run("check", DAY, "--json", "--output-dir", str(tmp_path))) if f["kind"] == "drift"]
    assert "is missing" in drift[0]["message"]


def test_drift_from_arxiv_metadata(tmp_path, monkeypatch):
    from tools.assemble_cassettes import fixture_papers as standin_papers

    seed_golden_day(tmp_path)
    papers = standin_papers()
    papers["2410.02884"] = {**papers["2410.02884"], "title": "LLaMA-Berry: Pairwise Optimization for Olympiad-level "
                            "Mathematical Reasoning via O1-like Monte Carlo Tree Search"}
    with StandIn(papers) as stand_in:
        monkeypatch.setenv("DIGEST_ARXIV_API_URL", f"{stand_in.url}/api/query")
        result = run("check", DAY, "--arxiv", "--json", "--output-dir", str(tmp_path))
    drift = [f for f in findings(result) if f["kind"] == "drift"]
    assert [(f["entry"], f["message"][:27]) for f in drift] == [("2410.02884", "title differs from arXiv's:")]


def test_drift_names_a_withdrawal_an_unreadable_entry_and_a_vanished_id(tmp_path, monkeypatch):
    from tools.assemble_cassettes import fixture_papers as standin_papers

    seed_golden_day(tmp_path)
    papers = standin_papers()
    papers["2410.02884"] = {**papers["2410.02884"], "comment": "This paper has been withdrawn by the authors."}
    papers["2410.05258"] = {**papers["2410.05258"], "published": "yesterday"}
    del papers["2410.02707"]
    (tmp_path / "digest.toml").write_text("arxiv_delay_seconds = 0\n")  # finding the bad entry takes requests
    monkeypatch.chdir(tmp_path)
    with StandIn(papers) as stand_in:
        monkeypatch.setenv("DIGEST_ARXIV_API_URL", f"{stand_in.url}/api/query")
        result = run("check", DAY, "--arxiv", "--json", "--output-dir", str(tmp_path))
    drift = {f["entry"]: f["message"] for f in findings(result) if f["kind"] == "drift"}
    assert drift["2410.02884"].startswith("2410.02884 was withdrawn on arXiv (This paper has been withdrawn")
    assert drift["2410.05258"] == ("arXiv's entry for 2410.05258 could not be read (Invalid isoformat string: "
                                   "'yesterday')")  # the problem in words, not its class (ValueError)
    assert drift["2410.02707"] == "arXiv no longer returns this id"
    assert len(drift) == 3


def test_check_text_output_and_errors(tmp_path):
    result = run("check", str(REFERENCE), "--output-dir", str(tmp_path))
    assert result.exit_code == 0 and "15 entries, 0 errors, 0 warnings, 8 info" in result.stdout
    assert run("check", str(REFERENCE), "--fail-on", "info", "--output-dir", str(tmp_path)).exit_code == 2
    assert_one_line_error(run("check", "--output-dir", str(tmp_path / "empty")), "no digests in")
    assert_one_line_error(run("check", str(tmp_path / "missing.md"), "--output-dir", str(tmp_path)), "cannot read")


# ------------------------------------------------------------------------------------------------ --source pdf
def make_pdf(sections_: list[tuple[str, str]]) -> bytes:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    for heading, text in sections_:
        pdf.multi_cell(0, 6, heading, new_x="LMARGIN", new_y="NEXT")
        pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
    return bytes(pdf.output())


WORDS = "lorem ipsum dolor sit amet " * 30
PAPER_PDF = make_pdf([
    ("A Paper Title", "Some Author"), ("Abstract", "We study things."), ("1 Introduction", "Intro text. " + WORDS),
    ("2 Related Work", "Others did similar things. " + WORDS), ("3 Method", "Our method. " + WORDS),
    ("4 Experiments", "We reach 91.4% accuracy. " + WORDS), ("5 Conclusion", "It works. " + WORDS),
    ("References", "[1] Someone. A cited paper. 2021."),
])


def test_full_text_puts_the_important_sections_first_and_fits_the_budget():
    text = extract_text(PAPER_PDF)
    names = [name for name, _ in sections(text)]
    assert names[:2] == ["front matter", "abstract"] and "references" in names
    fitted = fit(text, "The arXiv abstract.", budget_tokens=100_000)
    order = [line for line in fitted.splitlines() if line.startswith("[")]
    assert order[:5] == ["[Abstract]", "[Introduction]", "[Experiments]", "[Conclusion]", "[Front Matter]"]
    assert "A cited paper" not in fitted and "91.4% accuracy" in fitted
    small = fit(text, "The arXiv abstract.", budget_tokens=200)
    assert len(small) <= 800 and small.startswith("[Abstract]\nThe arXiv abstract.")


@pytest.mark.parametrize("payload", [b"<html>Not found</html>", b"%PDF-1.4 truncated garbage", make_pdf([("", "x")])])
def test_unreadable_pdfs_are_refused(payload):
    with pytest.raises(FullTextError):
        extract_text(payload)


def test_source_pdf_end_to_end_from_a_cassette(tmp_path):
    result = run("new", DAY, "2410.05046", "--source", "pdf", "--output-dir", str(tmp_path),
                 "--cassette", str(CASSETTES / "test_source_pdf.yaml"))
    assert result.exit_code == 0, result.output
    entry = json.loads((tmp_path / f"{DAY}.json").read_text())["entries"][0]
    assert entry["provenance"]["source"] == "pdf" and entry["provenance"]["note"] is None
    kept = (tmp_path / ".sources" / "2410.05046v1.txt").read_text()
    assert kept.startswith("[Abstract]\n") and "78.25%" in kept and "must not reach the model" not in kept
    grounding = [f for f in findings(run("check", DAY, "--json", "--output-dir", str(tmp_path)))
                 if f["kind"] == "grounding"]
    assert grounding == []  # 78.25% is in the full text, though not in the abstract
    shown = run("show", DAY, "2410.05046", "--output-dir", str(tmp_path)).stdout
    assert "source: pdf" in shown


@pytest.mark.parametrize("reply", [Reply(404, b"not found"), Reply(200, b"%PDF-1.5 broken"), Reply(reset=True)])
def test_pdf_that_cannot_be_had_falls_back_to_the_abstract(settings, reply):
    from tools.assemble_cassettes import fixture_papers as standin_papers

    papers = standin_papers()
    sent = []

    def chat(body):
        sent.append(body["messages"][-1]["content"])
        summary = {"objective": "O.", "method": "M.", "result": "R 78.25%.", "implication": "I.",
                   "questions": ["a?", "b?"]}
        return Reply(200, chat_completion(json.dumps(summary), model=body["model"], created=1, usage=(1, 1)))

    with StandIn(papers, chat=chat, routes=lambda m, p, b, h: reply if p.startswith("/pdf/") else None) as stand_in:
        local = settings.replace(arxiv_api_url=f"{stand_in.url}/api/query", base_url=f"{stand_in.url}/v1",
                                 arxiv_pdf_url=f"{stand_in.url}/pdf", arxiv_attempts=1)
        report = pipeline.create_digest(date(2024, 10, 8), ["2410.05046"], local, clock=datetime.now, source="pdf")
    provenance = report.digest.entries[0].provenance
    assert provenance.source == "abstract" and provenance.note.startswith("PDF not used (")
    assert "Abstract:\n" in sent[0] and report.failed == {}


# ------------------------------------------------------------------------------------------------ --verify
def test_verify_regenerates_once_from_a_cassette(tmp_path):
    result = run("new", DAY, "2410.03959", "--verify", "--output-dir", str(tmp_path),
                 "--cassette", str(CASSETTES / "test_verify_regenerates_once.yaml"))
    assert result.exit_code == 0, result.output
    assert "Warning" not in result.stderr
    entry = json.loads((tmp_path / f"{DAY}.json").read_text())["entries"][0]
    assert "69.3%" in entry["summary"]["result"] and VERIFY_WRONG not in entry["summary"]["result"]
    assert entry["provenance"]["note"] == "regenerated once by --verify (67.3% not in the abstract)"
    assert entry["provenance"]["usage"]["total_tokens"] > 1000  # both calls counted


def test_verify_reports_what_remains(settings, tmp_path):
    from tools.assemble_cassettes import fixture_papers as standin_papers

    summary = {"objective": "O.", "method": "M.", "result": "Success rose to 67.3%.", "implication": "I.",
               "questions": ["a?", "b?"]}
    hints = []

    def chat(body):
        hints.append("Note from the digest editor" in body["messages"][-1]["content"])
        return Reply(200, chat_completion(json.dumps(summary), model=body["model"], created=1, usage=(1, 1)))

    with StandIn(standin_papers(), chat=chat) as stand_in:
        result = run("new", DAY, "2410.03959", "--verify", "--base-url", f"{stand_in.url}/v1", "--output-dir",
                     str(tmp_path), env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})
    assert result.exit_code == 0 and hints == [False, True]
    assert "Warning: 2410.03959: 67.3% not in the abstract even after one regeneration (--verify)" in result.stderr


def test_verify_keeps_the_first_answer_when_the_second_call_fails(settings):
    from tools.assemble_cassettes import fixture_papers as standin_papers

    summary = {"objective": "O.", "method": "M.", "result": "Success rose to 67.3%.", "implication": "I.",
               "questions": ["a?", "b?"]}
    answers = [Reply(200, chat_completion(json.dumps(summary), model="m", created=1, usage=(5, 5))),
               Reply(500, b'{"error": {"message": "overloaded"}}')]
    with StandIn(standin_papers(), chat=lambda body: answers.pop(0)) as stand_in:
        local = settings.replace(arxiv_api_url=f"{stand_in.url}/api/query", base_url=f"{stand_in.url}/v1",
                                 model_attempts=1)
        report = pipeline.create_digest(date(2024, 10, 8), ["2410.03959"], local, clock=datetime.now, verify=True)
    entry = report.digest.entries[0]
    assert report.failed == {} and entry.summary.result == "Success rose to 67.3%."
    assert entry.provenance.note == ("--verify could not regenerate it (model server answered HTTP 500: overloaded); "
                                     "still unverified: 67.3% not in the abstract")
    assert report.unverified == {"2410.03959": "67.3% not in the abstract"}


def test_check_writes_nothing_even_over_a_journal_a_run_left(tmp_path):
    """A killed run's journal is taken into account by `check` (in memory) and left for the next writer to fold."""
    from authoring.models import Digest
    from authoring.store import days

    out = tmp_path / "output"
    seed_golden_day(out)
    day = Digest.model_validate_json((out / "2024-10-08.json").read_text(encoding="utf-8"))
    entry = day.entry("2410.05258")
    result = entry.model_copy(deep=True)
    result.summary = result.summary.model_copy(update={"result": "A result with no figure at all."})
    record = {"command": "regen", "base": days.fingerprint(entry), "entry": result.model_dump(mode="json")}
    (out / ".journal").mkdir()
    (out / ".journal" / "2024-10-08.jsonl").write_text(json.dumps(record) + "\n", encoding="utf-8")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    checked = run("check", "2024-10-08", "--output-dir", str(out), "--json")
    assert any(f["entry"] == "2410.05258" and f["kind"] == "figure" for f in findings(checked))  # the journal is seen
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before
