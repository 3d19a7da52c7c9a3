"""`digest site`: the static pages and the Atom feed. Pages are read back with a real HTML parser (html.parser), in
Chromium's DOM for the browser tests, and the feed with xml.etree. No network: file:// pages only."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from typer.testing import CliRunner

from authoring.cli import app
from authoring.config import Settings
from authoring.models import Digest, Entry, Paper, Provenance, Summary
from authoring.site import build as site
from authoring.store import days, edits
from authoring.store import files as store
from tests.conftest import ROOT
from tools import browser
from tools.screenshots import demo_site

GOLDEN = ROOT / "tests" / "golden"
CORPUS = ROOT / "tests" / "data" / "corpus"
ATOM = "{http://www.w3.org/2005/Atom}"
HOSTILE_TITLE = '<script>alert("t")</script> Tom & Jerry <b>bold</b> <img src=x onerror="alert(1)">'
HOSTILE_AUTHOR = '<img src=y onerror="alert(2)"> Smith & <b>Jones</b>'
runner = CliRunner()


# ------------------------------------------------------------------------------------------------------- helpers
class Page(HTMLParser):
    """A page as a parser reads it: every element (tag, attributes), the links with their text, the text."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict]] = []
        self.links: list[tuple[str, str]] = []
        self.headings: list[str] = []
        self._link: list | None = None
        self._heading: list | None = None
        self.text_parts: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        if tag == "a":
            self._link = [dict(attrs).get("href"), ""]
        if tag == "h2":
            self._heading = [""]

    def handle_endtag(self, tag):
        if tag == "a" and self._link is not None:
            self.links.append((self._link[0], self._link[1]))
            self._link = None
        if tag == "h2" and self._heading is not None:
            self.headings.append(self._heading[0])
            self._heading = None

    def handle_data(self, data):
        self.text_parts.append(data)
        if self._link is not None:
            self._link[1] += data
        if self._heading is not None:
            self._heading[0] += data

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())

    def tags(self, name: str) -> list[dict]:
        return [attrs for tag, attrs in self.elements if tag == name]


def only_our_scripts(page: Page) -> bool:
    """The page's scripts are the site's own two files (search box, category filter), none inline."""
    return [script.get("src") for script in page.tags("script")] == ["pagefind/pagefind-ui.js", "site.js"]


def day_links(index: Page) -> list[str]:
    """The index's links to its days, in order."""
    return [a["href"] for a in index.tags("a") if a.get("class") == "day"]


def summary(n: int = 0) -> Summary:
    return Summary(objective=f"Objective {n}.", method=f"Method {n}.", result=f"Result {n}: 12% better.",
                   implication=f"Implication {n}.", questions=[f"Question {n}.1?", f"Question {n}.2?"])


def entry(arxiv_id: str, title: str | None = None, authors: list[str] | None = None, **fields) -> Entry:
    paper = Paper(id=arxiv_id, version=1, title=title or f"Paper {arxiv_id}", authors=authors or ["A. Author"])
    fields.setdefault("summary", summary())
    return Entry(id=arxiv_id, paper=paper, **fields)


def golden() -> Digest:
    return store.load_digest(GOLDEN, date(2024, 10, 8))


def hostile_day() -> Digest:
    return Digest(date="2024-10-09", entries=[
        entry("2410.00001", HOSTILE_TITLE, [HOSTILE_AUTHOR, "Ada <i>Lovelace</i>"],
              summary=Summary(objective="Uses <script>x()</script> & <b>tags</b>.", method="M.", result="R 1%.",
                              implication="I.", questions=["<img src=z onerror=alert(3)>?", "Q & A?"])),
        entry("2410.00002", "Prose & <em>markup</em>", summary=None,
              summary_markdown=r"An imported cell with a \| pipe, <script>alert(4)</script> and **stars**."),
    ])


def feed_entries(data: bytes) -> list[ET.Element]:
    root = ET.fromstring(data)
    assert root.tag == f"{ATOM}feed"
    return root.findall(f"{ATOM}entry")


@pytest.fixture
def store_settings(tmp_path) -> Settings:
    """Three stored days: the demo day (golden), a hostile day and a small day with a pending and a failed entry."""
    settings = Settings(output_dir=tmp_path / "output")
    for suffix in (".json", ".md"):
        store.atomic_write(settings.output_dir / f"2024-10-08{suffix}", (GOLDEN / f"2024-10-08{suffix}").read_bytes())
    days.write(settings, date(2024, 10, 9), hostile_day())
    days.write(settings, date(2024, 10, 7), Digest(date="2024-10-07", entries=[
        entry("2410.00010"), Entry(id="2410.00011", paper=Paper(id="2410.00011", title="P", authors=["A"])),
        Entry(id="2410.00012", error="2410.00012 not found on arXiv"),
    ]))
    return settings


def run_site(settings: Settings, out: Path, *args: str):
    return runner.invoke(app, ["site", "--out", str(out), "--output-dir", str(settings.output_dir), *args])


