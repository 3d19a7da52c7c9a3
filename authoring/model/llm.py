"""Chat messages -> Summary + usage through the `openai` SDK (OpenAI or any OpenAI-compatible server).
The only module importing `openai`; it owns the one retry policy for model calls."""

from __future__ import annotations

import email.utils
import functools
import math
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

import httpx2
import openai
import pydantic
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from authoring.config import DEFAULT_BASE_URL, Settings, check_credentials, model_proxy
from authoring.errors import ModelError, passes_through
from authoring.model.transport import AnswerRejected, GuardedTransport
from authoring.models import Summary, Usage
from authoring.redact import redact_text, redact_url, scrub
from authoring.startup import resume_collection

LOCAL_PLACEHOLDER_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key, but the SDK wants one
MAX_RETRY_AFTER = 120.0
# A refused connection or an unknown host is retried once, then the server counts as unreachable and the run
# stops: every other paper would wait out the same retries for nothing.
CONNECT_ATTEMPTS = 2
MAX_CONNECT_TIMEOUT = 10.0
_T = TypeVar("_T")


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
    """An SDK client whose own retries are off (`summarise` owns the retry policy), with one connection pool
    sized to the run's concurrency, reused by every call. With the SDK loaded, start-up is over: the garbage
    collector the console script paused is resumed (authoring.startup)."""
    check_credentials(settings)
    resume_collection()
    base = urlsplit(_base_url(settings))
    limits = httpx2.Limits(max_connections=settings.concurrency, max_keepalive_connections=settings.concurrency)
    return openai.OpenAI(
        api_key=settings.api_key or LOCAL_PLACEHOLDER_KEY,
        # never None: the SDK would read OPENAI_BASE_URL itself, even an empty one; a query (Azure's api-version)
        # goes on every request, not in the middle of the path
        base_url=urlunsplit(base._replace(query="", fragment="")),
        default_query=dict(parse_qsl(base.query, keep_blank_values=True)) or None,
        max_retries=0,
        timeout=_timeout(settings),
        default_headers={"Accept-Encoding": "identity"},  # answers are small; a compressed one is checked anyway
        http_client=openai.DefaultHttpxClient(transport=_transport(settings, limits), timeout=_timeout(settings),
                                              follow_redirects=False),  # an answer is never elsewhere
    )


def _transport(settings: Settings, limits: httpx2.Limits) -> GuardedTransport:
    """The guarded transport to the model server, through its proxy (config.model_proxy); TLS settings only where
    TLS is spoken, to the server or to the proxy."""
    proxy = model_proxy(settings)
    tls = urlsplit(_base_url(settings)).scheme.lower() != "http" or urlsplit(proxy or "").scheme.lower() == "https"
    return GuardedTransport(limits, tls=tls, proxy=proxy)


def _base_url(settings: Settings) -> str:
    return settings.base_url or DEFAULT_BASE_URL


def _timeout(settings: Settings) -> httpx2.Timeout:
    return httpx2.Timeout(settings.model_timeout, connect=min(settings.model_timeout, MAX_CONNECT_TIMEOUT))


OnRetry = Callable[[str], None]


def summarise(
    client: openai.OpenAI,
    messages: list[dict[str, str]],
    settings: Settings,
    *,
    on_retry: OnRetry | None = None,
    sleep: Callable[[float], None] = time.sleep,
    watch: ServerWatch | None = None,
    paper: str = "",
) -> Generation:
    """Ask for a structured summary; transient HTTP failures and invalid output are retried on separate budgets.
    `on_retry` hears a short reason before each retry (for progress displays); `watch`, shared by a run's calls,
    keeps any call from starting after one stopped the run, and turns a server that answers none of them into a
    FatalModelError (`paper`, this call's paper id, is what it counts). Raises only ModelError (this paper failed)
    or FatalModelError (no paper can succeed), whatever the SDK or the server throws."""
    if watch is not None:
        watch.check(settings)  # the run is stopping: no paid call for nothing
    try:
        return _summarise(client, messages, settings, on_retry, sleep, watch, paper)
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
    text = scrub(str(err), settings.secrets())
    return err if text == str(err) else type(err)(text)


