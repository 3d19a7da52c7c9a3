"""The option and argument types the commands share. A value that is not of its type is a usage error (exit 2),
raised by click before the command runs: DATE (an ISO date, `today` or `yesterday` in UTC), --source, set's FIELD."""

from __future__ import annotations

import functools
import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, get_type_hints

import typer

from authoring.cli.completion import day_ids, stored_days


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


def whole_number(minimum: int) -> Callable[[str | int], int]:
    """A parser for a whole-number option, with its own words for a bad value (typer's say 'Input should be a
    valid integer', pydantic's)."""

    def parse(text: str | int) -> int:
        try:
            value = int(text)
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not a whole number") from None
        if value < minimum:
            raise typer.BadParameter(f"{value} is too small; give {minimum} or more")
        return value

    return parse


def number(minimum: float) -> Callable[[str | float], float]:
    """A parser for a number option (--temperature, --max-cost), in our words as whole_number."""

    def parse(text: str | float) -> float:
        try:
            value = float(text)
        except ValueError:
            raise typer.BadParameter(f"{text!r} is not a number") from None
        if not math.isfinite(value):
            raise typer.BadParameter(f"{text!r} is not a number")
        if value < minimum:
            raise typer.BadParameter(f"{value:g} is too small; give {minimum:g} or more")
        return value

    return parse


class SourceKind(StrEnum):
    """What the model reads."""

    abstract = "abstract"
    pdf = "pdf"


# The fields `digest set` changes (authoring.store.days.FIELDS; a test keeps the two in step); each member's value is
# its name. Made by a call: in a class body, the member `title` would stand where str.title was.
FieldName = StrEnum("FieldName", "title authors objective method result implication questions")


class AuthorsStyle(StrEnum):
    """How the authors cell names the authors (authoring.config.AUTHORS_STYLES)."""

    arxiv = "arxiv"
    hf = "hf"


class FailOn(StrEnum):
    """The least severe finding that makes `digest check` exit 1."""

    error = "error"
    warning = "warning"
    never = "never"


class Requirement(StrEnum):
    """What `digest check --require` demands of every entry of a stored day."""

    reviewed = "reviewed"


Day = Annotated[
    date, typer.Argument(metavar="DATE", parser=parse_day, autocompletion=stored_days,
                         help="The digest's day: YYYY-MM-DD, today or yesterday.")
]
OptionalDay = Annotated[
    date | None, typer.Argument(metavar="[DATE]", parser=parse_day, autocompletion=stored_days, help="The day.")
]
Days = Annotated[list[date], typer.Argument(metavar="DATE...", parser=parse_day, autocompletion=stored_days,
                                            help="Days: YYYY-MM-DD, today...")]
OneId = Annotated[str, typer.Argument(metavar="ID", autocompletion=day_ids,
                                      help="An arXiv id or URL of an entry of that day.")]
