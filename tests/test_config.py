"""Settings: typed, checked at start-up, and a malformed one stops the app and the `panel` command
with one line that names the variable."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from panel.core import config
from panel.core.config import ConfigError, Settings, get_settings
from panel.ui import startup
from tests.apptest import shown

PANEL = Path(sys.executable).with_name("panel")

# (variable, value): each is malformed or out of range.
BAD = [
    ("PANEL_IDLE_MINUTES", "abc"),
    ("PANEL_IDLE_MINUTES", "0"),
    ("PANEL_LOCKOUT_MINUTES", "-5"),
    ("PANEL_LOCKOUT_MINUTES", "1.5"),
    ("PANEL_MAX_FAILED_LOGINS", "0"),
    ("PANEL_COOKIE_EXPIRY_DAYS", "-1"),
    ("PANEL_LOGIN_SLEEP", "soon"),
    ("PANEL_SMTP_PORT", "70000"),
    ("PANEL_SMTP_SENDER", "panel"),
    ("PANEL_TODAY", "2026-13-01"),
    ("DATABASE_URL", "mysql://panel:s3cret@db.example.org/panel"),
    ("DATABASE_URL", "panel.db"),
]


@pytest.fixture
def clean_env(monkeypatch, tmp_path):
    """No Panel variable set, the working directory a fresh one: the defaults as shipped."""
    for variable in config.variables():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize(("variable", "value"), BAD)
def test_a_malformed_setting_is_one_line_naming_the_variable(clean_env, monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as caught:
        get_settings()
    message = str(caught.value)
    assert message.startswith(f"Configuration error: {variable}") and "\n" not in message
    assert config.check_settings() == message


def test_a_database_url_is_never_echoed_it_can_carry_a_password(clean_env, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://panel:s3cret@db.example.org/panel")
    message = config.check_settings()
    assert "s3cret" not in message and "mysql://" in message  # the scheme is named, nothing more


def test_every_fault_is_named_on_the_same_line(clean_env, monkeypatch):
    monkeypatch.setenv("PANEL_IDLE_MINUTES", "abc")
    monkeypatch.setenv("PANEL_SMTP_PORT", "none")
    message = config.check_settings()
    assert "PANEL_IDLE_MINUTES" in message and "PANEL_SMTP_PORT" in message and "\n" not in message


def test_defaults_as_shipped(clean_env):
    s = get_settings()
    assert s.data_dir == clean_env / "data"
    assert s.database_url == f"sqlite:///{clean_env / 'data' / 'panel.db'}"
    assert (s.cookie_expiry_days, s.login_sleep_time, s.max_failed_logins, s.lockout_minutes,
            s.idle_minutes) == (0.5, 0.7, 5, 15, 30)
    assert (s.smtp_host, s.smtp_port, s.smtp_sender) == ("localhost", 25, "panel@localhost")
    assert s.retention_policy == "" and s.today is None and s.cookie_name == "panel_session"


def test_an_empty_variable_means_the_default(clean_env, monkeypatch):
    for variable in ("PANEL_IDLE_MINUTES", "DATABASE_URL", "PANEL_SMTP_PORT", "PANEL_TODAY"):
        monkeypatch.setenv(variable, "")
    s = get_settings()
    assert (s.idle_minutes, s.smtp_port, s.today) == (30, 25, None)
    assert s.database_url.startswith("sqlite:///")


def test_values_are_typed_and_reread_when_the_environment_changes(clean_env, monkeypatch):
    monkeypatch.setenv("PANEL_IDLE_MINUTES", "5")
    monkeypatch.setenv("PANEL_TODAY", "2026-11-24")
    monkeypatch.setenv("DATABASE_URL", "postgresql://panel@localhost/panel")
    s = get_settings()
    assert s.idle_minutes == 5.0 and s.today == date(2026, 11, 24)
    assert s.database_url == "postgresql://panel@localhost/panel"
    monkeypatch.setenv("PANEL_IDLE_MINUTES", "7")
    assert get_settings().idle_minutes == 7.0


def test_the_cookie_key_comes_from_the_environment_or_is_generated_once(clean_env, monkeypatch):
    generated = get_settings().cookie_key
    assert len(generated) > 40 and get_settings().cookie_key == generated
    assert (clean_env / "data" / "cookie_key").stat().st_mode & 0o777 == 0o600
    monkeypatch.setenv("PANEL_COOKIE_KEY", "k" * 40)
    assert get_settings().cookie_key == "k" * 40
    assert "k" * 40 not in repr(get_settings())  # a secret stays out of logs and reprs


def test_settings_can_be_built_by_field_name():
    s = Settings(smtp_host="mail.example.org", smtp_port=587)
    assert (s.smtp_host, s.smtp_port) == ("mail.example.org", 587)


def _run_panel(tmp_path, **env):
    base = {k: v for k, v in os.environ.items() if k not in config.variables()}
    base |= {"PANEL_DATA_DIR": str(tmp_path / "data"), **env}
    return subprocess.run([str(PANEL), "migrate"], env=base, capture_output=True, text=True,
                          timeout=120)


def test_the_panel_command_stops_on_a_malformed_setting(tmp_path):
    done = _run_panel(tmp_path, PANEL_IDLE_MINUTES="abc")
    assert done.returncode == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Configuration error: PANEL_IDLE_MINUTES='abc'")
    assert not (tmp_path / "data").exists()  # it stopped before touching the database


def test_the_panel_command_names_a_bad_database_scheme(tmp_path):
    done = _run_panel(tmp_path, DATABASE_URL="oracle://scott:tiger@db/panel")
    assert done.returncode == 2
    assert done.stderr.splitlines() == [done.stderr.strip()] and "DATABASE_URL" in done.stderr
    assert "tiger" not in done.stderr and "Traceback" not in done.stderr


class _Page:
    def __init__(self):
        self.errors: list[str] = []
        self.stopped = False

    def error(self, body, **_):
        self.errors.append(body)

    def stop(self):
        self.stopped = True
        raise SystemExit  # st.stop() ends the script run; nothing after it may run


def test_the_app_stops_with_one_line_on_a_malformed_setting(clean_env, monkeypatch, capsys):
    page = _Page()
    monkeypatch.setattr(startup, "st", page)
    monkeypatch.setenv("PANEL_LOCKOUT_MINUTES", "-1")
    with pytest.raises(SystemExit):
        startup.require_valid_settings()
    assert page.stopped and len(page.errors) == 1
    assert shown(page.errors[0]).startswith("Configuration error: PANEL_LOCKOUT_MINUTES='-1'")
    assert capsys.readouterr().err.strip() == shown(page.errors[0])  # the server log says the same


def test_the_app_starts_on_valid_settings(clean_env, monkeypatch):
    page = _Page()
    monkeypatch.setattr(startup, "st", page)
    startup.require_valid_settings()
    assert not page.stopped and page.errors == []


def test_app_checks_the_settings_before_restoring_a_sign_in():
    source = (Path(__file__).parents[1] / "app.py").read_text()
    assert 0 < source.index("require_valid_settings()") < source.index("auth.restore()")
