"""requests as arXiv and its PDFs are asked through it: one deadline for each whole answer, a size cap, and a
failed request in one line."""

from __future__ import annotations

import io
import time

import requests
import urllib3
from requests.adapters import HTTPAdapter

from authoring.errors import in_our_words
from authoring.redact import redact_text

MAX_ANSWER_BYTES = 256 * 1024 * 1024  # a PDF is at most tens of MB, a feed of 100 abstracts far less


class DeadlineAdapter(HTTPAdapter):
    """requests' documented way to give a session's requests a default timeout: a mounted adapter whose send() fills
    it in. That timeout is per read (a server trickling a byte a second never trips it), so send() also reads the
    body against one deadline for the whole answer, then gives requests those bytes as the response's `raw`, from
    which it reads `.content` as usual."""

    def __init__(self, seconds: float):
        super().__init__()
        self.seconds = seconds

    def send(self, request, stream=False, timeout=None, **kwargs):  # type: ignore[override]
        deadline = time.monotonic() + self.seconds
        response = super().send(request, stream=True, timeout=self.seconds if timeout is None else timeout, **kwargs)
        if stream:
            return response
        try:
            body = _read_before(response, deadline, self.seconds)
        except BaseException:
            response.close()
            raise
        response.raw.release_conn()
        response.raw = urllib3.HTTPResponse(body=io.BytesIO(body), preload_content=False)
        return response


def mount(session: requests.Session, adapter: DeadlineAdapter) -> requests.Session:
    """`session` with `adapter` for both schemes."""
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def _read_before(response: requests.Response, deadline: float, seconds: float) -> bytes:
    """The whole body, read as it arrives; requests' exceptions for timeouts and broken connections."""
    chunks, size = [], 0
    response.raw.decode_content = True  # gzip is undone as requests would (set, not passed: vcrpy's replay wants it so)
    try:
        while chunk := response.raw.read1(65536):
            chunks.append(chunk)
            size += len(chunk)
            if size > MAX_ANSWER_BYTES:
                raise requests.exceptions.ContentDecodingError(
                    f"the answer is larger than {MAX_ANSWER_BYTES // 1024 // 1024} MB", response=response)
            if time.monotonic() > deadline:
                raise requests.exceptions.ReadTimeout(f"no complete answer within {seconds:g} s", response=response)
    except requests.RequestException:
        raise
    except urllib3.exceptions.ReadTimeoutError as err:
        raise requests.exceptions.ReadTimeout(err, response=response) from None
    except urllib3.exceptions.DecodeError as err:
        raise requests.exceptions.ContentDecodingError(err, response=response) from None
    except (urllib3.exceptions.HTTPError, OSError) as err:
        raise requests.exceptions.ConnectionError(err, response=response) from None
    return b"".join(chunks)


def first_line(err: BaseException) -> str:
    """The first line of the error at the root of `err`, secrets redacted."""
    root = err
    while (parent := root.__cause__ or root.__context__) is not None:
        root = parent
    return redact_text(str(root).splitlines()[0]) if str(root).strip() else in_our_words(root)
