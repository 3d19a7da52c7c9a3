import os
from datetime import date

import pytest

from authoring.errors import StoreError
from authoring.models import Digest
from authoring.store import files as store

DAY = date(2024, 10, 8)


def test_round_trip_and_no_temporary_files_left(tmp_path):
    digest = Digest(date="2024-10-08")
    store.atomic_write(store.json_path(tmp_path, DAY), digest.model_dump_json())
    assert store.load_digest(tmp_path, DAY) == digest
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2024-10-08.json"]


def test_failed_write_keeps_the_previous_file_and_says_why(tmp_path, monkeypatch):
    path = store.json_path(tmp_path, DAY)
    path.write_text("previous")

    def broken_replace(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(StoreError, match="cannot write .*2024-10-08.json: No space left on device"):
        store.atomic_write(path, Digest(date="2024-10-08").model_dump_json())
    assert path.read_text() == "previous"
    assert [p.name for p in tmp_path.iterdir()] == ["2024-10-08.json"]


def test_interrupted_write_leaves_the_old_file(tmp_path, monkeypatch):
    path = store.markdown_path(tmp_path, DAY)
    path.write_text("old")

    def interrupted(src, dst):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", interrupted)
    with pytest.raises(KeyboardInterrupt):
        store.atomic_write(path, "new")
    assert path.read_text() == "old" and len(list(tmp_path.iterdir())) == 1


def test_written_files_have_normal_permissions(tmp_path):
    path = store.markdown_path(tmp_path, DAY)
    store.atomic_write(path, "x")
    assert path.stat().st_mode & 0o644 == 0o644


@pytest.mark.parametrize(
    ("content", "message"),
    [("{not json", r"is not a digest file \(invalid JSON: key must be a string at line 1 column 2\)"),
     ('{"schema_version": 99, "date": "2024-10-08"}', "schema version 99"),
     ('{"schema_version": 1, "date": "2024-10-08", "entries": [{"id": 5}, {"id": 6}]}',
      r"is not a digest file \(entries.0.id: Input should be a valid string, and 1 more problem\)")],
)
def test_unreadable_digest_is_a_clear_error_and_untouched(tmp_path, content, message):
    path = store.json_path(tmp_path, DAY)
    path.write_text(content)
    with pytest.raises(StoreError, match=message):
        store.load_digest(tmp_path, DAY)
    assert path.read_text() == content


def test_missing_digest_says_how_to_create_it(tmp_path):
    with pytest.raises(StoreError, match="digest new 2024-10-08"):
        store.load_digest(tmp_path, DAY)


def test_the_journal_reopens_a_file_a_fold_removed_and_skips_a_torn_last_line(tmp_path):
    journal = store.Journal(tmp_path, DAY)
    journal.append({"n": 1})
    assert store.read_journal(tmp_path, DAY) == [{"n": 1}]
    store.remove_journal(tmp_path, DAY)  # another command folded the journal in meanwhile
    journal.append({"n": 2})
    journal.append({"n": 3})
    assert store.read_journal(tmp_path, DAY) == [{"n": 2}, {"n": 3}]  # nothing went to the removed file
    journal.close()
    with open(store.journal_path(tmp_path, DAY), "a") as handle:
        handle.write('{"n": 4, "cut off by a ki')
    assert store.read_journal(tmp_path, DAY) == [{"n": 2}, {"n": 3}]


def test_a_line_separator_inside_a_record_does_not_tear_it(tmp_path):
    record = {"entry": {"summary": {"method": "a\u2028b\u0085c\u2029d"}}}
    journal = store.Journal(tmp_path, DAY)
    journal.append(record)
    journal.close()
    assert store.read_journal(tmp_path, DAY) == [record]


def test_a_journal_write_that_fails_half_way_leaves_no_half_line(tmp_path, monkeypatch):
    """A full disk in the middle of a record: the file is cut back, so the next record is read whole."""
    journal = store.Journal(tmp_path, DAY)
    journal.append({"n": 1})
    real_write = os.write

    def half_then_full(fd, data):
        real_write(fd, bytes(data[: len(data) // 2]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", half_then_full)
    with pytest.raises(StoreError, match="No space left on device"):
        journal.append({"n": 2, "text": "x" * 100})
    monkeypatch.setattr(os, "write", real_write)
    journal.append({"n": 3})
    journal.close()
    journal.close()  # twice, and after a failure: never raises
    assert store.read_journal(tmp_path, DAY) == [{"n": 1}, {"n": 3}]
