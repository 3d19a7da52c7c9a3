"""`digest review` driven through Textual's pilot (App.run_test): keys pressed, widgets and the stored day read back.
Changes land in DATE.json and DATE.md through the day store; the model is a loopback stand-in."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from authoring.review.app import ReviewApp
from authoring.review.desk import Desk
from authoring.store import days
from tests.helpers import local, ok, run
from tools.assemble_cassettes import seed_golden_day
from tools.standin import StandIn

DAY = date(2024, 10, 8)
FIRST, SECOND, THIRD = "2410.05258", "2410.02707", "2410.04364"


@pytest.fixture
def day_settings(settings):
    seed_golden_day(settings.output_dir)
    return settings


def stored(settings) -> dict:
    return json.loads((settings.output_dir / "2024-10-08.json").read_text(encoding="utf-8"))


def stored_entry(settings, entry_id: str) -> dict:
    return next(e for e in stored(settings)["entries"] if e["id"] == entry_id)


def markdown_in_sync(settings) -> bool:
    digest = days.peek(settings, DAY)
    return days.markdown_state(settings, DAY, digest) == days.IN_SYNC


def clock():
    return datetime(2026, 12, 5, 8, 1, 2, tzinfo=UTC)


def drive(app: ReviewApp, script, size=(80, 24)):
    """Run the app headless at `size` and hand its pilot to `script` (an async function)."""

    async def main():
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot)

    asyncio.run(main())


async def settle(pilot) -> None:
    """Let the app's workers (store writes, a model call) finish and the screen catch up."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def text_of(app: ReviewApp, widget: str) -> str:
    return str(app.query_one(widget).render())


def status_column(app: ReviewApp) -> list[str]:
    table = app.table
    return [str(table.get_row_at(n)[1]) for n in range(table.row_count)]


# ------------------------------------------------------------------------------------------------ navigation
def test_j_k_arrows_and_the_mouse_move_and_the_right_shows_the_selected_paper(day_settings):
    app = ReviewApp(Desk(day_settings, DAY), watch=False)

    async def script(pilot):
        assert app.selected_id() == FIRST and "Differential Transformer" in text_of(app, "#header")
        await pilot.press("j")
        assert app.selected_id() == SECOND
        assert "LLMs Know More Than They Show" in text_of(app, "#header")
        assert "Source: the abstract" in text_of(app, "#source")
        assert "Large language models (LLMs) often produce errors" in text_of(app, "#source")
        assert "a) This research investigated" in text_of(app, "#summary")
        await pilot.press("down", "down")
        assert app.selected_id() == "2410.02675"
        await pilot.press("k", "up")
        assert app.selected_id() == SECOND
        await pilot.press("k", "k")  # stops at the first
        assert app.selected_id() == FIRST
        await pilot.click("#entries", offset=(5, 3))  # the header row, then rows 1, 2, 3
        await pilot.pause()
        assert app.selected_id() == THIRD

    drive(app, script)


def test_figures_are_marked_grounded_or_not_as_text_and_the_findings_are_listed(day_settings):
    app = ReviewApp(Desk(day_settings, DAY), watch=False)

    async def script(pilot):
        await pilot.press("j")  # 2410.02707: "AUC of 0.85" is not in its abstract
        summary, findings = text_of(app, "#summary"), text_of(app, "#findings")
        assert "0.85✗" in summary and "Figures: ✓ in the abstract, ✗ not in the abstract" in summary
        assert "Findings (1):" in findings and "0.85 does not occur in the abstract" in findings
        assert str(app.table.get_row_at(1)[2]) == "1"  # the findings column

    drive(app, script)


def test_a_grounded_figure_is_marked_with_a_tick(settings):
    from authoring.models import Digest, Entry, Paper, Summary

    summary = Summary(objective="O.", method="M.", result="Accuracy rose to 42% on X and 7% on Y.",
                      implication="I.", questions=["Q1?", "Q2?"])
    digest = Digest(date="2024-10-08", entries=[Entry(id="2410.00001", summary=summary, paper=Paper(
        id="2410.00001", title="T", authors=["A"], abstract="We reach 42% accuracy."))])
    days.write(settings, DAY, digest)
    app = ReviewApp(Desk(settings, DAY), watch=False)

    async def script(pilot):
        assert "42%✓ on X and 7%✗ on Y" in text_of(app, "#summary")

    drive(app, script)


