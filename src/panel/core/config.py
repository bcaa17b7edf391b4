"""Settings read from the environment, with safe defaults for a single-machine install.

Secrets are never committed: the cookie key comes from PANEL_COOKIE_KEY or is generated once
into the data directory (which git ignores).
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path


def _data_dir() -> Path:
    return Path(os.environ.get("PANEL_DATA_DIR", "data")).resolve()


def _float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    return float(raw) if raw not in (None, "") else default


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=_data_dir)
    database_url: str = ""
    cookie_name: str = "panel_session"
    cookie_expiry_days: float = 0.5
    login_sleep_time: float = 0.7
    max_failed_logins: int = 5
    lockout_minutes: int = 15
    idle_minutes: float = 30  # a sign-in unused this long is refused
    smtp_host: str = "localhost"
    smtp_port: int = 25
    smtp_sender: str = "panel@localhost"
    retention_policy: str = ""  # TOML/JSON file overriding the retention defaults (docs/retention.md)

    def __post_init__(self) -> None:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'panel.db'}")

    @property
    def cookie_key(self) -> str:
        env = os.environ.get("PANEL_COOKIE_KEY")
        if env:
            return env
        path = self.data_dir / "cookie_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def get_settings() -> Settings:
    """Read afresh each call: tests and the CLI change the environment between calls."""
    return Settings(
        database_url=os.environ.get("DATABASE_URL", ""),
        cookie_expiry_days=_float("PANEL_COOKIE_EXPIRY_DAYS", 0.5),
        login_sleep_time=_float("PANEL_LOGIN_SLEEP", 0.7),
        max_failed_logins=int(os.environ.get("PANEL_MAX_FAILED_LOGINS", "5")),
        lockout_minutes=int(os.environ.get("PANEL_LOCKOUT_MINUTES", "15")),
        idle_minutes=_float("PANEL_IDLE_MINUTES", 30),
        smtp_host=os.environ.get("PANEL_SMTP_HOST", "localhost"),
        smtp_port=int(os.environ.get("PANEL_SMTP_PORT", "25")),
        smtp_sender=os.environ.get("PANEL_SMTP_SENDER", "panel@localhost"),
        retention_policy=os.environ.get("PANEL_RETENTION_POLICY", ""),
    )
