"""Accounts and sign-in: passwords, lockout, idle expiry, and reference lists.

Everything that decides whether a sign-in stands lives here, in the database, so it holds
across server processes and restarts (streamlit-authenticator only carries the cookie).
Unknown, wrong-password, locked and disabled attempts all look the same to the person
signing in (no account enumeration) and all are audited. Management of other users' accounts
is in `panel.accounts.users`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta

import bcrypt
from sqlalchemy import case, literal, null, or_, update
from sqlmodel import select

from panel.core import audit
from panel.core.access import ROLES, Actor, roles_map
from panel.core.config import get_settings
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.models import Agency, Membership, Partnership, User

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PASSWORD_MIN = 12
PASSWORD_MAX_BYTES = 72  # bcrypt ignores (newer versions refuse) anything longer
TOUCH_EVERY = timedelta(minutes=1)  # last activity is written at most this often

# Passwords attackers try first that pass the length rule, and the words such passwords are
# made of ("Password2025!" is "password" with digits and symbols added).
COMMON_PASSWORDS = frozenset({
    "123456789012", "1234567890123", "12345678901234", "123456789000", "111111111111",
    "000000000000", "123123123123", "987654321098", "121212121212", "1q2w3e4r5t6y",
    "1qaz2wsx3edc", "zaq12wsxcde3", "q1w2e3r4t5y6", "abcdefghijkl", "abcd12345678",
    "abc123456789", "qwertyuiopas", "qwerty123456", "qwertyqwerty", "asdfghjkl123",
    "trustno1trustno1", "passwordpassword", "iloveyouiloveyou",
})
COMMON_WORDS = frozenset({
    "password", "passwrd", "pssword", "passw", "pass", "welcome", "qwerty", "qwertyuiop", "asdf",
    "asdfgh", "asdfghjkl", "qazwsx", "zaqxsw", "letmein", "iloveyou", "admin", "administrator",
    "changeme", "trustno", "football", "baseball", "sunshine", "princess", "monkey", "dragon",
    "master", "shadow", "superman", "starwars", "abc", "abcdef", "secret", "login", "hello",
    "summer", "winter", "spring", "autumn", "january", "december", "panel", "safeguarding",
})
COMMON_MESSAGE = "This password is on a list of passwords attackers try first. Choose another."


def password_problem(password: str, username: str | None = None) -> str | None:
    """Why a new password is refused, for the message beside the field; None if it is fine."""
    if len(password) < PASSWORD_MIN:
        return f"Use at least {PASSWORD_MIN} characters."
    if len(password.encode("utf-8")) > PASSWORD_MAX_BYTES:
        return f"Use at most {PASSWORD_MAX_BYTES} bytes (about {PASSWORD_MAX_BYTES} letters)."
    lowered = password.lower()
    letters = re.sub(r"[^a-z]", "", lowered)
    if lowered in COMMON_PASSWORDS or letters in COMMON_WORDS or len(set(lowered)) <= 3:
        return COMMON_MESSAGE
    if username and len(username) >= 3 and username.lower() in lowered:
        return "Do not put your username in your password."
    return None


def hash_password(password: str) -> str:
    problem = password_problem(password)
    if problem:
        raise ValidationFailed({"password": problem})
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds=12)).decode()


_TIMING_HASH: list[bytes] = []


def password_matches(password: str, password_hash: str | None) -> bool:
    """bcrypt check; an unknown account is checked against a throwaway hash so it takes as
    long as a known one (timing must not reveal which usernames exist)."""
    if not _TIMING_HASH:
        _TIMING_HASH.append(bcrypt.hashpw(b"not-a-real-password", bcrypt.gensalt(rounds=12)))
    raw = (password or "").encode("utf-8")
    if len(raw) > PASSWORD_MAX_BYTES:
        raw = raw[:PASSWORD_MAX_BYTES]  # never matches a stored hash: such passwords are refused
        password_hash = None
    target = password_hash.encode() if password_hash else _TIMING_HASH[0]
    try:
        return bcrypt.checkpw(raw, target) and password_hash is not None
    except ValueError:
        return False


def is_locked(user: User, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return user.locked_until is not None and user.locked_until > now


def account_fingerprint(username: str) -> str:
    """A keyed hash of a username that matches no account, for the audit trail.

    The typed name is not stored: people type their password into the username box. The hash
    (keyed with the installation's cookie key) still lets an administrator see the same
    unknown name being tried again and again.
    """
    key = get_settings().cookie_key.encode()
    return hmac.new(key, username.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()[:12]


UNKNOWN_ACCOUNT = Actor(user_id=None, username="(unknown account)", name="Unknown account")


def _actor(s, user: User) -> Actor:
    rows = s.exec(select(Membership.partnership_id, Membership.role).where(Membership.user_id == user.id)).all()
    return Actor(user_id=user.id, username=user.username, name=user.name, roles=roles_map(rows),
                 is_regional=user.is_regional, presenting=user.presentation_mode,
                 must_change_password=user.must_change_password)


def actor_for(username: str) -> Actor | None:
    """The Actor for a signed-in username, or None when the account is disabled or gone."""
    with read_session() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None or not user.is_active:
            return None
        return _actor(s, user)


def _count_attempt(username: str, now: datetime, limit: int, lockout_minutes: int):
    """Count one sign-in attempt before its password is checked, in one atomic statement that
    increments and reads back: (id, name, password hash, this attempt's number, the lock it set
    or None), or None when the account is unknown, disabled or locked (nothing counted).

    Written without an audit row of its own: the attempt's outcome is audited straight after.
    """
    lock = now + timedelta(minutes=lockout_minutes)
    expired = User.locked_until.is_not(None)  # the WHERE below lets through only a run-out lock
    counted = case((expired, 1), else_=User.failed_logins + 1)
    with transaction() as s:
        return s.exec(
            update(User)
            .where(User.username == username, User.is_active == True,  # noqa: E712
                   or_(User.locked_until.is_(None), User.locked_until <= now))
            .values(failed_logins=counted,
                    locked_until=case((counted >= max(1, limit), literal(lock, User.locked_until.type)),
                                      else_=null()))
            .returning(User.id, User.name, User.password_hash, User.failed_logins, User.locked_until)
        ).first()


def authenticate(username: str, password: str) -> Actor | None:
    """One sign-in attempt: the Actor, or None for every kind of refusal (the caller shows one
    message for all). Counts failures and locks the account in the database; audits each try.

    The attempt is counted before the password is checked, in one atomic UPDATE ... RETURNING
    that increments the count and reads it back (and, on the attempt that reaches the limit,
    sets the lock at once). Concurrent attempts therefore each get their own number: at most
    `max_failed_logins` passwords are ever checked before the lock, and an attempt that comes
    after the limit is refused without its password being checked, even the right one. The
    right password then takes back its own attempt and those counted before it (and the lock,
    if its attempt was the one that set it).

    A lock that has run out is cleared at the next attempt, which starts a new count. Attempts
    on a locked account are audited but do not extend the lock.
    """
    username = (username or "").strip().lower()
    settings = get_settings()
    now = utcnow()
    slot = _count_attempt(username, now, settings.max_failed_logins, settings.lockout_minutes)
    # Reads first, then transactions that start with their write: on SQLite a transaction that
    # reads and then writes fails at once when another sign-in committed in between.
    if slot is None:
        password_matches(password, None)  # as slow as a real check: the refusal reveals nothing
        with read_session() as s:
            user = s.exec(select(User).where(User.username == username)).first()
        with transaction() as s:
            if user is None:
                audit.record(s, UNKNOWN_ACCOUNT, "login_failed", "user",
                             detail=f"unknown account #{account_fingerprint(username)}")
            else:
                audit.record(s, Actor(user_id=user.id, username=user.username, name=user.name),
                             "login_failed", "user", user.id,
                             detail="account disabled" if not user.is_active else "account locked")
        return None
    user_id, name, password_hash, attempt, held_lock = slot
    who = Actor(user_id=user_id, username=username, name=name)
    matches = password_matches(password, password_hash)
    with transaction() as s:
        if not matches:
            detail = f"wrong password, attempt {attempt}"
            if held_lock is not None:
                detail += f"; locked for {settings.lockout_minutes} minutes"
            audit.record(s, who, "login_failed", "user", user_id, detail=detail)
            return None
        taken = s.exec(
            update(User)
            .where(User.id == user_id, User.is_active == True)  # noqa: E712
            .values(failed_logins=case((User.failed_logins > attempt, User.failed_logins - attempt), else_=0),
                    locked_until=case((User.locked_until == held_lock, null()), else_=User.locked_until),
                    last_seen_at=now)
            .returning(User.id)
        ).first()
        if taken is None:  # disabled while the password was being checked
            audit.record(s, who, "login_failed", "user", user_id, detail="account disabled")
            return None
        audit.record(s, who, "login", "user", user_id)
        return _actor(s, s.get(User, user_id))


def check_session(username: str, issued_at: datetime) -> tuple[Actor | None, str | None]:
    """Whether a sign-in still stands, checked on every run: (Actor, None), or (None, why) with
    why "ended" (password changed, account disabled, signed out everywhere) or "idle".

    Activity is recorded per user, at most once a minute, not on every run. An idle sign-in
    also moves `sessions_valid_after`, so that cookie never works again.
    """
    now = utcnow()
    idle = timedelta(minutes=get_settings().idle_minutes)
    with read_session() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None or not user.is_active or issued_at < user.sessions_valid_after:
            return None, "ended"
        last = max(user.last_seen_at or issued_at, issued_at)
        if now - last > idle:
            user_id = user.id
            actor = None
        else:
            actor = _actor(s, user)
            stale = user.last_seen_at is None or now - user.last_seen_at >= TOUCH_EVERY
    if actor is None:
        with transaction() as s:
            user = s.get(User, user_id)
            user.sessions_valid_after = now
            s.add(user)
            audit.record(s, Actor(user_id=user.id, username=user.username, name=user.name), "logout",
                         "user", user.id, detail=f"idle for more than {get_settings().idle_minutes:g} minutes")
        return None, "idle"
    if stale:
        with transaction() as s:
            user = s.get(User, actor.user_id)
            user.last_seen_at = now
            s.add(user)
    return actor, None


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
        audit.record(s, Actor(user_id=user.id, username=user.username, name=user.name), "logout", "user",
                     user.id, detail="everywhere" if everywhere else None)


def set_presentation_mode(actor: Actor, on: bool) -> bool:
    """Turn the actor's own presentation mode on or off (a shared screen: child identifiers are
    hidden on every page). Kept on their user row, so it holds across reloads, tabs and page
    switches until they turn it off. Every signed-in user may set their own, and no one else's.
    Audited when it changes. Returns the stored value."""
    if not isinstance(on, bool):
        raise ValidationFailed({"presentation_mode": "Choose on or off."})
    if actor.user_id is None:
        raise PermissionDenied("Presentation mode belongs to a signed-in user's screen.")
    with transaction() as s:
        user = s.get(User, actor.user_id)
        if user is None or not user.is_active:
            raise PermissionDenied("Your account is not active.")
        if user.presentation_mode == on:
            return on
        before = {"presentation_mode": user.presentation_mode}
        user.presentation_mode = on
        s.add(user)
        audit.record(s, actor, "presentation_mode", "user", user.id, before=before,
                     after={"presentation_mode": on})
        return on


def _reaches(s, user: User) -> set[int]:
    """The partnerships an account can act in: where it holds a role; all of them if regional
    (it reads anonymised learning across every partnership)."""
    if user.is_regional:
        return set(s.exec(select(Partnership.id)).all())
    return set(s.exec(select(Membership.partnership_id).where(Membership.user_id == user.id)).all())


def managed_user_id(actor: Actor, username: str) -> int:
    """The id of a user the actor may manage (`Actor.manages_account`). Anyone else is refused
    and the try audited: an account with no role in the actor's partnerships is "not found"; one
    the actor sees in their list but that reaches other partnerships is refused, saying why."""
    actor.require("user.manage")
    mine = set(actor.partnerships_with("user.manage"))
    with read_session() as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is not None:
            reaches = _reaches(s, user)
            if actor.manages_account(reaches):
                return user.id
            if reaches & mine:
                raise audit.not_found(
                    actor, "user", username,
                    f"{username} can act in partnerships you do not administer, so only an "
                    "administrator of all of them can manage this account.",
                    what="username reaching other partnerships")
    raise audit.not_found(actor, "user", username, "No such user.", what="username")


def unlock_user(actor: Actor, username: str) -> None:
    """Lift a lockout before it runs out (the person has been in touch with the administrator)."""
    user_id = managed_user_id(actor, username)
    with transaction() as s:
        user = s.get(User, user_id)
        before = {"failed_logins": user.failed_logins, "locked_until": user.locked_until}
        user.failed_logins, user.locked_until = 0, None
        s.add(user)
        audit.record(s, actor, "unlock", "user", user.id, before=before)


def account_problems(username: str, name: str, email: str, password: str) -> dict[str, str]:
    """Messages for the fields of a new account (every account, the first one included)."""
    errors: dict[str, str] = {}
    if not USERNAME_RE.match(username or ""):
        errors["username"] = "Use 2-64 lower-case letters, digits, dots, dashes or underscores."
    if not (name or "").strip():
        errors["name"] = "Enter the person's name."
    if not EMAIL_RE.match(email or ""):
        errors["email"] = "Enter an e-mail address like name@example.org."
    if problem := password_problem(password or "", username):
        errors["password"] = problem
    return errors


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
    errors = account_problems(username, name, email, password)
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
            if not actor.can("user.manage", p.id):
                raise ValidationFailed({"memberships": f"You do not administer partnership {code}."})
            s.add(Membership(user_id=user.id, partnership_id=p.id, role=role))
        audit.record(
            s, actor, "create", "user", user.id,
            after={"username": username, "memberships": memberships, "regional": is_regional},
        )
        return user.id


def set_password(actor: Actor, username: str, password: str) -> None:
    """A temporary password: the administrator knows it, so the user must choose their own at
    their next sign-in before anything else is shown (`accounts.own.change_own_password`).
    Also signs the user out everywhere: cookies issued before now stop working."""
    user_id = managed_user_id(actor, username)
    if problem := password_problem(password or "", username):
        raise ValidationFailed({"password": problem})
    with transaction() as s:
        user = s.get(User, user_id)
        user.password_hash = hash_password(password)
        user.sessions_valid_after = utcnow()
        user.failed_logins = 0
        user.locked_until = None
        user.must_change_password = user.id != actor.user_id
        s.add(user)
        audit.record(s, actor, "password_reset", "user", user.id,
                     detail="temporary: to be changed at the next sign-in" if user.must_change_password else None)


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
