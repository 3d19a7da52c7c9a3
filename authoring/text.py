"""Hygiene for untrusted text (model answers, arXiv metadata, server error bodies) on its way to a markdown file
or a terminal: control characters dropped, tag-like `<` neutralised. The one place that decides what is unsafe."""

from __future__ import annotations

import re

# C0 and C1 control characters (ESC, NUL, BEL, backspace...). Tab and line breaks are not here: cells turn them
# into spaces, terminals keep them. Ordinary Unicode (accents, CJK, emoji and their zero-width joiners) is kept.
_CONTROLS = "\x00-\x08\x0e-\x1b\x1f\x7f\x80-\x84\x86-\x9f"
# Bidirectional overrides and isolates reorder what a reader sees (a title that reads one way and links another).
_BIDI = "\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(f"[{_CONTROLS}{_BIDI}]")
# On a terminal also the bidirectional overrides and isolates, which reorder what a reader sees.
_TERMINAL_CONTROL = re.compile(f"[{_CONTROLS}\x0b\x0c\r\x1c-\x1e\x85\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# What a markdown renderer may take for raw HTML: `<` then a letter (a tag), `/` (a closing tag), `!` (a comment,
# CDATA or doctype) or `?` (a processing instruction). A `<` before a digit or a space ("p < 0.05") stays.
# `&` is escaped only where it would otherwise read back as such a `<` (`&lt;b`), so restore_html is exact.
_TAG = r"[A-Za-z/!?]"
# A markdown link or image, `[text](url)` / `![alt](url)`: its `](` becomes `]&#40;`, which renders as the same
# characters but links nothing and loads no image (a tracking pixel, a phishing link planted in a model's answer).
_NEUTRALISE = re.compile(rf"<(?={_TAG})|&(?=(?:amp;)*lt;{_TAG})|(?<=\])\(|(?<=\])&(?=(?:amp;)*#40;)")
_RESTORE = re.compile(rf"&lt;(?={_TAG})|&amp;(?=(?:amp;)*lt;{_TAG})|(?<=\])&#40;|(?<=\])&amp;(?=(?:amp;)*#40;)")
_NEUTRAL = {"<": "&lt;", "(": "&#40;"}
_RESTORED = {"&lt;": "<", "&#40;": "("}


def drop_controls(text: str) -> str:
    """`text` without control characters (line breaks and tabs are left for the caller)."""
    return _CONTROL.sub("", text)


def neutralise_html(text: str) -> str:
    """Raw HTML shown as text by markdown renderers: a tag-like `<` becomes `&lt;`, which GFM renders as a literal
    `<`. `<think>` stays visible (a renderer would swallow it, and the words with it); `<script>` is inert. Link and
    image syntax is broken the same way (`](` becomes `]&#40;`): the words stay, nothing is linked or loaded."""
    return _NEUTRALISE.sub(lambda m: _NEUTRAL.get(m.group(0), "&amp;"), text)


def restore_html(text: str) -> str:
    """Inverse of neutralise_html: the text as it was before it was written to markdown."""
    return _RESTORE.sub(lambda m: _RESTORED.get(m.group(0), "&"), text)


def terminal_text(value: object) -> str:
    """Text safe to print on a terminal: no escape sequences or other controls; newlines and tabs kept."""
    return _TERMINAL_CONTROL.sub("", str(value))


_PAPER_FENCE = re.compile(r"<(/?)paper>", re.IGNORECASE)


def prompt_data(value: object) -> str:
    """Paper text for a prompt, inside its <paper> fence: no control characters, and no fence of its own (a
    planted `</paper>` cannot end the data early)."""
    return _PAPER_FENCE.sub(lambda m: f"[{m.group(1)}paper]", drop_controls(str(value)))


def count(number: int, noun: str, plural: str | None = None) -> str:
    """'1 paper', '2 papers', '1,000 papers'; '1 entry', '2 entries'."""
    return f"{number:,} {noun if number == 1 else plural or noun + 's'}"
