"""Precision (and recall) of `digest check` findings against labels (not a test; prints figures).

Three labelled sets: the reference digest imported as a stored day (its 8 prose rows are the only findings it
should give, at info), the hand-written defects corpus (tests/data/corpus/defects.expected.json), and days
generated here from hand-written phrasings with a known label each (figures with units, follow-up headings and
numbering, inline lists, empty authors, raw tags, preamble, broken rows, and grounding against an abstract).

    python tools/check_precision.py [--days 40] [--archive DIR]

With --archive (default: the archive-like days in tests/data/corpus/archive), it also imports every DATE.md of
DIR as a stored day and prints how many pass `digest check --fail-on error`, with each error of the others.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from collections import Counter
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authoring.checks.grounding import Source, ungrounded
from authoring.config import Settings
from authoring.markdown.parse import parse_digest
from authoring.runs import checking
from authoring.store import days
from authoring.store import files as store

DATA = ROOT / "tests" / "data"
VERBOSE = "--verbose" in sys.argv
LINK = "(Read more on [arXiv](https://arxiv.org/abs/{id}) or [HuggingFace](https://huggingface.co/papers/{id}))"
QUESTIONS = ["Follow-up questions:  1. How does it scale beyond Figure 4. What then? 2. What does it cost?",
             "Follow Up Questions: 1. Why? 2. How? 3. When?", "FOLLOW-UP QUESTIONS: - Why? - How?",
             "Here are some follow-up questions an AI practitioner might have:  1. Why?  2.  How?"]
RESULTS = ["PSNR improves by over 1dB", "it needs up to 47X less memory", "it trains on 800K-1M samples",
           "the loss falls from 8.1e-3 to 1.5e-4", "accuracy gains +Δ9.4%", "it uses only 1k labels",
           "GPT-4o is beaten by 3.1%", "a 10–18x speedup"]
# (summary template, authors, labels); {r} is a result phrasing, {q} a follow-up block.
CASES = [
    ("a) Aim.  b) Method.  c) In short, {r}.  d) Use.  {q}", "A. B", []),
    ("The paper studies X; {r}. {q}", "A. B", [("structure", "info")]),
    ("It has two stages: a) pretraining and b) tuning; {r}. {q}", "A. B", [("structure", "info")]),
    ("a) Aim.  b) Method; {r}.  {q}", "A. B", [("structure", "error")]),
    ("a) Aim.  b) Method.  c) In short, {r}.  d) Use.  {q}", "", [("authors", "warning")]),
    ("<think>ok</think>  a) Aim.  b) Method.  c) In short, {r}.  d) Use `<answer>`.  {q}", "A. B",
     [("markup", "error")]),
    ("Here's a concise summary, following your strict guidelines:  a) Aim.  b) M.  c) So {r}.  d) Use.  {q}", "A",
     [("preamble", "warning")]),
    ("a) Aim.  b) Method.  c) No number is given.  d) Use.  {q}", "A. B", [("figure", "warning")]),
    ("a) Aim.  b) Method.  c) In short, {r}.  d) Use.  Follow-up questions:  1. Only this?", "A",
     [("questions", "error")]),
]


def score(found: list[tuple[str, str, str]], labels: list[tuple[str, str, str]], tally: Counter) -> None:
    expected, got = Counter(labels), Counter(found)
    tally["true"] += sum((expected & got).values())
    tally["false"] += sum((got - expected).values())
    tally["missed"] += sum((expected - got).values())
    if VERBOSE:
        for item in (got - expected) + (expected - got):
            print("    mismatch:", item, "(found)" if item in got else "(missed)")


def report(name: str, tally: Counter) -> None:
    found = tally["true"] + tally["false"]
    labelled = tally["true"] + tally["missed"]
    precision = tally["true"] / found if found else 1.0
    recall = tally["true"] / labelled if labelled else 1.0
    print(f"  {name:<34} {found:>5} findings  precision {precision:6.1%}  recall {recall:6.1%}"
          f"  ({tally['false']} false, {tally['missed']} missed)")


def reference_day(folder: Path) -> Counter:
    settings = Settings(output_dir=folder)
    text = (DATA / "reference-2024-10-08.md").read_text(encoding="utf-8")
    digest = parse_digest(text, source="reference").digest
    days.write(settings, date(2024, 10, 8), digest)
    prose = [e.id for e in digest.entries if e.summary is None]
    tally: Counter = Counter()
    for _, _, findings in checking.check_days(settings, store.stored_days(folder)):
        score([(f.entry, f.kind, f.severity) for f in findings], [(i, "structure", "info") for i in prose], tally)
    return tally


def defects_corpus() -> Counter:
    labels = json.loads((DATA / "corpus" / "defects.expected.json").read_text())
    text = (DATA / "corpus" / "defects.md").read_text(encoding="utf-8")
    _, findings = checking.check_file(Settings(output_dir=Path("/nonexistent")), "defects.md", text)
    tally: Counter = Counter()
    score([(f.entry, f.kind, f.severity) for f in findings],
          [(entry, kind, severity) for entry, pairs in labels.items() for kind, severity in pairs], tally)
    return tally


def archive_gate(archive: Path, folder: Path) -> None:
    """Every markdown day of an archive imported, then the CI gate (--fail-on error) over each stored day."""
    settings = Settings(output_dir=folder)
    files = sorted(archive.glob("*.md"))
    for path in files:
        digest = parse_digest(path.read_text(encoding="utf-8"), source=str(path)).digest
        days.write(settings, date.fromisoformat(digest.date), digest)
    stored = store.stored_days(folder)
    failing = [(day, [f for f in findings if f.severity == "error"])
               for day, _, findings in checking.check_days(settings, stored)]
    failing = [(day, errors) for day, errors in failing if errors]
    passing = len(stored) - len(failing)
    share = passing / len(stored) if stored else 1.0
    print(f"  {f'archive {archive.name}/':<34} {passing} of {len(stored)} days pass --fail-on error ({share:.1%})")
    for day, errors in failing:
        for finding in errors:
            print(f"    {day}  {finding.entry or '-':<12}  {finding.kind:<9}  {finding.message}")


def generated_days(count: int, rng: random.Random) -> Counter:
    tally: Counter = Counter()
    for day in range(count):
        rows, labels = [], []
        for number, (template, authors, case_labels) in enumerate(CASES):
            arxiv_id = f"2502.{day * 100 + number:05d}"
            summary = template.format(r=rng.choice(RESULTS), q=rng.choice(QUESTIONS))
            title = f"Generated paper {day}-{number} {LINK.format(id=arxiv_id)}"
            row = f"| {title}| {authors} | {summary} |"
            if rng.random() < 0.1:  # a row broken over two lines
                cut = row.index(" b) ") if " b) " in row else len(row) // 2
                row = row[:cut] + "\n" + row[cut:]
                labels.append((arxiv_id, "table", "error"))
            rows.append(row)
            labels += [(arxiv_id, kind, severity) for kind, severity in case_labels]
        text = f"\n\n## Papers for 2025-02-{day % 28 + 1:02d}\n\n| Title | Authors | Summary |\n" \
               f"|-------|---------|---------|\n" + "\n".join(rows) + "\n"
        _, findings = checking.check_file(Settings(output_dir=Path("/nonexistent")), "generated.md", text)
        score([(f.entry, f.kind, f.severity) for f in findings], labels, tally)
    return tally


def generated_grounding(count: int, rng: random.Random) -> Counter:
    """Figures with units written as the abstract has them, or as another number (which must be reported)."""
    pairs = [("over 1dB PSNR", "gains 1 dB PSNR", "over 2dB PSNR"), ("47X less memory", "uses 47x less memory",
             "57X less memory"), ("800K-1M samples", "800,000 to 1 million samples", "700K-1M samples"),
             ("from 8.1e-3 to 1.5e-4", "from 0.0081 to 0.00015", "from 8.1e-3 to 2.5e-4"),
             ("+Δ9.4%", "improves by 9.4 points", "+Δ8.4%"), ("1k labels", "1,000 labels", "2k labels"),
             ("GPT-4o at 71.5%", "GPT-4o reaches 71.5%", "GPT-4o at 72.5%")]
    tally: Counter = Counter()
    for _ in range(count):
        right, abstract, wrong = rng.choice(pairs)
        planted = rng.random() < 0.5
        found = [("x", f.text, "") for f in ungrounded(wrong if planted else right, Source(abstract))]
        score([("x", "grounding", "")] if found else [], [("x", "grounding", "")] if planted else [], tally)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=40)
    parser.add_argument("--verbose", action="store_true", help="Print each finding that does not match a label.")
    parser.add_argument("--archive", type=Path, default=DATA / "corpus" / "archive",
                        help="A folder of markdown days to import and gate (default: %(default)s).")
    args = parser.parse_args()
    rng = random.Random(12)
    print("digest check: findings against labels")
    with tempfile.TemporaryDirectory() as folder:
        report("reference, imported as a day", reference_day(Path(folder)))
    report("hand-written defects corpus", defects_corpus())
    report(f"{args.days} generated days ({len(CASES)} rows each)", generated_days(args.days, rng))
    report(f"{args.days * 10} generated grounding pairs", generated_grounding(args.days * 10, rng))
    with tempfile.TemporaryDirectory() as folder:
        archive_gate(args.archive, Path(folder))


if __name__ == "__main__":
    main()
