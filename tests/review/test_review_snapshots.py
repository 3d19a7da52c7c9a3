"""SVG snapshots of the review screen's main states (pytest-textual-snapshot; update them with
`pytest tests/review/test_review_snapshots.py --snapshot-update` and look at the report before committing)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from authoring.review.app import ReviewApp
from authoring.review.desk import Desk
from tools.assemble_cassettes import seed_golden_day

DAY = date(2024, 10, 8)


def clock():
    return datetime(2026, 12, 5, 8, 1, 2, tzinfo=UTC)


@pytest.fixture
def app(settings):
    seed_golden_day(settings.output_dir)
    return ReviewApp(Desk(settings, DAY, clock=clock), watch=False)


def test_the_desk_at_80_by_24(snap_compare, app):
    assert snap_compare(app, press=["j"], terminal_size=(80, 24))


def test_the_desk_on_a_wide_terminal_shows_the_source_beside_the_summary(snap_compare, app):
    assert snap_compare(app, press=["j"], terminal_size=(160, 45))


def test_a_reviewed_entry_the_filter_and_the_hint_prompt(snap_compare, app):
    async def mark_filter_and_prompt(pilot):
        await pilot.press("j", "j", "a")
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("f", "r", *"cite the table")

    assert snap_compare(app, run_before=mark_filter_and_prompt, terminal_size=(100, 30))
