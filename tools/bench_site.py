"""Benchmark of `digest site` over a large archive (not a test): N days made from the demo day (tests/golden, 15
papers each, ids and dates changed), published once, again with nothing changed, then again with one day changed.
Prints, for each build, the wall time of the whole `digest site` (a real subprocess) and of its two parts measured
in-process (rendering and writing the pages; the Pagefind index), the files written, and the feed's size; then
the time of the index alone over one day's page, to compare with a rebuild that changed one day.

    python tools/bench_site.py [--days 300]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authoring.config import Settings
from authoring.models import Digest
from authoring.site import build as sites
from authoring.site import search
from authoring.store import days
from authoring.store import files as store

GOLDEN = ROOT / "tests" / "golden"


def archive(output: Path, count: int) -> None:
    """`count` days from 2024-10-08 backwards, each the demo day with its own ids."""
    demo = store.load_digest(GOLDEN, date(2024, 10, 8))
    settings = Settings(output_dir=output)
    for n in range(count):
        day = date(2024, 10, 8) - timedelta(days=n)
        copy = Digest.model_validate(demo.model_dump())
        copy.date = day.isoformat()
        for i, entry in enumerate(copy.entries):
            entry.id = f"{day:%y%m}.{n:03d}{i:02d}"
            assert entry.paper is not None
            entry.paper.id = entry.id
        days.write(settings, day, copy)


def digest_site(output: Path, out: Path) -> tuple[float, str]:
    """The wall time of a real `digest site`, and what it said (its last line, and what it re-indexed)."""
    start = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", "authoring", "site", "--out", str(out), "--output-dir",
                             str(output)], capture_output=True, text=True, check=True)
    lines = result.stdout.strip().splitlines()
    indexed = [line.split(" in ")[0] for line in lines if line.startswith("Indexed")]
    return time.perf_counter() - start, "; ".join([lines[-1].split(": ", 1)[-1], *indexed])


def parts(output: Path, out: Path) -> tuple[float, float, float, int]:
    """(seconds to load and render every day, to index every month, to index one month; day pages), in-process."""
    settings = Settings(output_dir=output)
    start = time.perf_counter()
    stored = store.stored_days(output)
    built = sites.build([days.load(settings, day) for day in stored])
    pages = {name: data for name, data in built.files.items() if name.endswith(".html") and name != "index.html"}
    rendered = time.perf_counter() - start
    start = time.perf_counter()
    search.index(out, pages, {})
    everything = time.perf_counter() - start
    now = search.hashes(pages)
    start = time.perf_counter()
    search.index(out, pages, {**now, "2024-10": "changed"})
    one_month = time.perf_counter() - start
    return rendered, everything, one_month, sum(1 for name in pages if name.startswith("2024-10"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="digest-bench-site-") as work:
        output, out = Path(work) / "output", Path(work) / "site"
        archive(output, args.days)
        print(f"{args.days} days x 15 papers ({args.days * 15:,} papers)")
        first, said = digest_site(output, out)
        print(f"  first build:        {first:6.2f} s  ({said})")
        again, said = digest_site(output, out)
        print(f"  nothing changed:    {again:6.2f} s  ({said})")
        changed_day = date(2024, 10, 8) - timedelta(days=args.days // 2)
        settings = Settings(output_dir=output)
        with days.change(settings, changed_day, "set") as digest:
            assert digest.entries[0].paper is not None
            digest.entries[0].paper.title = "A changed title"
        one, said = digest_site(output, out)
        print(f"  one day changed:    {one:6.2f} s  ({said})")
        rendered, everything, one_month, october = parts(output, out)
        print(f"  in-process: load+render {args.days} days {rendered:.2f} s; index every month {everything:.2f} s; "
              f"index one month (2024-10, {october} days) {one_month:.2f} s")
        print(f"  feed.xml: {(out / 'feed.xml').stat().st_size / 1e6:.2f} MB; pagefind/: "
              f"{sum(f.stat().st_size for f in (out / 'pagefind').rglob('*') if f.is_file()) / 1e6:.1f} MB")
        single = Path(work) / "one"
        single.mkdir()
        (single / "2024-10-08.html").write_bytes((out / "2024-10-08.html").read_bytes())
        start = time.perf_counter()
        built = sites.build([days.load(settings, date(2024, 10, 8))])
        rendered = time.perf_counter() - start
        start = time.perf_counter()
        search.index(single, {"2024-10-08.html": built.files["2024-10-08.html"]}, {})
        print(f"  one day's work: load+render {rendered:.2f} s, index {time.perf_counter() - start:.2f} s")
        start = time.perf_counter()
        result = subprocess.run([sys.executable, "-c", "pass"], check=True)
        print(f"  (python -c pass: {time.perf_counter() - start:.2f} s; {result.returncode})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
