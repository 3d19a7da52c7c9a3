"""arXiv ids -> Papers through the `arxiv` package: chunks of <=100 ids, arXiv's pace, timeouts, one retry
policy. The only module importing `arxiv`."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import arxiv
import requests

from authoring.config import Settings
from authoring.errors import ArxivError, in_our_words, passes_through
from authoring.ids import ArxivId
from authoring.models import Paper
from authoring.redact import redact_url
from authoring.sources.requesting import DeadlineAdapter, first_line, mount
from authoring.sources.retrying import backoff

MAX_REDIRECTS = 3  # http -> https, a moved endpoint; a loop fails fast
CHUNK_SIZE = 100  # arXiv answers at most this many entries a request without paging.
UNREADABLE_IN_A_ROW = 3  # ids unreadable even when asked for alone: past this many in a row, arXiv's answers are broken
# A withdrawn version keeps its entry, with a comment or abstract saying so in words like these.
_WITHDRAWN = re.compile(
    r"\b(?:(?:this|the) (?:paper|article|submission|manuscript) (?:has been|is|was) withdrawn"
    r"|withdrawn by the authors?)",
    re.IGNORECASE,
)


@dataclass
class FetchResult:
    """Papers found, keyed by version-less id; requested ids arXiv did not return; withdrawn papers with arXiv's
    notice (nothing to summarise); ids whose entry in arXiv's answer could not be read, with why."""

    papers: dict[str, Paper] = field(default_factory=dict)
    missing: list[ArxivId] = field(default_factory=list)
    withdrawn: dict[str, str] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)
    requests: int = 0

    def error_for(self, arxiv_id: ArxivId) -> str | None:
        """Why `arxiv_id` has no paper to summarise, or None when it has one."""
        if arxiv_id.base in self.withdrawn:
            return f"{arxiv_id} was withdrawn on arXiv ({self.withdrawn[arxiv_id.base]})"
        if arxiv_id.base in self.unreadable:
            return f"arXiv's entry for {arxiv_id} could not be read ({self.unreadable[arxiv_id.base]})"
        if arxiv_id.base not in self.papers:
            return f"{arxiv_id} not found on arXiv"
        return None


class _FeedAdapter(DeadlineAdapter):
    """Also counts the Atom feeds that arrived: a failure after one is an entry of arXiv's answer that could not be
    read, not a failed request. A 200 that is no feed (a proxy's HTML page, an empty body) is a failed request."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.feeds = 0

    def send(self, request, stream=False, timeout=None, **kwargs):  # type: ignore[override]
        response = super().send(request, stream=stream, timeout=timeout, **kwargs)
        if response.status_code == 200 and not stream:
            if b"<feed" not in response.content[:4096]:
                kind = response.headers.get("content-type", "no content type").split(";")[0]
                raise UnreadableFeed(f"an answer of type {kind} that is not an Atom feed")
            self.feeds += 1
        return response


class UnreadableFeed(requests.RequestException):
    """The arXiv API answered 200 with something that is not a feed: not "no such paper" for every id."""


@dataclass
class Client:
    """The arxiv package's client and the adapter that times its requests (and knows when a feed arrived)."""

    package: arxiv.Client
    adapter: _FeedAdapter


def make_client(settings: Settings) -> Client:
    """An arxiv.Client with no retries of its own (ours are in fetch_papers) and a deadline on every request."""
    # The arxiv package logs what it skips (a malformed feed, an entry without dates) on its own logger, which
    # would print stray lines on stderr; what matters reaches the user as this module's errors and notices.
    logging.getLogger("arxiv").setLevel(logging.ERROR)
    client = arxiv.Client(page_size=CHUNK_SIZE, delay_seconds=settings.arxiv_delay_seconds, num_retries=0)
    client.query_url_format = settings.arxiv_api_url + "?{}"
    adapter = _FeedAdapter(settings.arxiv_timeout)
    # arxiv 4.0.2's Client takes no session and exposes none publicly (a timeout option is an open request
    # upstream); its requests.Session, declared as `_session`, is created without a timeout. It is read here and
    # never replaced: configured only through requests' public API (an adapter mounted, the redirect cap). Should a
    # release rename it, this line fails on the first run, loudly, instead of requests going out untimed.
    session: requests.Session = client._session
    mount(session, adapter)
    session.max_redirects = MAX_REDIRECTS  # requests' default, 30 unpaced hops, is no one's idea of a feed
    return Client(client, adapter)