# ---------------------------------------------------------------------------------------------------- escaping
def test_a_hostile_title_author_and_summary_are_text_on_every_page_and_in_the_feed():
    built = site.build([hostile_day()])
    for name in ("index.html", "2024-10-09.html"):
        page = Page(built.files[name].decode())
        assert only_our_scripts(page) and not page.tags("img") and not page.tags("b") and not page.tags("em"), name
        assert HOSTILE_TITLE in page.text, name
    day = Page(built.files["2024-10-09.html"].decode())
    assert day.headings[0] == HOSTILE_TITLE
    assert HOSTILE_AUTHOR in day.text and "Ada <i>Lovelace</i>" in day.text and not day.tags("i")
    assert "Uses <script>x()</script> & <b>tags</b>." in day.text and "<img src=z onerror=alert(3)>?" in day.text
    assert "An imported cell with a | pipe, <script>alert(4)</script> and stars." in day.text
    assert [tag for tag, _ in day.elements].count("strong") == 1  # **stars**: markdown emphasis, rendered
    (first, ) = feed_entries(built.files["feed.xml"])
    content = first.find(f"{ATOM}content")
    assert content.get("type") == "html"
    inner = Page(content.text)  # what a feed reader renders: the titles are still text
    assert not inner.tags("script") and not inner.tags("img") and HOSTILE_TITLE in inner.text


def test_characters_xml_cannot_carry_do_not_break_the_feed():
    day = Digest(date="2024-10-09", entries=[entry("2410.00001", "Bell \x07 and form feed \x0c")])
    (first, ) = feed_entries(site.build([day]).files["feed.xml"])
    assert "Bell" in first.find(f"{ATOM}content").text


# ------------------------------------------------------------------------------------------ index and day pages
def test_index_lists_every_day_newest_first_with_its_paper_count():
    older = Digest(date="2024-10-01", entries=[entry("2410.00001")])
    newer = Digest(date="2024-10-20", entries=[entry("2410.00002"), entry("2410.00003"),
                                               Entry(id="2410.00004", error="failed")])
    built = site.build([older, golden(), newer])
    index = Page(built.files["index.html"].decode())
    assert day_links(index) == ["2024-10-20.html", "2024-10-08.html", "2024-10-01.html"]
    assert "Papers for 2024-10-20 2 papers" in index.text and "Papers for 2024-10-08 15 papers" in index.text
    assert "Papers for 2024-10-01 1 paper " in index.text
    assert (built.days, built.papers, built.pending, built.failed) == (3, 18, 0, 1)


def test_a_day_page_has_every_paper_its_links_authors_four_parts_and_questions():
    digest = golden()
    page = Page(site.build([digest]).files["2024-10-08.html"].decode())
    assert page.headings == [e.paper.title for e in digest.entries]
    hrefs = {href for href, _ in page.links}
    for e in digest.entries:
        assert f"https://arxiv.org/abs/{e.id}" in hrefs and f"https://huggingface.co/papers/{e.id}" in hrefs
        assert ", ".join(e.paper.authors[:5]) in page.text
        for part in (e.summary.objective, e.summary.method, e.summary.result, e.summary.implication,
                     *e.summary.questions):
            assert " ".join(part.replace("*", "").split()) in page.text  # *emphasis* is rendered
    assert page.text.count("Objective Method") == 0  # labels each precede their own text
    assert len(page.tags("dt")) == 4 * 15 and len([o for o in page.tags("ol") if o.get("class") == "questions"]) == 15
    assert [a.get("id") for a in page.tags("h2")] == [e.id for e in digest.entries]  # links and search land here


def test_a_day_page_lists_its_papers_at_the_top_each_linking_to_its_entry():
    digest = golden()
    html = site.build([digest]).files["2024-10-08.html"].decode()
    page = Page(html)
    contents = html[html.index('<nav class="contents"'):html.index("</nav>", html.index('<nav class="contents"'))]
    listed = Page(contents)
    assert listed.links == [(f"#{e.id}", e.paper.title) for e in digest.entries]
    assert html.index('<nav class="contents"') < html.index("<article")  # before the first entry
    assert [h.get("id") for h in page.tags("h2")] == [e.id for e in digest.entries]  # each link has its target


def test_each_paper_shows_its_arxiv_categories_primary_first_and_imported_days_show_none(tmp_path):
    from authoring.markdown.parse import parse_digest

    digest = golden()
    page = Page(site.build([digest]).files["2024-10-08.html"].decode())
    spans = [attrs for attrs in page.tags("span") if "category" in (attrs.get("class") or "")]
    assert len(spans) == sum(len(set(e.paper.categories) | {e.paper.primary_category} - {None})
                             for e in digest.entries) > 15
    first = digest.entries[0].paper
    assert f"HuggingFace · {first.primary_category} " in page.text  # primary first, on the paper's links line
    articles = page.tags("article")
    assert [(a["data-categories"].split() or [None])[0] for a in articles] == \
        [e.paper.primary_category for e in digest.entries]
    options = [o.get("value") for o in page.tags("option")]
    assert options[0] == "" and options[1:] == sorted({c for e in digest.entries for c in e.paper.categories})
    imported = parse_digest((CORPUS / "bullet-list.md").read_text(encoding="utf-8"), source="x.md").digest
    bare = Page(site.build([imported]).files[f"{imported.date}.html"].decode())
    assert not [a for a in bare.tags("span") if "category" in (a.get("class") or "")]
    assert not bare.tags("select") and {a["data-categories"] for a in bare.tags("article")} == {""}


