"""Settings from flags > environment > ./digest.toml > the user's config.toml > defaults (pydantic-settings); the
only reader of os.environ."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field, HttpUrl, SecretStr, TypeAdapter, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from authoring.errors import ConfigError
from authoring.pricing import DEFAULT_PRICES, price_for

CONFIG_FILE = "digest.toml"
USER_CONFIG_FILE = "config.toml"  # in the platform's user config folder (platformdirs): user_config_file()
DEFAULT_MODEL = "gpt-5-mini"
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
    "DIGEST_LANGUAGE": "language",
    "DIGEST_MAX_COST": "max_cost",
    "DIGEST_FEED_DAYS": "feed_days",
    "DIGEST_SEND_TO": "send_to",
    "EDITOR": "editor",
    "VISUAL": "editor",  # after EDITOR: VISUAL wins, as for every editor-launching tool
    # The Hub's own variable (mirrors, test servers). huggingface_hub reads it once at import; we read it here and
    # pass it to the client explicitly, so this module stays the only reader of the environment.
    "HF_ENDPOINT": "hf_endpoint",
}
AUTHORS_STYLES = ("arxiv", "hf")
# The flags whose name is not the setting's (--model is model).
_FLAGS = {"prompts_dir": "--prompts", "templates_dir": "--templates", "authors_style": "--authors"}
# Where a setting's value came from (`digest config`), besides a variable's name or a file's path.
DEFAULT, FLAG, FOUND = "default", "flag", "found"
_HTTP_URL = TypeAdapter(HttpUrl)


def _web_address(value: str) -> str:
    """An http:// or https:// address as pydantic parses it (scheme, host, port, IDNA), written without spaces or
    control characters, with a port other than 0 and host labels DNS can carry (1 to 63 characters)."""
    problem = ValueError("must be an http:// or https:// address with a host, with no spaces")
    try:
        url = _HTTP_URL.validate_python(value)
    except ValidationError:
        raise problem from None
    host = url.host or ""
    labels = [] if host.startswith("[") else host.removesuffix(".").split(".")  # an IPv6 literal has none
    if (any(c.isspace() or not c.isprintable() for c in value) or not urlsplit(value).hostname or url.port == 0
            or any(not 0 < len(label) < 64 for label in labels)):
        raise problem
    return value


def _existing_folder(value: Path | None) -> Path | None:
    if value is not None and not value.is_dir():
        raise ValueError("does not exist")
    return value


Address = Annotated[str, AfterValidator(_web_address)]
Folder = Annotated[Path, AfterValidator(lambda path: path.expanduser())]
Count = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(gt=0)]


def _language(value: str | None) -> str | None:
    """A language's name as the prompts write it ("Korean", "français"): one short line of printable text."""
    if value is None:
        return None
    value = value.strip()
    if not value or len(value) > 40 or any(not c.isprintable() for c in value) or "{" in value:
        raise ValueError("must be a language's name, e.g. Korean (one line, at most 40 characters)")
    return value


