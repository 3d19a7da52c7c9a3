"""The `digest` command line: one small function per command, exit codes and progress display.
Heavy modules (openai, arxiv, pydantic models) are imported inside commands so `digest --help` stays fast."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import date, datetime
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
        raise typer.Exit(130) from None


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


Cassette = Annotated[
    Path | None,
    typer.Option(help="Replay all HTTP (arXiv and model) from this vcrpy cassette; with --record, record into it."),
]


@app.command()
def new(
    day: Annotated[str, typer.Argument(metavar="DATE", help="The digest's day, YYYY-MM-DD.")],
    ids: Annotated[list[str] | None, typer.Argument(metavar="ID...", help="arXiv ids or URLs.")] = None,
    ids_file: Annotated[
        str | None,
        typer.Option("--ids-file", help="Read ids from FILE (or - for stdin): one a line, # comments."),
    ] = None,
    model: Annotated[str | None, typer.Option(help="Model name (env DIGEST_MODEL).")] = None,
    base_url: Annotated[
        str | None,
        typer.Option(help="OpenAI-compatible server, e.g. http://localhost:11434/v1 (env OPENAI_BASE_URL)."),
    ] = None,
    concurrency: Annotated[int | None, typer.Option(help="Model calls in flight (default 8).")] = None,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature (not sent unless set).")] = None,
    prompts: Annotated[Path | None, typer.Option(help="Folder of prompt templates overriding the defaults.")] = None,
    output_dir: Annotated[Path | None, typer.Option(help="Folder for DATE.json and DATE.md (default output/).")] = None,
    cassette: Cassette = None,
    record: Annotated[bool, typer.Option(help="With --cassette: record a live run into the cassette.")] = False,
    force: Annotated[bool, typer.Option(help="Overwrite an existing output/DATE.json.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print only errors and the final line.")] = False,
) -> None:
    """Create a day's digest from arXiv ids: fetch metadata, summarise each paper, write DATE.json and DATE.md.

    Example: digest new 2024-10-08 2410.05258 arXiv:2410.02707 https://huggingface.co/papers/2410.04364
    """
    with user_errors():
        from . import pipeline, replay

        the_day = parse_day(day)
        raw_ids = list(ids or []) + _read_ids_file(ids_file)
        settings = config.load(
            {"model": model, "base_url": base_url, "concurrency": concurrency, "temperature": temperature,
             "prompts_dir": prompts, "output_dir": output_dir}
        )
        if record and cassette is None:
            raise DigestError("--record needs --cassette PATH to record into")
        if cassette is not None:
            settings = replay.replay_settings(settings, record)
        display = _progress(quiet)
        with replay.cassette(cassette, record=record) if cassette else nullcontext(), display:
            report = pipeline.create_digest(
                the_day, raw_ids, settings, clock=datetime.now, force=force, progress=display
            )
    _finish(report, quiet)


def _read_ids_file(ids_file: str | None) -> list[str]:
    from .ids import read_id_lines

    if ids_file is None:
        return []
    if ids_file == "-":
        return read_id_lines(sys.stdin.read())
    try:
        return read_id_lines(Path(ids_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise DigestError(f"cannot read ids file {ids_file}: {getattr(error, 'strerror', None) or error}") from None


def _finish(report, quiet: bool) -> None:
    usage = report.usage
    ok = len(report.digest.entries) - len(report.failures)
    for entry in report.failures:
        err.print(f"Failed: {entry.id}: {entry.error}", markup=False)
    if report.failures:
        err.print(
            f"Error: {len(report.failures)} of {len(report.digest.entries)} papers failed; "
            f"{report.markdown_path} has the other {ok} and {report.json_path} records the failures.",
            markup=False,
        )
        raise typer.Exit(1)
    out.print(
        f"Wrote {report.markdown_path} ({ok} papers, {usage.total_tokens:,} tokens: "
        f"{usage.prompt_tokens:,} in, {usage.completion_tokens:,} out)",
        markup=False,
    )


def _progress(quiet: bool):
    from .progress import PlainProgress, QuietProgress, RichProgress

    if quiet:
        return QuietProgress()
    return RichProgress(err) if err.is_terminal else PlainProgress(err)
