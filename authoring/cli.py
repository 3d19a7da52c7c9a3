"""The `digest` command line: one small function per command, exit codes and progress display.
Heavy modules (openai, arxiv, pydantic models) are imported inside commands so `digest --help` stays fast."""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from . import __version__, config
from .errors import DigestError, InvalidDateError

app = typer.Typer(
    help="Author daily digests of AI papers from arXiv ids with an LLM's help.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # a traceback must never print the API key
    add_completion=False,
)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

# Options shared by several commands.
Day = Annotated[str, typer.Argument(metavar="DATE", help="The digest's day, YYYY-MM-DD.")]
OneId = Annotated[str, typer.Argument(metavar="ID", help="An arXiv id or URL of an entry of that day.")]
Model = Annotated[str | None, typer.Option(help="Model name (env DIGEST_MODEL).")]
BaseUrl = Annotated[
    str | None, typer.Option(help="OpenAI-compatible server, e.g. http://localhost:11434/v1 (env OPENAI_BASE_URL).")
]
Concurrency = Annotated[int | None, typer.Option(help="Model calls in flight (default 8).")]
Temperature = Annotated[float | None, typer.Option(help="Sampling temperature (not sent unless set).")]
Prompts = Annotated[Path | None, typer.Option(help="Folder of prompt templates overriding the defaults.")]
OutputDir = Annotated[Path | None, typer.Option(help="Folder for DATE.json and DATE.md (default output/).")]
Cassette = Annotated[
    Path | None,
    typer.Option(help="Replay all HTTP (arXiv and model) from this vcrpy cassette; with --record, record into it."),
]
Record = Annotated[bool, typer.Option(help="With --cassette: record a live run into the cassette.")]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the final line.")]
AsJson = Annotated[bool, typer.Option("--json", help="Print a machine-readable run summary on stdout.")]
Source = Annotated[
    str, typer.Option(help="What the model reads: abstract, or pdf (the full text; falls back to the abstract).")
]
Verify = Annotated[
    bool, typer.Option(help="Regenerate once any entry whose figures are not in its source text; report the rest.")
]


@contextmanager
def user_errors() -> Iterator[None]:
    """Expected failures print `Error: <message>` and exit 1; Ctrl-C exits 130; DIGEST_DEBUG=1 re-raises."""
    try:
        yield
    except DigestError as error:
        if config.debug_enabled():
            raise
        err.print(f"Error: {error}", markup=False)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        if config.debug_enabled():
            raise
        err.print("Interrupted; finished entries are saved.", markup=False)
        _exit_now(130)


def _exit_now(code: int) -> None:
    """Exit without waiting for model calls still in flight in worker threads (Python would join them, for up to
    the model timeout): every finished entry is already on disk, and nothing else is pending."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def parse_day(text: str) -> date:
    """A DATE argument: a real calendar date written YYYY-MM-DD."""
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text.strip()):
        try:
            return date.fromisoformat(text.strip())
        except ValueError:
            pass
    raise InvalidDateError(f"{text!r} is not a date; write it as YYYY-MM-DD, e.g. 2024-10-08")


def version_callback(value: bool) -> None:
    if value:
        out.print(f"digest {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=version_callback, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Author daily digests of AI papers from arXiv ids with an LLM's help."""


def count(number: int, noun: str, plural: str | None = None) -> str:
    """'1 paper', '2 papers'; '1 entry', '2 entries'."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"


def say(message: str) -> None:
    out.print(message, markup=False)


def load_settings(**flags) -> config.Settings:
    """Settings from the command's flags (None: not given) over the environment and digest.toml."""
    return config.load(flags)


def check_source(source: str) -> None:
    if source not in ("abstract", "pdf"):
        raise DigestError(f"--source {source!r} is not a source; use --source abstract or --source pdf")


@contextmanager
def network_run(settings, cassette: Path | None, record: bool, quiet: bool):
    """Settings and progress display for a run, inside a cassette when one is given."""
    from . import replay
    from .progress import PlainProgress, QuietProgress, RichProgress

    if record and cassette is None:
        raise DigestError("--record needs --cassette PATH to record into")
    if cassette is not None:
        settings = replay.replay_settings(settings, record)
    display = QuietProgress() if quiet else RichProgress(err) if err.is_terminal else PlainProgress(err)
    with replay.cassette(cassette, record=record) if cassette else nullcontext(), display:
        yield settings, display


# The other commands register themselves on `app` when their modules are imported, in the order --help lists them.
from . import cli_runs  # noqa: E402, F401, I001
from . import cli_days  # noqa: E402, F401
from . import cli_batch  # noqa: E402, F401
