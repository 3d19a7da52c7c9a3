"""Digest -> findings: structure (a-d parts, 2-3 questions, a figure in the result), grounding (figures and
links absent from the source text), content (empty authors, raw tags, model preamble), table safety per row,
duplicates within and across days (one index of ids to days per invocation), and drift (DATE.md vs DATE.json,
and title/authors vs arXiv when fetched). Pure: callers print and decide the exit code."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass

from authoring.checks.grounding import Source, figures, parts_text, ungrounded
from authoring.errors import InvalidIdError
from authoring.ids import parse_id
from authoring.markdown.rows import read_table
from authoring.markdown.summary_text import follow_up, part_markers
from authoring.models import Digest, Entry, Paper
from authoring.templating import unescape_cell

ERROR, WARNING, INFO = "error", "warning", "info"
SEVERITIES = (ERROR, WARNING, INFO)  # most severe first
KINDS = ("structure", "questions", "figure", "grounding", "link", "authors", "markup", "preamble", "table",
         "duplicate", "drift", "pending", "unreadable", "reviewed")

# A summary that opens with the model talking to its user, or meta-talk anywhere in it. Bounded repeats only.
_PREAMBLE = re.compile(
    r"^\W{0,5}(?:(?:sure|certainly|of course|absolutely|okay)\b[ ,!.]"
    r"|here(?:'s|’s| is| are)\b[^.:\n]{0,160}?\b(?:summary|summaries|overview|breakdown|analysis)\b)",
    re.IGNORECASE,
)
_META = re.compile(
    r"\b(?:following|per|according to) (?:your|the) (?:strict |given |provided )?(?:guidelines|instructions|"
    r"requirements|constraints)\b|\bas an ai(?: language)? model\b|\bi (?:hope|trust) this (?:helps|summary)\b"
    r"|\blet me know if\b|\bi (?:cannot|can't|don't|do not) have access\b",
    re.IGNORECASE,
)
_CODE_SPAN = re.compile(r"`[^`]*`")
_TAG = re.compile(r"</?[A-Za-z][A-Za-z0-9-]{0,30}(?:\s[^<>]{0,200})?/?>")
_URL = re.compile(r"https?://[^\s)\]|>\"'`]+")
# Links the digest itself makes (a paper's arXiv and Hub pages): a summary repeating one needs no second look.
_OWN_LINK = re.compile(r"https?://(?:www\.|export\.)?(?:arxiv\.org|huggingface\.co)/", re.IGNORECASE)


@dataclass(frozen=True)
class Finding:
    severity: str
    kind: str  # one of KINDS
    entry: str | None
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def check_digest(
    digest: Digest,
    *,
    source_text: Callable[[Entry], tuple[str, str] | None],
    earlier_days: Mapping[str, list[str]] | None = None,
) -> list[Finding]:
    """Findings about the entries of a day. `source_text(entry)` gives (label, text) of what the summary was made
    from, or None; `earlier_days` maps a paper id to the earlier days that already have it."""
    findings: list[Finding] = []
    for entry in digest.entries:
        if entry.error:
            findings.append(Finding(WARNING, "structure", entry.id, f"no summary: {entry.error}"))
            continue
        if entry.pending:
            findings.append(Finding(WARNING, "pending", entry.id,
                                    f"not summarised yet (run `digest resume {digest.date}`)"))
            continue
        findings += _structure(entry) + _content(entry)
        source = source_text(entry)
        if source is not None:
            findings += _grounding(entry, *source)
        for day in (earlier_days or {}).get(entry.id, []):
            findings.append(Finding(WARNING, "duplicate", entry.id, f"already in the {day} digest"))
    return findings


def _summary_text(entry: Entry) -> str:
    """The whole summary as text: the structured parts and questions, or the imported cell unescaped."""
    if entry.summary is not None:
        return "\n".join([parts_text(entry.summary), *entry.summary.questions])
    return unescape_cell(entry.summary_markdown or "")


def _checked_text(entry: Entry) -> str:
    """The summary text whose figures must be grounded: the four parts, not the questions."""
    if entry.summary is not None:
        return parts_text(entry.summary)
    text = _summary_text(entry)
    block = follow_up(text)
    return text[: block.start] if block else text


def _grounding(entry: Entry, label: str, text: str) -> list[Finding]:
    found = [Finding(ERROR, "grounding", entry.id, f"{figure.text} does not occur in the {label}")
             for figure in ungrounded(_checked_text(entry), Source(text))]
    for url in dict.fromkeys(u.rstrip(".,;:") for u in _URL.findall(_summary_text(entry))):
        if url not in text:
            found.append(Finding(ERROR, "link", entry.id, f"{url} does not occur in the {label}"))
        elif not _OWN_LINK.match(url):  # a code repository, or a link planted in the paper's text for the model
            found.append(Finding(WARNING, "link", entry.id, f"{url} is repeated from the {label}; a digest renders "
                                 "it as a live link, so check where it goes before publishing"))
    return found


def _structure(entry: Entry) -> list[Finding]:
    if entry.summary is not None:
        if not figures(entry.summary.result):
            return [Finding(WARNING, "figure", entry.id, "the result c) states no figure")]
        return []
    text = _summary_text(entry)
    block = follow_up(text)
    parts = text[: block.start] if block else text
    present = {letter for letter, _, _ in part_markers(parts)}
    found = []
    if not present:
        found.append(Finding(INFO, "structure", entry.id, "imported prose: not in the a)-d) structure"))
    elif missing := [f"{part})" for part in "abcd" if part not in present]:
        found.append(Finding(ERROR, "structure", entry.id,
                             f"the summary does not follow the a)-d) structure (missing {', '.join(missing)})"))
    count = len(block.questions) if block else 0
    if not 2 <= count <= 3:
        found.append(Finding(ERROR, "questions", entry.id, f"{count} follow-up questions (expected 2 or 3)"))
    if not figures(parts):
        found.append(Finding(WARNING, "figure", entry.id, "the summary states no figure"))
    return found


def _content(entry: Entry) -> list[Finding]:
    """Defects a reader sees whatever the source: an empty authors cell, raw tags, the model talking."""
    found = []
    if entry.paper is not None and not entry.paper.authors:
        found.append(Finding(WARNING, "authors", entry.id, "the authors cell is empty"))
    text = _summary_text(entry)
    tags = list(dict.fromkeys(_TAG.findall(_CODE_SPAN.sub("", text))))
    if tags:
        found.append(Finding(ERROR, "markup", entry.id, f"raw tag {', '.join(tags[:3])} outside a code span: a "
                                                         "markdown renderer hides it (wrap it in backticks)"))
    opening = _PREAMBLE.match(text)
    meta = opening or _META.search(text)
    if meta:
        what = "opens with model preamble" if opening else "contains meta-talk"
        found.append(Finding(WARNING, "preamble", entry.id, f"the summary {what}: {meta.group(0).strip()!r}"))
    return found


def unreviewed(digest: Digest) -> list[Finding]:
    """One error per entry not marked reviewed (`check --require reviewed`: a CI refuses a day nobody read)."""
    return [Finding(ERROR, "reviewed", entry.id, f"not reviewed; `digest review {digest.date}` marks it (key a)")
            for entry in digest.entries if not entry.reviewed]


def check_table(markdown: str) -> list[Finding]:
    """Anything in a markdown digest that breaks, or would break, its table (one finding a row, naming each
    defect); and papers listed twice."""
    findings: list[Finding] = []
    seen: dict[str, int] = {}
    for row in read_table(markdown.split("\n")).rows:
        url = row.url
        base = _base_id(url) if url else None
        defects = row.defects()
        if url is None:
            defects.append("no arXiv link")
        if defects:
            findings.append(Finding(ERROR, "table", base, f"line {row.line}: {'; '.join(defects)}"))
        if base is None:
            continue
        if base in seen:
            findings.append(Finding(ERROR, "duplicate", base, f"line {row.line}: listed twice (first on line "
                                                              f"{seen[base]})"))
        seen.setdefault(base, row.line)
    return findings


def _base_id(url: str) -> str | None:
    try:
        return parse_id(url).base
    except InvalidIdError:
        return None


def check_drift(entry: Entry, arxiv: Paper | None, *, max_authors: int) -> list[Finding]:
    """Title and authors of an entry against arXiv's current metadata."""
    if entry.paper is None:
        return []
    if arxiv is None:
        return [Finding(WARNING, "drift", entry.id, "arXiv no longer returns this id")]
    found = []
    if " ".join(entry.paper.title.split()).casefold() != " ".join(arxiv.title.split()).casefold():
        found.append(Finding(WARNING, "drift", entry.id, f"title differs from arXiv's: {arxiv.title!r}"))
    shown = entry.paper.authors[:max_authors]
    if shown != arxiv.authors[: len(shown)]:
        found.append(Finding(WARNING, "drift", entry.id,
                             f"authors differ from arXiv's: {', '.join(arxiv.authors[:max_authors])}"))
    return found


def add_to_index(index: dict[str, list[str]], digest: Digest) -> None:
    for entry in digest.entries:
        index.setdefault(entry.id, []).append(digest.date)


def gate(findings: Iterable[Finding], fail_on: str) -> bool:
    """Whether findings fail a CI gate set at `fail_on` (error, warning or never)."""
    if fail_on == "never":
        return False
    failing = SEVERITIES[: SEVERITIES.index(fail_on) + 1]
    return any(f.severity in failing for f in findings)
