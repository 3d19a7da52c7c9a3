"""Changes to a Digest in memory, as the authoring commands make them: find entries, reorder, remove, set fields,
apply an edited document, merge an imported markdown day. Pure: `days` loads, locks and saves."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import ValidationError

from authoring.errors import DigestError
from authoring.ids import parse_id
from authoring.markdown.render import shown_authors, summary_cell
from authoring.models import Digest, Entry, Paper, Provenance, Summary

SUMMARY_FIELDS = ("objective", "method", "result", "implication", "questions")
FIELDS = ("title", "authors", *SUMMARY_FIELDS)


def find(digest: Digest, text: str) -> Entry:
    """The entry for an id in any accepted form (version ignored), or an error naming the day."""
    base = parse_id(text).base
    entry = digest.entry(base)
    if entry is None:
        raise DigestError(f"{base} is not in the {digest.date} digest; `digest show {digest.date}` lists its entries")
    return entry


def remove(digest: Digest, texts: Sequence[str]) -> list[Entry]:
    entries = [find(digest, text) for text in texts]
    digest.entries = [e for e in digest.entries if all(e is not r for r in entries)]
    return entries


def move(digest: Digest, text: str, position: int) -> Entry:
    """Move an entry to a 1-based position."""
    entry = find(digest, text)
    if not 1 <= position <= len(digest.entries):
        raise DigestError(f"position {position} is outside 1..{len(digest.entries)}")
    digest.entries.remove(entry)
    digest.entries.insert(position - 1, entry)
    return entry


def set_field(entry: Entry, field: str, values: Sequence[str]) -> None:
    """Set one field of an entry by hand; the entry is marked as edited."""
    if field not in FIELDS:
        raise DigestError(f"unknown field {field!r}; choose one of {', '.join(FIELDS)}")
    if entry.paper is None:
        raise DigestError(f"{entry.id} has no arXiv metadata; run `digest regen` on it first")
    given = len(values)
    values = [v.strip() for v in values if v.strip()]
    list_field = field in ("authors", "questions")
    if not values:
        raise DigestError(f"{field} cannot be empty" + ("" if list_field else "; write the text in one quoted value"))
    if not list_field and len(values) != 1:
        raise DigestError(f"{field} takes exactly one value ({given} given); quote the text: "
                          f"digest set DATE ID {field} \"...\"")
    if field == "title":
        entry.paper.title = values[0]
    elif field == "authors":
        set_authors(entry, values)
    else:
        base = entry.summary.model_dump() if entry.summary else {}
        if not base:
            raise DigestError(
                f"{entry.id} has no structured summary to change; use `digest edit` to write all its parts"
            )
        base[field] = values if list_field else values[0]
        entry.summary = validated_summary(base)
        entry.summary_markdown = None
    mark_edited(entry)


def validated_summary(data: dict) -> Summary:
    try:
        return Summary.model_validate(data)
    except ValidationError as err:
        first = err.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ())) or "summary"
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        raise DigestError(f"{where}: {message}") from None


def set_authors(entry: Entry, authors: list[str]) -> None:
    """Authors written by hand replace the Hub's list too, so the cell shows them in either authors style."""
    assert entry.paper is not None, "only an entry with arXiv metadata has authors to set"
    if authors != entry.paper.authors and entry.hub is not None:
        entry.hub = entry.hub.model_copy(update={"authors": []})
    entry.paper.authors = authors


def mark_edited(entry: Entry) -> None:
    """A person changed the entry: it is marked edited, and a review of what it said before no longer holds."""
    entry.provenance = (entry.provenance or Provenance(source="hand")).model_copy(update={"edited": True})
    entry.error = None
    entry.reviewed = None


def toggle_reviewed(entry: Entry, now: str) -> bool:
    """Mark an entry reviewed at `now` (UTC, ISO 8601), or clear the mark it has; returns whether it is marked."""
    entry.reviewed = None if entry.reviewed else now
    return entry.reviewed is not None


def replace_content(entry: Entry, title: str, authors: list[str], summary: Summary) -> None:
    """Apply an edited document to an entry."""
    if entry.paper is None:
        entry.paper = Paper(id=entry.id, title=title, authors=authors)
    entry.paper.title = title
    set_authors(entry, authors)
    entry.summary, entry.summary_markdown = summary, None
    mark_edited(entry)


