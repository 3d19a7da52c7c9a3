"""PDF bytes -> the text a model reads for --source pdf: extracted with pypdf, split at section headings, and fitted
into a token budget with the abstract, introduction, results and conclusion before the rest."""

from __future__ import annotations

import io
import re

from authoring.errors import DigestError, in_our_words

CHARS_PER_TOKEN = 4  # a conservative estimate for English prose
_HEADING = re.compile(
    r"^\s*(?:(?:\d+(?:\.\d+)*|[IVX]+|[A-H])\.?\s+)?"
    r"(abstract|introduction|related work|background|preliminaries|methods?|methodology|approach|"
    r"experiments?|experimental (?:setup|results)|results?(?: and discussion)?|evaluation|analysis|discussion|"
    r"conclusions?(?: and future work)?|limitations|references|bibliography|appendix|acknowledge?ments?)\s*$",
    re.IGNORECASE,
)
_PRIORITY = [("introduction",), ("result", "experiment", "evaluation"), ("conclusion", "discussion")]
_DROPPED = ("references", "bibliography", "acknowledg")


class FullTextError(DigestError):
    """The PDF could not be read or held no usable text."""


def extract_text(pdf: bytes) -> str:
    """All text of a PDF, page after page."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    if not pdf.startswith(b"%PDF"):
        raise FullTextError("the download is not a PDF")
    try:
        reader = PdfReader(io.BytesIO(pdf))
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as err:
        raise FullTextError(f"the PDF could not be read ({in_our_words(err, str(err).strip())})") from None
    if len(text.split()) < 50:
        raise FullTextError("the PDF holds almost no extractable text (scanned images?)")
    return text


def sections(text: str) -> list[tuple[str, str]]:
    """(heading, body) pairs in document order; text before the first heading is headed 'front matter'."""
    found: list[tuple[str, list[str]]] = [("front matter", [])]
    for line in text.splitlines():
        match = _HEADING.match(line) if len(line) < 60 else None
        if match:
            found.append((match.group(1).lower(), []))
        else:
            found[-1][1].append(line)
    return [(name, " ".join(" ".join(body).split())) for name, body in found if " ".join(body).strip()]


def fit(text: str, abstract: str, budget_tokens: int) -> str:
    """The abstract, then introduction, results and conclusion, then the other sections in order, cut to the
    budget. References and acknowledgements are left out."""
    budget = budget_tokens * CHARS_PER_TOKEN
    parts = [(name, body) for name, body in sections(text) if not name.startswith(_DROPPED) and name != "abstract"]
    ordered: list[tuple[str, str]] = [("abstract", " ".join(abstract.split()))] if abstract else []
    for keys in _PRIORITY:
        ordered += [p for p in parts if p[0].startswith(keys) and p not in ordered]
    ordered += [p for p in parts if p not in ordered]
    out: list[str] = []
    used = 0
    for name, body in ordered:
        block = f"[{name.title()}]\n{body}"
        gap = 2 if out else 0  # the blank line between blocks
        if used + gap + len(block) > budget:
            room = budget - used - gap - 2  # room for the text and a closing " …"
            if room > 200:
                out.append(block[:room].rsplit(" ", 1)[0] + " …")
            break
        out.append(block)
        used += gap + len(block)
    return "\n\n".join(out)
