"""arXiv fetching through the real `arxiv` package: chunking, matching, pacing, timeouts, retries, real payloads."""

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from authoring.errors import ArxivError
from authoring.ids import parse_id
from authoring.sources import arxiv_api as arxiv_source
from tools.standin import Reply, StandIn

WIRE = Path(__file__).parents[1] / "data" / "wire"


def _paper(arxiv_id: str) -> dict:
    return {
        "id": arxiv_id, "version": 1, "title": f"Synthetic paper {arxiv_id}", "authors": ["A. Author"],
        "abstract": f"  Abstract of {arxiv_id}.\n  Wrapped.  ", "categories": ["cs.LG"],
        "primary_category": "cs.LG", "published": "2024-10-01T10:00:00Z", "updated": "2024-10-02T10:00:00Z",
        "comment": None,
    }


def _ids_in(path: str) -> list[str]:
    return parse_qs(urlsplit(path).query)["id_list"][0].split(",")


def _local(settings, stand_in, **changes):
    return settings.replace(arxiv_api_url=f"{stand_in.url}/api/query", **changes)


def test_150_ids_make_exactly_two_requests_and_all_match_back(settings):
    ids = [f"2410.{n:05d}" for n in range(1, 151)]
    with StandIn({i: _paper(i) for i in ids}) as stand_in:
        result = arxiv_source.fetch_papers([parse_id(i) for i in ids], _local(settings, stand_in))
    requests = stand_in.requests("GET")
    assert len(requests) == 2 and result.requests == 2
    assert [len(_ids_in(r)) for r in requests] == [100, 50]
    assert [parse_qs(urlsplit(r).query)["max_results"] for r in requests] == [["100"], ["50"]]
    assert list(result.papers) == ids  # the stand-in answers in reverse order: matched by id, not position
    assert all(result.papers[i].title == f"Synthetic paper {i}" for i in ids)
    assert result.papers["2410.00001"].abstract == "Abstract of 2410.00001. Wrapped."
    assert result.missing == []


def test_unknown_id_is_reported_and_the_rest_kept(settings):
    with StandIn({"2410.05258": _paper("2410.05258")}) as stand_in:
        result = arxiv_source.fetch_papers(
            [parse_id("2410.05258"), parse_id("2410.99999")], _local(settings, stand_in)
        )
    assert list(result.papers) == ["2410.05258"]
    assert [str(i) for i in result.missing] == ["2410.99999"]


def test_requested_version_is_sent_and_matched_without_it(settings):
    with StandIn({"2410.05258": {**_paper("2410.05258"), "version": 2}}) as stand_in:
        result = arxiv_source.fetch_papers([parse_id("2410.05258v2")], _local(settings, stand_in))
    assert _ids_in(stand_in.requests("GET")[0]) == ["2410.05258v2"]
    assert result.papers["2410.05258"].version == 2


def test_requests_are_spaced_at_the_configured_delay(settings):
    ids = [f"2410.{n:05d}" for n in range(1, 202)]
    with StandIn({i: _paper(i) for i in ids}) as stand_in:
        arxiv_source.fetch_papers([parse_id(i) for i in ids], _local(settings, stand_in, arxiv_delay_seconds=0.4))
    times = [t for t, method, _ in stand_in.log if method == "GET"]
    assert len(times) == 3
    assert all(later - earlier >= 0.39 for earlier, later in zip(times, times[1:], strict=False))


def test_a_hung_server_times_out_with_a_clear_error(settings):
    hang = StandIn(arxiv=lambda ids, query: Reply(200, b"", delay=1.5))
    with hang as stand_in, pytest.raises(ArxivError, match=r"did not answer within 0.3 s \(2 attempts\)"):
        arxiv_source.fetch_papers(
            [parse_id("2410.05258")], _local(settings, stand_in, arxiv_timeout=0.3, arxiv_attempts=2)
        )
    assert len(stand_in.requests("GET")) == 2


def test_server_errors_are_retried_then_succeed(settings):
    answers = [Reply(503, b"busy"), Reply(429, b"slow down")]

    def flaky(ids, query):
        return answers.pop(0) if answers else None

    with StandIn({"2410.05258": _paper("2410.05258")}, arxiv=flaky) as stand_in:
        result = arxiv_source.fetch_papers([parse_id("2410.05258")], _local(settings, stand_in))
    assert len(stand_in.requests("GET")) == 3
    assert list(result.papers) == ["2410.05258"]


def test_a_400_is_never_retried(settings):
    with StandIn(arxiv=lambda ids, query: Reply(400, b"bad id")) as stand_in:
        with pytest.raises(ArxivError, match=r"rejected the request \(HTTP 400\) for ids 2410.05258"):
            arxiv_source.fetch_papers([parse_id("2410.05258")], _local(settings, stand_in))
    assert len(stand_in.requests("GET")) == 1