def test_summary_markdown_is_rendered_safely_and_latex_shown_as_math():
    text = ("Uses **bold**, *stress* and `code <b>x</b>` for $O(n^2)$ cost at $5 to $10, "
            "[a link](javascript:alert(1)) ![img](http://example.org/x.png) $\\text{<script>alert(1)</script>}$ "
            "$\\href{javascript:x}{y}$ <script>alert(2)</script>")
    day = Digest(date="2024-10-09", entries=[entry("2410.00001", summary=Summary(
        objective=text, method="M.", result="R 1%.", implication="I.", questions=["Why $\\frac{a}{b}$?", "Q?"]))])
    html = site.build([day]).files["2024-10-09.html"].decode()
    page = Page(html)
    tags = [tag for tag, _ in page.elements]
    assert tags.count("strong") == 1 and tags.count("em") == 1 and tags.count("code") == 1
    assert "code <b>x</b>" in page.text and "at $5 to $10" in page.text  # code is text; prices are not math
    assert tags.count("math") == 2 and tags.count("mfrac") == 1 and tags.count("msup") == 1
    assert not page.tags("img") and not page.tags("b") and not [a for a in page.tags("a") if "javascript" in
                                                                  a.get("href", "")]
    assert [s for s in page.tags("script") if "src" not in s] == [] and only_our_scripts(page)
    assert "[a link](javascript:alert(1))" in page.text and "<script>alert(2)</script>" in page.text
    # LaTeX that would not convert to plain MathML stays readable as written
    assert "$\\text{<script>alert(1)</script>}$" in page.text and "$\\href{javascript:x}{y}$" in page.text
    assert "href" not in "".join(str(attrs) for tag, attrs in page.elements if tag.startswith("m") and tag != "meta")


def test_text_around_the_table_is_shown_above_and_below_the_papers_as_safe_paragraphs():
    above = "Picked by the **reading group**.\n\nA second line <b>here</b>."
    below = "Editor's note: thanks to *everyone*. <script>alert(1)</script>"
    day = Digest(date="2024-10-09", entries=[entry("2410.00001", title="Only paper")], text_above=above,
                 text_below=below)
    page = Page(site.build([day]).files["2024-10-09.html"].decode())
    notes = [n for n, (tag, attrs) in enumerate(page.elements) if tag == "p" and attrs.get("class") == "note"]
    first_entry = next(n for n, (tag, attrs) in enumerate(page.elements) if attrs.get("id") == "2410.00001")
    assert len(notes) == 3 and notes[0] < notes[1] < first_entry < notes[2]
    text = page.text
    assert text.index("Picked by the reading group.") < text.index("Only paper") < text.index("Editor's note")
    assert "A second line <b>here</b>." in text and "<script>alert(1)</script>" in text  # written, not run
    assert not page.tags("b") and [s for s in page.tags("script") if "src" not in s] == []
    assert [tag for tag, _ in page.elements].count("strong") == 1 and [tag for tag, _ in page.elements].count(
        "em") == 1
    plain = Page(site.build([day.model_copy(update={"text_above": None, "text_below": None})]).files[
        "2024-10-09.html"].decode())
    assert not [attrs for tag, attrs in plain.elements if attrs.get("class") == "note"]


def test_imported_follow_up_questions_stay_one_list_and_no_word_is_lost():
    from authoring.site.text import prose

    cell = ("a) Goal.  b) Method.  c) Result 5%.  d) Use.  Follow-up questions:  1. First question?  "
            "2. Second  question with a gap?")
    shown = prose(cell)
    assert [str(p) for p in shown.paragraphs] == ["a) Goal.", "b) Method.", "c) Result 5%.", "d) Use."]
    assert shown.heading == "Follow-up questions"
    assert [str(q) for q in shown.questions] == ["First question?", "Second  question with a gap?"]
    # a block whose words the questions would not all hold is shown as paragraphs, word for word
    odd = "Summary.  Follow-up questions: note first.  1. Q one?  2. Q two?"
    kept = prose(odd)
    assert kept.questions is None and " ".join(map(str, kept.paragraphs)).split() == odd.split()


