"""The `digest` command line: one small function per command, exit codes and progress display.
Heavy modules (openai, arxiv, pydantic models) are imported inside commands so `digest --help` stays fast."""

from __future__ import annotations

import re
import sys
import time
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


def say(message: str) -> None:
    out.print(message, markup=False)


# ---------------------------------------------------------------------------------------------- network commands
@app.command()
def new(
    day: Day,
    ids: Annotated[list[str] | None, typer.Argument(metavar="ID...", help="arXiv ids or URLs.")] = None,
    ids_file: Annotated[
        str | None, typer.Option("--ids-file", help="Read ids from FILE (or - for stdin): one a line, # comments.")
    ] = None,
    model: Model = None,
    base_url: BaseUrl = None,
    concurrency: Concurrency = None,
    temperature: Temperature = None,
    prompts: Prompts = None,
    output_dir: OutputDir = None,
    cassette: Cassette = None,
    record: Record = False,
    force: Annotated[bool, typer.Option(help="Overwrite an existing output/DATE.json (kept in the history).")] = False,
    source: Source = "abstract",
    verify: Verify = False,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Create a day's digest from arXiv ids: fetch metadata, summarise each paper, write DATE.json and DATE.md.

    Running it again for a day that exists with the same ids resumes it: only missing and failed papers are done.
    Example: digest new 2024-10-08 2410.05258 arXiv:2410.02707 https://huggingface.co/papers/2410.04364
    """
    started = time.monotonic()
    with user_errors():
        from . import pipeline

        the_day = parse_day(day)
        _check_source(source)
        raw_ids = list(ids or []) + _read_ids_file(ids_file)
        settings = load_settings(model, base_url, concurrency, temperature, prompts, output_dir)
        with network_run(settings, cassette, record, quiet) as (run_settings, display):
            report = pipeline.create_digest(
                the_day, raw_ids, run_settings, clock=datetime.now, force=force, source=source, verify=verify,
                progress=display,
            )
    _finish(report, settings, "new", f"Wrote {report.markdown_path}", as_json, started)


@app.command()
def resume(
    day: Day,
    model: Model = None,
    base_url: BaseUrl = None,
    concurrency: Concurrency = None,
    temperature: Temperature = None,
    prompts: Prompts = None,
    output_dir: OutputDir = None,
    cassette: Cassette = None,
    record: Record = False,
    source: Source = "abstract",
    verify: Verify = False,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Finish an interrupted or partly failed day: only missing and failed papers are fetched and summarised.

    Example: digest resume 2024-10-10
    """
    started = time.monotonic()
    with user_errors():
        from . import pipeline

        the_day = parse_day(day)
        _check_source(source)
        settings = load_settings(model, base_url, concurrency, temperature, prompts, output_dir)
        with network_run(settings, cassette, record, quiet) as (run_settings, display):
            report = pipeline.resume(the_day, run_settings, clock=datetime.now, source=source, verify=verify,
                                     progress=display)
    _finish(report, settings, "resume", f"Resumed {report.markdown_path}", as_json, started)


@app.command()
def regen(
    day: Day,
    ids: Annotated[list[str] | None, typer.Argument(metavar="ID...", help="Entries to regenerate.")] = None,
    all_failed: Annotated[
        bool, typer.Option("--all-failed", help="Also regenerate every entry without a summary.")
    ] = False,
    hint: Annotated[str, typer.Option(help="A note for the model, passed through the prompt templates.")] = "",
    source: Source = "abstract",
    model: Model = None,
    base_url: BaseUrl = None,
    concurrency: Concurrency = None,
    temperature: Temperature = None,
    prompts: Prompts = None,
    output_dir: OutputDir = None,
    cassette: Cassette = None,
    record: Record = False,
    force: Annotated[
        bool, typer.Option(help="Regenerate entries edited by hand, and overwrite a hand-edited DATE.md.")
    ] = False,
    verify: Verify = False,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Ask the model again for one or more entries; every other row of DATE.md stays byte-identical.

    Example: digest regen 2024-10-08 2410.05258 --hint "state the TREC accuracy gain"
    """
    started = time.monotonic()
    with user_errors():
        from . import pipeline

        the_day = parse_day(day)
        _check_source(source)
        settings = load_settings(model, base_url, concurrency, temperature, prompts, output_dir)
        with network_run(settings, cassette, record, quiet) as (run_settings, display):
            report = pipeline.regenerate(
                the_day, ids or [], run_settings, clock=datetime.now, all_failed=all_failed, hint=hint, force=force,
                source=source, verify=verify, progress=display,
            )
    done = f"Regenerated {', '.join(e.id for e in report.processed)} in {report.markdown_path}"
    _finish(report, settings, "regen", done, as_json, started)


@app.command()
def add(
    day: Day,
    ids: Annotated[list[str], typer.Argument(metavar="ID...", help="arXiv ids or URLs to add.")],
    at: Annotated[int | None, typer.Option(help="1-based position for the first new entry (default: the end).")] = None,
    source: Source = "abstract",
    model: Model = None,
    base_url: BaseUrl = None,
    concurrency: Concurrency = None,
    temperature: Temperature = None,
    prompts: Prompts = None,
    output_dir: OutputDir = None,
    cassette: Cassette = None,
    record: Record = False,
    force: Annotated[bool, typer.Option(help="Overwrite a hand-edited DATE.md.")] = False,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Fetch and summarise late papers into an existing day.

    Example: digest add 2024-10-08 2410.07000 --at 1
    """
    started = time.monotonic()
    with user_errors():
        from . import pipeline

        the_day = parse_day(day)
        _check_source(source)
        settings = load_settings(model, base_url, concurrency, temperature, prompts, output_dir)
        with network_run(settings, cassette, record, quiet) as (run_settings, display):
            report = pipeline.add_papers(the_day, ids, run_settings, clock=datetime.now, at=at, force=force,
                                         source=source, progress=display)
    done = f"Added {', '.join(e.id for e in report.processed)} to {report.markdown_path}"
    _finish(report, settings, "add", done, as_json, started)


def load_settings(model, base_url, concurrency, temperature, prompts, output_dir):
    return config.load(
        {"model": model, "base_url": base_url, "concurrency": concurrency, "temperature": temperature,
         "prompts_dir": prompts, "output_dir": output_dir}
    )


def _check_source(source: str) -> None:
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


def _finish(report, settings, command: str, done: str, as_json: bool, started: float) -> None:
    """The run's outcome: one `Failed:` line per failed paper and an error line (exit 1), or the success line;
    with --json, a machine-readable summary on stdout as well."""
    import json

    from .pricing import estimate

    usage = report.usage
    cost, unpriced = estimate([e for e in report.processed if e.id not in report.failed], settings.prices)
    if as_json:
        summary = {
            "command": command,
            "date": report.digest.date,
            "markdown": str(report.markdown_path),
            "json": str(report.json_path),
            "papers": len(report.processed),
            "succeeded": len(report.processed) - len(report.failed),
            "failed": [{"id": arxiv_id, "error": message} for arxiv_id, message in report.failed.items()],
            "dropped_duplicates": [str(i) for i in report.dropped],
            "arxiv_requests": report.arxiv_requests,
            "retries": report.retries,
            "usage": usage.model_dump(),
            "estimated_cost_usd": None if unpriced and not cost else round(cost, 6),
            "unverified": report.unverified,
            "unpriced_models": unpriced,
            "elapsed_seconds": round(time.monotonic() - started, 3),
        }
        out.print_json(json.dumps(summary))
    for arxiv_id, figures in report.unverified.items():
        err.print(f"Warning: {arxiv_id}: {figures} even after one regeneration (--verify)", markup=False)
    for arxiv_id, message in report.failed.items():
        err.print(f"Failed: {arxiv_id}: {message}", markup=False)
    if report.failed:
        ok = len(report.processed) - len(report.failed)
        err.print(
            f"Error: {len(report.failed)} of {len(report.processed)} papers failed; {report.markdown_path} has "
            f"the other {ok} and {report.json_path} records the failures.",
            markup=False,
        )
        raise typer.Exit(1)
    if as_json:
        return
    if not report.processed:
        say(f"Nothing to do: every paper of {report.json_path} already has its summary")
        return
    price = f"; est. ${cost:.4f}" if not unpriced else f"; no price for {', '.join(unpriced)} (add it to digest.toml)"
    retries = f", {report.retries} retries" if report.retries else ""
    say(f"{done} ({len(report.processed)} papers, {usage.total_tokens:,} tokens: "
        f"{usage.prompt_tokens:,} in, {usage.completion_tokens:,} out{price}{retries})")


# The other commands register themselves on `app` when their modules are imported.
from . import cli_batch, cli_days  # noqa: E402, F401
