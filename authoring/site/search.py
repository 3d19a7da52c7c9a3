"""The site's search index: Pagefind (the `pagefind` binary that the `pagefind_bin` wheel ships; nothing is
downloaded) run over the day pages a build wrote. Only what a day page marks `data-pagefind-body` is indexed, each
paper under its own heading (its id), so a result links to the paper's entry on its day page. The index is rebuilt
only when a day page changed, into a new folder that then takes the place of the old one."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from authoring.errors import DigestError

BUNDLE = "pagefind"  # the folder the pages load pagefind-ui.js from
# A guard against a hung indexer, not a measure of speed.
TIMEOUT = 600


class SearchError(DigestError):
    """Pagefind could not index the site."""


def pages_hash(pages: Mapping[str, bytes]) -> str:
    """What the index is built from: every day page, by name and bytes."""
    digest = hashlib.sha256()
    for name in sorted(pages):
        digest.update(name.encode() + b"\0" + hashlib.sha256(pages[name]).digest())
    return digest.hexdigest()[:24]


def index(out_dir: Path, pages: list[str]) -> None:
    """Index the day pages `pages` (names in out_dir) into out_dir/pagefind: written into a sibling folder first,
    then swapped in, so a failed or interrupted run leaves the old index in place."""
    fresh, old = out_dir / f".{BUNDLE}-new", out_dir / f".{BUNDLE}-old"
    for leftover in (fresh, old):
        shutil.rmtree(leftover, ignore_errors=True)
    if pages:
        glob = "{" + ",".join(sorted(pages)) + "}" if len(pages) > 1 else pages[0]
        _pagefind("--site", str(out_dir), "--glob", glob, "--output-path", str(fresh), "--force-language", "en",
                  "--quiet")
    else:
        fresh.mkdir()
    bundle = out_dir / BUNDLE
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
