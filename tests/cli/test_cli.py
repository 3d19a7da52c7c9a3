"""The `digest new` command end to end through typer's CliRunner: exit codes, one-line errors, replay."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from authoring.cli import app
from tests.conftest import CASSETTES, ROOT
from tests.helpers import assert_one_line_error, assert_usage_error, run, table_rows

GOLDEN = Path(__file__).parents[1] / "golden"
DEMO_IDS = ["2410.05258", "2410.02707", "2410.04364", "2410.02675", "2410.05167", "2410.05046", "2410.04932",
            "2410.04734", "2410.04534", "2410.02884", "2410.04698", "2410.05262", "2410.03825", "2410.03187",
            "2410.03959"]
DEMO = str(CASSETTES / "demo-2024-10-08.yaml")
DAY_FOR_RENDER = "2024-10-08"



def test_demo_day_replays_to_the_golden_digest(tmp_path):
    out = tmp_path / "out"
    result = run("new", "2024-10-08", *DEMO_IDS, "--cassette", DEMO, "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    assert "Wrote" in result.stdout and "15 papers" in result.stdout
    markdown = (out / "2024-10-08.md").read_bytes()
    assert markdown == (GOLDEN / "2024-10-08.md").read_bytes()
    assert (out / "2024-10-08.json").read_bytes() == (GOLDEN / "2024-10-08.json").read_bytes()
    reference = (Path(__file__).parents[1] / "data" / "reference-2024-10-08.md").read_text(encoding="utf-8")
    ours = table_rows(markdown.decode())
    assert [r.split(")|")[0] for r in ours] == [r.split(")|")[0] for r in table_rows(reference)]

    again = run("new", "2024-10-08", *DEMO_IDS, "--cassette", DEMO, "--output-dir", str(out), "--force")
    assert again.exit_code == 0
    assert (out / "2024-10-08.md").read_bytes() == markdown
    assert not (out / ".history").exists()  # the same day again: nothing changed, nothing to undo


def test_stored_json_has_the_promised_fields(tmp_path):
    run("new", "2024-10-08", *DEMO_IDS, "--cassette", DEMO, "--output-dir", str(tmp_path))
    data = json.loads((tmp_path / "2024-10-08.json").read_text())
    assert data["schema_version"] == 1 and data["date"] == "2024-10-08"
    entry = data["entries"][0]
    assert entry["id"] == "2410.05258" and entry["paper"]["version"] == 2
    assert entry["paper"]["authors"][-1] == "Furu Wei"  # the full list, not the rendered five
    assert set(entry["summary"]) == {"objective", "method", "result", "implication", "questions"}
    provenance = entry["provenance"]
    assert provenance["model"] == "gpt-5-mini" and len(provenance["prompt_hash"]) == 12
    assert provenance["source"] == "abstract" and provenance["usage"]["total_tokens"] > 0
    assert provenance["generated_at"] == "2024-10-08T00:00:00Z"


def test_existing_day_is_never_overwritten_without_force(tmp_path):
    (tmp_path / "2024-10-08.json").write_text("precious")
    result = run("new", "2024-10-08", *DEMO_IDS, "--cassette", DEMO, "--output-dir", str(tmp_path))
    assert_one_line_error(result, "2024-10-08.json already exists; pass --force")
    assert (tmp_path / "2024-10-08.json").read_text() == "precious"


def test_ids_from_a_file_and_stdin_with_comments_and_duplicates(tmp_path):
    ids_file = tmp_path / "ids.txt"
    ids_file.write_text("# HF daily\n" + "\n".join(DEMO_IDS[:10]) + "\nhttps://arxiv.org/abs/2410.05258v2\n")
    stdin = "\n".join(DEMO_IDS[10:]) + "  # the rest\n"
    result = run("new", "2024-10-08", "--ids-file", str(ids_file), "--cassette", DEMO, "--output-dir",
                 str(tmp_path / "a"))
    assert result.exit_code == 1  # only ten of the recorded ids: the request differs from the recording
    result = run("new", "2024-10-08", "--ids-file", "-", *DEMO_IDS[:10], "2410.05258v2", "--cassette", DEMO,
                 "--output-dir", str(tmp_path / "b"), input=stdin)
    assert result.exit_code == 0, result.output
    assert "Dropped 1 duplicate id: 2410.05258v2" in result.stderr
    assert (tmp_path / "b" / "2024-10-08.md").read_bytes() == (GOLDEN / "2024-10-08.md").read_bytes()


def test_a_dash_reads_ids_from_stdin(tmp_path):
    stdin = "# the day\n" + "\n".join(DEMO_IDS[1:]) + "\n"
    result = run("new", "2024-10-08", DEMO_IDS[0], "-", "--cassette", DEMO, "--output-dir", str(tmp_path), input=stdin)
    assert result.exit_code == 0, result.output
    assert (tmp_path / "2024-10-08.md").read_bytes() == (GOLDEN / "2024-10-08.md").read_bytes()


@pytest.mark.parametrize("bad", ["abc", "2410.9999", "https://example.com/2410.05258"])
def test_malformed_id_fails_before_any_request(tmp_path, bad):
    # No cassette and --block-network: a request would fail differently and loudly.
    result = run("new", "2024-10-08", "2410.05258", bad, "--output-dir", str(tmp_path))
    assert_one_line_error(result, repr(bad), "is not an arXiv id")
    assert not any(tmp_path.iterdir())


@pytest.mark.parametrize("bad", ["2024-13-01", "2024-02-30", "tomorrow", "20241008", "2024-1-08"])
@pytest.mark.parametrize("command", [["new"], ["show"], ["render"], ["undo"], ["batch", "submit"]])
def test_bad_date_is_a_usage_error_in_every_command(tmp_path, bad, command):
    result = run(*command, bad, "--output-dir", str(tmp_path))
    assert_usage_error(result, repr(bad), "YYYY-MM-DD", "today")
    assert not any(tmp_path.iterdir())


def test_today_and_yesterday_are_utc_days():
    from datetime import date

    from authoring.cli.options import parse_day

    assert parse_day("today", today=date(2024, 3, 1)) == date(2024, 3, 1)
    assert parse_day("Yesterday", today=date(2024, 3, 1)) == date(2024, 2, 29)
    assert parse_day(" 2024-10-08 ") == date(2024, 10, 8)


def test_today_reaches_the_command(tmp_path):
    from datetime import UTC, datetime

    result = run("show", "today", "--output-dir", str(tmp_path))
    assert_one_line_error(result, f"{datetime.now(UTC).date().isoformat()}.json does not exist")


def test_set_fields_are_the_cores():
    from authoring.cli.options import FieldName
    from authoring.store.edits import FIELDS

    assert tuple(FieldName) == FIELDS


def test_missing_key_names_the_alternatives_before_any_request(tmp_path, monkeypatch):
    monkeypatch.delenv("OPENAI_API_KEY")
    result = run("new", "2024-10-08", "2410.05258", "--output-dir", str(tmp_path))
    assert_one_line_error(result, "OPENAI_API_KEY is not set", "--base-url", "--cassette")


def test_unknown_id_is_reported_and_the_rest_of_the_day_goes_ahead(tmp_path):
    cassette = str(CASSETTES / "test_unknown_id_is_reported.yaml")
    result = run("new", "2024-10-08", "2410.05258", "2410.99999", "--cassette", cassette, "--output-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "Failed: 2410.99999 not found on arXiv" in result.stderr
    assert "Error: 1 of 2 papers failed" in result.stderr and "Traceback" not in result.output
    rows = table_rows((tmp_path / "2024-10-08.md").read_text())
    assert len(rows) == 1 and "2410.05258" in rows[0]
    entries = json.loads((tmp_path / "2024-10-08.json").read_text())["entries"]
    assert [(e["id"], e["error"]) for e in entries] == [
        ("2410.05258", None),
        ("2410.99999", "2410.99999 not found on arXiv"),
    ]


def test_cassette_miss_fails_loudly_naming_the_request(tmp_path):
    result = run("new", "2024-10-08", "2410.05258", "--cassette", DEMO, "--output-dir", str(tmp_path))
    assert_one_line_error(result, "request not recorded in", "GET https://export.arxiv.org/api/query?")
    assert "id_list=2410.05258" in result.stderr


def test_model_request_missing_from_cassette_names_the_paper_and_request(tmp_path):
    other_prompts = tmp_path / "prompts"
    other_prompts.mkdir()
    (other_prompts / "system.j2").write_text("A different system prompt.")
    # In its own process (the autouse fixtures' environment is inherited): no model-call thread an earlier
    # in-process test left behind shares vcrpy's patches with this run.
    import os
    from types import SimpleNamespace

    done = subprocess.run([sys.executable, "-m", "authoring", "new", "2024-10-08", *DEMO_IDS, "--cassette", str(DEMO),
                           "--output-dir", str(tmp_path / "out"), "--prompts", str(other_prompts)], cwd=ROOT,
                          env=dict(os.environ), capture_output=True, text=True, timeout=120)
    result = SimpleNamespace(exit_code=done.returncode, stderr=done.stderr, output=done.stdout + done.stderr)
    assert_one_line_error(result, "request not recorded in", "POST https://api.openai.com/v1/chat/completions",
                          "(while summarising 2410.")


def test_missing_cassette_and_record_without_cassette(tmp_path):
    assert_one_line_error(run("new", "2024-10-08", "2410.05258", "--cassette", str(tmp_path / "none.yaml")),
                          "does not exist")
    assert_one_line_error(run("new", "2024-10-08", "2410.05258", "--record"), "--record needs --cassette")


def test_no_ids_is_a_usage_error(tmp_path):
    assert_usage_error(run("new", "2024-10-08", "--output-dir", str(tmp_path)),
                       "'ID...'", "give the day's arXiv ids, --ids-file FILE, or --from-hf")
    empty = tmp_path / "ids.txt"
    empty.write_text("# none today\n")  # ids asked for and none found: the file's problem, not the command line's
    assert_one_line_error(run("new", "2024-10-08", "--ids-file", str(empty), "--output-dir", str(tmp_path)),
                          "no arXiv ids given")
    assert not list(tmp_path.glob("*.json"))


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        (["new", "2024-10-08", "--from-hf", "--limit", "abc"], ["'--limit'", "'abc' is not a whole number"]),
        (["new", "2024-10-08", "--from-hf", "--limit", "0"], ["'--limit'", "0 is too small; give 1 or more"]),
        (["new", "2024-10-08", "2410.05258", "--concurrency", "1.5"], ["'--concurrency'", "not a whole number"]),
        (["add", "2024-10-08", "2410.05258", "--at", "x"], ["'--at'", "'x' is not a whole number"]),
        (["new", "2024-10-08", "2410.05258", "--temperature", "warm"], ["'--temperature'", "'warm' is not a number"]),
        (["new", "2024-10-08", "2410.05258", "--temperature", "nan"], ["'--temperature'", "'nan' is not a number"]),
        (["new", "2024-10-08", "2410.05258", "--max-cost", "-1"], ["'--max-cost'", "-1 is too small; give 0 or more"]),
        (["site", "--feed-days", "0"], ["'--feed-days'", "0 is too small; give 1 or more"]),
    ],
)
def test_numbers_on_the_command_line_are_checked_in_our_words(args, fragments):
    result = run(*args)
    assert_usage_error(result, *fragments)
    assert "Input should be" not in result.stderr  # typer's (pydantic's) wording


def test_version_and_help():
    assert run("--version").stdout.startswith("digest ")
    result = run("new", "--help")
    assert result.exit_code == 0 and "--cassette" in result.stdout


@pytest.mark.parametrize("args", [["--help"], ["new", "--help"], ["render", DAY_FOR_RENDER, "--output-dir", "{out}"],
                                  ["list", "--output-dir", "{out}"], ["show", DAY_FOR_RENDER, "--output-dir", "{out}"],
                                  ["check", DAY_FOR_RENDER, "--output-dir", "{out}"],
                                  ["render", DAY_FOR_RENDER, "--authors", "hf", "--output-dir", "{out}"]])
def test_help_list_and_render_import_no_network_client(args, tmp_path):
    from tools.assemble_cassettes import seed_golden_day

    seed_golden_day(tmp_path)
    args = [a.replace("{out}", str(tmp_path)) for a in args]
    code = (
        "import sys\nfrom authoring.cli import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('openai', 'arxiv', 'vcr', 'huggingface_hub', 'httpx2') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_missing_prompts_folder_stops_before_anything_is_written(tmp_path):
    result = run("new", "2024-10-08", "2410.05258", "--output-dir", str(tmp_path / "out"),
                 env={"DIGEST_PROMPTS_DIR": str(tmp_path / "nowhere")})
    assert_one_line_error(result, "prompts folder", "does not exist")
    assert not (tmp_path / "out").exists()


def test_several_ids_a_line_on_stdin():
    from authoring.ids import read_id_lines

    assert read_id_lines("2410.04734 2410.04534,2410.02884\n# a comment\n\t2410.03959  # trailing\n") == [
        "2410.04734", "2410.04534", "2410.02884", "2410.03959"]


def test_json_runs_that_fail_say_so_in_json(tmp_path, monkeypatch):
    import json

    monkeypatch.delenv("OPENAI_API_KEY")
    result = run("new", "2024-10-08", "2410.05258", "--json", "--output-dir", str(tmp_path))
    assert result.exit_code == 1 and "OPENAI_API_KEY is not set" in json.loads(result.stdout)["error"]


def test_a_reader_that_goes_away_does_not_stop_the_run(tmp_path):
    """`digest new ... 2>&1 | head -1`: the pipe closes after a line; the run goes on and finishes the day."""
    import os

    out = tmp_path / "out"
    child = subprocess.Popen([sys.executable, "-m", "authoring", "new", "2024-10-08", *DEMO_IDS, "--cassette", DEMO,
                              "--output-dir", str(out)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             cwd=tmp_path, env={**os.environ, "OPENAI_API_KEY": ""})
    first = child.stdout.readline()
    child.stdout.close()  # the reader leaves
    assert child.wait(timeout=60) == 0, first
    stored = json.loads((out / "2024-10-08.json").read_text())
    assert len(stored["entries"]) == 15 and all(e["summary"] for e in stored["entries"])


RUN_OPTIONS = {"--model", "--base-url", "--temperature", "--prompts", "--output-dir", "--cassette", "--record",
               "--concurrency", "--source", "--verify", "--authors", "--quiet", "--json"}


def test_every_network_command_takes_the_same_run_options():
    import typer

    root = typer.main.get_command(app)

    def flags(command) -> set[str]:
        return {name for param in command.params for name in param.opts if name.startswith("--")}

    for name in ("new", "resume", "regen", "add"):
        assert RUN_OPTIONS <= flags(root.commands[name]), name
    model_options = {"--model", "--base-url", "--temperature", "--prompts", "--output-dir", "--cassette", "--record"}
    assert model_options <= flags(root.commands["batch"].commands["submit"])


def test_add_takes_verify(tmp_path):
    result = run("add", "2024-10-08", "2410.05258", "--verify", "--output-dir", str(tmp_path))
    assert_one_line_error(result, "2024-10-08")  # the day does not exist: the flag itself was accepted
    assert "No such option" not in result.output


def test_one_handler_for_every_command_and_debug_reraises(tmp_path):
    from authoring.errors import DigestError

    for args in (["show", "2024-10-08"], ["rm", "2024-10-08", "2410.05258"], ["resume", "2024-10-08"],
                 ["undo", "2024-10-08"], ["move", "2024-10-08", "2410.05258", "--to", "1"]):
        result = run(*args, "--output-dir", str(tmp_path / "empty"))
        assert result.exit_code == 1 and result.stderr.startswith("Error: "), (args, result.output)
        assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.output
    debug = run("show", "2024-10-08", "--output-dir", str(tmp_path / "empty"), env={"DIGEST_DEBUG": "1"})
    assert isinstance(debug.exception, DigestError) and debug.exit_code == 1 and "Error: " not in debug.stderr
    usage = run("show", "not-a-day", "--output-dir", str(tmp_path))
    assert usage.exit_code == 2


def test_a_failed_run_with_json_prints_its_error_as_json_too(tmp_path):
    result = run("resume", "2024-10-08", "--json", "--output-dir", str(tmp_path))
    assert_one_line_error(result, "2024-10-08")
    assert set(json.loads(result.stdout)) == {"error"} and "2024-10-08" in json.loads(result.stdout)["error"]
    assert run("resume", "2024-10-08", "--output-dir", str(tmp_path)).stdout == ""


# ------------------------------------------------------------------------------------------------ a failed first run
def _stand_in_env(stand_in) -> dict[str, str]:
    return {"DIGEST_ARXIV_API_URL": f"{stand_in.url}/api/query", "OPENAI_BASE_URL": f"{stand_in.url}/v1",
            "DIGEST_ARXIV_DELAY_SECONDS": "0", "DIGEST_RETRY_BASE_DELAY": "0"}


def test_a_mistyped_id_is_named_once_and_the_corrected_run_needs_no_force(tmp_path):
    from tests.helpers import ok, paper
    from tools.standin import StandIn

    out = str(tmp_path / "out")
    with StandIn({"2410.00001": paper("2410.00001")}, chat=ok) as stand_in:
        first = run("new", "2024-10-08", "2410.99999", "--output-dir", out, env=_stand_in_env(stand_in))
        assert first.exit_code == 1 and "Traceback" not in first.output
        assert first.stderr.lower().count("not found on arxiv") == 1  # not three times
        assert (f"Failed: 2410.99999 not found on arXiv; check the id, then `digest rm 2024-10-08 2410.99999 "
                f"--output-dir {out}` takes it out of the day, or `digest new 2024-10-08 ID... --output-dir {out}` "
                "with the right ids replaces this day (it has no summary)") in first.stderr
        again = run("new", "2024-10-08", "2410.00001", "--output-dir", out, env=_stand_in_env(stand_in))
    assert again.exit_code == 0, again.output
    assert f"`digest undo 2024-10-08 --output-dir {out}` brings it back" in again.stderr
    entries = json.loads((tmp_path / "out" / "2024-10-08.json").read_text())["entries"]
    assert [(e["id"], e["error"]) for e in entries] == [("2410.00001", None)]
    assert run("undo", "2024-10-08", "--output-dir", out).exit_code == 0  # the failed day is one undo away
    assert [e["id"] for e in json.loads((tmp_path / "out" / "2024-10-08.json").read_text())["entries"]] == [
        "2410.99999"]


def test_a_first_run_with_a_bad_key_is_replaced_by_the_next_new(tmp_path):
    from tests.helpers import ok, paper
    from tools.standin import Reply, StandIn

    out = str(tmp_path / "out")
    papers = {i: paper(i) for i in ("2410.00001", "2410.00002")}
    rejected = Reply(401, b'{"error": {"message": "Incorrect API key provided"}}')
    with StandIn(papers, chat=lambda body: rejected) as stand_in:
        first = run("new", "2024-10-08", "2410.00002", "--output-dir", out, env=_stand_in_env(stand_in))
    assert first.exit_code == 1 and "rejected the API key" in first.stderr
    with StandIn(papers, chat=ok) as stand_in:
        again = run("new", "2024-10-08", "2410.00001", "--output-dir", out, env=_stand_in_env(stand_in))
        assert again.exit_code == 0, again.output
        # a day with a summary in it is another matter: it needs --force
        refused = run("new", "2024-10-08", "2410.00002", "--output-dir", out, env=_stand_in_env(stand_in))
    assert_one_line_error(refused, "already exists with other papers; pass --force")
    entries = json.loads((tmp_path / "out" / "2024-10-08.json").read_text())["entries"]
    assert [e["id"] for e in entries] == ["2410.00001"] and entries[0]["summary"] is not None


def test_a_retry_a_winding_down_call_reports_after_the_run_is_not_printed():
    """The run's last line stays last: a model call still in a worker thread when a run stops (a --cassette miss)
    retries once the display has closed, and that retry is not printed after the verdict."""
    import io

    from rich.console import Console

    from authoring.cli.progress import PlainProgress

    written = io.StringIO()
    with PlainProgress(Console(file=written, highlight=False)) as display:
        display.retry("2410.05258: HTTP 429")
    display.retry("2410.02707: a failed connection")
    assert written.getvalue() == "Retrying 2410.05258 after HTTP 429\n"
