"""The audit trail: who did or saw what, when. Rows are written in the caller's transaction,
so an audited change and its audit row commit or roll back together."""

from __future__ import annotations

import json
from datetime import date, datetime

from sqlmodel import Session, select

from panel.core.access import SYSTEM, Actor
from panel.core.errors import NotFound
from panel.models import AuditEvent, User


def _json(value) -> str | None:
    if value is None:
        return None

    def default(o):
        if isinstance(o, date | datetime):
            return o.isoformat()
        return str(o)

    return json.dumps(value, default=default, sort_keys=True)


def record(
    session: Session,
    actor: Actor,
    action: str,
    entity: str,
    entity_id: int | None = None,
    partnership_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    detail: str | None = None,
) -> None:
    session.add(
        AuditEvent(
            user_id=actor.user_id,
            username=actor.username,
            action=action,
            entity=entity,
            entity_id=entity_id,
            partnership_id=partnership_id,
            before=_json(before),
            after=_json(after),
            detail=detail,
        )
    )


def not_found(actor: Actor, entity: str, reference, message: str, what: str = "reference") -> NotFound:
    """Record a failed lookup in its own transaction and return the error to raise.

    Another partnership's record and a record that does not exist look the same to the user,
    but both attempts are attributable (docs/domain.md §8), even though the caller's work rolls back.
    """
    from panel.core.db import transaction

    with transaction() as s:
        record(s, actor, "not_found", entity, detail=f"{what} {str(reference)[:40]!r}")
    return NotFound(message)


def history(session: Session, entity: str, entity_id: int, limit: int = 200) -> list[AuditEvent]:
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.exec(stmt))


def names_of(session: Session, usernames: set[str]) -> dict[str, str]:
    """Who acted, by name: each username's account name, and the system's own name."""
    names = dict(session.exec(select(User.username, User.name).where(User.username.in_(usernames))).all()) \
        if usernames else {}
    names[SYSTEM.username] = SYSTEM.name
    return names


# Audited reads and sign-ins: they change no data a page shows, so they leave caches alone.
NO_DATA_CHANGE = ("view", "export", "not_found", "login", "login_failed", "audit_search")


def high_water() -> int:
    """The newest id of an audit row that records a change. Every write records its audit row
    in its own transaction, so this moves on every committed write, from any process (the UI
    caches key on it); any action not listed in NO_DATA_CHANGE counts as a change."""
    from sqlalchemy import func

    from panel.core.db import read_session

    with read_session() as s:
        return int(s.exec(select(func.max(AuditEvent.id))
                          .where(AuditEvent.action.not_in(NO_DATA_CHANGE))).one() or 0)


def changed(before: dict, after: dict) -> tuple[dict, dict]:
    """Only the fields that differ, so audit rows say what changed rather than everything."""
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


# -- purging (retention only) ----------------------------------------------------------------------

def purge_before(actor: Actor, cutoff: datetime) -> int:
    """Delete audit rows written before `cutoff`; the one allowed path (docs/security.md).

    The database refuses any DELETE on the audit table unless the `audit_purge` flag is on;
    it is switched on and off again inside this one transaction, so no other transaction ever
    sees it on. Command line only (SYSTEM): a deliberate step after a retention review. The
    purge itself leaves an audit row.
    """
    from sqlalchemy import delete, update

    from panel.core.db import transaction
    from panel.core.errors import PermissionDenied
    from panel.models import AuditPurge

    if not actor.is_system:
        raise PermissionDenied("Audit rows are purged from the command line only.")
    with transaction() as s:
        s.exec(update(AuditPurge).where(AuditPurge.id == 1).values(active=True))
        gone = s.exec(delete(AuditEvent).where(AuditEvent.at < cutoff)).rowcount
        s.exec(update(AuditPurge).where(AuditPurge.id == 1).values(active=False))
        record(s, actor, "audit_purge", "audit", detail=f"{gone} rows written before {cutoff.isoformat()}")
    return gone
