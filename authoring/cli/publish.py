"""Publishing: `digest site`, a static site and an Atom feed of every stored day, with no network."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from authoring.cli.options import Authors, OutputDir, Templates, style
from authoring.cli.session import load_settings, say, warn
from authoring.errors import DigestError
from authoring.text import count

commands = typer.Typer()


def _base_url(value: str | None) -> str | None:
    """--base-url: an absolute http(s) address, where the site will be served."""
    if value is None:
        return None
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise typer.BadParameter(f"{value!r} is not an absolute http(s) address, e.g. https://you.github.io/digests/")
    return value.strip()


@commands.command()
def site(
    out: Annotated[
        Path, typer.Option("--out", metavar="DIR", help="The folder to write the site into.")
    ] = Path("site"),
    base_url: Annotated[
        str | None,
        typer.Option(parser=_base_url, metavar="URL", help="Where the site is served, e.g. "
                     "https://you.github.io/digests/: the feed's links and ids become absolute (pages always link "
                     "relatively)."),
    ] = None,
    title: Annotated[str, typer.Option(metavar="TEXT", help="The site's title.")] = "Daily AI paper digests",
    feed_days: Annotated[
        int | None,
        typer.Option(min=1, metavar="N", help="Put only the newest N days in the feed (default: every day)."),
    ] = None,
    templates: Templates = None,
    output_dir: OutputDir = None,
    authors: Authors = None,
) -> None:
    """Publish every stored day as a static site: index.html, a page per day, style.css and an Atom feed.

    Offline; only files whose bytes change are rewritten. Pending and failed entries are left out.
    Example: digest site --out site --base-url https://you.github.io/digests/
    """
    from authoring.site import build as sites
    from authoring.store import days
    from authoring.store import files as store

    settings = load_settings(output_dir=output_dir, templates_dir=templates, authors_style=style(authors))
    stored = store.stored_days(settings.output_dir)
    digests, problems = [], 0
    for day in stored:
        try:
            digests.append(days.load(settings, day, notice=warn))
        except DigestError as problem:  # one unreadable day does not stop the others; its old page stays
            warn(f"Error: {problem}")
            problems += 1
    options = sites.SiteOptions(title=title, base_url=base_url, feed_days=feed_days,
                                max_authors=settings.max_authors, authors_style=settings.authors_style,
                                templates_dir=settings.templates_dir)
    built = sites.build(digests, options)
    done = sites.publish(out, built, stored=stored)
    for path in done.written:
        say(f"Wrote {path}")
    for path in done.removed:
        say(f"Removed {path} (its day is no longer stored)")
    left_out = ""
    if built.pending or built.failed:
        left_out = (f"; {count(built.pending + built.failed, 'entry', 'entries')} left out: {built.pending} "
                    f"pending, {built.failed} failed")
    say(f"Site in {out}/: {count(built.days, 'day')}, {count(built.papers, 'paper')}; "
        f"{count(len(done.written), 'file')} written, {len(done.unchanged):,} unchanged{left_out}")
    if problems:
        raise DigestError(f"{count(problems, 'day')} of {len(stored)} could not be read and "
                          f"{'was' if problems == 1 else 'were'} left out (see above)")
