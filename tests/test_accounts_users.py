"""User management services (panel.accounts.users, accounts.create_user/set_password/unlock_user):
scoped to the partnerships an administrator administers, audited, and an administrator can
never lock themselves out of being one."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from panel.accounts import service as accounts
from panel.accounts import users
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import NotFound, PermissionDenied, ValidationFailed
from panel.demo.small import DEMO_PASSWORD
from panel.models import AuditEvent, Membership, Partnership, User


def pid(code: str) -> int:
    with read_session() as s:
        return s.exec(select(Partnership.id).where(Partnership.code == code)).one()


def last_audit(action: str) -> AuditEvent:
    with read_session() as s:
        return s.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id.desc())).first()


@pytest.fixture
def nb_admin(demo_db):
    accounts.create_user(SYSTEM, username="admin.nb", name="NB Admin", email="admin.nb@example.org",
                         password="a-long-admin-passphrase", memberships=[("NB", "admin")])
    return accounts.actor_for("admin.nb")


def test_list_shows_roles_lock_state_and_last_sign_in(demo_db):
    admin = accounts.actor_for("admin")
    for _ in range(5):
        accounts.authenticate("member", "wrong-password-here")
    accounts.authenticate("chair", DEMO_PASSWORD)
    rows = {r.username: r for r in users.list_users(admin)}
    assert {"admin", "chair", "member", "manager", "referrer", "chair.em", "regional"} <= set(rows)
    assert rows["member"].locked and not rows["chair"].locked
    assert rows["chair"].last_sign_in is not None and rows["member"].last_sign_in is None
    assert rows["chair"].roles == {"NB": ("chair",)}
    assert "NB: Panel chair" == rows["chair"].roles_text


def test_only_administrators_manage_users(demo_db):
    for who in ("chair", "member", "manager", "referrer", "regional"):
        actor = accounts.actor_for(who)
        with pytest.raises(PermissionDenied):
            users.list_users(actor)
        with pytest.raises(PermissionDenied):
            users.set_active(actor, "member", False)
        with pytest.raises(PermissionDenied):
            users.sign_out_everywhere(actor, "member")
        with pytest.raises(PermissionDenied):
            accounts.set_password(actor, "member", "a-new-long-passphrase")


def test_an_administrator_manages_only_their_partnerships_people(nb_admin):
    names = {r.username for r in users.list_users(nb_admin)}
    assert "chair" in names and "chair.em" not in names
    with pytest.raises(NotFound):
        users.set_active(nb_admin, "chair.em", False)
    assert last_audit("not_found").username == "admin.nb"
    with pytest.raises(PermissionDenied):
        users.set_role(nb_admin, "chair", pid("EM"), "member", True)
    with pytest.raises(ValidationFailed) as e:
        accounts.create_user(nb_admin, username="new.em", name="New", email="new@example.org",
                             password="a-long-new-passphrase", memberships=[("EM", "member")])
    assert "do not administer" in e.value.errors["memberships"]


def test_roles_are_given_and_removed_with_audit(demo_db):
    admin = accounts.actor_for("admin")
    assert users.set_role(admin, "member", pid("EM"), "member", True)
    row = last_audit("role_grant")
    assert (row.username, row.entity_id, row.partnership_id, row.after) == (
        "admin", accounts.actor_for("member").user_id, pid("EM"), '{"role": "member"}')
    assert not users.set_role(admin, "member", pid("EM"), "member", True)  # already held: nothing written
    assert pid("EM") in accounts.actor_for("member").roles
    assert users.set_role(admin, "member", pid("EM"), "member", False)
    assert last_audit("role_remove").partnership_id == pid("EM")
    assert pid("EM") not in accounts.actor_for("member").roles
    with pytest.raises(ValidationFailed):
        users.set_role(admin, "member", pid("NB"), "superuser", True)


def test_an_administrator_cannot_remove_their_own_admin_role_or_disable_themselves(demo_db):
    admin = accounts.actor_for("admin")
    with pytest.raises(ValidationFailed) as e:
        users.set_role(admin, "admin", pid("NB"), "admin", False)
    assert "your own administrator role" in e.value.errors["role"]
    with pytest.raises(ValidationFailed) as e:
        users.set_active(admin, "admin", False)
    assert e.value.errors == {"account": "You cannot disable your own account."}
    assert accounts.actor_for("admin").can("user.manage", pid("NB"))
    # Another administrator's role may be removed: the actor remains an administrator.
    accounts.create_user(SYSTEM, username="admin.two", name="Second Admin", email="a2@example.org",
                         password="a-long-admin-passphrase", memberships=[("NB", "admin")])
    assert users.set_role(admin, "admin.two", pid("NB"), "admin", False)


def test_disable_and_enable_are_audited_and_a_disabled_user_cannot_sign_in(demo_db):
    admin = accounts.actor_for("admin")
    member_id = accounts.actor_for("member").user_id
    assert users.set_active(admin, "member", False)
    assert (last_audit("disable").username, last_audit("disable").entity_id) == ("admin", member_id)
    assert accounts.actor_for("member") is None
    assert accounts.authenticate("member", DEMO_PASSWORD) is None
    assert not users.set_active(admin, "member", False)
    assert users.set_active(admin, "member", True)
    assert last_audit("enable").username == "admin"
    assert accounts.authenticate("member", DEMO_PASSWORD) is not None


def test_a_temporary_password_replaces_the_old_one(demo_db):
    admin = accounts.actor_for("admin")
    accounts.set_password(admin, "member", "temporary-pass-4-you")
    assert last_audit("password_reset").username == "admin"
    assert accounts.authenticate("member", DEMO_PASSWORD) is None
    assert accounts.authenticate("member", "temporary-pass-4-you") is not None


def test_new_users_get_their_role_and_an_audit_row(demo_db):
    admin = accounts.actor_for("admin")
    uid = accounts.create_user(admin, username="j.smith", name="J Smith", email="j.smith@example.org",
                               password="a-long-new-passphrase", memberships=[("EM", "referrer")])
    with read_session() as s:
        assert s.exec(select(Membership.role).where(Membership.user_id == uid)).all() == ["referrer"]
    row = last_audit("create")
    assert (row.username, row.entity, row.entity_id) == ("admin", "user", uid)


@pytest.fixture
def spanning(nb_admin):
    """An account with roles in Northbrook and Eastmere, and the NB-only administrator."""
    accounts.create_user(SYSTEM, username="span", name="Sam Span", email="span@example.org",
                         password="a-long-bridge-passphrase", memberships=[("NB", "member"), ("EM", "member")])
    return nb_admin


TAKEOVER = {
    "temporary password": lambda a, u: accounts.set_password(a, u, "a-takeover-passphrase"),
    "give a role": lambda a, u: users.set_role(a, u, pid("NB"), "chair", True),
    "remove a role": lambda a, u: users.set_role(a, u, pid("NB"), "member", False),
    "disable": lambda a, u: users.set_active(a, u, False),
    "enable": lambda a, u: users.set_active(a, u, True),
    "unlock": lambda a, u: accounts.unlock_user(a, u),
    "sign out everywhere": lambda a, u: users.sign_out_everywhere(a, u),
}


def account_state(username: str) -> tuple:
    with read_session() as s:
        u = s.exec(select(User).where(User.username == username)).one()
        roles = sorted(s.exec(select(Membership.partnership_id, Membership.role)
                              .where(Membership.user_id == u.id)).all())
        return (u.password_hash, u.is_active, u.failed_logins, u.locked_until, u.sessions_valid_after, roles)


@pytest.mark.parametrize("target", ["span", "admin", "regional"])
@pytest.mark.parametrize("action", list(TAKEOVER))
def test_an_administrator_cannot_manage_an_account_that_reaches_other_partnerships(spanning, action, target):
    """Managing an account is acting as it: an NB-only administrator may not touch an account
    that also holds roles in Eastmere, the all-partnership administrator, or a regional account."""
    before = account_state(target)
    with read_session() as s:
        last = s.exec(select(func.max(AuditEvent.id))).one()
    with pytest.raises(NotFound) as e:
        TAKEOVER[action](spanning, target)
    assert "only an administrator of all of them" in str(e.value)
    assert account_state(target) == before
    with read_session() as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.id > last)).all()
    assert [(r.action, r.username) for r in rows] == [("not_found", "admin.nb")]
    assert target in rows[0].detail


def test_the_takeover_is_refused_end_to_end(spanning):
    """Without the rule an NB-only administrator sets a password and signs in as someone who
    reads Eastmere's cases."""
    with pytest.raises(NotFound):
        accounts.set_password(spanning, "span", "a-takeover-passphrase")
    assert accounts.authenticate("span", "a-takeover-passphrase") is None