def test_unreachable_api_is_a_clear_error(settings):
    with StandIn() as stand_in:
        url = stand_in.url
    with pytest.raises(ArxivError, match="cannot reach the arXiv API"):
        arxiv_source.fetch_papers(
            [parse_id("2410.05258")], settings.replace(arxiv_api_url=f"{url}/api/query", arxiv_attempts=1)
        )


@pytest.mark.vcr
def test_real_arxiv_response(settings):
    """A genuine recorded arXiv response (current Atom format) through the real fetch path."""
    result = arxiv_source.fetch_papers([parse_id("1605.08386")], settings)
    paper = result.papers["1605.08386"]
    assert (paper.version, paper.title) == (1, "Heat-bath random walks with Markov bases")
    assert paper.authors == ["Caprice Stanley", "Tobias Windisch"]
    assert paper.categories == ["math.CO", "math.ST"] and paper.primary_category == "math.CO"
    assert paper.published == "2016-05-26" and paper.comment == "20 pages, 3 figures"
    assert paper.abstract.startswith("Graphs on lattice points are studied")


def test_real_legacy_and_empty_responses_parse(settings):
    """Genuine recorded responses: the legacy (pre-2025) format, and the answer for a nonexistent id."""
    bodies = {
        "1111.2011v2": WIRE / "arxiv-atom-example-legacy-2016.xml",
        "2410.99999": WIRE / "arxiv-atom-example-empty.xml",
    }

    def real(ids, query):
        return Reply(200, bodies[ids[0]].read_bytes())

    with StandIn(arxiv=real) as stand_in:
        legacy = arxiv_source.fetch_papers([parse_id("1111.2011v2")], _local(settings, stand_in))
        empty = arxiv_source.fetch_papers([parse_id("2410.99999")], _local(settings, stand_in))
    paper = legacy.papers["1111.2011"]
    assert paper.version == 2 and paper.doi == "10.1103/PhysRevB.85.115117"
    assert paper.title.startswith("Quantum Criticality for Extended Nodes on a Bethe Lattice in the Large Connectivity")
    assert "\n" not in paper.abstract
    assert empty.papers == {} and [str(i) for i in empty.missing] == ["2410.99999"]


@pytest.mark.parametrize("answer", [b"<!doctype html><html><body>Just a moment...</body></html>", b""])
def test_a_200_answer_that_is_not_a_feed_is_one_error_not_every_id_not_found(answer, settings, capfd):
    from authoring.errors import ArxivError
    from tools.standin import Reply, StandIn

    with StandIn(arxiv=lambda ids, query: Reply(200, answer, {"Content-Type": "text/html"})) as stand_in:
        expected = r"unusable for ids 2410.05258 \.\.\. 2410.02707 \(2 ids\).*not an Atom feed"
        with pytest.raises(ArxivError, match=expected):
            arxiv_source.fetch_papers([parse_id("2410.05258"), parse_id("2410.02707")],
                                      settings.replace(arxiv_api_url=f"{stand_in.url}/api/query"))
    assert "Malformed feed" not in capfd.readouterr().err


def test_an_entry_the_arxiv_package_cannot_read_fails_alone_and_every_other_paper_is_read(settings):
    """arxiv 4.x raises on an entry with an unparseable date, which fails its whole answer: the chunk's ids are
    asked for again one at a time."""
    ids = [f"2410.{n:05d}" for n in range(1, 11)]
    papers = {i: _paper(i) for i in ids}
    papers["2410.00007"]["published"] = "2024-13-45T99:00:00Z"
    heard = []
    with StandIn(papers) as stand_in:
        result = arxiv_source.fetch_papers([parse_id(i) for i in ids], _local(settings, stand_in),
                                           on_retry=heard.append)
    assert sorted(result.papers) == [i for i in ids if i != "2410.00007"]
    assert list(result.unreadable) == ["2410.00007"] and "month must be in 1..12" in result.unreadable["2410.00007"]
    assert "ValueError" not in result.unreadable["2410.00007"]  # our words, not the class
    assert result.missing == [] and result.requests == len(stand_in.requests("GET"))
    assert len(stand_in.requests("GET")) == 1 + 10  # the chunk, then each of its ids alone
    assert [_ids_in(r) for r in stand_in.requests("GET")[1:]] == [[i] for i in ids]
    assert "could not be read" in result.error_for(parse_id("2410.00007"))
    assert heard == ["arXiv: an entry among 10 ids could not be read; asking for each id alone"]


def test_an_answer_that_is_not_a_feed_is_not_split(settings):
    with StandIn(arxiv=lambda ids, query: Reply(200, b"<html>proxy</html>", {"Content-Type": "text/html"})) as stand_in:
        with pytest.raises(ArxivError, match="not an Atom feed"):
            arxiv_source.fetch_papers([parse_id(f"2410.{n:05d}") for n in range(1, 9)], _local(settings, stand_in))
    assert len(stand_in.requests("GET")) == 1


