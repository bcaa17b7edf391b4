"""Sign-in hardening (docs/security.md): lockout kept in the database (survives a restart, runs
out, an administrator lifts it), idle expiry, revocation, password rules, no account
enumeration. Each outcome is also checked in the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.accounts import users
from panel.core import db as panel_db
from panel.core.db import read_session, transaction
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.demo.small import DEMO_PASSWORD
from panel.models import AuditEvent, User
from panel.ui import auth
from tests.apptest import APP, texts


class Clock:
    """A clock the test moves; accounts and users read it instead of the wall clock."""

    def __init__(self):
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> None:
        self.now += timedelta(**kw)


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(accounts, "utcnow", c)
    monkeypatch.setattr(users, "utcnow", c)
    return c


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setenv("PANEL_LOGIN_SLEEP", "0")


def audit_rows(action: str, username: str | None = None) -> list[AuditEvent]:
    with read_session() as s:
        stmt = select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        if username:
            stmt = stmt.where(AuditEvent.username == username)
        return list(s.exec(stmt))


def user(username: str) -> User:
    with read_session() as s:
        return s.exec(select(User).where(User.username == username)).one()


def restart() -> None:
    """What a new server process would have: no Authenticate instance, no engine or pool."""
    auth._INSTANCES.clear()
    panel_db.get_engine().dispose()
    panel_db._engine_for.cache_clear()


def form_sign_in(username: str, password: str) -> AppTest:
    """A new browser session signing in through the form."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.run()
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert not at.exception, at.exception
    return at


def is_signed_in(at: AppTest) -> bool:
    return bool(at.session_state["authentication_status"]) and any(
        b.label == "Sign out" for b in at.sidebar.button)


# -- lockout ---------------------------------------------------------------------------------------

def test_five_failures_lock_the_account_and_the_lock_survives_a_restart(demo_db):
    for _ in range(5):
        assert accounts.authenticate("member", "not-the-password-at-all") is None
    details = [e.detail for e in audit_rows("login_failed", "member")]
    assert details[-1] == "wrong password, attempt 5; locked for 15 minutes"
    assert user("member").locked_until is not None
    restart()
    at = form_sign_in("member", DEMO_PASSWORD)  # right password, new process, new session
    assert not is_signed_in(at)
    assert auth.FAILED in texts(at)
    assert audit_rows("login_failed", "member")[-1].detail == "account locked"
    assert not audit_rows("login", "member")


def test_the_lock_runs_out_after_the_set_time_and_counting_starts_again(demo_db, clock):
    for _ in range(5):
        accounts.authenticate("member", "not-the-password-at-all")
    clock.advance(minutes=14, seconds=59)
    assert accounts.authenticate("member", DEMO_PASSWORD) is None
    clock.advance(seconds=2)
    assert accounts.authenticate("member", "still-not-the-password") is None
    assert audit_rows("login_failed", "member")[-1].detail == "wrong password, attempt 1"  # not locked again
    assert accounts.authenticate("member", DEMO_PASSWORD).username == "member"
    assert len(audit_rows("login", "member")) == 1
    assert user("member").failed_logins == 0


def test_lockout_settings_come_from_the_environment(demo_db, monkeypatch, clock):
    monkeypatch.setenv("PANEL_MAX_FAILED_LOGINS", "2")
    monkeypatch.setenv("PANEL_LOCKOUT_MINUTES", "1")
    accounts.authenticate("member", "wrong-password-one")
    accounts.authenticate("member", "wrong-password-two")
    assert accounts.authenticate("member", DEMO_PASSWORD) is None
    clock.advance(minutes=1, seconds=1)
    assert accounts.authenticate("member", DEMO_PASSWORD) is not None


def test_an_administrator_unlocks_an_account_and_others_cannot(demo_db):
    for _ in range(5):
        accounts.authenticate("member", "not-the-password-at-all")
    with pytest.raises(PermissionDenied):
        accounts.unlock_user(accounts.actor_for("chair"), "member")
    admin = accounts.actor_for("admin")
    accounts.unlock_user(admin, "member")
    row = audit_rows("unlock")[-1]
    assert (row.username, row.entity, row.entity_id) == ("admin", "user", user("member").id)
    assert accounts.authenticate("member", DEMO_PASSWORD) is not None


# -- no account enumeration ------------------------------------------------------------------------

def test_unknown_wrong_locked_and_disabled_all_get_the_same_answer(demo_db):
    users.set_active(accounts.actor_for("admin"), "member.em", False)
    for _ in range(5):
        accounts.authenticate("referrer", "not-the-password-at-all")
    answers = {}
    for who, password in [("nobody.here", DEMO_PASSWORD), ("chair", "wrong-password-here"),
                          ("referrer", DEMO_PASSWORD), ("member.em", DEMO_PASSWORD)]:
        at = form_sign_in(who, password)
        assert not is_signed_in(at)
        answers[who] = [e.value for e in at.error]
    assert len({tuple(a) for a in answers.values()}) == 1 and answers["chair"] == [auth.FAILED]
    assert audit_rows("login_failed", "member.em")[-1].detail == "account disabled"
    assert audit_rows("login_failed", "referrer")[-1].detail == "account locked"


