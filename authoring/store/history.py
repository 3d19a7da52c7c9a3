"""Snapshots of a day before each change (output/.history/DATE/NNNN-command.json and .md), restoring the latest
for `undo`, and copies kept aside so nothing is lost: a hand-edited DATE.md that `undo --force` replaces, a run's
summary that lost to a person's change (output/.history/DATE/kept/)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from authoring.errors import StoreError
from authoring.store import files as store

_SNAPSHOT = re.compile(r"^(\d{4})-([a-z-]+)\.json$")


def history_dir(output_dir: Path, day: date) -> Path:
    return output_dir / ".history" / day.isoformat()


def kept_dir(output_dir: Path, day: date) -> Path:
    return history_dir(output_dir, day) / "kept"


def snapshots(output_dir: Path, day: date) -> list[Path]:
    """The day's snapshots of DATE.json, oldest first."""
    folder = history_dir(output_dir, day)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _SNAPSHOT.match(p.name))


def snapshot(output_dir: Path, day: date, command: str) -> Path | None:
    """Keep the current DATE.json (and DATE.md, if any) before `command` changes them; None if there is no day.
    Copies bytes: a file that is not even UTF-8 any more is kept as it is."""
    current = store.json_path(output_dir, day)
    if not current.exists():
        return None
    existing = snapshots(output_dir, day)
    number = int(_parts(existing[-1].name).group(1)) + 1 if existing else 1
    target = history_dir(output_dir, day) / f"{number:04d}-{command}.json"
    try:
        store.atomic_write(target, current.read_bytes())
        markdown = store.markdown_path(output_dir, day)
        if markdown.exists():
            store.atomic_write(target.with_suffix(".md"), markdown.read_bytes())
    except OSError as err:
        raise StoreError(f"cannot keep a copy of {current} in {target.parent}: {err}") from None
    return target


def keep(output_dir: Path, day: date, name: str, data: str | bytes) -> Path:
    """Keep a copy aside (never restored by undo, never overwritten): returns where it went."""
    folder = kept_dir(output_dir, day)
    stem, dot, suffix = name.replace("/", "_").rpartition(".")
    number = 1
    while (folder / f"{stem}-{number}{dot}{suffix}").exists():
        number += 1
    target = folder / f"{stem}-{number}{dot}{suffix}"
    store.atomic_write(target, data)
    return target


def latest(output_dir: Path, day: date) -> tuple[Path, str]:
    """The latest snapshot (its DATE.json copy; the DATE.md copy, if any, sits beside it) and its command."""
    existing = snapshots(output_dir, day)
    if not existing:
        raise StoreError(f"nothing to undo for {day.isoformat()}: {history_dir(output_dir, day)} has no snapshots")
    return existing[-1], _parts(existing[-1].name).group(2)


def command_of(snapshot_path: Path) -> str:
    """The command a snapshot was kept before."""
    return _parts(snapshot_path.name).group(2)


def _parts(name: str) -> re.Match[str]:
    """The number and command of a snapshot's name (one `snapshots` listed)."""
    found = _SNAPSHOT.match(name)
    assert found is not None, f"{name} is not a snapshot's name"
    return found


def forget(snapshot_path: Path) -> None:
    """Drop a snapshot once it has been restored."""
    snapshot_path.with_suffix(".md").unlink(missing_ok=True)
    snapshot_path.unlink(missing_ok=True)


def drop_if_unchanged(output_dir: Path, day: date, snapshot_path: Path | None) -> None:
    """A change that changed nothing leaves nothing to undo: drop `snapshot_path` if it is still the latest
    snapshot and equals the day now (None: no snapshot was taken, nothing to drop)."""
    existing = snapshots(output_dir, day)
    if snapshot_path is None or not existing or existing[-1] != snapshot_path:
        return
    last = existing[-1]
    pairs = [(last, store.json_path(output_dir, day)), (last.with_suffix(".md"), store.markdown_path(output_dir, day))]
    if all(_same(kept, current) for kept, current in pairs):
        for kept, _ in pairs:
            kept.unlink(missing_ok=True)
        for folder in (last.parent, last.parent.parent):  # leave no empty .history folders behind
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()


def _same(kept: Path, current: Path) -> bool:
    if kept.exists() != current.exists():
        return False
    return not kept.exists() or kept.read_bytes() == current.read_bytes()
