"""`list --json` and `show --json`: the documented shape (docs/reference/json-output.md), checked against the stored
DATE.json read independently."""

import json

import pytest

from tests.helpers import assert_one_line_error, run
from tools.assemble_cassettes import seed_golden_day

DAY = "2024-10-08"
DAY_KEYS = {"date", "json", "markdown", "markdown_state", "counts", "tokens", "error"}
ROW_KEYS = {"position", "id", "title", "status", "error", "model", "source", "language", "tokens"}


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "output"
    seed_golden_day(folder)
    return folder


def stored(out):
    return json.loads((out / f"{DAY}.json").read_text(encoding="utf-8"))


def as_json(*args):
    result = run(*args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_list_json_counts_and_tokens_are_the_stored_days(out):
    run("set", DAY, "2410.02707", "title", "Edited", "--output-dir", str(out))
    (out / "2024-10-09.json").write_text("{broken")
    listed = as_json("list", "--output-dir", str(out))
    assert listed["format"] == 1 and listed["output_dir"] == str(out)
    good, broken = listed["days"]
    assert set(good) == DAY_KEYS and good["date"] == DAY and good["error"] is None
    entries = stored(out)["entries"]
    assert good["counts"] == {"entries": len(entries), "ok": len(entries) - 1, "edited": 1, "imported (prose)": 0,
                              "pending": 0, "failed": 0}
    assert good["tokens"] == {
        "prompt": sum(e["provenance"]["usage"]["prompt_tokens"] for e in entries),
        "completion": sum(e["provenance"]["usage"]["completion_tokens"] for e in entries),
        "total": sum(e["provenance"]["usage"]["total_tokens"] for e in entries)}
    assert good["json"] == str(out / f"{DAY}.json") and good["markdown_state"] == "in sync"
    assert broken["date"] == "2024-10-09" and broken["counts"] is None and broken["error"]


def test_list_json_of_an_empty_folder_is_an_empty_list(tmp_path):
    assert as_json("list", "--output-dir", str(tmp_path / "none"))["days"] == []


def test_show_json_has_one_row_per_entry_with_its_status(out):
    run("rm", DAY, "2410.05258", "--output-dir", str(out))
    shown = as_json("show", DAY, "--output-dir", str(out))
    entries = stored(out)["entries"]
    assert DAY_KEYS < set(shown) and shown["format"] == 1
    assert [row["id"] for row in shown["entries"]] == [e["id"] for e in entries]
    assert [row["position"] for row in shown["entries"]] == list(range(1, len(entries) + 1))
    first = shown["entries"][0]
    assert set(first) == ROW_KEYS and first["status"] == "ok" and first["title"] == entries[0]["paper"]["title"]
    assert first["tokens"]["total"] == entries[0]["provenance"]["usage"]["total_tokens"]
    assert first["model"] == entries[0]["provenance"]["model"] and first["language"] is None


def test_show_json_of_one_entry_holds_it_as_stored(out):
    shown = as_json("show", DAY, "arXiv:2410.02707", "--output-dir", str(out))
    assert shown["entry"]["position"] == 2 and shown["entry"]["stored"] == stored(out)["entries"][1]


def test_show_json_of_a_missing_day_is_an_error_in_json_too(tmp_path):
    result = run("show", DAY, "--output-dir", str(tmp_path), "--json")
    assert_one_line_error(result)
    assert "error" in json.loads(result.stdout)