def test_the_source_stands_beside_the_summary_on_a_wide_terminal_and_below_it_at_80_columns(day_settings):
    def placed(size):
        app = ReviewApp(Desk(day_settings, DAY), watch=False)
        where = {}

        async def script(pilot):
            summary, source = app.query_one("#summary").region, app.query_one("#source").region
            where["beside"] = source.x > summary.x and source.y == summary.y
            where["below"] = source.y > summary.y and source.x == summary.x

        drive(app, script, size=size)
        return where

    assert placed((160, 45)) == {"beside": True, "below": False}
    assert placed((80, 24)) == {"beside": False, "below": True}


def test_failed_and_unknown_entries_are_shown_with_their_reason(settings):
    from tools.assemble_cassettes import seed_failed_day

    seed_failed_day(settings.output_dir)
    app = ReviewApp(Desk(settings, DAY), watch=False)

    async def script(pilot):
        assert status_column(app) == ["failed", "failed"]
        assert "status: failed (model server answered HTTP 500: upstream error)" in text_of(app, "#header")
        assert "(no summary yet)" in text_of(app, "#summary")
        await pilot.press("j")
        assert "(no arXiv metadata)" in text_of(app, "#header") and "2410.99999 not found on arXiv" in text_of(
            app, "#header")
        assert "Source: none kept" in text_of(app, "#source")

    drive(app, script, size=(200, 30))


def test_an_imported_summary_is_shown_as_written_with_its_figures_unchecked(settings):
    from tests.conftest import ROOT
    from tests.helpers import run

    reference = ROOT / "tests" / "data" / "reference-2024-10-08.md"
    assert run("import", str(reference), "--output-dir", str(settings.output_dir)).exit_code == 0
    app = ReviewApp(Desk(settings, DAY), watch=False)

    async def script(pilot):
        summary = text_of(app, "#summary")
        assert status_column(app)[0] == "prose"  # imported: the cell is kept as written
        assert "Figures: ? not checked (no source text kept)" in summary
        assert "only 65%? of the model size" in summary  # a figure of the parts, marked unchecked
        assert "1. What is the computational overhead" in summary  # the questions' numbers are not figures

    drive(app, script, size=(200, 40))


# ------------------------------------------------------------------------------------------------ filter
def test_f_shows_only_entries_with_findings_or_not_reviewed(day_settings):
    desk = Desk(day_settings, DAY, clock=clock)
    for entry_id in (FIRST, "2410.05167"):  # 2410.05167 has no findings: once reviewed, nothing to look at
        desk.toggle_reviewed(entry_id)
    app = ReviewApp(desk, watch=False)

    async def script(pilot):
        assert app.table.row_count == 15
        await pilot.press("f")
        shown = list(app._shown)
        assert len(shown) == 14 and "2410.05167" not in shown and FIRST in shown  # FIRST still has findings
        assert "filter: 14 need attention" in text_of(app, "#status")
        await pilot.press("f")
        assert app.table.row_count == 15

    drive(app, script)


# ------------------------------------------------------------------------------------------------ reviewed
def test_a_marks_the_entry_reviewed_in_date_json_and_again_unmarks_it(day_settings):
    before_md = (day_settings.output_dir / "2024-10-08.md").read_bytes()
    app = ReviewApp(Desk(day_settings, DAY, clock=clock), watch=False)

    async def script(pilot):
        await pilot.press("j", "a")
        await settle(pilot)
        assert stored_entry(day_settings, SECOND)["reviewed"] == "2026-12-05T08:01:02Z"
        assert "reviewed" not in stored_entry(day_settings, FIRST)
        assert status_column(app)[:2] == ["ok", "reviewed"]
        assert "1/15 reviewed" in text_of(app, "#status") and "reviewed 2026-12-05 08:01:02Z" in text_of(app, "#header")
        await pilot.press("a")
        await settle(pilot)
        assert "reviewed" not in stored_entry(day_settings, SECOND)

    drive(app, script)
    assert (day_settings.output_dir / "2024-10-08.md").read_bytes() == before_md  # the table does not show marks
    assert markdown_in_sync(day_settings)  # DATE.json knows DATE.md was rendered from the day as it is


