"""The model client: structured output through real SDK code paths, replayed from cassettes or a loopback
stand-in that really answers 429/500 and captures what is sent."""

import json
import time

import pytest

from authoring.errors import ConfigError, ModelError
from authoring.model import llm
from authoring.model.prompts import build_messages
from tools.standin import Reply, StandIn, chat_completion

VALID = {"objective": "O.", "method": "M.", "result": "R: 78.25% F1.", "implication": "I.", "questions": ["Q1?", "Q2?"]}


def _summarise(paper, settings, **changes):
    settings = settings.replace(**changes)
    return llm.summarise(llm.make_client(settings), build_messages(paper), settings)


@pytest.mark.vcr
def test_summary_valid(clinical_paper, settings):
    generation = _summarise(clinical_paper, settings)
    assert generation.summary.result.startswith("GLiNER-based architectures achieve higher F1-scores (78.25%")
    assert len(generation.summary.questions) == 2
    assert generation.usage.total_tokens == generation.usage.prompt_tokens + generation.usage.completion_tokens > 0
    assert generation.created == 1728345600


@pytest.mark.vcr
def test_summary_invalid_json_fails_after_budget(clinical_paper, settings):
    with pytest.raises(ModelError, match=r"did not fit the summary format .*\(2 attempts\)"):
        _summarise(clinical_paper, settings, output_attempts=2)


@pytest.mark.vcr
def test_summary_invalid_then_valid(clinical_paper, settings):
    generation = _summarise(clinical_paper, settings, output_attempts=2)
    assert generation.summary.objective.startswith("The research aims to establish a standardized benchmark")


@pytest.mark.vcr
def test_summary_truncated(clinical_paper, settings):
    with pytest.raises(ModelError, match=r"cut off .*\(2 attempts\)"):
        _summarise(clinical_paper, settings, output_attempts=2)


@pytest.mark.vcr
def test_summary_refusal(clinical_paper, settings):
    with pytest.raises(ModelError, match="the model refused: I'm sorry, but I can't help with that request."):
        _summarise(clinical_paper, settings)


@pytest.mark.vcr
def test_real_openai_error_body(clinical_paper, settings, vcr):
    """A genuine OpenAI 400 body (tests/data/wire) goes through the SDK's and our error handling, unretried."""
    with pytest.raises(ModelError) as info:
        _summarise(clinical_paper, settings)
    assert str(info.value) == (
        "model server answered HTTP 400: Invalid 'messages': empty array. "
        "Expected an array with minimum length 1, but got an empty array instead."
    )
    assert vcr.play_count == 1


def _local(settings, stand_in, **changes):
    return settings.replace(base_url=f"{stand_in.url}/v1", **changes)


def _ok(body):
    return Reply(200, chat_completion(json.dumps(VALID), model=body["model"], created=1, usage=(10, 5)))


def test_rate_limits_and_server_errors_are_retried_honouring_retry_after(clinical_paper, settings):
    answers = [Reply(429, b'{"error": {"message": "slow down"}}', {"Retry-After": "0.2"}), Reply(500, b"{}"),
               Reply(503, b"{}")]
    with StandIn(chat=lambda body: answers.pop(0) if answers else _ok(body)) as stand_in:
        generation = _summarise(clinical_paper, _local(settings, stand_in))
    assert generation.summary.result == "R: 78.25% F1."
    assert len(stand_in.requests("POST")) == 4


@pytest.mark.parametrize(
    ("content", "said"),
    [
        ('{"objective": "O."}', "(method is missing)"),
        (json.dumps({**VALID, "questions": ["Q1?"]}), "(questions: expected 2 or 3 follow-up questions, got 1)"),
        (json.dumps({**VALID, "objective": 3}), "(objective is not valid)"),
        ("Sure! Here is the summary.", "(it is not valid JSON)"),
    ],
)
def test_an_answer_that_does_not_fit_is_described_in_our_words(clinical_paper, settings, content, said):
    reply = Reply(200, chat_completion(content, model="gpt-5-mini", created=1, usage=(10, 5)))
    with StandIn(chat=lambda body: reply) as stand_in:
        with pytest.raises(ModelError) as info:
            _summarise(clinical_paper, _local(settings, stand_in, output_attempts=1))
    message = str(info.value)
    assert f"the model's answer did not fit the summary format {said}" in message
    for pydantic_wording in ("Field required", "Value error", "validation error", "type=", "Input should", "ident"):
        assert pydantic_wording not in message


