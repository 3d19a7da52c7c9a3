"""The --cassette wrapper: runs a whole command's HTTP (arXiv and model) from, or into, a vcrpy cassette.
`vcr_config` and `match_body` are shared with the test suite's conftest, so tests and CLI match alike.
A recording extends the cassette (nothing recorded is lost); a replay may answer a chat request whose prompt
changed with the answer recorded for the same paper and model."""

from __future__ import annotations

import json
import re
import shutil
import tempfile
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from authoring.config import Settings
from authoring.errors import CassetteError, DigestError, StoreError, in_our_words
from authoring.redact import redact_url, scrub
from authoring.text import count

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
    return _key_of_body(request.body)


def _key_of_body(body: Any) -> Any:
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
        scrubbed = scrub(text, secrets)
        if scrubbed != text:
            body["string"] = scrubbed.encode("utf-8", errors="surrogateescape") if isinstance(raw, bytes) else scrubbed
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


def make_vcr(secrets: tuple[str, ...] = (), matcher=match_body):
    import vcr  # imported here: only --cassette runs and tests pay for it

    config = vcr_config()
    if secrets:
        config["before_record_response"] = lambda response: _scrub_response(response, secrets)
    recorder = vcr.VCR(**config)
    recorder.register_matcher("digest_body", matcher)
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
    """A --record in progress into `path`; the run's requests go to `scratch` (in the system's temporary folder,
    where no `git add -A` takes it) and are merged into `path` when the run ends. `added` counts the
    interactions the merge added or replaced."""

    path: Path
    scratch: Path
    added: int = 0

    def notices(self) -> list[str]:
        return []


class Replay:
    """A replay of `path`. Unless strict, a chat request whose exact messages are not recorded is answered with the
    answer recorded for the same paper (its arXiv title, from the cassette's arXiv answers) and model; `notices()`
    says how many were."""

    def __init__(self, path: Path, interactions: list[dict], strict: bool):
        self.path, self.strict = path, strict
        self._recorded = {_freeze(_key_of_body(i["request"].get("body"))) for i in interactions}
        self._titles = _titles(interactions)
        self._substituted: set[str] = set()
        self._lock = threading.Lock()

    def match(self, sent: Any, recorded: Any) -> None:
        """vcrpy matcher (sent request, recorded request): the exact match of `match_body`, or the fallback."""
        sent_key, recorded_key = _body_key(sent), _body_key(recorded)
        if sent_key == recorded_key:
            return
        if not self.strict and _is_chat(sent_key) and _is_chat(recorded_key) \
                and _freeze(sent_key) not in self._recorded \
                and sent_key["model"] == recorded_key["model"] \
                and (paper := self._paper(sent_key)) is not None and paper == self._paper(recorded_key):
            with self._lock:
                self._substituted.add(_freeze(sent_key))
            return
        raise AssertionError("request bodies differ (model or messages for chat requests)")

    def _paper(self, key: dict) -> str | None:
        """The recorded paper whose title the messages hold (the longest, should one title contain another)."""
        text = _collapse(" ".join(str(m.get("content", "")) for m in key["messages"] if isinstance(m, dict)))
        found = [title for title in self._titles if title in text]
        return self._titles[max(found, key=len)] if found else None

    def notices(self) -> list[str]:
        n = len(self._substituted)
        if not n:
            return []
        were = "was" if n == 1 else "were"
        return [f"{count(n, 'answer')} {were} recorded with other prompts; re-record to see the new prompts' "
                "effect (--strict-replay fails instead)"]


def _is_chat(key: Any) -> bool:
    return isinstance(key, dict) and "messages" in key and isinstance(key["messages"], list)


def _freeze(key: Any) -> str:
    return json.dumps(key, sort_keys=True, ensure_ascii=False)


def _collapse(text: str) -> str:
    return " ".join(text.split())


