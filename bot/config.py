"""Operator settings: ``config.yml`` validated at start, secrets from the environment only.

Precedence, highest first: ``TREMPLIN_<SECTION>__<KEY>`` environment variables, then the YAML file
(``config.yml`` at the root, or ``--config`` / ``TREMPLIN_CONFIG``), then the defaults below. The
deployment variables (``DATABASE_URL``, ``RASA_URL``..., docs/architecture.md) override their settings too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from flows.rules.settings import (
    BookingSettings,
    ConversationSettings,
    NudgeSettings,
    PrivacySettings,
    QuietHoursSettings,
    ReminderSettings,
    ReportSettings,
    RetentionSettings,
    Section,
)

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_CONFIG = ROOT / "config.yml"


class ConfigError(Exception):
    """A configuration problem, already phrased as the one line the operator reads."""


class DatabaseSettings(Section):
    url: str = "sqlite+aiosqlite:///var/tremplin.db"
    auto_migrate: bool = True
    echo: bool = False


class NluSettings(Section):
    backend: Literal["embedded", "rasa"] = "embedded"
    threshold: float = Field(0.5, ge=0, le=1)
    rasa_url: str = "http://127.0.0.1:5005"
    rasa_timeout_seconds: float = Field(2.0, gt=0)
    # After 3 failures in a row, Rasa is left alone this long (the embedded NLU answers), then probed once.
    rasa_pause_seconds: float = Field(60.0, gt=0)
    # With the Rasa backend: refuse to start while Rasa does not answer (off: the embedded NLU answers meanwhile).
    require_rasa: bool = False
    cache_dir: Path = Path("var/nlu")


class TelegramSettings(Section):
    mode: Literal["polling", "webhook"] = "polling"
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(8443, ge=1, le=65535)
    webhook_path: str = "/telegram"
    webhook_public_url: str | None = None
    per_chat_interval_seconds: float = Field(1.0, ge=0)
    overall_per_second: float = Field(30.0, gt=0)


class DeliverySettings(Section):
    tick_seconds: float = Field(2.0, gt=0)
    batch_size: int = Field(100, ge=1)
    max_attempts: int = Field(8, ge=1)
    # A message taken by a worker that stopped (or lost the database) before recording it is sent again after
    # this long: shorter means less delay after a crash, longer means fewer second copies of slow sends.
    stale_after_seconds: float = Field(60.0, ge=5)


class DataSettings(Section):
    communes: Path = Path("data/communes.yml")
    missions_locales: Path = Path("data/missions_locales.yml")
    catalogue: Path = Path("data/catalogue")
    opening_hours: Path = Path("data/opening_hours.yml")
    rome: Path = Path("data/rome")  # ROME 4.0 codes and the sectors' codes (flows/data/rome.py)


class WebSettings(Section):
    """The advisors' desk (``tremplin web``, web/)."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=1, le=65535)
    # The address the desk is reached at, for the links sent by e-mail (https in production).
    public_url: str = "http://127.0.0.1:8080"
    # Session cookies only over HTTPS; off only for a desk tried on this machine over plain HTTP.
    secure_cookies: bool = True
    idle_minutes: int = Field(30, ge=1)  # a session unused this long is closed
    link_minutes: int = Field(15, ge=1)  # a sign-in link is valid this long
    links_per_address: int = Field(3, ge=1)  # sign-in links asked for one address per link_minutes
    links_per_ip: int = Field(10, ge=1)  # and from one IP address
    # Signing in with OpenID Connect (the Département's identity provider, or ProConnect): its issuer and this
    # desk's client id; the client secret from OIDC_CLIENT_SECRET. Unset: sign-in links by e-mail only.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_label: str = "ProConnect"  # the button's words: "Se connecter avec ProConnect"