class Settings(BaseSettings):
    """Everything a run needs to know; built once by `load` and passed down explicitly. `Settings(...)` reads the
    environment and ./digest.toml under the values it is given, as `load` does."""

    model_config = SettingsConfigDict(frozen=True, extra="forbid", toml_file=CONFIG_FILE, hide_input_in_errors=True)

    model: str = DEFAULT_MODEL
    api_key: SecretStr | None = None  # a SecretStr: a repr, a traceback or a dump shows '**********'
    base_url: Address | None = None
    temperature: float | None = None
    model_timeout: Seconds = 120.0
    model_attempts: Count = 6
    output_attempts: Count = 2
    concurrency: Count = 8
    arxiv_api_url: Address = "https://export.arxiv.org/api/query"
    arxiv_pdf_url: Address = "https://arxiv.org/pdf"
    pdf_token_budget: Count = 12000
    arxiv_delay_seconds: float = 3.0
    arxiv_timeout: Seconds = 30.0
    arxiv_attempts: Count = 4
    retry_base_delay: float = 1.0
    max_authors: Count = 5
    # The authors cell: arXiv's names in arXiv's order, or as the HuggingFace paper page shows them (render.py).
    authors_style: Literal["arxiv", "hf"] = "arxiv"
    # The Hub's daily-papers listing (--from-hf): None is huggingface.co.
    hf_endpoint: Address | None = None
    hub_timeout: Seconds = 30.0
    hub_attempts: Count = 4
    # Seconds a command waits for another one changing the same day before it gives up.
    lock_timeout: Annotated[float, Field(ge=0)] = 60.0
    output_dir: Folder = Path("output")
    prompts_dir: Annotated[Folder | None, AfterValidator(_existing_folder)] = None
    # Output templates (digest.md.j2, summary.j2, site/*) replacing the packaged ones file by file.
    templates_dir: Annotated[Folder | None, AfterValidator(_existing_folder)] = None
    # US$ per million (input, output) tokens, by model: the defaults updated by digest.toml's [prices] table.
    prices: dict[str, tuple[float, float]] = Field(default_factory=lambda: dict(DEFAULT_PRICES))
    # `digest edit`'s editor ($VISUAL, else $EDITOR); None: click's default (vi), on a terminal only.
    editor: str | None = None
    # The language the summaries and questions are written in (prompts/language.j2); None: the prompts as they are.
    language: Annotated[str | None, AfterValidator(_language)] = None
    # US$ a run may spend (estimated before each model call from the price table); None: no budget.
    max_cost: Annotated[float | None, Field(gt=0)] = None
    # `digest site`: the newest days the Atom feed carries, and its author (None: the site's title).
    feed_days: Count = 30
    feed_author: str | None = None
    # `digest send`: Apprise URLs (tgram://, mailtos://, slack://, json://, ...), when no --to is given. In
    # DIGEST_SEND_TO they are separated by spaces; a URL with a token belongs there (a CI secret), not in a file.
    send_to: list[str] = []

    @field_validator("send_to", mode="before")
    @classmethod
    def _send_to(cls, value: Any) -> Any:
        """DIGEST_SEND_TO: URLs separated by whitespace (a URL has none)."""
        return value.split() if isinstance(value, str) else value

    @field_validator("prices", mode="before")
    @classmethod
    def _prices(cls, table: Any) -> dict[str, Any]:
        """[prices] entries: `"model" = { input = 0.25, output = 2.0 }` in US$ per million tokens, over the
        defaults; an entry already a pair (from `replace`) is kept."""
        if not isinstance(table, dict):
            raise ValueError("[prices] must be a table of models")
        prices = dict(DEFAULT_PRICES)
        for model, price in table.items():
            try:
                prices[model] = (float(price["input"]), float(price["output"])) if isinstance(price, dict) else price
            except (TypeError, KeyError, ValueError):
                raise ValueError(f'prices for {model!r} must look like "{model}" = {{ input = 0.25, output = 2.0 }}'
                                 ) from None
        return prices

    @classmethod
    def settings_customise_sources(cls, settings_cls, init_settings, env_settings, dotenv_settings,
                                   file_secret_settings) -> tuple[PydanticBaseSettingsSource, ...]:
        """Flags (the values given) > the ENV_VARS of the environment > ./digest.toml > the user's config.toml >
        defaults."""
        return (init_settings, _Environment(settings_cls), _ConfigFile(settings_cls),
                _ConfigFile(settings_cls, toml_file=user_config_file()))

    def replace(self, **changes: Any) -> Settings:
        """A copy with `changes`, validated as the settings are (the environment and digest.toml are not re-read)."""
        return type(self).model_validate({**dict(self), **changes})

    def secrets(self) -> list[str]:
        """Every secret value of the settings, to scrub wherever a server echoes one back: the API key and the
        credentials in any configured URL and in the proxy variables of the environment (which the clients read)."""
        import urllib.request

        from authoring.redact import url_secrets

        proxies = (url if "://" in url else f"http://{url}"
                   for scheme, url in urllib.request.getproxies_environment().items() if scheme != "no")
        urls = (self.base_url, self.arxiv_api_url, self.arxiv_pdf_url, self.hf_endpoint, *proxies)
        key = self.api_key.get_secret_value() if self.api_key else None
        return [value for value in (key, *(s for url in urls for s in url_secrets(url))) if value]


