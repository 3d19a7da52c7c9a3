"""The `digest edit` round trip, shared by `digest edit` and `digest review` (key e): the document to open (the
entry, or the unsaved text kept in output/.recovery/ with the fingerprint of the entry it was typed over), keeping
typed text that could not be saved, and saving a valid document into the day if its entry did not change
meanwhile. The editor itself is run by the caller (it holds no lock: other commands may go on)."""

from __future__ import annotations

from datetime import date

from authoring.config import Settings
from authoring.errors import DigestError
from authoring.models import Entry, Summary
from authoring.store import days, document, edits
from authoring.store import files as store
from authoring.store.locks import Notice

_BASE = "# digest-base: "  # the entry's fingerprint when the kept text was typed (a comment: ignored when read)


def with_base(text: str, base: str) -> str:
    """The document with the fingerprint of the entry it was opened on, as its first (comment) line."""
    lines = [line for line in text.splitlines() if not line.startswith(_BASE)]
    return "\n".join([f"{_BASE}{base}", *lines]) + "\n"


def starting_text(settings: Settings, day: date, entry: Entry, current: str) -> tuple[str, list[str]]:
    """The document to edit and what to tell the user about it: the entry, or the unsaved text kept earlier; if the
    entry changed since that text was typed, say so and show the entry as it is now below it (as comments), so
    nothing is reverted unseen. `current` is the entry's fingerprint now."""
    recovery = store.recovery_path(settings.output_dir, day, entry.id)
    if not recovery.exists():
        return document.to_document(entry, day.isoformat()), []
    text = recovery.read_text(encoding="utf-8")
    notes = [f"Continuing from your unsaved edit in {recovery} (--discard starts from the stored entry)"]
    base = next((line[len(_BASE):].strip() for line in text.splitlines() if line.startswith(_BASE)), None)
    if base is not None and base != current:
        notes.append(f"Warning: {entry.id} changed since that edit was typed; saving it replaces those changes (the "
                     "entry as it is now is at the end of the document, as comments)")
        now = ["# ---- the entry as it is now ----",
               *(f"# {line}" for line in document.to_document(entry, day.isoformat()).splitlines()
                 if not line.startswith("#"))]
        text = "\n".join([*text.splitlines(), *now]) + "\n"
    return with_base(text, current), notes


def keep(settings: Settings, day: date, entry_id: str, edited: str, opened: str, problem: str) -> DigestError:
    """Typed text is never lost: it goes to the recovery file, and the error returned says how to continue."""
    recovery = store.recovery_path(settings.output_dir, day, entry_id)
    store.atomic_write(recovery, with_base(edited, opened))
    return DigestError(f"{problem}; nothing was saved, your text is kept in {recovery} and "
                       f"`digest edit {day.isoformat()} {entry_id}` continues from it")


def save(settings: Settings, day: date, entry_id: str, opened: str, content: tuple[str, list[str], Summary], *,
         force: bool = False, notice: Notice | None = None) -> None:
    """Apply a valid document (title, authors, summary) to the entry, under the day's lock, if the entry is still
    as it was when the editor opened (fingerprint `opened`); the recovery file goes once it is saved."""
    title, authors, summary = content
    with days.change(settings, day, "edit", force=force, notice=notice) as digest:
        current = digest.entry(entry_id)
        if current is None or days.fingerprint(current) != opened:
            what = "removed" if current is None else "changed by another command"
            raise DigestError(f"{entry_id} was {what} while you edited it")
        edits.replace_content(current, title, authors, summary)
    store.recovery_path(settings.output_dir, day, entry_id).unlink(missing_ok=True)
