"""Digest -> markdown in the reference layout, through the text environment's digest template (a templates folder
may replace it)."""

from __future__ import annotations

from pathlib import Path

from .models import Digest, Summary
from .templates import environment, escape_cell

DIGEST_TEMPLATE = "digest/digest.md.j2"
SUMMARY_TEMPLATE = "digest/summary.j2"


def render_markdown(digest: Digest, *, max_authors: int = 5, templates_dir: Path | None = None) -> str:
    """The day's markdown table; entries without a summary (failed, not found) are left out."""
    entries = [entry for entry in digest.entries if entry.ok]
    template = environment(None, templates_dir).get_template(DIGEST_TEMPLATE)
    return template.render(digest=digest, entries=entries, max_authors=max_authors)


def summary_cell(summary: Summary) -> str:
    """The summary cell exactly as the digest template writes it (the template's own macro, escaped)."""
    return escape_cell(environment().get_template(SUMMARY_TEMPLATE).module.summary_text(summary))
