"""Benchmark of importing an archive (not a test; prints figures, asserts nothing).

Writes N copies of the reference digest, each with its own day, then imports them twice into fresh folders:
once as N `digest import FILE` processes (one file a process, as before `import FILE...`), once as one
`digest import FILE...` process. Real subprocesses, start-up included.

    python tools/bench_import.py [--files 300]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REFERENCE = ROOT / "tests" / "data" / "reference-2024-10-08.md"


def digest(*args: str) -> float:
    """Seconds one `python -m authoring ...` took (wall clock); exits with its output when it fails."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(Path(tempfile.gettempdir()) / "no-config")}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "authoring", *args], capture_output=True, text=True, env=env,
                          cwd=ROOT)
    took = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"digest {args[0]} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=300)
    files = parser.parse_args().files
    text = REFERENCE.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as folder:
        archive = Path(folder) / "archive"
        archive.mkdir()
        paths = []
        for n in range(files):
            day = (date(2023, 1, 1) + timedelta(days=n)).isoformat()
            path = archive / f"{day}.md"
            path.write_text(text.replace("2024-10-08", day), encoding="utf-8")
            paths.append(str(path))
        one_by_one = sum(digest("import", path, "--output-dir", f"{folder}/one-by-one") for path in paths)
        together = digest("import", *paths, "--output-dir", f"{folder}/together")
        stored = len(list(Path(folder, "together").glob("*.json")))
    print(f"{files} files, 15 entries each ({stored} days stored by the single process)")
    print(f"one process a file (before):   {one_by_one:7.1f} s  ({one_by_one / files * 1000:.0f} ms a file)")
    print(f"one process for all (after):   {together:7.1f} s  ({together / files * 1000:.0f} ms a file)")
    print(f"speed-up: {one_by_one / together:.1f}x")


if __name__ == "__main__":
    main()