def test_the_site_shows_authors_in_the_configured_style(tmp_path, monkeypatch):
    """--authors hf (or DIGEST_AUTHORS_STYLE / authors_style) shows the Hub's names on the pages, as in DATE.md."""
    from authoring.models import HubAuthor, HubInfo

    settings = Settings(output_dir=tmp_path / "output")
    hub = HubInfo(authors=[HubAuthor(name="Zineng Tang", username="ZinengTang"), HubAuthor(name="Lingjun Mao")])
    days.write(settings, date(2024, 10, 9), Digest(date="2024-10-09", entries=[
        entry("2410.00001", authors=["Zineng Tang", "Lingjun Mao"], hub=hub)]))
    assert run_site(settings, tmp_path / "arxiv").exit_code == 0
    assert "Zineng Tang, Lingjun Mao" in Page((tmp_path / "arxiv" / "2024-10-09.html").read_text()).text
    assert run_site(settings, tmp_path / "hf", "--authors", "hf").exit_code == 0
    assert "Lingjun Mao, ZinengTang" in Page((tmp_path / "hf" / "2024-10-09.html").read_text()).text
    monkeypatch.setenv("DIGEST_AUTHORS_STYLE", "hf")
    assert run_site(settings, tmp_path / "env").exit_code == 0
    assert "Lingjun Mao, ZinengTang" in Page((tmp_path / "env" / "2024-10-09.html").read_text()).text


def test_pending_and_failed_entries_are_left_out_and_counted(store_settings, tmp_path):
    result = run_site(store_settings, tmp_path / "site")
    assert result.exit_code == 0, result.output
    assert "2 entries left out: 1 pending, 1 failed" in result.stdout
    page = Page((tmp_path / "site" / "2024-10-07.html").read_text(encoding="utf-8"))
    assert [href for href, _ in page.links if "arxiv.org" in href] == ["https://arxiv.org/abs/2410.00010"] * 2


def test_imported_prose_is_shown_as_written_with_its_paragraph_gaps(tmp_path):
    from authoring.markdown.parse import parse_digest
    from authoring.templating import paragraphs

    text = (CORPUS / "bullet-list.md").read_text(encoding="utf-8")
    imported = parse_digest(text, source="bullet-list.md").digest
    prose = [e for e in imported.entries if e.summary is None]
    assert prose, "the corpus day has a prose row"
    page = Page(site.build([imported]).files[f"{imported.date}.html"].decode())
    for e in prose:
        words = e.summary_markdown.split()
        kept = [w for w in words if not re.fullmatch(r"\d\.", w)]  # the list numbers its questions itself
        assert " ".join(kept).replace("questions:", "questions") in page.text
    assert [li for li in page.tags("li")] and "Does calibration transfer across languages?" in page.text
    assert paragraphs("One.  Two:  1.  Three? 2. Four.") == ["One.", "Two:", "1.  Three? 2. Four."]


def test_every_link_is_relative_and_resolves_in_the_folder(store_settings, tmp_path):
    out = tmp_path / "site"
    assert run_site(store_settings, out).exit_code == 0
    pages = sorted(out.glob("*.html"))
    assert [p.name for p in pages] == ["2024-10-07.html", "2024-10-08.html", "2024-10-09.html", "index.html"]
    for path in pages:
        page = Page(path.read_text(encoding="utf-8"))
        local = [a["href"] for a in page.tags("a") + page.tags("link")
                 if not a["href"].startswith(("https://arxiv.org/abs/", "https://huggingface.co/papers/"))]
        assert local, path
        for href in local:
            assert "://" not in href and not href.startswith("/"), (path.name, href)
            target, _, anchor = href.partition("#")
            target = target or path.name  # the day's own list of papers links within the page
            assert (out / target).is_file(), (path.name, href)
            if anchor:
                assert f'id="{anchor}"' in (out / target).read_text(encoding="utf-8"), href


# ---------------------------------------------------------------------------------------------------- the feed
def test_the_feed_has_one_entry_per_day_newest_first_with_stable_ids_links_and_dates(store_settings, tmp_path):
    out = tmp_path / "site"
    assert run_site(store_settings, out).exit_code == 0
    root = ET.fromstring((out / "feed.xml").read_bytes())
    entries = root.findall(f"{ATOM}entry")
    assert [e.find(f"{ATOM}link").get("href") for e in entries] == [
        "2024-10-09.html", "2024-10-08.html", "2024-10-07.html"]
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert ids == ["urn:digest:day:2024-10-09", "urn:digest:day:2024-10-08", "urn:digest:day:2024-10-07"]
    for e in entries:
        assert e.findtext(f"{ATOM}updated").startswith(e.findtext(f"{ATOM}published")[:10])
        assert e.findtext(f"{ATOM}title").startswith("Papers for ")
    assert root.findtext(f"{ATOM}updated") == max(e.findtext(f"{ATOM}updated") for e in entries)
    golden_content = Page(entries[1].find(f"{ATOM}content").text)
    assert golden_content.headings == [e.paper.title for e in golden().entries]

    # A changed day keeps its id; its `updated` is its newest summary's time.
    with days.change(store_settings, date(2024, 10, 8), "set") as digest:
        edits.set_field(digest.entries[0], "title", ["A new title"])
        digest.entries[1].provenance = Provenance(generated_at="2024-10-09T06:30:00Z")
    assert run_site(store_settings, out).exit_code == 0
    again = feed_entries((out / "feed.xml").read_bytes())
    assert [e.findtext(f"{ATOM}id") for e in again] == ids
    assert again[1].findtext(f"{ATOM}updated") == "2024-10-09T06:30:00+00:00"


