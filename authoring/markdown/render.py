"""Digest -> markdown in the reference layout, through the text environment's digest template (a templates folder
may replace it)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

from authoring.models import Digest, Entry, Summary
from authoring.templating import environment, text_cell

DIGEST_TEMPLATE = "digest/digest.md.j2"
SUMMARY_TEMPLATE = "digest/summary.j2"


def render_markdown(
    digest: Digest, *, max_authors: int = 5, authors_style: str = "arxiv", templates_dir: Path | None = None
) -> str:
    """The day's markdown table; entries without a summary (failed, pending, not found) are left out."""
    entries = [entry for entry in digest.entries if entry.ok]
    template = environment(None, templates_dir).get_template(DIGEST_TEMPLATE)
    return template.render(digest=digest, entries=entries, max_authors=max_authors,
                           authors_of=lambda entry: shown_authors(entry, max_authors, authors_style))


def shown_authors(entry: Entry, max_authors: int = 5, style: str = "arxiv") -> list[str]:
    """The names of the authors cell, at most `max_authors`.

    arxiv: the first names of arXiv's list, in its order.
    hf: as the HuggingFace paper page showed them, which is what the reference digest's Authors column holds:
    claimed accounts by username, others by name. Which five and in what order is not documented by HF; this rule
    reproduces all 15 rows of the reference digest (tests/test_hf.py): take the claimed authors in arXiv order,
    then the unclaimed ones in arXiv order, keep the first `max_authors`, and show them last first (e.g.
    `Li Dong, thegenerality, sunyt32, yuqxia, ytz20`). An entry without the Hub's author list (not taken from
    --from-hf, or its authors edited by hand) shows arXiv's names."""
    if style == "hf" and entry.hub is not None and entry.hub.authors:
        authors = entry.hub.authors
        ranked = [a for a in authors if a.username] + [a for a in authors if not a.username]
        return [a.username or a.name for a in reversed(ranked[:max_authors])]
    return entry.paper.authors[:max_authors] if entry.paper else []


_ROW_ID = re.compile(r"arxiv\.org/abs/([^)\s]+)\)")


def row_hashes(markdown: str) -> dict[str, str]:
    """A short hash of each paper's row in a digest's markdown, by the id of its arXiv link (first row wins)."""
    rows: dict[str, str] = {}
    for line in markdown.split("\n"):
        if line.startswith("|") and (found := _ROW_ID.search(line)):
            arxiv_id = re.sub(r"v\d+$", "", found.group(1))
            rows.setdefault(arxiv_id, hashlib.sha256(line.encode("utf-8")).hexdigest()[:16])
    return rows


def summary_cell(summary: Summary) -> str:
    """The summary cell exactly as the digest template writes it (the template's own macro, escaped)."""
    module = environment().get_template(SUMMARY_TEMPLATE).module
    # jinja2 sets a template's macros on its module at run time; TemplateModule's types do not declare them
    return text_cell(module.summary_text(summary))  # type: ignore[attr-defined]


_FIELD = "\ue000"  # a private-use character standing for a field's text in summary_layout


@lru_cache(maxsize=2)
def summary_layout(questions: int) -> tuple[str, ...]:
    """The literal text of a summary cell around its fields, as the template writes it for `questions` questions:
    ('a) ', '  b) ', '  c) ', '  d) ', '  Follow-up questions:  1. ', '  2. ', '') for two. Parsing our own cells
    from it means a change to the template cannot make the parser disagree with it."""
    stand_in = Summary.model_construct(objective=_FIELD, method=_FIELD, result=_FIELD, implication=_FIELD,
                                       questions=[_FIELD] * questions)
    return tuple(summary_cell(stand_in).split(_FIELD))
