"""A summary written as one line of text (an imported cell): where its a)-d) parts start and its follow-up
questions. Shared by import and check. Every pattern here is a single forward scan with no nested quantifiers,
so a run-on cell of any length costs time linear in its length."""

from __future__ import annotations

import re
from dataclasses import dataclass

# "Follow-up questions", "Follow Up Questions", "FOLLOW-UP QUESTIONS", "Followup questions", "follow‑up question".
_HEADING = re.compile(r"follow[\s\-‐‑–]?up\s?questions?", re.IGNORECASE)
# A numbered ("1.", "2)") or bulleted ("-", "*", "•") item marker, followed by whitespace.
_ITEM = re.compile(r"(?<!\S)(?:(?P<number>\d{1,2})[.)]|(?P<bullet>[-*•]))(?=\s)")
# A part marker "a) " as the structured summaries write it.
_PART = re.compile(r"(?<!\S)\*{0,2}(?P<letter>[a-dA-D])\)\*{0,2}\s")
# A part marker of the older five-part layout, "i) " to "v) ".
ROMAN_PARTS = ("i", "ii", "iii", "iv", "v")
_ROMAN = re.compile(r"(?<!\S)\*{0,2}(?P<numeral>iii|ii|iv|i|v)\)\*{0,2}\s", re.IGNORECASE)
_SENTENCE_END = ".?!:)\"'*”’"
_HEADING_REACH = 160  # how far before and after the words "follow-up questions" the heading may extend


@dataclass(frozen=True)
class FollowUp:
    start: int  # where the follow-up block's heading sentence starts: the parts end here
    heading: str  # the heading as written, e.g. "Follow-up questions from an AI practitioner:"
    questions: list[str]


def _item_boundary(text: str, position: int, block_start: int, ends: str = _SENTENCE_END) -> bool:
    """Whether an item marker at `position` starts an item: at the block's start, after a sentence's end, or after
    a paragraph gap (two or more spaces). 'beyond Figure 4. How' is not an item."""
    before = position
    while before > block_start and text[before - 1] in " \t":
        before -= 1
    if before == block_start:
        return True
    return position - before >= 2 or text[before - 1] in ends


def follow_up(text: str) -> FollowUp | None:
    """The follow-up block: the last 'follow-up questions' heading (any case, hyphen or space; where the words are
    a heading, not words of a sentence) and the numbered or bulleted questions after it; None when the text has no
    such heading."""
    heading, block_start = None, 0
    for found in _HEADING.finditer(text):  # the last heading is the block's
        end = _heading_end(text, found.end())
        if end is not None:
            heading, block_start = found, end
    if heading is None:
        return None
    start = _sentence_start(text, heading.start())
    while block_start < len(text) and text[block_start] in "*":
        block_start += 1
    return FollowUp(start, text[start:block_start].strip(), _questions(text, block_start))


def _heading_end(text: str, position: int) -> int | None:
    """Where the questions start when the words 'follow-up questions' ending at `position` are a heading: its
    sentence ends in a colon ('Follow-up questions from a practitioner:'), or the questions follow at once (an item
    marker, or nothing more). None for words of a sentence ('the follow-up questions baseline of Lee et al.')."""
    after = position
    while after < len(text) and text[after] in "*_ \t":
        after += 1
    if after == len(text) or _ITEM.match(text, after):
        return after
    reach = text[position : position + _HEADING_REACH]
    colon = reach.find(":")
    if colon == -1 or any(mark in reach[:colon] for mark in ".?!"):
        return None
    return position + colon + 1


def _sentence_start(text: str, position: int) -> int:
    """Start of the sentence holding `position`, looking back at most _HEADING_REACH characters."""
    floor = max(0, position - _HEADING_REACH)
    index = position
    while index > floor:
        if text[index - 1] in ".?!" or (index >= 2 and text[index - 2 : index] == "  "):
            break
        index -= 1
    if index == floor and floor > 0:
        return position
    while index < position and text[index] in " \t":
        index += 1
    return index


def _questions(text: str, block_start: int) -> list[str]:
    """Questions of a block: split at item markers in sequence (1., 2., 3. or bullets); unmarked questions are
    split after each '?'. A marker that would leave the item before it empty is text: the question '3)' renders as
    '2. 3)  3. ...', where '3)' is item 2's words, not item 3."""
    starts: list[tuple[int, int]] = []  # (marker start, text start)
    expected, bullets = 1, None
    for item in _ITEM.finditer(text, block_start):
        if not _item_boundary(text, item.start(), block_start):
            continue
        if starts and not text[starts[-1][1] : item.start()].strip():
            continue
        if item["number"] is not None and bullets is not True and int(item["number"]) == expected:
            bullets, expected = False, expected + 1
        elif item["bullet"] is not None and bullets is not False:
            bullets = True
        else:
            continue
        starts.append((item.start(), item.end()))
    if not starts:
        block = text[block_start:].strip()
        return [q.strip() + "?" for q in block.split("?")[:-1] if q.strip()] if block else []
    ends = [marker for marker, _ in starts[1:]] + [len(text)]
    return [text[begin:end].strip() for (_, begin), end in zip(starts, ends, strict=True)]


def part_markers(text: str) -> list[tuple[str, int, int]]:
    """The structural a)-d) markers of a text: (letter, start, end) of each 'a) ' that opens the text, follows a
    sentence's end or a paragraph gap. An inline list ('two stages: a) pretraining and b) tuning') is not one."""
    found = []
    for part in _PART.finditer(text):
        if _item_boundary(text, part.start(), 0, ends=".?!\"'*”’"):
            found.append((part["letter"].lower(), part.start(), part.end()))
    return found


def holds_a_marker(text: str) -> bool:
    """Whether a part or question itself holds what reads as a part or item marker ('... help? b) Does ...',
    '... real? 2. If so ...'): where a text was cut into parts there, the cut is a guess."""
    return bool(part_markers(text)) or any(
        _item_boundary(text, item.start(), 0) and item.start() > 0 for item in _ITEM.finditer(text))


def roman_markers(text: str) -> list[tuple[str, int, int]]:
    """The i)-v) markers of a summary written in that older layout, where they stand as part_markers' do."""
    found = []
    for part in _ROMAN.finditer(text):
        if _item_boundary(text, part.start(), 0, ends=".?!\"'*”’"):
            found.append((part["numeral"].lower(), part.start(), part.end()))
    return found


def split_parts(text: str) -> dict[str, str] | None:
    """objective, method, result, implication of a text that opens with a) and has b), c), d) in order (the
    follow-up block excluded by the caller); None otherwise."""
    markers = part_markers(text)
    wanted = "abcd"
    positions: list[tuple[int, int]] = []
    for letter, start, end in markers:
        if len(positions) < 4 and letter == wanted[len(positions)]:
            positions.append((start, end))
    if len(positions) != 4 or positions[0][0] != 0:
        return None
    ends = [start for start, _ in positions[1:]] + [len(text)]
    names = ("objective", "method", "result", "implication")
    return {name: text[begin:end].strip() for name, (_, begin), end in zip(names, positions, ends, strict=True)}
