"""Settings, read once from the environment and a `.env` file (docs/design.md §1).

Secrets are `SecretStr`: they print as `'**********'` in a repr, a log line or a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from pydantic import Field, SecretStr, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from bot.model.prices import Price
    from bot.model.spend import Budget

_EMPTY = "is set but empty"


_Loaded = TypeVar("_Loaded", bound=BaseSettings)


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it and never shows a secret."""


class _Prices(BaseSettings):
    """BEADLE_PRICES, for the App and for `beadle review` alike."""

    prices_json: str | None = Field(default=None, validation_alias="BEADLE_PRICES")

    @field_validator("prices_json", mode="after")
    @classmethod
    def _prices_parse(cls, value: str | None) -> str | None:
        return _check_prices(value)

    def prices(self) -> dict[str, Price]:
        """BEADLE_PRICES: models added to, or repriced in, bot/model/prices.py's table."""
        from bot.model.prices import parse_prices

        return parse_prices(self.prices_json)


class Settings(_Prices):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    app_id: str = Field(validation_alias="APP_ID")
    private_key: SecretStr | None = Field(default=None, validation_alias="PRIVATE_KEY")
    private_key_path: Path | None = Field(
        default=None, validation_alias="PRIVATE_KEY_PATH", validate_default=True
    )
    webhook_secret: SecretStr = Field(validation_alias="WEBHOOK_SECRET")
    github_api_url: str = Field(default="https://api.github.com", validation_alias="GITHUB_API_URL")
    openai_api_key: SecretStr = Field(validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    model: str = Field(default="gpt-4.1", validation_alias="BEADLE_MODEL")
    # A URL may carry a password, so it is a secret too.
    database_url: SecretStr = Field(
        default=SecretStr("sqlite:///beadle.sqlite3"), validation_alias="DATABASE_URL"
    )

    # Tuning knobs with safe defaults; not part of the contract.
    workers: int = Field(default=4, ge=1, le=64, validation_alias="BEADLE_WORKERS")
    max_attempts: int = Field(default=5, ge=1, le=20, validation_alias="BEADLE_MAX_ATTEMPTS")
    context_tokens: int = Field(default=128_000, ge=8_000, validation_alias="BEADLE_CONTEXT_TOKENS")
    answer_tokens: int = Field(default=8_000, ge=1_000, validation_alias="BEADLE_ANSWER_TOKENS")
    model_timeout: float = Field(default=300.0, gt=0, validation_alias="BEADLE_MODEL_TIMEOUT")
    redeliver_every: float = Field(default=0.0, ge=0, validation_alias="BEADLE_REDELIVER_EVERY")
    lease_seconds: float = Field(default=120.0, ge=1, validation_alias="BEADLE_LEASE_SECONDS")
    # Quick retries within one attempt, by Beadle (the SDK's own are off): each is a request
    # BEADLE_MODEL_MAX_REQUESTS counts.
    model_retries: int = Field(default=1, ge=0, le=10, validation_alias="BEADLE_MODEL_RETRIES")
    # What one job may spend on the model over all its attempts (bot/model/spend.py).
    model_max_requests: int = Field(
        default=3, ge=1, le=100, validation_alias="BEADLE_MODEL_MAX_REQUESTS"
    )
    model_max_seconds: float = Field(
        default=900.0, gt=0, validation_alias="BEADLE_MODEL_MAX_SECONDS"
    )
    retry_base: float = Field(default=5.0, gt=0, validation_alias="BEADLE_RETRY_BASE")
    poll_interval: float = Field(default=1.0, gt=0, validation_alias="BEADLE_POLL_INTERVAL")
    # How a dead worker process is told (bot/queue/identity.py): its host name must tell the
    # machines (and containers) that share one database apart.
    worker_host: str | None = Field(default=None, validation_alias="BEADLE_WORKER_HOST")
    worker_heartbeat: float = Field(
        default=2.0, gt=0, le=60, validation_alias="BEADLE_WORKER_HEARTBEAT"
    )
    bot_login: str | None = Field(default=None, validation_alias="BEADLE_BOT_LOGIN")
    # Bytes of webhook bodies read at once, all requests together (bot/intake/limits.py); at
    # least GitHub's largest payload, 25 MB.
    intake_memory_mb: int = Field(
        default=64, ge=25, le=65_536, validation_alias="BEADLE_INTAKE_MEMORY_MB"
    )
    # Where beads' Dolt blobs are kept between reviews (docs/design.md §8); see cache_folder().
    cache_dir: Path | None = Field(default=None, validation_alias="BEADLE_CACHE_DIR")
    # `beadle serve`'s port (Procfile style; `--port` wins) and the metrics of `beadle worker`
    # (`--metrics-port` wins; unset: no metrics server), design.md §1 and §8.
    port: int = Field(default=3000, ge=0, le=65_535, validation_alias="PORT")
    metrics_port: int | None = Field(
        default=None, ge=0, le=65_535, validation_alias="BEADLE_METRICS_PORT"
    )
    # When set, `GET /metrics` wants `Authorization: Bearer <token>` (design.md §8).
    metrics_token: SecretStr | None = Field(default=None, validation_alias="BEADLE_METRICS_TOKEN")
    # Models added to, or repriced in, bot/model/prices.py's table, for the reviews' cost.

    @field_validator("app_id", "webhook_secret", "openai_api_key", mode="after")
    @classmethod
    def _not_blank(cls, value: str | SecretStr) -> str | SecretStr:
        """`WEBHOOK_SECRET=` (a blank line in .env) is no secret: refuse to start on it rather
        than refuse every delivery later."""
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not raw.strip():
            raise ValueError(_EMPTY)
        return value

    @field_validator("metrics_token", mode="after")
    @classmethod
    def _blank_token_is_no_token(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    def model_budget(self) -> Budget:
        """What one job may spend on the model, over all its attempts."""
        from bot.model.spend import Budget

        return Budget(
            max_requests=self.model_max_requests,
            max_seconds=self.model_max_seconds,
            retries=self.model_retries,
        )

    @field_validator("private_key", mode="after")
    @classmethod
    def _blank_key_is_no_key(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value().strip() else None

    @field_validator("private_key_path", mode="after")
    @classmethod
    def _one_key(cls, value: Path | None, info: ValidationInfo) -> Path | None:
        """Checked on the field defined last, so it is reported with every other problem."""
        if value is None and info.data.get("private_key") is None:
            raise ValueError("set PRIVATE_KEY or PRIVATE_KEY_PATH")
        return value

    def private_key_pem(self) -> str:
        """The App's PEM key; `\\n` escapes allowed in PRIVATE_KEY, as Probot accepts them."""
        if self.private_key is not None:
            return self.private_key.get_secret_value().replace("\\n", "\n")
        assert self.private_key_path is not None
        try:
            return self.private_key_path.read_text()
        except OSError as exc:
            raise SettingsError(
                f"PRIVATE_KEY_PATH: cannot read {self.private_key_path}: {exc.strerror}"
            ) from None

    def cache_folder(self) -> Path:
        """BEADLE_CACHE_DIR, else `beadle-cache` beside the SQLite file, else in the working
        directory (PostgreSQL, an in-memory database)."""
        if self.cache_dir is not None:
            return self.cache_dir
        return default_cache_dir(self.database_url.get_secret_value())


def _check_prices(value: str | None) -> str | None:
    from bot.model.prices import parse_prices

    parse_prices(value)  # a bad table stops the command with one line naming it
    return value


class StoreSettings(BaseSettings):
    """What `beadle jobs` needs: the database alone, so it works on a machine (or with a
    `.env`) that holds no App credentials."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    database_url: SecretStr = Field(
        default=SecretStr("sqlite:///beadle.sqlite3"), validation_alias="DATABASE_URL"
    )


LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class LogSettings(BaseSettings):
    """How every command logs, read before anything else (bot/logs.py)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    log_level: str = Field(default="INFO", validation_alias="LOG_LEVEL")
    # text: the classic one line; json: one JSON object a line, with the delivery and job ids
    log_format: str = Field(default="text", validation_alias="LOG_FORMAT")

    @field_validator("log_level", mode="after")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.strip().upper() or "INFO"
        if level not in LOG_LEVELS:
            raise ValueError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("log_format", mode="after")
    @classmethod
    def _format(cls, value: str) -> str:
        fmt = value.strip().lower() or "text"
        if fmt not in ("text", "json"):
            raise ValueError("LOG_FORMAT must be text or json")
        return fmt


def default_cache_dir(database_url: str) -> Path:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        url = make_url(database_url)
    except ArgumentError:
        return Path("beadle-cache")
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        return Path(url.database).parent / "beadle-cache"
    return Path("beadle-cache")


def load_settings(**overrides: object) -> Settings:
    """Read the settings or raise SettingsError with one line naming what is wrong."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors(include_input=False, include_url=False):
        name = str(err["loc"][0]) if err["loc"] else ""
        if err["type"] == "missing":
            problems.append(f"missing required setting {name}")
        elif _EMPTY in err["msg"]:
            problems.append(f"missing required setting {name} (it {_EMPTY})")
        else:
            text = err["msg"].removeprefix("Value error, ")
            named = not name or name.upper() in text  # the message names its variable itself
            problems.append(text if named else f"{name}: {text}")
    return "; ".join(problems)


class ModelSettings(_Prices):
    """What `beadle review` needs of the model: the `OPENAI_*` settings and the token room,
    without the App's. The key is optional here because a dry run asks no model; `api_key()`
    names it when a review needs it."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    openai_api_key: SecretStr | None = Field(default=None, validation_alias="OPENAI_API_KEY")
    openai_base_url: str | None = Field(default=None, validation_alias="OPENAI_BASE_URL")
    model: str = Field(default="gpt-4.1", validation_alias="BEADLE_MODEL")
    context_tokens: int = Field(default=128_000, ge=8_000, validation_alias="BEADLE_CONTEXT_TOKENS")
    answer_tokens: int = Field(default=8_000, ge=1_000, validation_alias="BEADLE_ANSWER_TOKENS")
    model_timeout: float = Field(default=300.0, gt=0, validation_alias="BEADLE_MODEL_TIMEOUT")
    model_retries: int = Field(default=1, ge=0, le=10, validation_alias="BEADLE_MODEL_RETRIES")

    def api_key(self) -> str:
        key = self.openai_api_key.get_secret_value().strip() if self.openai_api_key else ""
        if not key:
            raise SettingsError("missing required setting OPENAI_API_KEY")
        return key


class GitHubSettings(BaseSettings):
    """How `beadle review OWNER/REPO#N` reaches GitHub: a token (`GITHUB_TOKEN`, a personal or
    an Actions token) or the App's credentials; every field optional, the command says which
    pair is missing."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=True)

    github_api_url: str = Field(default="https://api.github.com", validation_alias="GITHUB_API_URL")
    github_token: SecretStr | None = Field(default=None, validation_alias="GITHUB_TOKEN")
    app_id: str | None = Field(default=None, validation_alias="APP_ID")
    private_key: SecretStr | None = Field(default=None, validation_alias="PRIVATE_KEY")
    private_key_path: Path | None = Field(default=None, validation_alias="PRIVATE_KEY_PATH")
    bot_login: str | None = Field(default=None, validation_alias="BEADLE_BOT_LOGIN")
    # Dolt blobs read from GitHub, kept between runs; None: kept in memory for this run only
    cache_dir: Path | None = Field(default=None, validation_alias="BEADLE_CACHE_DIR")

    def token(self) -> str | None:
        value = self.github_token.get_secret_value().strip() if self.github_token else ""
        return value or None

    def app_key_pem(self) -> str | None:
        """The App's PEM key when APP_ID and a key are set, else None."""
        if not (self.app_id or "").strip():
            return None
        if self.private_key is not None and self.private_key.get_secret_value().strip():
            return self.private_key.get_secret_value().replace("\\n", "\n")
        if self.private_key_path is None:
            return None
        try:
            return self.private_key_path.read_text()
        except OSError as exc:
            raise SettingsError(
                f"PRIVATE_KEY_PATH: cannot read {self.private_key_path}: {exc.strerror}"
            ) from None


def _load(kind: type[_Loaded], overrides: dict[str, object]) -> _Loaded:
    """`kind` from the environment and `.env`; SettingsError names every problem at once."""
    try:
        return kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise SettingsError(_describe(exc)) from None


def load_model_settings(**overrides: object) -> ModelSettings:
    return _load(ModelSettings, overrides)


def load_github_settings(**overrides: object) -> GitHubSettings:
    return _load(GitHubSettings, overrides)


def load_store_settings(**overrides: object) -> StoreSettings:
    return _load(StoreSettings, overrides)


def load_log_settings(**overrides: object) -> LogSettings:
    return _load(LogSettings, overrides)
