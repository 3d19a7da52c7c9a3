"""The authoring workflow through the CLI: regen, add, rm, move, set, edit, undo, render, show, list."""

import json
import os
import sys
from pathlib import Path

import pytest

from tests.conftest import CASSETTES
from tests.helpers import assert_one_line_error, assert_usage_error, run, table_rows
from tools.assemble_cassettes import REGEN_HINT, seed_failed_day, seed_golden_day

DAY = "2024-10-08"


@pytest.fixture
def out(tmp_path) -> Path:
    folder = tmp_path / "output"
    seed_golden_day(folder)
    return folder


def md(out: Path) -> str:
    return (out / f"{DAY}.md").read_text(encoding="utf-8")


def entries(out: Path) -> list[dict]:
    return json.loads((out / f"{DAY}.json").read_text(encoding="utf-8"))["entries"]


def cli(out: Path, *args, **kwargs):
    return run(*args, "--output-dir", str(out), **kwargs)


# ------------------------------------------------------------------------------------------------ regen
def test_regen_changes_exactly_one_row(out):
    before_md, before = md(out), entries(out)
    result = cli(out, "regen", DAY, "2410.05258", "--hint", REGEN_HINT,
                 "--cassette", str(CASSETTES / "test_regen_changes_exactly_one_row.yaml"))
    assert result.exit_code == 0, result.output
    assert "Regenerated 2410.05258" in result.stdout
    old_lines, new_lines = before_md.split("\n"), md(out).split("\n")
    changed = [n for n, (a, b) in enumerate(zip(old_lines, new_lines, strict=True)) if a != b]
    assert len(changed) == 1 and "2410.05258" in new_lines[changed[0]]
    assert "c) For in-context learning on the TREC dataset" in new_lines[changed[0]]
    after = entries(out)
    assert after[1:] == before[1:]
    assert after[0]["summary"]["result"].startswith("For in-context learning")


def test_regen_of_an_entry_edited_by_hand_needs_force(out):
    assert cli(out, "set", DAY, "2410.05258", "title", "Differential Transformer, edited").exit_code == 0
    result = cli(out, "regen", DAY, "2410.05258", "--cassette",
                 str(CASSETTES / "test_regen_changes_exactly_one_row.yaml"))
    assert_one_line_error(result, "2410.05258 edited by hand; pass --force")


def test_regen_all_failed_retries_missing_and_failed_entries(tmp_path):
    out = tmp_path / "output"
    seed_failed_day(out)
    result = cli(out, "regen", DAY, "--all-failed", "--cassette", str(CASSETTES / "test_regen_all_failed.yaml"))
    assert result.exit_code == 1
    assert "Failed: 2410.99999 not found on arXiv" in result.stderr
    first, second = entries(out)
    assert first["summary"] is not None and first["error"] is None
    assert second["error"] == "2410.99999 not found on arXiv"
    assert len(table_rows(md(out))) == 1


def test_regen_with_nothing_failed_is_nothing_to_do_and_without_ids_a_usage_error(out):
    result = cli(out, "regen", DAY, "--all-failed")
    assert result.exit_code == 0 and "Nothing to do: no entry has failed" in result.stdout
    assert_usage_error(cli(out, "regen", DAY), "name entries to regenerate, or pass --all-failed")


def test_regen_of_an_unknown_entry_names_the_day(out):
    assert_one_line_error(cli(out, "regen", DAY, "2410.00001"), "2410.00001 is not in the 2024-10-08 digest")


def test_regen_rejects_unknown_sources(out):
    assert_usage_error(cli(out, "regen", DAY, "2410.05258", "--source", "html"), "'html' is not one of", "'pdf'")


# ------------------------------------------------------------------------------------------------ add, rm, move, undo
def test_rm_then_add_restores_the_day(out):
    golden = md(out)
    assert cli(out, "rm", DAY, "2410.03959").exit_code == 0
    assert "2410.03959" not in md(out) and len(table_rows(md(out))) == 14
    result = cli(out, "add", DAY, "arXiv:2410.03959", "--cassette",
                 str(CASSETTES / "test_add_restores_a_removed_paper.yaml"))
    assert result.exit_code == 0, result.output
    assert md(out) == golden


