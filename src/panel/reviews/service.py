"""Reviews: the record a signed decision creates, its milestones, and the rapid review's end
(the LCSPR decision against SI 2018/789 reg.11, and the National Panel's response). A decision
to hold an LCSPR opens it, linked to the rapid review (docs/domain.md §6.3)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.clock import day
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, StaleEdit, ValidationFailed
from panel.core.validation import not_after_today
from panel.models import Decision, Partnership, Referral, Review, ReviewMilestone, ReviewType
from panel.referrals.service import load_referral
from panel.reviews import lifecycle
from panel.reviews.opening import open_review
from panel.reviews.rules import LCSPR_DECISIONS, RESPONSES
from panel.reviews.types import LCSPR_DECISION_KEY, PUBLICATION_KEY
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
    rapid_review_ref: str | None = None  # an LCSPR: the rapid review whose decision started it
    lcspr_ref: str | None = None  # a rapid review: the LCSPR its decision started
    lcspr_decided_on: date | None = None  # a rapid review: when the partners made the decision
    state: str = "open"  # lifecycle.REVIEW_STATES: closed, published and withheld are different


def for_referral(actor: Actor, reference: str) -> list[dict]:
    """The referral's reviews, each with the review it is linked to: "rapid_review" (the rapid
    review that started an LCSPR) and "lcspr" (the LCSPR a rapid review started)."""
    with read_session() as s:
        r = load_referral(s, actor, reference)
        actor.require("review.read", r.partnership_id)
        rows = s.exec(select(Review, ReviewType.name).join(ReviewType, ReviewType.id == Review.review_type_id)
                      .where(Review.referral_id == r.id).order_by(Review.id)).all()
    refs = {rv.id: rv.reference for rv, _ in rows}
    started = {rv.rapid_review_id: rv.reference for rv, _ in rows if rv.rapid_review_id}
    return [{"reference": rv.reference, "type": name, "status": rv.status,
             "rapid_review": refs.get(rv.rapid_review_id), "lcspr": started.get(rv.id)} for rv, name in rows]


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


def started_lcspr(s: Session, rapid_review_id: int) -> Review | None:
    """The LCSPR a rapid review's decision started, if any (there is never more than one)."""
    return s.exec(select(Review).where(Review.rapid_review_id == rapid_review_id).order_by(Review.id)).first()


def get_review(actor: Actor, reference: str, today: date, record_view: bool = True) -> ReviewView:
    with read_session() as s:
        rv = load_review(s, actor, reference)
        rtype = s.get(ReviewType, rv.review_type_id)
        ref = s.get(Referral, rv.referral_id).reference
        pname = s.get(Partnership, rv.partnership_id).name
        rows = s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id)
                      .order_by(ReviewMilestone.position)).all()
        rapid = s.get(Review, rv.rapid_review_id) if rv.rapid_review_id else None
        lcspr = started_lcspr(s, rv.id)
    milestones = [{"key": m.key, "name": m.name, "planned": m.planned_on, "actual": m.actual_on,
                   "statutory": m.statutory,
                   "status": lifecycle.milestone_status(m.planned_on, m.actual_on, today)} for m in rows]
    status = lifecycle.review_status(milestones, today)
    published = next((m["actual"] for m in milestones if m["key"] == PUBLICATION_KEY), None)
    if record_view:
        with transaction() as s:
            audit.record(s, actor, "view", "review", rv.id, rv.partnership_id)
    return ReviewView(review=rv, type_name=rtype.name, type_key=rtype.key, referral_reference=ref,
                      partnership_name=pname, milestones=milestones, status=status,
                      considerations=json.loads(rv.lcspr_considerations or "{}"),
                      can_edit=actor.can("review.edit", rv.partnership_id) or actor.can("screening.edit", rv.partnership_id),
                      rapid_review_ref=rapid.reference if rapid else None, lcspr_ref=lcspr.reference if lcspr else None,
                      lcspr_decided_on=next((m.actual_on for m in rows if m.key == LCSPR_DECISION_KEY), None),
                      state=lifecycle.review_state(rv.status, rv.publication_status, published, rv.closed_on))


LCSPR_STAYS = ("The LCSPR {ref} was opened from this decision, so the decision stays \"Hold an LCSPR\": "
               "Panel does not drop a review from the record. Deal with the LCSPR on its own page first.")


