"""Digest -> markdown in the reference layout, through the one jinja2 environment's digest template."""

from __future__ import annotations

from .models import Digest
from .templates import environment


def render_markdown(digest: Digest, *, max_authors: int = 5) -> str:
    """The day's markdown table; entries without a summary (failed, not found) are left out."""
    entries = [entry for entry in digest.entries if entry.ok]
    template = environment().get_template("digest/digest.md.j2")
    return template.render(digest=digest, entries=entries, max_authors=max_authors)