class OffersSettings(Section):
    """Live offers (bot/offers_http.py): used only when a source's credentials are in the environment."""

    timeout_seconds: float = Field(2.0, gt=0, le=30)  # the longest a person waits for a search
    radius_km: int = Field(10, ge=1, le=100)
    fresh_hours: float = Field(24, gt=0)  # the same criteria are searched at most once in this time
    keep_days: float = Field(7, gt=0)  # answered from an older search this long when a source is down
    pause_seconds: float = Field(60, ge=0)  # after a failure, the source is not asked again before this
    pages: int = Field(1, ge=1, le=8)  # France Travail pages of at most 150 offers
    france_travail_url: str = "https://api.francetravail.io/partenaire/offresdemploi/v2"
    france_travail_token_url: str = "https://entreprise.francetravail.fr/connexion/oauth2/access_token"
    france_travail_per_second: float = Field(10, gt=0)  # the API's published limit
    la_bonne_alternance_url: str = "https://api.apprentissage.beta.gouv.fr/api"
    la_bonne_alternance_per_second: float = Field(5, gt=0)


class LoggingSettings(Section):
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    format: Literal["text", "json"] = "text"  # json: one object a line, for a log collector (journald, Loki...)


class Settings(BaseSettings):
    """Everything an operator may set in ``config.yml``."""

    model_config = SettingsConfigDict(
        extra="forbid", frozen=True, env_prefix="TREMPLIN_", env_nested_delimiter="__", case_sensitive=False
    )

    timezone: str = "Europe/Paris"
    territory: str = "Hauts-de-Seine"
    database: DatabaseSettings = DatabaseSettings()
    nlu: NluSettings = NluSettings()
    telegram: TelegramSettings = TelegramSettings()
    delivery: DeliverySettings = DeliverySettings()
    quiet_hours: QuietHoursSettings = QuietHoursSettings()
    reminders: ReminderSettings = ReminderSettings()
    nudges: NudgeSettings = NudgeSettings()
    booking: BookingSettings = BookingSettings()
    retention: RetentionSettings = RetentionSettings()
    privacy: PrivacySettings = PrivacySettings()
    report: ReportSettings = ReportSettings()
    data: DataSettings = DataSettings()
    web: WebSettings = WebSettings()
    offers: OffersSettings = OffersSettings()
    logging: LoggingSettings = LoggingSettings()

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError("expected an IANA time zone like Europe/Paris") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        """The time zone every date and time is shown in."""
        return ZoneInfo(self.timezone)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # The YAML content arrives through init_settings (see load_settings) so that env wins over it.
        return env_settings, init_settings


class Secrets(BaseSettings):
    """Secrets and deployment facts: read from the environment only, never from a file."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, case_sensitive=True)

    telegram_bot_token: SecretStr | None = Field(None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str | None = Field(None, alias="TELEGRAM_API_BASE_URL")
    database_url: str | None = Field(None, alias="DATABASE_URL")
    rasa_url: str | None = Field(None, alias="RASA_URL")
    smtp_url: SecretStr | None = Field(None, alias="SMTP_URL")
    webhook_secret: SecretStr | None = Field(None, alias="WEBHOOK_SECRET")
    data_key: SecretStr | None = Field(None, alias="TREMPLIN_DATA_KEY")
    oidc_client_secret: SecretStr | None = Field(None, alias="OIDC_CLIENT_SECRET")
    france_travail_client_id: str | None = Field(None, alias="FRANCE_TRAVAIL_CLIENT_ID")
    france_travail_client_secret: SecretStr | None = Field(None, alias="FRANCE_TRAVAIL_CLIENT_SECRET")
    la_bonne_alternance_token: SecretStr | None = Field(None, alias="LA_BONNE_ALTERNANCE_TOKEN")


SECRET_NAMES = {name.lower() for name in ("TELEGRAM_BOT_TOKEN", "SMTP_URL", "WEBHOOK_SECRET", "TREMPLIN_DATA_KEY")} | {
    "token", "telegram_bot_token", "data_key", "smtp_url", "webhook_secret"
} | {"france_travail_client_secret", "la_bonne_alternance_token", "client_secret", "access_token"}


class AppConfig(BaseModel):
    """The settings and the secrets, resolved together."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    settings: Settings
    secrets: Secrets
    config_path: Path | None
    root: Path

    @property
    def database_url(self) -> str:
        """``DATABASE_URL`` if set, otherwise the file's URL (relative SQLite paths are from the root)."""
        return normalise_database_url(self.secrets.database_url or self.settings.database.url, self.root)

    @property
    def nlu_backend(self) -> str:
        """``rasa`` when configured or when ``RASA_URL`` is set."""
        return "rasa" if self.secrets.rasa_url else self.settings.nlu.backend

    @property
    def rasa_url(self) -> str:
        """Where the Rasa server answers."""
        return self.secrets.rasa_url or self.settings.nlu.rasa_url

    def conversation(self) -> ConversationSettings:
        """The part of the settings the conversation (flows/) follows."""
        s = self.settings
        return ConversationSettings(
            timezone=s.timezone, nlu_threshold=s.nlu.threshold, quiet_hours=s.quiet_hours, reminders=s.reminders,
            nudges=s.nudges, booking=s.booking, retention=s.retention, privacy=s.privacy,
            report=s.report,
        )

    def path(self, relative: Path) -> Path:
        """A data or cache path from the settings, relative to the project root."""
        return relative if relative.is_absolute() else self.root / relative


