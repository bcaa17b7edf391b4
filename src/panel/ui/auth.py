"""Sign-in through streamlit-authenticator, with Panel's own rules on top.

- One `Authenticate` per browser session, created here and only called from app.py.
- Credentials come from the database each time the form is shown; lockout is kept in the
  database (the library's own counter is per process and resets on reload).
- The library's cookie cannot be revoked, so each run checks its issue time against the
  user's `sessions_valid_after` (a password change or "sign out everywhere" moves it).
"""

from __future__ import annotations

from datetime import UTC, datetime

import jwt
import streamlit as st
import streamlit_authenticator as stauth

from panel.config import get_settings
from panel.services import accounts
from panel.services.access import Actor

_KEY = "_panel_authenticator"


def authenticator() -> stauth.Authenticate:
    if _KEY not in st.session_state:
        s = get_settings()
        st.session_state[_KEY] = stauth.Authenticate(
            accounts.load_credentials(), s.cookie_name, s.cookie_key, s.cookie_expiry_days,
            login_sleep_time=s.login_sleep_time,
        )
    return st.session_state[_KEY]


def _credentials(auth: stauth.Authenticate) -> dict:
    return auth.authentication_controller.authentication_model.credentials


def _cookie_issued_at() -> datetime | None:
    s = get_settings()
    token = st.context.cookies.get(s.cookie_name)
    if not token:
        return None
    try:
        payload = jwt.decode(token, s.cookie_key, algorithms=["HS256"])
        exp = float(payload["exp_date"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None
    return datetime.fromtimestamp(exp - s.cookie_expiry_days * 86400, UTC)


def restore() -> Actor | None:
    """The signed-in Actor, restoring a sign-in cookie without drawing anything.

    Called before the page list is built, so a deep link lands on its page after a reload.
    """
    auth = authenticator()
    if not st.session_state.get("authentication_status"):
        auth.login(location="unrendered")
    if not st.session_state.get("authentication_status"):
        return None
    username = st.session_state.get("username")
    issued = st.session_state.get("_panel_signed_in_at") or _cookie_issued_at()
    actor = accounts.actor_for(username) if username else None
    if actor is None or issued is None or not accounts.session_still_valid(username, issued):
        sign_out(auth, reason="Your session has ended. Please sign in again.")
        return None
    st.session_state["_panel_signed_in_at"] = issued
    return actor


def login_form() -> None:
    """The sign-in page body. Failed attempts are counted in the database."""
    auth = authenticator()
    creds = _credentials(auth)
    fresh = accounts.load_credentials()
    creds.clear()
    creds.update(fresh)
    if msg := st.session_state.pop("_panel_signout_reason", None):
        st.info(msg)
    auth.login(
        location="main",
        fields={"Form name": "Sign in", "Username": "Username", "Password": "Password", "Login": "Sign in"},
    )
    status = st.session_state.get("authentication_status")
    for username, entry in creds["usernames"].items():
        if entry.get("failed_login_attempts"):
            accounts.record_failed_login(username)
            entry["failed_login_attempts"] = 0
    if status:
        accounts.record_login(st.session_state["username"])
        st.session_state["_panel_signed_in_at"] = datetime.now(UTC)
        st.rerun()
    elif status is False:
        st.error("The username or password is not right, or the account is locked. "
                 "After several failed attempts an account is locked for a while; "
                 "your administrator can unlock it.")


def sign_out(auth: stauth.Authenticate | None = None, reason: str | None = None) -> None:
    auth = auth or authenticator()
    if st.session_state.get("authentication_status"):
        auth.logout(location="unrendered")
    for key in ("_panel_signed_in_at", "actor"):
        st.session_state.pop(key, None)
    if reason:
        st.session_state["_panel_signout_reason"] = reason
