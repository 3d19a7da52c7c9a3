"""The per-day lock: an OS lock (filelock; a killed holder releases it) in output/.locks/, held by every command
that changes a day. A second command waits with a notice naming the holder, up to `lock_timeout`, then fails in one
line. Taking the lock also removes what a killed writer left (its temporary files)."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from authoring.config import Settings
from authoring.errors import StoreError
from authoring.store import files as store
from authoring.store import history

Notice = Callable[[str], None]


@contextmanager
def locked(
    settings: Settings, day: date, command: str, notice: Notice | None = None, *, tidy: bool = True, lock=None
) -> Iterator[None]:
    """Hold the day's lock (an OS lock: a killed holder releases it). A second command waits with a notice, up to
    `lock_timeout` seconds, then fails naming the command that holds it. Re-entrant within a process. With `tidy`
    (all but a run's per-entry checkpoints, which hold it for a moment), the holder is noted for whoever waits and
    temporary files a killed writer left are removed once the lock is held. `lock`: the day's FileLock, when the
    caller keeps one for many short holds."""
    from filelock import Timeout

    path = store.lock_path(settings.output_dir, day)
    holder = path.with_suffix(".holder")
    try:
        if tidy:
            path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise StoreError(f"cannot lock {day.isoformat()} in {path.parent}: {err.strerror or err}") from None
    lock = lock or file_lock(settings, day)
    try:
        try:
            lock.acquire(timeout=0)
        except Timeout:  # (a TimeoutError, so before OSError)
            who = _holder(holder)
            if notice is not None:
                notice(f"Waiting for {day.isoformat()}: {who} is changing it (up to {settings.lock_timeout:g} s)")
            lock.acquire(timeout=settings.lock_timeout)
    except Timeout:
        raise StoreError(
            f"{day.isoformat()} is locked by {_holder(holder)}, still busy after {settings.lock_timeout:g} s; "
            "try again when it has finished (lock_timeout sets the wait)"
        ) from None
    except OSError as err:  # a read-only or foreign output folder
        raise StoreError(f"cannot lock {day.isoformat()} in {path.parent}: {err.strerror or err}") from None
    try:
        if lock.lock_counter == 1:  # whoever waits is told who holds the lock now, not who held it last
            stamp = time.strftime("%H:%M:%S")
            try:
                holder.write_text(f"`digest {command}` (pid {os.getpid()}, since {stamp})", encoding="utf-8")
            except OSError:
                pass  # only a courtesy to whoever waits
        if lock.lock_counter == 1 and tidy:
            for folder in (settings.output_dir, history.history_dir(settings.output_dir, day),
                           history.kept_dir(settings.output_dir, day)):
                store.remove_stale_temporaries(folder)  # what a killed writer left
        yield
    finally:
        lock.release()


def file_lock(settings: Settings, day: date):
    """The day's lock object (one per lock file in a process: filelock keeps them as singletons)."""
    from filelock import FileLock

    return FileLock(store.lock_path(settings.output_dir, day), is_singleton=True, preserve_lock_file=True)


def _holder(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip() or "another digest command"
    except OSError:
        return "another digest command"