def test_the_feed_of_a_300_day_site_is_valid_atom_with_an_author_under_1_mb_with_the_newest_30_days(tmp_path):
    """feedparser, a real feed reader's parser, reads it without complaint (bozo 0) and finds the author."""
    import feedparser

    demo = golden()
    digests = []
    for n in range(300):
        copy = Digest.model_validate(demo.model_dump())
        copy.date = (date(2024, 10, 8) - timedelta(days=n)).isoformat()
        digests.append(copy)
    data = site.build(digests).files["feed.xml"]
    assert len(data) < 1_000_000, len(data)
    parsed = feedparser.parse(data)
    assert parsed.bozo == 0 and parsed.version == "atom10"
    assert parsed.feed.author_detail.name == "Daily AI paper digests"
    assert len(parsed.entries) == 30 and parsed.entries[0].link == "2024-10-08.html"
    assert parsed.entries[-1].id == f"urn:digest:day:{date(2024, 10, 8) - timedelta(days=29)}"
    assert demo.entries[0].paper.title in parsed.entries[0].content[0].value
    named = feedparser.parse(site.build(digests[:2], site.SiteOptions(feed_author="Ada")).files["feed.xml"])
    assert named.bozo == 0 and named.feed.author == "Ada"


def test_feed_days_and_the_author_come_from_the_settings(store_settings, tmp_path, monkeypatch):
    import feedparser

    monkeypatch.setenv("DIGEST_FEED_DAYS", "2")
    assert run_site(store_settings, tmp_path / "site", "--feed-author", "The lab").exit_code == 0
    parsed = feedparser.parse((tmp_path / "site" / "feed.xml").read_bytes())
    assert len(parsed.entries) == 2 and parsed.feed.author == "The lab"


def test_base_url_makes_the_feed_links_and_ids_absolute_and_pages_stay_relative(store_settings, tmp_path):
    out = tmp_path / "site"
    result = run_site(store_settings, out, "--base-url", "https://example.org/digests")
    assert result.exit_code == 0, result.output
    root = ET.fromstring((out / "feed.xml").read_bytes())
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{ATOM}link")}
    assert links == {"alternate": "https://example.org/digests/index.html",
                     "self": "https://example.org/digests/feed.xml"}
    assert root.findtext(f"{ATOM}id") == "https://example.org/digests/"
    first = root.find(f"{ATOM}entry")
    assert first.findtext(f"{ATOM}id") == first.find(f"{ATOM}link").get("href") == \
        "https://example.org/digests/2024-10-09.html"
    assert "example.org" not in (out / "index.html").read_text(encoding="utf-8")


def test_feed_days_keeps_only_the_newest_days_in_the_feed(store_settings, tmp_path):
    assert run_site(store_settings, tmp_path / "site", "--feed-days", "1").exit_code == 0
    entries = feed_entries((tmp_path / "site" / "feed.xml").read_bytes())
    assert [e.findtext(f"{ATOM}id") for e in entries] == ["urn:digest:day:2024-10-09"]


@pytest.mark.parametrize("bad", ["example.org", "ftp://example.org/", "/digests/", "https://x.org/?a=1"])
def test_a_base_url_that_is_not_an_absolute_http_address_is_a_usage_error(store_settings, tmp_path, bad):
    result = run_site(store_settings, tmp_path / "site", "--base-url", bad)
    assert result.exit_code == 2 and "is not an absolute http(s) address" in result.stderr
    assert "Traceback" not in result.output and not (tmp_path / "site").exists()


# ------------------------------------------------------------------------------------ only what changed is written
def _age(folder: Path) -> None:
    """Set every file's mtime far in the past: a file rewritten since shows a new mtime, whatever the clock."""
    for path in folder.iterdir():
        os.utime(path, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))