Model = Annotated[str | None, typer.Option(help="Model name (env DIGEST_MODEL).")]
BaseUrl = Annotated[
    str | None, typer.Option(help="OpenAI-compatible server, e.g. http://localhost:11434/v1 (env OPENAI_BASE_URL).")
]
Concurrency = Annotated[
    int | None, typer.Option(metavar="N", parser=whole_number(1), help="Model calls in flight (default 8).")
]
Temperature = Annotated[
    float | None, typer.Option(parser=number(0), help="Sampling temperature (not sent unless set).")
]
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
    typer.Option(help="Replay all HTTP (arXiv, the Hub and the model) from this vcrpy cassette; with --record, "
                      "record into it."),
]
Record = Annotated[bool, typer.Option(help="With --cassette: record a live run into the cassette.")]
StrictReplay = Annotated[
    bool,
    typer.Option("--strict-replay", envvar="DIGEST_STRICT_REPLAY",
                 help="With --cassette: fail on a model request whose prompt was not recorded, instead of answering it "
                      "with the answer recorded for the same paper and model."),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the final line.")]
Language = Annotated[
    str | None,
    typer.Option(metavar="NAME", help="Write the summaries and questions in this language, e.g. Korean (env "
                 "DIGEST_LANGUAGE; default: the prompts' own, English)."),
]
MaxCost = Annotated[
    float | None,
    typer.Option("--max-cost", metavar="USD", parser=number(0),
                 help="Stop before a model call that would take the run's estimated spend past this many US$ (env "
                 "DIGEST_MAX_COST); what finished is kept."),
]
DryRun = Annotated[
    bool,
    typer.Option("--dry-run", help="Fetch the metadata (and the Hub's listing), ask no model, write nothing: print "
                 "the papers a run would summarise with estimated tokens and cost."),
]
def _errors_as_json(ctx: typer.Context, value: bool) -> bool:
    """With --json, the app's error handler prints an error as JSON on stdout too (session.JSON_ERRORS)."""
    ctx.meta["digest.json"] = value
    return value


AsJson = Annotated[
    bool, typer.Option("--json", callback=_errors_as_json, help="Print a machine-readable run summary on stdout.")
]
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
HubLimit = Annotated[int | None, typer.Option("--limit", metavar="N", parser=whole_number(1),
                                              help="With --from-hf: the first N papers only.")]
MinUpvotes = Annotated[
    int | None, typer.Option("--min-upvotes", metavar="N", parser=whole_number(0),
                             help="With --from-hf: only papers with at least N upvotes.")
]
Position = Annotated[int, typer.Option("--to", metavar="N", parser=whole_number(1), help="The new 1-based position.")]


@dataclass(frozen=True)
class ModelOptions:
    """The options of every command that asks the model for summaries: the server, the prompts, the output folder
    and the cassette."""

    model: Model = None
    base_url: BaseUrl = None
    temperature: Temperature = None
    prompts: Prompts = None
    output_dir: OutputDir = None
    cassette: Cassette = None
    record: Record = False
    language: Language = None

    def settings_flags(self) -> dict[str, Any]:
        """The flags as settings (None: not given, so the environment and digest.toml decide)."""
        return {"model": self.model, "base_url": self.base_url, "temperature": self.temperature,
                "prompts_dir": self.prompts, "output_dir": self.output_dir, "language": self.language}


@dataclass(frozen=True)
class RunOptions(ModelOptions):
    """The options of the commands that summarise papers as they run (new, resume, regen, add)."""

    concurrency: Concurrency = None
    strict_replay: StrictReplay = False
    source: Source = SourceKind.abstract
    verify: Verify = False
    authors: Authors = None
    quiet: Quiet = False
    as_json: AsJson = False
    dry_run: DryRun = False
    max_cost: MaxCost = None

    def settings_flags(self) -> dict[str, Any]:
        return {**super().settings_flags(), "concurrency": self.concurrency, "authors_style": style(self.authors),
                "max_cost": self.max_cost}


def takes(bundle: type) -> Callable[[Callable], Callable]:
    """Give a command the options of `bundle` (a dataclass of the option types above), defined once for every
    command that takes them; the command receives them as one argument, `options`. typer reads a command's
    parameters from its signature, so the bundle's fields are added to it."""
    hints = get_type_hints(bundle, include_extras=True)
    added = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, annotation=hints[f.name], default=f.default)
             for f in fields(bundle)]

    def decorate(command: Callable) -> Callable:
        signature = inspect.signature(command, eval_str=True)
        own = [p for name, p in signature.parameters.items() if name != "options"]

        @functools.wraps(command)
        def with_options(*args: Any, **kwargs: Any) -> Any:
            options = bundle(**{f.name: kwargs.pop(f.name) for f in fields(bundle)})
            return command(*args, options=options, **kwargs)

        with_options.__signature__ = signature.replace(parameters=[*own, *added])  # type: ignore[attr-defined]
        return with_options

    return decorate


def style(value: AuthorsStyle | None) -> str | None:
    """The --authors flag as a setting (None: not given, so env and digest.toml decide)."""
    return value.value if value is not None else None
