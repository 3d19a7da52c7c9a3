"""`digest batch submit | status | collect`: backfills through the OpenAI Batch API."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from authoring.cli.options import BaseUrl, Cassette, Days, ModelOptions, OutputDir, Record, takes
from authoring.cli.session import load_settings, network_run, say, warn

commands = typer.Typer(
    help="Backfill many days through the OpenAI Batch API: submit, check status, collect.", no_args_is_help=True
)


@commands.command("submit")
@takes(ModelOptions)
def batch_submit(
    the_days: Days,
    ids_dir: Annotated[
        Path | None, typer.Option(help="Folder of DATE.txt ids files for days that do not exist yet.")
    ] = None,
    *,
    options: ModelOptions,
) -> None:
    """Send every entry without a summary in the given days as one Batch API job.

    Example: digest batch submit 2024-10-08 2024-10-09 --ids-dir hf-daily/
    """
    from authoring.runs import batches

    settings = load_settings(**options.settings_flags())
    with network_run(settings, options.cassette, options.record, True) as (run_settings, _):
        batch_record, notices = batches.submit(the_days, run_settings, ids_dir=ids_dir, clock=datetime.now)
    for notice in notices:
        warn(notice)
    if batch_record is None:
        say("Nothing to submit: every entry of these days has a summary or is already in a batch")
        return
    requests = sum(len(ids) for ids in batch_record.requests.values())
    say(f"Submitted {batch_record.id}: {requests} request{'' if requests == 1 else 's'} for "
        f"{', '.join(batch_record.requests)}; check it with `digest batch status`, merge it with "
        "`digest batch collect`")


@commands.command("status")
def batch_status(
    batch_id: Annotated[str | None, typer.Argument(metavar="[BATCH_ID]", help="One batch (default: all).")] = None,
    base_url: BaseUrl = None,
    output_dir: OutputDir = None,
    cassette: Cassette = None,
    record: Record = False,
) -> None:
    """Show the state of submitted batches that are not collected yet. Example: digest batch status"""
    from authoring.runs import batches

    settings = load_settings(base_url=base_url, output_dir=output_dir)
    with network_run(settings, cassette, record, True) as (run_settings, _):
        found = batches.status(run_settings, batch_id)
    if not found:
        say("No batches waiting to be collected")
    for batch_record, batch in found:
        counts = batch.request_counts
        done = f"{counts.completed}/{counts.total} done, {counts.failed} failed" if counts else "no counts yet"
        say(f"{batch_record.id}  {batch.status}  {done}  days: {', '.join(batch_record.requests)}")


@commands.command("collect")
def batch_collect(
    batch_id: Annotated[str | None, typer.Argument(metavar="[BATCH_ID]", help="One batch (default: all).")] = None,
    base_url: BaseUrl = None,
    output_dir: OutputDir = None,
    cassette: Cassette = None,
    record: Record = False,
) -> None:
    """Merge finished batches into their days, exactly as interactive runs write entries.

    Failed requests are reported and recorded on their entries; `digest batch submit` or `digest resume` retries
    them. Example: digest batch collect
    """
    from authoring.runs import batches

    settings = load_settings(base_url=base_url, output_dir=output_dir)
    with network_run(settings, cassette, record, True) as (run_settings, _):
        reports, waiting = batches.collect(run_settings, datetime.now, batch_id)
    for line in waiting:
        say(f"Waiting: {line}")
    failed = 0
    for report in reports:
        for arxiv_id, kept in report.conflicts.items():
            warn(f"Warning: {report.digest.date} {arxiv_id} changed since it was submitted (edited, or summarised "
                 f"meanwhile); that change is kept, and the batch's summary is in {kept}")
        for arxiv_id, message in report.failed.items():
            warn(f"Failed: {report.digest.date} {arxiv_id}: {message}")
        failed += len(report.failed)
        ok = len(report.processed) - len(report.failed) - len(report.conflicts)
        say(f"Collected {ok} of {len(report.processed)} into {report.markdown_path}")
    if failed:
        warn(f"Error: {failed} batch request{'' if failed == 1 else 's'} failed; retry them with "
             "`digest batch submit` or `digest resume`")
        raise typer.Exit(1)
    if not reports and not waiting:
        say("No batches to collect")