def test_add_at_a_position(out):
    cli(out, "rm", DAY, "2410.03959")
    result = cli(out, "add", DAY, "2410.03959", "--at", "1", "--cassette",
                 str(CASSETTES / "test_add_restores_a_removed_paper.yaml"))
    assert result.exit_code == 0, result.output
    assert [e["id"] for e in entries(out)][:2] == ["2410.03959", "2410.05258"]


def test_add_skips_papers_already_in_the_day(out):
    before = (out / f"{DAY}.json").read_bytes()
    result = cli(out, "add", DAY, "2410.05258", "https://arxiv.org/abs/2410.02707v1")
    assert result.exit_code == 0 and "Already in the digest, skipped: 2410.05258, 2410.02707v1" in result.stderr
    assert "Nothing to do: every paper is already in the 2024-10-08 digest" in result.stdout
    assert (out / f"{DAY}.json").read_bytes() == before
    assert_one_line_error(cli(out, "add", DAY, "2410.05258x"), "'2410.05258x' is not an arXiv id")


def test_move_and_undo_restore_bytes(out):
    golden_md, golden_json = md(out), (out / f"{DAY}.json").read_bytes()
    assert cli(out, "move", DAY, "2410.03959", "--to", "1").exit_code == 0
    assert [e["id"] for e in entries(out)][0] == "2410.03959"
    assert cli(out, "rm", DAY, "2410.05258", "2410.02707").exit_code == 0
    assert len(entries(out)) == 13
    result = cli(out, "undo", DAY)
    assert result.exit_code == 0 and "Undid `digest rm`" in result.stdout
    assert len(entries(out)) == 15
    assert cli(out, "undo", DAY).exit_code == 0
    assert md(out) == golden_md and (out / f"{DAY}.json").read_bytes() == golden_json
    assert_one_line_error(cli(out, "undo", DAY), "nothing to undo")


def test_move_to_a_bad_position_is_a_usage_error(out):
    before = (out / f"{DAY}.json").read_bytes()
    assert_usage_error(cli(out, "move", DAY, "2410.05258", "--to", "99"), "'--to'", "position 99 is outside 1..15")
    assert_usage_error(cli(out, "move", DAY, "2410.05258", "--to", "0"), "'--to'", "0 is too small; give 1 or more")
    assert (out / f"{DAY}.json").read_bytes() == before


# ------------------------------------------------------------------------------------------------ set
def test_set_changes_one_field_and_marks_the_entry_edited(out):
    result = cli(out, "set", DAY, "2410.05258", "questions", "What does it cost?", "Does it | scale?")
    assert result.exit_code == 0, result.output
    entry = entries(out)[0]
    assert entry["summary"]["questions"] == ["What does it cost?", "Does it | scale?"]
    assert entry["provenance"]["edited"] is True
    row = table_rows(md(out))[0]
    assert row.endswith("Follow-up questions:  1. What does it cost?  2. Does it \\| scale? |")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["questions", "Only one?"], "expected 2 or 3 follow-up questions, got 1"),
        (["title", "A", "B"], 'title takes exactly one value (2 given); quote the text: digest set DATE ID title "'),
        (["objective", "   "], "objective cannot be empty; write the text in one quoted value"),
        (["authors", ""], "authors cannot be empty"),
    ],
)
def test_set_rejects_bad_values_and_changes_nothing(out, args, message):
    before = (out / f"{DAY}.json").read_bytes()
    assert_one_line_error(cli(out, "set", DAY, "2410.05258", *args), message)
    assert (out / f"{DAY}.json").read_bytes() == before


def test_set_rejects_an_unknown_field_as_a_usage_error(out):
    before = (out / f"{DAY}.json").read_bytes()
    assert_usage_error(cli(out, "set", DAY, "2410.05258", "colour", "red"), "'colour' is not one of", "'questions'")
    assert (out / f"{DAY}.json").read_bytes() == before


