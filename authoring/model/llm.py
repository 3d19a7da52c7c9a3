"""Chat messages -> Summary + usage through the `openai` SDK (OpenAI or any OpenAI-compatible server).
The only module importing `openai`. The SDK's client owns transport retries, proxies and pooling; this module
keeps what the SDK does not promise, where the call is made: a deadline for each whole answer, a size cap, and a
separate budget for answers that do not fit the schema."""

from __future__ import annotations

import email.utils
import functools
import ipaddress
import json
import math
import socket
import threading
import time
import urllib.request
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx2
import openai
import pydantic

from authoring.config import DEFAULT_BASE_URL, Settings, check_credentials
from authoring.errors import ConfigError, ModelError, in_our_words, passes_through
from authoring.models import DROP_MARKERS, Summary, Usage
from authoring.redact import redact_text, redact_url, scrub

LOCAL_PLACEHOLDER_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key, but the SDK wants one
# The SDK honours Retry-After up to 120 s and gives up on a longer one; a longer one is brought down to 120 s, so
# the paper waits 120 s and is asked again (one retry loop: the SDK's).
MAX_RETRY_AFTER = 120
# A refused connection or an unknown host is retried once, then the server counts as unreachable and the run
# stops: every other paper would wait out the same retries for nothing.
CONNECT_ATTEMPTS = 2
MAX_CONNECT_TIMEOUT = 10.0
MAX_ANSWER_BYTES = 16 * 1024 * 1024  # a summary is a few kB; a chat UI's page or an error dump is far less than this
_DECODERS = {"gzip": 31, "x-gzip": 31, "deflate": 15}  # zlib window bits: gzip header, zlib header
_T = TypeVar("_T")
# The call the current thread makes (each one runs in its own worker thread: _Call), seen by the client's hooks.
_current = threading.local()


class FatalModelError(ModelError):
    """A failure no other paper would escape either (bad key, unknown model, wrong endpoint, unreachable server)."""


class ServerWatch:
    """What a run's calls learn about the model server, shared by them. A failure that stops the run (a rejected
    key, a redirect, a silent server): no call starts after it, so a freed worker does not send the next queued
    paper. And the papers whose attempts timed out since the server last answered anything (an error status counts
    as an answer): a server that accepts connections and never answers would otherwise cost every paper
    model_timeout x model_attempts (12 minutes a paper at the defaults). Papers the server is only slow on fail
    alone after their attempts (at most `concurrency` of them are in flight at once); once papers that started
    after those gave up time out too, more than concurrency + 1 papers in a row with no answer in between, the run
    stops: at the defaults after about one paper's attempts and one more deadline."""

    def __init__(self, settings: Settings):
        self.limit = settings.concurrency + 1
        self.papers: set[str] = set()
        self.stopped: FatalModelError | None = None
        self._lock = threading.Lock()

    def stop(self, error: FatalModelError) -> None:
        with self._lock:
            self.stopped = self.stopped or error

    def check(self, settings: Settings) -> None:
        """Raise what stopped the run, if anything has: before a call, so none is sent after the stop."""
        if self.stopped is None and self.silent:
            self.stop(self.error(settings))
        if self.stopped is not None:
            raise type(self.stopped)(str(self.stopped))

    def timed_out(self, paper: str) -> None:
        """An attempt for `paper` got no answer: it timed out, or the connection dropped before one came."""
        with self._lock:
            self.papers.add(paper)

    def answered(self) -> None:
        with self._lock:
            self.papers.clear()

    @property
    def silent(self) -> bool:
        return len(self.papers) > self.limit

    def error(self, settings: Settings) -> FatalModelError:
        return FatalModelError(
            f"{_where(settings)} gave no complete answer for {len(self.papers)} papers in a row (more than "
            f"--concurrency + 1; each timed out after {settings.model_timeout:g} s or lost its connection) and "
            "answered nothing in between: it accepts connections but completes no answer. Check the server (and "
            "any proxy), or raise model_timeout (digest.toml) if it is only slow"
        )


