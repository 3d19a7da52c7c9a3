"""A day's papers from the HuggingFace daily-papers listing (`--from-hf`), through `huggingface_hub`'s maintained
client: ids in the Hub's order, with their upvotes and the Hub's author list. The only module importing
`huggingface_hub`, and only inside `daily_papers` (`digest --help`, `list` and `render` never pay for it)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import cast
from urllib.parse import urlsplit, urlunsplit

from authoring.config import Settings
from authoring.errors import HubError, InvalidIdError, in_our_words
from authoring.ids import ArxivId, parse_id
from authoring.models import HubAuthor, HubInfo

PUBLIC_ENDPOINT = "https://huggingface.co"
PAGE_SIZE = 50  # the listing's own default page size; a longer day is paged with `p`
MAX_PAGES = 40  # 2,000 papers: a bound against a server that ignores `p` and repeats its first page


@dataclass
class HubPaper:
    """One paper of the listing: its arXiv id and what the table can use."""

    id: ArxivId
    title: str
    hub: HubInfo


@dataclass
class Listing:
    """The day's listing in the Hub's order; ids that are not arXiv ids are set aside; requests made."""

    papers: list[HubPaper] = field(default_factory=list)
    not_arxiv: list[str] = field(default_factory=list)
    requests: int = 0


def endpoint_label(settings: Settings) -> str:
    """The endpoint for messages: no user:password@, query or fragment (a mirror's URL may carry a token)."""
    parts = urlsplit(settings.hf_endpoint or PUBLIC_ENDPOINT)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path.rstrip("/"), "", ""))


def daily_papers(day: date, settings: Settings, *, on_retry: Callable[[str], None] | None = None) -> Listing:
    """The Hub's daily papers for `day`, every page of them, in the Hub's order. HubError on any failure."""
    from huggingface_hub import HfApi, constants

    from authoring import __version__

    # Without this, building the request's headers probes for "AI agent" telemetry, which fetches
    # {HF_ENDPOINT}/api/agent-harnesses (an extra request, into cassettes too) and caches it under HF_HOME.
    # digest asks the Hub for the listing and nothing else.
    constants.HF_HUB_DISABLE_TELEMETRY = True
    if constants.is_offline_mode():  # the Hub's default client refuses every request then; ours is made here
        raise HubError(f"cannot reach the Hub's daily papers at {endpoint_label(settings)}: HF_HUB_OFFLINE is set; "
                       "unset it to use --from-hf")
    _with_deadline(settings.hub_timeout)
    # endpoint= always explicit: huggingface_hub read HF_ENDPOINT once, at its import (in a long-lived process,
    # perhaps a value since changed); ours comes from Settings, and unset means huggingface.co.
    # token=False: a token saved by `hf auth login` is never sent.
    endpoint = (settings.hf_endpoint or PUBLIC_ENDPOINT).rstrip("/")
    api = HfApi(endpoint=endpoint, token=False, library_name="digest-authoring", library_version=__version__)
    listing = Listing()
    seen: set[str] = set()
    for page in range(MAX_PAGES):
        items = _page(api, day, page, settings, on_retry)
        listing.requests += 1
        fresh = [item for item in items if item.id not in seen]
        for item in fresh:
            seen.add(item.id)
            _add(listing, item)
        if len(items) < PAGE_SIZE or not fresh:
            break
    return listing


def select(papers: Sequence[HubPaper], *, limit: int | None = None, min_upvotes: int | None = None) -> list[HubPaper]:
    """`--min-upvotes` then `--limit`, keeping the Hub's order."""
    chosen = [p for p in papers if min_upvotes is None or p.hub.upvotes >= min_upvotes]
    return chosen if limit is None else chosen[:limit]


