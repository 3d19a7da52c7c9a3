"""What a day looks like when it is sent: a short chat message (the day's titles with their links) and, for
email, the day's page (site.build.email_page). Pure: a Digest in, text out."""

from __future__ import annotations

from authoring.models import Digest
from authoring.templating import arxiv_url
from authoring.text import count, drop_controls


def title(digest: Digest) -> str:
    return f"Papers for {digest.date} ({count(sum(1 for e in digest.entries if e.ok), 'paper')})"


def chat_text(digest: Digest, *, url: str | None = None) -> str:
    """The day's titles, one paper a line with its arXiv link, then the day's page on the site when known. Lines
    are whole: a service's length limit splits the message between papers (Apprise's split keeps lines)."""
    lines = [f"• {' '.join(drop_controls(e.paper.title).split())} {arxiv_url(e.id)}"
             for e in digest.entries if e.ok and e.paper is not None]
    if url:
        lines.append(f"All summaries: {url}")
    return "\n".join(lines)
