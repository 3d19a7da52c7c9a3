"""`digest send` against loopback servers: Apprise's json:// webhook to a small HTTP server, and email through
aiosmtpd (an SMTP server) on 127.0.0.1. The message arrives once with every title; a second run sends nothing and
says so; a failing destination does not stop the others; no secret of a URL is in the output or in DATE.json."""

from __future__ import annotations

import email
import email.policy
import http.server
import json
import socket
import threading
from datetime import date
from pathlib import Path

import pytest

from authoring.config import Settings
from authoring.models import Digest, Entry, Paper, Summary
from authoring.store import days
from authoring.store import files as store
from tests.conftest import ROOT
from tests.helpers import assert_one_line_error, assert_usage_error, run

GOLDEN = ROOT / "tests" / "golden"
DAY = "2024-10-08"
TOKEN = "s3cr3t-T0ken-4242"  # a secret in a URL's query
PASSWORD = "hunter2-Passw0rd"  # a secret in a URL's user info


class Hook:
    """A webhook on loopback: records each JSON body POSTed to it; answers `status`."""

    def __init__(self, status: int = 200):
        self.received: list[dict] = []
        hook = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hook.received.append(json.loads(body))
                self.send_response(status)
                self.end_headers()

            def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.port = self.server.server_address[1]

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}?token={TOKEN}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def hook():
    server = Hook()
    yield server
    server.close()


