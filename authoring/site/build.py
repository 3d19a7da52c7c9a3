"""The static site: stored days -> an index page, one page per day (its papers listed at the top, each paper with
its arXiv categories), a stylesheet, a small script (search box, category filter) and an Atom feed of the newest
days, rendered through the HTML environment (autoescaped; a templates folder may replace any template). `build` is
pure (days in, files as bytes out); `publish` writes through store.atomic_write only the files whose bytes differ
from what is there, keeps the names of the files it wrote in a manifest in the site folder, removes only files
named there (day pages of days no longer stored, and only when asked), and rebuilds the search index (search.py)
when a day page changed."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from authoring import __version__
from authoring.errors import ConfigError, StoreError
from authoring.models import Digest, Entry
from authoring.site import search
from authoring.site.text import inline, note, prose
from authoring.store import files as store
from authoring.templating import html_environment
from authoring.text import drop_controls

INDEX, FEED, STYLE, SCRIPT = "index.html", "feed.xml", "style.css", "site.js"
DEFAULT_FEED_DAYS = 30
# The files `publish` wrote into the site folder: the only ones it may remove (a page a user put there stays).
MANIFEST = ".digest-site.json"
DEFAULT_TITLE = "Daily AI paper digests"
TITLES_ON_INDEX = 3
# A day page's name: what `publish` may remove once its day is no longer stored.
_DAY_PAGE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.html$")
# Characters XML 1.0 cannot carry at all (a feed with one of them does not parse).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class SiteOptions:
    """What a site build depends on besides the days."""

    title: str = DEFAULT_TITLE
    base_url: str | None = None  # absolute links and ids in the feed; pages always link relatively
    feed_days: int | None = DEFAULT_FEED_DAYS  # the newest days in the feed (None: every day)
    feed_author: str | None = None  # the feed's atom:author (Atom requires one); None: the site's title
    max_authors: int = 5
    authors_style: str = "arxiv"  # as in DATE.md: arXiv's names, or as the Hub shows them (render.shown_authors)
    templates_dir: Path | None = None


@dataclass
class Site:
    """A built site: relative file name -> bytes, and what was left out of the pages."""

    files: dict[str, bytes]
    days: int = 0
    empty: int = 0  # stored days with no paper to show: not published as days
    papers: int = 0
    pending: int = 0
    failed: int = 0


@dataclass
class Published:
    """What `publish` did: files written (new or changed), files already up to date, day pages removed."""

    written: list[Path] = field(default_factory=list)
    unchanged: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)  # day pages of days no longer stored, left in place (no prune)
    indexed: list[str] = field(default_factory=list)  # the months whose search index was rebuilt


def day_page(day: str) -> str:
    return f"{day}.html"


def build(digests: Sequence[Digest], options: SiteOptions = SiteOptions()) -> Site:
    """Every file of the site, newest day first. Entries that are not ok (pending, failed) are left out and counted;
    a day left with no entry is not published (no page, not in the index or the feed). A template that does not
    render is a ConfigError naming it."""
    digests = sorted(digests, key=lambda d: d.date, reverse=True)
    env = html_environment(options.templates_dir)
    site = Site(files={})
    shown = []
    for digest in digests:
        entries = [e for e in digest.entries if e.ok]
        site.pending += sum(1 for e in digest.entries if e.pending)
        site.failed += sum(1 for e in digest.entries if not e.ok and not e.pending)
        if entries:
            shown.append((digest, entries))
        else:
            site.empty += 1
    site.days, site.papers = len(shown), sum(len(entries) for _, entries in shown)
    context = {"title": options.title, "papers": site.papers}
    days: list[dict[str, Any]] = [
        {"date": d.date, "href": day_page(d.date), "papers": len(entries), "entries": entries,
         "text_above": note(d.text_above), "text_below": note(d.text_below),
         "categories": sorted({c for e in entries for c in categories(e)}),
         "titles": [{"title": _title(e), "href": f"{day_page(d.date)}#{e.id}"} for e in entries[:TITLES_ON_INDEX]]}
        for d, entries in shown
    ]
    for i, day in enumerate(days):
        day["newer"] = days[i - 1] if i > 0 else None
        day["older"] = days[i + 1] if i + 1 < len(days) else None
    helpers = {"authors_of": _authors_of(options), "max_authors": options.max_authors, "categories": categories,
               "inline": inline, "prose": prose}
    site.files[INDEX] = _render(env, "site/index.html.j2", site=context, days=days)
    for day in days:
        site.files[day["href"]] = _render(env, "site/day.html.j2", site=context, day=day, in_feed=False,
                                          **helpers)
    site.files[STYLE] = _source(env, "site/style.css")
    site.files[SCRIPT] = _source(env, "site/site.js")
    site.files[FEED] = feed(days, env, options, helpers)
    return site


def email_page(digest: Digest, options: SiteOptions = SiteOptions(), *, url: str | None = None) -> str:
    """A day as one self-contained HTML page for an email: its papers as on its day page, the stylesheet inline,
    no script; `url` links the day's page on the site when given."""
    env = html_environment(options.templates_dir)
    entries = [e for e in digest.entries if e.ok]
    day = {"date": digest.date, "papers": len(entries), "entries": entries, "url": url}
    helpers = {"authors_of": _authors_of(options), "max_authors": options.max_authors, "categories": categories,
               "inline": inline, "prose": prose}
    style = Markup(_source(env, "site/style.css").decode("utf-8").replace("</", "<\\/"))
    return _render(env, "site/email.html.j2", day=day, style=style, in_feed=False, **helpers).decode("utf-8")