def _summarise(
    client: openai.OpenAI,
    messages: list[dict[str, str]],
    settings: Settings,
    on_retry: OnRetry | None,
    sleep: Callable[[float], None],
    watch: ServerWatch | None = None,
    paper: str = "",
) -> Generation:
    request = request_body(messages, settings)
    problem = ""
    for attempt in range(1, settings.output_attempts + 1):
        again = attempt < settings.output_attempts
        try:
            completion = _with_transport_retries(settings, lambda: _ask(client, request, settings), on_retry, sleep,
                                                 watch, paper)
            return read_completion(completion, settings)
        except _UnusableOutput as unusable:
            problem = str(unusable)
            _notify(on_retry if again else None, unusable.reason)
        except openai.APIStatusError as err:
            raise _status_error(err, settings) from None
        except openai.APIConnectionError as err:
            raise _connection_error(err, settings, watch) from None
    raise ModelError(f"{problem} ({settings.output_attempts} attempts)")


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

    return dict(type_to_response_format_param(Summary))


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
        summary = Summary.model_validate_json(choice.message.content)
    except pydantic.ValidationError as err:
        raise _UnusableOutput(f"the model's answer did not fit the summary format ({_first_error(err)})",
                              "invalid structured output") from None
    return _generation(_without_secrets(summary, settings), completion, settings)


def _without_secrets(summary: Summary, settings: Settings) -> Summary:
    """The summary with the key and any configured credential taken out, should the server have echoed one into
    its answer (it would be written to DATE.json and DATE.md, and published)."""
    secrets = settings.secrets()
    if not secrets:
        return summary
    return summary.model_copy(update={
        "objective": scrub(summary.objective, secrets), "method": scrub(summary.method, secrets),
        "result": scrub(summary.result, secrets), "implication": scrub(summary.implication, secrets),
        "questions": [scrub(question, secrets) for question in summary.questions],
    })


def _ask(client: openai.OpenAI, request: dict[str, Any], settings: Settings) -> Any:
    """One chat.completions.create call with the summary's response format; a body that is not a chat completion
    (an HTML page from a chat UI at the wrong path, plain text, a JSON list) is this paper's ModelError, named by
    what it was."""
    raw = client.chat.completions.with_raw_response.create(**request)
    try:
        completion = raw.parse()
    except openai.OpenAIError:
        raise
    except Exception:
        completion = None
    if completion is None or not isinstance(getattr(completion, "choices", None), list):
        raise ModelError(f"{_where(settings)} answered {_describe_raw(raw)}, not a chat completion; check --base-url")
    return completion


def _describe_raw(raw: Any) -> str:
    kind = str(raw.headers.get("content-type") or "no content type").split(";")[0]
    try:
        text = raw.http_response.text[:2000]  # enough to describe it; never the whole of a huge body
    except Exception:  # an undecodable body is described by its type alone
        text = ""
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
    """Any other API call (files, batches) under the same retry policy, its failures as ModelError."""
    try:
        return _with_transport_retries(settings, request)
    except openai.APIStatusError as err:
        raise _scrubbed(_status_error(err, settings), settings) from None
    except openai.APIConnectionError as err:
        raise _scrubbed(_connection_error(err, settings), settings) from None


def _with_transport_retries(
    settings: Settings,
    call: Callable[[], _T],
    on_retry: OnRetry | None = None,
    sleep: Callable[[float], None] = time.sleep,
    watch: ServerWatch | None = None,
    paper: str = "",
) -> _T:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        _notify(on_retry, _retry_reason(error))

    def attempt() -> _T:
        if watch is None:
            return call()
        try:
            result = call()
        except openai.APIConnectionError as error:  # timed out, or the connection dropped with no answer
            if not _unreachable(error):  # a refused connection has its own short budget, then stops the run
                watch.timed_out(paper)
            raise
        except Exception:  # an answer, if not a usable one
            watch.answered()
            raise
        watch.answered()
        return result

    def stop(state: RetryCallState) -> bool:
        if watch is not None and watch.silent:
            return True
        error = state.outcome.exception() if state.outcome else None
        budget = min(CONNECT_ATTEMPTS, settings.model_attempts) if _unreachable(error) else settings.model_attempts
        return stop_after_attempt(budget)(state)

    retrying = Retrying(
        retry=retry_if_exception(_is_transient),
        wait=_wait_policy(settings.retry_base_delay),
        stop=stop,
        before_sleep=before_sleep,
        reraise=True,  # the user sees the real error, never tenacity's RetryError
        sleep=sleep,
    )
    return retrying(attempt)


