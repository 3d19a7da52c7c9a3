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
    """The follow-up block: the last 'follow-up questions' heading (any case, hyphen or space) and the numbered or
    bulleted questions after it; None when the text has no such heading."""
    heading = None
    for heading in _HEADING.finditer(text):  # noqa: B007 - the last heading is the block's
        continue
    if heading is None:
        return None
    start = _sentence_start(text, heading.start())
    colon = text.find(":", heading.end(), heading.end() + _HEADING_REACH)
    block_start = colon + 1 if colon != -1 else heading.end()
    while block_start < len(text) and text[block_start] in "*":
        block_start += 1
    return FollowUp(start, text[start:block_start].strip(), _questions(text, block_start))


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
