"""The one owner of every write to a day: its lock, loading (folding a journal a run left), the hand-edit guard,
history snapshots, saving DATE.json then DATE.md, and network runs' checkpoints (journal records applied only to
the entries a run owns; a person's change made meanwhile wins). Commands ask this module for a change; they never
write DATE.json or DATE.md themselves. Edits of a Digest in memory live in `edits`."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from authoring.config import Settings
from authoring.errors import StoreError
from authoring.markdown.render import render_markdown, row_hashes
from authoring.models import Digest, Entry
from authoring.store import files as store
from authoring.store import history
from authoring.store.locks import Notice, file_lock, locked
from authoring.templating import markdown_templates_hash

IN_SYNC, STALE, EDITED, MISSING = "in sync", "stale", "edited by hand", "missing"
_RENDER_FIELDS = {"rendered_sha256", "rendered_from", "previous_rendered_sha256", "rendered_rows"}
# What DATE.md does not show: bookkeeping a change of it never makes DATE.md stale.
_NOT_RENDERED = _RENDER_FIELDS | {"deliveries"}


def sha256(text: str | bytes) -> str:
    return hashlib.sha256(text.encode("utf-8") if isinstance(text, str) else text).hexdigest()


def fingerprint(entry: Entry) -> str:
    """What an entry is now: a run applies its result only to an entry still as the run found it."""
    return sha256(entry.model_dump_json())[:24]


def content_hash(digest: Digest, settings: Settings) -> str:
    """What DATE.md is rendered from: the entries and the render settings (not the render bookkeeping), so a day
    rendered with other settings reads as stale, not as edited by hand; and the markdown templates when a templates
    folder replaces the packaged ones (a new template makes days stale). The defaults (arXiv authors, the packaged
    templates) add nothing: days rendered before those settings existed keep their hash and stay in sync."""
    style = "" if settings.authors_style == "arxiv" else f"authors={settings.authors_style}\0"
    templates = markdown_templates_hash(settings.templates_dir)
    settings_part = f"{settings.max_authors}\0{style}" + (f"templates {templates}\0" if templates else "")
    return sha256(settings_part + digest.model_dump_json(exclude=_NOT_RENDERED))[:24]


def markdown_for(digest: Digest, settings: Settings) -> str:
    """DATE.md as the settings render it (max_authors, authors style, the templates in use)."""
    return render_markdown(digest, max_authors=settings.max_authors, authors_style=settings.authors_style,
                           templates_dir=settings.templates_dir)


# ------------------------------------------------------------------------------------------- reading and states
def load(settings: Settings, day: date, *, notice: Notice | None = None) -> Digest:
    """Read a day. A journal left by a run (finished, killed, or still going) is folded in first, under the lock."""
    if store.journal_path(settings.output_dir, day).exists():
        try:
            with locked(settings, day, "resume-fold", notice):
                digest = store.load_digest(settings.output_dir, day)
                kept = _fold(settings, day, digest, notice=notice)
        except StoreError as problem:
            digest = store.load_digest(settings.output_dir, day)
            if apply_journal(digest, store.read_journal(settings.output_dir, day)).changed and notice is not None:
                notice(f"Warning: a run's finished entries could not be saved into the day ({problem}); they are "
                       "shown, not saved")
            return digest
        if notice is not None:
            for entry_id, where in kept.items():
                notice(f"{entry_id} was changed by hand while a run summarised it; the run's summary is in {where}")
        return digest
    return store.load_digest(settings.output_dir, day)


def peek(settings: Settings, day: date) -> Digest:
    """Read a day without writing anything: a journal left by a run is applied in memory only (for `check`)."""
    digest = store.load_digest(settings.output_dir, day)
    apply_journal(digest, store.read_journal(settings.output_dir, day))
    return digest


def render_of(settings: Settings, day: date, digest: Digest, rows: dict[str, str]) -> dict[str, str] | None:
    """The render a markdown file with these row hashes came from: DATE.md as last rendered, or an earlier render
    noted by a DATE.json kept in the history (not its DATE.md copy: that may be a hand edit), whichever shares the
    most rows with it (the latest on a tie). Its row hashes, in order."""
    candidates = [digest.rendered_rows] if digest.rendered_rows is not None else []
    for snapshot in reversed(history.snapshots(settings.output_dir, day)):
        try:
            rows = json.loads(snapshot.read_bytes()).get("rendered_rows")
        except (OSError, ValueError, AttributeError):
            continue
        if isinstance(rows, dict):
            candidates.append(rows)
    if not candidates:
        return None
    return max(candidates, key=lambda base: sum(1 for i, row in rows.items() if base.get(i) == row))


def markdown_state(settings: Settings, day: date, digest: Digest) -> str:
    """in sync; stale (DATE.json changed since DATE.md was rendered); edited by hand; or missing."""
    path = store.markdown_path(settings.output_dir, day)
    try:
        on_disk = sha256(path.read_bytes())
    except FileNotFoundError:
        return MISSING
    if on_disk == digest.rendered_sha256 and digest.rendered_from is not None:
        return IN_SYNC if digest.rendered_from == content_hash(digest, settings) else STALE
    if on_disk == digest.previous_rendered_sha256:
        return STALE  # the DATE.json write landed, the DATE.md write did not (a crash between the two)
    if on_disk == sha256(markdown_for(digest, settings)):
        return IN_SYNC  # identical anyway (or written before DATE.json noted what it was rendered from)
    if on_disk == digest.rendered_sha256:
        return STALE
    return EDITED


def guard_markdown(settings: Settings, day: date, digest: Digest, *, force: bool) -> None:
    """Refuse to overwrite a DATE.md that digest did not render (edited by hand, or written with no DATE.json beside
    it) unless forced; `write` keeps a forced-over file in the history."""
    if not force and markdown_state(settings, day, digest) == EDITED:
        path = store.markdown_path(settings.output_dir, day)
        if not store.json_path(settings.output_dir, day).exists():
            raise StoreError(f"{path} exists and digest did not write it (there is no DATE.json beside it); pass "
                             f"--force to replace it (it is kept in {history.kept_dir(settings.output_dir, day)} "
                             "first)")
        raise StoreError(
            f"{path} was edited by hand since it was last rendered; take the edits in with "
            f"`digest import {path} --force`, or pass --force to overwrite them"
        )


# ---------------------------------------------------------------------------------------------------- writing
def write(settings: Settings, day: date, digest: Digest, *, render: bool = True, force: bool = False,
          command: str = "render", notice: Notice | None = None) -> tuple[Path, Path]:
    """Save DATE.json, then DATE.md rendered from it (unless render is False). DATE.json first, noting the
    DATE.md it replaces: a crash between the two writes leaves a DATE.md that reads as stale, never as edited by
    hand. A file whose bytes would not change is not written at all. A DATE.md digest did not render is replaced
    only with `force`, and kept in the history first; one saved while this write ran is kept there too."""
    json_file = store.json_path(settings.output_dir, day)
    markdown_file = store.markdown_path(settings.output_dir, day)
    markdown = None
    if render:
        guard_markdown(settings, day, digest, force=force)
        seen = _sha_of(markdown_file)
        state = markdown_state(settings, day, digest)
        markdown = markdown_for(digest, settings)
        new_sha = sha256(markdown)
        if state == EDITED and seen != new_sha:
            _keep_unless_held(settings.output_dir, day, f"edited-before-{command}.md", markdown_file.read_bytes())
        if state in (IN_SYNC, STALE) and seen != new_sha:
            digest.previous_rendered_sha256 = seen
        elif state in (EDITED, MISSING):
            digest.previous_rendered_sha256 = None
        digest.rendered_sha256, digest.rendered_from = new_sha, content_hash(digest, settings)
        digest.rendered_rows = row_hashes(markdown)
    store.write_if_changed(json_file, digest.model_dump_json(indent=2) + "\n")
    if markdown is not None:
        store.write_if_changed(markdown_file, markdown,
                               before_replace=_keeping_what_was_saved_since(settings, day, seen, command, notice))
    return json_file, markdown_file


def _keeping_what_was_saved_since(settings: Settings, day: date, seen: str | None, command: str,
                                  notice: Notice | None) -> Callable[[], None]:
    """Run just before DATE.md is replaced: a file saved by hand since it was seen (with hash `seen`; an editor
    holds no lock) is kept in the history, so the rename loses nothing."""
    path = store.markdown_path(settings.output_dir, day)

    def check() -> None:
        try:
            found = path.read_bytes()
        except FileNotFoundError:
            return
        if sha256(found) != seen:
            kept = history.keep(settings.output_dir, day, f"edited-during-{command}.md", found)
            if notice is not None:
                notice(f"Warning: {path} was saved by hand while `digest {command}` wrote the day; your file is "
                       f"kept in {kept} (`digest import {kept} --date {day.isoformat()} --force` takes it in)")

    return check


def _keep_unless_held(output_dir: Path, day: date, name: str, data: bytes) -> None:
    """Keep a DATE.md about to be replaced in the history, unless the latest snapshot holds these bytes already."""
    existing = history.snapshots(output_dir, day)
    held = existing[-1].with_suffix(".md") if existing else None
    if held is None or not held.exists() or held.read_bytes() != data:
        history.keep(output_dir, day, name, data)


def _sha_of(path: Path) -> str | None:
    try:
        return sha256(path.read_bytes())
    except FileNotFoundError:
        return None


def commit(settings: Settings, day: date, digest: Digest, command: str, *, force: bool = False,
           notice: Notice | None = None) -> tuple[Path, Path]:
    """Keep the day as it is on disk for `digest undo`, then save the changed digest (call under the lock)."""
    kept = history.snapshot(settings.output_dir, day, command)
    try:
        return write(settings, day, digest, force=force, command=command, notice=notice)
    finally:
        history.drop_if_unchanged(settings.output_dir, day, kept)


@contextmanager
def change(
    settings: Settings, day: date, command: str, *, force: bool = False, notice: Notice | None = None
) -> Iterator[Digest]:
    """Change a day: under its lock, read it fresh, refuse over a hand-edited DATE.md (unless forced), hand it
    over, then snapshot and save it. Nothing is written if the body raises."""
    with locked(settings, day, command, notice):
        digest = load(settings, day, notice=notice)
        guard_markdown(settings, day, digest, force=force)
        yield digest
        commit(settings, day, digest, command, force=force, notice=notice)


def undo(
    settings: Settings, day: date, *, force: bool = False, notice: Notice | None = None
) -> tuple[list[str], Path | None]:
    """Restore the day as it was before its last change; returns the commands undone (newest first: more than one
    when the day before a change is unreadable and undo steps past it) and, with force over a hand-edited DATE.md,
    where that file was kept. An unreadable day is never restored: it is kept aside, and undo goes one further."""
    with locked(settings, day, "undo", notice):
        current = load(settings, day, notice=notice)
        state = markdown_state(settings, day, current)
        kept = None
        if state == EDITED:
            path = store.markdown_path(settings.output_dir, day)
            if not force:
                raise StoreError(
                    f"{path} was edited by hand since it was last rendered and undo would replace it; take the "
                    f"edits in with `digest import {path} --force`, or `digest undo {day.isoformat()} --force` "
                    f"(keeps the edited file in {history.kept_dir(settings.output_dir, day)})"
                )
            kept = history.keep(settings.output_dir, day, "edited-before-undo.md", path.read_bytes())
        seen = _sha_of(store.markdown_path(settings.output_dir, day))
        existing = history.snapshots(settings.output_dir, day)
        on_disk = store.json_path(settings.output_dir, day).read_bytes()
        while existing and existing[-1].read_bytes() == on_disk:  # a command killed after keeping the day, before
            history.forget(existing.pop())  # changing it
        history.latest(settings.output_dir, day)  # nothing (left) to undo is an error
        unreadable = _unreadable_tail(existing, day)
        if not existing:
            first, problem = unreadable[0]
            raise StoreError(f"the day before `digest {history.command_of(first)}` cannot be restored ({problem}) "
                             f"and no earlier day is kept; nothing was changed ({first} holds it as it was)")
        snapshot = existing[-1]
        commands = [*(history.command_of(path) for path, _ in unreadable), history.command_of(snapshot)]
        markdown_copy = snapshot.with_suffix(".md")
        # DATE.md first, then DATE.json, both byte for byte. The current DATE.json is first told that the DATE.md
        # about to come back replaces its own (previous_rendered_sha256), so a crash in between reads as stale, not
        # as a hand edit, however many renders the change being undone made.
        if markdown_copy.exists():
            restored = markdown_copy.read_bytes()
            if current.previous_rendered_sha256 != sha256(restored):
                current.previous_rendered_sha256 = sha256(restored)
                store.atomic_write(store.json_path(settings.output_dir, day), current.model_dump_json(indent=2) + "\n")
            store.atomic_write(store.markdown_path(settings.output_dir, day), restored,
                               before_replace=_keeping_what_was_saved_since(settings, day, seen, "undo", notice))
        store.atomic_write(store.json_path(settings.output_dir, day), snapshot.read_bytes())
        if not markdown_copy.exists():  # snapshotted before its first render
            try:
                restored_day = store.load_digest(settings.output_dir, day)
                restored_day.previous_rendered_sha256 = _sha_of(store.markdown_path(settings.output_dir, day))
                write(settings, day, restored_day, command="undo", notice=notice)  # the DATE.md undone reads as stale
            except StoreError:
                pass  # an unreadable day goes back as it was; `digest list` reports it
        history.forget(snapshot)
        for path, problem in unreadable:  # kept aside, never restored over a readable day
            aside = history.keep(settings.output_dir, day, f"unreadable-{path.name}", path.read_bytes())
            if (markdown := path.with_suffix(".md")).exists():
                history.keep(settings.output_dir, day, f"unreadable-{markdown.name}", markdown.read_bytes())
            history.forget(path)
            if notice is not None:
                notice(f"Warning: the day before `digest {history.command_of(path)}` cannot be restored ({problem}); "
                       f"it is kept in {aside}, and undo went back one change further")
    return commands, kept


def _unreadable_tail(existing: list[Path], day: date) -> list[tuple[Path, str]]:
    """Pop the newest snapshots that cannot be read as the day (corrupt, foreign, another date) off `existing`."""
    unreadable = []
    while existing:
        try:
            store.read_digest(existing[-1], day)
            break
        except StoreError as problem:
            unreadable.append((existing.pop(), str(problem)))
    return unreadable


def render_day(
    settings: Settings, day: date, *, force: bool = False, notice: Notice | None = None
) -> tuple[Digest, bool]:
    """Re-render DATE.md from DATE.json; returns the day and whether any file changed (none when up to date).
    A day that is up to date is only read: no lock is taken, so not even the lock's holder note is written."""
    if not store.journal_path(settings.output_dir, day).exists():
        digest = store.load_digest(settings.output_dir, day)  # an unreadable day is an error either way
        if _rendered_already(settings, day, digest):
            return digest, False
    with locked(settings, day, "render", notice):
        digest = load(settings, day, notice=notice)
        if _rendered_already(settings, day, digest):
            return digest, False
        if markdown_state(settings, day, digest) == IN_SYNC:
            write(settings, day, digest, notice=notice)  # DATE.md is right; DATE.json learns what it was rendered from
            return digest, True
        commit(settings, day, digest, "render", force=force, notice=notice)  # refuses over a hand edit unless forced
        return digest, True


