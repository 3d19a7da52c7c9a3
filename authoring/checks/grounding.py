"""Numbers in a summary that do not occur in the paper's source text, with the usual normalisations: percent
signs, thousands separators, 0.85 vs 85%, multipliers (47x, 800K, 1.5B), e-notation, and small counts written as
words. A number glued to a name (GPT-4o, Llama-3.1-8B, PaliGemma-3B-Mix-448, 44.1kHz) is part of the name."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# One number as written: thousands separators or plain digits, a decimal part, an exponent (8.1e-3), then an
# optional unit or multiplier glued to it. No nested quantifiers: each match is found in one forward pass.
_NUMBER = re.compile(
    r"(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?P<exp>[eE][-+−]?\d{1,3})?"
    r"(?P<unit>\s?%|\s?pp\b|dB\b|[xX×](?![A-Za-z\d])|[kKMB](?![A-Za-z\d]))?"
)
# Signs and markers that may stand directly before a figure: +Δ9.4%, ±0.3, ~40%, −2.1, ≈3x, <1%.
_PREFIX = "+±~≈Δ∆−<>≤≥"
_RANGE = "-–—"  # 800K-1M, 10–18x
_MULTIPLIERS = {"k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9}
# Every number in the source, wherever it stands (e-notation read both as written and as its value).
_ANY_NUMBER = re.compile(r"(\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)(?:[eE]([-+−]?\d{1,3}))?")
_WORDS = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
          "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen", "twenty"]
_WORD = re.compile(r"\b(" + "|".join(_WORDS) + r")\b")
# A number right after one of these names a part of the paper; one glued to "-shot" names a prompting setting.
_REFERENCE = re.compile(r"(?:\b(?:table|tab\.|figure|fig\.|section|sec\.|eq\.|equation|appendix|algorithm|theorem|"
                        r"lemma|chapter)|§)\s?$", re.IGNORECASE)
_SETTING = re.compile(r"-shot\b", re.IGNORECASE)


@dataclass(frozen=True)
class Figure:
    text: str  # as written in the summary, e.g. "85%" or "47X"
    value: float
    percent: bool
    # Other values the same figure may be written as in a source: 800K is 800 or 800,000; 8.1e-3 is 0.0081 or 8.1.
    alternatives: tuple[float, ...] = ()


def figures(text: str) -> list[Figure]:
    """The figures a text states, in order: numbers standing on their own, with a glued unit or multiplier, a
    sign or marker before them (+Δ9.4%, ±0.3, ~40%), or as a range's ends (800K-1M, 10-18x)."""
    return [figure for _, _, figure in figure_spans(text)]


def figure_spans(text: str) -> list[tuple[int, int, Figure]]:
    """The figures of `figures`, each with where it is written in the text (start, end): to mark them in place."""
    found: list[tuple[int, int, Figure]] = []
    previous_end, previous_figure = -2, False
    for match in _NUMBER.finditer(text):
        figure = _figure(text, match, previous_end, previous_figure)
        previous_end, previous_figure = match.end(), figure is not None
        if figure is not None:
            found.append((match.start(), match.end(), figure))
    return found


def _figure(text: str, match: re.Match, previous_end: int, previous_figure: bool) -> Figure | None:
    unit = (match["unit"] or "").strip()
    after = text[match.end() : match.end() + 1]
    if not unit and _glued(after):
        return None  # glued to what follows: GPT-4o, 3D, 44.1kHz
    if not unit and (_REFERENCE.search(text, max(0, match.start() - 12), match.start())
                     or _SETTING.match(text, match.end())):
        return None  # a pointer into the paper (Table 1, Fig. 3) or a setting (0-shot), not a finding
    start = match.start()
    while start > 0 and text[start - 1] in _PREFIX:
        start -= 1
    before = text[start - 1] if start > 0 else ""
    if before and before in _RANGE:
        range_tail = previous_figure and previous_end == start - 1
        negative = start == 1 or text[start - 2].isspace() or text[start - 2] in "([:="
        if not (range_tail or negative):
            return None  # Llama-3.1-8B, top-1, Mistral-7b
    elif before and (before in "/._" or _glued(before)):
        return None  # a fraction's denominator (2/30), a version (v2), a name (GPT4)
    mantissa = float(match["num"].replace(",", ""))
    value, alternatives = mantissa, []
    if match["exp"]:
        value = mantissa * 10 ** int(match["exp"][1:].replace("−", "-"))
        alternatives.append(mantissa)
    if unit in _MULTIPLIERS:
        alternatives.append(mantissa * _MULTIPLIERS[unit])
    return Figure(match.group(0).strip(), value, unit == "%", tuple(alternatives))


def _glued(char: str) -> bool:
    """A character that makes a number part of a name (GPT4, 3D). Chinese, Japanese and Korean characters stand
    right beside numbers in running text (提高了42%, 2.5배, 12.5ポイント): there, the number is a figure."""
    return bool(char) and (char.isalnum() or char == "_") and unicodedata.east_asian_width(char) not in ("W", "F")


def _forms(value: float, percent: bool) -> set[float]:
    """A figure's equivalent values: 85% is 85 or 0.85; 0.85 may be written 85%."""
    forms = {round(value, 9)}
    if percent:
        forms.add(round(value / 100, 9))
    elif value < 1:
        forms.add(round(value * 100, 9))
    return forms


class Source:
    """The numbers (and number words) of a paper's source text, ready for lookups."""

    def __init__(self, text: str):
        self.values: set[float] = set()
        for match in _ANY_NUMBER.finditer(text):
            value = float(match.group(1).replace(",", ""))
            self.values |= _forms(value, percent=True) | _forms(value, percent=False)
            if match.group(2):
                self.values |= _forms(value * 10 ** int(match.group(2).replace("−", "-")), percent=False)
        self.words = {_WORDS.index(word) for word in _WORD.findall(text.lower())}

    def grounds(self, figure: Figure) -> bool:
        forms = _forms(figure.value, figure.percent)
        for alternative in figure.alternatives:
            forms |= _forms(alternative, False)
        if forms & self.values:
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
