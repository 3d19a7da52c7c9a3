"""Benchmark of `digest check` over stored days (not a test; prints figures, asserts nothing).

Builds archives of N days (15 entries a day, made from the reference digest with distinct ids per day) in a
temporary folder, runs the check over all of them in-process, and prints seconds per 100 days at each size: equal
figures mean the cost is linear in the days stored. Then times the summary-text patterns on run-on cells.

    python tools/bench_check.py [--sizes 100 400]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authoring.checks import findings as check
from authoring.config import Settings
from authoring.markdown.parse import parse_digest
from authoring.markdown.summary_text import follow_up
from authoring.models import Digest, Entry, Paper, Provenance
from authoring.runs import checking
from authoring.store import days
from authoring.store import files as store

REFERENCE = ROOT / "tests" / "data" / "reference-2024-10-08.md"


def build_archive(folder: Path, count: int) -> Settings:
    settings = Settings(output_dir=folder)
    template = parse_digest(REFERENCE.read_text(encoding="utf-8"), source="reference").digest
    first = date(2024, 1, 1)
    for number in range(count):
        day = first + timedelta(days=number)
        digest = template.model_copy(deep=True)
        digest.date = day.isoformat()
        for index, entry in enumerate(digest.entries):
            entry.id = f"{24 + number // 5000}{(number % 12) + 1:02d}.{(number * 15 + index) % 100000:05d}"
            entry.paper.id = entry.id
        days.write(settings, day, digest)
    return settings


def time_check(settings: Settings) -> tuple[float, int]:
    start = time.perf_counter()
    results = list(checking.check_days(settings, store.stored_days(settings.output_dir)))
    return time.perf_counter() - start, sum(len(findings) for _, _, findings in results)


def time_run_on(length: int) -> float:
    cell = ("a) " + "and it keeps going without a stop " * (length // 34) + "at 4.2%.  b) M.  c) 5%.  d) I.  "
            "Follow-up questions: 1. " + "why " * 100 + "? 2. How?")
    entry = Entry(id="2501.00001", paper=Paper(id="2501.00001", title="T", authors=["A"]),
                  summary_markdown=cell, provenance=Provenance(source="import"))
    start = time.perf_counter()
    for _ in range(10):
        follow_up(cell)
        check.check_digest(Digest(date="2025-01-01", entries=[entry]), source_text=lambda e: None)
    return (time.perf_counter() - start) / 10


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 400])
    args = parser.parse_args()
    print("digest check over all stored days (15 entries a day)")
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder:
            settings = build_archive(Path(folder), size)
            seconds, findings = time_check(settings)
        print(f"  {size:>5} days  {seconds:7.2f} s  ->  {seconds / size * 100:5.2f} s per 100 days  "
              f"({findings:,} findings)")
    print("summary-text patterns on one run-on cell (follow-up parser and every entry check)")
    for length in (4_000, 20_000, 80_000):
        print(f"  {length:>6} characters  {time_run_on(length) * 1000:7.2f} ms")


if __name__ == "__main__":
    main()
