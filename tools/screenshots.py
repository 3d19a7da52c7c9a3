"""Regenerate the docs' screenshots of `digest site` and `digest send` (`make screenshots`): the demo day
(tests/golden) plus two days imported from older layouts (tests/data/corpus), published with the real CLI and shot
in headless Chromium: the index, a day on a phone, the search box with results (through Playwright, the site
served from loopback), and the chat message `digest send` delivered to a loopback webhook, as a chat shows it.

    python tools/screenshots.py [--docs DIR]
"""

from __future__ import annotations

import argparse
import functools
import html
import http.server
import json
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.browser import BrowserError, find_chromium, screenshot

GOLDEN = ROOT / "tests" / "golden"
CORPUS = ROOT / "tests" / "data" / "corpus"
IMPORTED = ("bullet-list.md", "link-column.md")  # 2024-02-20 and 2024-03-12, in the older layouts
# (page, file in docs/, window size): the index as on a desktop, a day page as on a phone.
SHOTS = (("index.html", "site-index.png", (1000, 720)), ("2024-10-08.html", "site-day-phone.png", (420, 900)))


def digest(*args: str, cwd: Path) -> None:
    """Run the real CLI, as a user would."""
    subprocess.run([sys.executable, "-m", "authoring", *args], cwd=cwd, check=True, capture_output=True, text=True)


def demo_site(workdir: Path) -> Path:
    """workdir/output holds the demo day and the imported days; returns workdir/site, published from them."""
    output = workdir / "output"
    output.mkdir(parents=True, exist_ok=True)
    for suffix in (".json", ".md"):
        (output / f"2024-10-08{suffix}").write_bytes((GOLDEN / f"2024-10-08{suffix}").read_bytes())
    for name in IMPORTED:
        digest("import", str(CORPUS / name), "--output-dir", str(output), cwd=workdir)
    digest("site", "--out", str(workdir / "site"), "--output-dir", str(output), cwd=workdir)
    return workdir / "site"


SEARCH_WORD = "refusals"  # a title word of the imported day 2024-02-20, searched from the demo day's page


@contextmanager
def serving(folder: Path) -> Iterator[str]:
    """`folder` over HTTP on 127.0.0.1 (Pagefind's script fetches its index: file:// blocks it); yields its URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def search_shot(chromium: str, site: Path, png: Path) -> Path:
    """The demo day's page with a word typed in its search box and the results shown, through Playwright."""
    from playwright.sync_api import sync_playwright

    png.parent.mkdir(parents=True, exist_ok=True)
    with serving(site) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1000, "height": 720})
            page.goto(url + "2024-10-08.html")
            page.fill(".pagefind-ui__search-input", SEARCH_WORD)
            page.wait_for_selector(".pagefind-ui__result", timeout=20_000)
            page.wait_for_timeout(500)  # the excerpts' highlighting settles
            page.screenshot(path=str(png))
        finally:
            browser.close()
    return png


def delivered_chat(workdir: Path) -> dict:
    """What `digest send 2024-10-08 --to json://...` delivers: the JSON body a loopback webhook received."""
    received: list[dict] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, format, *args):  # noqa: A002 - the stdlib's name
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        digest("send", "2024-10-08", "--output-dir", str(workdir / "output"), "--to",
               f"json://127.0.0.1:{server.server_address[1]}/hook", "--site-url",
               "https://you.github.io/digests/", cwd=workdir)
    finally:
        server.shutdown()
        server.server_close()
    return received[0]


def chat_page(message: dict, path: Path) -> Path:
    """A delivered message drawn as a chat app shows it: its title over its text, links as links."""
    lines = []
    for line in message["message"].splitlines():
        text, _, link = line.rpartition(" https://")
        lines.append(f'<p>{html.escape(text)} <a href="https://{html.escape(link)}">https://{html.escape(link)}</a></p>'
                     if link and text else f"<p>{html.escape(line)}</p>")
    path.write_text(
        '<!DOCTYPE html><html><head><meta charset="utf-8"><style>'
        "body{margin:0;padding:24px;background:#dfe7ee;font:15px/1.45 system-ui,sans-serif}"
        ".bubble{max-width:640px;background:#fff;border-radius:12px;padding:12px 16px;box-shadow:0 1px 2px #0002}"
        ".who{color:#2b7bb9;font-weight:600;margin-bottom:4px}b{display:block;margin-bottom:6px}"
        "p{margin:2px 0}a{color:#2b7bb9;text-decoration:none}</style></head><body><div class=\"bubble\">"
        f'<div class="who">digest</div><b>{html.escape(message["title"])}</b>{"".join(lines)}</div></body></html>',
        encoding="utf-8")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=Path, default=ROOT / "docs", help="where the PNGs go (default docs/)")
    args = parser.parse_args()
    chromium = find_chromium()
    if chromium is None:
        print("Error: chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory(prefix="digest-site-") as work:
        site = demo_site(Path(work))
        for page, png, (width, height) in SHOTS:
            try:
                written = screenshot(chromium, site / page, args.docs / png, width=width, height=height)
            except BrowserError as err:
                print(f"Error: {err}", file=sys.stderr)
                return 1
            print(f"Wrote {written} ({page} at {width}x{height})")
        try:
            print(f"Wrote {search_shot(chromium, site, args.docs / 'site-search.png')} (a search on the day page)")
            page = chat_page(delivered_chat(Path(work)), Path(work) / "chat.html")
            written = screenshot(chromium, page, args.docs / "send-chat.png", width=720, height=720)
            print(f"Wrote {written} (the message digest send delivered, as a chat shows it)")
        except BrowserError as err:
            print(f"Error: {err}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