def _mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def test_only_what_changed_is_rewritten(store_settings, tmp_path):
    out = tmp_path / "site"
    first = run_site(store_settings, out)
    assert first.exit_code == 0 and "7 files written, 0 unchanged" in first.stdout
    assert "Indexed 1 month for search (2024-10)" in first.stdout
    _age(out)
    before = _files(out)

    again = run_site(store_settings, out)
    assert again.exit_code == 0 and "0 files written, 7 unchanged" in again.stdout and "Wrote" not in again.stdout
    assert "Indexed" not in again.stdout  # no day page changed: the search index is not rebuilt
    bundles = json.loads((out / "pagefind" / "bundles.json").read_bytes())
    assert bundles == {"bundles": ["2024-10"]} and (out / "pagefind" / "2024-10" / "pagefind.js").is_file()
    assert set(_mtimes(out).values()) == {1_000_000_000_000_000_000}
    assert sorted(p.name for p in out.iterdir()) == sorted([*before, "pagefind"])  # no temporaries left behind

    with days.change(store_settings, date(2024, 10, 7), "set") as digest:
        edits.set_field(digest.entries[0], "title", ["A better title"])
    changed = run_site(store_settings, out)
    assert changed.exit_code == 0
    rewritten = {name for name, mtime in _mtimes(out).items() if mtime != 1_000_000_000_000_000_000}
    # the changed pages, and the search index rebuilt from them (its hash noted in the manifest)
    assert rewritten == {"2024-10-07.html", "index.html", "feed.xml", ".digest-site.json", "pagefind"}
    assert {name for name, data in before.items() if (out / name).read_bytes() != data} == rewritten - {"pagefind"}
    assert "Indexed 1 month for search (2024-10)" in changed.stdout
    rewritten -= {".digest-site.json", "pagefind"}
    assert sorted(line.split("/")[-1] for line in changed.stdout.splitlines() if line.startswith("Wrote")) == \
        sorted(rewritten)


def test_a_changed_day_re_indexes_its_month_only_and_a_month_with_no_day_left_loses_its_index(tmp_path):
    settings = Settings(output_dir=tmp_path / "output")
    for day in ("2024-09-30", "2024-10-01", "2024-10-02"):
        days.write(settings, date.fromisoformat(day), Digest(date=day, entries=[entry(f"2410.{day[-2:]}001")]))
    out = tmp_path / "site"
    first = run_site(settings, out)
    assert "Indexed 2 months for search (2024-10, 2024-09)" in first.stdout
    september = {p: p.stat().st_mtime_ns for p in (out / "pagefind" / "2024-09").rglob("*")}
    with days.change(settings, date(2024, 10, 2), "set") as digest:
        edits.set_field(digest.entries[0], "title", ["Changed"])
    changed = run_site(settings, out)
    assert "Indexed 1 month for search (2024-10)" in changed.stdout
    assert {p: p.stat().st_mtime_ns for p in (out / "pagefind" / "2024-09").rglob("*")} == september
    store.json_path(settings.output_dir, date(2024, 9, 30)).unlink()
    pruned = run_site(settings, out, "--prune")
    assert pruned.exit_code == 0 and not (out / "pagefind" / "2024-09").exists()
    assert json.loads((out / "pagefind" / "bundles.json").read_bytes()) == {"bundles": ["2024-10"]}
    assert sorted(p.name for p in (out / "pagefind").iterdir()) == [
        "2024-10", "bundles.json", "pagefind-ui.css", "pagefind-ui.js"]  # no temporaries left


def test_a_day_no_longer_stored_loses_its_page_and_an_unreadable_day_keeps_it(store_settings, tmp_path):
    out = tmp_path / "site"
    assert run_site(store_settings, out).exit_code == 0
    store.json_path(store_settings.output_dir, date(2024, 10, 7)).unlink()
    store.json_path(store_settings.output_dir, date(2024, 10, 9)).write_text("{ not json", encoding="utf-8")
    (out / "notes.html").write_text("mine", encoding="utf-8")
    result = run_site(store_settings, out, "--prune")
    assert result.exit_code == 1
    assert result.stderr.count("Error:") == 2 and "2024-10-09.json is not a digest file" in result.stderr
    assert "1 day of 2 could not be read and was left out" in result.stderr and "Traceback" not in result.output
    assert "Removed " in result.stdout and not (out / "2024-10-07.html").exists()
    assert (out / "2024-10-09.html").exists() and (out / "notes.html").read_text(encoding="utf-8") == "mine"
    index = Page((out / "index.html").read_text(encoding="utf-8"))
    assert day_links(index) == ["2024-10-08.html"]


def test_a_symlink_in_the_site_folder_is_replaced_and_never_written_through(store_settings, tmp_path):
    out, outside = tmp_path / "site", tmp_path / "outside"
    out.mkdir()
    outside.mkdir()
    for name in ("index.html", "2024-10-08.html", ".digest-site.json"):
        (outside / name).write_text("not the site's", encoding="utf-8")
        (out / name).symlink_to(outside / name)
    result = run_site(store_settings, out)
    assert result.exit_code == 0, result.output
    assert [(outside / name).read_text(encoding="utf-8") for name in sorted(os.listdir(outside))] == \
        ["not the site's"] * 3
    for name in ("index.html", "2024-10-08.html", ".digest-site.json"):
        assert not (out / name).is_symlink() and (out / name).is_file()
    assert "Papers for 2024-10-08" in (out / "2024-10-08.html").read_text(encoding="utf-8")


