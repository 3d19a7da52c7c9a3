"""Chat messages for one paper, rendered from the prompt templates (prompts/system.j2, prompts/user.j2, and
prompts/language.j2 after the system prompt when a language is asked for)."""

from __future__ import annotations

from pathlib import Path

import jinja2

from authoring.errors import ConfigError
from authoring.models import Paper
from authoring.templating import environment


def build_messages(
    paper: Paper,
    *,
    prompts_dir: Path | None = None,
    hint: str = "",
    full_text: str | None = None,
    language: str | None = None,
) -> list[dict[str, str]]:
    """The system and user messages asking for `paper`'s structured summary, from its abstract or, when given,
    from excerpts of its full text; in `language` when given (None: the prompts as written, byte for byte)."""
    context = {
        "paper": paper,
        "source_label": "Full text (excerpts, most relevant sections first)" if full_text else "Abstract",
        "source_text": full_text or paper.abstract,
        "hint": hint,
    }
    system = _render("system.j2", context, prompts_dir).strip()
    if language is not None:
        system += "\n\n" + _render("language.j2", {**context, "language": language}, prompts_dir).strip()
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": _render("user.j2", context, prompts_dir).strip()},
    ]


def _render(name: str, context: dict, prompts_dir: Path | None) -> str:
    try:
        return environment(prompts_dir).get_template(f"prompts/{name}").render(context)
    except jinja2.TemplateNotFound:
        raise ConfigError(f"prompt template {name} not found in {prompts_dir or 'the packaged prompts'}") from None
    except jinja2.TemplateError as err:
        raise ConfigError(f"prompt template {name}: {err}") from None
