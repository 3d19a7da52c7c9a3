"""The `digest` command line: a thin layer over the core (options, one-line errors, exit codes, progress)."""

from authoring.cli.app import app


def main() -> None:
    """The `digest` console script: the app, then an immediate exit. Every file is written, fsynced and closed by
    then, so Python's interpreter teardown (about 0.15 s after a run has loaded the openai SDK) is skipped."""
    import os
    import sys

    try:
        app(prog_name="digest")
        code = 0
    except KeyboardInterrupt:  # Ctrl-C before a command started its work (its own handler says more)
        print("Interrupted; nothing was changed.", file=sys.stderr)
        code = 130
    except SystemExit as done:
        code = done.code if isinstance(done.code, int) else (0 if done.code is None else 1)
        if not isinstance(done.code, int | None):
            print(done.code, file=sys.stderr)
    from authoring.cli.session import flush_quietly

    flush_quietly()
    os._exit(code)


__all__ = ["app", "main"]
