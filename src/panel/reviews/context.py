"""What shapes a review from outside it: the parallel processes that run beside it (police,
courts, coroner, child death review, other reviews) and the family's involvement
(docs/domain.md §6.3).

Processes are read by the whole panel: they explain a timetable. The family's involvement is
read and recorded only by those who run the review (`family.read`, `family.record`): it records
what the family said and when, which the wider panel does not need to see.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.clock import day
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import NotFound, ValidationFailed
from panel.models import FamilyInvolvement, ParallelProcess, Review
from panel.reviews.rules import check_family_step, check_process
from panel.reviews.service import NOT_FOUND, load_review

PROCESS_FIELDS = ("kind", "reference", "status", "started_on", "next_event", "next_on", "concluded_on",
                  "outcome", "delays_publication")


@dataclass(frozen=True)
class ProcessForm:
    kind: str | None
    reference: str = ""
    status: str = "ongoing"
    started_on: date | None = None
    next_event: str = ""
    next_on: date | None = None
    concluded_on: date | None = None
    outcome: str = ""
    delays_publication: bool = False


def _may(s: Session, actor: Actor, reference: str, permission: str) -> Review:
    rv = load_review(s, actor, reference)
    if not actor.can(permission, rv.partnership_id):
        raise NotFound(NOT_FOUND)
    return rv


def processes(actor: Actor, reference: str) -> list[ParallelProcess]:
    """The review's parallel processes, ongoing first, then by when they started."""
    with read_session() as s:
        rv = load_review(s, actor, reference)
        rows = list(s.exec(select(ParallelProcess).where(ParallelProcess.review_id == rv.id)))
    return sorted(rows, key=lambda p: (p.status != "ongoing", p.started_on or date.max, p.id))


def processes_in(s: Session, review_ids: list[int]) -> dict[int, list[ParallelProcess]]:
    """Processes for several reviews at once, for a service that has already checked the actor may
    read those reviews (the meeting agenda)."""
    out: dict[int, list[ParallelProcess]] = {}
    if review_ids:
        for p in s.exec(select(ParallelProcess).where(ParallelProcess.review_id.in_(review_ids))
                        .order_by(ParallelProcess.id)):
            out.setdefault(p.review_id, []).append(p)
    return out


def family_in(s: Session, review_ids: list[int]) -> dict[int, list[FamilyInvolvement]]:
    """The family's involvement for several reviews, for a service that has already checked the
    actor holds `family.read` in their partnership (the meeting agenda, for the chair)."""
    out: dict[int, list[FamilyInvolvement]] = {}
    if review_ids:
        for f in s.exec(select(FamilyInvolvement).where(FamilyInvolvement.review_id.in_(review_ids))
                        .order_by(FamilyInvolvement.happened_on, FamilyInvolvement.id)):
            out.setdefault(f.review_id, []).append(f)
    return out


def record_process(actor: Actor, reference: str, form: ProcessForm, today: date,
                   process_id: int | None = None) -> int:
    """Add a process, or update one (`process_id`): its status and next date change over months."""
    errors = check_process(kind=form.kind, reference=form.reference, status=form.status,
                           started_on=form.started_on, next_event=form.next_event, next_on=form.next_on,
                           concluded_on=form.concluded_on, outcome=form.outcome, today=today)
    if errors:
        raise ValidationFailed(errors)
    values = {
        "kind": form.kind, "reference": form.reference.strip() or None, "status": form.status,
        "started_on": form.started_on, "next_event": form.next_event.strip() or None,
        "next_on": form.next_on, "concluded_on": form.concluded_on if form.status == "concluded" else None,
        "outcome": form.outcome.strip() or None, "delays_publication": bool(form.delays_publication),
    }
    with transaction() as s:
        rv = _may(s, actor, reference, "review.edit")
        if process_id is None:
            p = ParallelProcess(review_id=rv.id, recorded_by_id=actor.user_id, **values)
            before = None
        else:
            p = s.get(ParallelProcess, process_id)
            if p is None or p.review_id != rv.id:
                raise NotFound("No such process on this review.")
            before = {k: getattr(p, k) for k in values}
            for k, v in values.items():
                setattr(p, k, v)
            p.recorded_by_id, p.updated_at = actor.user_id, utcnow()
        s.add(p)
        s.flush()
        audit.record(s, actor, "parallel_process", "review", rv.id, rv.partnership_id,
                     before=before, after={"process": p.id, **values})
        return p.id


def family_log(actor: Actor, reference: str) -> list[FamilyInvolvement]:
    """The family's involvement, oldest first; only for those who run the review."""
    with read_session() as s:
        rv = _may(s, actor, reference, "family.read")
        return list(s.exec(select(FamilyInvolvement).where(FamilyInvolvement.review_id == rv.id)
                           .order_by(FamilyInvolvement.happened_on, FamilyInvolvement.id)))


def record_family_step(actor: Actor, reference: str, *, family_member: str, event: str | None,
                       happened_on: date | None, note: str, today: date) -> int:
    errors = check_family_step(family_member=family_member, event=event, happened_on=happened_on,
                               note=note, today=today)
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rv = _may(s, actor, reference, "family.record")
        if happened_on < rv.started_on:
            raise ValidationFailed({"happened_on": f"The review started on {day(rv.started_on)}: "
                                                  "the date cannot be earlier."})
        step = FamilyInvolvement(review_id=rv.id, family_member=family_member.strip(), event=event,
                                 happened_on=happened_on, note=note.strip() or None, recorded_by_id=actor.user_id)
        s.add(step)
        s.flush()
        # The note may hold the family's words: the audit keeps that a note was written, not the note.
        audit.record(s, actor, "family_involvement", "review", rv.id, rv.partnership_id,
                     after={"step": step.id, "family_member": step.family_member, "event": event,
                            "happened_on": happened_on, "note": bool(step.note)})
        return step.id
