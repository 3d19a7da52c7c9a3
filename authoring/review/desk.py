"""The review desk without its screen: reading a day as the app shows it (entries, their findings and the source
text each was summarised from), noticing when DATE.json changes on disk, and the changes a reviewer makes. Every
change goes through the day store (lock, journal, hand-edit guard, history; DATE.md re-rendered): the desk never
writes the day it has in memory, so a change another command made meanwhile is never lost."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from authoring.checks.findings import Finding
from authoring.config import Settings
from authoring.errors import DigestError
from authoring.models import Digest, Entry
from authoring.runs import checking, pipeline
from authoring.runs.summarising import Clock, RunReport
from authoring.store import days, document, editing, edits
from authoring.store import files as store

Notice = Callable[[str], None]


@dataclass
class DayState:
    """A day as the screen shows it: the entries, each one's findings and source text, and the day's own findings
    (DATE.md missing, stale or edited by hand)."""

    digest: Digest
    findings: dict[str, list[Finding]] = field(default_factory=dict)
    day_findings: list[Finding] = field(default_factory=list)
    sources: dict[str, tuple[str, str] | None] = field(default_factory=dict)
    markdown: str = days.IN_SYNC

    def findings_of(self, entry: Entry) -> list[Finding]:
        return self.findings.get(entry.id, [])

    def needs_attention(self, entry: Entry) -> bool:
        """What the filter keeps: an entry with findings, or not reviewed yet."""
        return bool(self.findings_of(entry)) or not entry.reviewed


class _Relay:
    """A run's progress (runs.summarising.Progress) told to the desk's notice callback: notices and retries."""

    def __init__(self, notice: Notice):
        self._notice = notice

    def notice(self, message: str) -> None:
        self._notice(message)

    def start(self, total: int) -> None:
        pass

    def advance(self, entry: Entry, problem: str | None = None) -> None:
        if problem:
            self._notice(f"{entry.id}: {problem}")

    def retry(self, reason: str) -> None:
        self._notice(f"Retrying {reason}")


class Desk:
    """One day under review. `clock` gives the time of a review mark (and of a run); `source` is what a
    regeneration reads (abstract or pdf; None: what the entry was summarised from)."""

    def __init__(self, settings: Settings, day: date, *, clock: Clock | None = None, source: str | None = None,
                 notice: Notice | None = None):
        self.settings, self.day, self.source = settings, day, source
        self.clock = clock or (lambda: datetime.now(UTC))
        self.notice = notice
        self._earlier = checking.earlier_days_index(settings.output_dir, day.isoformat())  # read once

    # ------------------------------------------------------------------------------------------------ reading
    def read(self) -> DayState:
        """The day as stored now (a run's journal applied in memory: reading never writes), with its findings."""
        digest = days.peek(self.settings, self.day)
        state = DayState(digest, markdown=days.markdown_state(self.settings, self.day, digest))
        for finding in checking.check_day(self.settings, self.day, digest, self._earlier):
            if finding.entry is None:
                state.day_findings.append(finding)
            else:
                state.findings.setdefault(finding.entry, []).append(finding)
        source = checking.stored_source(self.settings.output_dir)
        state.sources = {entry.id: source(entry) for entry in digest.entries}
        return state

    def stamp(self) -> tuple:
        """What changes when another command changes the day: DATE.json's and the journal's identity and size."""
        stamps: list[tuple[int, int, int] | None] = []
        for path in (store.json_path(self.settings.output_dir, self.day),
                     store.journal_path(self.settings.output_dir, self.day)):
            try:
                status = os.stat(path)
                stamps.append((status.st_ino, status.st_mtime_ns, status.st_size))
            except OSError:
                stamps.append(None)
        return tuple(stamps)

    # ------------------------------------------------------------------------------------------------ changes
    def toggle_reviewed(self, entry_id: str) -> bool:
        """Mark the entry reviewed now, or clear its mark, in the day as it is on disk; returns whether it is
        marked now."""
        now = self.clock().astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
        with days.change(self.settings, self.day, "review", notice=self.notice) as digest:
            marked = edits.toggle_reviewed(edits.find(digest, entry_id), now)
        return marked

    def regenerate(self, entry_id: str, hint: str, notice: Notice | None = None) -> RunReport:
        """Ask the model again for one entry, with the reviewer's hint. An entry edited by hand is regenerated all
        the same (the reviewer asked for it on that entry; `undo` brings the edit back), but never over a DATE.md
        edited by hand."""
        digest = days.peek(self.settings, self.day)
        entry = edits.find(digest, entry_id)
        days.guard_markdown(self.settings, self.day, digest, force=False)
        edited = bool(entry.provenance and entry.provenance.edited)
        source = self.source or ("pdf" if entry.provenance and entry.provenance.source == "pdf" else "abstract")
        relay = _Relay(notice or self.notice or (lambda message: None))
        return pipeline.regenerate(self.day, [entry_id], self.settings, clock=self.clock, hint=hint, force=edited,
                                   source=source, progress=relay)

    def edit(self, entry_id: str, run_editor: Callable[[str], str | None]) -> bool:
        """The `digest edit` round trip for one entry: `run_editor(text)` returns the text saved, or None. Returns
        whether the entry changed; an invalid document or a failed save keeps the typed text in output/.recovery/
        (the next edit continues from it) and raises a DigestError saying so."""
        digest = days.peek(self.settings, self.day)
        entry = edits.find(digest, entry_id)
        days.guard_markdown(self.settings, self.day, digest, force=False)
        opened = days.fingerprint(entry)  # the editor holds no lock: other commands may go on meanwhile
        text, notes = editing.starting_text(self.settings, self.day, entry, opened)
        for note in notes:
            if self.notice is not None:
                self.notice(note)
        edited = run_editor(text)
        recovery = store.recovery_path(self.settings.output_dir, self.day, entry.id)
        if edited is None or edited == text and not recovery.exists():
            return False
        try:
            content = document.from_document(edited)
            editing.save(self.settings, self.day, entry.id, opened, content, notice=self.notice)
        except DigestError as problem:  # invalid, changed meanwhile, a hand-edited DATE.md, a busy lock...
            raise editing.keep(self.settings, self.day, entry.id, edited, opened, str(problem)) from None
        return True

    def undo(self) -> list[str]:
        """Undo the day's last change (whoever made it); returns the commands undone."""
        commands, _ = days.undo(self.settings, self.day, notice=self.notice)
        return commands