def _rendered_already(settings: Settings, day: date, digest: Digest) -> bool:
    """DATE.md is what DATE.json was last rendered to, from the content it holds now: nothing to write."""
    return (markdown_state(settings, day, digest) == IN_SYNC
            and digest.rendered_sha256 == _sha_of(store.markdown_path(settings.output_dir, day))
            and digest.rendered_from == content_hash(digest, settings))


def note(settings: Settings, day: date, command: str, change: Callable[[Digest], None], *,
         notice: Notice | None = None) -> Digest:
    """Record bookkeeping DATE.md does not show (a delivery): under the lock, read the day fresh, apply `change`,
    save DATE.json alone. DATE.md is not rendered, so a hand edit of it is neither refused nor touched."""
    with locked(settings, day, command, notice):
        digest = load(settings, day, notice=notice)
        change(digest)
        write(settings, day, digest, render=False, command=command, notice=notice)
    return digest


# ------------------------------------------------------------------------------------ network runs: checkpoints
@dataclass
class RunOutcome:
    """A run's end: the day as folded, entries a person changed or removed meanwhile (id -> where the run's
    result was kept), and whether DATE.md was left alone because it was edited by hand."""

    digest: Digest
    conflicts: dict[str, str] = field(default_factory=dict)
    markdown_edited: bool = False


