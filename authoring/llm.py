"""Chat messages -> Summary + usage through the `openai` SDK (OpenAI or any OpenAI-compatible server).
The only module importing `openai`; it owns the one retry policy for model calls."""

from __future__ import annotations

import email.utils
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import openai
import pydantic
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential

from .config import Settings
from .errors import ConfigError, ModelError
from .models import Summary, Usage

LOCAL_PLACEHOLDER_KEY = "not-needed"  # local OpenAI-compatible servers ignore the key, but the SDK wants one
MAX_RETRY_AFTER = 120.0
_T = TypeVar("_T")


class FatalModelError(ModelError):
    """A failure no other paper would escape either (bad key, unknown model, wrong endpoint)."""


@dataclass
class Generation:
    """One successful answer: the summary, the tokens it cost, the model that answered and when."""

    summary: Summary
    usage: Usage
    model: str
    created: int | None


def check_credentials(settings: Settings) -> None:
    """Fail before any request when no key is set and no local server is configured."""
    if not settings.api_key and not settings.base_url:
        raise ConfigError(
            "OPENAI_API_KEY is not set; export it, or pass --base-url for a local OpenAI-compatible server, "
            "or --cassette to replay a recorded run"
        )


def make_client(settings: Settings) -> openai.OpenAI:
    """An SDK client whose own retries are off: `summarise` owns the retry policy."""
    check_credentials(settings)
    return openai.OpenAI(
        api_key=settings.api_key or LOCAL_PLACEHOLDER_KEY,
        base_url=settings.base_url,
        max_retries=0,
        timeout=settings.model_timeout,
    )


OnRetry = Callable[[str], None]


def summarise(
    client: openai.OpenAI, messages: list[dict[str, str]], settings: Settings, *, on_retry: OnRetry | None = None
) -> Generation:
    """Ask for a structured summary; transient HTTP failures and invalid output are retried on separate budgets.
    `on_retry` hears a short reason before each retry (for progress displays)."""
    request: dict[str, Any] = {"model": settings.model, "messages": messages, "response_format": Summary}
    if settings.temperature is not None:
        request["temperature"] = settings.temperature  # only when asked: some reasoning models reject it
    problem = ""
    for attempt in range(1, settings.output_attempts + 1):
        again = attempt < settings.output_attempts
        try:
            completion = _with_transport_retries(
                settings, lambda: client.chat.completions.parse(**request), on_retry
            )
        except pydantic.ValidationError as err:
            problem = f"the model's answer did not fit the summary format ({_first_error(err)})"
            _notify(on_retry if again else None, "invalid structured output")
            continue
        except openai.LengthFinishReasonError:
            problem = "the model's answer was cut off (it reached its token limit)"
            _notify(on_retry if again else None, "truncated answer")
            continue
        except openai.ContentFilterFinishReasonError:
            raise ModelError("the model's content filter stopped the answer") from None
        except openai.APIStatusError as err:
            raise _status_error(err, settings) from None
        except openai.APIConnectionError as err:
            raise ModelError(_connection_problem(err, settings)) from None
        message = completion.choices[0].message
        if message.refusal:
            raise ModelError(f"the model refused: {_one_line(message.refusal)}")
        if message.parsed is None:
            problem = "the model's answer was empty"
            continue
        return _generation(message.parsed, completion, settings)
    raise ModelError(f"{problem} ({settings.output_attempts} attempts)")


def _notify(on_retry: OnRetry | None, reason: str) -> None:
    if on_retry is not None:
        on_retry(reason)


def response_format() -> dict[str, Any]:
    """The strict json_schema response format the SDK sends for Summary (for Batch API request lines)."""
    from openai.lib import type_to_response_format_param

    return dict(type_to_response_format_param(Summary))


def request_body(messages: list[dict[str, str]], settings: Settings) -> dict[str, Any]:
    """The /v1/chat/completions body of one summary request, as `summarise` sends it."""
    body: dict[str, Any] = {"model": settings.model, "messages": messages, "response_format": response_format()}
    if settings.temperature is not None:
        body["temperature"] = settings.temperature
    return body