def categories(entry: Entry) -> list[str]:
    """An entry's arXiv categories, its primary one first; none for a day imported without metadata."""
    if entry.paper is None:
        return []
    found = [entry.paper.primary_category] if entry.paper.primary_category else []
    return list(dict.fromkeys(found + entry.paper.categories))


def _title(entry: Entry) -> str:
    assert entry.paper is not None  # an entry shown is ok, so it has its paper
    return entry.paper.title


def _render(env: jinja2.Environment, name: str, **context) -> bytes:
    try:
        return env.get_template(name).render(**context).encode("utf-8")
    except jinja2.TemplateNotFound as err:
        raise ConfigError(f"template {err.name} not found (a templates folder replaces {name}, file by file)") from None
    except jinja2.TemplateError as err:
        raise ConfigError(f"template {name}: {err}") from None


def _source(env: jinja2.Environment, name: str) -> bytes:
    try:
        assert env.loader is not None
        source, _, _ = env.loader.get_source(env, name)
    except jinja2.TemplateNotFound:
        raise ConfigError(f"{name} not found") from None
    return source.encode("utf-8")


def feed(days: list[dict], env: jinja2.Environment, options: SiteOptions, helpers: dict[str, Any]) -> bytes:
    """An Atom feed with one entry per day, the newest `feed_days` days, newest first, through feedgen (a
    maintained writer of valid Atom: the namespace, the required elements, RFC 3339 dates and XML escaping are its
    job). Ids are stable: the day's page URL under --base-url, else a URN of the day; `updated` is the latest
    summary's time, or the day itself; the author is `feed_author`, else the site's title."""
    from feedgen.feed import FeedGenerator

    base = options.base_url.rstrip("/") + "/" if options.base_url else None
    generator = FeedGenerator()
    generator.id(base or "urn:digest:site")
    generator.title(_xml_text(options.title))
    generator.link(href=f"{base or ''}{INDEX}", rel="alternate")
    if base:
        generator.link(href=f"{base}{FEED}", rel="self")
    generator.generator("digest", version=__version__)
    generator.author(name=_xml_text(options.feed_author or options.title))
    newest = datetime(1970, 1, 1, tzinfo=UTC)
    for day in days[: options.feed_days]:
        updated = _updated(day)
        newest = max(newest, updated)
        entry = generator.add_entry(order="append")
        entry.id(f"{base}{day['href']}" if base else f"urn:digest:day:{day['date']}")
        entry.title(f"Papers for {day['date']} ({day['papers']} {'paper' if day['papers'] == 1 else 'papers'})")
        entry.link(href=f"{base or ''}{day['href']}", rel="alternate")
        entry.published(_midnight(day["date"]))
        entry.updated(updated)
        articles = "".join(
            _render(env, "site/entry.html.j2", entry=e, in_feed=True, **helpers).decode("utf-8")
            for e in day["entries"]
        )
        entry.content(_xml_text(articles), type="html")
    generator.updated(newest)
    return generator.atom_str(pretty=True)