def test_an_entry_without_dates_is_not_found_and_the_rest_of_its_answer_is_kept(settings):
    """The arxiv package skips an entry without <updated> but the feed's total still counts it, so the package
    asks for a next page, which is empty: that is not a failed answer."""
    from tools.standin import atom_feed

    ids = [f"2410.{n:05d}" for n in range(1, 6)]
    papers = {i: _paper(i) for i in ids}
    papers["2410.00003"]["updated"] = None

    def paged(asked, query):
        return None if "start=0" in query else Reply(200, atom_feed([], query))  # a page past the end: empty

    with StandIn(papers, arxiv=paged) as stand_in:
        result = arxiv_source.fetch_papers([parse_id(i) for i in ids], _local(settings, stand_in))
    assert sorted(result.papers) == [i for i in ids if i != "2410.00003"]
    assert [str(i) for i in result.missing] == ["2410.00003"] and result.unreadable == {}
    assert len(stand_in.requests("GET")) == 2  # the answer, then the empty page the package asked for


def test_each_unreadable_entry_gets_its_own_reason_and_a_feed_wide_problem_is_not_split_to_the_end(settings):
    ids = [f"2410.{n:05d}" for n in range(1, 9)]
    papers = {i: _paper(i) for i in ids}
    for bad in ("2410.00002", "2410.00007"):
        papers[bad]["updated"] = f"bad date of {bad}"
    with StandIn(papers) as stand_in:
        result = arxiv_source.fetch_papers([parse_id(i) for i in ids], _local(settings, stand_in))
    assert {i: reason.split("'")[1] for i, reason in result.unreadable.items()} == {
        "2410.00002": "bad date of 2410.00002", "2410.00007": "bad date of 2410.00007"}
    assert len(result.papers) == 6

    ids = [f"2410.{n:05d}" for n in range(1, 101)]
    everything_bad = {i: {**_paper(i), "updated": "not a date"} for i in ids}
    with StandIn(everything_bad) as stand_in:
        result = arxiv_source.fetch_papers([parse_id(i) for i in ids], _local(settings, stand_in))
    assert sorted(result.unreadable) == ids and result.papers == {}
    assert len(stand_in.requests("GET")) == 1 + 3  # not 1 + 100: three ids in a row unreadable alone stop it
    unchecked = [i for i, reason in result.unreadable.items() if reason.startswith("not checked: an entry in arXiv's")]
    assert unchecked == ids[3:]  # the three asked alone are blamed with their own reasons, the others not checked
    assert result.unreadable[ids[3]] == ("not checked: an entry in arXiv's answer for it and 99 other ids could not be "
                                         "read, and 3 ids in a row could not be read alone either ("
                                         "Invalid isoformat string: 'not a date')")


def test_a_moved_endpoint_is_followed_and_read(settings):
    moves = [Reply(301, b"", {"Location": "/moved/api/query?id_list=2410.05258&start=0&max_results=1"})]
    with StandIn({"2410.05258": _paper("2410.05258")}, arxiv=lambda ids, query: moves.pop() if moves else None) as s:
        result = arxiv_source.fetch_papers([parse_id("2410.05258")], _local(settings, s))
        asked = s.requests("GET")
    assert list(result.papers) == ["2410.05258"] and result.requests == 1
    assert [path.split("?")[0] for path in asked] == ["/api/query", "/moved/api/query"]


@pytest.mark.parametrize("reply", [
    Reply(301, b"", {"Location": "/api/query?again"}),  # a redirect loop
    Reply(200, b"<feed>" + b"\x00" * 64, {"Content-Encoding": "gzip"}),  # a body that does not decode
    Reply(302, b"", {"Location": "http://[bad/x"}),  # a target requests cannot parse (a ValueError of its own)
    Reply(302, b"", {"Location": "http://a..b/x"}),  # nor urllib3 (LocationParseError)
])
def test_a_failed_request_is_one_error_for_the_chunk_not_a_hunt_for_a_bad_entry(settings, reply):
    with StandIn(arxiv=lambda ids, query: reply) as stand_in:
        with pytest.raises(ArxivError, match="unusable for ids 2410.00001 ... 2410.00020 \\(20 ids\\)"):
            arxiv_source.fetch_papers([parse_id(f"2410.{n:05d}") for n in range(1, 21)], _local(settings, stand_in))
    assert len(stand_in.requests("GET")) <= 1 + 3  # a redirect loop is cut after 3 hops


def test_a_status_that_is_not_retried_does_not_claim_retries(settings):
    with StandIn(arxiv=lambda ids, query: Reply(404, b"not here")) as stand_in:
        with pytest.raises(ArxivError, match=r"^arXiv answered HTTP 404 for ids 2410.00001 \.\.\. 2410.00003 "
                                             r"\(3 ids\)$"):
            arxiv_source.fetch_papers([parse_id(f"2410.{n:05d}") for n in range(1, 4)], _local(settings, stand_in))
    assert len(stand_in.requests("GET")) == 1
