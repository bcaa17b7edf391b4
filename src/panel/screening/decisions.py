"""The panel's decision on a referral: recorded, signed by the chair, amended only by a new
version. Signing creates the review with its planned milestones."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, update
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import PANEL, Actor
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.core.validation import not_after_today
from panel.models import Decision, Membership, Referral, Review, ReviewMilestone, ReviewType, User
from panel.referrals.service import load_referral
from panel.reviews import lifecycle
from panel.reviews.opening import open_review
from panel.screening.rules import decision_refusal, departs_from_criteria, sign_refusal
from panel.screening.service import assess_facts, facts_of, first_notified_on

RATIONALE_MIN = 10


@dataclass
class DecisionForm:
    review_type_id: int | None
    rationale: str
    present: list[int]
    apologies: list[int]
    conflicts: list[int]
    decided_on: date | None
    departure_rationale: str = ""
    amends_id: int | None = None
    amendment_reason: str = ""


def panel_members(actor: Actor, partnership_id: int) -> dict[int, str]:
    """Who can attend: the partnership's chairs, members and managers (id -> name)."""
    actor.require("referral.read", partnership_id)
    with read_session() as s:
        rows = s.exec(select(User.id, User.name).join(Membership, Membership.user_id == User.id)
                      .where(Membership.partnership_id == partnership_id, Membership.role.in_(PANEL),
                             User.is_active == True).distinct().order_by(User.name)).all()  # noqa: E712
    return dict(rows)


def decisions_for(actor: Actor, reference: str) -> list[Decision]:
    with read_session() as s:
        r = load_referral(s, actor, reference)
        actor.require("referral.read", r.partnership_id)
        return list(s.exec(select(Decision).where(Decision.referral_id == r.id).order_by(Decision.version_no)))


def _validate(s: Session, r: Referral, f: DecisionForm, today: date, members: set[int]) -> tuple[ReviewType, dict]:
    errors: dict[str, str] = {}
    rtype = s.get(ReviewType, f.review_type_id) if f.review_type_id else None
    if rtype is None or rtype.partnership_id != r.partnership_id:
        errors["review_type_id"] = "Choose the outcome."
    if len((f.rationale or "").strip()) < RATIONALE_MIN:
        errors["rationale"] = "Give the panel's rationale (at least a sentence)."
    if not f.present:
        errors["present"] = "Record who was present."
    elif not set(f.present) <= members:
        errors["present"] = "Choose people from the partnership's panel."
    if set(f.apologies) & set(f.present):
        errors["apologies"] = "Someone cannot be both present and sending apologies."
    if not set(f.conflicts) <= set(f.present):
        errors["conflicts"] = "Only members present can declare a conflict."
    elif f.present and set(f.conflicts) == set(f.present):
        errors["conflicts"] = "Everyone present is conflicted: the panel cannot decide."
    if f.decided_on is None:
        errors["decided_on"] = "Enter the date of the decision."
    elif future := not_after_today("decided_on", f.decided_on, today):
        errors.update(future)
    elif f.decided_on < r.aware_on:
        errors["decided_on"] = "The decision cannot be before the authority became aware."
    result, fact_error = assess_facts(facts_of(r, first_notified_on(s, r.id)))
    if fact_error:
        errors["facts"] = "Fix the screening answers first: " + next(iter(fact_error.values()))
    if rtype and result and rtype.regime != result["regime"]:
        errors["review_type_id"] = f"Choose an outcome under {result['regime']}, the regime that applies."
    departs = bool(rtype and result and departs_from_criteria(result["route"], rtype.routes))
    if departs and len((f.departure_rationale or "").strip()) < RATIONALE_MIN:
        errors["departure_rationale"] = ("This outcome departs from the criteria: say why "
                                         "(\"departs from the criteria because…\").")
    if errors:
        raise ValidationFailed(errors)
    return rtype, {"route": result["route"], "regime": result["regime"], "departs": departs}


