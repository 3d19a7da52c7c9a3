"""Shell completion of values (typer's `autocompletion=`): the stored days for DATE, a day's ids for ID. Read-only
and quiet: completion never writes a day, and a problem (no output folder, a bad digest.toml) completes nothing."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import typer

from authoring.errors import DigestError

if TYPE_CHECKING:
    from authoring.config import Settings


def _settings(ctx: typer.Context) -> Settings:
    """The settings with the output folder the command line names so far (--output-dir), if any."""
    from authoring import config

    return config.load({"output_dir": ctx.params.get("output_dir")})


def stored_days(ctx: typer.Context, incomplete: str) -> list[str]:
    """DATE: the days with a DATE.json in the output folder, newest first, then `today` and `yesterday`."""
    from authoring.store import files as store

    try:
        found = [day.isoformat() for day in reversed(store.stored_days(_settings(ctx).output_dir))]
    except (DigestError, OSError):
        found = []
    return [value for value in [*found, "today", "yesterday"] if value.startswith(incomplete.lower())]


def day_ids(ctx: typer.Context, incomplete: str) -> list[tuple[str, str]]:
    """ID: the entries of the DATE given before it, in the day's order, each with its title as help."""
    from authoring.store import days

    day = ctx.params.get("day")
    if not isinstance(day, date):
        return []
    try:
        digest = days.peek(_settings(ctx), day)  # read-only: a run's journal is applied in memory, never folded
    except (DigestError, OSError):
        return []
    taken = set(ctx.params.get("ids") or [])
    return [(entry.id, entry.paper.title if entry.paper else "") for entry in digest.entries
            if entry.id.startswith(incomplete) and entry.id not in taken]
