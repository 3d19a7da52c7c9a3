"""The data of a digest: Paper (arXiv metadata), Summary (the model's answer), Provenance, Entry, Digest."""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_serializer

SCHEMA_VERSION = 1


class Paper(BaseModel):
    """arXiv metadata of one paper; `id` carries no version, `version` says which one was read."""

    id: str
    version: int | None = None
    title: str
    authors: list[str]
    abstract: str = ""
    categories: list[str] = []
    primary_category: str | None = None
    published: str | None = None
    updated: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    doi: str | None = None


class Summary(BaseModel):
    """The structured summary the model is asked for; also the Structured Outputs response format."""

    model_config = ConfigDict(extra="forbid")

    objective: str = Field(description="a) The research objective, in one or two sentences.")
    method: str = Field(description="b) The methodology, in one or two sentences.")
    result: str = Field(
        description="c) The primary result, with one specific quantitative finding taken from the paper."
    )
    implication: str = Field(description="d) The implication for AI practitioners.")
    questions: list[str] = Field(description="Two or three follow-up questions a practitioner would ask.")

    @field_validator("objective", "method", "result", "implication")
    @classmethod
    def _not_blank(cls, value: str, info: ValidationInfo) -> str:
        if (info.context or {}).get(DROP_MARKERS):
            value = without_part_marker(value)
        value = value.strip()
        if not value:
            raise ValueError("must not be empty")
        return value

    @field_validator("questions")
    @classmethod
    def _two_or_three(cls, value: list[str], info: ValidationInfo) -> list[str]:
        # Checked here rather than with min/max length so the strict JSON schema stays portable.
        if (info.context or {}).get(DROP_MARKERS):
            value = [without_item_marker(q) for q in value]
        questions = [q.strip() for q in value if q.strip()]
        if not 2 <= len(questions) <= 3:
            raise ValueError(f"expected 2 or 3 follow-up questions, got {len(questions)}")
        return questions


# Validation context for text that arrives with markers of its own (a model's answer, a value typed for `digest set`):
# `Summary.model_validate(data, context={DROP_MARKERS: True})`. A model that repeats the part's marker ("c) ...")
# would otherwise render "c) c) ...", and the template numbers the questions itself. Everything else (a stored day,
# an imported cell, an edited document) is taken as written: a field that starts with "3) " keeps it.
DROP_MARKERS = "drop_markers"


def without_part_marker(text: str) -> str:
    """A part's text without one a)-d) marker the writer put at its start."""
    return re.sub(r"^\s*[a-d]\)\s+", "", text)


def without_item_marker(text: str) -> str:
    """A question without one numbering or bullet the writer put at its start ("1. ", "2) ", "- ")."""
    return re.sub(r"^\s*(?:\d+[.)]|[-*])\s+", "", text)


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            total_tokens=self.total_tokens + other.total_tokens,
        )


class Provenance(BaseModel):
    """How an entry's summary came to be. `source` is what the summary was made from: abstract, pdf, or import
    (taken from a markdown digest); `edited` is set once a person changed the entry by hand."""

    model: str | None = None
    prompt_hash: str | None = None
    source: str = "abstract"
    usage: Usage = Usage()
    generated_at: str | None = None
    edited: bool = False
    # What else a reader should know: a PDF that could not be used, a --verify regeneration, figures left unverified.
    note: str | None = None
    # The language the summary was asked for (--language); None: the prompts' own (English).
    language: str | None = None

    @model_serializer(mode="wrap")
    def _without_default_language(self, handler):
        # Without --language a provenance serialises exactly as before `language` existed: stored days and their
        # content hashes stay byte-identical (as Entry does for `hub`).
        data = handler(self)
        if isinstance(data, dict) and data.get("language", 0) is None:
            del data["language"]
        return data


class HubAuthor(BaseModel):
    """An author as the Hub's paper page lists them: `username` is the claimed account, None when unclaimed."""

    name: str
    username: str | None = None


