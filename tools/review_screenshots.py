"""Shoot the review screen for the docs: docs/review-80x24.svg and docs/review-wide.svg, from the demo day (the
golden copy in tests/golden), headless through Textual's pilot. Run it after changing the screen.

    python tools/review_screenshots.py
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from authoring.config import Settings
from authoring.review.app import ReviewApp
from authoring.review.desk import Desk
from tools.assemble_cassettes import seed_golden_day

DAY = date(2024, 10, 8)


async def shoot(settings: Settings, size: tuple[int, int], keys: list[str], target: Path) -> None:
    app = ReviewApp(Desk(settings, DAY, clock=lambda: datetime(2024, 10, 8, 9, 30, tzinfo=UTC)), watch=False)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
        target.write_text(app.export_screenshot(title=f"digest review {DAY.isoformat()}"), encoding="utf-8")
    print(f"wrote {target.relative_to(ROOT)}")


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(output_dir=Path(folder) / "output")
        seed_golden_day(settings.output_dir)
        asyncio.run(shoot(settings, (80, 24), ["a", "j"], ROOT / "docs" / "review-80x24.svg"))
        asyncio.run(shoot(settings, (150, 40), ["j"], ROOT / "docs" / "review-wide.svg"))


if __name__ == "__main__":
    main()
