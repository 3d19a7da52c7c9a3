"""`digest import FILE...`: many files in one process, one summary line, the files that failed listed."""

import json

from tests.conftest import ROOT
from tests.helpers import assert_one_line_error, assert_usage_error, run

REFERENCE = (ROOT / "tests" / "data" / "reference-2024-10-08.md").read_text(encoding="utf-8")
ROWS = sum(1 for line in REFERENCE.splitlines() if line.startswith("| ") and "(Read more on [arXiv]" in line)


def archive(folder, days):
    folder.mkdir()
    paths = []
    for day in days:
        path = folder / f"{day}.md"
        path.write_text(REFERENCE.replace("2024-10-08", day), encoding="utf-8")
        paths.append(path)
    return paths


def test_many_files_are_imported_in_one_command_with_one_summary_line(tmp_path):
    days = [f"2024-11-{n:02d}" for n in range(1, 8)]
    paths = archive(tmp_path / "archive", days)
    out = tmp_path / "output"
    result = run("import", *map(str, paths), "--output-dir", str(out))
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [f"Imported 7 files ({7 * ROWS} entries) into 7 days in {out}"]
    listed = json.loads(run("list", "--output-dir", str(out), "--json").stdout)["days"]
    assert [d["date"] for d in listed] == days and {d["counts"]["entries"] for d in listed} == {ROWS}


def test_the_files_that_fail_are_listed_and_the_others_imported(tmp_path):
    paths = archive(tmp_path / "archive", ["2024-11-01", "2024-11-02"])
    broken = tmp_path / "archive" / "notes.md"
    broken.write_text("Just some notes.\n")
    again = tmp_path / "again.md"
    again.write_text(paths[0].read_text())
    missing = tmp_path / "missing.md"
    out = tmp_path / "output"
    result = run("import", str(paths[0]), str(broken), str(paths[1]), str(again), str(missing),
                 "--output-dir", str(out))
    assert_one_line_error(result, f"3 of 5 files could not be imported (listed above); imported 2 files "
                                  f"({2 * ROWS} entries) into 2 days in {out}")
    failed = [line for line in result.stderr.splitlines() if line.startswith("Failed: ")]
    assert [line.split(": ")[1] for line in failed] == [str(broken), str(again), str(missing)]
    assert "already exists; pass --force" in failed[1] and "cannot read" in failed[2]
    assert sorted(p.name for p in out.glob("*.json")) == ["2024-11-01.json", "2024-11-02.json"]


def test_date_takes_one_file_only(tmp_path):
    paths = archive(tmp_path / "archive", ["2024-11-01", "2024-11-02"])
    assert_usage_error(run("import", *map(str, paths), "--date", "2024-11-05", "--output-dir", str(tmp_path)),
                       "--date")
