"""Reviews: the record a signed decision creates, its milestones, and the rapid review's end
(the LCSPR decision against SI 2018/789 reg.11, and the National Panel's response)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, StaleEdit, ValidationFailed
from panel.core.validation import not_after_today
from panel.models import Partnership, Referral, Review, ReviewMilestone, ReviewType
from panel.referrals.service import load_referral
from panel.reviews import lifecycle
from panel.reviews.rules import LCSPR_DECISIONS, RESPONSES
from panel.screening.rules import LCSPR_CONSIDERATIONS

NOT_FOUND = "No review with that reference is open to you."
CONSIDERATION_ANSWERS = {"yes": "Yes", "no": "No", "unclear": "Not yet clear"}


@dataclass
class ReviewView:
    review: Review
    type_name: str
    type_key: str
    referral_reference: str
    partnership_name: str
    milestones: list[dict]
    status: dict
    considerations: dict
    can_edit: bool


def for_referral(actor: Actor, reference: str) -> list[dict]:
    with read_session() as s:
        r = load_referral(s, actor, reference)
        actor.require("review.read", r.partnership_id)
        rows = s.exec(select(Review, ReviewType.name).join(ReviewType, ReviewType.id == Review.review_type_id)
                      .where(Review.referral_id == r.id).order_by(Review.id)).all()
    return [{"reference": rv.reference, "type": name, "status": rv.status} for rv, name in rows]


def load_review(s: Session, actor: Actor, reference: str) -> Review:
    """The review if the actor may read it; NotFound otherwise (the attempt is audited). Every
    review module loads a review through this, so the wall between partnerships is in one place."""
    rv = s.exec(select(Review).where(Review.reference == (reference or "").strip().upper())).first()
    if rv is not None and actor.can("review.read", rv.partnership_id):
        return rv
    raise audit.not_found(actor, "review", reference, NOT_FOUND)


def versioned_update(s: Session, rv: Review, expected_version: int, values: dict | None = None) -> dict:
    """Write `values` and the next version only if nobody changed the review since the page read
    it (else StaleEdit: the second of two editors is refused). Returns the values before."""
    values = values or {}
    before = {k: getattr(rv, k) for k in values}
    done = s.execute(update(Review).where(Review.id == rv.id, Review.version == expected_version)
                     .values(**values, version=Review.version + 1))
    if done.rowcount != 1:
        raise StaleEdit("review")
    return before


def get_review(actor: Actor, reference: str, today: date, record_view: bool = True) -> ReviewView:
    with read_session() as s:
        rv = load_review(s, actor, reference)
        rtype = s.get(ReviewType, rv.review_type_id)
        ref = s.get(Referral, rv.referral_id).reference
        pname = s.get(Partnership, rv.partnership_id).name
        rows = s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id)
                      .order_by(ReviewMilestone.position)).all()
    milestones = [{"key": m.key, "name": m.name, "planned": m.planned_on, "actual": m.actual_on,
                   "statutory": m.statutory,
                   "status": lifecycle.milestone_status(m.planned_on, m.actual_on, today)} for m in rows]
    status = lifecycle.review_status(milestones, today)
    if record_view:
        with transaction() as s:
            audit.record(s, actor, "view", "review", rv.id, rv.partnership_id)
    return ReviewView(review=rv, type_name=rtype.name, type_key=rtype.key, referral_reference=ref,
                      partnership_name=pname, milestones=milestones, status=status,
                      considerations=json.loads(rv.lcspr_considerations or "{}"),
                      can_edit=actor.can("review.edit", rv.partnership_id) or actor.can("screening.edit", rv.partnership_id))


def record_rapid_review_outcome(actor: Actor, reference: str, *, considerations: dict[str, str],
                                lcspr_decision: str | None, sent_on: date | None,
                                response: str | None, response_note: str, expected_version: int,
                                today: date) -> None:
    """The rapid review's end: every reg.11 consideration answered, the LCSPR decision, the date
    sent to the National Panel, and (later) the National Panel's response."""
    errors: dict[str, str] = {}
    for key, _ in LCSPR_CONSIDERATIONS:
        if considerations.get(key) not in CONSIDERATION_ANSWERS:
            errors[f"consideration_{key}"] = "Answer this consideration."
    if lcspr_decision not in LCSPR_DECISIONS:
        errors["lcspr_decision"] = "Record whether the partners will hold an LCSPR."
    errors.update(not_after_today("sent_on", sent_on, today))
    if response and response not in RESPONSES:
        errors["response"] = "Choose agrees or disagrees."
    if response and not sent_on:
        errors["response"] = "Record when the rapid review was sent before the National Panel's response."
    if response == "disagrees" and not (response_note or "").strip():
        errors["response_note"] = "Say what the National Panel disagreed with."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rv = load_review(s, actor, reference)
        if not (actor.can("review.edit", rv.partnership_id) or actor.can("screening.edit", rv.partnership_id)):
            raise NotFound(NOT_FOUND)
        if s.get(ReviewType, rv.review_type_id).key != "rapid_review":
            raise ValidationFailed({"review": "Only a rapid review has an LCSPR decision."})
        if sent_on and sent_on < rv.started_on:
            raise ValidationFailed({"sent_on": "The review cannot be sent before it started."})
        values = {"lcspr_considerations": json.dumps(considerations, sort_keys=True), "lcspr_decision": lcspr_decision,
                  "sent_to_national_panel_on": sent_on, "national_panel_response": response,
                  "national_panel_note": (response_note or "").strip() or None}
        before = versioned_update(s, rv, expected_version, values)
        for key, day in (("sent_to_national_panel", sent_on), ("lcspr_decision_recorded", today)):
            m = s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id, ReviewMilestone.key == key)).first()
            if m and day and m.actual_on is None:
                m.actual_on = day
                s.add(m)
        audit.record(s, actor, "rapid_review_outcome", "review", rv.id, rv.partnership_id, before=before, after=values)
