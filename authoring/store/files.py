"""Every path under output/, atomic writes (temporary file, fsync, rename; temporaries of a killed writer are
removed later), reads of DATE.json, and the per-day journal that network runs append finished entries to."""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from authoring.errors import StoreError
from authoring.models import SCHEMA_VERSION, Digest

# Read once at import, while nothing else runs: os.umask can only be read by setting it.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def json_path(output_dir: Path, day: date) -> Path:
    return output_dir / f"{day.isoformat()}.json"


def markdown_path(output_dir: Path, day: date) -> Path:
    return output_dir / f"{day.isoformat()}.md"


# Temporary files carry the writer's pid, so a later write can tell a killed writer's leftovers from live ones.
_TEMPORARY = re.compile(r"^\..+\.(\d+)\.[^.]+\.tmp$")


def atomic_write(path: Path, text: str | bytes, *, before_replace: Callable[[], None] | None = None) -> None:
    """Write text to path via a temporary file and a rename: readers see the old file or the new, never half.
    A symlink is followed: the file it points to is replaced, and the link stays. `before_replace` runs once the
    new bytes are on disk, immediately before the rename (to look at the file about to be replaced)."""
    if path.is_symlink():
        path = path.resolve()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp")
    except OSError as err:
        raise StoreError(f"cannot write {path}: {err.strerror or err}") from None
    try:
        data = text.encode("utf-8") if isinstance(text, str) else text
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_UMASK)  # mkstemp makes 0600 files; give the usual permissions
        if before_replace is not None:
            before_replace()
        os.replace(tmp, path)
    except BaseException as err:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(err, OSError):
            raise StoreError(f"cannot write {path}: {err.strerror or err}") from None
        raise


def remove_stale_temporaries(folder: Path) -> list[Path]:
    """Remove temporary files left in folder by writers that no longer run (kill -9, power loss)."""
    removed: list[Path] = []
    try:
        names = [p for p in folder.iterdir() if p.name.endswith(".tmp")]
    except OSError:
        return removed
    for path in names:
        match = _TEMPORARY.match(path.name)
        if match and not _alive(int(match.group(1))):
            path.unlink(missing_ok=True)
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's live process
    return True


def write_if_changed(path: Path, data: str | bytes, *, before_replace: Callable[[], None] | None = None) -> bool:
    """Write `data` atomically unless the file already holds exactly these bytes; returns whether it wrote."""
    data = data.encode("utf-8") if isinstance(data, str) else data
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    atomic_write(path, data, before_replace=before_replace)
    return True


def _first_problem(err: ValidationError) -> str:
    """'invalid JSON at line 1, column 2: ...' or 'entries.0.id: Input should be a valid string', and how many more."""
    first = err.errors()[0]
    where = ".".join(str(part) for part in first.get("loc", ()))
    message = str(first.get("msg", "invalid"))
    if first.get("type") == "json_invalid":
        detail = str((first.get("ctx") or {}).get("error", "")) or message
        text = f"invalid JSON: {detail}"
    else:
        text = f"{where}: {message}" if where else message
    more = err.error_count() - 1
    return " ".join(text.split())[:200] + (f", and {more} more problem{'' if more == 1 else 's'}" if more else "")


def load_digest(output_dir: Path, day: date) -> Digest:
    """Read output/DATE.json; a missing, unreadable or foreign file is a StoreError naming it."""
    return read_digest(json_path(output_dir, day), day)


def read_digest(path: Path, day: date) -> Digest:
    """Read a digest file of `day` (DATE.json, or a copy of it in the history); StoreError naming what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise StoreError(f"{path} does not exist; create it with `digest new {day.isoformat()} ID...`") from None
    except (OSError, UnicodeDecodeError) as err:
        raise StoreError(f"cannot read {path}: {err}") from None
    try:
        digest = Digest.model_validate_json(text)
    except ValidationError as err:
        raise StoreError(f"{path} is not a digest file ({_first_problem(err)}); it was left untouched") from None
    if digest.schema_version != SCHEMA_VERSION:
        raise StoreError(f"{path} has schema version {digest.schema_version}; this digest reads {SCHEMA_VERSION}")
    if digest.date != day.isoformat():  # two days would end up on one page
        raise StoreError(f"{path} holds the day {digest.date}, not {day.isoformat()}; rename the file to its day, "
                         "or fix its `date`")
    return digest


def journal_path(output_dir: Path, day: date) -> Path:
    """Entries finished by network runs, one JSON record a line, not yet folded into DATE.json."""
    return output_dir / ".journal" / f"{day.isoformat()}.jsonl"


def lock_path(output_dir: Path, day: date) -> Path:
    return output_dir / ".locks" / f"{day.isoformat()}.lock"


class Journal:
    """Appends records to a day's journal, each fsynced: O(1) per finished entry, whatever the size of the day.
    The file stays open between records; it is reopened when a fold removed it meanwhile (call under the lock).
    Unbuffered: a write that fails (a full disk) leaves nothing behind to be flushed later, and the file is cut back
    to where that record began, so a half-written line never swallows the next record."""

    def __init__(self, output_dir: Path, day: date):
        self.path = journal_path(output_dir, day)
        self._fd: int | None = None

    def append(self, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")
        try:
            if self._fd is not None and not self._still_there(self._fd):
                self.close()
            if self._fd is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            start = os.lseek(self._fd, 0, os.SEEK_END)
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(self._fd, view):]
                os.fsync(self._fd)
            except OSError:
                with contextlib.suppress(OSError):
                    os.ftruncate(self._fd, start)
                raise
        except OSError as err:
            raise StoreError(f"cannot write {self.path}: {err.strerror or err}") from None

    def _still_there(self, fd: int) -> bool:
        try:
            return os.stat(self.path).st_ino == os.fstat(fd).st_ino
        except OSError:
            return False

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None


def read_journal(output_dir: Path, day: date) -> list[dict]:
    """The journal's complete records; a line torn by a kill mid-append (the last one) is skipped."""
    path = journal_path(output_dir, day)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    except OSError as err:
        raise StoreError(f"cannot read {path}: {err.strerror or err}") from None
    records = []
    for line in text.split("\n"):  # not splitlines(): U+2028 or U+0085 inside a summary do not end a record
        try:
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def remove_journal(output_dir: Path, day: date) -> None:
    journal_path(output_dir, day).unlink(missing_ok=True)


def recovery_path(output_dir: Path, day: date, arxiv_id: str) -> Path:
    """Where `digest edit` keeps a document that did not validate, so no typed text is lost."""
    return output_dir / ".recovery" / f"{day.isoformat()}-{arxiv_id.replace('/', '_')}.md"


def stored_days(output_dir: Path) -> list[date]:
    """The days with a DATE.json in output_dir, oldest first."""
    found = []
    for path in output_dir.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9].json"):
        try:
            found.append(date.fromisoformat(path.stem))
        except ValueError:
            continue
    return sorted(found)


def source_path(output_dir: Path, arxiv_id: str, version: int | None) -> Path:
    """The full text a summary was made from (--source pdf), kept so `digest check` can ground its figures."""
    name = arxiv_id.replace("/", "_") + (f"v{version}" if version else "")
    return output_dir / ".sources" / f"{name}.txt"
