"""The `digest` app: the top-level options, and the command groups registered in the order --help lists them.
Command modules import `options` and `session`; nothing imports this module back (authoring.cli.main loads it)."""

from __future__ import annotations

from typing import Annotated

import typer

from authoring import __version__
from authoring.cli import batch, checks, configuration, days, opener, publish, review, runs
from authoring.cli.session import OneErrorHandler, out

app = typer.Typer(
    cls=OneErrorHandler,  # the one place errors become `Error: ...` lines and exit codes
    help="Author daily digests of AI papers from arXiv ids with an LLM's help.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,  # a traceback must never print the API key
    rich_markup_mode=None,  # plain click help and usage errors: `Error: ...` on one line, as every other error
    context_settings={"help_option_names": ["-h", "--help"]},  # every command's context inherits them
)


def _version(value: bool) -> None:
    if value:
        out.print(f"digest {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Author daily digests of AI papers from arXiv ids with an LLM's help."""


app.add_typer(runs.commands)
app.add_typer(days.commands)
app.add_typer(checks.commands)
app.add_typer(review.commands)
app.add_typer(publish.commands)
app.add_typer(opener.commands)
app.add_typer(batch.commands, name="batch")
app.add_typer(configuration.commands, name="config")
