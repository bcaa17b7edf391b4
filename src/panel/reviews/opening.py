"""Opening a review: the record and its planned milestones (docs/domain.md §6.2, §6.3).

Two things open a review: the chair signing the panel's decision (panel.screening.decisions)
and a rapid review's decision to hold an LCSPR (panel.reviews.service). Both go through
`open_review`, so a review is numbered and planned one way whichever opened it. The caller
holds the transaction, has checked the actor, and writes the audit row.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from panel.models import Decision, Referral, Review, ReviewMilestone, ReviewType
from panel.reviews import lifecycle
from panel.reviews.types_service import spec_of
from panel.screening.service import assess_facts, facts_of, first_notified_on


def open_review(s: Session, r: Referral, d: Decision, rtype: ReviewType, started_on: date,
                rapid_review_id: int | None = None) -> Review:
    """A new open review of the referral, `-R<n>`, with every milestone of its type planned from
    `started_on` (and, for milestones counted from the notification, from the notification sent,
    or before it is sent from its statutory due date)."""
    n = s.exec(select(func.count()).select_from(Review).where(Review.referral_id == r.id)).one() + 1
    notified_on = first_notified_on(s, r.id)
    spec = spec_of(rtype)
    anchor = notified_on
    if anchor is None and any(m.anchor == "notification" for m in spec.milestones):
        result, _ = assess_facts(facts_of(r))
        due = [date.fromisoformat(x["due"]) for x in (result or {}).get("notify", [])]
        anchor = min(due) if due else started_on
    planned = lifecycle.planned_dates(spec, started_on, anchor)
    review = Review(reference=f"{r.reference}-R{n}", partnership_id=r.partnership_id, referral_id=r.id,
                    decision_id=d.id, review_type_id=rtype.id, started_on=started_on, notified_on=notified_on,
                    rapid_review_id=rapid_review_id)
    s.add(review)
    s.flush()
    for i, m in enumerate(spec.milestones):
        s.add(ReviewMilestone(review_id=review.id, key=m.key, name=m.name, position=i,
                              statutory=m.statutory, planned_on=planned[m.key]))
    return review
