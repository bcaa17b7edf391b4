"""Sign-in: Panel's own form and rules; streamlit-authenticator only writes and deletes the
signed cookie.

- Every decision is made by `panel.accounts.service` against the database, so it holds across
  processes and restarts: the password check, lockout, disabled accounts, idle expiry, and
  revocation (a cookie issued before the user's `sessions_valid_after` is refused: password
  change, disabled account, "sign out everywhere", idle expiry).
- One `Authenticate` per process. Its constructor draws a cookie component that reports
  back and reruns the first run of a new session, losing the page a deep link asked for;
  `st.cache_resource` would replay that component on every hit, so a plain singleton it is.
- The cookie is only a signed claim of (username, issue time); Panel signs it (`issue_token`)
  and decodes it here, refusing one without an issue time or with one in the future.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import jwt
import streamlit as st
import streamlit_authenticator as stauth

from panel.accounts import service as accounts
from panel.core.access import Actor
from panel.core.config import get_settings
from panel.ui.common import esc

_LOCK = threading.Lock()
_INSTANCES: dict[tuple, stauth.Authenticate] = {}

FAILED = ("The username or password is not right, or the account is locked or disabled. "
          "After several failed attempts an account is locked for a while; "
          "your administrator can unlock it.")
ENDED = "Your session has ended. Please sign in again."
IDLE = "You were signed out after {minutes:g} minutes without activity. Please sign in again."


def _shared_authenticator(cookie_name: str, cookie_key: str, expiry_days: float) -> stauth.Authenticate:
    key = (cookie_name, cookie_key, expiry_days)
    with _LOCK:
        if key not in _INSTANCES:
            # No credentials: the library never checks a password here, it only keeps the cookie.
            _INSTANCES[key] = stauth.Authenticate({"usernames": {}}, cookie_name, cookie_key, expiry_days)
        return _INSTANCES[key]


_SESSION_KEYS = ("name", "authentication_status", "username", "email", "roles", "logout")


def authenticator() -> stauth.Authenticate:
    # The library sets these per session in its constructor; with one shared instance each
    # new session must get them here.
    for key in _SESSION_KEYS:
        st.session_state.setdefault(key, None)
    s = get_settings()
    return _shared_authenticator(s.cookie_name, s.cookie_key, s.cookie_expiry_days)


# Server processes may disagree about the time by this much; an issue time further ahead is
# refused.
CLOCK_LEEWAY_SECONDS = 60


def issue_token(username: str, issued_at: datetime, key: str, lifetime_days: float) -> str:
    """The signed cookie value: the username and the time of signing in (`iat`) are both
    signed, so the issue time is never worked out from anything a setting can change."""
    iat = issued_at.timestamp()
    return jwt.encode({"username": username, "iat": iat, "exp_date": iat + lifetime_days * 86400},
                      key, algorithm="HS256")


def read_token(token: str, key: str, lifetime_days: float, now: float) -> tuple[str, datetime] | None:
    """(username, issued at) from a cookie value, or None: a bad signature, no issue time, an
    issue time in the future, or older than the lifetime set now (a shortened
    PANEL_COOKIE_EXPIRY_DAYS applies at once) or past the expiry written into it."""
    try:
        payload = jwt.decode(token, key, algorithms=["HS256"], options={"require": ["iat"]},
                             leeway=CLOCK_LEEWAY_SECONDS)
        iat = float(payload["iat"])
        exp = float(payload["exp_date"])
        username = str(payload["username"])
    except (jwt.PyJWTError, KeyError, TypeError, ValueError):
        return None
    if iat > now + CLOCK_LEEWAY_SECONDS or exp <= now or iat + lifetime_days * 86400 <= now:
        return None
    return username, datetime.fromtimestamp(iat, UTC)


def _cookie() -> tuple[str, datetime] | None:
    """(username, issued at) from a valid, unexpired sign-in cookie."""
    s = get_settings()
    token = st.context.cookies.get(s.cookie_name)
    if not token:
        return None
    return read_token(token, s.cookie_key, s.cookie_expiry_days, time.time())


def _set_cookie(auth: stauth.Authenticate) -> None:
    """Write the sign-in cookie through the library's cookie manager, with Panel's token (the
    library's own token carries no issue time)."""
    s = get_settings()
    if not s.cookie_expiry_days:
        return
    issued = st.session_state.get("_panel_signed_in_at") or datetime.now(UTC)
    token = issue_token(st.session_state["username"], issued, s.cookie_key, s.cookie_expiry_days)
    auth.cookie_controller.cookie_model.cookie_manager.set(
        s.cookie_name, token, expires_at=datetime.now() + timedelta(days=s.cookie_expiry_days))


def restore() -> Actor | None:
    """The signed-in Actor, restoring a sign-in cookie without drawing anything.

    Called on every run before the page list is built (so a deep link lands on its page after
    a reload); every run asks the database whether the sign-in still stands.
    """
    authenticator()
    if not st.session_state.get("authentication_status"):
        # After signing out in this browser session the cookie's deletion may still be pending.
        if st.session_state.get("logout") or (found := _cookie()) is None:
            return None
        st.session_state["authentication_status"] = True
        st.session_state["username"], st.session_state["_panel_signed_in_at"] = found
    username = st.session_state.get("username")
    issued = st.session_state.get("_panel_signed_in_at") or ((_cookie() or (None, None))[1])
    actor, why = accounts.check_session(username, issued) if username and issued else (None, "ended")
    if actor is None:
        reason = IDLE.format(minutes=get_settings().idle_minutes) if why == "idle" else ENDED
        sign_out(reason=reason, record=False)
        return None
    st.session_state["_panel_signed_in_at"] = issued
    st.session_state["name"] = actor.name
    return actor


def login_form() -> None:
    """The sign-in page body. One message for every refusal (no account enumeration)."""
    # The cookie components and the note sit in containers drawn on every run, so the form keeps
    # its place in the page when they come and go: otherwise the run after a sign-out draws a
    # second form beside the first run's, until the run ends.
    with st.container():
        authenticator()
        delete_cookie_if_pending()
    with st.container():
        if msg := st.session_state.pop("_panel_signout_reason", None):
            st.info(esc(msg), icon=":material/info:")
    with st.form("login"):
        st.header("Sign in", anchor=False)
        username = st.text_input("Username", autocomplete="username")
        password = st.text_input("Password", type="password", autocomplete="current-password")
        submitted = st.form_submit_button("Sign in", type="primary")
    if not submitted:
        return
    actor = accounts.authenticate(username, password)
    if actor is None:
        time.sleep(get_settings().login_sleep_time)  # slows guessing; the same for every refusal
        st.error(FAILED, icon=":material/error:")
        return
    st.session_state.update(authentication_status=True, username=actor.username, name=actor.name, logout=None)
    st.session_state["_panel_signed_in_at"] = datetime.now(UTC)
    # Written on the next run, which no rerun follows (a rerun can unmount the cookie
    # component before its script runs).
    st.session_state["_panel_cookie_pending"] = True
    st.rerun()


def write_cookie_if_pending() -> None:
    if st.session_state.pop("_panel_cookie_pending", False):
        _set_cookie(authenticator())


def delete_cookie_if_pending() -> None:
    if st.session_state.pop("_panel_cookie_delete_pending", False):
        authenticator().cookie_controller.delete_cookie()


def sign_out(auth: stauth.Authenticate | None = None, reason: str | None = None,
             everywhere: bool = False, record: bool = True) -> None:
    """End this sign-in. With `everywhere`, every cookie issued before now stops working.
    `record=False` when the server refused the sign-in (already audited where it applies).

    The browser's cookie is deleted on the next run, because a rerun straight after drawing
    the delete component can unmount it before it runs.
    """
    auth = auth or authenticator()
    username = st.session_state.get("username")
    if st.session_state.get("authentication_status"):
        auth.authentication_controller.logout()  # clears the session keys, sets "logout"
        st.session_state["_panel_cookie_delete_pending"] = True
        if username and record:
            accounts.record_logout(username, everywhere=everywhere)
    # Nothing of this sign-in outlives it in the tab (what was viewed, forms, filters, pending
    # links): the next user to sign in here starts afresh. Kept: the library's "logout" flag and
    # the pending cookie deletion, so the old cookie is not restored before it is deleted.
    keep = {"logout", "_panel_cookie_delete_pending"}
    for key in list(st.session_state.keys()):
        if key not in keep:
            del st.session_state[key]
    if reason:
        st.session_state["_panel_signout_reason"] = reason


def renew_sign_in() -> None:
    """Carry this sign-in on after the user's own password change, which ended every sign-in
    made before it: this one counts from now, and its cookie is written again on the next run."""
    st.session_state["_panel_signed_in_at"] = datetime.now(UTC)
    st.session_state["_panel_cookie_pending"] = True
