"""Screening: the panel confirms the facts, sees what the criteria say, records notifications.

The criteria themselves live in `panel.screening` (pure, public API); this module feeds them the
referral's facts and saves what the panel changes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import StaleEdit, ValidationFailed
from panel.core.validation import not_after_today
from panel.models import Decision, Notification, Referral, Review, ReviewMilestone, ReviewType
from panel.referrals.rules import care_leaver_facts
from panel.referrals.service import load_referral
from panel.screening import rules as screening
from panel.screening.rules import BODY_NAMES as BODIES  # labels, for the pages
from panel.screening.rules import DIRECTOR_DECISIONS, NotificationClock, notification_clocks

FACT_FIELDS = ("abuse_or_neglect", "harm", "interagency_concerns", "custody_death", "looked_after",
               "location", "media_interest", "practice_concerns")


@dataclass
class NotificationRow:
    body: str
    due_on: date
    sent_on: date | None
    sent_reference: str | None
    days_left: int | None
    rag: str  # red overdue, amber due soon, green on track, done when sent


@dataclass
class Screening:
    referral: Referral
    facts: dict
    result: dict | None
    error: dict[str, str] = field(default_factory=dict)
    notifications: list[NotificationRow] = field(default_factory=list)
    notified_on: date | None = None
    can_edit: bool = False


def facts_of(r: Referral, notified_on: date | None = None, **overrides) -> dict:
    facts = {"aware_on": r.aware_on.isoformat(), **{k: getattr(r, k) for k in FACT_FIELDS},
             **care_leaver_facts(r.care_leaver, r.child_age_years, r.child_dob, r.incident_date)}
    if notified_on:
        facts["notified_on"] = notified_on.isoformat()
    facts.update(overrides)
    return facts


def first_notified_on(s: Session, referral_id: int) -> date | None:
    """The day the National Panel (or, before 2018, Ofsted) was told: the rapid review's day 0.
    Screening and the panel's decision both start the review clock from it."""
    rows = s.exec(select(Notification.sent_on).where(
        Notification.referral_id == referral_id,
        Notification.body.in_(("national_panel", "ofsted")))).all()
    return min(rows) if rows else None


def assess_facts(facts: dict) -> tuple[dict | None, dict[str, str]]:
    try:
        return screening.assess(facts), {}
    except ValueError as e:
        # The engine's messages start with the key they are about ("custody_death: ...").
        msg = str(e)
        head = msg.split(":", 1)[0].strip()
        key = head if head in (*FACT_FIELDS, "aware_on", "notified_on", "regime") else "facts"
        return None, {key: msg}


def clocks_of(s: Session, referrals: Sequence[Referral], today: date) -> dict[int, list[NotificationClock]]:
    """Each referral's notification clocks (docs/domain.md §4.5), from its facts as they stand,
    its recorded notifications and its current signed decision: what the queue, the referral
    page, the reminders and the meeting agenda all show. Facts the criteria reject give no
    clock (the screening page names the problem)."""
    ids = [r.id for r in referrals]
    if not ids:
        return {}
    sent: dict[int, dict[str, tuple[date, date]]] = {}
    for n in s.exec(select(Notification).where(Notification.referral_id.in_(ids))):
        sent.setdefault(n.referral_id, {})[n.body] = (n.sent_on, n.due_on)
    decided = dict(s.exec(select(Decision.referral_id, ReviewType.routes)
                          .join(ReviewType, ReviewType.id == Decision.review_type_id)
                          .where(Decision.referral_id.in_(ids), Decision.status == "signed")).all())
    out = {}
    for r in referrals:
        result, _ = assess_facts(facts_of(r))
        out[r.id] = notification_clocks(result, sent.get(r.id, {}), decided.get(r.id), today)
    return out


def screen(actor: Actor, reference: str, today: date, overrides: dict | None = None) -> Screening:
    """The criteria applied to the referral's facts, with any unsaved answers in `overrides`."""
    with read_session() as s:
        r = load_referral(s, actor, reference)
        actor.require("referral.read", r.partnership_id)
        notified_on = first_notified_on(s, r.id)
        sent = {n.body: n for n in s.exec(select(Notification).where(Notification.referral_id == r.id))}
        decided = s.exec(select(ReviewType.routes).join(Decision, Decision.review_type_id == ReviewType.id)
                         .where(Decision.referral_id == r.id, Decision.status == "signed")).first()
    facts = facts_of(r, notified_on, **(overrides or {}))
    result, error = assess_facts(facts)
    rows = []
    if result:
        # The same rule as every other clock, applied to the answers on screen.
        for c in notification_clocks(result, {b: (n.sent_on, n.due_on) for b, n in sent.items()}, decided, today):
            n = sent.get(c.body)
            rows.append(NotificationRow(c.body, c.due, c.sent_on, n.sent_reference if n else None,
                                        c.days_left, c.rag))
    return Screening(referral=r, facts=facts, result=result, error=error, notifications=rows,
                     notified_on=notified_on,
                     can_edit=actor.can("screening.edit", r.partnership_id) and r.status in ("accepted", "decided"))


