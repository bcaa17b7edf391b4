"""A signed-in person's own account: what it holds, changing its password, and its recent
sign-ins. Every call acts on the actor's own row only, whatever their roles.

Changing the password needs the current one (a screen left signed in must not be enough to
take the account over) and follows the same rules as every new password
(`accounts.service.password_problem`). It ends every other sign-in of the account: the caller
keeps its own by signing in afresh from the returned time. It also clears the "must change"
flag an administrator's temporary password sets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func
from sqlmodel import select

from panel.accounts.service import hash_password, password_matches, password_problem
from panel.core import audit
from panel.core.access import ROLE_LABELS, ROLES, Actor
from panel.core.config import get_settings
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.models import AuditEvent, Membership, Partnership, User

# Audit actions about an account's sign-ins, as the account holder sees them.
SIGN_IN_EVENTS = {
    "login": "Signed in",
    "login_failed": "Sign-in refused",
    "logout": "Signed out",
    "password_change": "Changed own password",
    "password_change_failed": "Password change refused (current password wrong)",
    "password_reset": "Temporary password set by an administrator",
    "sign_out_everywhere": "Signed out everywhere by an administrator",
    "unlock": "Unlocked by an administrator",
    "disable": "Disabled by an administrator",
    "enable": "Enabled by an administrator",
}
RECENT = 20


@dataclass(frozen=True)
class OwnAccount:
    username: str
    name: str
    email: str
    roles: tuple[str, ...]  # "NB: Panel chair", by partnership code
    regional: bool
    must_change_password: bool
    agency_id: int | None = None  # the agency the account is recorded against (a referral form starts with it)


@dataclass(frozen=True)
class SignInEvent:
    at: datetime
    what: str
    detail: str | None
    by: str  # who acted: the account itself, an administrator, or "(unknown account)"


def _own_user(s, actor: Actor) -> User:
    user = s.get(User, actor.user_id) if actor.user_id is not None else None
    if user is None or not user.is_active:
        raise PermissionDenied("This belongs to a signed-in user's own account.")
    return user


def my_account(actor: Actor) -> OwnAccount:
    """The actor's own account as stored (never another's)."""
    with read_session() as s:
        user = _own_user(s, actor)
        rows = s.exec(select(Partnership.code, Membership.role)
                      .join(Partnership, Partnership.id == Membership.partnership_id)
                      .where(Membership.user_id == user.id)).all()
        roles = tuple(f"{code}: {ROLE_LABELS[role]}" for code, role in
                      sorted(rows, key=lambda r: (r[0], ROLES.index(r[1]) if r[1] in ROLES else 99)))
        return OwnAccount(user.username, user.name, user.email, roles, user.is_regional,
                          user.must_change_password, user.agency_id)


def change_own_password(actor: Actor, current: str, new: str, again: str) -> datetime:
    """Replace the actor's password. Returns the time from which sign-ins made earlier are
    refused (every other browser and device); the caller signs itself in again after it.

    A wrong current password is refused and audited, and changes nothing. After as many wrong
    ones as a sign-in may have (PANEL_MAX_FAILED_LOGINS) within the lockout time, further tries
    are refused unchecked until it has passed: an unattended signed-in screen is not a way to
    guess the password."""
    settings = get_settings()
    with read_session() as s:
        user = _own_user(s, actor)
        user_id, username, stored = user.id, user.username, user.password_hash
        since = utcnow() - timedelta(minutes=settings.lockout_minutes)
        wrong = s.exec(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.entity == "user", AuditEvent.entity_id == user_id,
            AuditEvent.action == "password_change_failed", AuditEvent.at > since)).one()
    if wrong >= settings.max_failed_logins:
        raise ValidationFailed({"current": f"Too many wrong current passwords: try again in "
                                           f"{settings.lockout_minutes} minutes."})
    if not password_matches(current or "", stored):
        with transaction() as s:
            audit.record(s, actor, "password_change_failed", "user", user_id)
        raise ValidationFailed({"current": "That is not your current password."})
    errors: dict[str, str] = {}
    if problem := password_problem(new or "", username):
        errors["new"] = problem
    elif new == current:
        errors["new"] = "Choose a password different from your current one."
    if not errors and new != again:
        errors["again"] = "The two new passwords differ: type the same one twice."
    if errors:
        raise ValidationFailed(errors)
    now = utcnow()
    with transaction() as s:
        user = _own_user(s, actor)
        before = {"must_change_password": user.must_change_password}
        user.password_hash = hash_password(new)
        user.must_change_password = False
        user.sessions_valid_after = now
        s.add(user)
        audit.record(s, actor, "password_change", "user", user.id, before=before,
                     detail="own password changed; other sign-ins ended")
    return now


def recent_sign_ins(actor: Actor, limit: int = RECENT) -> list[SignInEvent]:
    """The newest sign-in events of the actor's own account, from the audit trail: sign-ins
    (refused ones too, so a stranger's guesses show), sign-outs and password changes."""
    limit = max(1, min(int(limit), 200))
    with read_session() as s:
        user = _own_user(s, actor)
        rows = s.exec(select(AuditEvent)
                      .where(AuditEvent.entity == "user", AuditEvent.entity_id == user.id,
                             AuditEvent.action.in_(SIGN_IN_EVENTS))
                      .order_by(AuditEvent.at.desc(), AuditEvent.id.desc()).limit(limit)).all()
        return [SignInEvent(r.at, SIGN_IN_EVENTS[r.action], r.detail,
                            "you" if r.user_id == user.id else r.username) for r in rows]
