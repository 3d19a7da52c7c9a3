"""The commands that call arXiv and the model: new, resume, regen, add."""

from __future__ import annotations

import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from authoring.cli.options import (
    AsJson,
    Authors,
    BaseUrl,
    Cassette,
    Concurrency,
    Day,
    FromHf,
    HubLimit,
    MinUpvotes,
    Model,
    OutputDir,
    OverEdits,
    Prompts,
    Quiet,
    Record,
    Source,
    StrictReplay,
    Temperature,
    Verify,
    style,
)
from authoring.cli.session import load_settings, network_run, out, say, user_errors, warn
from authoring.errors import DigestError
from authoring.text import count

commands = typer.Typer()


@commands.command()
def new(
    day: Day,
    ids: Annotated[list[str] | None, typer.Argument(metavar="ID...", help="arXiv ids or URLs; - reads stdin.")] = None,
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
    strict_replay: StrictReplay = False,
    force: Annotated[bool, typer.Option(help="Overwrite an existing output/DATE.json (kept in the history).")] = False,
    source: Source = "abstract",
    verify: Verify = False,
    from_hf: FromHf = False,
    limit: HubLimit = None,
    min_upvotes: MinUpvotes = None,
    authors: Authors = None,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Create a day's digest from arXiv ids: fetch metadata, summarise each paper, write DATE.json and DATE.md.

    Running it again for a day that exists with the same ids resumes it: only missing and failed papers are done.
    With --from-hf the ids are the day's HuggingFace daily papers, in the Hub's order (ids given are added after).
    Example: digest new 2024-10-08 2410.05258 arXiv:2410.02707 https://huggingface.co/papers/2410.04364
    Example: digest new today --from-hf --min-upvotes 5 --authors hf
    """
    started = time.monotonic()
    _hub_options(from_hf, limit, min_upvotes)
    with user_errors(interrupted=_interrupted(day), as_json=as_json):
        from authoring.runs import pipeline

        raw_ids = _expand_stdin(list(ids or [])) + _read_ids_file(ids_file)
        settings = load_settings(model=model, base_url=base_url, concurrency=concurrency, temperature=temperature,
                                 prompts_dir=prompts, output_dir=output_dir, authors_style=style(authors))
        with network_run(settings, cassette, record, quiet, strict_replay) as run:
            run_settings, display = run
            hub = _from_hub(day, run_settings, display, from_hf, limit, min_upvotes)
            report = pipeline.create_digest(
                day, (hub.ids if hub else []) + raw_ids, run_settings, clock=datetime.now, force=force,
                source=source.value, verify=verify, progress=display, hub=hub.hub if hub else None,
            )
    _finish(report, settings, "new", f"Wrote {report.markdown_path}", as_json, started, hub)


@commands.command()
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
    strict_replay: StrictReplay = False,
    source: Source = "abstract",
    verify: Verify = False,
    authors: Authors = None,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Finish an interrupted or partly failed day: only missing and failed papers are fetched and summarised.

    Example: digest resume 2024-10-10
    """
    started = time.monotonic()
    with user_errors(interrupted=_interrupted(day), as_json=as_json):
        from authoring.runs import pipeline

        settings = load_settings(model=model, base_url=base_url, concurrency=concurrency, temperature=temperature,
                                 prompts_dir=prompts, output_dir=output_dir, authors_style=style(authors))
        with network_run(settings, cassette, record, quiet, strict_replay) as run:
            run_settings, display = run
            report = pipeline.resume(day, run_settings, clock=datetime.now, source=source.value, verify=verify,
                                     progress=display)
    _finish(report, settings, "resume", f"Resumed {report.markdown_path}", as_json, started)


@commands.command()
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
    strict_replay: StrictReplay = False,
    force: Annotated[
        bool, typer.Option(help="Regenerate entries edited by hand, and overwrite a hand-edited DATE.md.")
    ] = False,
    verify: Verify = False,
    authors: Authors = None,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Ask the model again for one or more entries; every other row of DATE.md stays byte-identical.

    Example: digest regen 2024-10-08 2410.05258 --hint "state the TREC accuracy gain"
    """
    if not ids and not all_failed:
        raise typer.BadParameter("name entries to regenerate, or pass --all-failed", param_hint="'ID...'")
    started = time.monotonic()
    with user_errors(interrupted=_interrupted(day, regen=True), as_json=as_json):
        from authoring.runs import pipeline

        settings = load_settings(model=model, base_url=base_url, concurrency=concurrency, temperature=temperature,
                                 prompts_dir=prompts, output_dir=output_dir, authors_style=style(authors))
        with network_run(settings, cassette, record, quiet, strict_replay) as run:
            run_settings, display = run
            report = pipeline.regenerate(
                day, ids or [], run_settings, clock=datetime.now, all_failed=all_failed, hint=hint, force=force,
                source=source.value, verify=verify, progress=display,
            )
    done = f"Regenerated {', '.join(e.id for e in report.processed)} in {report.markdown_path}"
    _finish(report, settings, "regen", done, as_json, started)


@commands.command()
def add(
    day: Day,
    ids: Annotated[list[str] | None, typer.Argument(metavar="ID...", help="arXiv ids or URLs to add.")] = None,
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
    strict_replay: StrictReplay = False,
    force: OverEdits = False,
    from_hf: FromHf = False,
    limit: HubLimit = None,
    min_upvotes: MinUpvotes = None,
    authors: Authors = None,
    quiet: Quiet = False,
    as_json: AsJson = False,
) -> None:
    """Fetch and summarise late papers into an existing day.

    With --from-hf: the papers the Hub lists for the day that the digest does not have yet.
    Example: digest add 2024-10-08 2410.07000 --at 1
    """
    started = time.monotonic()
    _hub_options(from_hf, limit, min_upvotes)
    with user_errors(interrupted=_interrupted(day), as_json=as_json):
        from authoring.runs import pipeline

        settings = load_settings(model=model, base_url=base_url, concurrency=concurrency, temperature=temperature,
                                 prompts_dir=prompts, output_dir=output_dir, authors_style=style(authors))
        with network_run(settings, cassette, record, quiet, strict_replay) as run:
            run_settings, display = run
            hub = _from_hub(day, run_settings, display, from_hf, limit, min_upvotes)
            report = pipeline.add_papers(day, (hub.ids if hub else []) + list(ids or []), run_settings,
                                         clock=datetime.now, at=at, force=force, source=source.value,
                                         progress=display, hub=hub.hub if hub else None)
    done = f"Added {', '.join(e.id for e in report.processed)} to {report.markdown_path}"
    _finish(report, settings, "add", done, as_json, started, hub)


def _hub_options(from_hf: bool, limit: int | None, min_upvotes: int | None) -> None:
    """--limit and --min-upvotes select from the Hub's listing: without --from-hf they are a usage error."""
    if not from_hf and (limit is not None or min_upvotes is not None):
        given = "--limit" if limit is not None else "--min-upvotes"
        raise typer.BadParameter("selects from the Hub's listing; add --from-hf", param_hint=f"'{given}'")


def _from_hub(day, settings, display, from_hf: bool, limit: int | None, min_upvotes: int | None):
    """The Hub's selection for the day, or None without --from-hf (asked inside the run's cassette, if any)."""
    if not from_hf:
        return None
    from authoring.runs import pipeline

    return pipeline.papers_from_hub(day, settings, limit=limit, min_upvotes=min_upvotes, progress=display)


def _interrupted(day, regen: bool = False) -> str:
    if regen:
        return ("Interrupted; the entries regenerated so far are saved and rendered; the others keep their previous "
                "summary (run the same `digest regen` again for them).")
    return f"Interrupted; the finished entries are saved and rendered; `digest resume {day}` does the rest."


def _expand_stdin(ids: list[str]) -> list[str]:
    """A `-` among the ids stands for the ids on stdin, one a line."""
    from authoring.ids import read_id_lines

    if "-" not in ids:
        return ids
    index = ids.index("-")
    return ids[:index] + read_id_lines(sys.stdin.read()) + [i for i in ids[index + 1 :] if i != "-"]


def _read_ids_file(ids_file: str | None) -> list[str]:
    from authoring.ids import read_id_lines

    if ids_file is None:
        return []
    if ids_file == "-":
        return read_id_lines(sys.stdin.read())
    try:
        return read_id_lines(Path(ids_file).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise DigestError(f"cannot read ids file {ids_file}: {getattr(error, 'strerror', None) or error}") from None


def _finish(report, settings, command: str, done: str, as_json: bool, started: float, hub=None) -> None:
    """The run's outcome: one `Failed:` line per failed paper and an error line (exit 1), or the success line;
    with --json, a machine-readable summary on stdout as well."""
    import json

    from authoring.model.pricing import estimate

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
            "hub": None if hub is None else {"listed": hub.listed, "taken": len(hub.ids), "requests": hub.requests},
            "retries": report.retries,
            "usage": usage.model_dump(),
            "estimated_cost_usd": None if unpriced and not cost else round(cost, 6),
            "unverified": report.unverified,
            "conflicts": report.conflicts,
            "pending": report.pending,
            "markdown_state": "edited by hand, not re-rendered" if report.markdown_edited else "rendered",
            "unpriced_models": unpriced,
            "elapsed_seconds": round(time.monotonic() - started, 3),
        }
        out.print_json(json.dumps(summary))
    for arxiv_id, kept in report.conflicts.items():
        warn(f"Warning: {arxiv_id} was changed or removed by another command during the run; that change is "
             f"kept, and this run's summary is in {kept}")
    if report.markdown_edited:
        warn(f"Warning: {report.markdown_path} was edited by hand, so it was not re-rendered; take the edits "
             f"in with `digest import {report.markdown_path} --force`")
    for arxiv_id, figures in report.unverified.items():
        warn(f"Warning: {arxiv_id}: {figures} even after one regeneration (--verify)")
    for arxiv_id, message in report.failed.items():  # ("2410.99999 not found on arXiv" names its id already)
        warn(f"Failed: {message}" if message.startswith(f"{arxiv_id} ") else f"Failed: {arxiv_id}: {message}")
    if report.failed:
        rows = sum(1 for entry in report.digest.entries if entry.ok)
        kept = sum(1 for arxiv_id in report.failed if (entry := report.digest.entry(arxiv_id)) and entry.ok)
        kept_note = f" ({kept} of them kept their previous summary)" if kept else ""
        warn(f"Error: {len(report.failed)} of {count(len(report.processed), 'paper')} failed{kept_note}; "
             f"{report.markdown_path} has {count(rows, 'paper')} and {report.json_path} records the failures.")
        raise typer.Exit(1)
    if report.conflicts:
        many = len(report.conflicts) != 1
        warn(f"Error: {count(len(report.conflicts), 'result')} of this run {'were' if many else 'was'} not applied: "
             f"another command changed or removed {'those entries' if many else 'that entry'} meanwhile, and its "
             f"change stays (the run's {'summaries are' if many else 'summary is'} kept, see above).")
        raise typer.Exit(1)
    if as_json:
        return
    if not report.processed:
        rerendered = f"; re-rendered the stale {report.markdown_path}" if report.rerendered else ""
        why = report.idle or f"every paper of {report.json_path} already has its summary"
        say(f"Nothing to do: {why}{rerendered}")
        return
    price = f"; est. ${cost:.4f}" if not unpriced else f"; no price for {', '.join(unpriced)} (add it to digest.toml)"
    retries = f", {report.retries} retries" if report.retries else ""
    say(f"{done} ({count(len(report.processed), 'paper')}, {usage.total_tokens:,} tokens: "
        f"{usage.prompt_tokens:,} in, {usage.completion_tokens:,} out{price}{retries})")
