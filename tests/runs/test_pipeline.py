"""The core run without the CLI: nothing is sent before every local check passes; order and checkpoints."""

from datetime import UTC, date, datetime

import pytest

from authoring.errors import InvalidIdError, StoreError
from authoring.models import Digest, Entry, Paper, Summary
from authoring.runs import pipeline
from authoring.store import files as store
from tools.standin import StandIn

DAY = date(2024, 10, 8)


def _clock():
    return datetime(2030, 1, 1, tzinfo=UTC)


def test_malformed_id_is_never_sent(settings):
    with StandIn() as stand_in:
        local = settings.replace(arxiv_api_url=f"{stand_in.url}/api/query", base_url=f"{stand_in.url}/v1")
        with pytest.raises(InvalidIdError, match="'2410.05258x'"):
            pipeline.create_digest(DAY, ["2410.02707", "2410.05258x"], local, clock=_clock)
    assert stand_in.log == []
    assert not local.output_dir.exists()


def test_existing_day_is_refused_before_any_request(settings):
    from tests.helpers import VALID

    summarised = Entry(id="2410.05258", paper=Paper(id="2410.05258", title="T", authors=["A"]),
                       summary=Summary(**VALID))
    store.atomic_write(store.json_path(settings.output_dir, DAY),
                       Digest(date="2024-10-08", entries=[summarised]).model_dump_json())
    with StandIn() as stand_in:
        local = settings.replace(arxiv_api_url=f"{stand_in.url}/api/query")
        with pytest.raises(StoreError, match="already exists with other papers; pass --force"):
            pipeline.create_digest(DAY, ["2410.02707"], local, clock=_clock)
    assert stand_in.log == []


def test_each_arxiv_chunk_is_summarised_while_the_next_waits_its_turn(settings):
    from tests.helpers import local, ok, paper

    ids = [f"2410.{n:05d}" for n in range(1, 151)]  # two chunks: 100 + 50
    with StandIn({i: paper(i) for i in ids}, chat=ok) as stand_in:
        report = pipeline.create_digest(DAY, ids, local(settings, stand_in, arxiv_delay_seconds=1.0), clock=_clock)
    log = [(method, path) for _, method, path in stand_in.log]
    second_chunk = [n for n, (method, _) in enumerate(log) if method == "GET"][1]
    assert any(method == "POST" for method, _ in log[:second_chunk])  # the model started before chunk 2 came
    assert report.arxiv_requests == 2 and report.failed == {}
    assert [e.id for e in report.digest.entries] == ids and all(e.ok for e in report.digest.entries)


def test_an_arxiv_failure_on_a_later_chunk_keeps_the_earlier_summaries_and_resume_finishes(settings):
    from authoring.errors import ArxivError
    from tests.helpers import local, ok, paper
    from tools.standin import Reply

    ids = [f"2410.{n:05d}" for n in range(1, 121)]
    down = {"on": True}

    def arxiv(id_list, query):
        if down["on"] and "2410.00101" in id_list:
            return Reply(400, b"bad request")
        return None

    with StandIn({i: paper(i) for i in ids}, chat=ok, arxiv=arxiv) as stand_in:
        config = local(settings, stand_in)
        with pytest.raises(ArxivError, match="HTTP 400.*; 100 finished papers are saved and 20 are pending: "
                                             "`digest resume 2024-10-08 --output-dir "):
            pipeline.create_digest(DAY, ids, config, clock=_clock)
        stored = store.load_digest(config.output_dir, DAY)
        assert [e.status for e in stored.entries] == ["ok"] * 100 + ["pending"] * 20
        down["on"] = False
        report = pipeline.resume(DAY, config, clock=_clock)
    assert report.failed == {} and all(e.ok for e in report.digest.entries)
    assert [e.id for e in report.digest.entries] == ids


def test_a_proxy_that_cannot_be_used_stops_new_before_any_request_or_write(settings, monkeypatch):
    from authoring.errors import ConfigError

    monkeypatch.setenv("ALL_PROXY", "socks5h://user:s3cretPW@127.0.0.1:1080")
    with StandIn() as stand_in:
        local = settings.replace(arxiv_api_url=f"{stand_in.url}/api/query", base_url="http://gpu-box.lan:8000/v1")
        with pytest.raises(ConfigError, match="socks proxies are not supported") as info:
            pipeline.create_digest(DAY, ["2410.02707"], local, clock=_clock)
    assert stand_in.log == [] and not local.output_dir.exists() and "s3cretPW" not in str(info.value)
