"""Settings read from the environment, typed and checked, with safe defaults for a single-machine
install.

Every setting is one environment variable, named by its field's `validation_alias`; the README's
"Configuration" table lists the same variables with the same defaults (a test compares them). A
value that does not parse or is out of range raises `ConfigError`, whose message is one line
naming the variable: the web app (`panel.ui.startup`) and the `panel` command check the settings
before doing anything else, so a typo stops them at once rather than midway through a request.

Secrets are never committed: the cookie key comes from PANEL_COOKIE_KEY or is generated once
into the data directory (which git ignores).
"""

from __future__ import annotations

import os
import secrets
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import ClassVar, Literal

from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from panel.core.errors import PanelError

# Database URL schemes Panel is built and tested for (docs/operations.md): SQLite for a single
# machine, PostgreSQL (through psycopg) for several servers.
DATABASE_SCHEMES = ("sqlite", "sqlite+pysqlite", "postgresql", "postgresql+psycopg")


class ConfigError(PanelError):
    """A setting in the environment is malformed; the message is one line naming the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True,
        extra="ignore",
        populate_by_name=True,  # Settings(smtp_host=...) in tests, PANEL_SMTP_HOST in the environment
        env_ignore_empty=True,  # an empty variable means "use the default", as it always has
    )

    data_dir: Path = Field(Path("data"), validation_alias="PANEL_DATA_DIR")
    database_url: str = Field("", validation_alias="DATABASE_URL")  # empty: SQLite in data_dir
    cookie_secret: SecretStr | None = Field(None, validation_alias="PANEL_COOKIE_KEY")
    cookie_expiry_days: float = Field(0.5, gt=0, validation_alias="PANEL_COOKIE_EXPIRY_DAYS")
    login_sleep_time: float = Field(0.7, ge=0, le=10, validation_alias="PANEL_LOGIN_SLEEP")
    # Zero failures or a zero-minute lockout would silently switch the guessing defence off.
    max_failed_logins: int = Field(5, ge=1, validation_alias="PANEL_MAX_FAILED_LOGINS")
    lockout_minutes: int = Field(15, ge=1, validation_alias="PANEL_LOCKOUT_MINUTES")
    idle_minutes: float = Field(30, gt=0, validation_alias="PANEL_IDLE_MINUTES")  # unused this long: refused
    # TOML/JSON file overriding the retention defaults (docs/retention.md); empty: the defaults.
    retention_policy: str = Field("", validation_alias="PANEL_RETENTION_POLICY")
    # Pins "today" for tests and demos. panel.core.clock reads the variable itself (it stays free
    # of this module); it is declared here so a malformed date stops start-up too.
    today: date | None = Field(None, validation_alias="PANEL_TODAY")
    # A demonstration install (`make run`): `panel demo-data --if-empty` fills an empty database
    # with invented partnerships. A real installation sets PANEL_DEMO=0 so it never does.
    demo: bool = Field(True, validation_alias="PANEL_DEMO")
    smtp_host: str = Field("localhost", min_length=1, validation_alias="PANEL_SMTP_HOST")
    smtp_port: int = Field(25, ge=1, le=65535, validation_alias="PANEL_SMTP_PORT")
    smtp_sender: str = Field("panel@localhost", validation_alias="PANEL_SMTP_SENDER")
    # How the mail connection is secured (panel.core.mail): none, starttls (a submission port such
    # as 587) or ssl (TLS from the first byte, port 465). A password is never sent with none.
    smtp_security: Literal["none", "starttls", "ssl"] = Field("none", validation_alias="PANEL_SMTP_SECURITY")
    # Signing in to the mail server: from the environment only, never stored in the database.
    smtp_username: str = Field("", validation_alias="PANEL_SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(None, validation_alias="PANEL_SMTP_PASSWORD")
    smtp_timeout: float = Field(30, gt=0, le=600, validation_alias="PANEL_SMTP_TIMEOUT")  # seconds per step

    # Where documents' files are kept (panel.documents.store, docs/operations.md): "local", a
    # folder under data_dir, or "s3", a bucket of an S3-compatible store (AWS S3, MinIO) whose
    # credentials boto3 reads from the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY).
    file_store: Literal["local", "s3"] = Field("local", validation_alias="PANEL_FILE_STORE")
    s3_bucket: str = Field("", validate_default=True, validation_alias="PANEL_S3_BUCKET")
    s3_prefix: str = Field("", validation_alias="PANEL_S3_PREFIX")
    s3_endpoint_url: str = Field("", validation_alias="PANEL_S3_ENDPOINT_URL")  # e.g. MinIO's address
    s3_region: str = Field("", validation_alias="PANEL_S3_REGION")
    # The largest document accepted, in MB; .streamlit/config.toml's maxUploadSize must allow it.
    max_document_mb: int = Field(20, ge=1, le=200, validation_alias="PANEL_MAX_DOCUMENT_MB")

    cookie_name: ClassVar[str] = "panel_session"  # not configurable: a constant of the app

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.resolve()

    @field_validator("database_url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value:
            scheme = value.partition("://")[0] if "://" in value else ""
            if scheme not in DATABASE_SCHEMES:
                raise ValueError(f"the scheme must be one of {', '.join(DATABASE_SCHEMES)} "
                                 f"(got {scheme + '://' if scheme else 'no scheme'})")
        return value

    @field_validator("smtp_sender")
    @classmethod
    def _address(cls, value: str) -> str:
        local, at, domain = value.partition("@")
        if not (local and at and domain) or "@" in domain or any(c.isspace() for c in value):
            raise ValueError("must be one e-mail address, such as panel@example.org")
        return value

    @field_validator("s3_bucket")
    @classmethod
    def _bucket_for_s3(cls, value: str, info: ValidationInfo) -> str:
        if info.data.get("file_store") == "s3" and not value:
            raise ValueError("must name the bucket when PANEL_FILE_STORE=s3")
        return value

    @model_validator(mode="after")
    def _default_database(self) -> Settings:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'panel.db'}")
        return self

    @property
    def cookie_key(self) -> str:
        if self.cookie_secret is not None:
            return self.cookie_secret.get_secret_value()
        path = self.data_dir / "cookie_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def variables() -> dict[str, str]:
    """Environment variable -> field name, for every setting."""
    return {f.validation_alias: name for name, f in Settings.model_fields.items()}


# Never echoed in an error: a database URL can carry its password.
_NOT_ECHOED = {"database_url"}


def _describe(error: ValidationError) -> str:
    fields = Settings.model_fields
    by_alias = variables()
    parts = []
    for e in error.errors():
        where = str(e["loc"][0]) if e["loc"] else ""
        name = by_alias.get(where, where)
        variable = fields[name].validation_alias if name in fields else where
        secret = name in _NOT_ECHOED or (name in fields and "SecretStr" in str(fields[name].annotation))
        shown = "" if secret or e["type"] == "missing" else f"={e.get('input')!r}"
        message = e["msg"].removeprefix("Value error, ")
        parts.append(f"{variable}{shown}: {message[0].lower()}{message[1:]}")
    return "Configuration error: " + "; ".join(parts)


@lru_cache(maxsize=16)
def _settings_for(environment: tuple[tuple[str, str | None], ...], cwd: str) -> Settings:
    try:
        return Settings()
    except ValidationError as e:
        raise ConfigError(_describe(e)) from None


def get_settings() -> Settings:
    """The settings for the environment as it is now: tests and the CLI change the environment
    between calls, so this re-reads it, and parses again only when a variable has changed.

    Raises ConfigError (one line, naming the variable) when a value is malformed."""
    # The working directory is part of the key: a relative PANEL_DATA_DIR resolves against it.
    return _settings_for(tuple((v, os.environ.get(v)) for v in variables()), os.getcwd())


def check_settings() -> str | None:
    """None when the environment's settings are valid, else the one-line reason they are not."""
    try:
        get_settings()
    except ConfigError as e:
        return str(e)
    return None