def record_decision(actor: Actor, reference: str, f: DecisionForm, today: date) -> int:
    """Record (as a draft for the chair to sign) the panel's decision; returns its id."""
    with transaction() as s:
        r = load_referral(s, actor, reference)
        actor.require("decision.record", r.partnership_id)
        members = set(panel_members(actor, r.partnership_id))
        existing = list(s.exec(select(Decision).where(Decision.referral_id == r.id)))
        signed = [d for d in existing if d.status == "signed"]
        if f.amends_id is None and signed:
            raise ValidationFailed({"amends": "This referral has a signed decision: amend it instead."})
        if f.amends_id is not None:
            if not any(d.id == f.amends_id for d in signed):
                raise ValidationFailed({"amends": "Only the current signed decision can be amended."})
            if len((f.amendment_reason or "").strip()) < RATIONALE_MIN:
                raise ValidationFailed({"amendment_reason": "Say why the decision is being amended."})
        elif refusal := decision_refusal(r.status, has_signed=False):
            raise ValidationFailed({"status": refusal})
        rtype, engine = _validate(s, r, f, today, members)
        for d in existing:  # an unsigned draft is replaced by the newer one
            if d.status == "draft":
                d.status = "withdrawn"
                s.add(d)
        version_no = (s.exec(select(func.max(Decision.version_no)).where(Decision.referral_id == r.id)).one() or 0) + 1
        d = Decision(
            referral_id=r.id, version_no=version_no, review_type_id=rtype.id,
            engine_regime=engine["regime"], engine_route=engine["route"], departs=engine["departs"],
            rationale=f.rationale.strip(), departure_rationale=(f.departure_rationale or "").strip() or None,
            amendment_reason=(f.amendment_reason or "").strip() or None,
            present=json.dumps(sorted(set(f.present))), apologies=json.dumps(sorted(set(f.apologies))),
            conflicts=json.dumps(sorted(set(f.conflicts))), recorded_by_id=actor.user_id,
            decided_on=f.decided_on,
        )
        s.add(d)
        s.flush()
        audit.record(s, actor, "decision_recorded", "referral", r.id, r.partnership_id,
                     after={"decision": d.id, "version": version_no, "outcome": rtype.key,
                            "departs": engine["departs"], "amends": f.amends_id})
        return d.id


ATTENDANCE_UNCONFIRMED = "Confirm who is recorded as present and as conflicted before signing."


def sign_decision(actor: Actor, decision_id: int, today: date, *, attendance_confirmed: bool) -> str | None:
    """The chair signs; the first signature wins. Returns the new review's reference, if any.

    Only once the chair has confirmed the attendance shown with the decision: who was present
    and who was conflicted decide whether the panel could decide at all."""
    if not attendance_confirmed:
        raise ValidationFailed({"attendance_confirmed": ATTENDANCE_UNCONFIRMED})
    with transaction() as s:
        d = s.get(Decision, decision_id)
        r = s.get(Referral, d.referral_id) if d else None
        if d is None or not actor.can("referral.read", r.partnership_id):
            raise NotFound("No such decision.")
        if not actor.can("decision.sign", r.partnership_id):
            raise PermissionDenied("Only the panel chair can sign a decision.")
        if refusal := sign_refusal(actor.user_id, json.loads(d.conflicts)):
            raise ValidationFailed({"sign": refusal})
        won = s.execute(update(Decision).where(Decision.id == d.id, Decision.status == "draft")
                        .values(status="signed", signed_by_id=actor.user_id, signed_at=utcnow()))
        if won.rowcount != 1:
            raise StaleEdit("decision (someone else has just signed or replaced it)")
        previous = s.exec(select(Decision).where(Decision.referral_id == r.id, Decision.status == "signed",
                                                 Decision.id != d.id)).all()
        for old in previous:
            old.status = "superseded"
            s.add(old)
        s.execute(update(Referral).where(Referral.id == r.id)
                  .values(status="decided", version=Referral.version + 1, updated_at=utcnow()))
        rtype = s.get(ReviewType, d.review_type_id)
        review_ref = _open_review(s, r, d, rtype, [o.id for o in previous])
        audit.record(s, actor, "decision_signed", "referral", r.id, r.partnership_id,
                     after={"decision": d.id, "version": d.version_no, "outcome": rtype.key, "review": review_ref})
        return review_ref


def _open_review(s: Session, r: Referral, d: Decision, rtype: ReviewType, superseded: list[int]) -> str | None:
    """The review the signed decision runs: the same review goes on under an amended decision of
    the same outcome; otherwise the replaced one is superseded, unless it has already done its
    work (lifecycle.survives_amendment: it stays, and stays in the figures), and a new one opens."""
    running = list(s.exec(select(Review).where(Review.referral_id == r.id, Review.status == "open",
                                               Review.decision_id.in_(superseded)).order_by(Review.id))) if superseded else []
    same = next((rv for rv in running if rv.review_type_id == rtype.id), None)
    if same is not None:
        same.decision_id = d.id
        s.add(same)
        return same.reference
    for rv in running:
        done = [m.actual_on is not None for m in s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id))]
        if not lifecycle.survives_amendment(rv.lcspr_decision, rv.rapid_review_id is not None, done):
            rv.status = "superseded"
            s.add(rv)
    if not rtype.creates_review:
        return None
    return open_review(s, r, d, rtype, d.decided_on).reference
