"""The commands that change or show a stored day without the network: edit, set, rm, move, undo, render,
import, show, list."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from authoring.cli.completion import day_ids
from authoring.cli.options import (
    AsJson,
    Authors,
    Day,
    FieldName,
    OneId,
    OptionalDay,
    OutputDir,
    OverEdits,
    Templates,
    parse_day,
    style,
)
from authoring.cli.session import load_settings, out, read_text_file, say, warn
from authoring.errors import DigestError, StoreError
from authoring.text import count

if TYPE_CHECKING:
    from authoring.models import Digest

commands = typer.Typer()


@commands.command()
def edit(
    day: Day,
    arxiv_id: OneId,
    output_dir: OutputDir = None,
    force: OverEdits = False,
    discard: Annotated[bool, typer.Option("--discard", help="Throw away your unsaved edit of this entry (kept in "
                                          "output/.recovery/) and start from the entry as stored.")] = False,
) -> None:
    """Edit one entry in $VISUAL or $EDITOR as a readable document; it is validated on save.

    An invalid document reopens (on a terminal) or is kept in output/.recovery/, and the next `digest edit` of
    that entry starts from it (--discard starts afresh). Example: digest edit 2024-10-08 2410.05258
    """
    import click

    from authoring.store import days, document, editing, edits
    from authoring.store import files as store

    settings = load_settings(output_dir=output_dir)
    digest = days.load(settings, day, notice=warn)
    entry = edits.find(digest, arxiv_id)
    days.guard_markdown(settings, day, digest, force=force)
    opened = days.fingerprint(entry)  # the editor is not holding the day's lock: other commands may go on
    recovery = store.recovery_path(settings.output_dir, day, entry.id)
    if discard and recovery.exists():
        recovery.unlink()
        warn(f"Discarded your unsaved edit of {entry.id}")
    text, notes = editing.starting_text(settings, day, entry, opened)
    for note in notes:
        warn(note)
    if settings.editor is None and not sys.stdin.isatty():
        raise DigestError("no editor to open: set $VISUAL or $EDITOR (or change fields with `digest set`); "
                          "without a terminal the default editor would wait for input that never comes")
    while True:
        try:
            edited = click.edit(text, editor=settings.editor, extension=".md", require_save=True)
        except click.ClickException as problem:
            raise DigestError(f"cannot run the editor ({problem.message}); set $VISUAL or $EDITOR") from None
        if edited is None or edited == text and not recovery.exists():
            say("No changes; nothing saved.")
            return
        try:
            content = document.from_document(edited)
            break
        except document.DocumentError as problem:
            kept = editing.keep(settings, day, entry.id, edited, opened, str(problem))
            if sys.stdin.isatty() and typer.confirm(f"{problem}. Reopen the editor?", default=True):
                text = document.with_error(edited, str(problem))
                continue
            raise kept from None
    try:
        editing.save(settings, day, entry.id, opened, content, force=force, notice=warn)
    except DigestError as problem:  # a hand-edited DATE.md, a busy lock, a full disk...
        raise editing.keep(settings, day, entry.id, edited, opened, str(problem)) from None
    say(f"Edited {entry.id} in {store.markdown_path(settings.output_dir, day)}")


@commands.command(name="set")
def set_(
    day: Day,
    arxiv_id: OneId,
    field: Annotated[FieldName, typer.Argument(metavar="FIELD", help="The field to set.")],
    values: Annotated[
        list[str], typer.Argument(metavar="VALUE...", help="One value; authors/questions take several; - reads stdin.")
    ],
    output_dir: OutputDir = None,
    force: OverEdits = False,
) -> None:
    """Set one field of an entry (scriptable `edit`); the entry is marked as edited by hand.

    Example: digest set 2024-10-08 2410.05258 questions "What does it cost?" "Does it scale?"
    """
    name = field.value
    from authoring.store import days, edits
    from authoring.store import files as store

    if values == ["-"]:
        values = sys.stdin.read().splitlines()
        values = values if name in ("authors", "questions") else [" ".join(values)]
    settings = load_settings(output_dir=output_dir)
    with days.change(settings, day, "set", force=force, notice=warn) as digest:
        entry = edits.find(digest, arxiv_id)
        edits.set_field(entry, name, values)
    markdown = store.markdown_path(settings.output_dir, day)
    say(f"Set {name} of {entry.id} in {markdown}")


@commands.command()
def rm(
    day: Day,
    ids: Annotated[list[str], typer.Argument(metavar="ID...", autocompletion=day_ids, help="Entries to remove.")],
    output_dir: OutputDir = None,
    force: OverEdits = False,
) -> None:
    """Remove entries from a day (`digest undo` brings them back). Example: digest rm 2024-10-08 2410.05258"""
    from authoring.store import days, edits
    from authoring.store import files as store

    settings = load_settings(output_dir=output_dir)
    with days.change(settings, day, "rm", force=force, notice=warn) as digest:
        removed = edits.remove(digest, ids)
    markdown = store.markdown_path(settings.output_dir, day)
    say(f"Removed {', '.join(e.id for e in removed)} from {markdown}")


@commands.command()
def move(
    day: Day,
    arxiv_id: OneId,
    to: Annotated[int, typer.Option("--to", min=1, help="The new 1-based position.")],
    output_dir: OutputDir = None,
    force: OverEdits = False,
) -> None:
    """Move an entry to another position. Example: digest move 2024-10-08 2410.03959 --to 1"""
    from authoring.store import days, edits
    from authoring.store import files as store

    settings = load_settings(output_dir=output_dir)
    with days.change(settings, day, "move", force=force, notice=warn) as digest:
        entry = edits.move(digest, arxiv_id, to)
    markdown = store.markdown_path(settings.output_dir, day)
    say(f"Moved {entry.id} to position {to} in {markdown}")


@commands.command()
def undo(
    day: Day,
    output_dir: OutputDir = None,
    force: Annotated[
        bool, typer.Option(help="Undo over a hand-edited DATE.md (the edited file is kept in the history first).")
    ] = False,
) -> None:
    """Restore a day as it was before its last change. Example: digest undo 2024-10-08"""
    from authoring.store import days, history

    settings = load_settings(output_dir=output_dir)
    commands, kept = days.undo(settings, day, force=force, notice=warn)
    left = len(history.snapshots(settings.output_dir, day))
    if kept is not None:
        warn(f"Your hand-edited DATE.md is kept in {kept}")
    undone = " and ".join(f"`digest {command}`" for command in commands)
    say(f"Undid {undone} on {day}; {count(left, 'earlier change')} can still be undone")


@commands.command()
def render(
    day: OptionalDay = None,
    all_days: Annotated[bool, typer.Option("--all", help="Render every day in the output folder.")] = False,
    output_dir: OutputDir = None,
    templates: Templates = None,
    force: Annotated[bool, typer.Option(help="Overwrite a DATE.md edited by hand (kept in the history).")] = False,
    authors: Authors = None,
) -> None:
    """Re-render DATE.md from DATE.json, with no network. Example: digest render 2024-10-08 --authors hf"""
    from authoring.store import days
    from authoring.store import files as store

    settings = load_settings(output_dir=output_dir, authors_style=style(authors), templates_dir=templates)
    if (day is None) == (not all_days):
        raise DigestError("give a DATE or --all (not both)")
    the_days = [day] if day else store.stored_days(settings.output_dir)
    problems = 0
    for day in the_days:
        try:
            digest, written = days.render_day(settings, day, force=force, notice=warn)
        except DigestError as problem:
            if not all_days:
                raise
            warn(f"Error: {problem}")  # one bad day does not stop the others
            problems += 1
            continue
        left_out = [e for e in digest.entries if not e.ok]
        what = "Rendered" if written else "Up to date:"
        detail = ""
        if left_out:
            pending = sum(1 for e in left_out if e.pending)
            detail = f" ({count(len(left_out), 'entry', 'entries')} left out: {pending} pending, " \
                     f"{len(left_out) - pending} failed)"
        say(f"{what} {store.markdown_path(settings.output_dir, day)}{detail}")
    if problems:
        raise DigestError(f"{count(problems, 'day')} of {len(the_days)} could not be rendered (see above)")


@commands.command(name="import")
def import_(
    files: Annotated[list[Path], typer.Argument(metavar="FILE.md...", help="Digests in the reference markdown "
                                                "format; many at once in one process (e.g. archive/**/*.md).")],
    day: Annotated[
        date | None, typer.Option("--date", parser=parse_day, help="The day, if the heading lacks or misstates it "
                                  "(one file only).")
    ] = None,
    output_dir: OutputDir = None,
    force: Annotated[bool, typer.Option(help="Take a file into an existing day (kept in the history).")] = False,
) -> None:
    """Read markdown digests into output/DATE.json and re-render them.

    Rows unchanged from the stored day keep their metadata; changed rows are taken in and marked edited. Several
    files: each is imported on its own (one that fails leaves the others alone), then one summary line; the files
    that could not be imported are listed, and the exit code is 1.
    Example: digest import output/2024-10-08.md --force   (take in edits made to the markdown by hand)
    Example: digest import archive/*.md
    """
    if day is not None and len(files) > 1:
        raise typer.BadParameter("gives the day of one file; import files with other days without it",
                                 param_hint="'--date'")
    from authoring.store import files as store

    settings = load_settings(output_dir=output_dir)
    if len(files) == 1:
        imported_day, entries, markdown = _import_file(settings, files[0], day, force)
        say(f"Imported {count(entries, 'entry', 'entries')} from {files[0]} into the {imported_day} day "
            f"({store.json_path(settings.output_dir, imported_day)}, {markdown})")
        return
    days_done: set[date] = set()
    entries_done, failed = 0, 0
    for file in files:
        try:
            imported_day, entries, _ = _import_file(settings, file, None, force)
        except DigestError as problem:
            warn(f"Failed: {file}: {problem}")
            failed += 1
            continue
        days_done.add(imported_day)
        entries_done += entries
    done = (f"{count(len(files) - failed, 'file')} ({count(entries_done, 'entry', 'entries')}) into "
            f"{count(len(days_done), 'day')} in {settings.output_dir}")
    if failed:
        raise DigestError(f"{failed} of {count(len(files), 'file')} could not be imported (listed above); imported "
                          f"{done}")
    say(f"Imported {done}")


def _import_file(settings, file: Path, day: date | None, force: bool) -> tuple[date, int, Path]:
    """Import one markdown digest: (its day, its entries, the DATE.md written); a DigestError says why not."""
    from authoring.markdown import parse
    from authoring.markdown.render import row_hashes
    from authoring.store import days, edits
    from authoring.store import files as store

    text = read_text_file(file)
    result = parse.parse_digest(text, source=str(file), date=day.isoformat() if day else None)
    day = date.fromisoformat(result.digest.date)
    with days.locked(settings, day, "import", warn):
        existing = None
        if store.json_path(settings.output_dir, day).exists():
            if not force:
                raise DigestError(
                    f"{store.json_path(settings.output_dir, day)} already exists; pass --force to take {file} "
                    "into it (unchanged entries keep their metadata; the old day is kept for `digest undo`)"
                )
            try:
                existing = days.load(settings, day, notice=warn)
            except StoreError as problem:  # an unreadable day is replaced; its bytes stay in the history
                warn(f"Warning: {problem}; importing {file} in its place")
        rows = row_hashes(text)
        changed_since: list[str] = []
        base = days.render_of(settings, day, existing, rows) if existing is not None else None
        digest = edits.merge_import(existing, result.digest, max_authors=settings.max_authors,
                                   authors_style=settings.authors_style, imported_rows=rows, base_rows=base,
                                   changed_since=changed_since)
        if changed_since:
            warn(f"Warning: {', '.join(changed_since)} also changed since {file} was rendered; the file's text "
                 f"wins (`digest undo {day}` brings the day before back)")
        # DATE.md taken into its own day is the input, not a file to guard (a copy is kept all the same)
        itself = _same_file(file, store.markdown_path(settings.output_dir, day))
        _, markdown = days.commit(settings, day, digest, "import", force=force or itself, notice=warn)
    for warning in result.warnings:
        warn(f"Warning: {file}: {warning}")
    return day, len(result.digest.entries), markdown


def _same_file(one: Path, other: Path) -> bool:
    try:
        return one.samefile(other)
    except OSError:
        return False


@commands.command()
def show(
    day: Day,
    arxiv_id: Annotated[
        str | None, typer.Argument(metavar="[ID]", autocompletion=day_ids, help="One entry to show in full.")
    ] = None,
    output_dir: OutputDir = None,
    as_json: AsJson = False,
) -> None:
    """Show a day's entries, or one entry in full with its provenance. Example: digest show 2024-10-08 2410.05258

    With --json: the day's counts, tokens and entries (or the one entry as DATE.json stores it) as one JSON
    document (docs/reference/json-output.md).
    """
    from authoring.cli import views
    from authoring.store import days, edits
    from authoring.store import files as store

    settings = load_settings(output_dir=output_dir)
    digest = days.load(settings, day, notice=warn)
    entry = edits.find(digest, arxiv_id) if arxiv_id is not None else None
    if as_json:
        state = days.markdown_state(settings, day, digest)
        shown = views.day_json(digest, store.json_path(settings.output_dir, day),
                               store.markdown_path(settings.output_dir, day), state)
        if entry is None:
            shown["entries"] = [views.entry_row_json(e, n) for n, e in enumerate(digest.entries, start=1)]
        else:
            shown["entry"] = {**views.entry_row_json(entry, digest.entries.index(entry) + 1),
                              "stored": entry.model_dump(mode="json")}
        out.print_json(json.dumps({"format": views.JSON_FORMAT, **shown}))
        return
    if entry is None:
        out.print(views.day_table(digest))
        return
    out.print(views.entry_view(entry, digest.entries.index(entry) + 1))


@commands.command(name="list")
def list_(output_dir: OutputDir = None, as_json: AsJson = False) -> None:
    """List the stored days with entry, failed, edited and reviewed counts. Example: digest list

    With --json: every day's counts and tokens as one JSON document (docs/reference/json-output.md).
    """
    from authoring.cli import views
    from authoring.store import days
    from authoring.store import files as store

    settings = load_settings(output_dir=output_dir)
    if settings.output_dir.exists() and not settings.output_dir.is_dir():
        raise DigestError(f"{settings.output_dir} is not a folder; pass the folder that holds DATE.json files")
    rows: list[tuple[Path, Digest | None, str]] = []
    shown: list[dict] = []
    for day in store.stored_days(settings.output_dir):
        path, markdown = store.json_path(settings.output_dir, day), store.markdown_path(settings.output_dir, day)
        try:
            digest = days.load(settings, day, notice=warn)
        except DigestError as problem:
            rows.append((path, None, f"unreadable: {problem}"))
            shown.append(views.unreadable_day_json(day.isoformat(), path, markdown, str(problem)))
            continue
        state = days.markdown_state(settings, day, digest)
        rows.append((path, digest, state))
        shown.append(views.day_json(digest, path, markdown, state))
    if as_json:
        out.print_json(json.dumps({"format": views.JSON_FORMAT, "output_dir": str(settings.output_dir),
                                   "days": shown}))
        return
    if not rows:
        say(f"No digests in {settings.output_dir}/ yet; create one with `digest new DATE ID...`")
        return
    out.print(views.days_table(rows))
