"""What every command shares at run time: the consoles, one-line errors and exit codes, settings from flags, and
the network-run context (progress display, cassette). Heavy modules are imported inside functions."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path

import typer
from rich.console import Console

from authoring import config
from authoring.errors import DigestError
from authoring.text import terminal_text


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


@contextmanager
def user_errors(
    interrupted: str = "Interrupted; nothing was half-written.", *, as_json: bool = False
) -> Iterator[None]:
    """Expected failures print `Error: <message>` and exit 1 (with --json, also `{"error": ...}` on stdout);
    Ctrl-C prints `interrupted` and exits 130; DIGEST_DEBUG=1 re-raises."""
    try:
        yield
    except DigestError as error:
        if config.debug_enabled():
            raise
        err.print(terminal_text(f"Error: {error}"), markup=False)
        if as_json:
            import json

            out.print_json(json.dumps({"error": terminal_text(str(error))}))
        raise typer.Exit(1) from None
    except KeyboardInterrupt as stop:
        if config.debug_enabled():
            raise
        said = getattr(stop, "__notes__", None)  # what a run left on disk, when it knows (pipeline)
        err.print(f"Interrupted; {said[-1]}." if said else interrupted, markup=False)
        _exit_now(130)


def _exit_now(code: int) -> None:
    """Exit without waiting for model calls still in flight in worker threads (Python would join them, for up to
    the model timeout): every finished entry is already on disk, and nothing else is pending."""
    flush_quietly()
    os._exit(code)



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


def load_settings(**flags) -> config.Settings:
    """Settings from the command's flags (None: not given) over the environment and digest.toml."""
    return config.load(flags)


class NetworkRun(tuple):
    """(settings, display) for a run, plus the cassette session (a replay or a --record, or None) as `.cassette`."""

    def __new__(cls, settings, display, cassette):
        run = super().__new__(cls, (settings, display))
        run.cassette = cassette
        return run


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
