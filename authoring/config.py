"""Settings from flags > environment > digest.toml > defaults; the only reader of os.environ."""

from __future__ import annotations

import dataclasses
import ipaddress
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from authoring.errors import ConfigError
from authoring.model.pricing import DEFAULT_PRICES

CONFIG_FILE = "digest.toml"
DEFAULT_MODEL = "gpt-5-mini"
_HOST_LABEL = re.compile(r"[A-Za-z0-9_-]+")  # underscores too: container and service names have them
DEFAULT_BASE_URL = "https://api.openai.com/v1"  # the SDK's own default, always passed to it explicitly

# Environment variables and the setting each one fills.
ENV_VARS = {
    "DIGEST_MODEL": "model",
    "OPENAI_API_KEY": "api_key",
    "OPENAI_BASE_URL": "base_url",
    "DIGEST_ARXIV_API_URL": "arxiv_api_url",
    "DIGEST_ARXIV_PDF_URL": "arxiv_pdf_url",
    "DIGEST_CONCURRENCY": "concurrency",
    "DIGEST_OUTPUT_DIR": "output_dir",
    "DIGEST_PROMPTS_DIR": "prompts_dir",
    "DIGEST_TEMPLATES_DIR": "templates_dir",
    "DIGEST_MAX_AUTHORS": "max_authors",
    "DIGEST_LOCK_TIMEOUT": "lock_timeout",
    "DIGEST_AUTHORS_STYLE": "authors_style",
    "EDITOR": "editor",
    "VISUAL": "editor",  # after EDITOR: VISUAL wins, as for every editor-launching tool
    # The Hub's own variable (mirrors, test servers). huggingface_hub reads it once at import; we read it here and
    # pass it to the client explicitly, so this module stays the only reader of the environment.
    "HF_ENDPOINT": "hf_endpoint",
}
AUTHORS_STYLES = ("arxiv", "hf")


@dataclass(frozen=True)
class Settings:
    """Everything a run needs to know; built once by `load` and passed down explicitly."""

    model: str = DEFAULT_MODEL
    # repr=False: a traceback or debug print of Settings must never show the key.
    api_key: str | None = field(default=None, repr=False)
    base_url: str | None = None
    temperature: float | None = None
    model_timeout: float = 120.0
    model_attempts: int = 6
    output_attempts: int = 2
    concurrency: int = 8
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_pdf_url: str = "https://arxiv.org/pdf"
    pdf_token_budget: int = 12000
    arxiv_delay_seconds: float = 3.0
    arxiv_timeout: float = 30.0
    arxiv_attempts: int = 4
    retry_base_delay: float = 1.0
    max_authors: int = 5
    # The authors cell: arXiv's names in arXiv's order, or as the HuggingFace paper page shows them (render.py).
    authors_style: str = "arxiv"
    # The Hub's daily-papers listing (--from-hf): None is huggingface.co.
    hf_endpoint: str | None = None
    hub_timeout: float = 30.0
    hub_attempts: int = 4
    # Seconds a command waits for another one changing the same day before it gives up.
    lock_timeout: float = 60.0
    output_dir: Path = Path("output")
    prompts_dir: Path | None = None
    # Output templates (digest.md.j2, summary.j2, site/*) replacing the packaged ones file by file.
    templates_dir: Path | None = None
    # US$ per million (input, output) tokens, by model: the defaults updated by digest.toml's [prices] table.
    prices: dict[str, tuple[float, float]] = field(default_factory=lambda: dict(DEFAULT_PRICES))
    # `digest edit`'s editor ($VISUAL, else $EDITOR); None: click's default (vi), on a terminal only.
    editor: str | None = None

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **changes)

    def secrets(self) -> list[str]:
        """Every secret value of the settings, to scrub wherever a server echoes one back: the API key and the
        credentials in any configured URL."""
        from authoring.redact import url_secrets

        urls = (self.base_url, self.arxiv_api_url, self.arxiv_pdf_url, self.hf_endpoint)
        return [value for value in (self.api_key, *(s for url in urls for s in url_secrets(url))) if value]


_FIELDS = {f.name: f for f in fields(Settings)}
# A secret never belongs in a file that may be committed.
_NOT_IN_FILE = {"api_key"}