def _retry_reason(error: BaseException | None) -> str:
    status = getattr(error, "status_code", None)
    if status:
        return f"HTTP {status}"
    if isinstance(error, openai.APITimeoutError):
        return "a timeout"
    if isinstance(error, openai.APIConnectionError):
        return "a failed connection" if _unreachable(error) else "a broken connection"
    return type(error).__name__


def _unreachable(err: BaseException | None) -> bool:
    """A refused connection, an unknown host or a connect timeout (to the server or its proxy), or a proxy that
    refuses to connect to it: the server is not there at all."""
    if not isinstance(err, openai.APIConnectionError) or isinstance(err, openai.APITimeoutError):
        return False
    return any(isinstance(cause, httpx2.ConnectError | httpx2.ConnectTimeout | httpx2.ProxyError)
               for cause in _causes(err))


def _causes(err: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = err
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _is_transient(err: BaseException) -> bool:
    if isinstance(err, openai.APIStatusError):
        if _api_field(err, "code") == "insufficient_quota":  # a 429 that waiting does not cure
            return False
        return err.status_code in (408, 409, 429) or err.status_code >= 500
    if _rejected(err) is not None:
        return False  # too large or wrongly encoded: the same again
    return isinstance(err, openai.APIConnectionError)  # includes APITimeoutError


def _rejected(err: BaseException) -> AnswerRejected | None:
    return next((cause for cause in _causes(err) if isinstance(cause, AnswerRejected)), None)


def _wait_policy(base: float) -> Callable[[RetryCallState], float]:
    """Honour Retry-After (capped) when the server sends it, jittered exponential backoff otherwise.
    A base of 0 turns every wait off (tests and cassette replay)."""
    backoff = wait_random_exponential(multiplier=base, max=60 * base)

    def wait(state: RetryCallState) -> float:
        if base <= 0:
            return 0.0
        err = state.outcome.exception() if state.outcome else None
        retry_after = _retry_after(err)
        return backoff(state) if retry_after is None else retry_after

    return wait


def _retry_after(err: BaseException | None) -> float | None:
    if not isinstance(err, openai.APIStatusError):
        return None
    headers = err.response.headers
    try:
        if "retry-after-ms" in headers:
            milliseconds = float(headers["retry-after-ms"])
            if math.isfinite(milliseconds):
                return min(max(milliseconds / 1000, 0.0), MAX_RETRY_AFTER)
        if "retry-after" in headers:
            value = headers["retry-after"]
            try:
                seconds = float(value)
            except ValueError:
                seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
            if not math.isfinite(seconds):  # "nan", "inf": not a wait anyone meant
                return None
            return min(max(seconds, 0.0), MAX_RETRY_AFTER)
    except (TypeError, ValueError, OverflowError):
        return None
    return None


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
        proxy = redact_url(model_proxy(settings)) or "between here and the server"
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
    return f"{type(err).__name__}: {_one_line(redact_text(str(err)[:2000]) or '-', 200)}"


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
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        if inner.get("message"):
            return _one_line(redact_text(str(inner["message"])[:2000]))
    return _one_line(redact_text(str(err.message)[:2000]))


def _connection_error(err: openai.APIConnectionError, settings: Settings,
                      watch: ServerWatch | None = None) -> ModelError:
    """A timeout fails the paper, unless the server has answered nothing for the run's limit of attempts; an
    unreachable server (after its short budget) stops the run."""
    where = _where(settings)
    if (rejected := _rejected(err)) is not None:
        return ModelError(f"{where}: {rejected}")
    if isinstance(err, openai.APITimeoutError) and watch is not None and watch.silent:
        return watch.error(settings)
    if isinstance(err, openai.APITimeoutError):
        return ModelError(
            f"{where} did not answer within {settings.model_timeout:g} s ({settings.model_attempts} attempts)"
        )
    root = list(_causes(err))[-1]
    detail = _one_line(redact_text((str(root).splitlines() or [""])[0]) or type(root).__name__, 200)
    if _unreachable(err):
        if proxy := model_proxy(settings):
            return FatalModelError(f"cannot reach the model server at {where} through the proxy {redact_url(proxy)}: "
                                   f"{detail}; check HTTPS_PROXY, HTTP_PROXY and NO_PROXY")
        return FatalModelError(f"cannot reach the model server at {where}: {detail}; check --base-url")
    return ModelError(f"lost the connection to {where}: {detail}")


def _first_error(err: pydantic.ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "answer"
    return f"{where}: {first.get('msg', 'invalid')}"


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
