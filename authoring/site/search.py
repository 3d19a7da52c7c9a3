"""The site's search index: Pagefind (the `pagefind` binary that the `pagefind_bin` wheel ships; nothing is
downloaded) run over the day pages a build wrote. Only what a day page marks `data-pagefind-body` is indexed, each
paper under its own heading (its id), so a result links to the paper's entry on its day page.

Incremental: one index (a Pagefind bundle) per month, pagefind/YYYY-MM/, which the search box merges
(`mergeIndex`); a build re-indexes only the months whose day pages changed, so changing a day costs about a month
of pages' indexing, never the whole archive's. Each month is written into a new folder that then takes the place
of the old one; pagefind/bundles.json lists the months, newest first, for the search box."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from authoring.errors import DigestError
from authoring.store import files as store

BUNDLE = "pagefind"  # the folder of the search index: one bundle per month, the search box's own files
BUNDLES = "bundles.json"
UI_FILES = ("pagefind-ui.js", "pagefind-ui.css")  # the search box, the same in every bundle of one Pagefind
# Pagefind's other front ends, written into every bundle and used by none of our pages: left out of the months.
_UNUSED = ("pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-modular-ui.js",
           "pagefind-modular-ui.css", "pagefind-highlight.js", *UI_FILES)
# A guard against a hung indexer, not a measure of speed.
TIMEOUT = 600


class SearchError(DigestError):
    """Pagefind could not index the site."""


def month_of(page: str) -> str:
    """The bundle a day page belongs to: its month (2024-10-08.html -> 2024-10)."""
    return page[:7]


def hashes(pages: Mapping[str, bytes]) -> dict[str, str]:
    """What each month's bundle is built from: its day pages, by name and bytes."""
    months: dict[str, hashlib._Hash] = {}
    for name in sorted(pages):
        digest = months.setdefault(month_of(name), hashlib.sha256())
        digest.update(name.encode() + b"\0" + hashlib.sha256(pages[name]).digest())
    return {month: digest.hexdigest()[:24] for month, digest in months.items()}


def index(out_dir: Path, pages: Mapping[str, bytes], indexed: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """Bring out_dir/pagefind up to date with the day pages `pages` (already written in out_dir), given the hashes
    the months were last indexed from (`indexed`). Returns the months' hashes now and the months re-indexed."""
    root = out_dir / BUNDLE
    if root.is_symlink() or (root.exists() and not root.is_dir()):
        root.unlink()
    root.mkdir(exist_ok=True)
    now = hashes(pages)
    missing_ui = not all((root / name).is_file() for name in UI_FILES)
    changed = [month for month in sorted(now, reverse=True)
               if now[month] != indexed.get(month) or not (root / month).is_dir()]
    if missing_ui and not changed and now:
        changed = [max(now)]
    for month in changed:
        _index_month(root, month, sorted(name for name in pages if month_of(name) == month))
    for old in root.iterdir():  # months with no day page left, and leftovers of an interrupted run
        if old.is_dir() and not old.is_symlink() and old.name not in now:
            shutil.rmtree(old, ignore_errors=True)
    store.write_if_changed(root / BUNDLES, json.dumps({"bundles": sorted(now, reverse=True)}) + "\n")
    return now, changed


def _index_month(root: Path, month: str, names: list[str]) -> None:
    fresh, old = root / f".{month}-new", root / f".{month}-old"
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    glob = "{" + ",".join(names) + "}" if len(names) > 1 else names[0]
    _pagefind("--site", str(root.parent), "--glob", glob, "--output-path", str(fresh), "--force-language", "en",
              "--quiet")
    for name in UI_FILES:  # the search box: once, at the top of the index
        store.write_if_changed(root / name, (fresh / name).read_bytes())
    for name in _UNUSED:
        (fresh / name).unlink(missing_ok=True)
    bundle = root / month
    if bundle.is_symlink():
        bundle.unlink()
    if bundle.exists():
        bundle.rename(old)
    fresh.rename(bundle)
    shutil.rmtree(old, ignore_errors=True)


def _pagefind(*args: str) -> None:
    """Run the Pagefind binary of the installed wheel (`python -m pagefind` finds it)."""
    try:
        result = subprocess.run([sys.executable, "-m", "pagefind", *args], capture_output=True, text=True,
                                timeout=TIMEOUT, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as problem:
        raise SearchError(f"the search index was not built: {problem}") from None
    if result.returncode != 0:
        said = (result.stderr.strip() or result.stdout.strip()).splitlines()
        raise SearchError(f"the search index was not built: pagefind {said[-1] if said else 'failed'}"
                          " (is the pagefind[bin] package installed?)")
