"""Numbers in a summary that do not occur in the paper's source text, with the usual normalisations: percent
signs, thousands separators, 0.85 vs 85%, and small counts written as words."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A figure as a summary states it: not glued to a word (GPT-4o, 3B, 44.1kHz, LLaMA-3.1) and not a range's tail.
_FIGURE = re.compile(r"(?<![\w.\-/])(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(\s?%|x\b|×)?(?![A-Za-wyz\d]|\.\d)")
# Every number in the source, wherever it stands.
_ANY_NUMBER = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?")
_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]


@dataclass(frozen=True)
class Figure:
    text: str  # as written in the summary, e.g. "85%"
    value: float
    percent: bool


def figures(text: str) -> list[Figure]:
    """The figures a text states, in order."""
    found = []
    for match in _FIGURE.finditer(text):
        value = float(match.group(1).replace(",", ""))
        unit = (match.group(2) or "").strip()
        found.append(Figure(match.group(0).strip(), value, unit == "%"))
    return found


def _forms(value: float, percent: bool) -> set[float]:
    """A figure's equivalent values: 85% is 85 or 0.85; 0.85 may be written 85%."""
    forms = {round(value, 6)}
    if percent:
        forms.add(round(value / 100, 6))
    elif value < 1:
        forms.add(round(value * 100, 6))
    return forms


class Source:
    """The numbers (and number words) of a paper's source text, ready for lookups."""

    def __init__(self, text: str):
        self.values: set[float] = set()
        for match in _ANY_NUMBER.finditer(text):
            value = float(match.group(0).replace(",", ""))
            self.values |= _forms(value, percent=True) | _forms(value, percent=False)
        lowered = text.lower()
        self.words = {n for n, word in enumerate(_WORDS) if re.search(rf"\b{word}\b", lowered)}

    def grounds(self, figure: Figure) -> bool:
        if _forms(figure.value, figure.percent) & self.values:
            return True
        return figure.value.is_integer() and int(figure.value) in self.words


def ungrounded(summary_text: str, source: Source) -> list[Figure]:
    """Figures of the summary that the source does not contain (each reported once)."""
    seen, missing = set(), []
    for figure in figures(summary_text):
        if figure.text not in seen and not source.grounds(figure):
            seen.add(figure.text)
            missing.append(figure)
    return missing


def parts_text(summary) -> str:
    """The text of a Summary whose figures must be grounded: the four parts, not the questions."""
    return "\n".join([summary.objective, summary.method, summary.result, summary.implication])