class HubInfo(BaseModel):
    """What the HuggingFace daily-papers listing adds to an entry (--from-hf): its upvotes when listed, and the
    Hub's author list (arXiv's order, with claimed accounts' usernames)."""

    upvotes: int = 0
    authors: list[HubAuthor] = []


class Entry(BaseModel):
    """One paper of the day: `paper` is None when arXiv did not know the id; `error` says why it failed.
    `summary_markdown` holds an imported summary cell exactly as written (already escaped); it is rendered as is
    until the entry is regenerated or edited, which replaces it with the structured `summary`. `reviewed` is when a
    person marked the entry reviewed (`digest review`; UTC, ISO 8601), cleared whenever its content changes."""

    id: str
    paper: Paper | None = None
    summary: Summary | None = None
    summary_markdown: str | None = None
    provenance: Provenance | None = None
    error: str | None = None
    hub: HubInfo | None = None
    reviewed: str | None = None

    @model_serializer(mode="wrap")
    def _without_absent_fields(self, handler):
        # An entry without Hub data or a review mark serialises exactly as before `hub` and `reviewed` existed:
        # DATE.json files and the content hashes they carry (authoring.store.days.content_hash) stay byte-identical,
        # so no stored day turns stale.
        data = handler(self)
        if isinstance(data, dict):
            for name in ("hub", "reviewed"):
                if name in data and data[name] is None:
                    del data[name]
        return data

    @property
    def ok(self) -> bool:
        return self.paper is not None and self.has_summary and self.error is None

    @property
    def has_summary(self) -> bool:
        return self.summary is not None or self.summary_markdown is not None

    @property
    def pending(self) -> bool:
        """Neither summarised nor failed yet: a run was interrupted before its answer came (`digest resume`)."""
        return not self.has_summary and self.error is None

    @property
    def status(self) -> str:
        """failed, pending, edited, imported (prose) or ok."""
        if self.error:
            return "failed"
        if self.pending:
            return "pending"
        if self.provenance and self.provenance.edited:
            return "edited"
        if self.summary is None:
            return "imported (prose)"
        return "ok"


class Delivery(BaseModel):
    """One destination's delivery of a day (`digest send`): where to (its URL with every secret hidden), and when."""

    destination: str
    sent_at: str


class Digest(BaseModel):
    """A day's digest as stored in output/DATE.json."""

    schema_version: int = SCHEMA_VERSION
    date: str
    entries: list[Entry] = []
    # sha256 of DATE.md as last rendered, and of the content it was rendered from (authoring.store.days.content_hash):
    # a DATE.md with another hash was edited by hand; a content hash that moved on means DATE.md is stale.
    rendered_sha256: str | None = None
    rendered_from: str | None = None
    # The DATE.md on disk before that render: seen after a crash between the DATE.json and DATE.md writes, it is
    # stale, not edited by hand.
    previous_rendered_sha256: str | None = None
    # Each rendered row's hash, by entry id: `import --force` tells a row the person changed from one that only
    # looks old because the entry changed after DATE.md was last rendered (a run finished meanwhile).
    rendered_rows: dict[str, str] | None = None
    # Markdown a person wrote around the table (an introduction under the heading, an editor's note under the
    # table), taken in by `digest import` and rendered back as written.
    text_above: str | None = None
    text_below: str | None = None
    # `digest send`: each destination the day was delivered to, by a fingerprint of its whole URL (never the URL:
    # it may carry a token). Not part of what DATE.md is rendered from.
    deliveries: dict[str, Delivery] = {}

    @model_serializer(mode="wrap")
    def _without_absent_fields(self, handler):
        # A day without such text, never sent, serialises exactly as before these fields existed (as Entry.hub):
        # DATE.json files and their content hashes stay byte-identical, and no stored day turns stale.
        data = handler(self)
        if isinstance(data, dict):
            for name in ("text_above", "text_below"):
                if data.get(name, 0) is None:
                    del data[name]
            if data.get("deliveries", 0) in ({}, None):
                del data["deliveries"]
        return data

    def entry(self, arxiv_id: str) -> Entry | None:
        return next((e for e in self.entries if e.id == arxiv_id), None)
