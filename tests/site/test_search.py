"""The site's search box and category filter in a real browser: Playwright driving the system Chromium (no browser
download) over the published site served from loopback (Pagefind's script fetches its index: file:// blocks it)."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from datetime import date

import pytest

from authoring.store import files as store
from tests.conftest import ROOT
from tools.screenshots import demo_site

GOLDEN = ROOT / "tests" / "golden"


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[str]:
    """The demo site (the demo day and two imported days) published by the real CLI, served on 127.0.0.1 under a
    sub-path (/site/), as a project's GitHub Pages are."""
    site = demo_site(tmp_path_factory.mktemp("served"))
    handler = functools.partial(_Quiet, directory=str(site.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{site.name}/"
    server.shutdown()
    server.server_close()


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
        pass


@pytest.fixture
def page(chromium):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            yield launched.new_page()
        finally:
            launched.close()


def test_typing_a_word_the_index_page_does_not_show_finds_the_paper_and_links_to_its_entry(served, page):
    demo = store.load_digest(GOLDEN, date(2024, 10, 8))
    last = demo.entries[-1]  # the index page shows each day's first three titles only
    word = max(last.paper.title.split(), key=len).strip(":,.")
    page.goto(served + "index.html")
    assert word not in page.inner_text("main")
    page.fill(".pagefind-ui__search-input", word)
    page.wait_for_selector(f".pagefind-ui__result a[href$='#{last.id}']", timeout=20_000)
    links = {a.get_attribute("href"): a.inner_text() for a in page.query_selector_all(".pagefind-ui__result a")}
    target = next(href for href in links if href.endswith(f"2024-10-08.html#{last.id}"))
    assert links[target].strip() == last.paper.title
    page.click(f".pagefind-ui__result a[href='{target}']")
    page.wait_for_url(f"**/2024-10-08.html#{last.id}")
    assert page.evaluate("document.querySelector(':target').textContent") == last.paper.title


def test_a_word_from_a_summary_finds_its_paper_on_another_day(served, page):
    page.goto(served + "2024-10-08.html")
    page.fill(".pagefind-ui__search-input", "refusals")  # a title on the imported day 2024-02-20
    page.wait_for_selector(".pagefind-ui__result a[href*='2024-02-20.html#']", timeout=20_000)


def test_choosing_a_category_shows_only_its_papers_and_every_paper_reads_without_javascript(served, page, chromium):
    demo = store.load_digest(GOLDEN, date(2024, 10, 8))
    page.goto(served + "2024-10-08.html")
    titles = [e.paper.title for e in demo.entries]
    assert [h.inner_text() for h in page.query_selector_all("article h2") if h.is_visible()] == titles
    page.select_option("#category-filter", "cs.CV")
    visible = [h.inner_text() for h in page.query_selector_all("article h2") if h.is_visible()]
    expected = [e.paper.title for e in demo.entries if "cs.CV" in e.paper.categories]
    assert visible == expected and 0 < len(visible) < len(titles)
    listed = [a.inner_text() for a in page.query_selector_all("nav.contents li a") if a.is_visible()]
    assert listed == expected
    page.select_option("#category-filter", "")
    assert len([h for h in page.query_selector_all("article h2") if h.is_visible()]) == len(titles)

    no_script = page.context.browser.new_context(java_script_enabled=False).new_page()
    no_script.goto(served + "2024-10-08.html")
    assert [h.inner_text() for h in no_script.query_selector_all("article h2") if h.is_visible()] == titles
    assert not no_script.is_visible("#category-filter")  # the filter appears only where it works


def test_results_link_under_the_sub_path_the_site_is_served_from(served, page):
    """Results link relative to the page's folder, not to the host's root (GitHub Pages serves /REPO/)."""
    page.goto(served + "index.html")
    page.fill(".pagefind-ui__search-input", "Transformer")
    page.wait_for_selector(".pagefind-ui__result a", timeout=20_000)
    hrefs = [a.get_attribute("href") for a in page.query_selector_all(".pagefind-ui__result a")]
    assert hrefs and all(h.startswith("/site/2024-") for h in hrefs), hrefs