def fetch_papers(
    ids: Sequence[ArxivId],
    settings: Settings,
    *,
    client: Client | None = None,
    on_retry: Callable[[str], None] | None = None,
) -> FetchResult:
    """Fetch metadata for `ids`, one request per chunk of at most 100, spaced as arXiv asks. `on_retry` hears a
    short reason before each retry."""
    client = client or make_client(settings)
    result = FetchResult()
    for start in range(0, len(ids), CHUNK_SIZE):
        _fetch_into(result, client, ids[start : start + CHUNK_SIZE], settings, on_retry)
    return result


def _fetch_into(
    result: FetchResult,
    client: Client,
    chunk: Sequence[ArxivId],
    settings: Settings,
    on_retry: Callable[[str], None] | None,
) -> None:
    """One chunk into `result`. The arxiv package fails a whole answer over one entry it cannot read (an
    unparseable date, say): then the chunk's ids are asked for once more, one at a time at arXiv's pace, and only
    the entries that cannot be read alone fail. Three ids in a row that cannot be read alone either mean arXiv's
    answers are broken as a whole: the ids not yet asked for fail as not checked."""
    reason = _fetch_part(result, client, chunk, settings, on_retry)
    if reason is None:
        return
    if len(chunk) == 1:
        result.unreadable[chunk[0].base] = reason
        return
    if on_retry is not None:
        on_retry(f"arXiv: an entry among {len(chunk)} ids could not be read; asking for each id alone")
    in_a_row = 0
    for n, arxiv_id in enumerate(chunk):
        if in_a_row == UNREADABLE_IN_A_ROW:
            for unasked in chunk[n:]:
                result.unreadable[unasked.base] = (
                    f"not checked: an entry in arXiv's answer for it and {len(chunk) - 1} other ids could not be "
                    f"read, and {in_a_row} ids in a row could not be read alone either ({reason})")
            return
        alone = _fetch_part(result, client, [arxiv_id], settings, on_retry)
        if alone is not None:
            result.unreadable[arxiv_id.base] = alone
        in_a_row = 0 if alone is None else in_a_row + 1


def _fetch_part(result: FetchResult, client: Client, ids: Sequence[ArxivId], settings: Settings,
                on_retry: Callable[[str], None] | None) -> str | None:
    """One request's papers into `result`; None, or why an entry of arXiv's answer could not be read."""
    result.requests += 1
    try:
        found = _fetch_chunk(client, ids, settings, on_retry)
    except _UnreadableEntry as problem:
        return str(problem)
    _sort(result, ids, found)
    return None


def _sort(result: FetchResult, chunk: Sequence[ArxivId], found: dict[str, Paper]) -> None:
    for arxiv_id in chunk:
        paper = found.get(arxiv_id.base)
        if paper is None:
            result.missing.append(arxiv_id)
        elif notice := withdrawal_notice(paper):
            result.withdrawn[arxiv_id.base] = notice
        else:
            result.papers[arxiv_id.base] = paper


def _read(client: arxiv.Client, search: arxiv.Search) -> list[arxiv.Result]:
    """Every result of `search`. results() is lazy: it is consumed here, inside whatever cassette or retry context
    is active. An entry the arxiv package skips (one without dates) still counts in the feed's total, so the package
    asks for a next page, which is empty: what came is all there is, not a failed answer."""
    results: list[arxiv.Result] = []
    try:
        for result in client.results(search):
            results.append(result)
    except arxiv.UnexpectedEmptyPageError:
        pass
    return results


class _UnreadableEntry(Exception):
    """arXiv answered a feed, but the arxiv package (or _to_paper) could not read an entry of it (str: why)."""