def test_attempts_are_bounded_and_the_real_error_surfaces(clinical_paper, settings):
    with StandIn(chat=lambda body: Reply(500, b'{"error": {"message": "upstream exploded"}}')) as stand_in:
        with pytest.raises(ModelError, match="HTTP 500: upstream exploded"):
            _summarise(clinical_paper, _local(settings, stand_in, model_attempts=3))
    assert len(stand_in.requests("POST")) == 3


def test_bad_key_is_fatal_and_not_retried(clinical_paper, settings):
    with StandIn(chat=lambda body: Reply(401, b'{"error": {"message": "Incorrect API key provided"}}')) as stand_in:
        with pytest.raises(llm.FatalModelError, match="rejected the API key"):
            _summarise(clinical_paper, _local(settings, stand_in))
    assert len(stand_in.requests("POST")) == 1


def test_no_sampling_parameters_unless_set(clinical_paper, settings):
    sent = []

    def capture(body):
        sent.append(body)
        return _ok(body)

    with StandIn(chat=capture) as stand_in:
        _summarise(clinical_paper, _local(settings, stand_in))
        _summarise(clinical_paper, _local(settings, stand_in, temperature=0.2))
    assert "temperature" not in sent[0] and "top_p" not in sent[0]
    assert sent[1]["temperature"] == 0.2
    assert sent[0]["response_format"]["type"] == "json_schema"
    assert sent[0]["model"] == "gpt-5-mini"


def test_timeout_is_reported(clinical_paper, settings):
    with StandIn(chat=lambda body: Reply(200, b"{}", delay=1.0)) as stand_in:
        with pytest.raises(ModelError, match=r"did not answer within 0.2 s \(2 attempts\)"):
            _summarise(clinical_paper, _local(settings, stand_in, model_timeout=0.2, model_attempts=2))


def _waits(paper, settings, first_answers, base=1.0):
    """The waits between one call's attempts (the SDK's, through time.sleep), recorded instead of slept."""
    slept: list[float] = []
    answers = list(first_answers)
    with StandIn(chat=lambda body: answers.pop(0) if answers else _ok(body)) as stand_in, \
            pytest.MonkeyPatch.context() as patch:
        patch.setattr(time, "sleep", slept.append)
        config = _local(settings, stand_in, retry_base_delay=base)
        llm.summarise(llm.make_client(config), build_messages(paper), config)
    assert len(stand_in.requests("POST")) == len(first_answers) + 1
    return slept


def _slow_down(headers):
    return Reply(429, b'{"error": {"message": "slow down"}}', headers)


@pytest.mark.parametrize(("headers", "wait"), [
    ({"Retry-After": "7"}, 7.0),
    ({"retry-after-ms": "250"}, 0.25),
    ({"Retry-After": "9999"}, 120.0),  # capped: waited out, then asked again
    ({"retry-after-ms": "600000"}, 120.0),
])
def test_retry_after_is_honoured_up_to_120_s(clinical_paper, settings, headers, wait):
    assert _waits(clinical_paper, settings, [_slow_down(headers)]) == [wait]


def test_retry_after_as_an_http_date_is_honoured_up_to_120_s(clinical_paper, settings):
    import email.utils
    from datetime import UTC, datetime, timedelta

    def at(seconds):
        return {"Retry-After": email.utils.format_datetime(datetime.now(UTC) + timedelta(seconds=seconds),
                                                          usegmt=True)}

    soon, later = _waits(clinical_paper, settings, [_slow_down(at(30)), _slow_down(at(3600))])
    assert 28 < soon <= 30 and later == 120.0


def test_rate_limits_and_server_errors_are_backed_off_and_waits_can_be_turned_off(clinical_paper, settings):
    failures = [Reply(500, b"{}"), Reply(503, b"{}"), _slow_down({"Retry-After": "soon"})]
    waits = _waits(clinical_paper, settings, failures)
    assert len(waits) == 3 and all(0.25 <= wait <= 60 for wait in waits), waits  # jittered backoff, bounded
    assert all(wait <= 0.01 for wait in _waits(clinical_paper, settings, failures, base=0.0))  # retry_base_delay 0