def test_set_reads_stdin(out):
    result = cli(out, "set", DAY, "2410.05258", "authors", "-", input="Ada Lovelace\nAlan Turing\n")
    assert result.exit_code == 0
    assert entries(out)[0]["paper"]["authors"] == ["Ada Lovelace", "Alan Turing"]


# ------------------------------------------------------------------------------------------------ edit
FAKE_EDITOR = """
import os, re, subprocess, sys
path = sys.argv[1]
if os.environ.get("FAKE_EDITOR_MEANWHILE"):  # another command changes the day while the editor is open
    subprocess.run([sys.executable, "-m", "authoring", *os.environ["FAKE_EDITOR_MEANWHILE"].split("|")], check=True)
if os.environ.get("FAKE_EDITOR_PYTHON"):  # or a person edits a file by hand meanwhile
    exec(os.environ["FAKE_EDITOR_PYTHON"])
text = open(path, encoding="utf-8").read()
with open(os.environ["FAKE_EDITOR_SEEN"], "a", encoding="utf-8") as seen:
    seen.write(text + "\\n=====\\n")
old, new = os.environ["FAKE_EDITOR_FROM"], os.environ["FAKE_EDITOR_TO"]
open(path, "w", encoding="utf-8").write(re.sub(old, new, text, count=1))
"""


@pytest.fixture
def editor(tmp_path, monkeypatch):
    script = tmp_path / "fake_editor.py"
    script.write_text(FAKE_EDITOR)
    seen = tmp_path / "seen.txt"
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("FAKE_EDITOR_SEEN", str(seen))

    def configure(old: str, new: str) -> Path:
        monkeypatch.setenv("FAKE_EDITOR_FROM", old)
        monkeypatch.setenv("FAKE_EDITOR_TO", new)
        return seen

    return configure


def test_edit_applies_a_valid_document(out, editor):
    seen = editor("## Title\nDifferential Transformer", "## Title\nDifferential Transformer (DIFF)")  # regex
    before = md(out)
    result = cli(out, "edit", DAY, "2410.05258")
    assert result.exit_code == 0, result.output
    assert "## Objective\nThis research addresses" in seen.read_text()
    entry = entries(out)[0]
    assert entry["paper"]["title"] == "Differential Transformer (DIFF)" and entry["provenance"]["edited"] is True
    assert entry["paper"]["abstract"].startswith("Transformer tends to overallocate")  # metadata kept
    changed = [a for a, b in zip(before.split("\n"), md(out).split("\n"), strict=True) if a != b]
    assert len(changed) == 1


def test_invalid_edit_loses_nothing_and_the_next_edit_continues_from_it(out, editor):
    editor("## Questions\n", "## Questions\nA question I typed?\n")
    before = (out / f"{DAY}.json").read_bytes()
    result = cli(out, "edit", DAY, "2410.05258")
    assert_one_line_error(result, "section '## Questions'", "expected 2 or 3 follow-up questions, got 4",
                          ".recovery/2024-10-08-2410.05258.md")
    assert (out / f"{DAY}.json").read_bytes() == before
    recovery = out / ".recovery" / "2024-10-08-2410.05258.md"
    assert "A question I typed?" in recovery.read_text()

    seen = editor(r"1\. What is the computational overhead[^\n]*\n", "")
    result = cli(out, "edit", DAY, "2410.05258")
    assert result.exit_code == 0, result.output
    assert "Continuing from your unsaved edit" in result.stderr
    assert "A question I typed?" in seen.read_text().split("=====")[-2]
    assert entries(out)[0]["summary"]["questions"][0] == "A question I typed?"
    assert not recovery.exists()


