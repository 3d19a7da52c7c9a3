"""The option and argument types the commands share. A value that is not of its type is a usage error (exit 2),
raised by click before the command runs: DATE (an ISO date, `today` or `yesterday` in UTC), --source, set's FIELD."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer


def parse_day(text: str, *, today: date | None = None) -> date:
    """A DATE: a real calendar date written YYYY-MM-DD, or `today` / `yesterday` (UTC: the Hub's and arXiv's day)."""
    if isinstance(text, date):
        return text
    value = text.strip().lower()
    if value in ("today", "yesterday"):
        today = today or datetime.now(UTC).date()
        return today if value == "today" else today - timedelta(days=1)
    if len(value) == 10 and value[4] == value[7] == "-" and value.replace("-", "").isdigit():
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise typer.BadParameter(f"{text!r} is not a date; write it as YYYY-MM-DD (e.g. 2024-10-08), today or yesterday")


class SourceKind(StrEnum):
    """What the model reads."""

    abstract = "abstract"
    pdf = "pdf"


class FieldName(StrEnum):
    """The fields `digest set` changes (authoring.store.days.FIELDS; a test keeps the two in step)."""

    title = "title"
    authors = "authors"
    objective = "objective"
    method = "method"
    result = "result"
    implication = "implication"
    questions = "questions"


class AuthorsStyle(StrEnum):
    """How the authors cell names the authors (authoring.config.AUTHORS_STYLES)."""

    arxiv = "arxiv"
    hf = "hf"


class FailOn(StrEnum):
    """The least severe finding that makes `digest check` exit 1."""

    error = "error"
    warning = "warning"
    never = "never"


Day = Annotated[
    date, typer.Argument(metavar="DATE", parser=parse_day, help="The digest's day: YYYY-MM-DD, today or yesterday.")
]
OptionalDay = Annotated[date | None, typer.Argument(metavar="[DATE]", parser=parse_day, help="The day.")]
Days = Annotated[list[date], typer.Argument(metavar="DATE...", parser=parse_day, help="Days: YYYY-MM-DD, today...")]
OneId = Annotated[str, typer.Argument(metavar="ID", help="An arXiv id or URL of an entry of that day.")]
Model = Annotated[str | None, typer.Option(help="Model name (env DIGEST_MODEL).")]
BaseUrl = Annotated[
    str | None, typer.Option(help="OpenAI-compatible server, e.g. http://localhost:11434/v1 (env OPENAI_BASE_URL).")
]
Concurrency = Annotated[int | None, typer.Option(min=1, help="Model calls in flight (default 8).")]
Temperature = Annotated[float | None, typer.Option(help="Sampling temperature (not sent unless set).")]
Prompts = Annotated[Path | None, typer.Option(help="Folder of prompt templates overriding the defaults.")]
Templates = Annotated[
    Path | None,
    typer.Option("--templates", metavar="DIR", help="Folder of output templates (digest.md.j2, site/...) overriding "
                 "the packaged ones, file by file (env DIGEST_TEMPLATES_DIR; default ./templates/ if present)."),
]
OutputDir = Annotated[Path | None, typer.Option(help="Folder for DATE.json and DATE.md (default output/).")]
OverEdits = Annotated[bool, typer.Option(help="Overwrite a hand-edited DATE.md.")]
Cassette = Annotated[
    Path | None,
    typer.Option(help="Replay all HTTP (arXiv and model) from this vcrpy cassette; with --record, record into it."),
]
Record = Annotated[bool, typer.Option(help="With --cassette: record a live run into the cassette.")]
StrictReplay = Annotated[
    bool,
    typer.Option("--strict-replay", envvar="DIGEST_STRICT_REPLAY",
                 help="With --cassette: fail on a model request whose prompt was not recorded, instead of answering it "
                      "with the answer recorded for the same paper and model."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the final line.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print a machine-readable run summary on stdout.")]
Source = Annotated[
    SourceKind,
    typer.Option(help="What the model reads: the abstract, or the pdf's full text (falls back to the abstract)."),
]
Verify = Annotated[
    bool, typer.Option(help="Regenerate once any entry whose figures are not in its source text; report the rest.")
]
Authors = Annotated[
    AuthorsStyle | None,
    typer.Option("--authors", help="Authors cell: arxiv names, or hf as the Hub shows them: claimed accounts by "
                 "username (env DIGEST_AUTHORS_STYLE; default arxiv)."),
]
FromHf = Annotated[
    bool, typer.Option("--from-hf", help="Take the day's ids from the HuggingFace daily papers (env HF_ENDPOINT).")
]
HubLimit = Annotated[int | None, typer.Option("--limit", min=1, help="With --from-hf: the first N papers only.")]
MinUpvotes = Annotated[
    int | None, typer.Option("--min-upvotes", min=0, help="With --from-hf: only papers with at least N upvotes.")
]


def style(value: AuthorsStyle | None) -> str | None:
    """The --authors flag as a setting (None: not given, so env and digest.toml decide)."""
    return value.value if value is not None else None
