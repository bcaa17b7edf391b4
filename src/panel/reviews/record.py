"""Keeping a review's record: actual dates, recorded delays, publication and agency requests.

Every change checks the review's version (two managers never silently overwrite each other)
and writes its audit row in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.clock import day
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, ValidationFailed
from panel.core.validation import not_after_today
from panel.documents import checks, signoffs
from panel.models import Agency, AgencyRequest, Review, ReviewDelay, ReviewMilestone, ReviewType
from panel.reviews import lifecycle
from panel.reviews.rules import PUBLICATION_STATUSES
from panel.reviews.service import NOT_FOUND, load_review, versioned_update
from panel.reviews.types import COPY_KEY, PUBLICATION_KEY
from panel.reviews.types_service import spec_of

REQUEST_KINDS = {"chronology": "Chronology", "agency_report": "Agency report", "agency_summary": "Agency summary"}
# The steps whose order is a rule, not a habit: nothing is published before it is signed off.
# Other milestones (the family contributes throughout) may happen in any order.
GATES = ("chronologies_requested", "chronologies_received", "draft_report", "factual_accuracy_checked",
         "panel_sign_off", "partnership_sign_off", PUBLICATION_KEY, "action_plan_agreed", "closure")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A withheld report is never published, so it has no publication date (docs/domain.md §6.2); the
# tracker import refuses the pair too.
WITHHELD_NO_DATE = "The review's publication is withheld: it has no publication date."


@dataclass
class Publication:
    planned_on: date | None
    copy_deadline: date | None
    copy_sent_on: date | None
    copy_too_late: bool
    published_on: date | None
    website_until: date | None
    status: str
    reason: str | None


def _editable(s: Session, actor: Actor, reference: str) -> Review:
    rv = load_review(s, actor, reference)
    if not actor.can("review.edit", rv.partnership_id):
        raise NotFound(NOT_FOUND) if not actor.can("review.read", rv.partnership_id) else \
            ValidationFailed({"review": "Only the chair or business manager can change a review's record."})
    if rv.status != "open":
        # A closed review's record is what it closed on (docs/domain.md §6.3); a superseded one
        # was replaced. Neither changes afterwards.
        raise ValidationFailed({"review": f"This review is {rv.status}: its record can no longer be changed."})
    return rv


def _milestones(s: Session, review_id: int) -> list[ReviewMilestone]:
    return list(s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == review_id)
                       .order_by(ReviewMilestone.position)))


def publication(s: Session, rv: Review) -> Publication:
    ms = {m.key: m for m in _milestones(s, rv.id)}
    pub, copy = ms.get(PUBLICATION_KEY), ms.get(COPY_KEY)
    published = pub.actual_on if pub else None
    target = published or (pub.planned_on if pub else None)
    copy_sent = copy.actual_on if copy else None
    return Publication(
        planned_on=pub.planned_on if pub else None,
        copy_deadline=lifecycle.copy_deadline(target) if target and copy else None,
        copy_sent_on=copy_sent,
        copy_too_late=bool(copy and published and lifecycle.copy_too_late(copy_sent, published)),
        published_on=published,
        website_until=lifecycle.website_until(published) if published else None,
        status=rv.publication_status, reason=rv.publication_reason,
    )


def record_details(actor: Actor, reference: str) -> tuple[Publication, list[ReviewDelay], list[dict]]:
    """What the review page shows beyond the milestones: publication, delays, agency requests."""
    with read_session() as s:
        rv = load_review(s, actor, reference)
        delays = list(s.exec(select(ReviewDelay).where(ReviewDelay.review_id == rv.id).order_by(ReviewDelay.id)))
        requests = [
            {"id": req.id, "agency": name, "kind": REQUEST_KINDS[req.kind], "requested_on": req.requested_on,
             "due_on": req.due_on, "received_on": req.received_on, "contact": req.contact_email or ""}
            for req, name in s.exec(select(AgencyRequest, Agency.name).join(Agency, Agency.id == AgencyRequest.agency_id)
                                    .where(AgencyRequest.review_id == rv.id).order_by(AgencyRequest.due_on))
        ]
        return publication(s, rv), delays, requests


def record_milestone(actor: Actor, reference: str, key: str, actual_on: date | None,
                     expected_version: int, today: date) -> None:
    """Record (or clear) when a milestone happened; refused if it puts dates out of order."""
    if future := not_after_today("actual_on", actual_on, today):
        raise ValidationFailed(future)
    with transaction() as s:
        rv = _editable(s, actor, reference)
        ms = _milestones(s, rv.id)
        target = next((m for m in ms if m.key == key), None)
        if target is None:
            raise ValidationFailed({"key": "Choose one of this review's milestones."})
        if key == PUBLICATION_KEY and actual_on and rv.publication_status == "withheld":
            raise ValidationFailed({"actual_on": WITHHELD_NO_DATE + " Change the publication status first."})
        if key == PUBLICATION_KEY and actual_on:
            # Before publication (docs/domain.md §11): no detail of the case the final report's
            # anonymisation check found is still open, and the three partners have signed off its
            # latest version; both said at once. A review with no final report uploaded in Panel
            # is not gated (its report was drafted and signed off elsewhere; §11).
            blockers = [b for b in (checks.publication_blocker(s, rv.id),
                                    signoffs.publication_blocker(s, rv, today, actual_on)) if b]
            if blockers:
                raise ValidationFailed({"actual_on": " ".join(blockers)})
        if actual_on and actual_on < rv.started_on:
            raise ValidationFailed({"actual_on": f"The review started on {day(rv.started_on)}: the date cannot be earlier."})
        dates = {m.key: (actual_on if m.key == key else m.actual_on) for m in ms}
        errors = lifecycle.check_dates_in_order(dates, [m.key for m in ms if m.key in GATES],
                                                labels={m.key: m.name for m in ms})
        if errors:
            raise ValidationFailed({"actual_on": " ".join(errors.values())})
        versioned_update(s, rv, expected_version)
        before = target.actual_on
        target.actual_on = actual_on
        s.add(target)
        audit.record(s, actor, "milestone", "review", rv.id, rv.partnership_id,
                     before={key: before}, after={key: actual_on})


def record_delay(actor: Actor, reference: str, starts_on: date | None, working_days: int | None,
                 reason: str, expected_version: int) -> None:
    """A recorded delay moves every target still to come, and only with a reason."""
    errors = {}
    if starts_on is None:
        errors["starts_on"] = "Enter the date the delay starts."
    if not working_days or working_days < 1 or working_days > 260:
        errors["working_days"] = "Enter the delay in working days (1 to 260)."
    if len((reason or "").strip()) < 10:
        errors["reason"] = "Give the reason for the delay (e.g. parallel criminal proceedings)."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rv = _editable(s, actor, reference)
        versioned_update(s, rv, expected_version)
        s.add(ReviewDelay(review_id=rv.id, starts_on=starts_on, working_days=working_days,
                          reason=reason.strip(), recorded_by_id=actor.user_id))
        s.flush()
        delays = [(d.starts_on, d.working_days) for d in
                  s.exec(select(ReviewDelay).where(ReviewDelay.review_id == rv.id))]
        spec = spec_of(s.get(ReviewType, rv.review_type_id))
        planned = lifecycle.planned_dates(spec, rv.started_on, rv.notified_on or rv.started_on, delays)
        moved = {}
        for m in _milestones(s, rv.id):
            if m.actual_on is None and m.key in planned and planned[m.key] != m.planned_on:
                moved[m.key] = (m.planned_on, planned[m.key])
                m.planned_on = planned[m.key]
                s.add(m)
        audit.record(s, actor, "delay", "review", rv.id, rv.partnership_id,
                     before={k: a for k, (a, _) in moved.items()}, after={k: b for k, (_, b) in moved.items()},
                     detail=f"{working_days} working days from {starts_on}: {reason.strip()}")


def update_details(actor: Actor, reference: str, *, lead_reviewer: str, lead_reviewer_email: str,
                   publication_status: str, publication_reason: str, expected_version: int) -> None:
    errors = {}
    email = (lead_reviewer_email or "").strip()
    if email and not EMAIL_RE.match(email):
        errors["lead_reviewer_email"] = "Enter an e-mail address like name@example.org."
    if len(lead_reviewer or "") > 200:
        errors["lead_reviewer"] = "Keep the name to 200 characters."
    if publication_status not in PUBLICATION_STATUSES:
        errors["publication_status"] = "Choose the publication status."
    elif publication_status != "planned" and len((publication_reason or "").strip()) < 10:
        errors["publication_reason"] = "Say why publication is delayed or withheld."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rv = _editable(s, actor, reference)
        published = next((m.actual_on for m in _milestones(s, rv.id) if m.key == PUBLICATION_KEY), None)
        if publication_status == "withheld" and published:
            raise ValidationFailed({"publication_status": f"The report was published on {day(published)}: "
                                                          "a published report cannot be withheld."})
        values = {"lead_reviewer": (lead_reviewer or "").strip() or None, "lead_reviewer_email": email or None,
                  "publication_status": publication_status,
                  "publication_reason": (publication_reason or "").strip() or None}
        before = versioned_update(s, rv, expected_version, values)
        audit.record(s, actor, "review_details", "review", rv.id, rv.partnership_id, before=before, after=values)


def add_agency_request(actor: Actor, reference: str, *, agency_id: int | None, kind: str,
                       requested_on: date | None, due_on: date | None, contact_email: str, today: date) -> None:
    errors = {}
    if not agency_id:
        errors["agency_id"] = "Choose the agency."
    if kind not in REQUEST_KINDS:
        errors["kind"] = "Choose what was asked for."
    if requested_on is None:
        errors["requested_on"] = "Enter the date it was asked for."
    errors.update(not_after_today("requested_on", requested_on, today))
    if due_on is None or (requested_on and due_on < requested_on):
        errors["due_on"] = "Enter a due date on or after the request."
    if contact_email and not EMAIL_RE.match(contact_email.strip()):
        errors["contact_email"] = "Enter an e-mail address like name@example.org."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rv = _editable(s, actor, reference)
        if s.get(Agency, agency_id) is None:
            raise ValidationFailed({"agency_id": "Choose the agency from the list."})
        if s.exec(select(AgencyRequest).where(AgencyRequest.review_id == rv.id, AgencyRequest.agency_id == agency_id,
                                              AgencyRequest.kind == kind)).first():
            raise ValidationFailed({"agency_id": "That agency has already been asked for this."})
        s.add(AgencyRequest(review_id=rv.id, agency_id=agency_id, kind=kind, requested_on=requested_on,
                            due_on=due_on, contact_email=(contact_email or "").strip() or None))
        audit.record(s, actor, "agency_request", "review", rv.id, rv.partnership_id,
                     after={"agency_id": agency_id, "kind": kind, "due_on": due_on})


def mark_received(actor: Actor, reference: str, request_id: int, received_on: date | None, today: date) -> None:
    if received_on is None:
        raise ValidationFailed({"received_on": "Enter the date it arrived."})
    if future := not_after_today("received_on", received_on, today):
        raise ValidationFailed(future)
    with transaction() as s:
        rv = _editable(s, actor, reference)
        req = s.get(AgencyRequest, request_id)
        if req is None or req.review_id != rv.id:
            raise NotFound("No such request on this review.")
        if received_on < req.requested_on:
            raise ValidationFailed({"received_on": "It cannot arrive before it was asked for."})
        req.received_on = received_on
        s.add(req)
        audit.record(s, actor, "agency_request_received", "review", rv.id, rv.partnership_id,
                     after={"request": request_id, "received_on": received_on})
