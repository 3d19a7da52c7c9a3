"""`digest config`: the settings in force, each with where it came from; `digest config path`: the files read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from authoring.cli.options import AsJson, BaseUrl, Concurrency, Language, MaxCost, Model, OutputDir
from authoring.cli.session import out, say
from authoring.text import count

commands = typer.Typer()


@commands.callback(invoke_without_command=True)
def config(
    ctx: typer.Context,
    model: Model = None,
    base_url: BaseUrl = None,
    concurrency: Concurrency = None,
    output_dir: OutputDir = None,
    language: Language = None,
    max_cost: MaxCost = None,
    as_json: AsJson = False,
) -> None:
    """List every setting with its value and where it came from (default, user file, project file, environment
    variable, flag); the API key shows as set or not set, never its value. The flags show how a command given
    them would run.

    Example: digest config --model gpt-5-nano
    """
    if ctx.invoked_subcommand is not None:
        return
    from authoring import config as settings_module
    from authoring.cli import views

    flags = {"model": model, "base_url": base_url, "concurrency": concurrency, "output_dir": output_dir,
             "language": language, "max_cost": max_cost}
    settings = settings_module.load(flags)
    origins = settings_module.origins(settings, flags)
    project, user = settings_module.config_files()
    rows = [(name, _shown(name, getattr(settings, name)), _origin(origins[name], project, user))
            for name in type(settings).model_fields]
    if as_json:
        out.print_json(json.dumps({"settings": {name: {"value": value, "origin": origin}
                                                for name, value, origin in rows},
                                   "files": {"project": str(project), "user": str(user)}}))
        return
    out.print(views.settings_table(rows))


@commands.command()
def path() -> None:
    """Print the settings files digest reads, the one that wins first: ./digest.toml, then your own config.toml
    in the platform's config folder ($XDG_CONFIG_HOME/digest/config.toml on Linux).

    Example: digest config path
    """
    from authoring import config as settings_module

    project, user = settings_module.config_files()
    for label, file in (("project file", project), ("user file", user)):
        say(f"{file}  ({label}{'' if file.is_file() else ', not there'})")


def _shown(name: str, value: Any) -> Any:
    """A setting's value as `digest config` shows it: the key as set or not set, `send_to` by its count, addresses
    without credentials, the price table by size; JSON-ready."""
    from authoring.redact import redact_url

    if name == "api_key":
        return "set" if value is not None and value.get_secret_value() else "not set"
    if name == "send_to":  # `digest send`'s destinations: a URL may hold a token anywhere in it
        return f"{count(len(value), 'destination')} (not shown)" if value else "not set"
    if isinstance(value, str) and "://" in value:
        return redact_url(value)
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, dict):
        return {model: list(price) for model, price in value.items()}
    return value


def _origin(origin: str, project: Path, user: Path) -> str:
    """`default`, `flag`, `environment variable NAME`, `project file PATH`, `user file PATH`, or `found ...`."""
    from authoring import config as settings_module

    if origin in (settings_module.DEFAULT, settings_module.FLAG):
        return origin
    if origin == settings_module.FOUND:
        return "found in the working directory"
    if origin == str(project):
        return f"project file {project}"
    if origin == str(user):
        return f"user file {user}"
    return f"environment variable {origin}"

