"""--dry-run (no model call, nothing written, papers with estimated tokens and $) and --max-cost (the run stops
before a call that would pass the budget, keeps what finished, one line, exit 1), against the loopback stand-ins."""

import json

import pytest

from authoring.pricing import DEFAULT_PRICES
from tests.cli.test_cli import DEMO, DEMO_IDS
from tests.conftest import ROOT
from tests.helpers import assert_one_line_error, assert_usage_error, paper, run
from tools.assemble_cassettes import seed_failed_day, seed_golden_day
from tools.standin import Reply, StandIn, chat_completion, hub_item

DAY = "2024-10-08"
IDS = [f"2410.0000{n}" for n in range(1, 6)]
GOLDEN = json.loads((ROOT / "tests" / "golden" / "2024-10-08.json").read_text(encoding="utf-8"))


def never(body):
    pytest.fail("a dry run asked the model")


def files_under(folder):
    return sorted(p.relative_to(folder) for p in folder.rglob("*")) if folder.exists() else []


def test_dry_run_of_new_makes_no_model_call_writes_nothing_and_prints_a_dollar_estimate(tmp_path):
    out = tmp_path / "output"
    with StandIn({i: paper(i) for i in IDS}, chat=never) as stand_in:
        result = run("new", DAY, *IDS, "--dry-run", "--base-url", f"{stand_in.url}/v1", "--output-dir", str(out),
                     env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})
    assert result.exit_code == 0, result.output
    assert stand_in.requests("POST") == [] and stand_in.requests("GET")  # arXiv asked, the model not
    assert files_under(out) == []
    lines = result.stdout.splitlines()
    assert lines[0] == f"Would summarise 5 papers for {DAY} with gpt-5-mini (dry run: no model asked, nothing written):"
    assert [line.split()[0] for line in lines[1:6]] == IDS
    assert "~$" in lines[-1] and "500 tokens a paper" in lines[-1]


