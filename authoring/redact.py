"""Secrets out of every URL that is written or printed: user info (`http://user:KEY@host`) and key-like query
parameters; and every form a secret takes on the wire out of any text (see `scrub`). The one place that knows what
a secret looks like."""

from __future__ import annotations

import base64
import re
from functools import lru_cache
from urllib.parse import parse_qsl, unquote, unquote_plus, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"
SECRET_QUERY_PARAMETERS = ("key", "api_key", "apikey", "api-key", "token", "access_token", "auth", "password",
                           "secret", "sig", "signature")
# A URL inside free text (an error message, a note): scheme, then everything up to whitespace or a closing mark.
# A scheme starts only where no scheme character precedes it: each run of letters is tried once (linear time; a
# long word would otherwise be rescanned from each of its letters).
_URL_IN_TEXT = re.compile(r"(?<![A-Za-z0-9+.-])[A-Za-z][A-Za-z0-9+.-]{0,30}://[^\s'\"<>)\]]+")


# User info where no scheme says where a URL starts (`user:KEY@host/v1`, `//user:KEY@host`, in a Location header or
# a mistyped address): a `name:secret@` run that starts after a delimiter (each run is tried once: linear time).
_BARE_USER_INFO = re.compile(r"(?<![^\s/'\"<>])[^\s/@:'\"<>]+:[^\s/@'\"<>]*@")


def redact_url(url: str | None) -> str:
    """`url` with its user info and secret query parameters replaced by REDACTED; other text unchanged."""
    if not url:
        return url or ""
    if "://" not in url:
        return _BARE_USER_INFO.sub(f"{REDACTED}@", url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return _URL_IN_TEXT.sub(REDACTED, url)
    netloc = parts.netloc
    if "@" in netloc:
        netloc = f"{REDACTED}@{netloc.rpartition('@')[2]}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        if any(_is_secret(name) for name, _ in pairs):
            query = urlencode([(name, REDACTED if _is_secret(name) else value) for name, value in pairs], safe=",:/")
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def url_secrets(url: str | None) -> list[str]:
    """The secret values a URL carries, to scrub wherever a server echoes them back (an error body, a feed that
    quotes its query): its key-like query parameters and user info, as written and URL-decoded, and the base64 of
    `user:password` that an HTTP client sends as `Authorization: Basic` (or `Proxy-Authorization`)."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = []
    for pair in parts.query.split("&"):
        name, _, value = pair.partition("=")
        if _is_secret(unquote_plus(name)) and value:
            found += [value, unquote(value), unquote_plus(value)]
    if "@" in parts.netloc:
        user_info = parts.netloc.rpartition("@")[0]
        user, _, password = user_info.partition(":")
        found += [part for part in (user, password, unquote(user), unquote(password)) if part]
        for pair in {f"{user}:{password}", f"{unquote(user)}:{unquote(password)}"}:
            basic = base64.b64encode(pair.encode("utf-8")).decode("ascii")
            found += [basic, basic.rstrip("=")]
    return list(dict.fromkeys(found))


def scrub(text: str, secrets: list[str] | tuple[str, ...]) -> str:
    """`text` with every known secret value (an API key, a URL's credentials) replaced by REDACTED, in any form it
    takes on the wire: as is, or with any of its characters percent-encoded (either case of hex digits), a space
    written as `+` or `%20`; so `a/b c` is found as `a/b+c`, `a%2Fb+c`, `a%2fb%20c`... A secret under 4 characters
    would redact ordinary words and is left alone."""
    pattern = _secrets_pattern(tuple(sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)))
    return pattern.sub(REDACTED, text) if pattern is not None else text


@lru_cache(maxsize=16)
def _secrets_pattern(secrets: tuple[str, ...]) -> re.Pattern[str] | None:
    # Each character is a fixed alternation (itself, or its percent-encoding): no nested quantifier, linear time.
    if not secrets:
        return None
    return re.compile("|".join("".join(_char_forms(char) for char in secret) for secret in secrets))


def _char_forms(char: str) -> str:
    encoded = "".join(f"%(?i:{byte:02x})" for byte in char.encode("utf-8"))
    spaces = "|\\+" if char == " " else ""
    return f"(?:{re.escape(char)}|{encoded}{spaces})"


def redact_text(text: str) -> str:
    """Every URL inside `text` redacted (for error messages that quote an address), and user info with no scheme
    before it."""
    return _BARE_USER_INFO.sub(f"{REDACTED}@", _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), str(text)))


def _is_secret(name: str) -> bool:
    return name.lower() in SECRET_QUERY_PARAMETERS


# Where a URL's parts meet: what is between them may be a secret a service keeps in its host or path (a bot token).
_URL_PARTS = re.compile(r"[/:@?&=#,;+]+")


def hidden_parts(url: str, shown: str) -> list[str]:
    """The parts of `url` that its shown form `shown` leaves out (a notification service's URL written with its
    secrets hidden, e.g. by Apprise's privacy mode: `tgram://1...n/CHAT` for `tgram://123:TOKEN/CHAT`), with the
    secrets url_secrets finds: every value to scrub from a message that might quote the URL."""
    parts = [unquote(part) for part in _URL_PARTS.split(url) if len(part) >= 4]
    return list(dict.fromkeys([*(part for part in parts if part not in shown), *url_secrets(url)]))
