"""An entry as a readable text document for `digest edit`, and back, with line-numbered validation errors."""

from __future__ import annotations

import re

from authoring.errors import DigestError
from authoring.models import Entry, Summary
from authoring.store.edits import validated_summary

SECTIONS = ("Title", "Authors", "Objective", "Method", "Result", "Implication", "Questions")
_HEADING = re.compile(r"^## (\w+)\s*$")
_NUMBERED = re.compile(r"^\s*(?:\d+[.)]|[-*])\s+")


class DocumentError(DigestError):
    """The edited document is not a valid entry; the message names the line or section."""


def to_document(entry: Entry, day: str) -> str:
    """The entry as sections under `## Heading` lines; `#` comment lines are ignored when read back."""
    paper = entry.paper
    summary = entry.summary
    parts = {
        "Title": paper.title if paper else "",
        "Authors": "\n".join(paper.authors) if paper else "",
        "Objective": summary.objective if summary else "",
        "Method": summary.method if summary else "",
        "Result": summary.result if summary else "",
        "Implication": summary.implication if summary else "",
        "Questions": "\n".join(f"{n}. {q}" for n, q in enumerate(summary.questions, 1)) if summary else "",
    }
    header = [
        f"# Editing {entry.id} of the {day} digest. Lines starting with '#' are ignored.",
        "# One author a line; one question a line (2 or 3). Save and close to apply; an unchanged file cancels.",
    ]
    if entry.summary is None and entry.summary_markdown:
        header.append("# The summary was imported as prose; it is below for reference. Split it into the parts:")
        header += [f"#   {line}" for line in _wrap(entry.summary_markdown)]
    body = [f"## {name}\n{parts[name]}\n" for name in SECTIONS]
    return "\n".join(header) + "\n\n" + "\n".join(body)


def _wrap(text: str, width: int = 100) -> list[str]:
    words, lines, line = text.split(), [], ""
    for word in words:
        if line and len(line) + len(word) + 1 > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    return lines + ([line] if line else [])


def from_document(text: str) -> tuple[str, list[str], Summary]:
    """Read a document back: (title, authors, summary). Raises DocumentError naming what is wrong."""
    sections: dict[str, list[str]] = {}
    current = None
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("#") and not line.startswith("## "):
            continue
        heading = _HEADING.match(line)
        if heading:
            name = heading.group(1).capitalize()
            if name not in SECTIONS:
                expected = ", ".join(SECTIONS)
                raise DocumentError(f"line {number}: unknown section '## {heading.group(1)}'; expected {expected}")
            if name in sections:
                raise DocumentError(f"line {number}: section '## {name}' appears twice")
            sections[name] = []
            current = name
        elif current is None:
            if line.strip():
                raise DocumentError(f"line {number}: text before the first '## Title' section")
        else:
            sections[current].append(line)
    missing = [name for name in SECTIONS if name not in sections]
    if missing:
        raise DocumentError(f"missing section(s): {', '.join('## ' + m for m in missing)}")

    def prose(name: str) -> str:
        value = " ".join(" ".join(sections[name]).split())
        if not value:
            raise DocumentError(f"section '## {name}' is empty")
        return value

    title = prose("Title")
    authors = [line.strip() for line in sections["Authors"] if line.strip()]
    if not authors:
        raise DocumentError("section '## Authors' is empty")
    questions = [_NUMBERED.sub("", line).strip() for line in sections["Questions"] if line.strip()]
    try:
        summary = validated_summary(
            {
                "objective": prose("Objective"),
                "method": prose("Method"),
                "result": prose("Result"),
                "implication": prose("Implication"),
                "questions": questions,
            }
        )
    except DigestError as err:
        field, _, detail = str(err).partition(": ")
        raise DocumentError(f"section '## {field.split('.')[0].capitalize()}': {detail}") from None
    return title, authors, summary


def with_error(text: str, problem: str) -> str:
    """The document again, with the validation error as a comment on top (earlier error comments removed)."""
    kept = [line for line in text.splitlines() if not line.startswith("# Error: ")]
    return "\n".join([f"# Error: {problem}", *kept]) + "\n"
