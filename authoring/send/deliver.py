"""`digest send`: one day to each destination (an Apprise URL: tgram://, mailtos://, slack://, json://, ...), a
chat message to a chat service, the day's page to email. Each delivery is recorded in DATE.json (store.days.note)
as soon as it is made, under a fingerprint of its URL: a second run skips it unless forced. A destination that
fails is reported with its URL's secrets hidden and does not stop the others; no message, record or error ever
carries a secret of a URL."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from authoring.config import Settings
from authoring.errors import DigestError
from authoring.models import Delivery, Digest
from authoring.redact import hidden_parts, scrub
from authoring.send import message
from authoring.site.build import SiteOptions, email_page
from authoring.store import days

COMMAND = "send"


@dataclass
class Outcome:
    """What a send did, destination by destination (each shown with its secrets hidden)."""

    sent: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (destination, when it was sent)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (destination, why)


def fingerprint(url: str) -> str:
    """The key a destination's delivery is recorded under: a hash of its whole URL (the URL may hold a token)."""
    return hashlib.sha256(url.strip().encode("utf-8")).hexdigest()[:16]


def send(settings: Settings, day: date, destinations: Sequence[str], *, now: str, force: bool = False,
         site_url: str | None = None, notice: Callable[[str], None] | None = None) -> Outcome:
    """Deliver `day` to each destination not yet delivered to (every one with `force`); `now` is the time to
    record. A day with no paper to show is an error, and nothing is sent."""
    digest = days.load(settings, day, notice=notice)
    if not any(e.ok for e in digest.entries):
        raise DigestError(f"{day.isoformat()} has no paper to send (no summarised entry)")
    outcome = Outcome()
    page_url = f"{site_url.rstrip('/')}/{day.isoformat()}.html" if site_url else None
    for url in dict.fromkeys(u.strip() for u in destinations if u.strip()):
        key = fingerprint(url)
        done = digest.deliveries.get(key)
        if done is not None and not force:
            outcome.skipped.append((done.destination, done.sent_at))
            continue
        try:
            shown = _deliver(url, digest, settings, page_url)
        except _Failed as failure:
            outcome.failed.append((failure.shown, failure.reason))
            continue
        digest = days.note(settings, day, COMMAND, _recording(key, Delivery(destination=shown, sent_at=now)),
                           notice=notice)
        outcome.sent.append(shown)
    return outcome


def _recording(key: str, delivery: Delivery) -> Callable[[Digest], None]:
    def record(digest: Digest) -> None:
        digest.deliveries[key] = delivery

    return record


class _Failed(Exception):
    def __init__(self, shown: str, reason: str):
        super().__init__(reason)
        self.shown, self.reason = shown, reason


def _deliver(url: str, digest: Digest, settings: Settings, page_url: str | None) -> str:
    """Send to one destination through its Apprise plugin; returns how it is shown."""
    import apprise
    from apprise.plugins.email import NotifyEmail

    plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if plugin is None:
        raise _Failed(_shown(url), "Apprise cannot use this URL: an unknown service, or a part of it missing or "
                                    "malformed (each service's form: https://appriseit.com/services/)")
    shown = _shown(url, plugin.url(privacy=True))
    secrets = hidden_parts(url, shown)
    is_email = isinstance(plugin, NotifyEmail)
    if is_email:
        body = email_page(digest, SiteOptions(max_authors=settings.max_authors,
                                              authors_style=settings.authors_style,
                                              templates_dir=settings.templates_dir), url=page_url)
        body_format = apprise.NotifyFormat.HTML
    else:
        body, body_format = message.chat_text(digest, url=page_url), apprise.NotifyFormat.TEXT
        plugin.overflow_mode = apprise.OverflowMode.SPLIT  # a message over the service's limit goes in several
    with apprise.LogCapture(level=logging.WARNING) as captured:
        try:
            delivered = plugin.notify(body=body, title=message.title(digest), body_format=body_format)
        except Exception as problem:  # a plugin that raises instead of answering False: still one destination
            delivered, reason = False, f"{type(problem).__name__}: {problem}"
        else:
            reason = ""
    if not delivered:
        said = [line.split(" - ", 2)[-1] for line in captured.getvalue().splitlines() if line.strip()]
        reason = reason or (said[-1] if said else "the service did not accept the message")
        raise _Failed(shown, scrub(reason, secrets))
    return shown


def _shown(url: str, private: str | None = None) -> str:
    """A destination as it is shown and recorded: Apprise's privacy form (its secrets hidden) without its query
    of options, and never a part that form left out; a URL Apprise does not know shows its scheme only."""
    if private is None:
        scheme, found, _ = url.partition("://")
        return f"{scheme}://…" if found else "(not a URL)"
    return scrub(private.partition("?")[0], hidden_parts(url, private))
