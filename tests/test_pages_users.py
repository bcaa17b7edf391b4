"""The Users page (administrators) under AppTest: in the menu for administrators only, an
empty state for anyone else who reaches the file, and each account action through the page."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.core.db import read_session
from panel.models import AuditEvent
from tests import apptest
from tests.apptest import menu, shown, signed_in, texts

PAGE = Path(__file__).resolve().parent.parent / "pages" / "users.py"
NOT_ADMINS = ("chair", "manager", "member", "referrer", "regional", "chair.em", "member.em", "referrer.em")


def page_as(username: str) -> AppTest:
    return apptest.page_as(PAGE, username)


def click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception
    return at


def create_fields(at: AppTest) -> list:
    """Username, Name, E-mail, Temporary password of the create form (the manage tab comes first)."""
    return [t for t in at.text_input if t.label in ("Username", "Name", "E-mail", "Temporary password")][-4:]


def audited(action: str) -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action)))


def test_only_administrators_have_users_and_audit_log_in_the_menu(demo_db):
    assert {"Users", "Audit log"} <= set(menu(signed_in("admin")))
    for who in NOT_ADMINS:
        assert not {"Users", "Audit log"} & set(menu(signed_in(who))), who


def test_admin_opens_the_page_from_the_app(demo_db):
    at = signed_in("admin", page="pages/users.py")
    assert "Users" in at.title[0].value
    assert not at.error


@pytest.mark.parametrize("who", NOT_ADMINS)
def test_anyone_else_reaching_the_file_sees_no_access(demo_db, who):
    at = page_as(who)
    assert "Only an administrator can manage users." in texts(at)
    assert not at.dataframe and not at.button


def test_the_list_shows_every_column(demo_db):
    at = page_as("admin")
    df = at.dataframe[0].value
    assert list(df.columns) == ["username", "name", "e-mail", "roles", "locked", "disabled", "last sign-in",
                                  "you manage"]
    assert {"chair", "member", "admin", "regional"} <= set(df["username"])


def test_disable_then_enable_through_the_page(demo_db):
    at = page_as("admin")
    at.selectbox(key="users_who").select("member")
    at.run()
    click(at, "Disable account")
    assert "member is disabled" in texts(at)
    assert accounts.actor_for("member") is None and audited("disable")
    click(at, "Enable account")
    assert accounts.actor_for("member") is not None and audited("enable")


def test_unlock_and_sign_out_everywhere_through_the_page(demo_db):
    for _ in range(5):
        accounts.authenticate("member", "not-the-password-at-all")
    at = page_as("admin")
    at.selectbox(key="users_who").select("member")
    at.run()
    click(at, "Unlock")
    assert "member is unlocked" in texts(at) and audited("unlock")
    click(at, "Sign out everywhere")
    assert audited("sign_out_everywhere")


def test_an_admin_cannot_disable_themselves_and_is_told_why(demo_db):
    at = page_as("admin")
    at.selectbox(key="users_who").select("admin")
    at.run()
    click(at, "Disable account")
    assert "You cannot disable your own account." in [shown(e.value) for e in at.error]
    assert accounts.actor_for("admin") is not None and not audited("disable")


def test_a_weak_temporary_password_is_refused_beside_the_field(demo_db):
    at = page_as("admin")
    at.selectbox(key="users_who").select("member")
    at.run()
    at.text_input[0].input("Password2025!")
    click(at, "Set temporary password")
    assert accounts.COMMON_MESSAGE in [shown(e.value) for e in at.error]
    assert not audited("password_reset")


def test_create_an_account_with_messages_beside_each_field(demo_db):
    at = page_as("admin")
    form = create_fields(at)
    username, email, password = form[0], form[2], form[3]
    username.input("Bad Name!")
    email.input("not-an-address")
    password.input("short")
    click(at, "Create account")
    errors = [shown(e.value) for e in at.error]
    assert any("lower-case" in e for e in errors) and any("e-mail" in e for e in errors)
    assert any("at least 12" in e for e in errors) and any("person's name" in e for e in errors)
    form = create_fields(at)
    form[0].input("j.smith")
    form[1].input("J Smith")
    form[2].input("j.smith@example.org")
    form[-1].input("a-long-new-passphrase")
    click(at, "Create account")
    assert "Account j.smith created." in texts(at)
    assert accounts.actor_for("j.smith") is not None


def test_a_partnership_administrator_sees_all_roles_but_is_offered_only_accounts_they_may_manage(demo_db):
    from panel.core.access import SYSTEM
    accounts.create_user(SYSTEM, username="admin.nb", name="NB Admin", email="admin.nb@example.org",
                         password="a-long-admin-passphrase", memberships=[("NB", "admin")])
    at = page_as("admin.nb")
    table = at.dataframe[0].value.set_index("username")
    assert table.loc["admin", "roles"] == "EM: Administrator; NB: Administrator; WV: Administrator"
    assert not table.loc["admin", "you manage"] and table.loc["member", "you manage"]
    offered = next(s for s in at.selectbox if s.key == "users_who").options
    assert "Alex Admin (admin)" not in offered and "Morgan Member (member)" in offered
    assert any("Not yours to manage" in c.value and "admin" in c.value for c in at.caption)