@pytest.fixture
def smtp():
    """aiosmtpd on a free loopback port, accepting any login (over plain SMTP: it is a test server)."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult

    class Inbox:
        def __init__(self):
            self.messages: list[email.message.EmailMessage] = []

        async def handle_DATA(self, server, session, envelope):
            self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
            return "250 OK"

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port, auth_require_tls=False,
                            authenticator=lambda *args: AuthResult(success=True))
    controller.start()
    inbox.url = (f"mailto://digest:{PASSWORD}@127.0.0.1:{port}?from=digest@example.org&to=reader@example.org")
    yield inbox
    controller.stop()


@pytest.fixture
def output(tmp_path) -> Path:
    folder = tmp_path / "output"
    folder.mkdir()
    for suffix in (".json", ".md"):
        (folder / f"{DAY}{suffix}").write_bytes((GOLDEN / f"{DAY}{suffix}").read_bytes())
    return folder


def titles() -> list[str]:
    return [e.paper.title for e in store.load_digest(GOLDEN, date(2024, 10, 8)).entries]


def send(output: Path, *args: str, env: dict | None = None):
    return run("send", DAY, "--output-dir", str(output), *args, env=env)


def no_secret(*texts: str) -> None:
    for text in texts:
        assert TOKEN not in text and PASSWORD not in text, text


def test_a_chat_destination_gets_every_title_once_and_a_second_run_sends_nothing(output, hook):
    first = send(output, "--to", hook.url())
    assert first.exit_code == 0, first.output
    (message, ) = hook.received
    assert message["title"] == "Papers for 2024-10-08 (15 papers)"
    lines = message["message"].splitlines()
    assert len(lines) == 15
    for line, title, entry in zip(lines, titles(), store.load_digest(GOLDEN, date(2024, 10, 8)).entries,
                                  strict=True):
        assert line == f"• {title} https://arxiv.org/abs/{entry.id}"
    assert f"Sent {DAY} to json://127.0.0.1:{hook.port}/hook" in first.stdout

    again = send(output, "--to", hook.url())
    assert again.exit_code == 0 and len(hook.received) == 1
    assert "Already sent to json://127.0.0.1" in again.stdout and "nothing sent (--force sends again)" in again.stdout
    assert "Nothing sent: 2024-10-08 was already sent to every destination" in again.stdout

    forced = send(output, "--to", hook.url(), "--force")
    assert forced.exit_code == 0 and len(hook.received) == 2
    no_secret(first.output, again.output, forced.output, (output / f"{DAY}.json").read_text(encoding="utf-8"))


def test_the_delivery_is_recorded_in_the_day_and_date_md_stays_in_sync(output, hook):
    settings = Settings(output_dir=output)
    before_md = (output / f"{DAY}.md").read_bytes()
    assert send(output, "--to", hook.url()).exit_code == 0
    digest = days.load(settings, date(2024, 10, 8))
    (delivery, ) = digest.deliveries.values()
    assert delivery.destination == f"json://127.0.0.1:{hook.port}/hook" and delivery.sent_at.startswith("20")
    assert (output / f"{DAY}.md").read_bytes() == before_md
    assert days.markdown_state(settings, date(2024, 10, 8), digest) == days.IN_SYNC
    listed = run("list", "--output-dir", str(output))
    (row, ) = [line for line in listed.stdout.splitlines() if DAY in line]
    assert listed.exit_code == 0 and "in sync" in row


def test_an_email_gets_the_days_page_once(output, smtp):
    first = send(output, "--to", smtp.url)
    assert first.exit_code == 0, first.output
    (mail, ) = smtp.messages
    assert mail["Subject"] == "Papers for 2024-10-08 (15 papers)" and mail["To"] == "reader@example.org"
    html = mail.get_body(("html", )).get_content()
    from tests.site.test_build import Page

    page = Page(html)
    assert page.headings == titles() and not page.tags("script") and page.tags("style")
    assert [href for href, _ in page.links if href.startswith("https://arxiv.org/abs/")]
    again = send(output, "--to", smtp.url)
    assert again.exit_code == 0 and len(smtp.messages) == 1 and "Already sent to mailto://" in again.stdout
    no_secret(first.output, again.output, (output / f"{DAY}.json").read_text(encoding="utf-8"))


def test_a_failing_destination_is_named_without_its_secrets_and_the_others_still_go(output, hook, smtp):
    failing = Hook(status=500)
    try:
        broken = failing.url("broken")
        unknown = f"nosuchservice://user:{PASSWORD}@example.org/{TOKEN}"
        result = send(output, "--to", broken, "--to", hook.url(), "--to", unknown, "--to", smtp.url)
        assert result.exit_code == 1
        assert len(hook.received) == 1 and len(smtp.messages) == 1 and len(failing.received) == 1
        errors = [line for line in result.stderr.splitlines() if line.startswith("Error: ")]
        assert len(errors) == 3, result.stderr
        assert errors[0].startswith(f"Error: sending to json://127.0.0.1:{failing.port}/broken failed: ")
        assert errors[1].startswith("Error: sending to nosuchservice://… failed: Apprise cannot use this URL")
        assert errors[2] == "Error: 2 destinations of 4 failed (see above); 2 deliveries made and recorded"
        assert "Traceback" not in result.output
        no_secret(result.output, (output / f"{DAY}.json").read_text(encoding="utf-8"))

        # again: the two delivered are skipped; the failed one is tried again (and fails again), nothing else goes
        again = send(output, "--to", broken, "--to", hook.url(), "--to", smtp.url)
        assert again.exit_code == 1 and len(hook.received) == 1 and len(smtp.messages) == 1
        assert len(failing.received) == 2 and again.stdout.count("Already sent to") == 2
    finally:
        failing.close()


def test_destinations_come_from_the_environment_and_digest_toml(output, hook, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    second = Hook()
    try:
        result = send(output, env={"DIGEST_SEND_TO": f"{hook.url()}  {second.url('two')}"})
        assert result.exit_code == 0, result.output
        assert len(hook.received) == 1 and len(second.received) == 1
        (tmp_path / "digest.toml").write_text(f'send_to = ["{hook.url("three")}"]\n', encoding="utf-8")
        from_file = send(output)
        assert from_file.exit_code == 0 and len(hook.received) == 2
        no_secret(result.output, from_file.output)
    finally:
        second.close()


def test_no_destination_is_a_usage_error(output):
    assert_usage_error(send(output), "no destination", "DIGEST_SEND_TO")


def test_a_day_with_nothing_to_send_is_one_error_and_nothing_is_sent(tmp_path, hook):
    settings = Settings(output_dir=tmp_path / "output")
    days.write(settings, date(2024, 10, 9), Digest(date="2024-10-09", entries=[
        Entry(id="2410.00001", error="2410.00001 not found on arXiv")]))
    result = run("send", "2024-10-09", "--output-dir", str(settings.output_dir), "--to", hook.url())
    assert_one_line_error(result, "2024-10-09 has no paper to send")
    assert hook.received == []


def test_a_long_day_is_split_between_papers_within_the_services_limit(tmp_path, hook):
    """json:// takes 32,768 characters a message: 200 papers with long titles go in several, no title cut."""
    import apprise

    limit = apprise.Apprise.instantiate(hook.url()).body_maxlen
    settings = Settings(output_dir=tmp_path / "output")
    long = [f"Paper {n:03d} " + "on a very long subject " * 8 for n in range(200)]
    days.write(settings, date(2024, 10, 9), Digest(date="2024-10-09", entries=[
        Entry(id=f"2410.{n:05d}", paper=Paper(id=f"2410.{n:05d}", title=title, authors=["A"]),
              summary=Summary(objective="O.", method="M.", result="R 1%.", implication="I.", questions=["Q?", "R?"]))
        for n, title in enumerate(long)]))
    result = run("send", "2024-10-09", "--output-dir", str(settings.output_dir), "--to", hook.url())
    assert result.exit_code == 0, result.output
    assert len(hook.received) >= 2
    assert all(len(m["message"]) <= limit for m in hook.received)
    lines = [line for m in hook.received for line in m["message"].splitlines()]
    assert [line.rsplit(" https://", 1)[0].removeprefix("• ") for line in lines] == [" ".join(t.split()) for t in long]


def test_secrets_of_a_telegram_url_are_never_shown():
    from authoring.send.deliver import _shown

    url = "tgram://123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr/-1009876543210"
    import apprise

    shown = _shown(url, apprise.Apprise.instantiate(url).url(privacy=True))
    assert "AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr" not in shown and "123456789" not in shown
    assert shown.startswith("tgram://")


def test_digest_config_shows_the_destinations_by_their_count_never_their_urls(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    url = "tgram://123456789:AAbbCCddEEffGGhhIIjjKKllMMnnOOppQQr/-1009876543210"
    for args in (["config"], ["config", "--json"]):
        shown = run(*args, env={"DIGEST_SEND_TO": f"{url} json://127.0.0.1:9/hook?token={TOKEN}"})
        assert shown.exit_code == 0, shown.output
        assert "2 destinations (not shown)" in shown.stdout and "send_to" in shown.stdout
        assert "AAbbCCdd" not in shown.output and TOKEN not in shown.output
