"""The jinja2 environments, both loading templates the same way (a user's folder first, then the packaged ones):
the text environment for prompts and the markdown digest (no autoescape: a prompt or a table cell is text
escaped by its own filter, with text hygiene for untrusted text), and the HTML environment for the static site
(autoescape on: every title, author and summary is text, never markup). The shared filters (table-cell escaping,
arXiv and HuggingFace links) and the hash of the markdown templates in use (part of what a rendered DATE.md
depends on) live here too."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import jinja2
from markupsafe import Markup

from authoring.errors import ConfigError
from authoring.text import drop_controls, neutralise_html, prompt_data, restore_html

PACKAGE_DIR = Path(__file__).parent
PROMPT_TEMPLATES = ("system.j2", "user.j2")
LANGUAGE_TEMPLATE = "language.j2"  # rendered only for --language: part of the hash only then
# The output templates a templates folder (`--templates DIR`, templates_dir, ./templates/) can replace, by name.
MARKDOWN_TEMPLATES = ("digest.md.j2", "summary.j2")
SITE_TEMPLATES = ("site/index.html.j2", "site/day.html.j2", "site/entry.html.j2", "site/search.html.j2",
                  "site/email.html.j2", "site/style.css", "site/site.js")

# Everything a markdown reader or Python's splitlines() treats as a line break, plus tabs.
_BREAKS = re.compile(r"\r\n|[\r\n\t\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# A paragraph gap of an imported summary: the line breaks of the original answer became runs of spaces in the
# table cell. A numbered marker ("1.  Could ...") does not end a paragraph.
_GAP = re.compile(r"(?<=[.:?!\"')\]*])(?<!\b\d\.)(?<!\b\d\d\.) {2,}(?=\S)")
# A whole run of backslashes with the pipe that may follow it, or a lone pipe. Each match consumes its run, so a
# run is scanned once (a pattern that could start inside a run would rescan it from every backslash: quadratic).
_RUN_AND_PIPE = re.compile(r"\\+\|?|\|")


def default_prompts_dir() -> Path:
    """The packaged prompts: inside the wheel, or the repository's prompts/ in a source checkout."""
    packaged = PACKAGE_DIR / "prompts"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "prompts"


def escape_cell(value: object) -> str:
    """Make text safe for one markdown table cell: no line breaks or tabs, every `|` escaped."""
    text = _BREAKS.sub(" ", str(value))
    return _RUN_AND_PIPE.sub(_escape_pipe, text).strip()


def _escape_pipe(found: re.Match[str]) -> str:
    # The backslashes before a pipe are doubled, so the pipe's own escape stays an escape; other runs stay as written.
    run = found.group()
    return run[:-1] * 2 + "\\|" if run.endswith("|") else run


def text_cell(value: object) -> str:
    """escape_cell for text from the model, arXiv or a user: control characters dropped and raw HTML neutralised
    first (see text.py). Imported summary cells do not go through it: they are written back byte for byte."""
    return escape_cell(neutralise_html(drop_controls(str(value))))


def unescape_cell(text: str) -> str:
    """Inverse of text_cell's escaping (line breaks turned into spaces, and control characters, cannot come back)."""
    return restore_html(_RUN_AND_PIPE.sub(_unescape_pipe, text))


def _unescape_pipe(found: re.Match[str]) -> str:
    # `\|` is a pipe; the backslashes before that escape were doubled by escape_cell. A bare `|` or run stays.
    run = found.group()
    if not run.endswith("|") or run == "|":
        return run
    return "\\" * ((len(run) - 2) // 2) + "|"


def paragraphs(text: str) -> list[str]:
    """An imported summary cell split at its paragraph gaps, for the site; the words are kept exactly as written."""
    return [part for part in _GAP.split(text.strip()) if part]


def arxiv_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def hf_url(arxiv_id: str) -> str:
    return f"https://huggingface.co/papers/{arxiv_id}"


def _template_dirs(templates_dir: Path | None) -> list[str]:
    """Where output templates are looked up: the user's folder first, file by file, then the packaged ones."""
    if templates_dir is not None and not templates_dir.is_dir():
        raise ConfigError(f"templates folder {templates_dir} does not exist")
    return [str(d) for d in (templates_dir, PACKAGE_DIR / "templates") if d is not None]


@lru_cache(maxsize=8)
def environment(prompts_dir: Path | None = None, templates_dir: Path | None = None) -> jinja2.Environment:
    """The text environment: `prompts/NAME` from prompts_dir then the defaults, `digest/NAME` the markdown
    templates from templates_dir then the packaged ones."""
    if prompts_dir is not None and not prompts_dir.is_dir():
        raise ConfigError(f"prompts folder {prompts_dir} does not exist")
    prompt_dirs = [d for d in (prompts_dir, default_prompts_dir()) if d is not None]
    env = jinja2.Environment(
        loader=jinja2.PrefixLoader(
            {
                "prompts": jinja2.FileSystemLoader([str(d) for d in prompt_dirs]),
                "digest": jinja2.FileSystemLoader(_template_dirs(templates_dir)),
            }
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(cell=escape_cell, text_cell=text_cell, data=prompt_data, arxiv_url=arxiv_url, hf_url=hf_url)
    return env


def _printable(value: object) -> object:
    """A value a site template prints: text loses control and bidi characters (then it is escaped); markup the
    site's own helpers made from text (authoring.site.text) had them dropped before it was rendered."""
    return drop_controls(value) if isinstance(value, str) and not isinstance(value, Markup) else value


@lru_cache(maxsize=8)
def html_environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """The HTML environment of the static site: `site/NAME` from templates_dir then the packaged ones, with
    autoescape always on, so a title like `<script>` or `&` is shown as text wherever a template puts it."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(_template_dirs(templates_dir)),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=True,
        finalize=_printable,
    )
    env.filters.update(arxiv_url=arxiv_url, hf_url=hf_url, unescape_cell=unescape_cell, paragraphs=paragraphs)
    return env


def markdown_templates_hash(templates_dir: Path | None = None) -> str | None:
    """A short hash of the markdown templates in use when a templates folder replaces any of them, else None (the
    packaged templates): a DATE.md rendered through other templates is stale, not edited by hand."""
    if templates_dir is None or not any((templates_dir / name).is_file() for name in MARKDOWN_TEMPLATES):
        return None
    env = environment(None, templates_dir)
    assert env.loader is not None
    digest = hashlib.sha256()
    for name in MARKDOWN_TEMPLATES:
        source, _, _ = env.loader.get_source(env, f"digest/{name}")
        digest.update(name.encode() + b"\0" + source.encode() + b"\0")
    return digest.hexdigest()[:12]


def prompt_hash(prompts_dir: Path | None = None, language: str | None = None) -> str:
    """A short hash of the prompt templates in use, recorded in each entry's provenance (the language template
    is in use only with a language: without one, the hash is what it always was)."""
    env = environment(prompts_dir)
    assert env.loader is not None
    digest = hashlib.sha256()
    for name in PROMPT_TEMPLATES + ((LANGUAGE_TEMPLATE,) if language is not None else ()):
        source, _, _ = env.loader.get_source(env, f"prompts/{name}")
        digest.update(name.encode() + b"\0" + source.encode() + b"\0")
    return digest.hexdigest()[:12]
