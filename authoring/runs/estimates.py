"""What model calls will cost before they are made: each paper's prompt measured from its rendered prompts, its
answer's size from the day's earlier answers (or a stated default), priced from the price table. A dry run prints
them (--dry-run); a run with a budget (--max-cost) checks each call against it before making it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from authoring.config import Settings, missing_price
from authoring.errors import ConfigError, DigestError
from authoring.model.prompts import build_messages
from authoring.models import Digest, Paper, Usage
from authoring.pricing import DEFAULT_OUTPUT_TOKENS, call_cost, estimate_tokens, price_for
from authoring.text import count


class BudgetReached(DigestError):
    """A call was not made: its estimated cost would have taken the run's spend past --max-cost."""


@dataclass(frozen=True)
class PaperEstimate:
    id: str
    title: str
    prompt_tokens: int
    output_tokens: int
    cost: float | None  # US$; None when the model has no price


@dataclass
class Estimate:
    """A dry run's answer: the papers a run would summarise, in order, with their estimated tokens and cost."""

    day: str
    model: str
    papers: list[PaperEstimate]
    output_basis: str  # how the answers' size was estimated, in words
    notices: list[str] = field(default_factory=list)  # papers left out (not found on arXiv, already there...)
    idle: str = ""  # why a run would do nothing
    max_cost: float | None = None

    @property
    def priced(self) -> bool:
        return all(paper.cost is not None for paper in self.papers)

    @property
    def prompt_tokens(self) -> int:
        return sum(paper.prompt_tokens for paper in self.papers)

    @property
    def output_tokens(self) -> int:
        return sum(paper.output_tokens for paper in self.papers)

    @property
    def cost(self) -> float | None:
        return sum(paper.cost or 0.0 for paper in self.papers) if self.priced else None

    def within_budget(self) -> int | None:
        """How many of the papers (in order) a run with --max-cost would summarise before it stops; None when
        there is no budget or no price."""
        if self.max_cost is None or not self.priced:
            return None
        spent, taken = 0.0, 0
        for paper in self.papers:
            spent += paper.cost or 0.0
            if spent > self.max_cost:
                break
            taken += 1
        return taken


def output_estimate(history: Digest | None) -> tuple[int, str]:
    """Tokens one answer is expected to take, and how that was decided: the mean of the day's earlier answers
    (entries summarised by a model), else DEFAULT_OUTPUT_TOKENS."""
    answers = [entry.provenance.usage.completion_tokens for entry in (history.entries if history else [])
               if entry.provenance is not None and entry.provenance.model and entry.provenance.usage.completion_tokens]
    if answers:
        return round(sum(answers) / len(answers)), f"the mean of the day's {count(len(answers), 'earlier answer')}"
    return DEFAULT_OUTPUT_TOKENS, f"{DEFAULT_OUTPUT_TOKENS} tokens a paper (the day has no earlier answers)"


def prompt_tokens(messages: list[dict[str, str]]) -> int:
    """The estimated prompt tokens of a request's messages (pricing.estimate_tokens of their text)."""
    return estimate_tokens("".join(message["content"] for message in messages))


def paper_prompt_tokens(paper: Paper, settings: Settings, *, hint: str = "", source: str = "abstract") -> int:
    """A paper's prompt, rendered as a run would send it; with --source pdf, the abstract's place is taken by up
    to pdf_token_budget tokens of full text (the PDF is not downloaded by a dry run)."""
    messages = build_messages(paper, prompts_dir=settings.prompts_dir, hint=hint, language=settings.language)
    tokens = prompt_tokens(messages)
    if source == "pdf":
        tokens += settings.pdf_token_budget - estimate_tokens(paper.abstract)
    return tokens


def estimate(day: str, papers: list[Paper], settings: Settings, *, history: Digest | None, hint: str = "",
             source: str = "abstract", notices: list[str] | None = None, idle: str = "") -> Estimate:
    """The estimate of summarising `papers` (in order) for `day` with the settings' model."""
    output_tokens, basis = output_estimate(history)
    price = price_for(settings.model, settings.prices)
    found = []
    for paper in papers:
        tokens = paper_prompt_tokens(paper, settings, hint=hint, source=source)
        cost = call_cost(price, tokens, output_tokens) if price is not None else None
        found.append(PaperEstimate(paper.id, paper.title, tokens, output_tokens, cost))
    return Estimate(day, settings.model, found, basis, list(notices or []), idle, settings.max_cost)


class Budget:
    """--max-cost for one run, shared by its worker threads: a call is made only when the spend so far (the
    answers' real usage) plus the estimates of the calls in flight plus its own estimate stay within the limit.
    Once a call is refused, every later one is too: the run stops rather than skip papers."""

    def __init__(self, limit: float, price: tuple[float, float], output_tokens: int):
        self.limit, self.price, self._output_tokens = limit, price, output_tokens
        self.spent = 0.0  # US$ of the answers received, from their usage
        self._in_flight = 0.0
        self._answers: list[int] = []  # completion tokens of this run's answers: they refine the estimate
        self.refused = 0
        self._lock = threading.Lock()

    @classmethod
    def for_run(cls, settings: Settings, history: Digest | None) -> Budget | None:
        if settings.max_cost is None:
            return None
        price = price_for(settings.model, settings.prices)
        if price is None:
            raise ConfigError(missing_price(settings.model))  # (check_credentials said so before any write)
        return cls(settings.max_cost, price, output_estimate(history)[0])

    def reserve(self, messages: list[dict[str, str]]) -> float:
        """The estimated cost of a call with these messages, reserved; BudgetReached if it does not fit."""
        with self._lock:
            expected = (round(sum(self._answers) / len(self._answers)) if self._answers else self._output_tokens)
            cost = call_cost(self.price, prompt_tokens(messages), expected)
            if self.refused or self.spent + self._in_flight + cost > self.limit:
                self.refused += 1
                raise BudgetReached(f"--max-cost ${self.limit:g} would be passed")
            self._in_flight += cost
            return cost

    def settle(self, reserved: float, usage: Usage | None) -> None:
        """A reserved call ended: its estimate gives way to its real usage (none known when it failed)."""
        with self._lock:
            self._in_flight -= reserved
            if usage is not None:
                self.spent += call_cost(self.price, usage.prompt_tokens, usage.completion_tokens)
                self._answers.append(usage.completion_tokens)

    def stopped(self) -> str:
        """The run's one line when the budget stopped it."""
        return (f"--max-cost ${self.limit:g} reached: stopped before {count(self.refused, 'model call')} that would "
                f"take the estimated spend past it (spent ~${self.spent:.4f})")
