"""What a run tells its caller as it goes (notices, papers done, retries): the callbacks a display implements.
`QuietProgress` reports nothing; the CLI's displays (cli/progress.py) draw them."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from authoring.models import Entry


class QuietProgress:
    """Reports nothing: --quiet, and the default of core functions called without a display."""

    def __enter__(self):
        return self

    def __exit__(self, *exc_info) -> None:
        pass

    def notice(self, message: str) -> None:
        pass

    def start(self, total: int) -> None:
        pass

    def advance(self, entry: Entry, problem: str | None = None) -> None:
        pass

    def retry(self, reason: str) -> None:
        pass
