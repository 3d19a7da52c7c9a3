"""The retry policy of the metadata and download requests (arXiv, PDFs, the Hub): jittered exponential backoff
from `retry_base_delay` (0 turns the waits off), a fixed number of attempts, a notice before each retry, and the
real error at the end, never tenacity's RetryError. Model calls have their own, Retry-After-aware one (llm.py)."""

from __future__ import annotations

from collections.abc import Callable

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_random_exponential


def backoff(
    transient: Callable[[BaseException], bool],
    *,
    attempts: int,
    base_delay: float,
    notice: Callable[[BaseException | None], None] | None = None,
) -> Retrying:
    """Retry what `transient` accepts, up to `attempts` in all; `notice(error)` hears each retry."""
    return Retrying(
        retry=retry_if_exception(transient),
        wait=wait_random_exponential(multiplier=base_delay, max=60 * base_delay),
        stop=stop_after_attempt(attempts),
        before_sleep=(lambda state: notice(state.outcome.exception() if state.outcome else None)) if notice else None,
        reraise=True,
    )
