"""arXiv PDFs for --source pdf: the version that was read, at arXiv's pace, with the deadline and the retry policy
of the API requests."""

from __future__ import annotations

import threading
import time

import requests

from authoring.config import Settings
from authoring.errors import ArxivError, in_our_words, passes_through
from authoring.models import Paper
from authoring.redact import redact_url
from authoring.sources.requesting import DeadlineAdapter, first_line, mount
from authoring.sources.retrying import backoff


class PdfFetcher:
    """Downloads arXiv PDFs for one run: one requests session with timeouts, arXiv's spacing between downloads
    (they may be asked for from several threads), the same retry policy as the API."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.session = mount(requests.Session(), DeadlineAdapter(settings.arxiv_timeout))
        self._lock = threading.Lock()
        self._last = 0.0

    def download(self, paper: Paper) -> bytes:
        """The PDF of the version that was read; ArxivError if it cannot be had."""
        name = f"{paper.id}v{paper.version}" if paper.version else paper.id
        url = f"{self.settings.arxiv_pdf_url.rstrip('/')}/{name}"
        retrying = backoff(_is_transient_download, attempts=self.settings.arxiv_attempts,
                           base_delay=self.settings.retry_base_delay)
        shown = redact_url(url)
        try:
            response = retrying(lambda: self._get(url))
            return response.content
        except requests.HTTPError as err:
            raise ArxivError(f"PDF download answered HTTP {err.response.status_code} ({shown})") from None
        except requests.Timeout:
            seconds = self.settings.arxiv_timeout
            raise ArxivError(f"PDF download did not answer within {seconds:g} s ({shown})") from None
        except requests.ConnectionError as err:
            raise ArxivError(f"cannot download {shown}: {first_line(err)}") from None
        except Exception as err:
            if passes_through(err):
                raise
            raise ArxivError(f"PDF download failed ({shown}): {in_our_words(err, first_line(err))}") from err

    def _get(self, url: str) -> requests.Response:
        with self._lock:  # pace downloads like API requests
            wait = self._last + self.settings.arxiv_delay_seconds - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._last = time.monotonic()
        response = self.session.get(url, headers={"user-agent": "digest-authoring (arXiv PDF for a paper digest)"})
        response.raise_for_status()
        return response


def _is_transient_download(err: BaseException) -> bool:
    if isinstance(err, requests.HTTPError):
        return err.response is not None and (err.response.status_code == 429 or err.response.status_code >= 500)
    return isinstance(err, requests.Timeout | requests.ConnectionError)
