"""`digest review DATE`: the full-screen review desk (authoring/review/), with the model options `r` uses."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from authoring.cli.options import Day, ModelOptions, SourceKind, StrictReplay, takes
from authoring.cli.session import load_settings, network_run
from authoring.errors import DigestError

commands = typer.Typer()


@commands.command()
@takes(ModelOptions)
def review(
    day: Day,
    source: Annotated[SourceKind | None, typer.Option(help="What `r` has the model read (default: what the entry "
                                                     "was summarised from).")] = None,
    strict_replay: StrictReplay = False,
    *,
    options: ModelOptions,
) -> None:
    """Review a day on a full-screen desk: each summary beside its source, figures marked grounded or not, findings.

    Keys: j/k (or arrows, mouse) move; a marks reviewed (again: unmark); r regenerates with a hint; e edits in
    $VISUAL/$EDITOR; u undoes the day's last change; f shows only entries with findings or not reviewed; q quits.
    Every change is saved and DATE.md re-rendered at once. Example: digest review 2024-10-08
    """
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise DigestError("`digest review` is a full-screen app: run it in a terminal (use `digest show` and "
                          "`digest check` in scripts)")
    from authoring.review.app import review as review_day

    settings = load_settings(**options.settings_flags())
    with network_run(settings, options.cassette, options.record, True, strict_replay) as run:
        review_day(run.settings, day, source=source.value if source else None)