def test_missing_key_names_the_alternatives(settings):
    with pytest.raises(ConfigError) as info:
        llm.check_credentials(settings.replace(api_key=None))
    message = str(info.value)
    assert "OPENAI_API_KEY is not set" in message and "--base-url" in message and "--cassette" in message
    llm.check_credentials(settings.replace(api_key=None, base_url="http://localhost:11434/v1"))  # no error


def test_prompt_asks_for_grounded_facts_and_carries_the_paper(clinical_paper):
    system, user = build_messages(clinical_paper)
    assert system["role"] == "system" and user["role"] == "user"
    assert "Use only facts stated in the paper" in system["content"]
    assert "quantitative finding" in system["content"] and "say so explicitly" in system["content"]
    assert clinical_paper.title in user["content"] and clinical_paper.abstract in user["content"]
    assert "Technical Report" in user["content"]  # the arXiv comment


def test_summary_drops_numbering_and_markers_the_model_repeats():
    from authoring.models import DROP_MARKERS, Summary

    answer = {"objective": "a) Find X.", "method": "b)  Do Y.", "result": "c) 42% better.", "implication": "I.",
              "questions": ["1. Why?", "2) How?", "- What else?", "   "]}
    summary = Summary.model_validate(answer, context={DROP_MARKERS: True})  # as a model's answer is read
    assert (summary.objective, summary.method, summary.result) == ("Find X.", "Do Y.", "42% better.")
    assert summary.questions == ["Why?", "How?", "What else?"]
    # anything else (a stored day, an imported cell, an edited document) keeps its text as written
    stored = Summary.model_validate({**answer, "questions": ["3) 3) Why?", "How?"]})
    assert (stored.objective, stored.questions) == ("a) Find X.", ["3) 3) Why?", "How?"])


@pytest.fixture(scope="module")
def self_signed(tmp_path_factory):
    """A loopback TLS server whose certificate no certificate store trusts; yields its port."""
    import socket
    import ssl
    import subprocess
    import threading

    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-keyout", str(folder / "key.pem"), "-out", str(folder / "cert.pem")],
                   check=True, capture_output=True)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)

    def serve():
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(65536)  # only if the client trusted us
                    tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
            except OSError:
                pass
            finally:
                conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.parametrize("scheme", ["https", "HTTPS"])
def test_https_servers_are_verified_against_the_certificate_store(clinical_paper, settings, self_signed, scheme):
    with pytest.raises(ModelError, match="CERTIFICATE_VERIFY_FAILED"):
        _summarise(clinical_paper, settings, base_url=f"{scheme}://127.0.0.1:{self_signed}/v1", model_attempts=1)


def test_a_plain_http_server_is_answered(clinical_paper, settings):
    answer = chat_completion(json.dumps(VALID), model="m", created=1728345600)
    with StandIn(chat=lambda body: Reply(200, answer)) as stand_in:
        generation = _summarise(clinical_paper, settings, base_url=f"{stand_in.url}/v1")
    assert generation.summary.result == VALID["result"]