def _titles(interactions: list[dict]) -> dict[str, str]:
    """Title (whitespace collapsed) -> arXiv id, from the arXiv answers recorded in the cassette."""
    atom = "{http://www.w3.org/2005/Atom}"
    titles: dict[str, str] = {}
    for interaction in interactions:
        body = (interaction.get("response") or {}).get("body") or {}
        raw = body.get("string") if isinstance(body, dict) else None
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        if not isinstance(raw, bytes) or b"<feed" not in raw[:2000]:
            continue
        try:
            feed = ET.fromstring(raw)
        except ET.ParseError:
            continue
        for entry in feed.iter(f"{atom}entry"):
            title, ident = entry.findtext(f"{atom}title"), entry.findtext(f"{atom}id")
            if title and ident and _collapse(title):
                titles[_collapse(title)] = re.sub(r"v\d+$", "", ident.rsplit("/", 1)[-1])
    return titles


# Requests digest sends: the model's chat/files/batches endpoints, the Hub's listing, arXiv's API and PDFs.
_OUR_PATHS = re.compile(r"(/chat/completions|/files|/batches|/api/daily_papers|/api/query)(/|$)|/pdf/")


def _is_ours(request: dict) -> bool:
    uri = str(request.get("uri", ""))
    path, _, query = uri.partition("?")
    return bool(_OUR_PATHS.search(path)) or "id_list=" in query