def generation_from_body(body: dict[str, Any], settings: Settings) -> Generation:
    """A chat.completion body (as the Batch API returns it) -> Generation, with the checks `summarise` makes."""
    try:
        completion = openai.types.chat.ChatCompletion.model_validate(body)
    except pydantic.ValidationError:
        raise ModelError("the batch returned something that is not a chat completion") from None
    choice = completion.choices[0]
    if choice.finish_reason == "length":
        raise ModelError("the model's answer was cut off (it reached its token limit)")
    if choice.finish_reason == "content_filter":
        raise ModelError("the model's content filter stopped the answer")
    if choice.message.refusal:
        raise ModelError(f"the model refused: {_one_line(choice.message.refusal)}")
    try:
        summary = Summary.model_validate_json(choice.message.content or "")
    except pydantic.ValidationError as err:
        raise ModelError(f"the model's answer did not fit the summary format ({_first_error(err)})") from None
    return _generation(summary, completion, settings)


def _generation(summary: Summary, completion: Any, settings: Settings) -> Generation:
    usage = completion.usage
    return Generation(
        summary=summary,
        usage=Usage(
            prompt_tokens=usage.prompt_tokens if usage else 0,
            completion_tokens=usage.completion_tokens if usage else 0,
            total_tokens=usage.total_tokens if usage else 0,
        ),
        model=completion.model or settings.model,
        created=completion.created or None,
    )


def call(settings: Settings, request: Callable[[], _T]) -> _T:
    """Any other API call (files, batches) under the same retry policy, its failures as ModelError."""
    try:
        return _with_transport_retries(settings, request)
    except openai.APIStatusError as err:
        raise _status_error(err, settings) from None
    except openai.APIConnectionError as err:
        raise ModelError(_connection_problem(err, settings)) from None


def _with_transport_retries(settings: Settings, call: Callable[[], _T], on_retry: OnRetry | None = None) -> _T:
    def before_sleep(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        status = getattr(error, "status_code", None)
        _notify(on_retry, f"HTTP {status}" if status else type(error).__name__)

    retrying = Retrying(
        retry=retry_if_exception(_is_transient),
        wait=_wait_policy(settings.retry_base_delay),
        stop=stop_after_attempt(settings.model_attempts),
        before_sleep=before_sleep,
        reraise=True,  # the user sees the real error, never tenacity's RetryError
    )
    return retrying(call)


def _is_transient(err: BaseException) -> bool:
    if isinstance(err, openai.APIStatusError):
        return err.status_code in (408, 409, 429) or err.status_code >= 500
    return isinstance(err, openai.APIConnectionError)  # includes APITimeoutError


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
            return min(float(headers["retry-after-ms"]) / 1000, MAX_RETRY_AFTER)
        if "retry-after" in headers:
            value = headers["retry-after"]
            try:
                seconds = float(value)
            except ValueError:
                seconds = email.utils.parsedate_to_datetime(value).timestamp() - time.time()
            return min(max(seconds, 0.0), MAX_RETRY_AFTER)
    except (TypeError, ValueError):
        return None
    return None


def _status_error(err: openai.APIStatusError, settings: Settings) -> ModelError:
    detail = _api_message(err)
    where = settings.base_url or "api.openai.com"
    if err.status_code == 401:
        return FatalModelError(f"{where} rejected the API key (HTTP 401); check OPENAI_API_KEY")
    if err.status_code == 403:
        return FatalModelError(f"{where} refused access (HTTP 403): {detail}")
    if err.status_code == 404:
        return FatalModelError(
            f"{where} answered HTTP 404 for model {settings.model!r}: {detail} "
            "(check --model, and that --base-url ends in /v1 or the server's OpenAI path)"
        )
    return ModelError(f"model server answered HTTP {err.status_code}: {detail}")


def _api_message(err: openai.APIStatusError) -> str:
    body = err.body
    if isinstance(body, dict):
        inner = body.get("error") if isinstance(body.get("error"), dict) else body
        if inner.get("message"):
            return _one_line(str(inner["message"]))
    return _one_line(err.message)


def _connection_problem(err: openai.APIConnectionError, settings: Settings) -> str:
    where = settings.base_url or "api.openai.com"
    if isinstance(err, openai.APITimeoutError):
        return f"{where} did not answer within {settings.model_timeout:g} s ({settings.model_attempts} attempts)"
    root: BaseException = err
    while root.__cause__ or root.__context__:
        root = root.__cause__ or root.__context__
    detail = (str(root).splitlines() or [type(root).__name__])[0]
    return f"cannot reach {where}: {detail}"


def _first_error(err: pydantic.ValidationError) -> str:
    first = err.errors()[0]
    where = ".".join(str(p) for p in first.get("loc", ())) or "answer"
    return f"{where}: {first.get('msg', 'invalid')}"


def _one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(str(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
