"""What is new to a user: their last visit to the referral queue is the audit log's last view of
it by them (no preference to keep), and a referral is new to them when it arrived after that."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func
from sqlmodel import select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.models import AuditEvent, Referral

QUEUE = "referral_queue"  # the audit log's record type for a view of the queue
# How the queue marks a referral that arrived since the user's last visit: not "New", which is
# the status of a referral not yet triaged.
NEW_TO_YOU = "New to you"


def visit_queue(actor: Actor) -> datetime | None:
    """Record this visit to the referral queue; when the actor's previous visit was (None for
    their first)."""
    with transaction() as s:
        last = s.exec(select(func.max(AuditEvent.at)).where(
            AuditEvent.entity == QUEUE, AuditEvent.action == "view",
            AuditEvent.user_id == actor.user_id)).one()
        audit.record(s, actor, "view", QUEUE)
    return last


def new_since(actor: Actor, references: list[str], since: datetime | None) -> set[str]:
    """Which of these referrals (those the actor may read) arrived after `since`; none when the
    actor has no earlier visit to compare with."""
    pids = actor.partnerships_with("referral.read")
    if since is None or not references or not pids:
        return set()
    with read_session() as s:
        return set(s.exec(select(Referral.reference).where(
            Referral.reference.in_(references), Referral.partnership_id.in_(pids),
            Referral.created_at > since)).all())
