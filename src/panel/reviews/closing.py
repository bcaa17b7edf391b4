"""Closing a review (docs/domain.md §6.3): once its closure milestone is recorded and every
action on its recommendations is settled, closed with evidence of impact or carried to a named
owner with a reason (panel.learning.carry). Until then the page lists what stops it, by action.

The rule itself is pure (lifecycle.closure_blockers); this module reads what it needs and writes
the closure with its audit row. Reopening is not offered: a closed review's record is kept as it
was closed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import or_
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.clock import day
from panel.core.db import read_session, transaction
from panel.core.errors import PermissionDenied, StaleEdit, ValidationFailed
from panel.core.validation import not_after_today
from panel.models import Action, Agency, Finding, Recommendation, Review, ReviewMilestone
from panel.reviews import lifecycle
from panel.reviews.service import load_review, versioned_update
from panel.reviews.types import CLOSURE_KEY, PUBLICATION_KEY

NOT_OPEN = {"closed": "This review is already closed.",
            "superseded": "An amended decision replaced this review: it cannot be closed."}


@dataclass
class Closure:
    state: str  # lifecycle.REVIEW_STATES
    closed_on: date | None
    blockers: list[str]  # [] when the review may close
    actions: list[dict] = field(default_factory=list)  # id, text, agency, owner, status, settled


def _milestones(s: Session, review_id: int) -> list[dict]:
    return [{"key": m.key, "name": m.name, "actual": m.actual_on} for m in s.exec(
        select(ReviewMilestone).where(ReviewMilestone.review_id == review_id).order_by(ReviewMilestone.position))]


def _actions(s: Session, review_id: int) -> list[dict]:
    """Every action on the review's recommendations (made on the review or on one of its findings)."""
    recs = (select(Recommendation.id).outerjoin(Finding, Finding.id == Recommendation.finding_id)
            .where(or_(Recommendation.review_id == review_id, Finding.review_id == review_id)))
    rows = s.exec(select(Action, Agency.name).outerjoin(Agency, Agency.id == Action.owner_agency_id)
                  .where(Action.recommendation_id.in_(recs)).order_by(Action.id)).all()
    return [{"id": a.id, "text": a.text, "agency": agency, "owner": a.owner_name, "status": a.status,
             "carried_to": a.carried_to, "carried_reason": a.carried_reason,
             "settled": lifecycle.action_settled(a.status, a.carried_to, a.carried_reason)} for a, agency in rows]


def _state(rv: Review, milestones: list[dict]) -> str:
    published = next((m["actual"] for m in milestones if m["key"] == PUBLICATION_KEY), None)
    return lifecycle.review_state(rv.status, rv.publication_status, published, rv.closed_on)


def closure(actor: Actor, reference: str) -> Closure:
    """The review's state and, while it runs, what stops it closing."""
    with read_session() as s:
        rv = load_review(s, actor, reference)
        ms, acts = _milestones(s, rv.id), _actions(s, rv.id)
    blockers = lifecycle.closure_blockers(ms, acts) if rv.status == "open" else []
    return Closure(state=_state(rv, ms), closed_on=rv.closed_on, blockers=blockers, actions=acts)


def close_review(actor: Actor, reference: str, closed_on: date | None, expected_version: int,
                 today: date) -> None:
    """Close the review on `closed_on`; refused, with nothing changed, while anything blocks it
    (the message lists each blocker by action, agency and owner)."""
    errors: dict[str, str] = {}
    if closed_on is None:
        errors["closed_on"] = "Enter the date the review closed."
    errors.update(not_after_today("closed_on", closed_on, today))
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rv = load_review(s, actor, reference)
        if not actor.can("review.edit", rv.partnership_id):
            raise PermissionDenied("Only the panel chair or the business manager can close a review.")
        if rv.status in NOT_OPEN:
            raise ValidationFailed({"review": NOT_OPEN[rv.status]})
        if rv.version != expected_version:
            raise StaleEdit("review")
        ms = _milestones(s, rv.id)
        done = next((m["actual"] for m in ms if m["key"] == CLOSURE_KEY), None)
        if done and closed_on < done:
            errors["closed_on"] = f"The closure milestone was recorded on {day(done)}: the review cannot close before."
        elif closed_on < rv.started_on:
            errors["closed_on"] = f"The review started on {day(rv.started_on)}: it cannot close before."
        if blockers := lifecycle.closure_blockers(ms, _actions(s, rv.id)):
            errors["closure"] = "The review cannot close yet. " + " ".join(blockers)
        if errors:
            raise ValidationFailed(errors)
        values = {"status": "closed", "closed_on": closed_on}
        before = versioned_update(s, rv, expected_version, values)
        audit.record(s, actor, "review_close", "review", rv.id, rv.partnership_id, before=before, after=values)
