"""Day one of a real installation: the first administrator, the first partnership, and the
checklist of what a partnership still needs before its panel can work in Panel.

The first administrator is made by whoever reaches the set-up page (or runs `panel init`) while
the database holds no user at all; once one exists the set-up is refused. That account starts
with no role; its first step creates the first partnership and makes it that partnership's
administrator. Everything else goes through the ordinary services (agencies, review types,
users, import), so the checklist only reads.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, text
from sqlmodel import Session, select

from panel.accounts import service as accounts
from panel.accounts.partnerships import create_in_session
from panel.agencies.rules import STATUTORY_KINDS
from panel.core import audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.models import Agency, AuditEvent, Membership, Partnership, ReviewType, User

# The actor of the set-up page: nobody has signed in, since there is nobody to sign in as.
SETUP_VISITOR = Actor(user_id=None, username="(set-up page)", name="Set-up page")
CLOSED = "Panel is already set up: sign in, or ask an administrator for an account."


def _lock_users(s: Session) -> None:
    """Two set-up forms sent at once must not both make a first administrator. PostgreSQL:
    lock the user table until commit; SQLite serialises writers on its own (a second writer
    that read before the first committed is refused)."""
    if s.get_bind().dialect.name == "postgresql":
        s.execute(text('LOCK TABLE "user" IN SHARE ROW EXCLUSIVE MODE'))


def needs_setup() -> bool:
    """True while the database has no user at all (app.py then shows the set-up page)."""
    with read_session() as s:
        return s.exec(select(func.count()).select_from(User)).one() == 0


def create_first_admin(actor: Actor, *, username: str, name: str, email: str, password: str) -> int:
    """The first account, an administrator-to-be, with the same checks as any account (password
    rules included). Refused once any user exists. Returns its id."""
    if not needs_setup():
        raise PermissionDenied(CLOSED)
    errors = accounts.account_problems(username, name, email, password)
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        _lock_users(s)
        if s.exec(select(func.count()).select_from(User)).one():
            raise PermissionDenied(CLOSED)
        user = User(username=username, name=name.strip(), email=email.strip(),
                    password_hash=accounts.hash_password(password))
        s.add(user)
        s.flush()
        audit.record(s, actor, "setup", "user", user.id, after={"username": username, "first_admin": True})
        return user.id


def _first_admin_id(s: Session) -> int | None:
    return s.exec(select(AuditEvent.entity_id).where(AuditEvent.action == "setup", AuditEvent.entity == "user")
                  .order_by(AuditEvent.id)).first()


def may_create_first_partnership(actor: Actor) -> bool:
    """The first administrator, while there is no partnership yet (or the command line)."""
    with read_session() as s:
        if s.exec(select(func.count()).select_from(Partnership)).one():
            return False
        return actor.is_system or (actor.user_id is not None and actor.user_id == _first_admin_id(s))


def create_first_partnership(actor: Actor, code: str, name: str, area: str) -> int:
    """The installation's first partnership, with the default review types; its creator becomes
    its administrator. Refused once a partnership exists (administrators then add more from the
    set-up page, as administrators)."""
    if not may_create_first_partnership(actor):
        raise PermissionDenied("Only the first administrator creates the first partnership.")
    with transaction() as s:
        if s.exec(select(func.count()).select_from(Partnership)).one():
            raise PermissionDenied("A partnership already exists: add more from the set-up page.")
        pid = create_in_session(s, actor, code, name, area)
        if actor.user_id is not None:
            s.add(Membership(user_id=actor.user_id, partnership_id=pid, role="admin"))
            audit.record(s, actor, "grant", "membership", actor.user_id, pid, after={"role": "admin"})
        return pid


# ---------------------------------------------------------------- the checklist

@dataclass(frozen=True)
class Step:
    key: str
    title: str
    done: bool
    missing: str  # what is still missing ("" when done)
    page: str | None = None  # where it is done later (a page key of panel.ui.pages)


def mail_available() -> bool:
    """Whether this installation can send a test message (panel.core.mail.send_test_message)."""
    try:
        from panel.core import mail
    except ImportError:
        return False
    return callable(getattr(mail, "send_test_message", None))


def checklist(actor: Actor, mail_checked: bool | None = None) -> list[Step]:
    """What each of the actor's partnerships still needs. `mail_checked`: whether a test message
    has gone out; by default, whether the audit trail holds an accepted one (None when this
    installation cannot send one)."""
    pids = actor.partnerships_with("user.manage")
    if not pids and not actor.is_system:
        raise PermissionDenied("Only an administrator sees the set-up checklist.")
    with read_session() as s:
        parts = list(s.exec(select(Partnership).where(Partnership.id.in_(pids or [-1])).order_by(Partnership.code)))
        agencies = list(s.exec(select(Agency).where(Agency.active == True)))  # noqa: E712
        types = dict(s.exec(select(ReviewType.partnership_id, func.count()).where(
            ReviewType.partnership_id.in_(pids or [-1]), ReviewType.active == True)  # noqa: E712
            .group_by(ReviewType.partnership_id)).all())
        roles = {(p, r) for p, r in s.exec(select(Membership.partnership_id, Membership.role).where(
            Membership.partnership_id.in_(pids or [-1])))}
        if mail_checked is None and mail_available():
            mail_checked = s.exec(select(AuditEvent.id).where(AuditEvent.action == "mail_test").limit(1)).first() \
                is not None
        imported = s.exec(select(AuditEvent.id).where(AuditEvent.action == "import", AuditEvent.entity == "tracker")
                          .limit(1)).first() is not None
    no_area = [p.code for p in parts if not (p.local_authority_area or "").strip()]
    steps = [Step("partnerships", "Partnerships", bool(parts) and not no_area,
                  "" if parts and not no_area else
                  ("Create your partnership." if not parts else "Enter the local authority area of " + ", ".join(no_area) + "."))]
    unmarked = [k for k in sorted(STATUTORY_KINDS) if not any(a.statutory and a.kind == k for a in agencies)]
    kinds = {"local_authority": "the local authority", "police": "the police", "health": "health (the ICB)"}
    steps.append(Step("agencies", "Agencies", bool(agencies) and not unmarked,
                      "" if agencies and not unmarked else
                      ("Add your agencies." if not agencies else
                       "Mark the statutory partner for " + ", ".join(kinds[k] for k in unmarked) + "."),
                      "agencies"))
    lacking = [p.code for p in parts if not types.get(p.id)]
    steps.append(Step("review_types", "Review types", bool(parts) and not lacking,
                      "" if parts and not lacking else "No review types in " + (", ".join(lacking) or "any partnership") + ".",
                      "review-types"))
    no_chair = [p.code for p in parts if (p.id, "chair") not in roles]
    no_referrer = [p.code for p in parts if (p.id, "referrer") not in roles]
    missing = ([f"a panel chair in {', '.join(no_chair)}"] if no_chair else []) + \
        ([f"a referrer in {', '.join(no_referrer)}"] if no_referrer else [])
    steps.append(Step("users", "Users and roles", bool(parts) and not missing,
                      ("Add " + " and ".join(missing) + ".") if missing or not parts else "", "users"))
    steps.append(Step("mail", "Mail", bool(mail_checked),
                      "" if mail_checked else ("Mail is not configured in this installation." if mail_checked is None
                                               else "Send a test message to check the mail settings."), None))
    steps.append(Step("import", "Import your old tracker", imported,
                      "" if imported else "Optional: import the referrals and reviews you already hold.", "import"))
    return steps