@dataclass
class Generation:
    """One successful answer: the summary, the tokens it cost, the model that answered and when."""

    summary: Summary
    usage: Usage
    model: str
    created: int | None


def make_client(settings: Settings) -> openai.OpenAI:
    """The SDK's client as it documents it: its transport (proxies from the environment, pooling) and its retries
    (429/5xx/408/409 honouring Retry-After, timeouts, connection errors) on the model_attempts budget. No redirect
    is followed (an answer is never elsewhere) and a server on this machine is reached directly. Its hooks tell
    `summarise` when each attempt starts and answers, so it can hold the attempt to its deadline."""
    check_credentials(settings)
    base = urlsplit(_base_url(settings))
    try:
        http_client = openai.DefaultHttpxClient(
            timeout=_timeout(settings), follow_redirects=False, mounts=_direct(base.hostname),
            event_hooks={"request": [_attempt_starts], "response": [functools.partial(_headers_came, settings)]})
    except (ValueError, ImportError, httpx2.InvalidURL) as err:  # a proxy variable httpx cannot use
        raise ConfigError(f"a proxy variable (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY) cannot be used: "
                          f"{_one_line(redact_text(str(err)))}") from None
    return openai.OpenAI(
        api_key=settings.api_key.get_secret_value() if settings.api_key else LOCAL_PLACEHOLDER_KEY,
        # never None: the SDK would read OPENAI_BASE_URL itself, even an empty one; a query (Azure's api-version)
        # goes on every request, not in the middle of the path
        base_url=urlunsplit(base._replace(query="", fragment="")),
        default_query=dict(parse_qsl(base.query, keep_blank_values=True)) or None,
        max_retries=settings.model_attempts - 1,
        timeout=_timeout(settings),
        default_headers={"Accept-Encoding": "identity"},  # answers are small; a compressed one is checked anyway
        http_client=http_client,
    )


def _direct(host: str | None) -> dict[str, None]:
    """httpx's routing (`mounts`) for a server on this machine's loopback: direct, whatever the proxy variables
    say, since no proxy can reach it."""
    if not host or not _loopback(host):
        return {}
    return {f"all://[{host}]" if ":" in host else f"all://{host}": None}


def _loopback(host: str) -> bool:
    """This machine, however it is spelt: localhost, 127.1, ::1, ::ffff:127.0.0.1, 0.0.0.0."""
    host = host.lower().rstrip(".")
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        try:
            address = ipaddress.ip_address(socket.inet_aton(host))  # the IPv4 shorthands: 127.1, 2130706433
        except OSError:
            return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or address.is_unspecified or bool(mapped and mapped.is_loopback)


def _environment_proxy(settings: Settings) -> str | None:
    """The proxy the environment names for the model server, as httpx picks it (for messages only)."""
    url = urlsplit(_base_url(settings))
    proxies = urllib.request.getproxies_environment()
    # proxy_bypass_environment is in urllib.request (undocumented, since 3.x) but not in typeshed's stubs
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if _loopback(url.hostname or "") or bypass(url.hostname or "", proxies):
        return None
    proxy = proxies.get(url.scheme.lower()) or proxies.get("all")
    return proxy if proxy is None or "://" in proxy else f"http://{proxy}"


def _base_url(settings: Settings) -> str:
    return settings.base_url or DEFAULT_BASE_URL


def _timeout(settings: Settings) -> httpx2.Timeout:
    return httpx2.Timeout(settings.model_timeout, connect=min(settings.model_timeout, MAX_CONNECT_TIMEOUT))


def _attempt_starts(request: httpx2.Request) -> None:
    """The client's request hook: every attempt, the SDK's retries included."""
    call = getattr(_current, "call", None)
    if call is not None:
        call.starts(request)