class _Environment(PydanticBaseSettingsSource):
    """The environment variables of ENV_VARS: the names are the SDK's and the Hub's own where they exist, so they
    are listed rather than derived from a prefix. An empty variable is not set."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self().get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {name: os.environ[var] for var, name in ENV_VARS.items() if os.environ.get(var)}


class _ConfigFile(TomlConfigSettingsSource):
    """./digest.toml (or the user's config.toml), which may hold any setting but the key: a secret never belongs in
    a file that may be committed or shared."""

    def __init__(self, settings_cls: type[BaseSettings], toml_file: Path | None = None):
        self.path = Path(toml_file or CONFIG_FILE)
        super().__init__(settings_cls, toml_file=self.path)

    def __call__(self) -> dict[str, Any]:
        values = super().__call__()
        if "api_key" in values:
            raise ConfigError(f"{self.path.resolve()}: unknown setting 'api_key'; put the key in OPENAI_API_KEY")
        return values


def user_config_file() -> Path:
    """The user's own settings file, in the platform's user config folder: $XDG_CONFIG_HOME/digest/config.toml
    (default ~/.config/digest/config.toml) on Linux, ~/Library/Application Support/digest/config.toml on macOS,
    %LOCALAPPDATA%\\digest\\config.toml on Windows."""
    import platformdirs

    return platformdirs.user_config_path("digest", appauthor=False) / USER_CONFIG_FILE


def config_files(cwd: Path | None = None) -> list[Path]:
    """The settings files a command reads, the one that wins first: ./digest.toml, then the user's config.toml."""
    return [(cwd or Path.cwd()) / CONFIG_FILE, user_config_file()]


def load(flags: Mapping[str, Any] | None = None) -> Settings:
    """Build Settings: flags (None means unset) > environment > ./digest.toml > the user's config.toml > defaults;
    a bad value is a ConfigError naming the setting and where it came from."""
    given = {name: value for name, value in (flags or {}).items() if value is not None}
    cwd = Path.cwd()
    files = config_files(cwd)
    try:
        settings = Settings(**given)
    except ValidationError as problem:
        raise ConfigError(_in_our_words(problem, given, files)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError):
        for path in files:
            _file_values(path)  # names the file that is not TOML
        raise
    found = {}
    if settings.prompts_dir is None and (cwd / "prompts").is_dir():
        found["prompts_dir"] = cwd / "prompts"  # a prompts/ folder in the working directory overrides the packaged
    if settings.templates_dir is None and (cwd / "templates").is_dir():
        found["templates_dir"] = cwd / "templates"  # so does a templates/ folder, for the digest and the site
    return settings.replace(**found) if found else settings


def origins(settings: Settings, flags: Mapping[str, Any] | None = None) -> dict[str, str]:
    """Where each of `settings` (as `load(flags)` built them) came from: FLAG, the environment variable's name, the
    path of the file that set it, FOUND (a prompts/ or templates/ folder of the working directory) or DEFAULT."""
    given = {name for name, value in (flags or {}).items() if value is not None}
    variables = {name: var for var, name in ENV_VARS.items() if os.environ.get(var)}  # the last one set wins
    files = [(path, _file_values(path)) for path in config_files()]
    found: dict[str, str] = {}
    for name in Settings.model_fields:
        in_file = next((str(path) for path, values in files if name in values), None)
        if name in given:
            found[name] = FLAG
        elif name in variables:
            found[name] = variables[name]
        elif in_file is not None:
            found[name] = in_file
        elif name in ("prompts_dir", "templates_dir") and getattr(settings, name) is not None:
            found[name] = FOUND
        else:
            found[name] = DEFAULT
    return found


def _file_values(path: Path) -> dict[str, Any]:
    """A settings file's top-level values ({} when there is none), or a ConfigError naming it."""
    try:
        with path.open("rb") as file:
            return tomllib.load(file)
    except FileNotFoundError:
        return {}
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as problem:
        raise ConfigError(f"{path} is not valid TOML: {problem}") from None
    except OSError as problem:
        raise ConfigError(f"cannot read {path}: {problem.strerror or problem}") from None


def _in_our_words(problem: ValidationError, given: Mapping[str, Any], files: list[Path]) -> str:
    """The first thing wrong, as one line: where it came from (flag, variable or file), the setting, and why."""
    error = problem.errors(include_url=False)[0]
    name = str(error["loc"][0]) if error["loc"] else "settings"
    path = next((path for path in files if name in _file_values(path)), files[0])
    value, kind, said = error.get("input"), error["type"], str((error.get("ctx") or {}).get("error", ""))
    variables = [var for var, field in ENV_VARS.items() if field == name and os.environ.get(var)]
    flag = _FLAGS.get(name, f"--{name.replace('_', '-')}")
    where = flag if name in given else variables[-1] if variables else str(path)
    if kind == "extra_forbidden":
        return f"{path}: unknown setting {name!r}"
    if name == "api_key":
        return f"{where}: the key is not a valid value for api_key"  # never shown
    if kind == "value_error" and said.startswith("must be an http"):
        from authoring.redact import redact_url

        return f"{where}: {name} {said} (got {redact_url(value)!r})"
    if kind == "value_error" and said == "does not exist":
        return f"{name.removesuffix('_dir')} folder {value} does not exist ({where})"
    if kind == "value_error":
        return f"{where}: {said}"
    if kind == "greater_than_equal":
        return f"{where}: {name} must be at least {error['ctx']['ge']:g} (got {value!r})"
    if kind == "greater_than" and name == "max_cost":
        return f"{where}: max_cost must be a positive amount of US$ (got {value!r})"
    if kind == "greater_than":
        return f"{where}: {name} must be a positive number of seconds (got {value!r})"
    if kind == "literal_error":
        return f"{name} must be one of {', '.join(AUTHORS_STYLES)} (got {value!r})"
    return f"{where}: {value!r} is not a valid value for {name}"


def check_credentials(settings: Settings) -> None:
    """Fail before any request when no key is set and no local server is configured, when the proxy the model
    server would be reached through cannot be used, or when a --max-cost cannot be kept (the model has no price)."""
    if not settings.api_key and not settings.base_url:
        raise ConfigError(
            "OPENAI_API_KEY is not set; export it, or pass --base-url for a local OpenAI-compatible server, "
            "or --cassette to replay a recorded run"
        )
    if settings.max_cost is not None and price_for(settings.model, settings.prices) is None:
        raise ConfigError(missing_price(settings.model))
    _check_proxies(settings)


def missing_price(model: str) -> str:
    """Why a budget cannot be kept for `model`, and the fix."""
    return (f"--max-cost needs a price for {model}: add it under [prices] in digest.toml, e.g. "
            f'"{model}" = {{ input = 0.25, output = 2.0 }}')


def _check_proxies(settings: Settings) -> None:
    """The proxy variables the SDK's client reads (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, as urllib reads them) must
    be http:// or https:// addresses with a host; shown without credentials when not."""
    import urllib.request  # (17 ms; httpx loads it anyway)

    scheme = urlsplit(settings.base_url or DEFAULT_BASE_URL).scheme.lower()
    for name, proxy in urllib.request.getproxies_environment().items():
        proxy = proxy if "://" in proxy else f"http://{proxy}"  # as httpx reads one without a scheme
        if name in ("http", "https", "all") and not _is_web_address(proxy):
            from authoring.redact import redact_url

            named = scheme if name == "all" else name
            raise ConfigError(f"the proxy for {named}:// ({named.upper()}_PROXY or ALL_PROXY) must be an http:// or "
                              f"https:// address with a host (got {redact_url(proxy)!r}); socks proxies are not "
                              "supported for the model server (NO_PROXY lists hosts that go direct)")


def _is_web_address(value: str) -> bool:
    try:
        _web_address(value)
        return True
    except ValueError:
        return False


def debug_enabled(environ: Mapping[str, str] | None = None) -> bool:
    """DIGEST_DEBUG=1 makes the CLI re-raise every error with its traceback."""
    environ = os.environ if environ is None else environ
    return environ.get("DIGEST_DEBUG", "") not in ("", "0")