def test_only_day_pages_the_site_wrote_are_removed(store_settings, tmp_path):
    out = tmp_path / "site"
    out.mkdir()
    (out / "2020-01-01.html").write_text("a page of mine", encoding="utf-8")  # never written by `site`
    assert run_site(store_settings, out).exit_code == 0
    store.json_path(store_settings.output_dir, date(2024, 10, 7)).unlink()
    kept = run_site(store_settings, out)
    assert kept.exit_code == 0 and "Removed" not in kept.stdout and (out / "2024-10-07.html").exists()
    assert "Kept 1 page of days no longer stored (2024-10-07.html); --prune removes them" in kept.stdout
    assert day_links(Page((out / "index.html").read_text(encoding="utf-8"))) == ["2024-10-09.html", "2024-10-08.html"]
    result = run_site(store_settings, out, "--prune")
    assert result.exit_code == 0 and "Removed" in result.stdout and not (out / "2024-10-07.html").exists()
    assert (out / "2020-01-01.html").read_text(encoding="utf-8") == "a page of mine"
    assert "2020-01-01.html" not in result.stdout


@pytest.mark.parametrize("prune", [[], ["--prune"]])
def test_a_folder_with_no_days_leaves_a_published_site_as_it_was(store_settings, tmp_path, prune):
    """From the wrong folder, or a mistyped --output-dir: one line, exit 1, not a byte of the site changed."""
    out = tmp_path / "site"
    assert run_site(store_settings, out).exit_code == 0
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    result = runner.invoke(app, ["site", "--out", str(out), "--output-dir", str(tmp_path / "none"), *prune])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.startswith("Error: no days in ") and "site/ was left as it was" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and result.stdout == ""
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before


def test_publish_itself_refuses_to_publish_no_days(tmp_path):
    from authoring.errors import StoreError

    with pytest.raises(StoreError, match="no days to publish"):
        site.publish(tmp_path, site.build([]), stored=[])
    assert list(tmp_path.iterdir()) == []


def test_a_day_with_no_paper_to_show_is_not_published(store_settings, tmp_path):
    days.write(store_settings, date(2024, 10, 10), Digest(date="2024-10-10", entries=[
        Entry(id="2410.00020", error="2410.00020 not found on arXiv")]))
    days.write(store_settings, date(2024, 10, 11), Digest(date="2024-10-11", entries=[]))
    out = tmp_path / "site"
    result = run_site(store_settings, out)
    assert result.exit_code == 0, result.output
    assert "2 days with no paper to show were not published" in result.stdout and "3 days, " in result.stdout
    assert not (out / "2024-10-10.html").exists() and not (out / "2024-10-11.html").exists()
    index = Page((out / "index.html").read_text(encoding="utf-8"))
    assert day_links(index) == ["2024-10-09.html", "2024-10-08.html", "2024-10-07.html"]
    assert "0 papers" not in index.text
    assert [e.findtext(f"{ATOM}id") for e in feed_entries((out / "feed.xml").read_bytes())] == [
        "urn:digest:day:2024-10-09", "urn:digest:day:2024-10-08", "urn:digest:day:2024-10-07"]


# ------------------------------------------------------------------------------------------- overriding templates
def test_a_templates_folder_replaces_site_templates_file_by_file(store_settings, tmp_path):
    templates = tmp_path / "templates"
    (templates / "site").mkdir(parents=True)
    (templates / "site" / "style.css").write_text("body { color: red; }\n", encoding="utf-8")
    (templates / "site" / "entry.html.j2").write_text(
        '<section class="mine">{{ entry.paper.title }}</section>\n', encoding="utf-8")
    result = run_site(store_settings, tmp_path / "site", "--templates", str(templates))
    assert result.exit_code == 0, result.output
    assert (tmp_path / "site" / "style.css").read_text(encoding="utf-8") == "body { color: red; }\n"
    page = Page((tmp_path / "site" / "2024-10-09.html").read_text(encoding="utf-8"))
    assert [a.get("class") for a in page.tags("section")] == ["mine", "mine"]
    assert only_our_scripts(page) and HOSTILE_TITLE in page.text  # a user's template is autoescaped too
    assert "Papers for 2024-10-09" in page.text  # day.html.j2 itself is still the packaged one


