"""Benchmark of long backslash runs through the CLI (not a test; prints figures, asserts nothing).

Imports the reference digest into a temporary folder, then times real `digest` subprocesses (start-up included):
`set` of an objective made of N backslashes, then `check` and `import --force` of the markdown file it rendered.
Escaping is linear when 10x the backslashes cost far less than 10x the time; the promise is that 40,000 cost at
most 3x the time of 4,000 in `set`.

    python tools/bench_backslashes.py [--sizes 4000 40000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference-2024-10-08.md"
DAY, PAPER = "2024-10-08", "2410.05046"  # a structured summary: `set ... objective` applies


def digest(*args: str, stdin: str | None = None, ok: tuple[int, ...] = (0,)) -> float:
    """Seconds one `python -m authoring ...` took (wall clock); exits with its output when it fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": "sk-bench-not-a-real-key"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "authoring", *args], input=stdin, capture_output=True, text=True,
                          env=env, cwd=ROOT)
    took = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(f"digest {args[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 40000])
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; the fastest is printed")
    args = parser.parse_args()
    figures: dict[int, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "output"
        markdown = out / f"{DAY}.md"
        digest("import", str(REFERENCE), "--output-dir", str(out))
        for size in args.sizes:
            runs: dict[str, list[float]] = {"set": [], "check": [], "import": []}
            for _ in range(args.repeat):
                runs["set"].append(digest("set", DAY, PAPER, "objective", "-", "--output-dir", str(out),
                                          stdin="\\" * size))
                copy = Path(folder) / f"copy-{DAY}.md"
                shutil.copyfile(markdown, copy)
                # `check` exits 1 on findings, which a cell of backslashes has
                runs["check"].append(digest("check", str(copy), "--output-dir", str(out), ok=(0, 1)))
                runs["import"].append(digest("import", str(copy), "--force", "--output-dir", str(out)))
            figures[size] = {name: min(times) for name, times in runs.items()}
    print(f"backslash runs through the CLI (fastest of {args.repeat}, start-up included)")
    for size, times in figures.items():
        print(f"  {size:>7,} backslashes   " + "   ".join(f"{name} {took:.2f} s" for name, took in times.items()))
    small, large = min(figures), max(figures)
    for name in ("set", "check", "import"):
        ratio = figures[large][name] / figures[small][name]
        print(f"  {name:<6} {large:,} / {small:,}: {ratio:.2f}x the time for {large / small:g}x the backslashes"
              + (" (promise: at most 3x)" if name == "set" else ""))


if __name__ == "__main__":
    main()
