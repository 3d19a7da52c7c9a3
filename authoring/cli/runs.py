"""The commands that call arXiv and the model: new, resume, regen, add. Each takes the run options (options.RunOptions)
and reports through cli.reports."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from authoring.cli.completion import day_ids
from authoring.cli.options import Day, FromHf, HubLimit, MinUpvotes, OverEdits, RunOptions, takes
from authoring.cli.reports import Outcome, finish, show_estimate
from authoring.cli.session import NetworkRun, interrupted_means, load_settings, network_run
from authoring.errors import DigestError

commands = typer.Typer()
Ids = Annotated[list[str] | None, typer.Argument(metavar="ID...", help="arXiv ids or URLs; - reads stdin.")]


@commands.command()
@takes(RunOptions)
def new(
    ctx: typer.Context,
    day: Day,
    ids: Ids = None,
    ids_file: Annotated[
        str | None, typer.Option("--ids-file", help="Read ids from FILE (or - for stdin): one a line, # comments.")
    ] = None,
    force: Annotated[bool, typer.Option(help="Overwrite an existing output/DATE.json (kept in the history).")] = False,
    from_hf: FromHf = False,
    limit: HubLimit = None,
    min_upvotes: MinUpvotes = None,
    *,
    options: RunOptions,
) -> None:
    """Create a day's digest from arXiv ids: fetch metadata, summarise each paper, write DATE.json and DATE.md.

    Running it again for a day that exists with the same ids resumes it: only missing and failed papers are done.
    With --from-hf the ids are the day's HuggingFace daily papers, in the Hub's order (ids given are added after).
    Example: digest new 2024-10-08 2410.05258 arXiv:2410.02707 https://huggingface.co/papers/2410.04364
    Example: digest new today --from-hf --min-upvotes 5 --authors hf
    """
    _hub_options(from_hf, limit, min_upvotes)
    interrupted_means(ctx, _interrupted(day))
    from authoring.runs import pipeline

    raw_ids = _expand_stdin(list(ids or [])) + _read_ids_file(ids_file)

    def work(run: NetworkRun, hub):
        return pipeline.create_digest(day, (hub.ids if hub else []) + raw_ids, run.settings, clock=datetime.now,
                                      force=force, source=options.source.value, verify=options.verify,
                                      progress=run.display, hub=hub.hub if hub else None)

    def plan(run: NetworkRun, hub):
        from authoring.runs import dry_run

        return dry_run.plan_new(day, (hub.ids if hub else []) + raw_ids, run.settings, force=force,
                                source=options.source.value)

    _run("new", options, work, lambda report: f"Wrote {report.markdown_path}",
         hub=_hub_query(day, from_hf, limit, min_upvotes, options.dry_run), plan=plan)


@commands.command()
@takes(RunOptions)
def resume(ctx: typer.Context, day: Day, *, options: RunOptions) -> None:
    """Finish an interrupted or partly failed day: only missing and failed papers are fetched and summarised.

    Example: digest resume 2024-10-10
    """
    interrupted_means(ctx, _interrupted(day))
    from authoring.runs import pipeline

    def work(run: NetworkRun, hub):
        return pipeline.resume(day, run.settings, clock=datetime.now, source=options.source.value,
                               verify=options.verify, progress=run.display)

    def plan(run: NetworkRun, hub):
        from authoring.runs import dry_run

        return dry_run.plan_resume(day, run.settings, source=options.source.value)

    _run("resume", options, work, lambda report: f"Resumed {report.markdown_path}", plan=plan)


@commands.command()
@takes(RunOptions)
def regen(
    ctx: typer.Context,
    day: Day,
    ids: Annotated[
        list[str] | None, typer.Argument(metavar="ID...", autocompletion=day_ids, help="Entries to regenerate.")
    ] = None,
    all_failed: Annotated[
        bool, typer.Option("--all-failed", help="Also regenerate every entry without a summary.")
    ] = False,
    hint: Annotated[str, typer.Option(help="A note for the model, passed through the prompt templates.")] = "",
    force: Annotated[
        bool, typer.Option(help="Regenerate entries edited by hand, and overwrite a hand-edited DATE.md.")
    ] = False,
    *,
    options: RunOptions,
) -> None:
    """Ask the model again for one or more entries; every other row of DATE.md stays byte-identical.

    Example: digest regen 2024-10-08 2410.05258 --hint "state the TREC accuracy gain"
    """
    if not ids and not all_failed:
        raise typer.BadParameter("name entries to regenerate, or pass --all-failed", param_hint="'ID...'")
    interrupted_means(ctx, _interrupted(day, regen=True))
    from authoring.runs import pipeline

    def work(run: NetworkRun, hub):
        return pipeline.regenerate(day, ids or [], run.settings, clock=datetime.now, all_failed=all_failed, hint=hint,
                                   force=force, source=options.source.value, verify=options.verify,
                                   progress=run.display)

    def plan(run: NetworkRun, hub):
        from authoring.runs import dry_run

        return dry_run.plan_regen(day, ids or [], run.settings, all_failed=all_failed, hint=hint, force=force,
                                  source=options.source.value)

    _run("regen", options, work,
         lambda report: f"Regenerated {', '.join(e.id for e in report.processed)} in {report.markdown_path}",
         plan=plan)


@commands.command()
@takes(RunOptions)
def add(
    ctx: typer.Context,
    day: Day,
    ids: Annotated[list[str] | None, typer.Argument(metavar="ID...", help="arXiv ids or URLs to add.")] = None,
    at: Annotated[int | None, typer.Option(help="1-based position for the first new entry (default: the end).")] = None,
    force: OverEdits = False,
    from_hf: FromHf = False,
    limit: HubLimit = None,
    min_upvotes: MinUpvotes = None,
    *,
    options: RunOptions,
) -> None:
    """Fetch and summarise late papers into an existing day.

    With --from-hf: the papers the Hub lists for the day that the digest does not have yet.
    Example: digest add 2024-10-08 2410.07000 --at 1
    """
    _hub_options(from_hf, limit, min_upvotes)
    interrupted_means(ctx, _interrupted(day))
    from authoring.runs import pipeline

    def work(run: NetworkRun, hub):
        return pipeline.add_papers(day, (hub.ids if hub else []) + list(ids or []), run.settings, clock=datetime.now,
                                   at=at, force=force, source=options.source.value, verify=options.verify,
                                   progress=run.display, hub=hub.hub if hub else None)

    def plan(run: NetworkRun, hub):
        from authoring.runs import dry_run

        return dry_run.plan_add(day, (hub.ids if hub else []) + list(ids or []), run.settings,
                                source=options.source.value)

    _run("add", options, work,
         lambda report: f"Added {', '.join(e.id for e in report.processed)} to {report.markdown_path}",
         hub=_hub_query(day, from_hf, limit, min_upvotes, options.dry_run), plan=plan)


def _run(command: str, options: RunOptions, work: Callable, done: Callable, hub: Callable | None = None,
         plan: Callable | None = None) -> None:
    """Settings from the options, the run inside its cassette and progress display (after the Hub's selection, if
    any), then the one report of the outcome (cli.reports). A failed --record keeps the previous cassette. With
    --dry-run, `plan` replaces `work`: the estimate is the outcome."""
    started = time.monotonic()
    settings = load_settings(**options.settings_flags())
    if options.dry_run and options.record:
        raise typer.BadParameter("a dry run asks no model: there is nothing to record", param_hint="'--record'")
    with network_run(settings, options.cassette, options.record, options.quiet, options.strict_replay) as run:
        selection = hub(run) if hub else None
        if options.dry_run and plan is not None:
            estimate = plan(run, selection)
        else:
            report = work(run, selection)
    if options.dry_run and plan is not None:
        show_estimate(command, estimate, options.as_json)
        return
    finish(Outcome(report, command, done(report), started, settings.prices, selection), options.as_json)


def _hub_options(from_hf: bool, limit: int | None, min_upvotes: int | None) -> None:
    """--limit and --min-upvotes select from the Hub's listing: without --from-hf they are a usage error."""
    if not from_hf and (limit is not None or min_upvotes is not None):
        given = "--limit" if limit is not None else "--min-upvotes"
        raise typer.BadParameter("selects from the Hub's listing; add --from-hf", param_hint=f"'{given}'")


def _hub_query(day, from_hf: bool, limit: int | None, min_upvotes: int | None, dry_run: bool) -> Callable | None:
    """With --from-hf, how to ask the Hub for the day's selection inside the run (and its cassette, if any)."""
    if not from_hf:
        return None

    def ask(run: NetworkRun):
        from authoring.runs import pipeline

        return pipeline.papers_from_hub(day, run.settings, limit=limit, min_upvotes=min_upvotes, progress=run.display,
                                        dry_run=dry_run)

    return ask


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
