"""What the review screen says of an entry, as rich Text: the list row, the paper's header, the summary with each
figure marked grounded in the source or not (checks/grounding), the source text, and the findings. Every mark is
a character too (no colour needed); stored text cannot drive the terminal (authoring.text.terminal_text)."""

from __future__ import annotations

from rich.text import Text

from authoring.checks.findings import Finding
from authoring.checks.grounding import Source, figure_spans
from authoring.markdown.summary_text import follow_up
from authoring.models import Entry
from authoring.templating import unescape_cell
from authoring.text import terminal_text

GROUNDED, UNGROUNDED, UNCHECKED = "✓", "✗", "?"


def status_of(entry: Entry) -> str:
    """The status the list shows: reviewed, else failed, pending, edited, prose (imported as written) or ok."""
    if entry.reviewed:
        return "reviewed"
    return "prose" if entry.status == "imported (prose)" else entry.status


def row(entry: Entry, findings: int) -> tuple[str, str, str]:
    """The list's cells for an entry: status, findings (a count, or - for none), title."""
    title = entry.paper.title if entry.paper else entry.id
    return status_of(entry), str(findings) if findings else "-", terminal_text(" ".join(title.split()))


def header(entry: Entry, position: int, total: int) -> Text:
    paper = entry.paper
    category = (paper.primary_category or (paper.categories[0] if paper.categories else "")) if paper else ""
    text = Text()
    text.append(f"#{position}/{total}  arXiv {entry.id}" + (f"  {category}" if category else ""), style="bold")
    text.append("\n" + terminal_text(" ".join((paper.title if paper else "(no arXiv metadata)").split())),
                style="bold")
    if paper:
        text.append("\n" + terminal_text(", ".join(paper.authors) or "(no authors)"))
    provenance = entry.provenance
    facts = [f"status: {entry.status}" + (f" ({entry.error})" if entry.error else "")]
    if provenance:
        facts.append(f"from the {provenance.source}" + (f" by {provenance.model}" if provenance.model else ""))
        if provenance.edited:
            facts.append("edited by hand")
    facts.append(f"reviewed {entry.reviewed.replace('T', ' ')}" if entry.reviewed else "not reviewed")
    text.append("\n" + terminal_text(" · ".join(facts)))
    return text


def _marked(text: str, source: Source | None) -> Text:
    """`text` with each figure followed by its mark: ✓ grounded in the source, ✗ not found in it, ? no source."""
    text = terminal_text(text)
    out, at = Text(), 0
    for start, end, figure in figure_spans(text):
        out.append(text[at:start])
        if source is None:
            out.append(text[start:end] + UNCHECKED)
        elif source.grounds(figure):
            out.append(text[start:end] + GROUNDED, style="underline")
        else:
            out.append(text[start:end] + UNGROUNDED, style="reverse bold")
        at = end
    out.append(text[at:])
    return out


def summary(entry: Entry, source: tuple[str, str] | None) -> Text:
    """The summary's parts with their figures marked, then the follow-up questions (not checked)."""
    label = source[0] if source else None
    grounds = Source(source[1]) if source else None
    out = Text()
    if entry.summary is not None:
        s = entry.summary
        for letter, part in zip("abcd", (s.objective, s.method, s.result, s.implication), strict=True):
            out.append(f"{letter}) ")
            out.append_text(_marked(part, grounds))
            out.append("\n")
        out.append("Follow-up questions:\n")
        for number, question in enumerate(s.questions, start=1):
            out.append(f"  {number}. {terminal_text(question)}\n")
    elif entry.summary_markdown is not None:
        prose = unescape_cell(entry.summary_markdown)
        block = follow_up(prose)
        out.append_text(_marked(prose[: block.start] if block else prose, grounds))
        if block:
            out.append(terminal_text(prose[block.start:]))
        out.append("\n")
    else:
        out.append("(no summary yet)\n")
    if label:
        out.append(f"Figures: {GROUNDED} in the {label}, {UNGROUNDED} not in the {label}", style="italic")
    else:
        out.append(f"Figures: {UNCHECKED} not checked (no source text kept)", style="italic")
    return out


def source_text(source: tuple[str, str] | None) -> Text:
    """What the summary was made from, as kept: the abstract, or the full text as fitted for the model."""
    if source is None:
        return Text("Source: none kept (an imported entry, or no abstract)")
    label, text = source
    heading = "Source: the abstract" if label == "abstract" else \
        "Source: the full text as fitted for the model (--source pdf, kept in output/.sources/)"
    out = Text()
    out.append(heading + "\n", style="bold")
    out.append(terminal_text(text.strip()))
    return out


def findings(found: list[Finding]) -> Text:
    if not found:
        return Text("Findings: none")
    out = Text()
    out.append(f"Findings ({len(found)}):", style="bold")
    for finding in found:
        out.append(terminal_text(f"\n  {finding.severity}  {finding.kind}: {finding.message}"))
    return out