def _headers_came(settings: Settings, response: httpx2.Response) -> None:
    """The client's response hook: every answer's headers, before its body is read."""
    call = getattr(_current, "call", None)
    if response.status_code >= 400:  # the SDK reads an error's body itself, whole: checked before it does
        encoding = response.headers.get("content-encoding", "identity").strip().lower()
        if encoding not in ("", "identity"):
            raise _Rejected(f"the answer came in an encoding that was not asked for ({encoding})")
        length = response.headers.get("content-length", "")
        if length.isdigit() and int(length) > MAX_ANSWER_BYTES:
            raise _Rejected(f"the answer is larger than {MAX_ANSWER_BYTES // 1024 // 1024} MB")
        _fit_retry_after(response.headers, settings)
        if response.status_code == 429 and _quota_exhausted(response):
            response.headers["x-should-retry"] = "false"  # the SDK's own switch: waiting does not cure a quota
    if call is not None:
        call.answered(response)


def _quota_exhausted(response: httpx2.Response) -> bool:
    """A 429 whose error code says the account's quota is used up (the body is small: read here, as httpx's
    event-hook documentation does, and read again by the SDK from memory)."""
    try:
        error = json.loads(response.read()).get("error")
    except (ValueError, AttributeError, httpx2.HTTPError):
        return False
    return isinstance(error, dict) and error.get("code") == "insufficient_quota"


def _fit_retry_after(headers: httpx2.Headers, settings: Settings) -> None:
    """The wait before the SDK's retry as the settings want it: none at retry_base_delay 0 (cassette replay,
    tests), and a Retry-After beyond 120 s (where the SDK would give up) brought down to 120 s."""
    if settings.retry_base_delay <= 0:
        headers["retry-after-ms"] = "1"
    elif _asks_longer(headers, MAX_RETRY_AFTER):
        headers["retry-after-ms"] = str(MAX_RETRY_AFTER * 1000)  # the SDK reads retry-after-ms first


def _asks_longer(headers: httpx2.Headers, seconds: float) -> bool:
    for name, unit in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        try:
            return float(headers[name]) * unit > seconds
        except (KeyError, ValueError):
            continue
    try:
        return email.utils.parsedate_to_datetime(headers.get("retry-after", "")).timestamp() - time.time() > seconds
    except (TypeError, ValueError, OverflowError):
        return False


OnRetry = Callable[[str], None]


def summarise(
    client: openai.OpenAI,
    messages: list[dict[str, str]],
    settings: Settings,
    *,
    on_retry: OnRetry | None = None,
    watch: ServerWatch | None = None,
    paper: str = "",
) -> Generation:
    """Ask for a structured summary; HTTP failures (the SDK's retries) and invalid output are retried on separate
    budgets. `on_retry` hears a short reason before each retry (for progress displays); `watch`, shared by a run's
    calls, keeps any call from starting after one stopped the run, and turns a server that answers none of them
    into a FatalModelError (`paper`, this call's paper id, is what it counts). Raises only ModelError (this paper
    failed) or FatalModelError (no paper can succeed), whatever the SDK or the server throws."""
    if watch is not None:
        watch.check(settings)  # the run is stopping: no paid call for nothing
    try:
        return _summarise(client, messages, settings, on_retry, watch, paper)
    except ModelError as err:
        scrubbed = _scrubbed(err, settings)
        if watch is not None and isinstance(scrubbed, FatalModelError):
            watch.stop(scrubbed)
        raise scrubbed from None
    except Exception as err:
        if passes_through(err):
            raise
        raise _scrubbed(ModelError(f"{_where(settings)} answered something unusable ({_describe(err)})"),
                        settings) from err


def _scrubbed(err: ModelError, settings: Settings) -> ModelError:
    """The error with the key and URL credentials taken out, should a server have echoed them back."""
    text = scrub(str(err), _secrets(settings))
    return err if text == str(err) else type(err)(text)


def _secrets(settings: Settings) -> list[str]:
    return settings.secrets()


