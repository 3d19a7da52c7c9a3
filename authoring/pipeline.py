"""The main job's wiring: ids -> arXiv metadata -> concurrent summaries -> output/DATE.json -> DATE.md."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Protocol

from . import arxiv_source, llm, store
from .config import Settings
from .errors import DigestError, StoreError
from .ids import ArxivId, normalise
from .models import Digest, Entry, Paper, Provenance, Usage
from .prompts import build_messages
from .render import render_markdown
from .templates import prompt_hash

Clock = Callable[[], datetime]


class Progress(Protocol):
    """What the pipeline reports while it runs; the CLI draws it, tests may record it."""

    def notice(self, message: str) -> None: ...

    def start(self, total: int) -> None: ...

    def advance(self, entry: Entry) -> None: ...


class _Silent:
    def notice(self, message: str) -> None:
        pass

    def start(self, total: int) -> None:
        pass

    def advance(self, entry: Entry) -> None:
        pass


@dataclass
class RunReport:
    """The outcome of a run: where it was written, what was dropped, what failed, what it cost."""

    digest: Digest
    json_path: Path
    markdown_path: Path
    dropped: list[ArxivId] = field(default_factory=list)
    arxiv_requests: int = 0

    @property
    def failures(self) -> list[Entry]:
        return [entry for entry in self.digest.entries if not entry.ok]

    @property
    def usage(self) -> Usage:
        total = Usage()
        for entry in self.digest.entries:
            if entry.provenance:
                total.prompt_tokens += entry.provenance.usage.prompt_tokens
                total.completion_tokens += entry.provenance.usage.completion_tokens
                total.total_tokens += entry.provenance.usage.total_tokens
        return total


def create_digest(
    day: date,
    raw_ids: Sequence[str],
    settings: Settings,
    *,
    clock: Clock,
    source: str = "abstract",
    force: bool = False,
    progress: Progress | None = None,
) -> RunReport:
    """Build a new day: every check that needs no network runs before the first request."""
    progress = progress or _Silent()
    ids, dropped = normalise(raw_ids)
    if not ids:
        raise DigestError("no arXiv ids given; pass them as arguments or with --ids-file")
    json_file = store.json_path(settings.output_dir, day)
    if json_file.exists() and not force:
        raise StoreError(f"{json_file} already exists; pass --force to overwrite it")
    llm.check_credentials(settings)
    if dropped:
        progress.notice(f"Dropped {len(dropped)} duplicate id(s): {', '.join(map(str, dropped))}")

    fetched = arxiv_source.fetch_papers(ids, settings)
    if fetched.missing:
        progress.notice(f"Not found on arXiv: {', '.join(map(str, fetched.missing))}")
    digest = Digest(
        date=day.isoformat(),
        entries=[_initial_entry(arxiv_id, fetched.papers.get(arxiv_id.base)) for arxiv_id in ids],
    )
    store.save_digest(settings.output_dir, day, digest)
    _summarise_all(digest, day, settings, clock=clock, source=source, progress=progress)
    markdown = store.save_markdown(
        settings.output_dir, day, render_markdown(digest, max_authors=settings.max_authors)
    )
    return RunReport(digest, json_file, markdown, dropped=dropped, arxiv_requests=fetched.requests)


def _initial_entry(arxiv_id: ArxivId, paper: Paper | None) -> Entry:
    if paper is None:
        return Entry(id=arxiv_id.base, error=f"{arxiv_id} not found on arXiv")
    return Entry(id=arxiv_id.base, paper=paper)


def _summarise_all(
    digest: Digest, day: date, settings: Settings, *, clock: Clock, source: str, progress: Progress
) -> None:
    """Summarise every entry that has a paper, `settings.concurrency` at a time, saving each as it lands."""
    pending = [entry for entry in digest.entries if entry.paper is not None and entry.summary is None]
    progress.start(len(pending))
    if not pending:
        return
    client = llm.make_client(settings)
    templates_hash = prompt_hash(settings.prompts_dir)
    executor = ThreadPoolExecutor(max_workers=settings.concurrency, thread_name_prefix="digest-model")
    futures: dict[Future, Entry] = {
        executor.submit(_summarise_entry, client, entry.paper, settings, templates_hash, clock, source): entry
        for entry in pending
    }
    try:
        remaining = set(futures)
        while remaining:
            done, remaining = wait(remaining, return_when=FIRST_COMPLETED)
            for future in done:
                entry = futures[future]
                try:
                    entry.summary, entry.provenance = future.result()
                    entry.error = None
                except llm.FatalModelError:
                    raise
                except DigestError as err:
                    entry.error = str(err)
                except Exception as err:
                    err.add_note(f"while summarising {entry.id}")
                    raise
                store.save_digest(settings.output_dir, day, digest)  # checkpoint: finished work is on disk
                progress.advance(entry)
    finally:
        # Ctrl-C or a fatal error: drop queued calls; finished entries are already on disk.
        executor.shutdown(wait=False, cancel_futures=True)


def _summarise_entry(client, paper: Paper, settings: Settings, templates_hash: str, clock: Clock, source: str):
    messages = build_messages(paper, prompts_dir=settings.prompts_dir)
    generation = llm.summarise(client, messages, settings)
    generated = (
        datetime.fromtimestamp(generation.created, UTC) if generation.created else clock().astimezone(UTC)
    )
    provenance = Provenance(
        model=generation.model,
        prompt_hash=templates_hash,
        source=source,
        usage=generation.usage,
        generated_at=generated.isoformat().replace("+00:00", "Z"),
    )
    return generation.summary, provenance
