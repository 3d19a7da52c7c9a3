"""`digest check`: the findings of stored days or markdown files, and the CI gate (--fail-on, --ignore)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from authoring.cli.options import Cassette, FailOn, OutputDir, Record, Requirement, parse_day
from authoring.cli.session import load_settings, network_run, out, read_text_file, say
from authoring.errors import DigestError
from authoring.text import count

commands = typer.Typer()


def _kinds(values: list[str] | None) -> set[str]:
    """--ignore KIND (repeatable, or comma-separated); an unknown kind is a usage error."""
    from authoring.checks.findings import KINDS

    kinds = {kind.strip() for value in values or [] for kind in value.split(",") if kind.strip()}
    if unknown := sorted(kinds - set(KINDS)):
        raise typer.BadParameter(f"unknown kind {', '.join(unknown)}; kinds are {', '.join(KINDS)}",
                                 param_hint="--ignore")
    return kinds


@commands.command()
def check(
    target: Annotated[str | None, typer.Argument(metavar="[DATE | FILE.md]", help="A stored day or a markdown file "
                                                 "(default: every stored day).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the findings as JSON.")] = False,
    arxiv: Annotated[bool, typer.Option("--arxiv", help="Also compare titles and authors with arXiv.")] = False,
    fail_on: Annotated[FailOn, typer.Option(help="Exit 1 when a finding is this severe or more.")] = FailOn.error,
    ignore: Annotated[list[str] | None, typer.Option(metavar="KIND", help="Leave out findings of this kind "
                                                     "(repeatable, or comma-separated).")] = None,
    require: Annotated[list[Requirement] | None, typer.Option(
        metavar="reviewed", help="Demand it of every entry: `reviewed` adds an error per entry not marked reviewed "
                                 "(`digest review`).")] = None,
    output_dir: OutputDir = None,
    cassette: Cassette = None,
    record: Record = False,
) -> None:
    """Check digests: structure, figures and links grounded in the source, content, table safety, duplicates,
    drift. Lists every finding with its severity (error, warning, info).

    Exits 1 when a finding is at least as severe as --fail-on (default error). Example: digest check 2024-10-08;
    digest check ../reference/2024-10-08.md --fail-on warning --ignore figure; digest check 2024-10-08 --require
    reviewed (a CI refuses a day with an entry nobody marked reviewed)
    """
    import json

    ignored = _kinds(ignore)
    from authoring.checks import findings as checks
    from authoring.runs import checking
    from authoring.store import files as store

    settings = load_settings(output_dir=output_dir)
    results = []
    require_reviewed = Requirement.reviewed in (require or [])
    if target and (target.endswith(".md") or Path(target).is_file()):
        if require_reviewed:
            raise typer.BadParameter("reviewed marks are kept in DATE.json; check a stored DATE, not a markdown file",
                                     param_hint="--require")
        text = read_text_file(Path(target))
        digest, findings = checking.check_file(settings, target, text)
        results.append((target, digest, findings))
    else:
        the_days = [parse_day(target)] if target else store.stored_days(settings.output_dir)
        if not the_days:
            raise DigestError(f"no digests in {settings.output_dir}/ to check")
        results = list(checking.check_days(settings, the_days, require_reviewed=require_reviewed))
    if arxiv:
        from authoring.sources import arxiv_api

        with network_run(settings, cassette, record, True) as (run_settings, _):
            for _, digest, findings in results:
                findings += checking.check_against_arxiv(
                    digest, lambda ids: arxiv_api.fetch_papers(ids, run_settings), run_settings.max_authors)
    results = [(name, digest, [f for f in findings if f.kind not in ignored]) for name, digest, findings in results]
    if as_json:
        out.print_json(json.dumps([
            {"target": name, "entries": len(digest.entries), "findings": [f.as_dict() for f in findings]}
            for name, digest, findings in results
        ]))
    else:
        for name, digest, findings in results:
            for finding in findings:
                say(f"{name}  {finding.severity:<7}  {finding.entry or '-':<12}  {finding.kind:<9}  {finding.message}")
            say(f"{name}: {_tally(len(digest.entries), findings)}")
        if len(results) > 1:
            entries = sum(len(digest.entries) for _, digest, _ in results)
            say(f"Total: {count(len(results), 'digest')}, {_tally(entries, [f for *_, fs in results for f in fs])}")
    if checks.gate((f for *_, findings in results for f in findings), fail_on.value):
        raise typer.Exit(1)


def _tally(entries: int, findings: list) -> str:
    counts = {s: sum(1 for f in findings if f.severity == s) for s in ("error", "warning", "info")}
    return (f"{count(entries, 'entry', 'entries')}, {count(counts['error'], 'error')}, "
            f"{count(counts['warning'], 'warning')}, {counts['info']:,} info")