def test_discard_throws_the_unsaved_edit_away_and_starts_from_the_stored_entry(out, editor):
    editor("## Questions\n", "## Questions\nA question I typed?\n")
    assert cli(out, "edit", DAY, "2410.05258").exit_code == 1
    recovery = out / ".recovery" / "2024-10-08-2410.05258.md"
    assert recovery.exists()
    seen = editor("## Title\nDifferential Transformer", "## Title\nDifferential Transformer (DIFF)")
    result = cli(out, "edit", DAY, "2410.05258", "--discard")
    assert result.exit_code == 0, result.output
    assert "Discarded your unsaved edit of 2410.05258" in result.stderr and "Continuing" not in result.stderr
    assert "A question I typed?" not in seen.read_text() and not recovery.exists()
    assert entries(out)[0]["paper"]["title"] == "Differential Transformer (DIFF)"


def test_an_entry_changed_while_the_editor_was_open_is_not_overwritten(out, editor, monkeypatch):
    editor("## Title\nDifferential Transformer", "## Title\nMy edited title")
    monkeypatch.setenv("FAKE_EDITOR_MEANWHILE", f"set|{DAY}|2410.05258|objective|Set meanwhile.|--output-dir|{out}")
    result = cli(out, "edit", DAY, "2410.05258")
    assert_one_line_error(result, "2410.05258 was changed by another command while you edited it",
                          ".recovery/2024-10-08-2410.05258.md")
    assert entries(out)[0]["summary"]["objective"] == "Set meanwhile."  # the other change stays
    assert "My edited title" in (out / ".recovery" / "2024-10-08-2410.05258.md").read_text()  # yours is kept


def test_typed_text_survives_a_save_that_fails_after_the_editor_closes(out, editor, monkeypatch):
    editor("## Title\nDifferential Transformer", "## Title\nMy typed title")
    path = out / f"{DAY}.md"
    script = f"import pathlib; p = pathlib.Path({str(path)!r}); p.write_text(p.read_text() + 'a hand edit')"
    monkeypatch.setenv("FAKE_EDITOR_MEANWHILE", "")
    monkeypatch.setenv("FAKE_EDITOR_PYTHON", script)
    result = cli(out, "edit", DAY, "2410.05258")
    assert_one_line_error(result, "was edited by hand", "your text is kept in", ".recovery/2024-10-08-2410.05258.md")
    assert "My typed title" in (out / ".recovery" / "2024-10-08-2410.05258.md").read_text()


def test_continuing_an_unsaved_edit_after_the_entry_changed_says_so_and_shows_it(out, editor, monkeypatch):
    editor("## Questions\n", "## Questions\nA question I typed?\n")  # invalid: 4 questions, kept for later
    assert cli(out, "edit", DAY, "2410.05258").exit_code == 1
    assert cli(out, "set", DAY, "2410.05258", "objective", "Changed by a colleague.").exit_code == 0
    seen = editor(r"1\. What is the computational overhead[^\n]*\n", "")
    result = cli(out, "edit", DAY, "2410.05258")
    assert "changed since that edit was typed" in result.stderr
    shown = seen.read_text().split("=====")[-2]
    assert "# Changed by a colleague." in shown  # the entry as it is now, as comments
    assert result.exit_code == 0, result.output


def test_edit_without_changes_saves_nothing(out, editor):
    editor("no such text", "")  # the editor saves the file unchanged
    before = (out / f"{DAY}.json").read_bytes()
    result = cli(out, "edit", DAY, "2410.05258")
    assert result.exit_code == 0 and "No changes" in result.stdout
    assert (out / f"{DAY}.json").read_bytes() == before


# ------------------------------------------------------------------------------------------------ render, show, list
def test_render_is_a_no_op_on_an_untouched_day(out):
    before = md(out)
    result = cli(out, "render", DAY)
    assert result.exit_code == 0 and md(out) == before