def test_a_templates_folder_in_the_working_directory_is_used(store_settings, tmp_path, monkeypatch):
    (tmp_path / "templates" / "site").mkdir(parents=True)
    (tmp_path / "templates" / "site" / "style.css").write_text("/* mine */\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert run_site(store_settings, tmp_path / "site").exit_code == 0
    assert (tmp_path / "site" / "style.css").read_text(encoding="utf-8") == "/* mine */\n"


def test_a_broken_or_missing_template_folder_is_one_error_line(store_settings, tmp_path):
    missing = run_site(store_settings, tmp_path / "site", "--templates", str(tmp_path / "nowhere"))
    assert missing.exit_code == 1 and missing.stderr.startswith("Error: templates folder ")
    assert "does not exist" in missing.stderr and "Traceback" not in missing.output
    broken = tmp_path / "broken"
    (broken / "site").mkdir(parents=True)
    (broken / "site" / "index.html.j2").write_text("{{ nothing_here }}", encoding="utf-8")
    result = run_site(store_settings, tmp_path / "site", "--templates", str(broken))
    assert result.exit_code == 1 and "Error: template site/index.html.j2: 'nothing_here' is undefined" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_markdown_template_override_renders_and_marks_days_stale_not_edited(store_settings, tmp_path):
    day = date(2024, 10, 8)
    templates = tmp_path / "templates"
    templates.mkdir()
    packaged = (ROOT / "authoring" / "templates" / "digest.md.j2").read_text(encoding="utf-8")
    (templates / "digest.md.j2").write_text(packaged.replace("## Papers for", "## AI papers for"), encoding="utf-8")
    custom = store_settings.replace(templates_dir=templates)
    digest = days.load(store_settings, day)
    assert days.markdown_state(store_settings, day, digest) == days.IN_SYNC
    assert days.markdown_state(custom, day, digest) == days.STALE  # the template changed, not the file
    result = runner.invoke(app, ["render", "2024-10-08", "--output-dir", str(store_settings.output_dir),
                                 "--templates", str(templates)])
    assert result.exit_code == 0, result.output
    markdown = store.markdown_path(store_settings.output_dir, day).read_text(encoding="utf-8")
    assert "## AI papers for 2024-10-08" in markdown
    assert days.markdown_state(custom, day, days.load(custom, day)) == days.IN_SYNC
    # Back to the packaged template: the day is stale again (re-rendered by `render`), never "edited by hand".
    assert days.markdown_state(store_settings, day, days.load(store_settings, day)) == days.STALE


def test_templates_dir_comes_from_the_environment_and_digest_toml(tmp_path, monkeypatch):
    from authoring import config

    (tmp_path / "mine").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DIGEST_TEMPLATES_DIR", str(tmp_path / "mine"))
    assert config.load().templates_dir == tmp_path / "mine"
    monkeypatch.delenv("DIGEST_TEMPLATES_DIR")
    (tmp_path / "digest.toml").write_text(f'templates_dir = "{tmp_path / "mine"}"\n', encoding="utf-8")
    assert config.load().templates_dir == tmp_path / "mine"


# ------------------------------------------------------------------------------------------------- start-up cost
@pytest.mark.parametrize("args", [["--help"], ["list", "--output-dir", "{out}"], ["site", "--help"]])
def test_help_and_list_import_neither_feedgen_nor_the_site_module(args, tmp_path):
    args = [a.replace("{out}", str(tmp_path)) for a in args]
    code = (
        "import sys\nfrom authoring.cli import app\n"
        f"try:\n    app({args!r})\nexcept SystemExit:\n    pass\n"
        "print(sorted(m for m in ('feedgen', 'lxml', 'authoring.site.build') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


# ------------------------------------------------------------------------------------------------ in a real browser
@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """The demo day plus days imported from older layouts and a hostile day, published by the real CLI."""
    work = tmp_path_factory.mktemp("published")
    days.write(Settings(output_dir=work / "output"), date(2024, 10, 9), hostile_day())
    return demo_site(work)


def test_chromium_dom_of_the_index_links_every_day(chromium, published):
    dom = Page(browser.dump_dom(chromium, published / "index.html"))
    assert day_links(dom) == ["2024-10-09.html", "2024-10-08.html", "2024-03-12.html", "2024-02-20.html"]
    assert "4 days" in dom.text and HOSTILE_TITLE in dom.text and only_our_scripts(dom) and not dom.tags("img")


def test_chromium_dom_of_the_demo_day_has_all_15_titles_and_arxiv_links(chromium, published):
    dom = Page(browser.dump_dom(chromium, published / "2024-10-08.html"))
    digest = golden()
    assert len(digest.entries) == 15
    assert dom.headings == [e.paper.title for e in digest.entries]
    title_links = {href: text for href, text in dom.links
                   if href.startswith("https://arxiv.org/abs/") and text != "arXiv"}
    assert title_links == {f"https://arxiv.org/abs/{e.id}": e.paper.title for e in digest.entries}
    assert [link["href"] for link in dom.tags("link")] == ["style.css", "pagefind/pagefind-ui.css", "feed.xml"]
    (policy, ) = [m["content"] for m in dom.tags("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    # only the site's own script files run: nothing inline, even what a custom template let through
    assert "script-src 'self' 'wasm-unsafe-eval';" in policy and "unsafe-inline" not in policy


def test_chromium_shows_a_hostile_title_and_author_as_text(chromium, published):
    dom = Page(browser.dump_dom(chromium, published / "2024-10-09.html"))
    assert only_our_scripts(dom) and not dom.tags("img") and not dom.tags("b") and not dom.tags("i")
    assert dom.headings[0] == HOSTILE_TITLE
    assert HOSTILE_AUTHOR in dom.text and "An imported cell with a | pipe, <script>alert(4)</script>" in dom.text


def test_chromium_takes_a_screenshot_of_a_page(chromium, published, tmp_path):
    png = browser.screenshot(chromium, published / "index.html", tmp_path / "index.png", width=420, height=600)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