def test_u_undoes_the_days_last_change(day_settings):
    app = ReviewApp(Desk(day_settings, DAY, clock=clock), watch=False)

    async def script(pilot):
        await pilot.press("a")
        await settle(pilot)
        assert stored_entry(day_settings, FIRST)["reviewed"]
        await pilot.press("u")
        await settle(pilot)
        assert "reviewed" not in stored_entry(day_settings, FIRST)
        assert "Undid `digest review`" in text_of(app, "#status") and status_column(app)[0] == "ok"
        await pilot.press("u")  # nothing left to undo: said on the status line, nothing changes
        await settle(pilot)
        assert "Error: nothing to undo for 2024-10-08" in text_of(app, "#status")

    drive(app, script)


# ------------------------------------------------------------------------------------------------ regenerate
def test_r_regenerates_with_the_typed_hint_in_a_worker_and_clears_the_mark(day_settings):
    bodies = []

    def chat(body):
        bodies.append(body)
        return ok(body, delay=0.3)  # long enough to see the screen still answer keys meanwhile

    Desk(day_settings, DAY, clock=clock).toggle_reviewed(FIRST)
    with StandIn(chat=chat) as stand_in:
        app = ReviewApp(Desk(local(day_settings, stand_in), DAY, clock=clock), watch=False)

        async def script(pilot):
            await pilot.press("r")
            assert app.query_one("#hint").has_class("-open") and app.focused is app.query_one("#hint")
            await pilot.press(*"state the TREC gain", "enter")
            await pilot.pause()
            assert status_column(app)[0] == "regen…" and "regenerating 2410.05258" in text_of(app, "#status")
            await pilot.press("j")  # the screen is not blocked while the model answers
            assert app.selected_id() == SECOND
            await settle(pilot)
            assert "Regenerated 2410.05258" in text_of(app, "#status") and status_column(app)[0] == "ok"

        drive(app, script)
    prompt = bodies[0]["messages"][-1]["content"]
    assert len(bodies) == 1 and "Note from the digest editor: state the TREC gain" in prompt
    entry = stored_entry(day_settings, FIRST)
    assert entry["summary"]["result"] == "R: 42%." and "reviewed" not in entry  # a new summary is not reviewed
    assert markdown_in_sync(day_settings) and "R: 42%." in (day_settings.output_dir / "2024-10-08.md").read_text()


def test_r_on_an_entry_edited_by_hand_says_the_edit_will_be_replaced_and_escape_keeps_it(day_settings):
    assert run("set", "2024-10-08", FIRST, "title", "A title typed by hand", "--output-dir",
               str(day_settings.output_dir)).exit_code == 0
    app = ReviewApp(Desk(day_settings, DAY), watch=False)

    async def script(pilot):
        await pilot.press("r")
        assert "edited by hand: Enter replaces the edit" in text_of(app, "#status")
        await pilot.press("escape")
        await pilot.press("j", "r")  # an entry nobody edited: the usual prompt
        assert "Regenerate 2410.02707: type a hint" in text_of(app, "#status")
        await pilot.press("escape")

    drive(app, script)
    assert stored_entry(day_settings, FIRST)["paper"]["title"] == "A title typed by hand"


def test_escape_cancels_the_hint_prompt_and_an_empty_hint_is_sent_as_none(day_settings):
    bodies = []

    def chat(body):
        bodies.append(body)
        return ok(body)

    with StandIn(chat=chat) as stand_in:
        app = ReviewApp(Desk(local(day_settings, stand_in), DAY), watch=False)

        async def script(pilot):
            await pilot.press("r", "x", "escape")
            await settle(pilot)
            assert not app.query_one("#hint").has_class("-open") and bodies == []
            assert "Regeneration cancelled" in text_of(app, "#status")
            await pilot.press("j")  # keys reach the list again, not the prompt
            assert app.selected_id() == SECOND
            await pilot.press("r", "enter")
            await settle(pilot)

        drive(app, script)
    assert len(bodies) == 1 and "Note from the digest editor" not in bodies[0]["messages"][-1]["content"]
    assert stored_entry(day_settings, SECOND)["summary"]["result"] == "R: 42%."


