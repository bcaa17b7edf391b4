"""The sign-in cookie carries its issue time, signed: a setting cannot move it, and a token
without one, or with one in the future, is refused. `_cookie()` is what `restore()` reads on a
new browser session; `accounts.check_session` then decides whether the sign-in still stands."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import jwt
import pytest

from panel.accounts import service as accounts
from panel.core.config import get_settings
from panel.ui import auth


@pytest.fixture
def browser(monkeypatch):
    """The cookie a returning browser sends (what `st.context.cookies` holds)."""
    jar: dict[str, str] = {}
    monkeypatch.setattr(auth.st, "context", SimpleNamespace(cookies=jar))
    return jar


def test_a_signed_out_cookie_stays_refused_when_the_lifetime_is_shortened(demo_db, browser, monkeypatch):
    s = get_settings()
    monkeypatch.setenv("PANEL_COOKIE_EXPIRY_DAYS", "30")
    issued = datetime.now(UTC) - timedelta(days=2)
    browser[s.cookie_name] = auth.issue_token("member", issued, s.cookie_key, 30)
    assert accounts.check_session("member", auth._cookie()[1])[0] is None  # idle for two days
    accounts.record_logout("member", everywhere=True)  # signed out: every older cookie refused
    monkeypatch.setenv("PANEL_COOKIE_EXPIRY_DAYS", "3")
    found = auth._cookie()
    assert found is not None and accounts.check_session("member", found[1]) == (None, "ended")
    assert abs(found[1] - issued) < timedelta(seconds=1)
    monkeypatch.setenv("PANEL_COOKIE_EXPIRY_DAYS", "1")  # shorter than the cookie's age
    assert auth._cookie() is None


def test_a_token_without_a_valid_issue_time_is_refused(demo_db, browser):
    s = get_settings()
    now = time.time()
    sign = lambda claims: jwt.encode(claims, s.cookie_key, algorithm="HS256")  # noqa: E731
    browser[s.cookie_name] = sign({"username": "member", "exp_date": now + 3600})  # the library's own token
    assert auth._cookie() is None
    browser[s.cookie_name] = sign({"username": "member", "iat": now + 86400, "exp_date": now + 90000})
    assert auth._cookie() is None
    browser[s.cookie_name] = sign({"username": "member", "iat": "yesterday", "exp_date": now + 3600})
    assert auth._cookie() is None
    browser[s.cookie_name] = sign({"username": "member", "iat": now - 5, "exp_date": now + 3600})
    assert auth._cookie()[0] == "member"  # the same claims with a past issue time are read
    browser[s.cookie_name] = jwt.encode({"username": "member", "iat": now - 5, "exp_date": now + 3600},
                                        "another-installation-key-0123456789", algorithm="HS256")
    assert auth._cookie() is None
