"""Snapshots of a day before each change (output/.history/DATE/NNNN-command.json and .md) and `undo`."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from . import store
from .errors import StoreError

_SNAPSHOT = re.compile(r"^(\d{4})-([a-z-]+)\.json$")


def history_dir(output_dir: Path, day: date) -> Path:
    return output_dir / ".history" / day.isoformat()


def snapshots(output_dir: Path, day: date) -> list[Path]:
    """The day's snapshots of DATE.json, oldest first."""
    folder = history_dir(output_dir, day)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _SNAPSHOT.match(p.name))


def snapshot(output_dir: Path, day: date, command: str) -> Path | None:
    """Keep the current DATE.json (and DATE.md, if any) before `command` changes them; None if there is no day."""
    current = store.json_path(output_dir, day)
    if not current.exists():
        return None
    existing = snapshots(output_dir, day)
    number = int(_SNAPSHOT.match(existing[-1].name).group(1)) + 1 if existing else 1
    target = history_dir(output_dir, day) / f"{number:04d}-{command}.json"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        store.atomic_write(target, current.read_text(encoding="utf-8"))
        markdown = store.markdown_path(output_dir, day)
        if markdown.exists():
            store.atomic_write(target.with_suffix(".md"), markdown.read_text(encoding="utf-8"))
    except OSError as err:
        raise StoreError(f"cannot keep a copy of {current} in {target.parent}: {err}") from None
    return target


def undo(output_dir: Path, day: date) -> tuple[str, bool]:
    """Restore the day as it was before its last change; returns the command undone and whether DATE.md was
    restored too (a day snapshotted before its first render has no DATE.md copy)."""
    existing = snapshots(output_dir, day)
    if not existing:
        raise StoreError(f"nothing to undo for {day.isoformat()}: {history_dir(output_dir, day)} has no snapshots")
    last = existing[-1]
    store.atomic_write(store.json_path(output_dir, day), last.read_text(encoding="utf-8"))
    markdown = last.with_suffix(".md")
    restored_markdown = markdown.exists()
    if restored_markdown:
        store.atomic_write(store.markdown_path(output_dir, day), markdown.read_text(encoding="utf-8"))
        markdown.unlink()
    last.unlink()
    return _SNAPSHOT.match(last.name).group(2), restored_markdown


def drop_if_unchanged(output_dir: Path, day: date) -> None:
    """A change that changed nothing leaves nothing to undo: drop the latest snapshot if it equals the day now."""
    existing = snapshots(output_dir, day)
    if not existing:
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