def load(
    flags: Mapping[str, Any] | None = None,
    *,
    cwd: Path | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """Build Settings: flags (None means unset) > environment > ./digest.toml > defaults."""
    cwd = cwd or Path.cwd()
    environ = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    values.update(_from_file(cwd / CONFIG_FILE))
    for var, name in ENV_VARS.items():
        if environ.get(var):
            values[name] = _coerce(name, environ[var], var)
    for name, value in (flags or {}).items():
        if value is not None:
            values[name] = _coerce(name, value, f"--{name.replace('_', '-')}")
    if "prompts_dir" not in values and (cwd / "prompts").is_dir():
        # A prompts/ folder in the working directory overrides the packaged prompts.
        values["prompts_dir"] = cwd / "prompts"
    if "templates_dir" not in values and (cwd / "templates").is_dir():
        # So does a templates/ folder for the markdown digest and the site.
        values["templates_dir"] = cwd / "templates"
    settings = Settings(**values)
    _validate(settings)
    return settings


def check_credentials(settings: Settings) -> None:
    """Fail before any request when no key is set and no local server is configured, or when the proxy the model
    server would be reached through cannot be used."""
    if not settings.api_key and not settings.base_url:
        raise ConfigError(
            "OPENAI_API_KEY is not set; export it, or pass --base-url for a local OpenAI-compatible server, "
            "or --cassette to replay a recorded run"
        )
    _check_proxies(settings)


def _check_proxies(settings: Settings) -> None:
    """The proxy variables the SDK's client reads (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, as urllib reads them) must
    be http:// or https:// addresses with a host; shown without credentials when not."""
    import urllib.request  # (17 ms; httpx loads it anyway)

    scheme = urlsplit(settings.base_url or DEFAULT_BASE_URL).scheme.lower()
    for name, proxy in urllib.request.getproxies_environment().items():
        proxy = proxy if "://" in proxy else f"http://{proxy}"  # as httpx reads one without a scheme
        if name in ("http", "https", "all") and not _web_address(proxy):
            from authoring.redact import redact_url

            named = scheme if name == "all" else name
            raise ConfigError(f"the proxy for {named}:// ({named.upper()}_PROXY or ALL_PROXY) must be an http:// or "
                              f"https:// address with a host (got {redact_url(proxy)!r}); socks proxies are not "
                              "supported for the model server (NO_PROXY lists hosts that go direct)")


def debug_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """DIGEST_DEBUG=1 makes the CLI re-raise every error with its traceback."""
    environ = os.environ if environ is None else environ
    return environ.get("DIGEST_DEBUG", "") not in ("", "0")


def _from_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{path} is not valid TOML: {err}") from None
    values: dict[str, Any] = {}
    for key, value in data.items():
        if key == "prices":
            values["prices"] = {**DEFAULT_PRICES, **_prices(value, path)}
            continue
        if key not in _FIELDS or key in _NOT_IN_FILE:
            hint = "; put the key in OPENAI_API_KEY" if key in _NOT_IN_FILE else ""
            raise ConfigError(f"{path}: unknown setting {key!r}{hint}")
        values[key] = _coerce(key, value, f"{path}: {key}")
    return values


def _prices(table: Any, path: Path) -> dict[str, tuple[float, float]]:
    """[prices] entries: `"model" = { input = 0.25, output = 2.0 }` in US$ per million tokens."""
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [prices] must be a table of models")
    prices = {}
    for model, price in table.items():
        try:
            prices[model] = (float(price["input"]), float(price["output"]))
        except (TypeError, KeyError, ValueError):
            raise ConfigError(
                f'{path}: prices for {model!r} must look like "{model}" = {{ input = 0.25, output = 2.0 }}'
            ) from None
    return prices


def _coerce(name: str, value: Any, origin: str) -> Any:
    """Convert a raw value to the type of setting `name`, naming `origin` on failure."""
    kind = _FIELDS[name].type
    try:
        if "Path" in kind:
            return Path(value).expanduser()
        if kind.startswith("int"):
            if isinstance(value, bool):
                raise ValueError
            return int(value)
        if kind.startswith("float"):
            return float(value)
        return str(value)
    except (TypeError, ValueError):
        raise ConfigError(f"{origin}: {value!r} is not a valid value for {name}") from None


def _validate(settings: Settings) -> None:
    positive = ("concurrency", "max_authors", "model_attempts", "output_attempts", "arxiv_attempts", "pdf_token_budget",
                "hub_attempts")
    for name in positive:
        if getattr(settings, name) < 1:
            raise ConfigError(f"{name} must be at least 1 (got {getattr(settings, name)})")
    if settings.templates_dir is not None and not settings.templates_dir.is_dir():
        raise ConfigError(f"templates folder {settings.templates_dir} does not exist")
    for name in ("prompts_dir", "templates_dir"):
        folder = getattr(settings, name, None)
        if folder is not None and not folder.is_dir():
            raise ConfigError(f"{name.replace('_dir', '')} folder {folder} does not exist")
    if settings.lock_timeout < 0:
        raise ConfigError("lock_timeout must be 0 or more seconds")
    if settings.authors_style not in AUTHORS_STYLES:
        raise ConfigError(f"authors_style must be one of {', '.join(AUTHORS_STYLES)} (got {settings.authors_style!r})")
    for name in ("model_timeout", "arxiv_timeout", "hub_timeout"):
        if getattr(settings, name) <= 0:
            raise ConfigError(f"{name} must be a positive number of seconds")
    for name in ("base_url", "arxiv_api_url", "arxiv_pdf_url", "hf_endpoint"):
        value = getattr(settings, name, None)
        if value is not None and not _web_address(value):
            from authoring.redact import redact_url

            raise ConfigError(f"{name} must be an http:// or https:// address with a host, with no spaces "
                              f"(got {redact_url(value)!r})")


def _web_address(value: str) -> bool:
    """An http:// or https:// address with a host that can be looked up: no space or control character, a port
    that is a number (not 0), host labels of 1 to 63 characters, an internationalised name that encodes (IDNA)."""
    if any(ord(c) < 33 or ord(c) == 127 for c in value):
        return False
    try:
        parts = urlsplit(value)
        port, host = parts.port, parts.hostname  # (raises ValueError for a port that is not a number)
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https") or not host or port == 0:
        return False
    try:
        ipaddress.ip_address(host)
        return True
    except ValueError:
        pass
    labels = host.removesuffix(".").split(".")
    if any(not label or len(label) > 63 for label in labels):
        return False
    if host.isascii():
        return all(_HOST_LABEL.fullmatch(label) for label in labels)
    try:
        import idna  # httpx's own encoder (IDNA 2008)

        idna.encode(host.lower())  # as httpx encodes it
        return True
    except (ImportError, UnicodeError, ValueError):
        return False