def test_render_refuses_to_clobber_a_hand_edited_file(out):
    path = out / f"{DAY}.md"
    path.write_text(md(out).replace("Differential Transformer (Read", "Differential Transformers (Read"))
    edited = path.read_text()
    result = cli(out, "render", DAY)
    assert_one_line_error(result, "was edited by hand since it was last rendered", "digest import")
    assert path.read_text() == edited
    for command in (["rm", DAY, "2410.05258"], ["move", DAY, "2410.05258", "--to", "2"]):
        assert_one_line_error(cli(out, *command), "was edited by hand")
    assert cli(out, "render", DAY, "--force").exit_code == 0
    assert "Differential Transformers" not in md(out)
    assert cli(out, "undo", DAY).exit_code == 0
    assert path.read_text() == edited  # the forced render kept the hand edit in the history


def test_render_all_and_argument_errors(out, tmp_path):
    seed_failed_day(out.parent / "other")
    assert cli(out, "render", "--all").exit_code == 0
    assert_usage_error(cli(out, "render"), "'DATE'", "give a DATE, or --all for every stored day (not both)")
    assert_usage_error(cli(out, "render", DAY, "--all"), "give a DATE, or --all")
    assert_one_line_error(cli(out, "render", "2024-10-09"), "2024-10-09.json does not exist")


def test_show_day_and_entry_with_provenance(out):
    cli(out, "set", DAY, "2410.02707", "title", "Edited title")
    result = cli(out, "show", DAY)
    assert result.exit_code == 0 and "2410.05258" in result.stdout and "edited" in result.stdout
    result = cli(out, "show", DAY, "https://arxiv.org/abs/2410.05258")
    text = result.stdout
    assert "Differential Transformer" in text and "Authors (7)" in text
    assert "model: gpt-5-mini" in text and "prompt templates: " in text and "source: abstract" in text
    assert "edited by hand: no" in text and "generated: 2024-10-08T00:00:00Z" in text


def test_list_days(out, tmp_path):
    empty = run("list", "--output-dir", str(tmp_path / "none"))
    assert "No digests" in empty.stdout
    seed_failed_day(out)  # overwrite the day with a failed one
    (out / "2024-10-09.json").write_text("{broken")
    result = cli(out, "list")
    assert result.exit_code == 0
    assert "2024-10-08" in result.stdout and "unreadable" in result.stdout


def test_an_editor_that_cannot_start_is_a_clear_error(out, monkeypatch):
    monkeypatch.setenv("EDITOR", "/nonexistent/editor")
    monkeypatch.delenv("VISUAL", raising=False)
    before = (out / f"{DAY}.json").read_bytes()
    assert_one_line_error(cli(out, "edit", DAY, "2410.05258"), "cannot run the editor", "set $VISUAL or $EDITOR")
    assert (out / f"{DAY}.json").read_bytes() == before


def test_a_rejected_change_leaves_no_history(out):
    assert_one_line_error(cli(out, "set", DAY, "2410.05258", "questions", "Only one?"), "expected 2 or 3")
    assert_usage_error(cli(out, "move", DAY, "2410.05258", "--to", "99"), "outside 1..15")
    assert not (out / ".history").exists()
    assert_one_line_error(cli(out, "undo", DAY), "nothing to undo")


def test_edit_without_an_editor_or_a_terminal_is_one_line_not_a_hang(out, monkeypatch):
    monkeypatch.delenv("EDITOR", raising=False)
    monkeypatch.delenv("VISUAL", raising=False)
    before = (out / f"{DAY}.json").read_bytes()
    assert_one_line_error(cli(out, "edit", DAY, "2410.05258"), "no editor to open: set $VISUAL or $EDITOR")
    assert (out / f"{DAY}.json").read_bytes() == before


def test_visual_wins_over_editor(out, editor, monkeypatch):
    seen = editor("## Title\nDifferential Transformer", "## Title\nDifferential Transformer (V)")
    monkeypatch.setenv("VISUAL", os.environ["EDITOR"])
    monkeypatch.setenv("EDITOR", "false")  # would fail the edit if it were used
    assert cli(out, "edit", DAY, "2410.05258").exit_code == 0
    assert seen.exists() and entries(out)[0]["paper"]["title"] == "Differential Transformer (V)"