class Checkpoints:
    """A network run's hold on a day. The run does not keep the lock while it waits for the model: each finished
    entry is appended to the day's journal under the lock (O(1) however large the day), and the journal is folded
    into DATE.json and DATE.md when the run ends, or by the next command that reads the day after a kill."""

    def __init__(self, settings: Settings, day: date, command: str, *, force: bool = False,
                 notice: Notice | None = None):
        self.settings, self.day, self.command, self.force, self.notice = settings, day, command, force, notice
        self.owned: dict[str, str] = {}  # entry id -> fingerprint of the entry as the run found it
        self.recorded: dict[str, str] = {}  # entry id -> fingerprint of the result it recorded
        self.snapshot: Path | None = None  # the day before this run, kept for undo
        self.replaced = False  # `new --force` replaced a day that was there
        self._lock = None  # the day's FileLock, kept for the per-entry checkpoints
        self.run = uuid.uuid4().hex[:12]  # names this run's records, so the conflict files kept for it are its own
        self._journal = store.Journal(settings.output_dir, day)

    def begin(self, prepare: Callable[[Digest | None], tuple[Digest, Sequence[Entry]]], *,
              replace: bool = False, replaceable: Callable[[Digest], bool] | None = None) -> Digest:
        """Under the lock: read the day fresh (None when there is none, or when `replace`: `new --force` replaces
        whatever is there, readable or not; or when the day read is `replaceable`, decided under the lock), let
        `prepare` return the day to write and the entries this run owns, keep the old day for undo, and write the
        new one."""
        with locked(self.settings, self.day, self.command, self.notice):
            exists = store.json_path(self.settings.output_dir, self.day).exists()
            current = replaced = None
            if exists and replace:
                self.replaced = True
                try:  # a journal the old day left is folded into it before it is kept for undo
                    replaced = load(self.settings, self.day, notice=self.notice)
                except StoreError:
                    pass
            elif exists:
                current = load(self.settings, self.day, notice=self.notice)
                if replaceable is not None and replaceable(current):
                    self.replaced, replaced, current = True, current, None
            if current is not None:
                guard_markdown(self.settings, self.day, current, force=self.force)
            digest, owned = prepare(current)
            if replaced is not None:  # the DATE.md on disk is the replaced day's: `write` must know it as ours
                digest.rendered_sha256, digest.rendered_from = replaced.rendered_sha256, replaced.rendered_from
                digest.previous_rendered_sha256 = replaced.previous_rendered_sha256
            self.snapshot = history.snapshot(self.settings.output_dir, self.day, self.command)
            write(self.settings, self.day, digest, force=self.force, command=self.command, notice=self.notice)
            history.drop_if_unchanged(self.settings.output_dir, self.day, self.snapshot)
        self.owned = {entry.id: fingerprint(entry) for entry in owned}
        return digest

    def record(self, entry: Entry) -> None:
        """Checkpoint one finished entry (nothing if the run left it as it was)."""
        result = fingerprint(entry)
        if result == self.owned.get(entry.id):
            return
        record = {"command": self.command, "run": self.run, "base": self.owned.get(entry.id),
                  "entry": entry.model_dump(mode="json")}
        self._lock = self._lock or file_lock(self.settings, self.day)
        with locked(self.settings, self.day, self.command, self.notice, tidy=False, lock=self._lock):
            self._journal.append(record)  # begin() tidied already
        self.recorded[entry.id] = result

    def finish(self) -> RunOutcome:
        """Fold the journal into the day and render it; report what a person changed meanwhile."""
        self._journal.close()
        with locked(self.settings, self.day, self.command, self.notice):
            digest = store.load_digest(self.settings.output_dir, self.day)
            _fold(self.settings, self.day, digest, force=self.force, notice=self.notice)
            edited = markdown_state(self.settings, self.day, digest) == EDITED
            # a run that ends where it began (new --force giving the same day) leaves nothing to undo
            history.drop_if_unchanged(self.settings.output_dir, self.day, self.snapshot)
        # A result lost only if whoever folded it (this run, or another command that read the day meanwhile) found
        # its entry changed and kept it aside, under this run's name; a change made after the result landed is a
        # later change, not a loss.
        conflicts = {}
        for entry_id, result in self.recorded.items():
            path = conflict_path(self.settings.output_dir, self.day, entry_id, result, self.run)
            if path.exists():
                conflicts[entry_id] = str(path)
        return RunOutcome(digest, conflicts, edited)