def record_rapid_review_outcome(actor: Actor, reference: str, *, considerations: dict[str, str],
                                lcspr_decision: str | None, sent_on: date | None,
                                response: str | None, response_note: str, expected_version: int,
                                today: date, decided_on: date | None) -> str | None:
    """The rapid review's end: every reg.11 consideration answered, the LCSPR decision and its
    date (`decided_on`: always given, never assumed to be today, so a stray save records no date
    nobody chose), the date sent to the National Panel, and (later)
    the National Panel's response. Returns the LCSPR's reference when the decision is to hold one.

    Deciding to hold an LCSPR opens it (once) in the same transaction, planned from the decision
    date and linked to the rapid review, which stays as it is and in the figures (docs/domain.md
    §6.3). Once the LCSPR exists, neither the decision nor its date can change here (LCSPR_STAYS)."""
    errors: dict[str, str] = {}
    for key, _ in LCSPR_CONSIDERATIONS:
        if considerations.get(key) not in CONSIDERATION_ANSWERS:
            errors[f"consideration_{key}"] = "Answer this consideration."
    if lcspr_decision not in LCSPR_DECISIONS:
        errors["lcspr_decision"] = "Record whether the partners will hold an LCSPR."
    if decided_on is None:
        errors["decided_on"] = "Enter the date the partners made the decision."
    errors.update(not_after_today("decided_on", decided_on, today))
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
        if rv.status == "superseded":
            raise ValidationFailed({"review": "An amended decision replaced this rapid review: record the outcome "
                                              "on the review that replaced it."})
        if sent_on and sent_on < rv.started_on:
            raise ValidationFailed({"sent_on": "The review cannot be sent before it started."})
        if decided_on < rv.started_on:
            raise ValidationFailed({"decided_on": "The decision cannot be before the rapid review started."})
        if rv.version != expected_version:  # a form drawn before someone else's save: theirs first
            raise StaleEdit("review")
        lcspr = started_lcspr(s, rv.id)
        lcspr_type = _lcspr_type(s, rv, lcspr, lcspr_decision, decided_on)
        values = {"lcspr_considerations": json.dumps(considerations, sort_keys=True), "lcspr_decision": lcspr_decision,
                  "sent_to_national_panel_on": sent_on, "national_panel_response": response,
                  "national_panel_note": (response_note or "").strip() or None}
        before = versioned_update(s, rv, expected_version, values)
        if changed := set_sent_milestone(s, rv.id, sent_on):
            before[SENT_KEY], values[SENT_KEY] = changed
        m = s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id,
                                                 ReviewMilestone.key == LCSPR_DECISION_KEY)).first()
        if m:
            before[LCSPR_DECISION_KEY], values[LCSPR_DECISION_KEY] = m.actual_on, decided_on
            m.actual_on = decided_on
            s.add(m)
        if lcspr_type is not None:
            lcspr = open_review(s, s.get(Referral, rv.referral_id), s.get(Decision, rv.decision_id), lcspr_type,
                                decided_on, rapid_review_id=rv.id)
            audit.record(s, actor, "lcspr_opened", "review", lcspr.id, rv.partnership_id,
                         after={"rapid_review": rv.reference, "decided_on": decided_on})
        values["lcspr"] = lcspr.reference if lcspr else None
        audit.record(s, actor, "rapid_review_outcome", "review", rv.id, rv.partnership_id, before=before, after=values)
        return values["lcspr"] if lcspr_decision == "lcspr" else None


SENT_KEY = "sent_to_national_panel"  # the rapid review's milestone (panel.reviews.types)


def set_sent_milestone(s: Session, review_id: int, sent_on: date | None,
                       overwrite: bool = False) -> tuple[date | None, date] | None:
    """Date the rapid review's "sent to the National Panel" milestone, inside the caller's
    transaction; (before, after) when it changed. The outcome form only fills it when empty;
    the drafted report's "sent" step (panel.drafting, docs/domain.md §11) sets it (`overwrite`),
    so the two ways of recording the date share one write."""
    m = s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == review_id,
                                             ReviewMilestone.key == SENT_KEY)).first()
    if m is None or sent_on is None or (m.actual_on is not None and not overwrite) or m.actual_on == sent_on:
        return None
    before, m.actual_on = m.actual_on, sent_on
    s.add(m)
    return before, sent_on


def _lcspr_type(s: Session, rv: Review, lcspr: Review | None, decision: str, decided_on: date) -> ReviewType | None:
    """The type to open the LCSPR with, when this decision opens one; refused when an LCSPR
    already opened would no longer match the decision or its date."""
    if lcspr is not None:
        if decision != "lcspr":
            raise ValidationFailed({"lcspr_decision": LCSPR_STAYS.format(ref=lcspr.reference)})
        if lcspr.started_on != decided_on:
            raise ValidationFailed({"decided_on": f"The LCSPR {lcspr.reference} is planned from the decision on "
                                                  f"{day(lcspr.started_on)}: that date cannot change now."})
        return None
    if decision != "lcspr":
        return None
    found = s.exec(select(ReviewType).where(ReviewType.partnership_id == rv.partnership_id, ReviewType.key == "lcspr",
                                            ReviewType.active == True)).first()  # noqa: E712
    if found is None:
        raise ValidationFailed({"lcspr_decision": "This partnership has no LCSPR review type in use: the "
                                                  "administrator can bring it back on the Review types page."})
    return found
