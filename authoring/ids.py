"""Parsing and normalising arXiv ids: bare ids, `arXiv:` prefixes, versions, URLs, old-style ids."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from authoring.errors import InvalidIdError

_NEW_STYLE = re.compile(r"^(?P<yy>\d{2})(?P<mm>\d{2})\.(?P<num>\d{4,5})(?:v(?P<v>[1-9]\d*))?$")
_OLD_STYLE = re.compile(r"^(?P<base>[a-z-]+(?:\.[A-Z]{2})?/(?P<yy>\d{2})(?P<mm>\d{2})\d{3})(?:v(?P<v>[1-9]\d*))?$")
_ARXIV_HOSTS = {"arxiv.org", "www.arxiv.org", "export.arxiv.org", "browse.arxiv.org"}
_HF_HOSTS = {"huggingface.co", "www.huggingface.co", "hf.co"}
_ARXIV_URL_KINDS = {"abs", "pdf", "html", "format"}


@dataclass(frozen=True, order=True)
class ArxivId:
    """A normalised arXiv id: `base` has no version (`2410.05258`, `hep-th/9901001`); `version` may be None."""

    base: str
    version: int | None = None

    def __str__(self) -> str:
        return self.base if self.version is None else f"{self.base}v{self.version}"


def parse_id(text: str) -> ArxivId:
    """Parse one id in any accepted form; raise InvalidIdError naming it otherwise."""
    raw = text.strip()
    candidate = _strip_wrapping(raw)
    match = _NEW_STYLE.match(candidate)
    if match:
        # Months run 01-12; ids of 2007-2014 have 4 digits after the dot, from 2015 on 5.
        yymm, num = int(match["yy"] + match["mm"]), match["num"]
        if 1 <= int(match["mm"]) <= 12 and len(num) == (4 if yymm < 1501 else 5) and yymm >= 704:
            base = f"{match['yy']}{match['mm']}.{num}"
            return ArxivId(base, int(match["v"]) if match["v"] else None)
    match = _OLD_STYLE.match(candidate)
    if match and 1 <= int(match["mm"]) <= 12:
        return ArxivId(match["base"], int(match["v"]) if match["v"] else None)
    raise InvalidIdError(
        f"{raw!r} is not an arXiv id; expected forms like 2410.05258, 2410.05258v2, arXiv:2410.05258, "
        "hep-th/9901001, or an arxiv.org / huggingface.co/papers URL"
    )


def _strip_wrapping(text: str) -> str:
    """Remove an `arXiv:` prefix or the arxiv.org / HuggingFace URL around an id."""
    if text.lower().startswith("arxiv:"):
        return text[len("arxiv:") :].strip()
    if "://" not in text and text.split("/", 1)[0].lower() in _ARXIV_HOSTS | _HF_HOSTS:
        text = "https://" + text
    if "://" not in text:
        return text
    url = urlsplit(text)
    host = (url.hostname or "").lower()
    parts = [p for p in url.path.split("/") if p]
    if host in _ARXIV_HOSTS and len(parts) >= 2 and parts[0] in _ARXIV_URL_KINDS:
        rest = "/".join(parts[1:])
        return rest[: -len(".pdf")] if rest.endswith(".pdf") else rest
    if host in _HF_HOSTS and len(parts) == 2 and parts[0] == "papers":
        return parts[1]
    return text


def normalise(texts: Iterable[str]) -> tuple[list[ArxivId], list[ArxivId]]:
    """Parse ids in order and drop repeats of the same paper (any version); return (kept, dropped)."""
    kept: list[ArxivId] = []
    dropped: list[ArxivId] = []
    seen: set[str] = set()
    for text in texts:
        arxiv_id = parse_id(text)
        if arxiv_id.base in seen:
            dropped.append(arxiv_id)
            continue
        seen.add(arxiv_id.base)
        kept.append(arxiv_id)
    return kept, dropped


def read_id_lines(text: str) -> list[str]:
    """Ids from an ids file or stdin: one or more a line (separated by spaces, tabs or commas); blank lines and `#`
    comments (whole-line or trailing) ignored."""
    ids = []
    for line in text.splitlines():
        ids += [part for part in re.split(r"[\s,]+", line.split("#", 1)[0]) if part]
    return ids
