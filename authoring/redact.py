"""Secrets out of every URL that is written or printed: user info (`http://user:KEY@host`) and key-like query
parameters. The one place that knows what a secret in a URL looks like."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

REDACTED = "REDACTED"
SECRET_QUERY_PARAMETERS = ("key", "api_key", "apikey", "api-key", "token", "access_token", "auth", "password",
                           "secret", "sig", "signature")
# A URL inside free text (an error message, a note): scheme, then everything up to whitespace or a closing mark.
_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>)\]]+")


def redact_url(url: str | None) -> str:
    """`url` with its user info and secret query parameters replaced by REDACTED; other text unchanged."""
    if not url:
        return url or ""
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


def redact_text(text: str) -> str:
    """Every URL inside `text` redacted (for error messages that quote an address)."""
    return _URL_IN_TEXT.sub(lambda m: redact_url(m.group(0)), str(text))


def _is_secret(name: str) -> bool:
    return name.lower() in SECRET_QUERY_PARAMETERS