def test_the_proxy_the_environment_names_is_used_and_no_proxy_and_loopback_go_direct(clinical_paper, settings,
                                                                                      monkeypatch):
    """The SDK's client reads the proxy variables itself; loopback is routed direct."""
    answer = chat_completion(json.dumps(VALID), model="m", created=1728345600)
    with StandIn(chat=lambda body: Reply(200, answer)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        through = settings
        generation = _summarise(clinical_paper, through, base_url="http://llm.invalid/v1")
        assert generation.summary.result == VALID["result"]
        assert proxy.requests("POST") == ["http://llm.invalid/v1/chat/completions"]  # absolute-form: a proxy's
        monkeypatch.setenv("NO_PROXY", "example.com,llm.invalid")
        with pytest.raises(ModelError):
            _summarise(clinical_paper, through, base_url="http://llm.invalid/v1", model_attempts=1)
        monkeypatch.delenv("NO_PROXY")
        assert len(proxy.requests("POST")) == 1
        with StandIn(chat=lambda body: Reply(200, answer)) as local_server:
            _summarise(clinical_paper, through, base_url=f"{local_server.url}/v1")
        assert len(local_server.requests("POST")) == 1 and len(proxy.requests("POST")) == 1


def test_lower_case_proxy_variables_win_and_a_bare_address_is_an_http_proxy(clinical_paper, settings, monkeypatch):
    answer = chat_completion(json.dumps(VALID), model="m", created=1728345600)
    with StandIn(chat=lambda body: Reply(200, answer)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
        monkeypatch.setenv("http_proxy", proxy.url.removeprefix("http://"))
        _summarise(clinical_paper, settings, base_url="http://llm.invalid/v1")
    assert proxy.requests("POST") == ["http://llm.invalid/v1/chat/completions"]


def test_tls_is_verified_when_an_https_proxy_carries_a_plain_http_server(clinical_paper, settings, self_signed,
                                                                        monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", f"https://127.0.0.1:{self_signed}")
    through = settings.replace(base_url="http://llm.example.invalid/v1")
    with pytest.raises(ModelError, match="CERTIFICATE_VERIFY_FAILED"):
        _summarise(clinical_paper, through, model_attempts=1)


@pytest.mark.parametrize("proxy", ["socks5://user:s3cretPW@127.0.0.1:1080", "http://user:s3cretPW@host:port",
                                   "http://user:s3cretPW@:3128", "ftp://user:s3cretPW@host"])
def test_a_proxy_that_cannot_be_used_is_one_error_without_its_password(settings, proxy, monkeypatch):
    monkeypatch.setenv("ALL_PROXY", proxy)
    with pytest.raises(ConfigError, match=r"the proxy for https:// \(HTTPS_PROXY or ALL_PROXY\) must be an http") \
            as info:
        llm.make_client(settings)
    assert "s3cretPW" not in str(info.value) and "REDACTED" in str(info.value)


def test_a_proxy_that_refuses_or_wants_credentials_stops_the_run_naming_it_without_its_password(clinical_paper,
                                                                                               settings, monkeypatch):
    wants = Reply(407, b"Proxy Authentication Required", {"Proxy-Authenticate": 'Basic realm="corp"'})
    with StandIn(chat=lambda body: wants) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.replace("http://", "http://me:s3cretPW@"))
        through = settings
        with pytest.raises(llm.FatalModelError, match=r"the proxy http://REDACTED@127.0.0.1:\d+ wants credentials "
                                                      r"\(HTTP 407\) for http://llm.invalid/v1") as info:
            _summarise(clinical_paper, through, base_url="http://llm.invalid/v1")
        assert len(proxy.requests("POST")) == 1 and "s3cretPW" not in str(info.value)
    monkeypatch.setenv("HTTP_PROXY", "http://me:s3cretPW@127.0.0.1:9")  # nothing listens on port 9
    closed = settings
    unreachable = r"cannot reach the model server at http://llm.invalid/v1 through the proxy http://REDACTED@"
    with pytest.raises(llm.FatalModelError, match=unreachable + r"127.0.0.1:9: .*check HTTPS_PROXY") as info:
        _summarise(clinical_paper, closed, base_url="http://llm.invalid/v1")
    assert "s3cretPW" not in str(info.value)


def test_an_empty_openai_base_url_in_the_environment_means_openai_itself(settings, monkeypatch):
    """The settings read an empty variable as unset; the SDK, left to itself, would use the empty address."""
    monkeypatch.setenv("OPENAI_BASE_URL", "")
    assert str(llm.make_client(settings.replace(base_url=None)).base_url) == "https://api.openai.com/v1/"


def test_the_response_format_is_built_once_and_sent_by_every_request(clinical_paper, settings):
    bodies = []
    answer = chat_completion(json.dumps(VALID), model="m", created=1728345600)
    with StandIn(chat=lambda body: bodies.append(body) or Reply(200, answer)) as stand_in:
        for _ in range(2):
            _summarise(clinical_paper, settings, base_url=f"{stand_in.url}/v1")
    assert llm.response_format() is llm.response_format()
    assert bodies[0]["response_format"] == bodies[1]["response_format"] == llm.response_format()
    schema = bodies[0]["response_format"]["json_schema"]
    assert schema["strict"] is True and schema["name"] == "Summary"
    assert sorted(schema["schema"]["required"]) == ["implication", "method", "objective", "questions", "result"]


def test_an_empty_answer_is_asked_for_again_then_fails_the_paper(clinical_paper, settings):
    answers = iter([chat_completion("", model="m", created=1), chat_completion(json.dumps(VALID), model="m",
                                                                                created=1)])
    heard = []
    with StandIn(chat=lambda body: Reply(200, next(answers))) as stand_in:
        generation = llm.summarise(llm.make_client(settings.replace(base_url=f"{stand_in.url}/v1")),
                                   build_messages(clinical_paper), settings.replace(base_url=f"{stand_in.url}/v1"),
                                   on_retry=heard.append)
    assert generation.summary.result == VALID["result"] and heard == ["empty answer"]
    with StandIn(chat=lambda body: Reply(200, chat_completion("  ", model="m", created=1))) as stand_in:
        with pytest.raises(ModelError, match=r"^the model's answer was empty \(2 attempts\)$"):
            _summarise(clinical_paper, settings, base_url=f"{stand_in.url}/v1")


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "127.0.0.1", "127.1", "[::1]", "[::ffff:127.0.0.1]",
                                  "0.0.0.0", "app.localhost"])
