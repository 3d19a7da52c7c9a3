"""The model client's HTTP transport (httpx2, under the openai SDK), guarded against hostile servers: one deadline
per request for the whole answer, headers included (httpx2's timeouts are per read, so a server trickling a byte
a second would never trip them), a cap on the answer's size, and compressed answers decoded under that cap (a
small gzip body must not become gigabytes)."""

from __future__ import annotations

import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import httpcore2
import httpx2

MAX_ANSWER_BYTES = 16 * 1024 * 1024  # a summary is a few kB; a chat UI's page or an error dump is far less than this
_DECODERS = {"gzip": 31, "x-gzip": 31, "deflate": 15}  # zlib window bits: gzip header, zlib header
# The deadline of the request the current thread is sending (each model call runs in its own worker thread).
_current = threading.local()


class AnswerRejected(Exception):
    """An answer no retry would make usable: too large, or in an encoding that is not accepted."""


class GuardedTransport(httpx2.BaseTransport):
    """httpx2's transport with a whole-answer deadline (the request's read timeout, from its start) and a size cap."""

    def __init__(self, limits: httpx2.Limits, *, tls: bool = True, proxy: str | None = None):
        # tls=False for a plain-http server (a local vLLM or Ollama) reached directly or through a plain-http proxy:
        # no TLS is ever spoken (redirects are not followed), so the certificate store, 20-30 ms of start-up, is not
        # loaded. `proxy`: httpx reads the proxy variables only for the transport it makes itself, not this one.
        self._inner = httpx2.HTTPTransport(limits=limits, proxy=proxy, **({} if tls else {"verify": False}))
        pool = getattr(self._inner, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is not None:  # every socket read, headers included, gets what is left of the deadline
            pool._network_backend = _DeadlineBackend(backend)

    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        seconds = (request.extensions.get("timeout") or {}).get("read") or 600.0
        deadline = _current.deadline = time.monotonic() + seconds
        response = self._inner.handle_request(request)
        encoding = response.headers.get("content-encoding", "").strip().lower()
        headers = response.headers
        if encoding and encoding != "identity":
            headers = httpx2.Headers([(k, v) for k, v in response.headers.multi_items()
                                      if k.lower() not in ("content-encoding", "content-length")])
        stream = _GuardedStream(response.stream, deadline, seconds, request, encoding)
        return httpx2.Response(response.status_code, headers=headers, stream=stream,
                               extensions=response.extensions, request=request)

    def close(self) -> None:
        self._inner.close()


class _GuardedStream(httpx2.SyncByteStream):
    def __init__(self, stream: Any, deadline: float, seconds: float, request: httpx2.Request, encoding: str):
        self._stream, self._deadline, self._seconds, self._request = stream, deadline, seconds, request
        self._encoding = encoding

    def __iter__(self) -> Iterator[bytes]:
        if self._encoding not in ("", "identity", *_DECODERS):
            raise AnswerRejected(f"the answer came in an encoding that was not asked for ({self._encoding})")
        decoder = zlib.decompressobj(_DECODERS[self._encoding]) if self._encoding in _DECODERS else None
        size = 0
        for chunk in self._stream:
            if time.monotonic() > self._deadline:
                raise httpx2.ReadTimeout(f"no complete answer within {self._seconds:g} s", request=self._request)
            pieces = [chunk] if decoder is None else _decoded(decoder, chunk, MAX_ANSWER_BYTES - size)
            for piece in pieces:
                size += len(piece)
                if size > MAX_ANSWER_BYTES:
                    raise AnswerRejected(f"the answer is larger than {MAX_ANSWER_BYTES // 1024 // 1024} MB")
                yield piece

    def close(self) -> None:
        close = getattr(self._stream, "close", None)
        if close is not None:
            close()


def _decoded(decoder: Any, chunk: bytes, room: int) -> Iterator[bytes]:
    """Decompress one chunk without ever producing much more than `room` bytes at once (a gzip bomb stops)."""
    try:
        data = decoder.decompress(chunk, max(room, 0) + 1)
        yield data
        while decoder.unconsumed_tail and len(data) <= room:
            room -= len(data)
            data = decoder.decompress(decoder.unconsumed_tail, max(room, 0) + 1)
            yield data
    except zlib.error as err:
        raise AnswerRejected(f"the answer's compressed body is corrupt ({err})") from None


class _DeadlineBackend(httpcore2.NetworkBackend):
    def __init__(self, inner: httpcore2.NetworkBackend):
        self._inner = inner

    def connect_tcp(self, *args: Any, **kwargs: Any) -> httpcore2.NetworkStream:
        return _DeadlineSocket(self._inner.connect_tcp(*args, **kwargs))

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore2.NetworkStream:
        return _DeadlineSocket(self._inner.connect_unix_socket(*args, **kwargs))

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class _DeadlineSocket(httpcore2.NetworkStream):
    """A connection whose reads wait at most until the current request's deadline."""

    def __init__(self, inner: httpcore2.NetworkStream):
        self._inner = inner

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        deadline = getattr(_current, "deadline", None)
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0:
                raise httpcore2.ReadTimeout("no complete answer within the request's deadline")
            timeout = left if timeout is None else min(timeout, left)
        return self._inner.read(max_bytes, timeout)

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, timeout)

    def close(self) -> None:
        self._inner.close()

    def start_tls(self, *args: Any, **kwargs: Any) -> httpcore2.NetworkStream:
        return _DeadlineSocket(self._inner.start_tls(*args, **kwargs))

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)