def _load(path: Path) -> list[dict]:
    """The interactions of a cassette of this tool, or one CassetteError saying what it is instead."""
    from vcr.serializers import yamlserializer

    try:
        data = yamlserializer.deserialize(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise CassetteError(f"cannot read the cassette {path}: {err.strerror or err}") from None
    except Exception as err:  # YAML errors, an unsafe tag, bytes that are not UTF-8
        first = (str(err).strip().splitlines() or ["-"])[0]
        raise CassetteError(
            f"cassette {path} is not a usable vcrpy cassette ({in_our_words(err, first)})"
        ) from None
    if data is None:
        return []
    interactions = data.get("interactions") if isinstance(data, dict) else None
    if not isinstance(interactions, list) or not all(
        isinstance(i, dict) and isinstance(i.get("request"), dict) and isinstance(i.get("response"), dict)
        and "uri" in i["request"] and "method" in i["request"] for i in interactions
    ):
        raise CassetteError(f"cassette {path} is not a usable vcrpy cassette (not the layout digest records: "
                            "`interactions:`, each a request and a response); record one with --cassette PATH --record")
    if interactions and not any(_is_ours(i["request"]) for i in interactions):
        first = interactions[0]["request"]
        raise CassetteError(
            f"cassette {path} was not recorded by digest: none of its {count(len(interactions), 'request')} goes to "
            f"arXiv, the Hub or a model server (the first is {first['method']} {redact_url(str(first['uri']))}); "
            "record one with --cassette PATH --record"
        )
    return interactions


@contextmanager
def cassette(path: Path, *, record: bool, secrets: tuple[str, ...] = (),
             strict: bool = True) -> Iterator[Recording | Replay]:
    """Replay every HTTP request from `path` (a miss fails naming the request), or record a live run and merge it
    into `path`: the cassette keeps every earlier interaction (a run that sends nothing leaves it byte-identical),
    the run's new answers are added, and a failed answer never replaces a recorded success (see `merge`). The
    merge happens however the run ends, so a day finished by a later run replays whole."""
    from vcr.errors import CannotOverwriteExistingCassetteException

    if path.is_dir():
        raise CassetteError(f"cassette {path} is a folder; give the path of a .yaml file")
    if not record and not path.is_file():
        raise CassetteError(f"cassette {path} does not exist; record one with --cassette {path} --record")
    interactions = _load(path) if path.is_file() else []
    recording: Recording | None = None  # one of the two, as `record` says
    replay: Replay | None = None
    session: Recording | Replay
    if record:
        session = recording = Recording(path, Path(tempfile.mkdtemp(prefix="digest-recording-")) / path.name)
        target = recording.scratch
    else:
        session = replay = Replay(path, interactions, strict)
        target = path
    try:
        with ExitStack() as stack:
            _enter(stack, path, target, record, secrets, None if replay is None else replay.match)
            yield session
    except CannotOverwriteExistingCassetteException as err:
        request = err.failed_request
        context = "".join(f" ({note})" for note in getattr(err, "__notes__", []))
        strictly = " (--strict-replay: the prompts must be the recorded ones)" if replay is not None \
            and replay.strict and _is_chat(_body_key(request)) else ""
        raise CassetteError(
            f"request not recorded in {path}: {request.method} {redact_url(request.uri)}{context}{strictly}; "
            "re-record with --record"
        ) from None
    except DigestError as err:
        if recording is not None:
            _merge_after_error(recording, interactions, err)
        raise
    except BaseException:
        if recording is not None:
            _merge_after_error(recording, interactions, None)
        raise
    if recording is not None:
        _merge_into(recording, interactions)


def _merge_after_error(recording: Recording, old: list[dict], err: DigestError | None) -> None:
    """The failed run's answers still go into the cassette (its finished papers are on disk); a merge that fails
    then is said in the run's own error, never instead of it."""
    try:
        _merge_into(recording, old)
    except CassetteError as problem:
        if err is not None:
            err.args = (f"{err} ({problem})",)


def _merge_into(recording: Recording, old: list[dict]) -> None:
    from vcr.serializers import yamlserializer

    scratch = recording.scratch
    if not scratch.is_file():  # the run sent no request: the cassette is left as it was
        shutil.rmtree(scratch.parent, ignore_errors=True)
        return
    try:
        new = _load(scratch)
        merged, recording.added = merge(old, new)
        if recording.added:
            from authoring.store.files import atomic_write

            atomic_write(recording.path, yamlserializer.serialize({"interactions": merged, "version": 1}))
    except (CassetteError, StoreError) as err:
        raise CassetteError(f"cannot write the cassette {recording.path} ({err}); this run's recording is in "
                            f"{scratch}") from None
    shutil.rmtree(scratch.parent, ignore_errors=True)


def _identity(interaction: dict) -> str:
    request = interaction["request"]
    return _freeze([request.get("method"), request.get("uri"), _key_of_body(request.get("body"))])


def _ok(interaction: dict) -> bool:
    status = (interaction["response"].get("status") or {}).get("code")
    return isinstance(status, int) and status < 400


def _answer(interaction: dict) -> Any:
    response = interaction["response"]
    body = response.get("body") or {}
    return (response.get("status") or {}).get("code"), body.get("string") if isinstance(body, dict) else body


def merge(old: list[dict], new: list[dict]) -> tuple[list[dict], int]:
    """`old` extended by `new`, and how many interactions that added or replaced. Interactions are grouped by request
    (method, URI, body as matched); a new group replaces the recorded one only if it holds a successful answer, the
    recorded group does not or the request is a POST (a regenerated summary), and its answers differ: so the first
    answers a day was built from (the Hub's listing, arXiv's metadata) stay, and a re-run changes nothing."""
    groups_old: dict[str, list[dict]] = {}
    groups_new: dict[str, list[dict]] = {}
    for interaction in old:
        groups_old.setdefault(_identity(interaction), []).append(interaction)
    for interaction in new:
        groups_new.setdefault(_identity(interaction), []).append(interaction)
    final: dict[str, list[dict]] = {}
    added = 0
    for key, fresh in groups_new.items():
        before = groups_old.get(key)
        if before is None:
            final[key], added = fresh, added + len(fresh)
            continue
        improves = any(map(_ok, fresh)) and (
            not any(map(_ok, before)) or str(fresh[0]["request"].get("method")).upper() == "POST")
        if improves and [_answer(i) for i in fresh] != [_answer(i) for i in before]:
            final[key], added = fresh, added + len(fresh)
    merged: list[dict] = []
    placed: set[str] = set()
    for interaction in old:
        key = _identity(interaction)
        if key not in final:
            merged.append(interaction)
        elif key not in placed:
            placed.add(key)
            merged.extend(final[key])
    merged.extend(i for key, group in final.items() if key not in placed for i in group)
    return merged, added


def _enter(stack: ExitStack, path: Path, target: Path, record: bool, secrets: tuple[str, ...] = (),
           matcher=None) -> None:
    """Patch the HTTP stacks around the cassette (loaded and checked by `_load` first)."""
    import yaml

    try:
        stack.enter_context(make_vcr(secrets, matcher or match_body).use_cassette(
            str(target), record_mode="all" if record else "none", record_on_exception=True
        ))
    except (yaml.YAMLError, OSError, UnicodeDecodeError, KeyError, TypeError, ValueError, AttributeError) as err:
        first = (str(err).strip().splitlines() or ["-"])[0]
        raise CassetteError(
            f"cassette {path} is not a usable vcrpy cassette ({in_our_words(err, first)})"
        ) from None