def _page(api, day: date, page: int, settings: Settings, on_retry: Callable[[str], None] | None) -> list:
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    from authoring.sources.retrying import backoff

    retrying = backoff(_is_transient, attempts=settings.hub_attempts, base_delay=settings.retry_base_delay,
                       notice=(lambda error: on_retry(f"Hub: {_reason(error)}")) if on_retry else None)
    where = endpoint_label(settings)
    try:
        # The generator is consumed here, inside the retry and whatever cassette is active.
        return retrying(lambda: list(api.list_daily_papers(date=day.isoformat(), limit=PAGE_SIZE, p=page)))
    except HfHubHTTPError as err:
        status = err.response.status_code if err.response is not None else "error"
        raise HubError(f"the Hub's daily papers at {where} answered HTTP {status} for {day.isoformat()}"
                       f"{_tries(settings, status)}") from None
    except httpx2.TimeoutException:
        raise HubError(f"the Hub's daily papers at {where} did not answer within {settings.hub_timeout:g} s "
                       f"({settings.hub_attempts} attempts)") from None
    except (httpx2.HTTPError, ConnectionError) as err:  # connection refused, DNS, TLS
        raise HubError(f"cannot reach the Hub's daily papers at {where}: {_first_line(err)}") from None
    except (ValueError, TypeError, AttributeError, KeyError):  # not JSON, or not a list of papers
        raise HubError(f"the Hub's daily papers at {where} answered something that is not a listing of "
                       f"papers for {day.isoformat()}") from None


def _add(listing: Listing, item) -> None:
    try:
        arxiv_id = parse_id(str(item.id))
    except InvalidIdError:  # an id the Hub has that arXiv cannot resolve: nothing to summarise
        listing.not_arxiv.append(str(item.id))
        return
    authors = [
        HubAuthor(name=_clean(author.name), username=_clean(author.user.username) or None if author.user else None)
        for author in item.authors or []
        if _clean(getattr(author, "name", ""))
    ]
    upvotes = item.upvotes if isinstance(item.upvotes, int) else 0  # the client turns 0 into None
    listing.papers.append(HubPaper(arxiv_id, _clean(item.title), HubInfo(upvotes=upvotes, authors=authors)))


def _clean(text: object) -> str:
    """Hub titles and names can carry line breaks and indentation: one space between words."""
    return " ".join(str(text or "").split())


def _with_deadline(seconds: float) -> None:
    """huggingface_hub's shared client has no timeout, and httpx's timeouts are per read: a listing dripping a byte
    at a time would never end. Through the documented factory, the next shared client (set_client_factory closes
    the one before it, so each run's own timeout holds) gets the timeout per read and, by a response hook, one
    deadline for the body of each answer. Its transport stays httpx2's own: proxies from the environment, and
    vcrpy's patching for --cassette."""
    import httpx2
    from huggingface_hub import set_client_factory

    class Before(httpx2.SyncByteStream):
        """The body as it comes, until the deadline: then httpx2's own ReadTimeout, and the connection closed."""

        def __init__(self, body: httpx2.SyncByteStream, deadline: float):
            self.body, self.deadline = body, deadline

        def __iter__(self):
            for chunk in self.body:
                if time.monotonic() > self.deadline:
                    raise httpx2.ReadTimeout(f"no complete answer within {seconds:g} s")
                yield chunk

        def close(self) -> None:
            self.body.close()

    def deadline(response: httpx2.Response) -> None:  # response hooks run once the headers are in, before the body
        # a sync client's answers have a sync stream
        response.stream = Before(cast(httpx2.SyncByteStream, response.stream), time.monotonic() + seconds)

    set_client_factory(lambda: httpx2.Client(timeout=seconds, follow_redirects=True,
                                             event_hooks={"response": [deadline]}))


def _is_transient(err: BaseException) -> bool:
    import httpx2
    from huggingface_hub.errors import HfHubHTTPError

    if isinstance(err, HfHubHTTPError):
        status = err.response.status_code if err.response is not None else 0
        return status == 429 or status >= 500
    return isinstance(err, httpx2.TransportError)


def _reason(err: BaseException | None) -> str:
    response = getattr(err, "response", None)
    return f"HTTP {response.status_code}" if response is not None else in_our_words(err) if err else "no answer"


def _tries(settings: Settings, status: object) -> str:
    if isinstance(status, int) and (status == 429 or status >= 500):
        return f" ({settings.hub_attempts} attempts); try again later"
    return ""


def _first_line(err: BaseException) -> str:
    text = str(err)
    return text.splitlines()[0] if text.strip() else in_our_words(err)
