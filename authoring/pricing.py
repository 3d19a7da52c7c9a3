"""Estimated cost of model calls from a price table (US$ per million tokens) the user can extend in digest.toml."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # config imports this module; keep it free of pydantic at import time
    from authoring.models import Entry

# Published list prices (US$ per 1M input / output tokens, standard tier) of common models. Override or add to
# them under [prices] in digest.toml; a model missing from the table has no estimate.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
}


# How a dry run and --max-cost estimate a call before making it: the rendered prompts' characters / 4 (OpenAI's rule
# of thumb for English; the project's cassettes were assembled with it), and the answer's size from the day's
# earlier answers, else DEFAULT_OUTPUT_TOKENS (a structured summary of 4-5 sentences and 2-3 questions is 300-500).
CHARS_PER_TOKEN = 4
DEFAULT_OUTPUT_TOKENS = 500


def estimate_tokens(text: str) -> int:
    """Tokens of `text`, estimated from its length (CHARS_PER_TOKEN), rounded."""
    return round(len(text) / CHARS_PER_TOKEN)


def call_cost(price: tuple[float, float], prompt_tokens: int, completion_tokens: int) -> float:
    """US$ of one call at `price` (US$ per million input and output tokens)."""
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1_000_000


def price_for(model: str, prices: Mapping[str, tuple[float, float]]) -> tuple[float, float] | None:
    """The price of `model`, or of the longest table name it starts with (gpt-5-mini-2025-08-07 -> gpt-5-mini)."""
    if model in prices:
        return prices[model]
    matches = [name for name in prices if model.startswith(name + "-")]
    return prices[max(matches, key=len)] if matches else None


def estimate(entries: Iterable[Entry], prices: Mapping[str, tuple[float, float]]) -> tuple[float, list[str]]:
    """(US$ for the entries' recorded usage, models that have no price)."""
    total, unpriced = 0.0, []
    for entry in entries:
        provenance = entry.provenance
        if provenance is None or provenance.model is None or not provenance.usage.total_tokens:
            continue
        price = price_for(provenance.model, prices)
        if price is None:
            if provenance.model not in unpriced:
                unpriced.append(provenance.model)
            continue
        total += call_cost(price, provenance.usage.prompt_tokens, provenance.usage.completion_tokens)
    return total, unpriced
