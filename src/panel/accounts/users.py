"""Administrators manage other people's accounts: roles per partnership, disable and enable,
sign out everywhere; unlocking, creating and temporary passwords are in `panel.accounts.service`.

An administrator manages an account only if they administer every partnership it can act in
(`Actor.manages_account`): all its roles are in their partnerships (or it holds none); a regional
account reaches every partnership. They see in their list every account with a role in one of
their partnerships (and those with none), with all its roles, and whether they may manage it.
Every write is audited, and so is every refusal. An administrator cannot remove their own
administrator role or disable themselves, so whoever is acting always remains an administrator.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from panel.accounts.service import is_locked, managed_user_id
from panel.core import audit
from panel.core.access import ROLE_LABELS, ROLES, Actor
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import ValidationFailed
from panel.models import AuditEvent, Membership, Partnership, User


@dataclass(frozen=True)
class UserRow:
    username: str
    name: str
    email: str
    roles: dict[str, tuple[str, ...]]  # partnership code -> roles
    locked: bool
    disabled: bool
    last_sign_in: datetime | None
    regional: bool = False
    manageable: bool = True  # the actor administers every partnership this account reaches

    @property
    def roles_text(self) -> str:
        text = "; ".join(f"{code}: {', '.join(ROLE_LABELS[r] for r in roles)}"
                         for code, roles in sorted(self.roles.items()))
        if self.regional:
            text = "; ".join(filter(None, [text, "regional: anonymised learning of every partnership"]))
        return text or "no role"


def list_users(actor: Actor) -> list[UserRow]:
    """Accounts with a role in one of the actor's partnerships (or with none), by username, each
    with every role it holds in any partnership and whether the actor may manage it."""
    actor.require("user.manage")
    mine = set(actor.partnerships_with("user.manage"))
    now = utcnow()
    with read_session() as s:
        members = s.exec(select(Membership.user_id, Partnership.code, Membership.role, Partnership.id)
                         .join(Partnership, Partnership.id == Membership.partnership_id)).all()
        every = set(s.exec(select(Partnership.id)).all())
        held: dict[int, set[int]] = {}
        roles: dict[int, dict[str, list[str]]] = {}
        for uid, code, role, pid in members:
            held.setdefault(uid, set()).add(pid)
            roles.setdefault(uid, {}).setdefault(code, []).append(role)
        last = dict(s.exec(select(AuditEvent.user_id, func.max(AuditEvent.at))
                           .where(AuditEvent.action == "login").group_by(AuditEvent.user_id)).all())
        rows = []
        for u in s.exec(select(User).order_by(User.username)):
            theirs = held.get(u.id, set())
            if not (actor.is_system or not theirs or theirs & mine):
                continue
            rows.append(UserRow(u.username, u.name, u.email,
                                {c: tuple(sorted(r, key=ROLES.index)) for c, r in roles.get(u.id, {}).items()},
                                is_locked(u, now), not u.is_active, last.get(u.id), regional=u.is_regional,
                                manageable=actor.manages_account(every if u.is_regional else theirs)))
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
