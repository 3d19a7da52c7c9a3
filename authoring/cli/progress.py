"""Progress displays for the CLI: a rich bar on a terminal, plain lines otherwise, nothing with --quiet."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from authoring.runs.progress import QuietProgress
from authoring.text import terminal_text

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID

    from authoring.models import Entry


class PlainProgress(QuietProgress):
    """One line per event, for logs and pipes. Once the run has ended (the display's `with` block is left), a call
    still in flight in a worker thread prints nothing more: the run's last line (its result, or its `Error:`) stays
    the last line."""

    def __init__(self, console: Console):
        self.console = console
        self.total = 0
        self.done = 0
        self.over = False

    def __exit__(self, *exc_info) -> None:
        # The run is over (finished or stopped): a model call still winding down in a worker thread prints no late
        # retry after the run's last line.
        self.over = True

    def notice(self, message: str) -> None:
        if not self.over:
            self.console.print(terminal_text(message), markup=False)

    def start(self, total: int) -> None:
        self.total = total
        self.console.print(f"Summarising {total} paper{'' if total == 1 else 's'}", markup=False)

    def advance(self, entry: Entry, problem: str | None = None) -> None:
        if self.over:
            return
        self.done += 1
        status = "ok" if problem is None and entry.ok else _failed(entry, problem)
        self.console.print(terminal_text(f"[{self.done}/{self.total}] {entry.id} {status}"), markup=False)

    def retry(self, reason: str) -> None:
        if self.over:
            return
        who, named, why = reason.partition(": ")  # "2410.05258: HTTP 429", "arXiv: HTTP 503"
        line = f"Retrying {who} after {why}" if named else f"Retrying after {reason}"
        self.console.print(terminal_text(line), markup=False)


class RichProgress(PlainProgress):
    """A live bar with done and failed counts and tokens so far."""

    def __init__(self, console: Console):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        super().__init__(console)
        self.failed = 0
        self.tokens = 0
        self.retries = 0
        self._lock = threading.Lock()
        self.bar = Progress(
            TextColumn("Summarising"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed, {task.fields[retries]} retries, {task.fields[tokens]:,} tokens"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
        )
        self.task: TaskID | None = None

    def __enter__(self):
        self.bar.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.over = True
        self.bar.stop()

    def notice(self, message: str) -> None:
        if not self.over:
            self.bar.console.print(terminal_text(message), markup=False)

    def start(self, total: int) -> None:
        self.task = self.bar.add_task("summaries", total=total, failed=0, retries=0, tokens=0)

    def advance(self, entry: Entry, problem: str | None = None) -> None:
        if self.over:
            return
        failed = problem is not None or not entry.ok
        self.failed += failed
        self.tokens += entry.provenance.usage.total_tokens if entry.provenance and not failed else 0
        if self.task is not None:
            self.bar.update(self.task, advance=1, failed=self.failed, tokens=self.tokens)
        if failed:
            self.bar.console.print(terminal_text(f"{entry.id} {_failed(entry, problem)}"), markup=False)

    def retry(self, reason: str) -> None:
        if self.over:
            return
        with self._lock:  # called from the worker threads
            self.retries += 1
            if self.task is not None:
                self.bar.update(self.task, retries=self.retries)


def _failed(entry: Entry, problem: str | None) -> str:
    """An entry's status when it failed this run; why is said once, in the run's last lines (cli.reports). A
    regeneration that failed says the previous summary stays."""
    return "failed (its previous summary is kept)" if problem is not None and entry.ok else "failed"
