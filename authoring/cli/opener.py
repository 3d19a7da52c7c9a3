"""`digest open DATE`: a day's markdown (or its site page) in the system's opener; its path when there is none."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from authoring.cli.options import Day, OutputDir
from authoring.cli.session import load_settings, say, warn
from authoring.errors import DigestError

commands = typer.Typer()


@commands.command(name="open")
def open_(
    day: Day,
    site: Annotated[
        Path | None, typer.Option("--site", metavar="DIR", help="Open the day's page of the site built in DIR "
                                  "(`digest site --out DIR`) instead of DATE.md.")
    ] = None,
    output_dir: OutputDir = None,
) -> None:
    """Open a day's DATE.md (or its site page) with the system's opener (xdg-open, open, start); print its path
    when there is none. Example: digest open today"""
    import click

    from authoring.store import files as store

    if site is not None:
        from authoring.site.build import day_page

        path = site / day_page(day.isoformat())
        missing = f"{path} does not exist; build the site with `digest site --out {site}`"
    else:
        path = store.markdown_path(load_settings(output_dir=output_dir).output_dir, day)
        missing = f"{path} does not exist; create the day with `digest new {day} ID...`"
    if not path.is_file():
        raise DigestError(missing)
    # Waiting for the opener gives its verdict (xdg-open hands a file to its program and returns; it fails with
    # no program for the type): on failure, or with no opener at all, the path is printed instead.
    if click.launch(str(path.resolve()), wait=True) != 0:
        say(str(path))
        warn("No program to open it with on this system (xdg-open, open or start); its path is above.")
        return
    say(f"Opened {path}")