def test_dry_run_prompt_tokens_are_those_the_recorded_run_reported(tmp_path):
    """The demo cassette's answers report the prompt tokens of the requests it recorded (4 characters a token):
    the dry run, measuring the prompts it would send, finds the same within rounding."""
    result = run("new", DAY, *DEMO_IDS, "--dry-run", "--json", "--cassette", DEMO, "--output-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    recorded = {e["id"]: e["provenance"]["usage"]["prompt_tokens"] for e in GOLDEN["entries"]}
    assert [p["id"] for p in shown["papers"]] == DEMO_IDS
    for estimate in shown["papers"]:
        assert abs(estimate["prompt_tokens"] - recorded[estimate["id"]]) <= 1, estimate
    price_in, price_out = DEFAULT_PRICES["gpt-5-mini"]
    expected = sum(p["prompt_tokens"] * price_in + 500 * price_out for p in shown["papers"]) / 1e6
    assert shown["estimated_cost_usd"] == pytest.approx(expected, abs=1e-6)
    assert shown["dry_run"] is True and files_under(tmp_path) == []


def test_dry_run_of_regen_estimates_answers_from_the_days_history_and_changes_nothing(tmp_path):
    out = tmp_path / "output"
    seed_golden_day(out)
    before = {path: (out / path).read_bytes() for path in files_under(out)}
    result = run("regen", DAY, "2410.05258", "2410.02707", "--dry-run", "--json", "--hint", "shorter",
                 "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    answers = [e["provenance"]["usage"]["completion_tokens"] for e in GOLDEN["entries"]]
    assert [p["output_tokens"] for p in shown["papers"]] == [round(sum(answers) / len(answers))] * 2
    assert shown["output_basis"] == f"the mean of the day's {len(answers)} earlier answers"
    assert {path: (out / path).read_bytes() for path in files_under(out)} == before


def test_dry_run_of_resume_lists_the_failed_and_asks_arxiv_for_the_unknown(tmp_path):
    out = tmp_path / "output"
    seed_failed_day(out)
    before = {path: (out / path).read_bytes() for path in files_under(out)}
    with StandIn({}, chat=never) as stand_in:  # arXiv still does not know 2410.99999
        result = run("resume", DAY, "--dry-run", "--output-dir", str(out),
                     env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.stdout.splitlines()[1:-1]] == ["2410.05258"]
    assert "Not summarised: 2410.99999 not found on arXiv" in result.stderr
    assert {path: (out / path).read_bytes() for path in files_under(out)} == before


def test_dry_run_of_add_from_the_hub_needs_no_key(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    out = tmp_path / "output"
    seed_golden_day(out)
    listing = [hub_item("2410.00001", "One", [], day=DAY), hub_item("2410.05258", "Already there", [], day=DAY)]
    with StandIn({"2410.00001": paper("2410.00001")}, chat=never, hub={DAY: listing}) as stand_in:
        result = run("add", DAY, "--from-hf", "--dry-run", "--output-dir", str(out),
                     env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query", "HF_ENDPOINT": stand_in.url})
    assert result.exit_code == 0, result.output
    assert [line.split()[0] for line in result.stdout.splitlines()[1:-1]] == ["2410.00001"]
    assert "Already in the digest, skipped: 2410.05258" in result.stderr


def test_dry_run_with_record_is_a_usage_error(tmp_path):
    assert_usage_error(run("new", DAY, "2410.00001", "--dry-run", "--record", "--cassette", str(tmp_path / "c.yaml")),
                       "--record")


# --- --max-cost --------------------------------------------------------------------------------------------------

def priced_folder(tmp_path, monkeypatch):
    """A working folder whose digest.toml prices model `m` at US$0.001 an output token (input free): an answer of
    500 tokens (the default estimate, and what the stand-in answers) costs US$0.50."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "digest.toml").write_text('[prices]\n"m" = { input = 0, output = 1000 }\n')


def answer_500(asked):
    def chat(body):
        asked.append(body)
        summary = {"objective": "O.", "method": "M.", "result": "R: 42%.", "implication": "I.",
                   "questions": ["Q1?", "Q2?"]}
        return Reply(200, chat_completion(json.dumps(summary), model=body["model"], created=1728345600,
                                          usage=(100, 500)))
    return chat


@pytest.mark.parametrize("concurrency", ["1", "8"])
def test_max_cost_stops_before_the_call_that_would_pass_it_and_keeps_what_finished(tmp_path, monkeypatch,
                                                                                   concurrency):
    priced_folder(tmp_path, monkeypatch)
    out, asked = tmp_path / "output", []
    with StandIn({i: paper(i) for i in IDS}, chat=answer_500(asked)) as stand_in:
        result = run("new", DAY, *IDS, "--model", "m", "--max-cost", "1.2", "--concurrency", concurrency,
                     "--base-url", f"{stand_in.url}/v1", "--output-dir", str(out),
                     env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})
        assert_one_line_error(result, "--max-cost $1.2 reached: stopped before 3 model calls",
                              "(spent ~$1.0000)", "2 finished papers are saved and 3 are pending",
                              f"`digest resume {DAY} --output-dir {out}` does the rest")
        assert len(asked) == 2
        entries = json.loads((out / f"{DAY}.json").read_text())["entries"]
        assert sum(1 for e in entries if e["summary"]) == 2 and sum(1 for e in entries if e["error"]) == 0
        # Without the budget, resume finishes the day.
        finished = run("resume", DAY, "--model", "m", "--base-url", f"{stand_in.url}/v1", "--output-dir", str(out),
                       env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})
    assert finished.exit_code == 0, finished.output
    assert len(asked) == 5


def test_max_cost_as_a_setting_and_a_budget_that_fits(tmp_path, monkeypatch):
    priced_folder(tmp_path, monkeypatch)
    asked = []
    with StandIn({i: paper(i) for i in IDS}, chat=answer_500(asked)) as stand_in:
        result = run("new", DAY, *IDS, "--model", "m", "--base-url", f"{stand_in.url}/v1", "--output-dir",
                     str(tmp_path / "output"),
                     env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query", "DIGEST_MAX_COST": "2.5"})
    assert result.exit_code == 0, result.output
    assert len(asked) == 5


def test_max_cost_without_a_price_fails_before_any_request(tmp_path):
    with StandIn({i: paper(i) for i in IDS}, chat=never) as stand_in:
        result = run("new", DAY, *IDS, "--model", "unpriced-model", "--max-cost", "1", "--base-url",
                     f"{stand_in.url}/v1", "--output-dir", str(tmp_path / "output"),
                     env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})
    assert_one_line_error(result, "--max-cost needs a price for unpriced-model: add it under [prices]")
    assert stand_in.requests() == [] and not (tmp_path / "output").exists()


def test_a_dry_run_says_where_a_budget_would_stop(tmp_path, monkeypatch):
    priced_folder(tmp_path, monkeypatch)
    with StandIn({i: paper(i) for i in IDS}, chat=never) as stand_in:
        result = run("new", DAY, *IDS, "--model", "m", "--max-cost", "1.2", "--dry-run", "--base-url",
                     f"{stand_in.url}/v1", env={"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query"})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "With --max-cost $1.2 the run would stop after 2 papers."
