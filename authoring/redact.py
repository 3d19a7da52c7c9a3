"""Secrets out of every URL that is written or printed: user info (`http://user:KEY@host`) and key-like query
parameters. The one place that knows what a secret in a URL looks like."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
    """The secret values a URL carries (its user info, its key-like query parameters), to scrub wherever a server
    echoes them back (an error body, a feed that quotes its query)."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    found = [value for name, value in parse_qsl(parts.query, keep_blank_values=True) if _is_secret(name) and value]
    if "@" in parts.netloc:
        user_info = parts.netloc.rpartition("@")[0]
        found += [part for part in user_info.split(":") if part]
    return found


def scrub(text: str, secrets: list[str] | tuple[str, ...]) -> str:
    """`text` with every known secret value (an API key, a URL's credentials) replaced by REDACTED."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def redact_text(text: str) -> str:
    """Every URL inside `text` redacted (for error messages that quote an address), and user info with no scheme
    before it."""
    return _BARE_USER_INFO.sub(f"{REDACTED}@", _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), str(text)))


def _is_secret(name: str) -> bool:
    return name.lower() in SECRET_QUERY_PARAMETERS
