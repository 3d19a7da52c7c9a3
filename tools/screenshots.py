"""Regenerate the docs' screenshots of `digest site` (`make screenshots`): the demo day (tests/golden) plus two
days imported from older layouts (tests/data/corpus), published with the real CLI, shot in headless Chromium.

    python tools/screenshots.py [--docs DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