def _summarise(
    client: openai.OpenAI,
    messages: list[dict[str, str]],
    settings: Settings,
    on_retry: OnRetry | None,
    watch: ServerWatch | None = None,
    paper: str = "",
) -> Generation:
    request = request_body(messages, settings)
    problem = ""
    for attempt in range(1, settings.output_attempts + 1):
        again = attempt < settings.output_attempts
        try:
            response, body = _Attempts(settings, on_retry, watch, paper).ask(client, request)
            return read_completion(_completion(response, body, settings), settings)
        except _UnusableOutput as unusable:
            problem = str(unusable)
            _notify(on_retry if again else None, unusable.reason)
        except (openai.OpenAIError, _Late) as err:
            raise _failure(err, settings, watch) from None
    raise ModelError(f"{problem} ({settings.output_attempts} attempts)")


class _Late(Exception):
    """An attempt that got no complete answer by its deadline."""


class _Rejected(openai.OpenAIError):
    """An answer no retry would make usable (too large, or in an encoding not asked for): the SDK passes an
    OpenAIError raised in its client's hooks on without retrying."""


class _Unreachable(openai.OpenAIError):
    """The server refused the connection (or is not there) CONNECT_ATTEMPTS times: no further attempt."""

    def __init__(self, cause: BaseException | None):
        super().__init__(str(cause))
        self.cause = cause


class _Stopped(openai.OpenAIError):
    """No further attempt: the run is stopping, or the caller gave up on this call."""


class _Attempts:
    """One request's HTTP attempts, the SDK's retries and the deadline's together: model_attempts in all,
    CONNECT_ATTEMPTS when the server is not there. `on_retry` hears why each retry happens; `watch` hears which
    attempts got no answer."""

    def __init__(self, settings: Settings, on_retry: OnRetry | None, watch: ServerWatch | None, paper: str):
        self.settings, self.on_retry, self.watch, self.paper = settings, on_retry, watch, paper
        self.sent = 0
        self.refused: list[BaseException] = []

    def ask(self, client: openai.OpenAI, request: dict[str, Any]) -> tuple[httpx2.Response, bytes]:
        """The answer's response and body; an attempt past its deadline is given up and, budget allowing, the
        request is sent again (the SDK never saw that attempt fail: its read timeouts are per read)."""
        while True:
            left = self.settings.model_attempts - self.sent
            sdk = client if left == self.settings.model_attempts else client.with_options(max_retries=left - 1)
            try:
                return _Call(self).run(sdk, request)
            except _Late:
                if self.sent >= self.settings.model_attempts or (self.watch is not None and self.watch.silent):
                    raise
                _notify(self.on_retry, "a timeout")

    def ended(self, answered: bool, refused: BaseException | None) -> None:
        """An attempt ended: with a whole answer, refused (the server is not there), or with no answer."""
        if refused is not None:
            self.refused.append(refused)
        elif self.watch is not None and answered:
            self.watch.answered()
        elif self.watch is not None:
            self.watch.timed_out(self.paper)