def _midnight(day: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time(), tzinfo=UTC)


def _updated(day: dict) -> datetime:
    """The latest time a summary of the day was generated (the model server's stamp), or the day's midnight."""
    latest = _midnight(day["date"])
    for entry in day["entries"]:
        stamp = _generated_at(entry)
        if stamp is not None and stamp > latest:
            latest = stamp
    return latest


def _generated_at(entry: Entry) -> datetime | None:
    text = entry.provenance.generated_at if entry.provenance else None
    if not text:
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", drop_controls(text))


def publish(out_dir: Path, site: Site, *, stored: Sequence[date], prune: bool = False) -> Published:
    """Write the site into out_dir: a file whose bytes are already there is not touched; the others are written
    atomically, as regular files: a symlink in their place is replaced, never followed out of the folder. With no
    stored day (`stored`: every DATE.json, readable or not) nothing is written: a site is never emptied by a run
    from the wrong folder. A day page this publish wrote before (the manifest) whose day is no longer stored is
    removed with `prune`, else kept and reported; files it never wrote are left alone. The search index is rebuilt
    when the day pages changed."""
    if not stored:
        raise StoreError("no days to publish (no DATE.json in the output folder); the site was left as it was")
    done = Published()
    owned, indexed = _manifest(out_dir)
    for name, data in site.files.items():
        path = out_dir / name
        _unlink_symlink(path)
        (done.written if store.write_if_changed(path, data) else done.unchanged).append(path)
    keep = {d.isoformat() for d in stored}
    for name in sorted(owned - set(site.files)):
        path, match = out_dir / name, _DAY_PAGE.match(name)
        if match and path.is_file() and not path.is_symlink() and match.group(1) not in keep:
            if prune:
                path.unlink()
                done.removed.append(path)
            else:
                done.kept.append(path)
    owned = {name for name in owned if (out_dir / name).is_file()} | set(site.files)
    pages = {name: data for name, data in site.files.items() if _DAY_PAGE.match(name)}
    months, done.indexed = search.index(out_dir, pages, indexed)
    _unlink_symlink(out_dir / MANIFEST)
    store.write_if_changed(out_dir / MANIFEST, json.dumps({"files": sorted(owned), "search": months}, indent=1) + "\n")
    return done


def _authors_of(options: SiteOptions):
    """The names an entry's authors line shows: the same as its DATE.md row."""
    from authoring.markdown.render import shown_authors

    return lambda entry: shown_authors(entry, options.max_authors, options.authors_style)


def _unlink_symlink(path: Path) -> None:
    """A symlink where the site writes a file is removed (the link, not what it points to): an atomic write would
    follow it and replace a file outside the site folder."""
    if path.is_symlink():
        path.unlink()


def _manifest(out_dir: Path) -> tuple[set[str], dict[str, str]]:
    """The names of the files an earlier publish wrote (plain names in out_dir only) and the hashes of the day pages
    each month's search index was built from; nothing when there is no readable manifest."""
    path = out_dir / MANIFEST
    if path.is_symlink() or not path.is_file():
        return set(), {}
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        names, indexed = manifest.get("files", []), manifest.get("search")
    except (OSError, ValueError, AttributeError):
        return set(), {}
    months = {k: v for k, v in indexed.items() if isinstance(v, str)} if isinstance(indexed, dict) else {}
    return ({name for name in names if isinstance(name, str) and name == Path(name).name
             and name not in ("", ".", "..")}, months)
