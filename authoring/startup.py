"""The `digest` process's start-up: Python's cyclic garbage collector is paused while the command line and the
openai SDK load, and resumed once they have (llm.make_client, which every command that calls the model server
uses: new, resume, regen, add, batch). Loading them creates some 150,000 objects that live as long as the
process; with the collector on, they are walked about 200 times while they load, which cost a network run about
70 ms of its start (tools/bench.py). On resuming, they are frozen out of later collections.

Commands that never load the model client (show, list, render, check, import, site) stay paused: they are short,
and what they leave for the collector is small: over 1,000 stored days, or a 6,000-row import, their peak memory
is the same within 1% with the collector paused or on (README, Development)."""

from __future__ import annotations

import gc

_paused = False


def main() -> None:
    """The `digest` console script (and `python -m authoring`): the collector is paused before the command line is
    imported, then authoring.cli.main runs the app."""
    pause_collection()
    try:
        from authoring.cli import main as run_cli
    except KeyboardInterrupt:  # Ctrl-C while the command line loads: nothing has started
        import os
        import sys

        print("Interrupted; nothing was changed.", file=sys.stderr)
        os._exit(130)
    run_cli()


def pause_collection() -> None:
    """Pause the collector until `resume_collection`."""
    global _paused
    _paused = gc.isenabled()  # a collector someone else turned off stays off
    gc.disable()


def resume_collection() -> None:
    """Resume a collector `pause_collection` paused, leaving what start-up loaded out of later collections."""
    global _paused
    if _paused:
        _paused = False
        gc.freeze()
        gc.enable()
