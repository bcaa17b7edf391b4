"""Sign-in through streamlit-authenticator, with Panel's own rules on top.

- One `Authenticate` per process. Its constructor draws a cookie component that reports
  back and reruns the first run of a new session, losing the page a deep link asked for;
  `st.cache_resource` would replay that component on every hit, so a plain singleton it is.
- Credentials come from the database each time the form is shown; lockout is kept in the
  database (the library's own counter is per process and resets on reload).
- The library's cookie cannot be revoked, so each run checks its issue time against the
  user's `sessions_valid_after` (a password change or "sign out everywhere" moves it).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import jwt
import streamlit as st
import streamlit_authenticator as stauth

from panel.config import get_settings
from panel.services import accounts
from panel.services.access import Actor

_LOCK = threading.Lock()
_INSTANCES: dict[tuple, stauth.Authenticate] = {}


def _shared_authenticator(cookie_name: str, cookie_key: str, expiry_days: float,
                          sleep: float) -> stauth.Authenticate:
    key = (cookie_name, cookie_key, expiry_days, sleep)
    with _LOCK:
        if key not in _INSTANCES:
            _INSTANCES[key] = stauth.Authenticate(
                accounts.load_credentials(), cookie_name, cookie_key, expiry_days,
                login_sleep_time=sleep)
        return _INSTANCES[key]


_SESSION_KEYS = ("name", "authentication_status", "username", "email", "roles", "logout")


def authenticator() -> stauth.Authenticate:
    # The library sets these per session in its constructor; with one shared instance each
    # new session must get them here.
    for key in _SESSION_KEYS:
        st.session_state.setdefault(key, None)
    s = get_settings()
    return _shared_authenticator(s.cookie_name, s.cookie_key, s.cookie_expiry_days,
                                 s.login_sleep_time)


def _fresh_credentials(auth: stauth.Authenticate) -> dict:
    """Swap in today's accounts (new users, disabled or locked ones) before the form runs."""
    model = auth.authentication_controller.authentication_model
    model.credentials = accounts.load_credentials()
    return model.credentials


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
    # The library sleeps (login_sleep_time) on every unauthenticated call: only ask it to
    # restore when there is a cookie to restore from.
    if not st.session_state.get("authentication_status") and get_settings().cookie_name in st.context.cookies:
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
    creds = _fresh_credentials(auth)
    delete_cookie_if_pending()
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
        # The library's own cookie write can be lost when a rerun unmounts it before its
        # script runs; write it again on the next run, which no rerun follows.
        st.session_state["_panel_cookie_pending"] = True
        st.rerun()
    elif status is False:
        st.error("The username or password is not right, or the account is locked. "
                 "After several failed attempts an account is locked for a while; "
                 "your administrator can unlock it.")


def write_cookie_if_pending() -> None:
    if st.session_state.pop("_panel_cookie_pending", False):
        authenticator().cookie_controller.set_cookie()


def delete_cookie_if_pending() -> None:
    if st.session_state.pop("_panel_cookie_delete_pending", False):
        authenticator().cookie_controller.delete_cookie()


def sign_out(auth: stauth.Authenticate | None = None, reason: str | None = None,
             everywhere: bool = False) -> None:
    """End this sign-in. With `everywhere`, every cookie issued before now stops working.

    The browser's cookie is deleted on the next run, because a rerun straight after drawing
    the delete component can unmount it before it runs.
    """
    auth = auth or authenticator()
    username = st.session_state.get("username")
    if st.session_state.get("authentication_status"):
        auth.authentication_controller.logout()
        st.session_state["_panel_cookie_delete_pending"] = True
        if username:
            accounts.record_logout(username, everywhere=everywhere)
    for key in ("_panel_signed_in_at", "actor"):
        st.session_state.pop(key, None)
    if reason:
        st.session_state["_panel_signout_reason"] = reason