def merge_import(
    existing: Digest | None,
    imported: Digest,
    *,
    max_authors: int,
    authors_style: str = "arxiv",
    imported_rows: dict[str, str] | None = None,
    base_rows: dict[str, str] | None = None,
    changed_since: list[str] | None = None,
) -> Digest:
    """Take an imported markdown digest into a day, as a three-way merge by entry against the render the file came
    from (`base_rows`, row hashes in that render's order; by default DATE.md as last rendered, `existing.rendered_rows`;
    `imported_rows` are the same hashes of the file imported):
    - a row the person did not touch keeps the day's entry as it is now, even if it changed after that render (a
      `set`, a run); an entry removed since that render stays removed;
    - a row the person changed takes the markdown's text (the entry keeps its metadata) and is marked edited; its id
      goes into `changed_since` when the day also changed it after that render (the day before is in the history);
    - a row the person deleted is dropped; an entry that was never rendered (pending, failed, added since) is
      kept, in its place;
    - the order is the person's if they reordered rows, else the day's as it is now (a `move` since stays).
    Days rendered before row hashes were kept compare each row with what the day renders now."""
    if existing is None:
        return imported
    rendered = existing.rendered_rows if base_rows is None else base_rows
    now = existing.rendered_rows or {}
    file_rows = imported_rows or {}
    merged: list[Entry] = []
    for new in imported.entries:
        old = existing.entry(new.id)
        row = file_rows.get(new.id)
        untouched = rendered is not None and row is not None and row == rendered.get(new.id)
        if old is None:
            if not untouched:  # added by the person (an untouched row of an entry removed since stays removed)
                merged.append(new)
            continue
        if untouched:
            merged.append(old)
            continue
        if rendered is not None and new.id in rendered and now.get(new.id) != rendered.get(new.id) \
                and changed_since is not None:
            changed_since.append(new.id)
        if not old.ok:
            merged.append(new)
            continue
        # old.ok: it has a paper and a summary; a parsed row always has a paper, and a summary or its cell
        assert old.paper is not None and new.paper is not None
        same_title = old.paper.title == new.paper.title
        same_authors = shown_authors(old, max_authors, authors_style) == new.paper.authors
        old_cell = _cell(old)
        new_cell = _cell(new)
        entry = old.model_copy(deep=True)
        if not (same_title and same_authors and old_cell == new_cell):
            assert entry.paper is not None  # a copy of old's
            entry.paper.title = new.paper.title
            if not same_authors:
                set_authors(entry, new.paper.authors)
            if old_cell != new_cell:
                entry.summary, entry.summary_markdown = new.summary, new.summary_markdown
            mark_edited(entry)
        merged.append(entry)
    if rendered is not None and [i for i in file_rows if i in rendered] == [i for i in rendered if i in file_rows]:
        merged = _in_the_days_order(merged, existing)  # the person did not reorder rows: keep the day's order
    in_file = {entry.id for entry in imported.entries}
    for number, old in enumerate(existing.entries):
        never_rendered = not old.ok if rendered is None else old.id not in rendered
        if old.id in in_file or not never_rendered:
            continue  # in the file, or deleted from it by the person (or removed since the file's render)
        before = {e.id for e in existing.entries[:number]}
        at = max((n + 1 for n, e in enumerate(merged) if e.id in before), default=0)
        merged.insert(at, old)
    return Digest(date=imported.date, entries=merged, rendered_sha256=existing.rendered_sha256,
                  rendered_from=existing.rendered_from, previous_rendered_sha256=existing.previous_rendered_sha256,
                  rendered_rows=existing.rendered_rows)


def _in_the_days_order(merged: list[Entry], existing: Digest) -> list[Entry]:
    """`merged` in the day's current order; entries the day does not hold follow the entry before them."""
    position = {entry.id: n for n, entry in enumerate(existing.entries)}
    ordered = sorted((e for e in merged if e.id in position), key=lambda e: position[e.id])
    for n, entry in enumerate(merged):
        if entry.id not in position:
            after = merged[n - 1] if n else None
            ordered.insert(ordered.index(after) + 1 if after in ordered else 0, entry)
    return ordered


def _cell(entry: Entry) -> str:
    """The summary cell of an entry that has a summary: the imported cell as written, else the rendered one."""
    if entry.summary_markdown is not None:
        return entry.summary_markdown
    assert entry.summary is not None, f"{entry.id} has no summary"
    return summary_cell(entry.summary)
