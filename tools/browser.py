"""Headless Chromium for the site's browser tests and screenshots: the DOM Chromium builds from a page, and a PNG
of a page. Runs as root (--no-sandbox) with Chromium's background networking off, on file:// pages only."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

# Chromium never reaches a network here: no background requests, updates, sync or first-run pages.
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--hide-scrollbars",
)
# A guard against a hung browser, not a timed assertion.
TIMEOUT = 60


class BrowserError(RuntimeError):
    pass


def find_chromium() -> str | None:
    """The Chromium to run: $CHROMIUM, else `chromium` (Debian's package) or `chromium-browser` on PATH."""
    return os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def _run(chromium: str, *args: str) -> str:
    with tempfile.TemporaryDirectory(prefix="digest-chromium-") as profile:
        try:
            result = subprocess.run(
                [chromium, *FLAGS, f"--user-data-dir={profile}", *args],
                capture_output=True, text=True, timeout=TIMEOUT, stdin=subprocess.DEVNULL,
            )
        except (OSError, subprocess.TimeoutExpired) as err:
            raise BrowserError(f"{chromium} did not run: {err}") from None
    if result.returncode != 0:
        raise BrowserError(f"{chromium} exited {result.returncode}: {result.stderr.strip()[-2000:]}")
    return result.stdout


def dump_dom(chromium: str, page: Path) -> str:
    """The DOM Chromium built from a local page (after parsing, as a reader's browser has it), as HTML text."""
    dom = _run(chromium, "--dump-dom", page.resolve().as_uri())
    if "<html" not in dom:
        raise BrowserError(f"{chromium} printed no DOM for {page}")
    return dom


def screenshot(chromium: str, page: Path, png: Path, *, width: int, height: int) -> Path:
    """A PNG of a local page at a window size."""
    png.parent.mkdir(parents=True, exist_ok=True)
    _run(chromium, f"--screenshot={png.resolve()}", f"--window-size={width},{height}", page.resolve().as_uri())
    if not png.is_file() or png.read_bytes()[:8] != b"\x89PNG\r\n\x1a\n":
        raise BrowserError(f"{chromium} wrote no PNG to {png}")
    return png