class _Call:
    """One SDK call (its retries included) made in a worker thread, so that the caller can hold each attempt to
    its deadline, headers included: httpx's timeouts are per read, and a server trickling a byte a second never
    trips them. A call given up on sends nothing more (its hooks refuse) and its late answer is dropped."""

    def __init__(self, attempts: _Attempts):
        self.attempts = attempts
        self.deadline = math.inf  # of the attempt in flight; none while the SDK waits to retry
        self.open = False  # an attempt was sent and not yet counted
        self.headers = False  # the attempt got its headers
        self.why = ""  # why it failed, should the SDK retry it
        self.refused: BaseException | None = None
        self.given_up = False
        self.outcome: tuple[Any, BaseException | None] | None = None
        self.changed = threading.Condition()

    def run(self, client: openai.OpenAI, request: dict[str, Any]) -> tuple[httpx2.Response, bytes]:
        threading.Thread(target=self._work, args=(client, request), name="digest-model-call", daemon=True).start()
        with self.changed:
            while self.outcome is None:
                left = self.deadline - time.monotonic()
                if left <= 0:
                    self.given_up = True
                    self._count(answered=False)
                    raise _Late()
                self.changed.wait(None if left == math.inf else left)
            result, error = self.outcome
        if error is not None:
            raise error
        return result

    def _work(self, client: openai.OpenAI, request: dict[str, Any]) -> None:
        _current.call = self
        result, error = None, None
        try:
            with client.chat.completions.with_streaming_response.create(**request) as response:
                result = (response.http_response, _read_answer(response.http_response, self))
        except BaseException as err:  # handed to the caller's thread
            error = err
        with self.changed:
            if not self.given_up:
                self._count(answered=self.headers and not isinstance(error, _Late | httpx2.TransportError))
            self.outcome = (result, error)
            self.changed.notify_all()

    def _count(self, answered: bool) -> None:
        if self.open:
            self.open = False
            self.attempts.ended(answered, None if answered else self.refused)

    def starts(self, request: httpx2.Request) -> None:
        """An attempt is about to be sent (the first, or one of the SDK's retries)."""
        attempts = self.attempts
        with self.changed:
            if self.given_up:
                raise _Stopped("given up")
            if self.open:  # the SDK retries what the previous attempt got
                self._count(answered=self.headers)
                if len(attempts.refused) >= CONNECT_ATTEMPTS:
                    raise _Unreachable(attempts.refused[-1])
                if attempts.watch is not None and attempts.watch.silent:
                    raise _Stopped("the server answers nothing")
                _notify(attempts.on_retry, self.why)
            attempts.sent += 1
            self.open, self.headers, self.why, self.refused = True, False, "a broken connection", None
            self.deadline = time.monotonic() + attempts.settings.model_timeout
            self.changed.notify_all()
        request.extensions["trace"] = self._trace  # httpcore's documented trace extension

    def answered(self, response: httpx2.Response) -> None:
        """The attempt's headers came; an error's body is read here, under the deadline, and then the attempt is
        over: the SDK waits to retry it, or gives up."""
        with self.changed:
            self.headers, self.why = True, f"HTTP {response.status_code}"
        if response.status_code >= 400:
            response.read()  # (cached: the SDK reads it again from memory)
            self._over()

    def _over(self) -> None:
        with self.changed:
            self.deadline = math.inf
            self.changed.notify_all()

    def check(self) -> None:
        """Raise _Late when the attempt's deadline has passed while its body is read."""
        if self.given_up or time.monotonic() > self.deadline:
            raise _Late()

    def _trace(self, event: str, info: dict[str, Any]) -> None:
        if event in ("connection.connect_tcp.failed", "connection.start_tls.failed"):
            self.refused, self.why = info.get("exception"), "a failed connection"
        if event.endswith(".failed"):  # the attempt is over, with no answer: the SDK waits to retry it, or not
            self._over()


