"""What every command shares at run time: the consoles, one-line errors and exit codes, settings from flags, and
the network-run context (progress display, cassette). Heavy modules are imported inside functions."""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from typer.core import TyperGroup

from authoring.errors import DigestError
from authoring.text import terminal_text

if TYPE_CHECKING:
    from authoring.config import Settings
    from authoring.model.replay import Recording, Replay


class _ReaderMayLeave:
    """A standard stream whose reader may go away (`digest new ... | head`): once it has, what is written is
    dropped, so a closed pipe never stops a run half-way (its entries would be left pending)."""

    def __init__(self, stream):
        self._stream, self.gone = stream, False

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self.gone = True

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


class _Console(Console):
    """rich's Console, on the current sys.stdout/sys.stderr (as rich does: test runners swap them), guarded by
    _ReaderMayLeave."""

    _guards: dict[int, _ReaderMayLeave] = {}

    @property
    def file(self):
        stream = super().file
        guard = self._guards.get(id(stream))
        if guard is None or guard._stream is not stream:
            guard = self._guards[id(stream)] = _ReaderMayLeave(stream)
        return guard

    @file.setter
    def file(self, new_file) -> None:
        self._file = new_file


out = _Console(highlight=False, soft_wrap=True)
err = _Console(stderr=True, highlight=False, soft_wrap=True)


def flush_quietly() -> None:
    """Flush stdout and stderr before an immediate exit; a reader that went away is not an error."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (BrokenPipeError, ValueError):
            pass


class OneErrorHandler(TyperGroup):
    """The app's only error handler, around every command: an expected failure (DigestError) is `Error: <message>`
    on stderr and exit 1 (with --json, also `{"error": ...}` on stdout); Ctrl-C is one line saying what was kept
    and exit 130; DIGEST_DEBUG=1 re-raises. Usage errors are click's (exit 2); anything else is a bug, and shows
    its traceback (without locals: pretty_exceptions_show_locals=False)."""

    # typer makes every context a typer.Context, but declares its base's invoke with the click it vendors in a
    # private module (typer._click), so the narrower parameter is an override mypy cannot accept.
    def invoke(self, ctx: typer.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except DigestError as error:
            if _debug():
                raise
            err.print(terminal_text(f"Error: {error}"), markup=False)
            if ctx.meta.get("digest.json"):  # set by the --json option (options.AsJson)
                import json

                out.print_json(json.dumps({"error": terminal_text(str(error))}))
            raise typer.Exit(1) from None
        except KeyboardInterrupt as stop:
            if _debug():
                raise
            said = getattr(stop, "__notes__", None)  # what a run left on disk, when it knows (pipeline)
            err.print(f"Interrupted; {said[-1]}." if said else ctx.meta.get(_INTERRUPTED, _NOTHING_HALF_WRITTEN),
                      markup=False)
            _exit_now(130)


_INTERRUPTED = "digest.interrupted"
_NOTHING_HALF_WRITTEN = "Interrupted; nothing was half-written."


def interrupted_means(ctx: typer.Context, message: str) -> None:
    """What the app's handler says if Ctrl-C stops the running command (default: nothing was half-written)."""
    ctx.meta[_INTERRUPTED] = message


def _debug() -> bool:
    from authoring import config

    return config.debug_enabled()


def _exit_now(code: int) -> None:
    """Exit with `code`. Model calls still in flight in worker threads would hold the exit for up to the model
    timeout (Python joins them at exit): only then does the process end at once, with every finished entry already
    on disk and nothing else pending (the one os._exit of the command line)."""
    if threading.active_count() > 1:
        flush_quietly()
        os._exit(code)
    raise typer.Exit(code)


def say(message: str) -> None:
    """A line for the user on stdout; text from servers and papers inside it cannot drive the terminal."""
    out.print(terminal_text(message), markup=False)


def warn(message: str) -> None:
    """A line for the user on stderr (warnings, notices such as waiting for a day's lock), with the same hygiene
    as `say`."""
    err.print(terminal_text(message), markup=False)


def read_text_file(path: Path) -> str:
    """A file the user named (a digest to import or check), or a one-line error."""
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise DigestError(f"cannot read {path}: {getattr(error, 'strerror', None) or error}") from None


def load_settings(**flags) -> Settings:
    """Settings from the command's flags (None: not given) over the environment and digest.toml."""
    from authoring import config  # (pydantic-settings: not for --help)

    return config.load(flags)


class NetworkRun(tuple):
    """(settings, display) for a run, plus the cassette session (a replay or a --record, or None) as `.cassette`."""

    cassette: Recording | Replay | None

    def __new__(cls, settings, display, cassette):
        run = super().__new__(cls, (settings, display))
        run.cassette = cassette
        return run

    @property
    def settings(self):
        return self[0]

    @property
    def display(self):
        return self[1]


@contextmanager
def network_run(settings, cassette: Path | None, record: bool, quiet: bool,
                strict_replay: bool = False) -> Iterator[NetworkRun]:
    """Settings and progress display for a run, inside a cassette when one is given; what the cassette has to
    say (answers recorded with other prompts) is printed when the run ends."""
    from authoring.cli.progress import PlainProgress, QuietProgress, RichProgress
    from authoring.model import replay

    if record and cassette is None:
        raise DigestError("--record needs --cassette PATH to record into")
    if cassette is not None:
        settings = replay.replay_settings(settings, record)
    display = QuietProgress() if quiet else RichProgress(err) if err.is_terminal else PlainProgress(err)
    scrubbed = tuple(settings.secrets()) if record else ()
    with replay.cassette(cassette, record=record, secrets=scrubbed, strict=strict_replay) if cassette \
            else nullcontext() as session, display:
        yield NetworkRun(settings, display, session)
    for notice in session.notices() if session is not None else []:
        warn(notice)
