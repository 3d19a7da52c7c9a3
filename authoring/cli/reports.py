"""The one place a run's report (new, resume, regen, add) becomes what the user sees: warnings and `Failed:` lines
on stderr, the success line or `--json` summary on stdout, and the exit code."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import typer

from authoring.cli.session import out, say, warn
from authoring.pricing import CHARS_PER_TOKEN
from authoring.text import count

if TYPE_CHECKING:
    from authoring.runs.estimates import Estimate
    from authoring.runs.pipeline import HubSelection
    from authoring.runs.summarising import RunReport


@dataclass(frozen=True)
class Outcome:
    """A finished run as the CLI reports it."""

    report: RunReport
    command: str  # new, resume, regen, add
    done: str  # the success line's start: "Wrote output/2024-10-08.md"
    started: float  # time.monotonic() when the command started
    prices: dict[str, tuple[float, float]]
    hub: HubSelection | None = None  # the Hub's selection with --from-hf, or None


def finish(outcome: Outcome, as_json: bool) -> None:
    """Print the outcome and exit 1 when a paper failed or a result was not applied."""
    from authoring.pricing import estimate

    report = outcome.report
    cost, unpriced = estimate([e for e in report.processed if e.id not in report.failed], outcome.prices)
    if as_json:
        out.print_json(json.dumps(summary(outcome, cost, unpriced)))
    for line in warnings(outcome):
        warn(line)
    if error := failure(report):
        warn(error)
        raise typer.Exit(1)
    if not as_json:
        say(success(outcome, cost, unpriced))


def summary(outcome: Outcome, cost: float, unpriced: list[str]) -> dict:
    """The --json summary."""
    report, hub = outcome.report, outcome.hub
    return {
        "command": outcome.command,
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
        "usage": report.usage.model_dump(),
        "estimated_cost_usd": None if unpriced and not cost else round(cost, 6),
        "unverified": report.unverified,
        "conflicts": report.conflicts,
        "pending": report.pending,
        "markdown_state": "edited by hand, not re-rendered" if report.markdown_edited else "rendered",
        "unpriced_models": unpriced,
        "elapsed_seconds": round(time.monotonic() - outcome.started, 3),
    }


def warnings(outcome: Outcome) -> list[str]:
    """The stderr lines before the verdict: conflicts, a DATE.md left alone, unverified figures, failed papers."""
    report = outcome.report
    lines = [f"Warning: {arxiv_id} was changed or removed by another command during the run; that change is kept, "
             f"and this run's summary is in {kept}" for arxiv_id, kept in report.conflicts.items()]
    if report.markdown_edited:
        lines.append(f"Warning: {report.markdown_path} was edited by hand, so it was not re-rendered; take the edits "
                     f"in with `digest import {report.markdown_path} --force`")
    lines += [f"Warning: {arxiv_id}: {figures} even after one regeneration (--verify)"
              for arxiv_id, figures in report.unverified.items()]
    lines += [f"Failed: {message}" if message.startswith(f"{arxiv_id} ") else f"Failed: {arxiv_id}: {message}"
              for arxiv_id, message in report.failed.items()]  # ("2410.99999 not found on arXiv" names its id)
    return lines


def failure(report: RunReport) -> str | None:
    """The `Error:` line of a run that failed (exit 1), or None."""
    if report.failed:
        rows = sum(1 for entry in report.digest.entries if entry.ok)
        kept = sum(1 for arxiv_id in report.failed if (entry := report.digest.entry(arxiv_id)) and entry.ok)
        kept_note = f" ({kept} of them kept their previous summary)" if kept else ""
        return (f"Error: {len(report.failed)} of {count(len(report.processed), 'paper')} failed{kept_note}; "
                f"{report.markdown_path} has {count(rows, 'paper')} and {report.json_path} records the failures.")
    if report.conflicts:
        many = len(report.conflicts) != 1
        return (f"Error: {count(len(report.conflicts), 'result')} of this run {'were' if many else 'was'} not "
                f"applied: another command changed or removed {'those entries' if many else 'that entry'} "
                f"meanwhile, and its change stays (the run's {'summaries are' if many else 'summary is'} kept, see "
                "above).")
    return None


def success(outcome: Outcome, cost: float, unpriced: list[str]) -> str:
    """The final line of a run that succeeded: papers, tokens, estimated cost, retries; or why nothing was done."""
    report = outcome.report
    if not report.processed:
        rerendered = f"; re-rendered the stale {report.markdown_path}" if report.rerendered else ""
        why = report.idle or f"every paper of {report.json_path} already has its summary"
        return f"Nothing to do: {why}{rerendered}"
    usage = report.usage
    price = f"; est. ${cost:.4f}" if not unpriced else f"; no price for {', '.join(unpriced)} (add it to digest.toml)"
    retries = f", {report.retries} retries" if report.retries else ""
    return (f"{outcome.done} ({count(len(report.processed), 'paper')}, {usage.total_tokens:,} tokens: "
            f"{usage.prompt_tokens:,} in, {usage.completion_tokens:,} out{price}{retries})")


def show_estimate(command: str, estimate: Estimate, as_json: bool) -> None:
    """A dry run's outcome: the papers and their estimated tokens and cost on stdout (or as JSON); exit 0."""
    for notice in estimate.notices:
        warn(notice)
    if as_json:
        out.print_json(json.dumps(estimate_summary(command, estimate)))
        return
    if not estimate.papers:
        say(f"Nothing to do: {estimate.idle or 'no paper to summarise'} (dry run: nothing was asked or written)")
        return
    say(f"Would summarise {count(len(estimate.papers), 'paper')} for {estimate.day} with {estimate.model} (dry run: "
        "no model asked, nothing written):")
    for paper in estimate.papers:
        price = f"  ~${paper.cost:.4f}" if paper.cost is not None else ""
        say(f"  {paper.id}  {paper.title}  ~{paper.prompt_tokens:,} in + ~{paper.output_tokens:,} out tokens{price}")
    price = (f"~${estimate.cost:.4f}" if estimate.cost is not None
             else f"no price for {estimate.model} (add it to digest.toml)")
    say(f"Estimated: {count(len(estimate.papers), 'model call')}, ~{estimate.prompt_tokens:,} tokens in + "
        f"~{estimate.output_tokens:,} out, {price} (prompts measured from the rendered prompts at "
        f"{CHARS_PER_TOKEN} characters a token; answers: {estimate.output_basis})")
    taken = estimate.within_budget()
    if taken is not None and taken < len(estimate.papers):
        say(f"With --max-cost ${estimate.max_cost:g} the run would stop after {count(taken, 'paper')}.")


def estimate_summary(command: str, estimate: Estimate) -> dict:
    """The --json form of a dry run."""
    return {
        "command": command,
        "dry_run": True,
        "date": estimate.day,
        "model": estimate.model,
        "papers": [{"id": p.id, "title": p.title, "prompt_tokens": p.prompt_tokens, "output_tokens": p.output_tokens,
                    "estimated_cost_usd": None if p.cost is None else round(p.cost, 6)} for p in estimate.papers],
        "prompt_tokens": estimate.prompt_tokens,
        "output_tokens": estimate.output_tokens,
        "estimated_cost_usd": None if estimate.cost is None else round(estimate.cost, 6),
        "output_basis": estimate.output_basis,
        "max_cost_usd": estimate.max_cost,
        "within_budget": estimate.within_budget(),
        "notices": estimate.notices,
        "idle": estimate.idle,
    }
