"""Accounts, sign-in bookkeeping and reference lists (partnerships, agencies).

Lockout lives here, in the database, because streamlit-authenticator's own counter is reset
whenever credentials are reloaded and is per process.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import bcrypt
from sqlmodel import select

from panel.config import get_settings
from panel.db import read_session, transaction, utcnow
from panel.models import Agency, Membership, Partnership, User
from panel.services import audit
from panel.services.access import ROLES, SYSTEM, Actor, roles_map
from panel.services.errors import NotFound, ValidationFailed

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN = 12
PASSWORD_MAX_BYTES = 72  # bcrypt ignores (newer versions refuse) anything longer


def password_problem(password: str) -> str | None:
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        return f"Use at most {PASSWORD_MAX_BYTES} bytes (about {PASSWORD_MAX_BYTES} letters)."
    return None


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise ValidationFailed({"password": problem})
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode()


def is_locked(user: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return user.locked_until is not None and user.locked_until > now


def load_credentials() -> dict:
    """Credentials for streamlit-authenticator: active, unlocked users only.

    A locked or disabled account is simply absent, so the sign-in form says the same thing
    for it as for a wrong password (no account enumeration).
    """
    now = utcnow()
    with read_session() as s:
        users = s.exec(select(User).where(User.is_active == True)).all()  # noqa: E712
        return {
            "usernames": {
                u.username: {
                    "name": u.name,
                    "email": u.email,
                    "password": u.password_hash,
                    "failed_login_attempts": 0,
                    "logged_in": False,
                }
                for u in users
                if not is_locked(u, now)
            }
        }


def actor_for(username: str) -> Actor | None:
    """The Actor for a signed-in username, or None when the account is disabled or gone."""
    with read_session() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None or not user.is_active:
            return None
        rows = s.exec(
            select(Membership.partnership_id, Membership.role).where(Membership.user_id == user.id)
        ).all()
        return Actor(
            user_id=user.id,
            username=user.username,
            name=user.name,
            roles=roles_map(rows),
            is_regional=user.is_regional,
        )


def session_still_valid(username: str, issued_at: datetime) -> bool:
    """A sign-in cookie issued before a password change or 'sign out everywhere' is refused."""
    with read_session() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        return bool(user and user.is_active and issued_at >= user.sessions_valid_after)


def record_login(username: str) -> None:
    with transaction() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None:
            return
        user.failed_logins = 0
        user.locked_until = None
        s.add(user)
        audit.record(s, _as_actor(user), "login", "user", user.id)


def record_logout(username: str, everywhere: bool = False) -> None:
    """Signing out on a shared screen must stick: with `everywhere`, cookies issued before now
    are refused server-side, whatever the browser kept."""
    with transaction() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None:
            return
        if everywhere:
            user.sessions_valid_after = utcnow()
            s.add(user)
        audit.record(s, _as_actor(user), "logout", "user", user.id,
                     detail="everywhere" if everywhere else None)


def record_failed_login(username: str) -> None:
    settings = get_settings()
    with transaction() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None:
            audit.record(s, SYSTEM, "login_failed", "user", detail="unknown username")
            return
        user.failed_logins += 1
        detail = f"attempt {user.failed_logins}"
        if user.failed_logins >= settings.max_failed_logins:
            user.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
            detail += f"; locked for {settings.lockout_minutes} minutes"
        s.add(user)
        audit.record(s, _as_actor(user), "login_failed", "user", user.id, detail=detail)


def _as_actor(user: User) -> Actor:
    return Actor(user_id=user.id, username=user.username, name=user.name)


def create_user(
    actor: Actor,
    *,
    username: str,
    name: str,
    email: str,
    password: str,
    memberships: list[tuple[str, str]],
    agency: str | None = None,
    is_regional: bool = False,
) -> int:
    """memberships: (partnership code, role) pairs. Returns the new user's id."""
    actor.require("user.manage")
    errors: dict[str, str] = {}
    if not USERNAME_RE.match(username or ""):
        errors["username"] = "Use 2-64 lower-case letters, digits, dots, dashes or underscores."
    if not (name or "").strip():
        errors["name"] = "Enter the person's name."
    if not EMAIL_RE.match(email or ""):
        errors["email"] = "Enter an e-mail address like name@example.org."
    if problem := password_problem(password or ""):
        errors["password"] = problem
    if not memberships:
        errors["memberships"] = "Give the user at least one role in one partnership."
    for _, role in memberships:
        if role not in ROLES:
            errors["memberships"] = f"Unknown role {role!r}: use one of {', '.join(ROLES)}."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        if s.exec(select(User).where(User.username == username)).first():
            raise ValidationFailed({"username": "That username is taken."})
        agency_id = None
        if agency:
            found = s.exec(select(Agency).where(Agency.name == agency)).first()
            if found is None:
                raise ValidationFailed({"agency": f"No agency called {agency!r}."})
            agency_id = found.id
        user = User(
            username=username,
            name=name.strip(),
            email=email,
            password_hash=hash_password(password),
            agency_id=agency_id,
            is_regional=is_regional,
        )
        s.add(user)
        s.flush()
        for code, role in memberships:
            p = s.exec(select(Partnership).where(Partnership.code == code)).first()
            if p is None:
                raise ValidationFailed({"memberships": f"No partnership with code {code!r}."})
            s.add(Membership(user_id=user.id, partnership_id=p.id, role=role))
        audit.record(
            s, actor, "create", "user", user.id,
            after={"username": username, "memberships": memberships, "regional": is_regional},
        )
        return user.id


def set_password(actor: Actor, username: str, password: str) -> None:
    """Also signs the user out everywhere: cookies issued before now stop working."""
    actor.require("user.manage")
    if problem := password_problem(password):
        raise ValidationFailed({"password": problem})
    with transaction() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound("No such user.")
        user.password_hash = hash_password(password)
        user.sessions_valid_after = utcnow()
        user.failed_logins = 0
        user.locked_until = None
        s.add(user)
        audit.record(s, actor, "password_reset", "user", user.id)


def partnerships(actor: Actor, permission: str) -> list[Partnership]:
    """Partnerships where the actor holds `permission`, for pickers and filters."""
    ids = actor.partnerships_with(permission)
    if not ids and not actor.is_system:
        return []
    with read_session() as s:
        stmt = select(Partnership).order_by(Partnership.name)
        if not actor.is_system:
            stmt = stmt.where(Partnership.id.in_(ids))
        return list(s.exec(stmt))


def agencies() -> list[Agency]:
    """Agency names are not case data: every signed-in user may list them."""
    with read_session() as s:
        return list(s.exec(select(Agency).order_by(Agency.name)))