def test_this_machine_is_never_reached_through_a_proxy_however_it_is_spelt(clinical_paper, settings, host,
                                                                           monkeypatch):
    answer = chat_completion(json.dumps(VALID), model="m", created=1728345600)
    with StandIn(chat=lambda body: Reply(200, answer)) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url)
        through = settings.replace(model_attempts=1)
        try:
            _summarise(clinical_paper, through, base_url=f"http://{host}:9/v1")
        except ModelError:
            pass  # nothing listens there (or the host does not resolve): what matters is where it was sent
        assert proxy.requests("POST") == []
        _summarise(clinical_paper, through, base_url="http://gpu-box.lan:8000/v1")
        assert proxy.requests("POST") == ["http://gpu-box.lan:8000/v1/chat/completions"]


def test_a_key_or_password_echoed_into_a_summary_is_never_kept(clinical_paper, settings):
    key = settings.api_key.get_secret_value()
    leaky = dict(VALID, objective=f"Key {key} and pw s3cretPW.", questions=["Why s3cretPW?", "Q2?"])
    answer = chat_completion(json.dumps(leaky), model="m", created=1728345600)
    with StandIn(chat=lambda body: Reply(200, answer)) as stand_in:
        base = stand_in.url.replace("http://", "http://me:s3cretPW@") + "/v1"
        generation = _summarise(clinical_paper, settings, base_url=base)
    assert generation.summary.objective == "Key REDACTED and pw REDACTED."
    assert generation.summary.questions == ["Why REDACTED?", "Q2?"]
    batch_body = json.loads(answer)
    again = llm.generation_from_body(batch_body, settings.replace(base_url=base))
    assert "s3cretPW" not in again.summary.model_dump_json() and key not in again.summary.objective


def test_a_query_in_the_base_url_goes_on_every_request_not_into_the_path(clinical_paper, settings):
    answer = chat_completion(json.dumps(VALID), model="m", created=1728345600)
    paths = []

    def routes(method, path, raw, headers):
        paths.append(path)
        return Reply(200, answer) if path.startswith("/openai/v1/chat/completions?") else Reply(404, b"{}")

    with StandIn(routes=routes) as stand_in:
        _summarise(clinical_paper, settings, base_url=f"{stand_in.url}/openai/v1?api-version=2025-01-01&key=s3cretPW")
    assert paths == ["/openai/v1/chat/completions?api-version=2025-01-01&key=s3cretPW"]


def test_a_proxy_password_a_server_echoes_back_is_in_no_message(clinical_paper, settings, monkeypatch):
    echoed = Reply(500, b'{"error": {"message": "upstream refused me:s3cretPW"}}')
    with StandIn(chat=lambda body: echoed) as proxy:
        monkeypatch.setenv("HTTP_PROXY", proxy.url.replace("http://", "http://me:s3cretPW@"))
        with pytest.raises(ModelError, match="HTTP 500: upstream refused me:REDACTED") as info:
            _summarise(clinical_paper, settings, base_url="http://llm.invalid/v1", model_attempts=1)
    assert "s3cretPW" not in str(info.value)