def _fetch_chunk(
    client: Client, chunk: Sequence[ArxivId], settings: Settings, on_retry: Callable[[str], None] | None
) -> dict[str, Paper]:
    # page_size = max_results = len(chunk): exactly one request, and nothing silently cut at 100.
    client.package.page_size = len(chunk)
    feeds = client.adapter.feeds
    search = arxiv.Search(id_list=[str(i) for i in chunk], max_results=len(chunk))
    retrying = backoff(_is_transient, attempts=settings.arxiv_attempts, base_delay=settings.retry_base_delay,
                       notice=(lambda error: on_retry(f"arXiv: {_reason(error)}")) if on_retry else None)
    try:
        results = retrying(lambda: _read(client.package, search))
        return {paper.id: paper for paper in map(_to_paper, results)}
    except arxiv.HTTPError as err:
        if err.status == 400:
            raise ArxivError(f"arXiv rejected the request (HTTP 400) for ids {_span(chunk)}") from None
        if err.status == 407:
            raise ArxivError(f"the proxy to arXiv wants credentials (HTTP 407) for ids {_span(chunk)}; put them in "
                             "its address (http://user:password@host:port in HTTPS_PROXY or HTTP_PROXY)") from None
        if not _is_transient(err):  # asked once: a 401, 403 or 404 would come again
            raise ArxivError(f"arXiv answered HTTP {err.status} for ids {_span(chunk)}") from None
        raise ArxivError(
            f"arXiv answered HTTP {err.status} {settings.arxiv_attempts} times for ids {_span(chunk)}; try again later"
        ) from None
    except requests.Timeout:
        raise ArxivError(
            f"arXiv did not answer within {settings.arxiv_timeout:g} s ({settings.arxiv_attempts} attempts)"
        ) from None
    except requests.ConnectionError as err:
        through = " through its proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY)" if isinstance(
            err, requests.exceptions.ProxyError) else ""
        raise ArxivError(
            f"cannot reach the arXiv API at {redact_url(settings.arxiv_api_url)}{through}: {first_line(err)}"
        ) from None
    except Exception as err:  # a feed the arxiv package or our reading of it cannot make sense of
        if passes_through(err):
            raise
        if client.adapter.feeds > feeds and not isinstance(err, requests.RequestException):  # the feed came
            raise _UnreadableEntry(in_our_words(err, first_line(err))) from None
        raise ArxivError(
            f"arXiv answered something unusable for ids {_span(chunk)} ({_what(err)})"
        ) from err


def _is_transient(err: BaseException) -> bool:
    """429 and 5xx, timeouts and connection errors are worth another try; a 400 never is."""
    if isinstance(err, arxiv.HTTPError):
        return err.status == 429 or err.status >= 500
    return isinstance(err, requests.Timeout | requests.ConnectionError)


def withdrawal_notice(paper: Paper) -> str | None:
    """arXiv's words when the version read is a withdrawal, else None."""
    for text in (paper.comment or "", paper.abstract):
        if _WITHDRAWN.search(text):
            return " ".join(text.split())[:200]
    return None


def _reason(err: BaseException | None) -> str:
    return f"HTTP {err.status}" if isinstance(err, arxiv.HTTPError) else in_our_words(err) if err else "no answer"


def _to_paper(result: arxiv.Result) -> Paper:
    short = result.get_short_id()  # e.g. 2410.05258v2 or hep-th/9901001v1
    base, _, version = short.rpartition("v")
    if not (base and version.isdigit()):
        base, version = short, ""
    return Paper(
        id=base,
        version=int(version) if version else None,
        title=" ".join(result.title.split()),
        authors=[author.name for author in result.authors],
        abstract=" ".join(result.summary.split()),
        categories=list(result.categories),
        primary_category=result.primary_category or None,
        published=result.published.date().isoformat(),
        updated=result.updated.date().isoformat(),
        comment=result.comment,
        journal_ref=result.journal_ref,
        doi=result.doi,
    )


def _span(chunk: Sequence[ArxivId]) -> str:
    return str(chunk[0]) if len(chunk) == 1 else f"{chunk[0]} ... {chunk[-1]} ({len(chunk)} ids)"


def _what(err: BaseException) -> str:
    """The error in words: our own say what happened; others by their kind (too many redirects: ...)."""
    if isinstance(err, UnreadableFeed):
        return first_line(err)
    return in_our_words(err, first_line(err))