def conflict_path(output_dir: Path, day: date, entry_id: str, result: str, run: str = "") -> Path:
    """Where a run's result is kept when a person changed or removed its entry meanwhile (`run`: the run that made
    it, as its journal records name it)."""
    suffix = f"-{run}" if run else ""
    return history.kept_dir(output_dir, day) / f"conflict-{entry_id.replace('/', '_')}-{result[:12]}{suffix}.json"


@dataclass
class _Applied:
    """What applying journal records to a day did: whether it changed, which results lost to a person's change
    (id -> the run's entry), whether a summary was replaced (worth a history snapshot), and by which command."""

    changed: bool = False
    lost: dict[str, tuple[Entry, str]] = field(default_factory=dict)  # id -> (the run's entry, the run's name)
    replaced: bool = False
    command: str = "resume"


def apply_journal(digest: Digest, records: list[dict]) -> _Applied:
    """Apply journal records to digest in place: a result replaces its entry only if the entry is still as the run
    found it (its `base` fingerprint). Idempotent: a record already applied is skipped, so a crash between saving
    the day and removing the journal applies nothing twice."""
    applied = _Applied()
    position = {entry.id: n for n, entry in enumerate(digest.entries)}
    for record in records:
        try:
            result = Entry.model_validate(record["entry"])
        except (KeyError, ValueError):
            continue
        result_print = fingerprint(result)
        where = position.get(result.id)
        current = digest.entries[where] if where is not None else None
        if current is not None and fingerprint(current) == result_print:
            continue  # applied already
        if current is None or fingerprint(current) != record.get("base"):
            applied.lost[result.id] = (result, str(record.get("run") or ""))
            continue
        assert where is not None  # current is digest.entries[where]
        applied.replaced = applied.replaced or current.has_summary
        applied.command = str(record.get("command") or applied.command)
        digest.entries[where] = result
        applied.changed = True
    return applied


def _fold(settings: Settings, day: date, digest: Digest, *, force: bool = False,
          notice: Notice | None = None) -> dict[str, str]:
    """Apply the journal to digest (in place) and save it; returns the entries whose result lost to a person's
    change (id -> where it was kept). A fold that replaces summaries keeps the day as it was for `undo` first;
    filling pending entries keeps nothing (nothing is lost)."""
    records = store.read_journal(settings.output_dir, day)
    applied = apply_journal(digest, records)
    kept: dict[str, str] = {}
    for entry_id, (result, run) in applied.lost.items():
        path = conflict_path(settings.output_dir, day, entry_id, fingerprint(result), run)
        if not path.exists():
            store.atomic_write(path, result.model_dump_json(indent=2) + "\n")
        kept[entry_id] = str(path)
    if applied.changed or markdown_state(settings, day, digest) == STALE:
        render = force or markdown_state(settings, day, digest) != EDITED
        snapshot = history.snapshot(settings.output_dir, day, applied.command) if applied.replaced else None
        write(settings, day, digest, render=render, force=force, command=applied.command, notice=notice)
        history.drop_if_unchanged(settings.output_dir, day, snapshot)
    store.remove_journal(settings.output_dir, day)
    return kept