def test_an_unknown_username_is_audited_without_storing_what_was_typed(demo_db):
    typed = "MyS3cret-typed-in-the-wrong-box"
    accounts.authenticate(typed, "whatever-password")
    accounts.authenticate(typed, "another-password")
    accounts.authenticate("someone.else", "whatever-password")
    rows = audit_rows("login_failed", accounts.UNKNOWN_ACCOUNT.username)
    assert len(rows) == 3 and all(r.user_id is None for r in rows)
    assert rows[0].detail == rows[1].detail != rows[2].detail  # same name, same fingerprint
    with read_session() as s:
        for r in s.exec(select(AuditEvent)):
            assert typed.lower() not in " ".join(str(v) for v in r.model_dump().values()).lower()


def test_a_signed_in_user_lands_on_their_first_page(demo_db):
    at = form_sign_in("member", DEMO_PASSWORD)
    assert is_signed_in(at)
    assert audit_rows("login", "member")


# -- idle expiry -----------------------------------------------------------------------------------

def test_activity_is_written_at_most_once_a_minute(demo_db, clock):
    issued = clock.now
    accounts.check_session("member", issued)
    first = user("member").last_seen_at
    assert first == clock.now
    clock.advance(seconds=59)
    assert accounts.check_session("member", issued)[0] is not None
    assert user("member").last_seen_at == first  # no write on this run
    clock.advance(seconds=2)
    accounts.check_session("member", issued)
    assert user("member").last_seen_at == clock.now


def test_a_sign_in_idle_for_longer_than_the_limit_is_refused_for_good(demo_db, clock):
    issued = clock.now
    accounts.check_session("member", issued)
    clock.advance(minutes=29, seconds=59)
    assert accounts.check_session("member", issued)[0] is not None  # activity: the clock restarts
    clock.advance(minutes=30, seconds=1)
    assert accounts.check_session("member", issued) == (None, "idle")
    assert audit_rows("logout", "member")[-1].detail == "idle for more than 30 minutes"
    clock.advance(seconds=1)
    assert accounts.check_session("member", issued) == (None, "ended")  # never again


def test_idle_minutes_come_from_the_environment(demo_db, clock, monkeypatch):
    monkeypatch.setenv("PANEL_IDLE_MINUTES", "5")
    issued = clock.now
    clock.advance(minutes=5, seconds=1)
    assert accounts.check_session("member", issued) == (None, "idle")


def test_the_user_is_told_they_were_signed_out_for_inactivity(demo_db):
    now = datetime.now(UTC)
    with transaction() as s:  # signed in 40 minutes ago, last active 31 minutes ago
        u = s.exec(select(User).where(User.username == "member")).one()
        u.sessions_valid_after, u.last_seen_at = now - timedelta(days=1), now - timedelta(minutes=31)
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "member"
    at.session_state["_panel_signed_in_at"] = now - timedelta(minutes=40)
    at.run()
    assert not at.exception
    assert "You were signed out after 30 minutes without activity" in texts(at)
    assert [t.label for t in at.text_input] == ["Username", "Password"]


# -- revocation ------------------------------------------------------------------------------------

@pytest.mark.parametrize("revoke", ["password change", "disable", "sign out everywhere", "own sign out"])
def test_every_cookie_issued_before_is_refused(demo_db, clock, revoke):
    admin = accounts.actor_for("admin")
    issued = clock.now
    assert accounts.check_session("member", issued)[0] is not None
    clock.advance(seconds=1)
    {"password change": lambda: accounts.set_password(admin, "member", "a-new-long-passphrase"),
     "disable": lambda: users.set_active(admin, "member", False),
     "sign out everywhere": lambda: users.sign_out_everywhere(admin, "member"),
     "own sign out": lambda: accounts.record_logout("member", everywhere=True)}[revoke]()
    assert accounts.check_session("member", issued) == (None, "ended")
    clock.advance(seconds=1)
    later = accounts.check_session("member", clock.now)[0]
    assert (later is None) == (revoke == "disable")  # a new sign-in works, unless disabled
    action = {"password change": "password_reset", "disable": "disable",
              "sign out everywhere": "sign_out_everywhere", "own sign out": "logout"}[revoke]
    assert audit_rows(action)[-1].entity_id == user("member").id


def resumed(username: str, issued: datetime) -> AppTest:
    """A browser session that signed in at `issued` and now runs app.py again."""
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = username
    at.session_state["_panel_signed_in_at"] = issued
    at.run()
    assert not at.exception, at.exception
    return at