def test_a_failed_regeneration_is_said_and_keeps_the_summary(day_settings):
    from tools.standin import Reply

    before = stored_entry(day_settings, FIRST)
    with StandIn(chat=lambda body: Reply(400, b'{"error": {"message": "bad request"}}')) as stand_in:
        app = ReviewApp(Desk(local(day_settings, stand_in), DAY), watch=False)

        async def script(pilot):
            await pilot.press("r", "enter")
            await settle(pilot)
            assert "2410.05258:" in text_of(app, "#status") and "400" in text_of(app, "#status")

        drive(app, script)
    assert stored_entry(day_settings, FIRST) == before


# ------------------------------------------------------------------------------------------------ edit
EDITOR = """
import re, sys
path = sys.argv[-1]
text = open(path, encoding="utf-8").read()
open(path, "w", encoding="utf-8").write(re.sub(sys.argv[1], sys.argv[2], text, count=1))
"""


def scripted_editor(tmp_path: Path, old: str, new: str) -> str:
    script = tmp_path / "editor.py"
    script.write_text(EDITOR)
    # click.edit runs `EDITOR "FILE"` through the shell: the regex and its replacement ride before the file
    return f"{sys.executable} {script} '{old}' '{new}'"


def test_e_edits_the_entry_in_the_editor_and_saves_it_through_the_store(day_settings, tmp_path):
    editor = scripted_editor(tmp_path, "## Title\\nDifferential Transformer",
                             "## Title\\nDifferential Transformer (DIFF)")
    settings = day_settings.replace(editor=editor)
    Desk(settings, DAY, clock=clock).toggle_reviewed(FIRST)
    app = ReviewApp(Desk(settings, DAY, clock=clock), watch=False)

    async def script(pilot):
        await pilot.press("e")
        await settle(pilot)
        assert "Edited 2410.05258" in text_of(app, "#status")
        assert "Differential Transformer (DIFF)" in text_of(app, "#header") and status_column(app)[0] == "edited"

    drive(app, script)
    entry = stored_entry(settings, FIRST)
    assert entry["paper"]["title"] == "Differential Transformer (DIFF)" and entry["provenance"]["edited"] is True
    assert "reviewed" not in entry  # what was reviewed changed
    assert "Differential Transformer (DIFF)" in (settings.output_dir / "2024-10-08.md").read_text()
    assert markdown_in_sync(settings)


def test_an_invalid_edit_is_kept_for_the_next_edit_and_said(day_settings, tmp_path):
    settings = day_settings.replace(editor=scripted_editor(tmp_path, "## Questions\\n", "## Questioned\\n"))
    app = ReviewApp(Desk(settings, DAY), watch=False)

    async def script(pilot):
        await pilot.press("e")
        await settle(pilot)
        assert "unknown section '## Questioned'" in text_of(app, "#status")
        assert "nothing was saved, your text is kept in" in text_of(app, "#status")

    drive(app, script, size=(300, 24))
    assert (settings.output_dir / ".recovery" / "2024-10-08-2410.05258.md").exists()
    assert stored_entry(settings, FIRST) == stored_entry(day_settings, FIRST)


# ------------------------------------------------------------------------------------------------ concurrency
def test_a_change_another_process_makes_meanwhile_is_shown_and_kept(day_settings):
    out = str(day_settings.output_dir)
    app = ReviewApp(Desk(day_settings, DAY, clock=clock))  # watching DATE.json

    async def script(pilot):
        await pilot.press("j")
        done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "authoring", "set", "2024-10-08", SECOND,
                                                        "title", "Set from another shell", "--output-dir", out],
                                       capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        for _ in range(40):  # the app looks at DATE.json twice a second
            await pilot.pause(0.05)
            if "Set from another shell" in text_of(app, "#header"):
                break
        assert "Set from another shell" in text_of(app, "#header") and app.selected_id() == SECOND
        await pilot.press("a")  # changes the day as it is on disk, not the copy the app read before
        await settle(pilot)

    drive(app, script)
    entry = stored_entry(day_settings, SECOND)
    assert entry["paper"]["title"] == "Set from another shell" and entry["reviewed"] == "2026-12-05T08:01:02Z"
    assert "Set from another shell" in (day_settings.output_dir / "2024-10-08.md").read_text()
    assert markdown_in_sync(day_settings)


