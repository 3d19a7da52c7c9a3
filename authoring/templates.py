"""The one jinja2 environment: prompt templates (user's prompts/ over the packaged defaults), the digest
template, and the shared filters (table-cell escaping, with text hygiene for untrusted text; arXiv and HuggingFace
links)."""

from __future__ import annotations

import hashlib
import re
from functools import lru_cache
from pathlib import Path

import jinja2

from .errors import ConfigError
from .text import drop_controls, neutralise_html, prompt_data, restore_html

PACKAGE_DIR = Path(__file__).parent
PROMPT_TEMPLATES = ("system.j2", "user.j2")

# Everything a markdown reader or Python's splitlines() treats as a line break, plus tabs.
_BREAKS = re.compile(r"\r\n|[\r\n\t\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
# A run of backslashes directly before a pipe: doubled, so the pipe's own escape stays an escape.
_PIPE = re.compile(r"(\\*)\|")


def default_prompts_dir() -> Path:
    """The packaged prompts: inside the wheel, or the repository's prompts/ in a source checkout."""
    packaged = PACKAGE_DIR / "prompts"
    return packaged if packaged.is_dir() else PACKAGE_DIR.parent / "prompts"


def escape_cell(value: object) -> str:
    """Make text safe for one markdown table cell: no line breaks or tabs, every `|` escaped."""
    text = _BREAKS.sub(" ", str(value))
    return _PIPE.sub(lambda m: m.group(1) * 2 + "\\|", text).strip()


def text_cell(value: object) -> str:
    """escape_cell for text from the model, arXiv or a user: control characters dropped and raw HTML neutralised
    first (see text.py). Imported summary cells do not go through it: they are written back byte for byte."""
    return escape_cell(neutralise_html(drop_controls(str(value))))


def unescape_cell(text: str) -> str:
    """Inverse of text_cell's escaping (line breaks turned into spaces, and control characters, cannot come back)."""
    return restore_html(re.sub(r"(\\*)\\\|", lambda m: m.group(1)[: len(m.group(1)) // 2] + "|", text))


def arxiv_url(arxiv_id: str) -> str:
    return f"https://arxiv.org/abs/{arxiv_id}"


def hf_url(arxiv_id: str) -> str:
    return f"https://huggingface.co/papers/{arxiv_id}"


@lru_cache(maxsize=8)
def environment(prompts_dir: Path | None = None) -> jinja2.Environment:
    """The environment: `prompts/NAME` from prompts_dir then the defaults, `digest/NAME` the output templates."""
    if prompts_dir is not None and not prompts_dir.is_dir():
        raise ConfigError(f"prompts folder {prompts_dir} does not exist")
    prompt_dirs = [d for d in (prompts_dir, default_prompts_dir()) if d is not None]
    env = jinja2.Environment(
        loader=jinja2.PrefixLoader(
            {
                "prompts": jinja2.FileSystemLoader([str(d) for d in prompt_dirs]),
                "digest": jinja2.FileSystemLoader(str(PACKAGE_DIR / "templates")),
            }
        ),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )
    env.filters.update(cell=escape_cell, text_cell=text_cell, data=prompt_data, arxiv_url=arxiv_url, hf_url=hf_url)
    return env


def prompt_hash(prompts_dir: Path | None = None) -> str:
    """A short hash of the prompt templates in use, recorded in each entry's provenance."""
    env = environment(prompts_dir)
    digest = hashlib.sha256()
    for name in PROMPT_TEMPLATES:
        source, _, _ = env.loader.get_source(env, f"prompts/{name}")
        digest.update(name.encode() + b"\0" + source.encode() + b"\0")
    return digest.hexdigest()[:12]