def _read_answer(response: httpx2.Response, call: _Call) -> bytes:
    """An answer's body read against its attempt's deadline, decoded under the size cap (a small gzip body must
    not become gigabytes)."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding not in ("", "identity", *_DECODERS):
        raise _Rejected(f"the answer came in an encoding that was not asked for ({encoding})")
    decoder = zlib.decompressobj(_DECODERS[encoding]) if encoding in _DECODERS else None
    body = bytearray()
    for chunk in response.iter_raw():
        call.check()
        for piece in [chunk] if decoder is None else _decoded(decoder, chunk, MAX_ANSWER_BYTES - len(body)):
            body += piece
            if len(body) > MAX_ANSWER_BYTES:
                raise _Rejected(f"the answer is larger than {MAX_ANSWER_BYTES // 1024 // 1024} MB")
    call.check()
    return bytes(body)


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
        raise _Rejected(f"the answer's compressed body is corrupt ({err})") from None


class _UnusableOutput(ModelError):
    """An answer that came but cannot be used (cut off, empty, not in the summary's format): asked for again on the
    output budget (output_attempts), apart from the HTTP retries."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason


def _notify(on_retry: OnRetry | None, reason: str) -> None:
    if on_retry is not None:
        on_retry(reason)


@functools.cache
def response_format() -> dict[str, Any]:
    """The strict json_schema response format for Summary (Structured Outputs), built once per process and sent by
    every request, sync and batch alike (the SDK's parse() would rebuild it for each call). Not to be changed."""
    from openai.lib import type_to_response_format_param

    param = type_to_response_format_param(Summary)
    assert isinstance(param, dict)  # a model class gives its json_schema format, never Omit
    return dict(param)


def request_body(messages: list[dict[str, str]], settings: Settings) -> dict[str, Any]:
    """The /v1/chat/completions body of one summary request: what `summarise` sends, and a batch line carries."""
    body: dict[str, Any] = {"model": settings.model, "messages": messages, "response_format": response_format()}
    if settings.temperature is not None:
        body["temperature"] = settings.temperature  # only when asked: some reasoning models reject it
    return body


def generation_from_body(body: dict[str, Any], settings: Settings) -> Generation:
    """A chat.completion body (as the Batch API returns it) -> Generation, with the checks `summarise` makes."""
    try:
        completion = openai.types.chat.ChatCompletion.model_validate(body)
    except pydantic.ValidationError:
        raise ModelError("the batch returned something that is not a chat completion") from None
    return read_completion(completion, settings)


def read_completion(completion: Any, settings: Settings) -> Generation:
    """The summary in a chat completion, checked as Structured Outputs are: a cut-off, empty or malformed answer is
    an _UnusableOutput (worth asking again); a content-filter stop or a refusal is this paper's ModelError."""
    choice = _first_choice(completion, settings)
    if choice.finish_reason == "length":
        raise _UnusableOutput("the model's answer was cut off (it reached its token limit)", "truncated answer")
    if choice.finish_reason == "content_filter":
        raise ModelError("the model's content filter stopped the answer")
    if choice.message.refusal:
        raise ModelError(f"the model refused: {_one_line(choice.message.refusal)}")
    if not (choice.message.content or "").strip():
        raise _UnusableOutput("the model's answer was empty", "empty answer")
    try:
        summary = Summary.model_validate_json(choice.message.content, context={DROP_MARKERS: True})
    except pydantic.ValidationError as err:
        raise _UnusableOutput(f"the model's answer did not fit the summary format ({_first_error(err)})",
                              "invalid structured output") from None
    return _generation(_without_secrets(summary, settings), completion, settings)


def _without_secrets(summary: Summary, settings: Settings) -> Summary:
    """The summary with the key and any configured credential taken out, should the server have echoed one into
    its answer (it would be written to DATE.json and DATE.md, and published)."""
    secrets = _secrets(settings)
    if not secrets:
        return summary
    return summary.model_copy(update={
        "objective": scrub(summary.objective, secrets), "method": scrub(summary.method, secrets),
        "result": scrub(summary.result, secrets), "implication": scrub(summary.implication, secrets),
        "questions": [scrub(question, secrets) for question in summary.questions],
    })


def _completion(response: httpx2.Response, body: bytes, settings: Settings) -> Any:
    """The chat completion in an answer's body, built as leniently as the SDK builds one; a body that is not one
    (an HTML page from a chat UI at the wrong path, plain text, a JSON list) is this paper's ModelError, named by
    what it was."""
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
        raise ModelError(f"{_where(settings)} answered {_describe_raw(response, body)}, not a chat completion; "
                         "check --base-url")
    return openai.types.chat.ChatCompletion.construct(**data)


def _describe_raw(response: httpx2.Response, body: bytes) -> str:
    kind = str(response.headers.get("content-type") or "no content type").split(";")[0]
    text = body[:2000].decode("utf-8", "replace")  # enough to describe it; never the whole of a huge body
    what = "an HTML page" if "html" in kind or text.lstrip()[:1] == "<" else f"a body of type {kind}"
    return f"{what} ({_one_line(redact_text(text), 60)!r})" if text.strip() else what


def _first_choice(completion: Any, settings: Settings) -> Any:
    """The first choice of a chat completion; ModelError when the answer is not one (an HTML page, no choices)."""
    choices = getattr(completion, "choices", None)
    if not isinstance(choices, list):
        raise ModelError(f"{_where(settings)} answered something that is not a chat completion "
                         f"({_describe_body(completion)}); check --base-url")
    if not choices:
        raise ModelError(f"{_where(settings)} answered a chat completion without any choice")
    if getattr(choices[0], "message", None) is None:
        raise ModelError(f"{_where(settings)} answered a chat completion whose choice has no message")
    return choices[0]


def _generation(summary: Summary, completion: Any, settings: Settings) -> Generation:
    usage = getattr(completion, "usage", None)
    prompt, completion_tokens = _count(usage, "prompt_tokens"), _count(usage, "completion_tokens")
    total = _count(usage, "total_tokens") or prompt + completion_tokens
    model = getattr(completion, "model", None)
    return Generation(
        summary=summary,
        usage=Usage(prompt_tokens=prompt, completion_tokens=completion_tokens, total_tokens=total),
        model=model if isinstance(model, str) and model.strip() else settings.model,
        created=_created(getattr(completion, "created", None)),
    )


def _count(usage: Any, name: str) -> int:
    """A token count; a missing, null or nonsensical one counts as 0."""
    value = getattr(usage, name, None)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _created(value: Any) -> int | None:
    """The server's `created` stamp in seconds; milliseconds are converted, anything implausible is dropped."""
    if not isinstance(value, int | float) or isinstance(value, bool) or not math.isfinite(value) or value <= 0:
        return None
    seconds = int(value)
    if seconds > 10**11:  # milliseconds (some compatible servers)
        seconds //= 1000
    return seconds if seconds < 10**11 else None


def call(settings: Settings, request: Callable[[], _T]) -> _T:
    """Any other API call (files, batches), retried by the SDK, its failures as ModelError."""
    try:
        return request()
    except openai.OpenAIError as err:
        raise _scrubbed(_failure(err, settings), settings) from None


def _failure(err: BaseException, settings: Settings, watch: ServerWatch | None = None) -> ModelError:
    """What a failed call means for this paper (ModelError) or for the run (FatalModelError)."""
    if isinstance(err, _Late | _Stopped) and watch is not None and watch.silent:
        return watch.error(settings)
    if isinstance(err, _Late):
        return ModelError(f"{_where(settings)} did not answer within {settings.model_timeout:g} s "
                          f"({settings.model_attempts} attempts)")
    if isinstance(err, _Rejected):
        return ModelError(f"{_where(settings)}: {err}")
    if isinstance(err, _Unreachable):
        return _unreachable_error(err.cause or err, settings)
    if isinstance(err, openai.APIStatusError):
        return _status_error(err, settings)
    if isinstance(err, openai.APIConnectionError):
        return _connection_error(err, settings, watch)
    return ModelError(f"{_where(settings)} answered something unusable ({_describe(err)})")


def _where(settings: Settings) -> str:
    """The model server's address as the user may see it: no credentials."""
    return redact_url(settings.base_url) if settings.base_url else "api.openai.com"


def _status_error(err: openai.APIStatusError, settings: Settings) -> ModelError:
    detail = _api_message(err)
    where = _where(settings)
    if err.status_code == 401:
        return FatalModelError(f"{where} rejected the API key (HTTP 401); check OPENAI_API_KEY")
    if err.status_code == 403:
        return FatalModelError(f"{where} refused access (HTTP 403): {detail}")
    if err.status_code == 404:
        return FatalModelError(
            f"{where} answered HTTP 404 for model {settings.model!r}: {detail} "
            "(check --model, and that --base-url ends in /v1 or the server's OpenAI path)"
        )
    if err.status_code == 407:
        proxy = redact_url(_environment_proxy(settings)) or "between here and the server"
        return FatalModelError(f"the proxy {proxy} wants credentials (HTTP 407) for {where}; put them in its "
                               "address (http://user:password@host:port in HTTPS_PROXY or HTTP_PROXY)")
    if _api_field(err, "code") == "insufficient_quota":
        return FatalModelError(f"{where} refused the call: the account's quota is exhausted (HTTP {err.status_code} "
                               "insufficient_quota); add credit or raise the limit in the account's billing settings")
    param = _api_field(err, "param")
    if err.status_code == 400 and isinstance(param, str) and param and not param.startswith(("messages", "input")):
        fix = ("drop --temperature (this model accepts only its default)" if param == "temperature"
               else "check --model and the options that set it")
        return FatalModelError(f"{where} rejected the parameter {param!r} for model {settings.model!r} (HTTP 400): "
                               f"{detail.rstrip('.')}; {fix}")
    if 300 <= err.status_code < 400:  # not followed: every paper would get the same
        location = _one_line(redact_text(redact_url(str(err.response.headers.get("location") or "nowhere")[:500])),
                             200)
        return FatalModelError(f"{where} redirects (HTTP {err.status_code}) to {location}; redirects are not "
                               "followed: set --base-url to the server's own address")
    return ModelError(f"model server answered HTTP {err.status_code}: {detail}")


def _describe(err: BaseException) -> str:
    if isinstance(err, pydantic.ValidationError):
        return f"the answer does not have the expected fields: {_first_error(err)}"
    return in_our_words(err, _one_line(redact_text(str(err)[:2000]), 200))


def _describe_body(value: Any) -> str:
    return f"a {type(value).__name__}"


def _api_field(err: openai.APIStatusError, name: str) -> object:
    """A field of the server's error object (`code`, `param`), whether the body is the object or wraps it."""
    body = err.body
    inner = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), dict) else body
    return inner.get(name) if isinstance(inner, dict) else None