HOLD_THE_LOCK = """
import sys, time
from datetime import date
from authoring.config import Settings
from authoring.store.locks import locked
with locked(Settings(output_dir=sys.argv[1]), date(2024, 10, 8), "set"):
    print("held", flush=True)
    time.sleep(1.5)
"""


def test_a_change_waits_for_another_commands_lock_and_says_so(day_settings):
    app = ReviewApp(Desk(day_settings, DAY, clock=clock), watch=False)

    async def script(pilot):
        holder = subprocess.Popen([sys.executable, "-c", HOLD_THE_LOCK, str(day_settings.output_dir)],
                                  stdout=subprocess.PIPE, text=True)
        assert await asyncio.to_thread(holder.stdout.readline) == "held\n"
        await pilot.press("a")
        for _ in range(40):
            await pilot.pause(0.05)
            if "Waiting for 2024-10-08" in text_of(app, "#status"):
                break
        assert "Waiting for 2024-10-08: `digest set`" in text_of(app, "#status")
        await pilot.press("j")  # the screen answers while the change waits
        assert app.selected_id() == SECOND
        await settle(pilot)
        await asyncio.to_thread(holder.wait)

    drive(app, script, size=(200, 24))
    assert stored_entry(day_settings, FIRST)["reviewed"] == "2026-12-05T08:01:02Z"


def test_a_hand_edited_date_md_is_never_overwritten_by_a_review_change(day_settings):
    path = day_settings.output_dir / "2024-10-08.md"
    path.write_text(path.read_text() + "\nmy note\n")
    app = ReviewApp(Desk(day_settings, DAY), watch=False)

    async def script(pilot):
        await pilot.press("a")
        await settle(pilot)
        assert "was edited by hand since it was last rendered" in text_of(app, "#status")
        assert "DATE.md edited by hand" in text_of(app, "#status")

    drive(app, script, size=(300, 24))
    assert path.read_text().endswith("my note\n") and "reviewed" not in stored_entry(day_settings, FIRST)


def test_keys_that_change_an_entry_wait_while_it_is_regenerated_and_q_asks_once_then(day_settings):
    asked = threading.Event()

    def chat(body):
        asked.set()
        return ok(body, delay=1.0)

    with StandIn(chat=chat) as stand_in:
        app = ReviewApp(Desk(local(day_settings, stand_in), DAY), watch=False)

        async def script(pilot):
            await pilot.press("r", "enter")
            # the model is asked: the run's notices before the call are on screen (on a loaded machine they could
            # otherwise land after the key below and replace what it says)
            assert await asyncio.to_thread(asked.wait, 30)
            await pilot.pause()
            await pilot.press("a")
            assert "2410.05258 is being regenerated; wait for its answer" in text_of(app, "#status")
            await pilot.press("q")
            assert app.is_running and "q again quits now" in text_of(app, "#status")
            await settle(pilot)

        drive(app, script)
    assert "reviewed" not in stored_entry(day_settings, FIRST) and stored_entry(day_settings, FIRST)["summary"][
        "result"] == "R: 42%."


def test_a_day_that_cannot_be_read_is_an_error_before_the_screen_opens(settings):
    from authoring.errors import StoreError
    from authoring.review.app import review

    with pytest.raises(StoreError, match="2024-10-08.json does not exist"):
        review(settings, DAY)


def test_q_quits(day_settings):
    app = ReviewApp(Desk(day_settings, DAY), watch=False)

    async def script(pilot):
        await pilot.press("q")
        await pilot.pause()

    drive(app, script)
    assert app.return_code == 0 and not app.is_running