def save_facts(actor: Actor, reference: str, answers: dict, expected_version: int) -> None:
    """Save the panel's answers to the referral; refused whole if the criteria reject them."""
    unknown = set(answers) - set(FACT_FIELDS)
    if unknown:
        raise ValidationFailed({k: "Not a screening question." for k in unknown})
    with transaction() as s:
        r = load_referral(s, actor, reference)
        actor.require("screening.edit", r.partnership_id)
        _, error = assess_facts(facts_of(r, first_notified_on(s, r.id), **answers))
        if error:
            raise ValidationFailed(error)
        before = {k: getattr(r, k) for k in answers}
        changed = {k: v for k, v in answers.items() if before[k] != v}
        if not changed:
            return
        result = s.execute(update(Referral).where(Referral.id == r.id, Referral.version == expected_version)
                           .values(**changed, version=Referral.version + 1, updated_at=utcnow()))
        if result.rowcount != 1:
            raise StaleEdit("referral")
        audit.record(s, actor, "screening_answers", "referral", r.id, r.partnership_id,
                     before={k: before[k] for k in changed}, after=changed)


def record_notification(actor: Actor, reference: str, body: str, sent_on: date | None,
                        sent_reference: str, today: date) -> None:
    """Record a notification as sent. The rapid review clock then runs from the real date."""
    errors = {}
    if body not in BODIES:
        errors["body"] = "Choose who was notified."
    if sent_on is None:
        errors["sent_on"] = "Enter the date it was sent."
    errors.update(not_after_today("sent_on", sent_on, today))
    if len(sent_reference or "") > 100:
        errors["sent_reference"] = "Keep the reference to 100 characters."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        r = load_referral(s, actor, reference)
        actor.require("notification.record", r.partnership_id)
        if sent_on < r.aware_on:
            raise ValidationFailed({"sent_on": "A notification cannot be sent before the authority became aware."})
        result, error = assess_facts(facts_of(r))
        due = next((date.fromisoformat(n["due"]) for n in (result or {}).get("notify", []) if n["to"] == body), None)
        if due is None:
            raise ValidationFailed({"body": "The criteria do not call for notifying them on these facts."})
        if s.exec(select(Notification).where(Notification.referral_id == r.id, Notification.body == body)).first():
            raise ValidationFailed({"body": "That notification is already recorded."})
        s.add(Notification(referral_id=r.id, body=body, due_on=due, sent_on=sent_on,
                           sent_reference=(sent_reference or "").strip() or None, recorded_by_id=actor.user_id))
        audit.record(s, actor, "notification", "referral", r.id, r.partnership_id,
                     after={"body": body, "sent_on": sent_on, "due_on": due,
                            "late": sent_on > due, "reference": sent_reference})
        if body in ("national_panel", "ofsted"):
            s.flush()
            replan_from_notification(s, r.id, first_notified_on(s, r.id))


def replan_from_notification(s: Session, referral_id: int, notified_on: date) -> None:
    """A rapid review planned before the notification was sent re-plans from the real date. Public
    because the incident notification (panel.notifications.service) records it for siblings too."""
    from panel.reviews import lifecycle
    from panel.reviews.types_service import spec_of

    for review in s.exec(select(Review).where(Review.referral_id == referral_id, Review.status == "open")):
        rtype = s.get(ReviewType, review.review_type_id)
        spec = spec_of(rtype)
        if not any(m.anchor == "notification" for m in spec.milestones):
            continue
        planned = lifecycle.planned_dates(spec, review.started_on, notified_on)
        review.notified_on = notified_on
        s.add(review)
        for m in s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == review.id)):
            if m.actual_on is None and m.key in planned:
                m.planned_on = planned[m.key]
                s.add(m)


def record_director_route(actor: Actor, reference: str, director_decision: str | None,
                          dcs_informed_on: date | None, today: date) -> None:
    """The director decides notify / refer to panel / internal review, and the DCS is told of
    every notification (docs/domain.md §3, Trafford's serious incident procedure)."""
    errors = {}
    if director_decision not in DIRECTOR_DECISIONS:
        errors["director_decision"] = "Choose the director's decision."
    errors.update(not_after_today("dcs_informed_on", dcs_informed_on, today))
    if director_decision == "notify" and dcs_informed_on is None:
        errors["dcs_informed_on"] = "The DCS is told of every notification: enter when."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        r = load_referral(s, actor, reference)
        actor.require("screening.edit", r.partnership_id)
        before = {"director_decision": r.director_decision, "dcs_informed_on": r.dcs_informed_on}
        r.director_decision, r.dcs_informed_on = director_decision, dcs_informed_on
        r.version += 1
        s.add(r)
        audit.record(s, actor, "director_route", "referral", r.id, r.partnership_id, before=before,
                     after={"director_decision": director_decision, "dcs_informed_on": dcs_informed_on})
