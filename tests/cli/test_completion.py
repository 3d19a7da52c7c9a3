"""Completion of values through the shell-completion protocol the installed scripts use (bash: COMP_WORDS and
COMP_CWORD; zsh: _TYPER_COMPLETE_ARGS), and `digest open DATE`."""

import os
import stat

import pytest
from typer.testing import CliRunner

from authoring.cli import app
from tests.helpers import assert_one_line_error, run
from tools.assemble_cassettes import seed_golden_day

DAY = "2024-10-08"


@pytest.fixture
def out(tmp_path):
    folder = tmp_path / "output"
    seed_golden_day(folder)
    (folder / "2024-10-10.json").write_bytes((folder / f"{DAY}.json").read_bytes().replace(
        b'"date": "2024-10-08"', b'"date": "2024-10-10"'))
    return folder


def complete_bash(line: str, env=None) -> list[str]:
    """What bash completion offers for the last word of `line` (a trailing space: a new word)."""
    words = line.split(" ")
    result = CliRunner().invoke(app, [], prog_name="digest", env={
        "_DIGEST_COMPLETE": "complete_bash", "COMP_WORDS": line, "COMP_CWORD": str(len(words) - 1), **(env or {})})
    assert result.exit_code == 0, result.output
    return [line for line in result.stdout.splitlines() if line]


def test_dates_complete_to_the_stored_days_newest_first(out):
    assert complete_bash(f"digest show --output-dir {out} ") == ["2024-10-10", DAY, "today", "yesterday"]
    assert complete_bash(f"digest render --output-dir {out} 2024-10-0") == [DAY]
    assert complete_bash(f"digest regen --output-dir {out} t") == ["today"]


def test_dates_complete_from_the_settings_output_folder(out, tmp_path):
    assert complete_bash("digest undo 2024", env={"DIGEST_OUTPUT_DIR": str(out)}) == ["2024-10-10", DAY]
    assert complete_bash("digest undo 2024", env={"DIGEST_OUTPUT_DIR": str(tmp_path / "none")}) == []


def test_ids_complete_to_the_days_entries_and_nothing_is_written(out):
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    ids = complete_bash(f"digest show --output-dir {out} {DAY} ")
    assert ids[:2] == ["2410.05258", "2410.02707"] and len(ids) == 15
    assert complete_bash(f"digest set --output-dir {out} {DAY} 2410.0525") == ["2410.05258"]
    # rm completes the ids not named yet
    assert "2410.05258" not in complete_bash(f"digest rm --output-dir {out} {DAY} 2410.05258 ")
    assert complete_bash(f"digest show --output-dir {out} 2024-12-31 ") == []  # no such day: nothing
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_set_completes_its_field_names(out):
    assert complete_bash(f"digest set --output-dir {out} {DAY} 2410.05258 ") == [
        "title", "authors", "objective", "method", "result", "implication", "questions"]
    assert complete_bash(f"digest set --output-dir {out} {DAY} 2410.05258 ti") == ["title"]


def test_zsh_completion_shows_titles_beside_ids(out):
    result = CliRunner().invoke(app, [], prog_name="digest", env={
        "_DIGEST_COMPLETE": "complete_zsh", "_TYPER_COMPLETE_ARGS": f"digest edit --output-dir {out} {DAY} 2410.0525"})
    assert '"2410.05258":"Differential Transformer"' in result.stdout


# --- digest open -------------------------------------------------------------------------------------------------

def fake_opener(folder, exit_code=0):
    """An xdg-open that writes the path it was given into `opened` and exits with exit_code."""
    folder.mkdir()
    script = folder / "xdg-open"
    script.write_text(f'#!/bin/sh\nprintf "%s" "$1" > "{folder}/opened"\nexit {exit_code}\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return folder


def test_open_hands_the_days_markdown_to_the_opener(out, tmp_path):
    opener = fake_opener(tmp_path / "bin")
    result = run("open", DAY, "--output-dir", str(out), env={"PATH": f"{opener}{os.pathsep}/usr/bin:/bin"})
    assert result.exit_code == 0, result.output
    assert (opener / "opened").read_text() == str((out / f"{DAY}.md").resolve())
    assert result.stdout.strip() == f"Opened {out / f'{DAY}.md'}"


@pytest.mark.parametrize("opener_exists", [False, True])
def test_open_prints_the_path_when_nothing_can_open_it(out, tmp_path, opener_exists):
    path = str(fake_opener(tmp_path / "bin", exit_code=3)) if opener_exists else str(tmp_path / "empty")
    result = run("open", DAY, "--output-dir", str(out), env={"PATH": path})
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [str(out / f"{DAY}.md")]
    assert "No program to open it with" in result.stderr


def test_open_a_site_page_and_missing_files(out, tmp_path):
    opener = fake_opener(tmp_path / "bin")
    env = {"PATH": f"{opener}{os.pathsep}/usr/bin:/bin"}
    site = tmp_path / "site"
    assert_one_line_error(run("open", DAY, "--site", str(site), env=env), "does not exist; build the site with "
                          f"`digest site --out {site}`")
    assert run("site", "--out", str(site), "--output-dir", str(out)).exit_code == 0
    assert run("open", DAY, "--site", str(site), env=env).exit_code == 0
    assert (opener / "opened").read_text() == str((site / f"{DAY}.html").resolve())
    assert_one_line_error(run("open", "2024-12-31", "--output-dir", str(out)), "2024-12-31.md does not exist")
