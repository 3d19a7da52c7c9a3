"""The --cassette wrapper: runs a whole command's HTTP (arXiv and model) from, or into, a vcrpy cassette.
`vcr_config` and `match_body` are shared with the test suite's conftest, so tests and CLI match alike."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authoring.config import Settings
from authoring.errors import CassetteError, DigestError
from authoring.redact import redact_url, scrub

REPLAY_PLACEHOLDER_KEY = "sk-replay-placeholder"  # the SDK wants a key; a replay never sends a real one
SECRET_REQUEST_HEADERS = ["authorization", "proxy-authorization", "api-key", "x-api-key", "x-goog-api-key", "cookie",
                          "openai-organization", "openai-project"]
# Headers that change with every SDK release or machine (x-stainless-os, -runtime-version, -retry-count...): left
# out of recordings so re-recording gives small diffs. Matching never looks at headers.
_VOLATILE_REQUEST_HEADERS = ("x-stainless-", "user-agent")
# Not secret, but new on every request (huggingface_hub stamps each with a random trace id): left out of recordings.
_NOISY_REQUEST_HEADERS = ["x-amzn-trace-id", "x-request-id"]
_DROPPED_RESPONSE_HEADERS = {"set-cookie", "openai-organization", "openai-project", "x-request-id", "cf-ray"}


def match_body(recorded: Any, sent: Any) -> None:
    """vcrpy matcher: chat requests match on model and messages (parsed), other requests on the whole body.
    Robust to SDK upgrades that rewrite the JSON schema, yet each paper still gets its own answer."""
    if _body_key(recorded) != _body_key(sent):
        raise AssertionError("request bodies differ (model or messages for chat requests)")


def _body_key(request: Any) -> Any:
    body = request.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    if not body:
        return None
    if body.startswith("--"):
        # multipart/form-data (file uploads): the boundary is random, the parts are what matters
        boundary = body.split("\r\n", 1)[0]
        return body.replace(boundary, "--BOUNDARY")
    try:
        data = json.loads(body)
    except ValueError:
        return body
    if isinstance(data, dict) and "messages" in data:
        return {"model": data.get("model"), "messages": data["messages"]}
    return data


def _scrub_response(response: dict, secrets: tuple[str, ...] = ()) -> dict:
    """Response headers that identify an account out; any secret a server echoed back (the key in an error body,
    a feed quoting its query) replaced in the body."""
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in _DROPPED_RESPONSE_HEADERS:
            del headers[name]
        elif secrets:
            values = headers[name]  # vcrpy stores a list of values
            cleaned = [scrub(str(value), secrets) for value in (values if isinstance(values, list) else [values])]
            headers[name] = cleaned if isinstance(values, list) else cleaned[0]
    body = response.get("body") or {}
    if secrets and isinstance(body.get("string"), bytes | str):
        raw = body["string"]
        text = raw.decode("utf-8", errors="surrogateescape") if isinstance(raw, bytes) else raw
        cleaned = scrub(text, secrets)
        if cleaned != text:
            body["string"] = cleaned.encode("utf-8", errors="surrogateescape") if isinstance(raw, bytes) else cleaned
    return response


def _scrub_request(request: Any) -> Any:
    """Credentials out of the URI (user info, key-like query parameters: see redact.py), volatile SDK headers out.
    vcrpy applies this to live requests before matching too, so a redacted recording still matches."""
    request.uri = redact_url(request.uri)
    for name in list(request.headers):
        if name.lower().startswith(_VOLATILE_REQUEST_HEADERS):
            del request.headers[name]
    return request


def vcr_config() -> dict[str, Any]:
    """Keyword arguments for vcr.VCR: secrets filtered both ways, bodies matched, readable bodies."""
    return {
        "filter_headers": SECRET_REQUEST_HEADERS + _NOISY_REQUEST_HEADERS,
        "before_record_request": _scrub_request,
        "before_record_response": _scrub_response,
        "decode_compressed_response": True,
        "match_on": ["method", "scheme", "host", "port", "path", "query", "digest_body"],
    }


def make_vcr(secrets: tuple[str, ...] = ()):
    import vcr  # imported here: only --cassette runs and tests pay for it

    config = vcr_config()
    if secrets:
        config["before_record_response"] = lambda response: _scrub_response(response, secrets)
    recorder = vcr.VCR(**config)
    recorder.register_matcher("digest_body", match_body)
    return recorder


def replay_settings(settings: Settings, record: bool) -> Settings:
    """A replay needs no key and no politeness delays; a recording is a live run and keeps both."""
    if record:
        return settings
    return settings.replace(
        api_key=REPLAY_PLACEHOLDER_KEY,  # a developer's real key is never used, even by accident
        arxiv_delay_seconds=0.0,
        retry_base_delay=0.0,
    )


@dataclass
class Recording:
    """A --record in progress: `fail()` marks the run as failed, so the old cassette is kept; `kept` then says
    where the new recording is."""

    path: Path
    target: Path
    failed: bool = False
    kept: Path | None = None

    def fail(self) -> None:
        self.failed = True


@contextmanager
def cassette(path: Path, *, record: bool, secrets: tuple[str, ...] = ()) -> Iterator[Recording | None]:
    """Replay every HTTP request from `path` (a miss fails naming the request), or record a live run into it.
    A recording goes to a temporary file renamed over `path` only when the run succeeds: after an error, or
    when the caller called `fail()` on the yielded Recording, `path` is left byte-identical and the new recording
    stays beside it (`Recording.kept`)."""
    from vcr.errors import CannotOverwriteExistingCassetteException

    if path.is_dir():
        raise CassetteError(f"cassette {path} is a folder; give the path of a .yaml file")
    if not record and not path.is_file():
        raise CassetteError(f"cassette {path} does not exist; record one with --cassette {path} --record")
    target = path.with_name(f".{path.name}.recording") if record else path
    recording = Recording(path, target) if record else None
    if record:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.unlink(missing_ok=True)
        except OSError as err:
            raise CassetteError(f"cannot record into {path}: {err.strerror or err}") from None
    try:
        with ExitStack() as stack:
            _enter(stack, path, target, record, secrets)
            yield recording
    except CannotOverwriteExistingCassetteException as err:
        request = err.failed_request
        context = "".join(f" ({note})" for note in getattr(err, "__notes__", []))
        raise CassetteError(
            f"request not recorded in {path}: {request.method} {redact_url(request.uri)}{context}; "
            "re-record with --record"
        ) from None
    except DigestError as err:
        if record and target.exists():  # the failed run's recording, for a look; the cassette is untouched
            err.args = (f"{err} (the cassette {path} is unchanged; this run's recording is in {target})",)
        raise
    except BaseException:
        if record:
            target.unlink(missing_ok=True)
        raise
    if not record:
        return
    if not target.exists():
        raise CassetteError(f"nothing was recorded into {path}")
    if recording.failed:
        recording.kept = target
        return
    try:
        os.replace(target, path)
    except OSError as err:
        recording.kept = target
        raise CassetteError(f"cannot write the cassette {path} ({err.strerror or err}); this run's recording is in "
                            f"{target}") from None


def _enter(stack: ExitStack, path: Path, target: Path, record: bool, secrets: tuple[str, ...] = ()) -> None:
    """Load the cassette and patch the HTTP stacks; a malformed, unsafe or unreadable cassette is one error."""
    import yaml

    try:
        stack.enter_context(make_vcr(secrets).use_cassette(
            str(target), record_mode="all" if record else "none", record_on_exception=True
        ))
    except (yaml.YAMLError, OSError, UnicodeDecodeError, KeyError, TypeError, ValueError, AttributeError) as err:
        first = (str(err).strip().splitlines() or [type(err).__name__])[0]
        raise CassetteError(
            f"cassette {path} is not a usable vcrpy cassette ({type(err).__name__}: {first})"
        ) from None