def test_a_browser_signed_in_when_the_account_is_disabled_gets_the_sign_in_form(demo_db):
    issued = datetime.now(UTC)
    assert any(b.label == "Sign out" for b in resumed("member", issued).sidebar.button)
    users.set_active(accounts.actor_for("admin"), "member", False)
    at = resumed("member", issued)
    assert auth.ENDED in texts(at) and not any(b.label == "Sign out" for b in at.sidebar.button)
    assert [t.label for t in at.text_input] == ["Username", "Password"]


def test_signing_out_is_audited_and_ends_the_session(demo_db):
    at = resumed("member", datetime.now(UTC))
    next(b for b in at.sidebar.button if b.label == "Sign out").click()
    # AppTest reruns the page file alone once a page has run (Streamlit's pages/ folder mode);
    # ask for the main script so app.py, which draws the button, runs again.
    at._finished_page_script_hash = ""
    at.run()
    assert not at.exception
    assert audit_rows("logout", "member")[-1].detail == "everywhere"
    assert [t.label for t in at.text_input] == ["Username", "Password"]


# -- password rules --------------------------------------------------------------------------------

@pytest.mark.parametrize("password, problem", [
    ("short-one", "at least 12"),
    ("x" * 73, "at most 72"),
    ("é" * 40, "at most 72"),  # 80 bytes
    ("password1234", "attackers try first"),
    ("Password2025!", "attackers try first"),
    ("123456789012", "attackers try first"),
    ("qwertyqwerty", "attackers try first"),
    ("abababababab", "attackers try first"),
    ("Welcome-2026!!", "attackers try first"),
    ("jsmith-is-my-password-x", "username"),
    ("jsmith-on-the-night-bus", "username"),
])
def test_weak_passwords_are_refused_with_a_reason(password, problem):
    assert problem in (accounts.password_problem(password, "jsmith") or "")


@pytest.mark.parametrize("password", [DEMO_PASSWORD, "correct horse battery staple", "n" * 4 + "tea-at-four-7"])
def test_good_passwords_pass(password):
    assert accounts.password_problem(password, "jsmith") is None


def test_the_rules_apply_to_new_users_and_temporary_passwords_beside_the_field(demo_db):
    admin = accounts.actor_for("admin")
    with pytest.raises(ValidationFailed) as e:
        accounts.create_user(admin, username="jsmith", name="J Smith", email="j.smith@example.org",
                             password="jsmith-on-the-night-bus", memberships=[("NB", "member")])
    assert set(e.value.errors) == {"password"}
    with pytest.raises(ValidationFailed) as e:
        accounts.set_password(admin, "member", "Password2025!")
    assert e.value.errors == {"password": accounts.COMMON_MESSAGE}


def test_the_demo_password_stays_valid_for_every_demo_account(demo_db):
    with read_session() as s:
        names = [u.username for u in s.exec(select(User))]
    assert len(names) >= 9
    assert all(accounts.password_problem(DEMO_PASSWORD, n) is None for n in names)



def test_a_second_user_in_the_same_tab_has_their_view_audited(demo_db):
    """What one user viewed is not carried to the next user who signs in to the same tab: each
    user's first view of a referral is audited, and signing out leaves nothing of the session."""
    from panel.models import Referral

    with read_session() as s:
        ref, rid = s.exec(select(Referral.reference, Referral.id).where(Referral.status == "new")
                          .order_by(Referral.id)).first()
    at = form_sign_in("chair", DEMO_PASSWORD)
    at.query_params["ref"] = ref
    at.switch_page("pages/referral.py").run()
    assert not at.exception and not at.error, texts(at)

    def views(username):  # the page's own view (the notification summary's are audited apart)
        return [e for e in audit_rows("view", username) if e.entity == "referral" and e.entity_id == rid
                and "notification summary" not in (e.detail or "")]

    assert len(views("chair")) == 1
    at.session_state["mr_child_initials"] = "ZZ"  # something typed into a form
    # Back to app.py's own run, which draws the sidebar (AppTest runs a switched-to page alone).
    at._page_hash, at._finished_page_script_hash = None, ""
    at.run()
    next(b for b in at.sidebar.button if b.label == "Sign out").click()
    at._finished_page_script_hash = ""  # run app.py, which draws the button (see above)
    at.run()
    assert [t.label for t in at.text_input] == ["Username", "Password"]
    left = set(at.session_state.keys())
    assert not {"mr_child_initials", "_panel_viewed", "presentation", "actor"} & left

    at.text_input[0].input("member")
    at.text_input[1].input(DEMO_PASSWORD)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    assert is_signed_in(at) and at.session_state["username"] == "member"
    at.query_params["ref"] = ref
    at.switch_page("pages/referral.py").run()
    assert not at.exception and not at.error, texts(at)
    assert len(views("member")) == 1
    at.run()  # a rerun of the same page is not a new view
    assert len(views("member")) == 1
