"""--from-hf (the Hub's daily papers through huggingface_hub, against a loopback Hub) and --authors hf."""

import json
import time
from datetime import UTC, date, datetime

import pytest
from typer.testing import CliRunner

from authoring.cli import app
from authoring.config import Settings
from authoring.markdown.render import render_markdown, shown_authors
from authoring.models import Digest, Entry, HubAuthor, HubInfo
from authoring.sources import hub as hf_source
from authoring.store import days, edits
from tests.conftest import CASSETTES
from tests.helpers import gfm_table, table_rows
from tools.assemble_cassettes import (
    HUB_DAY,
    HUB_LISTING,
    fixture_papers,
    hub_items,
    paper_of,
    reference_summaries,
    summary_reply,
)
from tools.standin import Reply, StandIn, hub_item

PAPERS = fixture_papers()
SUMMARIES = reference_summaries()
HUB_ORDER = [paper_id for paper_id, _ in HUB_LISTING]


def run(*args):
    return CliRunner().invoke(app, list(args))


def services(listings: dict[date, list[tuple[str, int]]] | None = None, routes=None) -> StandIn:
    """A loopback Hub (daily papers of the given days), arXiv and model server in one stand-in."""
    listings = {HUB_DAY: HUB_LISTING} if listings is None else listings
    return StandIn(
        PAPERS,
        chat=lambda body: summary_reply(body, SUMMARIES[paper_of(body, PAPERS)], paper_of(body, PAPERS)),
        hub={day.isoformat(): hub_items(PAPERS, listing, day) for day, listing in listings.items()},
        routes=routes,
    )


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    """A working folder whose digest.toml turns off waits (arXiv spacing, retry backoff)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "digest.toml").write_text("arxiv_delay_seconds = 0\nretry_base_delay = 0\n")
    return tmp_path


def point_at(stand_in: StandIn, monkeypatch) -> None:
    monkeypatch.setenv("HF_ENDPOINT", stand_in.url)
    monkeypatch.setenv("DIGEST_ARXIV_API_URL", f"{stand_in.url}/api/query")
    monkeypatch.setenv("OPENAI_BASE_URL", f"{stand_in.url}/v1")


def stored(path) -> Digest:
    return Digest.model_validate_json(path.read_text(encoding="utf-8"))


def authors_cells(markdown: str) -> list[str]:
    return [row[1] for row in gfm_table(markdown)[1:]]


def test_new_from_hf_writes_the_listed_papers_in_the_hubs_order(workdir, monkeypatch):
    with services() as stand_in:
        point_at(stand_in, monkeypatch)
        result = run("new", "2024-10-09", "--from-hf")
        hub_requests = stand_in.requests("GET")
    assert result.exit_code == 0, result.output
    assert "The Hub lists 5 papers for 2024-10-09; taking 5" in result.stderr
    assert hub_requests[0] == "/api/daily_papers?p=0&limit=50&date=2024-10-09"
    assert len([r for r in hub_requests if r.startswith("/api/query")]) == 1  # one arXiv request for the five
    digest = stored(workdir / "output" / "2024-10-09.json")
    assert [e.id for e in digest.entries] == HUB_ORDER
    first = digest.entries[0]
    assert first.hub.upvotes == 12 and first.paper.title == PAPERS["2410.03959"]["title"]
    assert [(a.name, a.username) for a in first.hub.authors] == [
        ("Zineng Tang", "ZinengTang"), ("Lingjun Mao", "mao1207"), ("Alane Suhr", "alsuhr")]
    rows = table_rows((workdir / "output" / "2024-10-09.md").read_text())
    assert [r.split("arxiv.org/abs/")[1].split(")")[0] for r in rows] == HUB_ORDER
    assert "Zineng Tang, Lingjun Mao, Alane Suhr" in rows[0]  # the default authors style is arXiv's


def test_authors_hf_shows_claimed_accounts_by_username(workdir, monkeypatch):
    with services() as stand_in:
        point_at(stand_in, monkeypatch)
        result = run("new", "2024-10-09", "--from-hf", "--authors", "hf")
    assert result.exit_code == 0, result.output
    cells = authors_cells((workdir / "output" / "2024-10-09.md").read_text())
    assert cells[0] == "alsuhr, mao1207, ZinengTang"
    assert cells[1] == "Li Dong, thegenerality, sunyt32, yuqxia, ytz20"
    assert cells[4] == "Clément Christophe, Tathagata Raha, Muhammad Umar Salman, Marco AF Pimentel, Wadood M Abdul"


def test_new_today_from_hf_asks_the_hub_for_todays_utc_date(workdir, monkeypatch):
    today = datetime.now(UTC).date()
    with services({today: HUB_LISTING[:2]}) as stand_in:
        point_at(stand_in, monkeypatch)
        result = run("new", "today", "--from-hf")
        hub_requests = [r for r in stand_in.requests("GET") if r.startswith("/api/daily_papers")]
    if datetime.now(UTC).date() != today:  # midnight UTC passed during the run: the day asked for is still today's
        pytest.skip("the UTC day changed during the test")
    assert result.exit_code == 0, result.output
    assert hub_requests == [f"/api/daily_papers?p=0&limit=50&date={today.isoformat()}"]
    assert [e.id for e in stored(workdir / "output" / f"{today.isoformat()}.json").entries] == HUB_ORDER[:2]


def test_limit_min_upvotes_and_ids_given_after_the_listing(workdir, monkeypatch):
    with services() as stand_in:
        point_at(stand_in, monkeypatch)
        # upvotes in the Hub's order: 12, 34, 5, 20, 3; at least 10 -> 2410.03959, 2410.05258, 2410.02707
        result = run("new", "2024-10-09", "--from-hf", "--min-upvotes", "10", "--limit", "2", "2410.04364",
                     "2410.05258")
    assert result.exit_code == 0, result.output
    assert "Dropped 1 duplicate id: 2410.05258" in result.stderr
    digest = stored(workdir / "output" / "2024-10-09.json")
    assert [e.id for e in digest.entries] == ["2410.03959", "2410.05258", "2410.04364"]
    assert digest.entries[2].hub is None  # given on the command line: no Hub data


def test_add_from_hf_takes_what_the_day_does_not_have(workdir, monkeypatch):
    with services() as stand_in:
        point_at(stand_in, monkeypatch)
        assert run("new", "2024-10-09", "--from-hf", "--limit", "2").exit_code == 0
        result = run("add", "2024-10-09", "--from-hf")
    assert result.exit_code == 0, result.output
    assert "Already in the digest, skipped: 2410.03959, 2410.05258" in result.stderr
    assert [e.id for e in stored(workdir / "output" / "2024-10-09.json").entries] == HUB_ORDER


@pytest.mark.parametrize("command", ["new", "add"])
def test_an_empty_listing_is_one_line_and_writes_nothing(workdir, monkeypatch, command):
    with services({}) as stand_in:
        point_at(stand_in, monkeypatch)
        result = run(command, "2024-10-12", "--from-hf")
        asked = stand_in.requests()
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"Error: the Hub lists no daily papers for 2024-10-12 at {stand_in.url} (there are none on weekends and "
        "holidays); nothing was written"]
    assert asked == ["/api/daily_papers?p=0&limit=50&date=2024-10-12"]  # neither arXiv nor the model was asked
    assert not (workdir / "output").exists()


def test_nothing_left_after_min_upvotes_is_an_error(workdir, monkeypatch):
    with services() as stand_in:
        point_at(stand_in, monkeypatch)
        result = run("new", "2024-10-09", "--from-hf", "--min-upvotes", "100")
    assert result.exit_code == 1
    assert "Error: none of the 5 papers the Hub lists for 2024-10-09 has 100 upvotes or more" in result.stderr
    assert not (workdir / "output").exists()


def test_hub_errors_are_one_line_naming_the_redacted_endpoint(workdir, monkeypatch):
    def failing(method, path, body, headers):
        return Reply(503, b'{"error": "overloaded"}') if path.startswith("/api/daily_papers") else None

    with services(routes=failing) as stand_in:
        point_at(stand_in, monkeypatch)
        monkeypatch.setenv("HF_ENDPOINT", stand_in.url.replace("http://", "http://mirror:s3cret@") + "/")
        result = run("new", "2024-10-09", "--from-hf")
        attempts = len(stand_in.requests())
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: the Hub's daily papers at {stand_in.url} answered HTTP 503 for 2024-10-09 (4 attempts); "
        "try again later")
    assert attempts == 4 and "s3cret" not in result.output
    assert result.stderr.count("Retrying Hub: HTTP 503") == 3
    assert not (workdir / "output").exists()

    monkeypatch.setenv("HF_ENDPOINT", stand_in.url)  # the stand-in has stopped: nothing listens there now
    result = run("new", "2024-10-09", "--from-hf")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1].startswith(
        f"Error: cannot reach the Hub's daily papers at {stand_in.url}: ")
    assert "Retrying Hub: the connection failed" in result.stderr  # our words, not the class (ConnectError)
    assert "ConnectError" not in result.stderr and "httpx" not in result.stderr


def test_a_listing_that_is_not_one_is_an_error(workdir, monkeypatch):
    def garbage(method, path, body, headers):
        return Reply(200, b"<html>maintenance</html>") if path.startswith("/api/daily_papers") else None

    with services(routes=garbage) as stand_in:
        point_at(stand_in, monkeypatch)
        result = run("new", "2024-10-09", "--from-hf")
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "answered something that is not a listing of papers for 2024-10-09" in result.stderr


def test_a_long_day_is_paged_in_the_hubs_order():
    items = [hub_item(f"2410.{n:05d}", f"Paper\n    {n}", [("A  B", None)], upvotes=n) for n in range(1, 121)]
    items.insert(7, hub_item("not-an-arxiv-id", "Elsewhere", []))
    with StandIn(hub={"2024-10-09": items}) as stand_in:
        listing = hf_source.daily_papers(HUB_DAY, Settings(hf_endpoint=stand_in.url, retry_base_delay=0))
        asked = stand_in.requests()
    assert asked == [f"/api/daily_papers?p={page}&limit=50&date=2024-10-09" for page in range(3)]
    assert [str(p.id) for p in listing.papers] == [f"2410.{n:05d}" for n in range(1, 121)]
    assert listing.not_arxiv == ["not-an-arxiv-id"] and listing.requests == 3
    assert listing.papers[0].title == "Paper 1" and listing.papers[0].hub.authors == [HubAuthor(name="A B")]
    chosen = hf_source.select(listing.papers, min_upvotes=100, limit=5)
    assert [p.hub.upvotes for p in chosen] == [100, 101, 102, 103, 104]


def test_from_hf_replays_from_an_assembled_cassette_with_no_service(tmp_path):
    # No HF_ENDPOINT: the listing request goes to huggingface.co, which the cassette answers.
    result = run("new", "2024-10-09", "--from-hf", "--authors", "hf", "--cassette",
                 str(CASSETTES / "test_from_hf.yaml"), "--output-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    assert [e.id for e in stored(tmp_path / "2024-10-09.json").entries] == HUB_ORDER
    assert authors_cells((tmp_path / "2024-10-09.md").read_text())[0] == "alsuhr, mao1207, ZinengTang"


def test_a_recorded_from_hf_run_replays_without_the_services(workdir, monkeypatch):
    cassette = workdir / "day.yaml"
    with services() as stand_in:
        point_at(stand_in, monkeypatch)
        recorded = run("new", "2024-10-09", "--from-hf", "--cassette", str(cassette), "--record",
                       "--output-dir", "live")
    assert recorded.exit_code == 0, recorded.output
    listing = [line for line in cassette.read_text().splitlines() if "/api/daily_papers?" in line]
    assert len(listing) == 1 and f"{stand_in.url}/api/daily_papers?" in listing[0] and "date=2024-10-09" in listing[0]
    replayed = run("new", "2024-10-09", "--from-hf", "--cassette", str(cassette), "--output-dir", "replayed")
    assert replayed.exit_code == 0, replayed.output
    assert (workdir / "replayed" / "2024-10-09.md").read_bytes() == (workdir / "live" / "2024-10-09.md").read_bytes()


def test_the_hf_rule_reproduces_the_reference_authors_column():
    reference = (CASSETTES.parent / "tests" / "data" / "reference-2024-10-08.md").read_text(encoding="utf-8")
    rows = gfm_table(reference)[1:]
    listing = {item["paper"]["id"]: item for item in hub_items(PAPERS, [(i, 0) for i in PAPERS], date(2024, 10, 8))}
    for row in rows:
        paper_id = row[0].split("arxiv.org/abs/")[1].split(")")[0]
        hub = HubInfo(authors=[HubAuthor(name=a["name"], username=(a.get("user") or {}).get("user"))
                               for a in listing[paper_id]["paper"]["authors"]])
        entry = Entry(id=paper_id, hub=hub)
        assert ", ".join(shown_authors(entry, 5, "hf")) == row[1], paper_id
    assert len(rows) == 15


def hub_entry() -> Entry:
    digest = Digest.model_validate_json((CASSETTES.parent / "tests" / "golden" / "2024-10-08.json").read_text())
    entry = digest.entry("2410.03959")
    entry.hub = HubInfo(upvotes=3, authors=[HubAuthor(name="Zineng Tang", username="ZinengTang"),
                                            HubAuthor(name="Lingjun Mao"), HubAuthor(name="Alane Suhr")])
    return entry


def test_without_hub_data_hf_falls_back_to_arxiv_names_and_rendering_is_deterministic():
    entry = hub_entry()
    plain = entry.model_copy(update={"hub": None})
    assert shown_authors(plain, 2, "hf") == ["Zineng Tang", "Lingjun Mao"]
    assert shown_authors(entry, 2, "hf") == ["Lingjun Mao", "ZinengTang"]  # the claimed account ranks first
    assert shown_authors(entry, 5, "arxiv") == ["Zineng Tang", "Lingjun Mao", "Alane Suhr"]
    digest = Digest(date="2024-10-08", entries=[entry, plain.model_copy(update={"id": "2410.03960"})])
    assert render_markdown(digest, authors_style="hf") == render_markdown(digest, authors_style="hf")
    assert "hub" not in json.loads(plain.model_dump_json())  # DATE.json of entries without Hub data is unchanged


def test_switching_the_authors_style_marks_a_day_stale_not_edited(tmp_path):
    arxiv = Settings(output_dir=tmp_path)
    hf = arxiv.replace(authors_style="hf")
    day = date(2024, 10, 8)
    days.write(arxiv, day, Digest(date="2024-10-08", entries=[hub_entry()]))
    digest = days.load(arxiv, day)
    assert days.markdown_state(arxiv, day, digest) == days.IN_SYNC
    assert days.markdown_state(hf, day, digest) == days.STALE
    days.render_day(hf, day)
    assert "| Alane Suhr, Lingjun Mao, ZinengTang |" in (tmp_path / "2024-10-08.md").read_text()
    assert days.markdown_state(hf, day, days.load(hf, day)) == days.IN_SYNC
    assert days.markdown_state(arxiv, day, days.load(arxiv, day)) == days.STALE


def test_render_authors_flag_and_env(tmp_path, monkeypatch):
    day = date(2024, 10, 8)
    days.write(Settings(output_dir=tmp_path), day, Digest(date="2024-10-08", entries=[hub_entry()]))
    result = run("render", "2024-10-08", "--authors", "hf", "--output-dir", str(tmp_path))
    assert result.exit_code == 0 and result.stdout.startswith("Rendered")
    assert authors_cells((tmp_path / "2024-10-08.md").read_text()) == ["Alane Suhr, Lingjun Mao, ZinengTang"]
    monkeypatch.setenv("DIGEST_AUTHORS_STYLE", "hf")
    assert run("render", "2024-10-08", "--output-dir", str(tmp_path)).stdout.startswith("Up to date")
    assert run("render", "2024-10-08", "--authors", "arxiv", "--output-dir", str(tmp_path)).stdout.startswith(
        "Rendered")


def test_authors_edited_by_hand_show_in_either_style():
    entry = hub_entry()
    edits.set_field(entry, "authors", ["Ada Lovelace", "Alan Turing"])
    assert shown_authors(entry, 5, "hf") == ["Ada Lovelace", "Alan Turing"]
    assert entry.hub.upvotes == 3 and entry.hub.authors == []


@pytest.mark.parametrize("args", [
    ["new", "2024-10-09", "--from-hf", "--authors", "github"],
    ["render", "2024-10-08", "--authors", "HF-ish"],
    ["new", "2024-10-09", "2410.05258", "--limit", "3"],
    ["add", "2024-10-09", "2410.05258", "--min-upvotes", "3"],
    ["new", "2024-10-09", "--from-hf", "--limit", "0"],
])
def test_bad_hub_and_authors_options_are_usage_errors(tmp_path, args):
    result = run(*args, "--output-dir", str(tmp_path))
    assert result.exit_code == 2, result.output
    assert len([line for line in result.stderr.splitlines() if line.startswith("Error: ")]) == 1
    assert not any(tmp_path.iterdir())


def test_a_bad_authors_style_in_the_environment_is_an_error(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGEST_AUTHORS_STYLE", "github")
    result = run("render", "--all", "--output-dir", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: authors_style must be one of arxiv, hf (got 'github')"


def test_a_day_rendered_with_hub_authors_imports_back_unchanged_and_checks_clean(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGEST_AUTHORS_STYLE", "hf")
    hf = Settings(output_dir=tmp_path, authors_style="hf")
    day = date(2024, 10, 8)
    days.write(hf, day, Digest(date="2024-10-08", entries=[hub_entry()]))
    before = (tmp_path / "2024-10-08.json").read_bytes()
    result = run("import", str(tmp_path / "2024-10-08.md"), "--force", "--output-dir", str(tmp_path))
    assert result.exit_code == 0, result.output
    entry = days.load(hf, day).entries[0]
    assert not (entry.provenance and entry.provenance.edited) and entry.hub.authors  # the row was not taken as edited
    assert (tmp_path / "2024-10-08.json").read_bytes() == before
    # The reference summary of this paper states figures of the full text (grounding); nothing else is found.
    checked = run("check", "2024-10-08", "--ignore", "grounding", "--fail-on", "warning", "--output-dir",
                  str(tmp_path))
    assert checked.exit_code == 0, checked.output


def _hub_only(reply):
    def routes(method, path, body, headers):
        return reply if path.startswith("/api/daily_papers") else None
    return routes


def test_a_trickling_hub_listing_fails_at_its_deadline_and_nothing_else_is_asked(workdir, monkeypatch):
    """A listing that drips a byte at a time never trips a per-read timeout: the whole answer has a deadline."""
    (workdir / "digest.toml").write_text("arxiv_delay_seconds = 0\nretry_base_delay = 0\n"
                                         "hub_timeout = 0.5\nhub_attempts = 2\n")
    listing = json.dumps([hub_item("2410.05258", "A title", [("A B", None)])]).encode()  # ~700 bytes: 7 s a try
    with services(routes=_hub_only(Reply(200, listing, trickle=0.01))) as stand_in:
        point_at(stand_in, monkeypatch)
        started = time.monotonic()
        result = run("new", "2024-10-09", "--from-hf")
        elapsed = time.monotonic() - started
        asked = stand_in.requests()
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: the Hub's daily papers at {stand_in.url} did not answer within 0.5 s (2 attempts)")
    assert elapsed < 3
    assert asked == ["/api/daily_papers?p=0&limit=50&date=2024-10-09"] * 2  # no arXiv, no model after it
    assert not (workdir / "output").exists()


def test_the_hub_timeout_applies_on_a_fresh_client(workdir, monkeypatch):
    """huggingface_hub shares one client per process: a run's timeout must hold on it even when an earlier run
    (with another timeout) made that client first."""
    with services() as stand_in:
        point_at(stand_in, monkeypatch)
        first = run("new", "2024-10-09", "--from-hf", "--output-dir", "first")  # hub_timeout 30 s: the default
    assert first.exit_code == 0, first.output
    (workdir / "digest.toml").write_text("arxiv_delay_seconds = 0\nretry_base_delay = 0\n"
                                         "hub_timeout = 0.3\nhub_attempts = 1\n")
    with services(routes=_hub_only(Reply(200, b"[]", delay=3.0))) as stand_in:  # silent for 3 s, then answers
        point_at(stand_in, monkeypatch)
        started = time.monotonic()
        result = run("new", "2024-10-09", "--from-hf", "--output-dir", "second")
        elapsed = time.monotonic() - started
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: the Hub's daily papers at {stand_in.url} did not answer within 0.3 s (1 attempts)")
    assert result.exit_code == 1 and elapsed < 2.5


def test_hf_hub_offline_is_honoured_and_nothing_is_asked(workdir, monkeypatch):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)  # what HF_HUB_OFFLINE=1 sets when the package loads
    with services() as stand_in:
        point_at(stand_in, monkeypatch)
        result = run("new", "2024-10-09", "--from-hf")
        asked = stand_in.requests()
    assert result.exit_code == 1 and asked == []
    assert result.stderr.strip().splitlines()[-1] == (
        f"Error: cannot reach the Hub's daily papers at {stand_in.url}: HF_HUB_OFFLINE is set; unset it to use "
        "--from-hf")
