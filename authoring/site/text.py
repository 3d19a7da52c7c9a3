"""Summary text on the site: markdown emphasis and code rendered by markdown-it-py with raw HTML escaped (links and
images stay text: nothing is linked or loaded), `$...$` LaTeX shown as MathML by latex2mathml when the result is
plain MathML, else left as written; an imported prose summary split into paragraphs with its follow-up questions
kept as one list."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from html.parser import HTMLParser

from markupsafe import Markup, escape

from authoring.markdown.summary_text import FollowUp, follow_up
from authoring.templating import paragraphs, unescape_cell
from authoring.text import drop_controls

# What may be left of a follow-up block once its heading and questions are taken out: item markers and spaces.
_MARKERS_ONLY = re.compile(r"(?:\s|\d{1,2}[.)]|[-*•])*")
# MathML that latex2mathml writes for ordinary formulas; anything else (\href, \text{<tag>}) is shown as the
# LaTeX it came from.
_MATH_TAGS = frozenset(
    "math mrow mi mn mo ms mtext mspace mfrac msqrt mroot msub msup msubsup munder mover munderover mtable mtr "
    "mtd mstyle mpadded mphantom menclose merror semantics annotation".split())
_MATH_ATTRIBUTES = frozenset(
    "xmlns display stretchy fence separator mathvariant lspace rspace minsize maxsize movablelimits accent "
    "accentunder columnalign columnspacing rowspacing columnlines rowlines frame linethickness width height depth "
    "form largeop symmetric displaystyle scriptlevel notation open close separators".split())


class _OnlyMath(HTMLParser):
    """Whether a fragment holds MathML elements and attributes only."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.plain = True

    def handle_starttag(self, tag, attrs):
        if tag not in _MATH_TAGS or any(name not in _MATH_ATTRIBUTES for name, _ in attrs):
            self.plain = False

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag not in _MATH_TAGS:
            self.plain = False


def _math(latex: str, options: dict) -> str:
    """MathML for a formula, or the formula as written (escaped) when it does not convert to plain MathML."""
    import latex2mathml.converter

    display = "block" if options.get("display_mode") else "inline"
    written = escape(f"$${latex}$$" if display == "block" else f"${latex}$")
    try:
        mathml = latex2mathml.converter.convert(latex, display=display)
    except Exception:  # latex2mathml raises its own errors (and IndexError, KeyError) on malformed input
        return str(written)
    checker = _OnlyMath()
    checker.feed(mathml)
    checker.close()
    return f'<span class="math" title="{written}">{mathml}</span>' if checker.plain else str(written)


@lru_cache(maxsize=1)
def _renderer():
    from markdown_it import MarkdownIt
    from mdit_py_plugins.dollarmath import dollarmath_plugin

    md = MarkdownIt("commonmark", {"html": False})  # raw HTML is escaped: a summary's <script> is text
    md.disable(["link", "image", "autolink"])  # a summary links nothing and loads nothing
    # $5 and $10 are prices, not a formula: no digit right after the opening $ nor a space inside it.
    return md.use(dollarmath_plugin, allow_space=False, allow_digits=False, allow_labels=False, renderer=_math)


def inline(text: str) -> Markup:
    """One part of a summary as HTML: emphasis, code and math rendered, every other character text."""
    return Markup(_renderer().renderInline(drop_controls(text)).strip())


def note(text: str | None) -> list[Markup]:
    """Markdown a person wrote around a day's table (an introduction, an editor's note) as paragraphs, each rendered
    as `inline` renders a summary (emphasis, code and math; every other character text)."""
    return [inline(part) for part in re.split(r"\n[ \t]*\n", (text or "").strip()) if part.strip()]


def _keeps_every_word(tail: str, block: FollowUp) -> bool:
    """Whether the heading and the questions hold every word of the follow-up block but its item markers: the list
    is shown only when no word would go missing."""
    rest = tail.replace(block.heading, " ", 1)
    for question in block.questions:
        rest = rest.replace(question, " ", 1)
    return _MARKERS_ONLY.fullmatch(rest) is not None


@dataclass
class Prose:
    """An imported summary as the site shows it: paragraphs, then the follow-up heading and its questions."""

    paragraphs: list[Markup]
    heading: str | None = None
    questions: list[Markup] | None = None


def prose(cell: str) -> Prose:
    """An imported summary cell: unescaped, split at its paragraph gaps up to the follow-up block, whose questions
    are one list (a gap inside the block never splits it)."""
    text = unescape_cell(cell)
    block = follow_up(text)
    if block is None or not block.questions or not _keeps_every_word(text[block.start:], block):
        return Prose([inline(part) for part in paragraphs(text)])
    return Prose([inline(part) for part in paragraphs(text[: block.start])], block.heading.rstrip(":* ").strip("*"),
                 [inline(question) for question in block.questions])
