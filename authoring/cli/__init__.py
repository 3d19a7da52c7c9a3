"""The `digest` command line: a thin layer over the core (options, one-line errors, exit codes, progress).
`main` is the console script; the app itself (authoring.cli.application) loads when it runs, so a Ctrl-C while
it loads is one line too."""

import sys


def main() -> None:
    """The `digest` console script and `python -m authoring`."""
    try:
        from authoring.cli.application import app
    except KeyboardInterrupt:  # Ctrl-C while the command line loads: nothing has started
        print("Interrupted; nothing was changed.", file=sys.stderr)
        raise SystemExit(130) from None
    app(prog_name="digest")


def __getattr__(name: str):
    """`from authoring.cli import app` (tests, typer's docs generator) loads the app on first use (PEP 562)."""
    if name == "app":
        from authoring.cli.application import app

        return app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["app", "main"]