def _api_message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        error = body.get("error")
        inner = error if isinstance(error, dict) else body
        if inner.get("message"):
            return _one_line(redact_text(str(inner["message"])[:2000]))
    return _one_line(redact_text(str(err.message)[:2000]))


def _connection_error(err: openai.APIConnectionError, settings: Settings,
                      watch: ServerWatch | None = None) -> ModelError:
    """A timeout or a dropped connection fails the paper, unless the server has answered nothing for the run's
    limit of attempts; an unreachable server stops the run."""
    where = _where(settings)
    if watch is not None and watch.silent:
        return watch.error(settings)
    if isinstance(err, openai.APITimeoutError):
        return ModelError(f"{where} did not answer within {settings.model_timeout:g} s "
                          f"({settings.model_attempts} attempts)")
    if any(isinstance(cause, httpx2.ConnectError | httpx2.ConnectTimeout | httpx2.ProxyError)
           for cause in _causes(err)):
        return _unreachable_error(err, settings)
    return ModelError(f"lost the connection to {where}: {_root(err)}")


def _unreachable_error(err: BaseException, settings: Settings) -> FatalModelError:
    """A refused connection, an unknown host, a failed TLS handshake, to the server or its proxy."""
    where = _where(settings)
    if proxy := _environment_proxy(settings):
        return FatalModelError(f"cannot reach the model server at {where} through the proxy {redact_url(proxy)}: "
                               f"{_root(err)}; check HTTPS_PROXY, HTTP_PROXY and NO_PROXY")
    return FatalModelError(f"cannot reach the model server at {where}: {_root(err)}; check --base-url")


def _root(err: BaseException) -> str:
    root = list(_causes(err))[-1]
    return _one_line(redact_text((str(root).splitlines() or [""])[0]) or in_our_words(root), 200)


def _causes(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _first_error(err: pydantic.ValidationError) -> str:
    """The first thing wrong, in our words: a missing or mistyped field, or what our own validator said."""
    first = err.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "answer"
    if first.get("type") == "json_invalid":
        return "it is not valid JSON"
    said = (first.get("ctx") or {}).get("error")
    if said:  # what our own validator said (Summary's)
        return f"{where}: {said}"
    return f"{where} is missing" if first.get("type") == "missing" else f"{where} is not valid"


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