def test_an_administrator_still_manages_accounts_wholly_in_their_partnerships(spanning):
    accounts.create_user(SYSTEM, username="lonely", name="No Role", email="lonely@example.org",
                         password="a-long-quiet-passphrase", memberships=[("NB", "member")])
    users.set_role(SYSTEM, "lonely", pid("NB"), "member", False)  # now holds no role at all
    for target in ("member", "lonely"):
        for call in TAKEOVER.values():
            call(spanning, target)
    assert accounts.authenticate("member", "a-takeover-passphrase") is not None


def test_the_list_shows_every_role_and_offers_only_what_may_be_managed(spanning):
    rows = {r.username: r for r in users.list_users(spanning)}
    assert rows["span"].roles == {"NB": ("member",), "EM": ("member",)}
    assert rows["admin"].roles == {"NB": ("admin",), "EM": ("admin",), "WV": ("admin",)}
    assert rows["span"].roles_text == "EM: Panel member; NB: Panel member"
    assert {u for u, r in rows.items() if not r.manageable} == {"span", "admin", "regional"}
    assert rows["member"].manageable and rows["admin.nb"].manageable
    assert "chair.em" not in rows  # no role in the administrator's partnerships: not listed
    everything = {r.username: r for r in users.list_users(accounts.actor_for("admin"))}
    assert all(r.manageable for r in everything.values())
