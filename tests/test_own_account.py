"""A person's own account: changing their password (the current one required, the same rules as
every new password), a temporary password that must be changed at the next sign-in before
anything else is shown, and their own recent sign-ins from the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from panel.accounts import own
from panel.accounts import service as accounts
from panel.core.db import read_session, utcnow
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.demo.small import DEMO_PASSWORD
from panel.models import AuditEvent, User
from panel.ui.pages import visible_pages
from tests.apptest import signed_in, texts

NEW = "heron-lantern-quarry"


def user(username: str) -> User:
    with read_session() as s:
        return s.exec(select(User).where(User.username == username)).one()


def actions(username: str) -> list[str]:
    with read_session() as s:
        uid = s.exec(select(User.id).where(User.username == username)).one()
        return list(s.exec(select(AuditEvent.action).where(AuditEvent.entity == "user", AuditEvent.entity_id == uid)
                           .order_by(AuditEvent.id)))


def test_changing_needs_the_current_password_and_a_wrong_one_is_audited(demo_db):
    before = user("member").password_hash
    with pytest.raises(ValidationFailed) as e:
        own.change_own_password(accounts.actor_for("member"), "not-my-password", NEW, NEW)
    assert set(e.value.errors) == {"current"}
    assert user("member").password_hash == before
    assert actions("member")[-1] == "password_change_failed"


def test_wrong_current_passwords_stop_being_checked_after_the_sign_in_limit(demo_db, monkeypatch):
    monkeypatch.setenv("PANEL_MAX_FAILED_LOGINS", "3")
    member = accounts.actor_for("member")
    for _ in range(3):
        with pytest.raises(ValidationFailed, match="not your current password"):
            own.change_own_password(member, "not-my-password", NEW, NEW)
    with pytest.raises(ValidationFailed, match="Too many wrong current passwords"):
        own.change_own_password(member, DEMO_PASSWORD, NEW, NEW)  # even the right one, for now
    assert accounts.authenticate("member", DEMO_PASSWORD) is not None


@pytest.mark.parametrize(("new", "again", "field", "says"), [
    ("short-one", "short-one", "new", "at least 12"),
    ("Password2025!", "Password2025!", "new", "attackers try first"),
    ("member-is-my-name", "member-is-my-name", "new", "username"),
    ("x" * 73, "x" * 73, "new", "at most 72 bytes"),
    (DEMO_PASSWORD, DEMO_PASSWORD, "new", "different from your current"),
    (NEW, NEW + "!", "again", "differ"),
])
def test_the_new_password_follows_the_same_rules(demo_db, new, again, field, says):
    before = user("member").password_hash
    with pytest.raises(ValidationFailed) as e:
        own.change_own_password(accounts.actor_for("member"), DEMO_PASSWORD, new, again)
    assert set(e.value.errors) == {field} and says in e.value.errors[field]
    assert user("member").password_hash == before


def test_a_change_replaces_the_password_and_ends_other_sign_ins(demo_db):
    earlier = utcnow() - timedelta(seconds=5)
    assert accounts.check_session("member", earlier)[0] is not None
    valid_after = own.change_own_password(accounts.actor_for("member"), DEMO_PASSWORD, NEW, NEW)
    assert accounts.check_session("member", earlier) == (None, "ended")  # another browser
    assert accounts.check_session("member", valid_after)[0] is not None  # this one, renewed
    assert accounts.authenticate("member", DEMO_PASSWORD) is None
    assert accounts.authenticate("member", NEW) is not None
    assert "password_change" in actions("member")


def test_an_administrators_temporary_password_must_be_changed_and_the_change_clears_it(demo_db):
    accounts.set_password(accounts.actor_for("admin"), "member", "temporary-pass-1")
    signed = accounts.authenticate("member", "temporary-pass-1")
    assert signed is not None and signed.must_change_password
    with pytest.raises(ValidationFailed, match="different"):
        own.change_own_password(signed, "temporary-pass-1", "temporary-pass-1", "temporary-pass-1")
    own.change_own_password(signed, "temporary-pass-1", NEW, NEW)
    assert not user("member").must_change_password
    assert not accounts.actor_for("member").must_change_password


def test_an_administrator_setting_their_own_password_is_not_made_to_change_it(demo_db):
    accounts.set_password(accounts.actor_for("admin"), "admin", "heron-chose-this-1")
    assert not user("admin").must_change_password


def test_recent_sign_ins_are_the_accounts_own_newest_first(demo_db):
    assert accounts.authenticate("member", "wrong password here") is None
    assert accounts.authenticate("member", DEMO_PASSWORD) is not None
    assert accounts.authenticate("chair", DEMO_PASSWORD) is not None  # someone else's
    events = own.recent_sign_ins(accounts.actor_for("member"))
    assert [e.what for e in events[:2]] == ["Signed in", "Sign-in refused"]
    assert "wrong password" in events[1].detail and events[0].by == "you"
    assert len(events) == 2


def test_an_account_that_is_gone_or_disabled_has_no_own_page(demo_db):
    member = accounts.actor_for("member")
    from panel.accounts import users
    users.set_active(accounts.actor_for("admin"), "member", False)
    with pytest.raises(PermissionDenied):
        own.my_account(member)
    with pytest.raises(PermissionDenied):
        own.change_own_password(member, DEMO_PASSWORD, NEW, NEW)


@pytest.mark.parametrize("username", ["admin", "chair", "member", "manager", "referrer", "regional"])
def test_my_account_is_in_every_signed_in_users_menu(demo_db, username):
    assert "account" in [p.key for p in visible_pages(accounts.actor_for(username))]


def test_a_temporary_password_shows_only_the_change_form_until_it_is_changed(demo_db):
    accounts.set_password(accounts.actor_for("admin"), "chair", "temporary-pass-1")
    at = signed_in("chair", query=None)
    assert "Choose a new password" in texts(at)
    assert "Referral queue" not in texts(at)
    current, new, again = at.text_input
    current.input("temporary-pass-1")
    new.input(NEW)
    again.input(NEW)
    next(b for b in at.button if b.label == "Change password").click()
    at.run()
    assert not at.exception, at.exception
    at.run()
    assert "Choose a new password" not in texts(at) and "Referral queue" in texts(at)
    assert not user("chair").must_change_password


def test_the_account_page_changes_the_password_and_shows_sign_ins(demo_db):
    accounts.authenticate("manager", DEMO_PASSWORD)
    at = signed_in("manager", page="pages/account.py")
    assert "Recent sign-ins" in texts(at) and "manager@example.org" in texts(at)
    current, new, again = at.text_input
    current.input("wrong-password-here")
    new.input(NEW)
    again.input(NEW)
    next(b for b in at.button if b.label == "Change password").click()
    at.run()
    assert "That is not your current password." in texts(at)
    current, new, again = at.text_input
    current.input(DEMO_PASSWORD)
    new.input(NEW)
    again.input(NEW)
    next(b for b in at.button if b.label == "Change password").click()
    at.run()
    assert not at.exception, at.exception
    assert "Your password is changed" in texts(at)
    assert "Your session has ended" not in texts(at)
    assert accounts.authenticate("manager", NEW) is not None
