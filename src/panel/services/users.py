"""Administrators manage other people's accounts: roles per partnership, disable and enable,
sign out everywhere; unlocking, creating and temporary passwords are in `services.accounts`.

An administrator manages the users who hold a role in a partnership they administer (and users
who hold no role at all). Every write is audited. An administrator cannot remove their own
administrator role or disable themselves, so whoever is acting always remains an administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from panel.db import read_session, transaction, utcnow
from panel.models import AuditEvent, Membership, Partnership, User
from panel.services import audit
from panel.services.access import ROLE_LABELS, ROLES, Actor
from panel.services.accounts import is_locked, managed_user_id
from panel.services.errors import ValidationFailed


@dataclass(frozen=True)
class UserRow:
    username: str
    name: str
    email: str
    roles: dict[str, tuple[str, ...]]  # partnership code -> roles
    locked: bool
    disabled: bool
    last_sign_in: datetime | None

    @property
    def roles_text(self) -> str:
        return "; ".join(f"{code}: {', '.join(ROLE_LABELS[r] for r in roles)}"
                         for code, roles in sorted(self.roles.items())) or "no role"


def list_users(actor: Actor) -> list[UserRow]:
    """Users the actor administers, by username, with their roles in the actor's partnerships."""
    actor.require("user.manage")
    mine = actor.partnerships_with("user.manage")
    now = utcnow()
    with read_session() as s:
        members = s.exec(select(Membership.user_id, Partnership.code, Membership.role, Partnership.id)
                         .join(Partnership, Partnership.id == Membership.partnership_id)).all()
        in_scope = {uid for uid, _, _, pid in members if actor.is_system or pid in mine}
        with_role = {uid for uid, *_ in members}
        last = dict(s.exec(select(AuditEvent.user_id, func.max(AuditEvent.at))
                           .where(AuditEvent.action == "login").group_by(AuditEvent.user_id)).all())
        rows = []
        for u in s.exec(select(User).order_by(User.username)):
            if u.id not in in_scope and u.id in with_role:
                continue
            roles: dict[str, list[str]] = {}
            for uid, code, role, pid in members:
                if uid == u.id and (actor.is_system or pid in mine):
                    roles.setdefault(code, []).append(role)
            rows.append(UserRow(u.username, u.name, u.email,
                                {c: tuple(sorted(r, key=ROLES.index)) for c, r in roles.items()},
                                is_locked(u, now), not u.is_active, last.get(u.id)))
        return rows


def set_role(actor: Actor, username: str, partnership_id: int, role: str, grant: bool) -> bool:
    """Give (grant=True) or take away one role in one partnership; False if nothing changed."""
    actor.require("user.manage", partnership_id)
    if role not in ROLES:
        raise ValidationFailed({"role": f"Choose one of: {', '.join(ROLE_LABELS[r] for r in ROLES)}."})
    user_id = managed_user_id(actor, username)
    if not grant and role == "admin" and user_id == actor.user_id:
        raise ValidationFailed({"role": "You cannot remove your own administrator role: "
                                        "ask another administrator."})
    with transaction() as s:
        held = s.exec(select(Membership).where(Membership.user_id == user_id, Membership.role == role,
                                               Membership.partnership_id == partnership_id)).first()
        if grant == (held is not None):
            return False
        if grant:
            s.add(Membership(user_id=user_id, partnership_id=partnership_id, role=role))
        else:
            s.delete(held)
        audit.record(s, actor, "role_grant" if grant else "role_remove", "user", user_id,
                     partnership_id=partnership_id, after={"role": role})
        return True


def set_active(actor: Actor, username: str, active: bool) -> bool:
    """Disable (ending every sign-in at once) or enable an account; False if nothing changed."""
    user_id = managed_user_id(actor, username)
    if not active and user_id == actor.user_id:
        raise ValidationFailed({"account": "You cannot disable your own account."})
    with transaction() as s:
        user = s.get(User, user_id)
        if user.is_active == active:
            return False
        user.is_active = active
        if not active:
            user.sessions_valid_after = utcnow()
        s.add(user)
        audit.record(s, actor, "enable" if active else "disable", "user", user.id)
        return True


def sign_out_everywhere(actor: Actor, username: str) -> None:
    """Refuse every sign-in cookie the user holds now (a lost laptop, a shared screen)."""
    user_id = managed_user_id(actor, username)
    with transaction() as s:
        user = s.get(User, user_id)
        user.sessions_valid_after = utcnow()
        s.add(user)
        audit.record(s, actor, "sign_out_everywhere", "user", user.id)