def normalise_database_url(url: str, root: Path) -> str:
    """Pick the async driver and anchor a relative SQLite path at ``root``."""
    if url.startswith(("postgresql://", "postgres://")):
        url = "postgresql+asyncpg://" + url.split("://", 1)[1]
    elif url.startswith("sqlite://") and not url.startswith("sqlite+aiosqlite://"):
        url = "sqlite+aiosqlite://" + url.split("://", 1)[1]
    prefix = "sqlite+aiosqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        url = prefix + str(root / url[len(prefix):])
    return url


def _describe(error: dict[str, Any], sections: dict[str, type[BaseModel]]) -> str:
    key = ".".join(str(part) for part in error["loc"])
    if error["type"] == "extra_forbidden":
        section = str(error["loc"][0]) if len(error["loc"]) > 1 else None
        model = sections.get(section) if section else Settings
        known = ", ".join(model.model_fields) if model else ""
        return f"{key}: unknown key (expected one of: {known})"
    got = error.get("input")
    shown = "" if isinstance(got, dict) else f", got {got!r}"
    message = str(error["msg"]).removeprefix("Value error, ")
    return f"{key}: {message}{shown}"


def load_settings(config_path: Path | None = None, *, root: Path = ROOT) -> AppConfig:
    """Read and validate the configuration; raise ConfigError with one readable line."""
    path = config_path or (Path(os.environ["TREMPLIN_CONFIG"]) if os.environ.get("TREMPLIN_CONFIG") else None)
    path = path or (DEFAULT_CONFIG if (root / "config.yml").exists() else None)
    if path is not None and root == ROOT and not path.is_absolute():
        path = Path.cwd() / path
    raw: dict[str, Any] = {}
    label = str(path) if path else "configuration"
    if path is not None:
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{label}: file not found") from exc
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            where = f" at line {mark.line + 1}" if mark else ""
            raise ConfigError(f"{label}: not valid YAML{where}") from exc
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{label}: expected a mapping of settings at the top level")
        raw = loaded or {}
    for key in _secret_keys(raw):
        raise ConfigError(f"{label}: {key}: secrets come from the environment only, remove this key")
    sections = {
        name: field.annotation
        for name, field in Settings.model_fields.items()
        if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel)
    }
    try:
        settings = Settings(**raw)
    except ValidationError as exc:
        raise ConfigError(f"{label}: {_describe(exc.errors()[0], sections)}") from exc
    try:
        secrets = Secrets()
    except ValidationError as exc:  # pragma: no cover - every secret is an optional string
        raise ConfigError(f"environment: {_describe(exc.errors()[0], {})}") from exc
    return AppConfig(settings=settings, secrets=secrets, config_path=path, root=root)


def _secret_keys(raw: dict[str, Any], prefix: str = "") -> list[str]:
    found = []
    for key, value in raw.items():
        if str(key).lower() in SECRET_NAMES:
            found.append(prefix + str(key))
        if isinstance(value, dict):
            found.extend(_secret_keys(value, f"{prefix}{key}."))
    return found
