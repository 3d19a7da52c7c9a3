"""Terminal views of stored days for `digest show` and `digest list` (rich tables; plain text when piped)."""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.table import Table
from rich.text import Text as RichText

from authoring.models import Digest, Entry, Usage
from authoring.text import terminal_text


def Text(text: str = "", style: str = "") -> RichText:  # noqa: N802 (rich's name, with the hygiene built in)
    """rich Text whose content cannot drive the terminal (stored text came from models, arXiv and imports)."""
    return RichText(terminal_text(text), style=style)


def day_table(digest: Digest) -> Table:
    noun = "entry" if len(digest.entries) == 1 else "entries"
    table = Table(title=f"Digest {digest.date}: {len(digest.entries)} {noun}", title_justify="left")
    for column in ("#", "id", "title", "status", "reviewed", "model", "tokens"):
        table.add_column(column, overflow="fold")
    for number, entry in enumerate(digest.entries, start=1):
        provenance = entry.provenance
        table.add_row(
            str(number),
            entry.id,
            Text(entry.paper.title) if entry.paper else "-",
            Text(entry.status + (f": {entry.error}" if entry.error else "")),
            Text(reviewed_at(entry.reviewed) if entry.reviewed else "-"),
            Text((provenance.model or provenance.source) if provenance else "-"),
            f"{provenance.usage.total_tokens:,}" if provenance else "-",
        )
    return table


def reviewed_at(stamp: str) -> str:
    """A review mark's time as the views show it: 2026-12-05 08:01 (UTC)."""
    return stamp[:16].replace("T", " ")


def entry_view(entry: Entry, position: int) -> Group:
    lines: list[RichText] = [Text(f"#{position} {entry.id}", style="bold")]
    paper = entry.paper
    if paper:
        lines.append(Text(f"Title: {paper.title}"))
        version = f"v{paper.version}" if paper.version else "version unknown"
        lines.append(Text(f"Authors ({len(paper.authors)}): {', '.join(paper.authors)}"))
        lines.append(Text(f"arXiv: https://arxiv.org/abs/{entry.id} ({version}, published {paper.published or '?'})"))
        if paper.categories:
            lines.append(Text(f"Categories: {', '.join(paper.categories)}"))
    if entry.error:
        lines.append(Text(f"Failed: {entry.error}", style="red"))
    lines.append(Text(f"Reviewed: {reviewed_at(entry.reviewed)} UTC" if entry.reviewed else "Reviewed: no"))
    if entry.summary:
        s = entry.summary
        lines += [Text(""), Text(f"a) {s.objective}"), Text(f"b) {s.method}"), Text(f"c) {s.result}"),
                  Text(f"d) {s.implication}"), Text("Follow-up questions:")]
        lines += [Text(f"  {n}. {q}") for n, q in enumerate(s.questions, start=1)]
    elif entry.summary_markdown:
        lines += [Text(""), Text(f"Summary (imported as written): {entry.summary_markdown}")]
    p = entry.provenance
    if p:
        lines += [Text(""), Text("Provenance:", style="bold")]
        lines.append(Text(f"  source: {p.source}; model: {p.model or '-'}; prompt templates: {p.prompt_hash or '-'}"))
        lines.append(Text(f"  tokens: {p.usage.prompt_tokens:,} in, {p.usage.completion_tokens:,} out; "
                          f"generated: {p.generated_at or '-'}; edited by hand: {'yes' if p.edited else 'no'}"))
        if p.note:
            lines.append(Text(f"  note: {p.note}"))
    return Group(*lines)


def days_table(rows: list[tuple[Path, Digest | None, str]]) -> Table:
    table = Table(title="Digests", title_justify="left")
    for column in ("date", "entries", "pending", "failed", "edited", "reviewed", "markdown"):
        table.add_column(column)
    for path, digest, note in rows:
        if digest is None:
            table.add_row(path.stem, "-", "-", "-", "-", "-", note)
            continue
        statuses = [e.status for e in digest.entries]
        table.add_row(digest.date, str(len(statuses)), str(statuses.count("pending")), str(statuses.count("failed")),
                      str(statuses.count("edited")), str(sum(1 for e in digest.entries if e.reviewed)), note)
    return table



def settings_table(rows: list[tuple[str, object, str]]) -> Table:
    """`digest config`: each setting, its value as shown (a price table by its size) and where it came from."""
    table = Table(title="Settings", title_justify="left")
    for column in ("setting", "value", "origin"):
        table.add_column(column, overflow="fold")
    for name, value, origin in rows:
        shown = (f"{len(value)} models" if isinstance(value, dict) else "not set" if value is None
                 else str(value).lower() if isinstance(value, bool) else str(value))
        table.add_row(name, Text(shown), Text(origin))
    return table


# --- the --json views of `digest list` and `digest show` (docs/reference/json-output.md) ---------------------------

JSON_FORMAT = 1  # bumped only when a field changes meaning or goes away; fields may be added
STATUSES = ("ok", "edited", "imported (prose)", "pending", "failed")  # Entry.status


def _reviewed(entry: Entry) -> bool | None:
    """The entry's review mark where the data model has one (None: it does not)."""
    value = getattr(entry, "reviewed", None)
    return None if value is None else bool(value)


def _tokens(usage: Usage) -> dict[str, int]:
    return {"prompt": usage.prompt_tokens, "completion": usage.completion_tokens, "total": usage.total_tokens}


def day_json(digest: Digest, json_path: Path, markdown_path: Path, markdown_state: str) -> dict:
    """One day as `list --json` and `show DATE --json` give it: where it is, its counts and tokens."""
    counts = {"entries": len(digest.entries), **dict.fromkeys(STATUSES, 0)}
    usage = Usage()
    for entry in digest.entries:
        counts[entry.status] = counts.get(entry.status, 0) + 1
        if entry.provenance is not None:
            usage += entry.provenance.usage
    marks = [_reviewed(entry) for entry in digest.entries]
    if any(mark is not None for mark in marks):
        counts["reviewed"] = sum(1 for mark in marks if mark)
    return {"date": digest.date, "json": str(json_path), "markdown": str(markdown_path),
            "markdown_state": markdown_state, "counts": counts,
            "tokens": _tokens(usage), "error": None}


def unreadable_day_json(day: str, json_path: Path, markdown_path: Path, problem: str) -> dict:
    return {"date": day, "json": str(json_path), "markdown": str(markdown_path), "markdown_state": None,
            "counts": None, "tokens": None, "error": problem}


def entry_row_json(entry: Entry, position: int) -> dict:
    """One entry as a row of `show DATE --json`."""
    provenance = entry.provenance
    row = {"position": position, "id": entry.id, "title": entry.paper.title if entry.paper else None,
           "status": entry.status, "error": entry.error, "model": provenance.model if provenance else None,
           "source": provenance.source if provenance else None,
           "language": provenance.language if provenance else None,
           "tokens": _tokens(provenance.usage if provenance else Usage())}
    if (reviewed := _reviewed(entry)) is not None:
        row["reviewed"] = reviewed
    return row
