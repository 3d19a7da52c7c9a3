"""Publishing: `digest site`, a static site, its search index and an Atom feed of the stored days, with no network;
and `digest send`, a day delivered to chat and email."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from authoring.cli.options import Authors, Day, OutputDir, Templates, style, whole_number
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
        typer.Option(metavar="N", parser=whole_number(1),
                     help="Put only the newest N days in the feed (default: the feed_days setting, 30)."),
    ] = None,
    feed_author: Annotated[
        str | None, typer.Option(metavar="NAME", help="The feed's author (default: the feed_author setting, else "
                                 "the site's title)."),
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove the pages of days no longer stored (kept otherwise).")
    ] = False,
    templates: Templates = None,
    output_dir: OutputDir = None,
    authors: Authors = None,
) -> None:
    """Publish every stored day as a static site: index.html, a page per day, a search index and an Atom feed.

    Offline; only files whose bytes change are rewritten, and the search index (Pagefind) only when a day page
    changed. Pending and failed entries, and days left with none, are left out. With no stored day nothing is
    written. Example: digest site --out site --base-url https://you.github.io/digests/
    """
    from authoring.site import build as sites
    from authoring.store import days
    from authoring.store import files as store

    settings = load_settings(output_dir=output_dir, templates_dir=templates, authors_style=style(authors),
                             feed_days=feed_days, feed_author=feed_author)
    stored = store.stored_days(settings.output_dir)
    if not stored:
        raise DigestError(f"no days in {settings.output_dir} (no DATE.json); {out}/ was left as it was (is "
                          "--output-dir right?)")
    digests, problems = [], 0
    for day in stored:
        try:
            digests.append(days.load(settings, day, notice=warn))
        except DigestError as problem:  # one unreadable day does not stop the others; its old page stays
            warn(f"Error: {problem}")
            problems += 1
    options = sites.SiteOptions(title=title, base_url=base_url, feed_days=settings.feed_days,
                                feed_author=settings.feed_author,
                                max_authors=settings.max_authors, authors_style=settings.authors_style,
                                templates_dir=settings.templates_dir)
    built = sites.build(digests, options)
    done = sites.publish(out, built, stored=stored, prune=prune)
    for path in done.written:
        say(f"Wrote {path}")
    for path in done.removed:
        say(f"Removed {path} (its day is no longer stored)")
    if done.kept:
        say(f"Kept {count(len(done.kept), 'page')} of days no longer stored ({', '.join(p.name for p in done.kept)});"
            " --prune removes them")
    if done.indexed:
        say(f"Indexed {count(len(done.indexed), 'month')} for search ({', '.join(done.indexed)}) in {out}/pagefind/")
    if built.empty:
        say(f"{count(built.empty, 'day')} with no paper to show {'was' if built.empty == 1 else 'were'} not published")
    left_out = ""
    if built.pending or built.failed:
        left_out = (f"; {count(built.pending + built.failed, 'entry', 'entries')} left out: {built.pending} "
                    f"pending, {built.failed} failed")
    say(f"Site in {out}/: {count(built.days, 'day')}, {count(built.papers, 'paper')}; "
        f"{count(len(done.written), 'file')} written, {len(done.unchanged):,} unchanged{left_out}")
    if problems:
        raise DigestError(f"{count(problems, 'day')} of {len(stored)} could not be read and "
                          f"{'was' if problems == 1 else 'were'} left out (see above)")


@commands.command()
def send(
    day: Day,
    to: Annotated[
        list[str] | None,
        typer.Option("--to", metavar="URL", help="An Apprise URL to deliver to (tgram://, mailtos://, slack://, "
                     "json://, ...); repeat for more. Default: the send_to setting (env DIGEST_SEND_TO)."),
    ] = None,
    force: Annotated[bool, typer.Option(help="Send again to destinations the day was already sent to.")] = False,
    site_url: Annotated[
        str | None,
        typer.Option(parser=_base_url, metavar="URL", help="Where the site is served: the message links the "
                     "day's page."),
    ] = None,
    output_dir: OutputDir = None,
) -> None:
    """Deliver a day to chat and email through Apprise: a chat gets the titles with their links (split to the
    service's length limit), an email the day's page.

    Each delivery is recorded in DATE.json: a second run sends nothing new (--force sends again). A destination
    that fails is named with its secrets hidden, and the others still go.
    Example: digest send 2024-10-08 --to "tgram://$BOT_TOKEN/$CHAT_ID"
    """
    from datetime import UTC, datetime

    from authoring.send import deliver

    settings = load_settings(output_dir=output_dir)
    destinations = to or settings.send_to
    if not destinations:
        raise typer.BadParameter("no destination: pass --to URL, or set DIGEST_SEND_TO (or send_to in digest.toml)",
                                 param_hint="'--to'")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    done = deliver.send(settings, day, destinations, now=now, force=force, site_url=site_url, notice=warn)
    for destination in done.sent:
        say(f"Sent {day.isoformat()} to {destination}")
    for destination, when in done.skipped:
        say(f"Already sent to {destination} on {when}; nothing sent (--force sends again)")
    for destination, why in done.failed:
        warn(f"Error: sending to {destination} failed: {why}")
    if done.failed:
        tried = len(done.sent) + len(done.skipped) + len(done.failed)
        raise DigestError(f"{count(len(done.failed), 'destination')} of {tried} failed (see above); "
                          f"{count(len(done.sent), 'delivery', 'deliveries')} made and recorded")
    if not done.sent:
        say(f"Nothing sent: {day.isoformat()} was already sent to every destination")
