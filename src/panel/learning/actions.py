"""The action register: what each agency promised to do after a review or at a panel meeting, and
whether practice changed (docs/domain.md §7, §6.3). An action stays open until a chair or business
manager closes it with the evidence of impact; a member records progress.

Walls as everywhere: an action of another partnership is NotFound, never "forbidden". Every
change checks the action's version (two people never silently overwrite each other) and writes
its audit row in the same transaction.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import case, func, update
from sqlmodel import Session, select

from panel.core import audit, exports
from panel.core.access import Actor
from panel.core.clock import add_working_days, day, rag, working_days_between
from panel.core.db import escape_like, read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.learning import action_source, follow_up_rules
from panel.models import (
    Action,
    ActionNote,
    Agency,
    AgendaItem,
    Finding,
    Meeting,
    Partnership,
    Recommendation,
    RecommendationAgency,
    Review,
    User,
)

NOT_FOUND = "No action with that number is open to you."
STATUSES = {"open": "Open", "in_progress": "In progress", "completed": "Completed, awaiting evidence",
            "carried": "Carried to a named owner", "closed": "Closed"}
PROGRESS_STATUSES = ("open", "in_progress", "completed")  # closing is its own step, with evidence of impact
# Everything not yet closed with evidence; a carried action (panel.learning.carry) is still to do.
OPEN_STATUSES = (*PROGRESS_STATUSES, "carried")
AMBER_WITHIN = 10  # working days: "due soon" on the register
REMINDER_DUE_SOON = 5  # working days: matches the reminder digests (panel.reminders)
EVIDENCE_MIN_CHARS = 20
EVIDENCE_MIN_WORDS = 4
EVIDENCE_MESSAGE = ("Record the evidence that practice changed before closing: what is different now, "
                    f"and how you know (at least {EVIDENCE_MIN_CHARS} characters), e.g. an audit "
                    "result, a changed procedure in use, or what practitioners now do.")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SHORT = 80
COLUMNS = ["id", "partnership", "review", "recommendation", "action", "owner_agency", "owner", "due",
           "working_days_left", "status", "rag"]


@dataclass
class RegisterFilter:
    partnership_ids: list[int] | None = None
    agency_id: int | None = None
    owner: str = ""  # owner's name contains (case-insensitive)
    statuses: tuple[str, ...] = OPEN_STATUSES
    overdue_only: bool = False
    limit: int = 100
    offset: int = 0


@dataclass
class ActionDetail:
    action: Action
    partnership_code: str
    partnership_name: str
    owner_agency: str  # or "Agency not recorded" (older meeting actions)
    recommendation: Recommendation | None  # None for an action agreed at a meeting
    recommendation_agencies: list[str]
    finding: Finding | None
    review_reference: str | None
    source: str  # the review reference, the other learning source's title, or the meeting
    notes: list[dict] = field(default_factory=list)  # {"at", "by", "text"}, oldest first
    closed_by: str | None = None
    working_days_left: int | None = None
    rag: str = "none"
    can_edit: bool = False
    can_close: bool = False
    meeting_id: int | None = None  # the meeting that agreed it, and the agenda item's title
    meeting_item: str | None = None


def short(text: str | None, n: int = SHORT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _due_soon_before(today: date, within: int) -> date:
    """Due dates before this day are at most `within` working days away (weekends included)."""
    return add_working_days(today, within + 1)


def _conditions(pids: list[int], f: RegisterFilter, today: date) -> list:
    conds = [Action.partnership_id.in_(pids)]
    if f.statuses:
        conds.append(Action.status.in_(f.statuses))
    if f.agency_id:
        conds.append(Action.owner_agency_id == f.agency_id)
    if f.owner.strip():
        conds.append(Action.owner_name.ilike(f"%{escape_like(f.owner.strip())}%", escape="\\"))
    if f.overdue_only:
        conds.append(Action.due_on < today)
    return conds


def register(actor: Actor, f: RegisterFilter, today: date) -> tuple[pd.DataFrame, int]:
    """One page of the register and the total count: open actions of the actor's partnerships,
    from reviews and from meetings, overdue first, then by owner agency (none recorded last),
    owner and due date. RAG: red overdue, amber due within 10 working days, green otherwise. A
    closed action (when asked for) has no RAG ("none")."""
    pids = actor.partnerships_with("learning.read", f.partnership_ids)
    if not pids:
        return pd.DataFrame(columns=COLUMNS), 0
    conds = _conditions(pids, f, today)
    overdue_first = case((Action.due_on < today, 0), else_=1)
    with read_session() as s:
        total = s.exec(select(func.count()).select_from(Action).where(*conds)).one()
        rows = s.exec(
            action_source.with_source().where(*conds)
            .order_by(case((Action.status == "closed", 1), else_=0), overdue_first,
                      case((Agency.name.is_(None), 1), else_=0), Agency.name,
                      func.lower(Action.owner_name), Action.due_on, Action.id)
            .offset(f.offset).limit(f.limit)
        ).all()
    return _frame(rows, today), int(total)


def _clock(a: Action, today: date) -> tuple[int | None, str]:
    if a.status == "closed":
        return None, "none"
    left = working_days_between(today, a.due_on)
    if a.due_on < today:  # due on a weekend just gone is still overdue
        return min(left, -1), "red"
    return left, rag(left, amber_within=AMBER_WITHIN)


def _frame(rows, today: date) -> pd.DataFrame:
    out = []
    for a, code, agency, rec_text, review_ref, finding, _, held_on in rows:
        left, colour = _clock(a, today)
        out.append({
            "id": a.id, "partnership": code,
            "review": action_source.source(review_ref, finding, held_on, a.recommendation_id is not None),
            "recommendation": short(rec_text), "action": a.text, "owner_agency": action_source.agency(agency),
            "owner": a.owner_name, "due": a.due_on, "working_days_left": left,
            "status": STATUSES.get(a.status, a.status), "rag": colour,
        })
    return pd.DataFrame(out, columns=COLUMNS)


def summary(actor: Actor, f: RegisterFilter, today: date) -> dict[str, int]:
    """Counts over the whole filtered register (not one page): actions, overdue, due soon."""
    pids = actor.partnerships_with("learning.read", f.partnership_ids)
    if not pids:
        return {"actions": 0, "overdue": 0, "due_soon": 0}
    conds = _conditions(pids, f, today)
    soon = _due_soon_before(today, AMBER_WITHIN)
    live = Action.status != "closed"
    with read_session() as s:
        n, overdue, due_soon = s.exec(select(
            func.count(),
            func.coalesce(func.sum(case(((Action.due_on < today) & live, 1), else_=0)), 0),
            func.coalesce(func.sum(case(((Action.due_on >= today) & (Action.due_on < soon) & live, 1),
                                        else_=0)), 0),
        ).select_from(Action).where(*conds)).one()
    return {"actions": int(n), "overdue": int(overdue), "due_soon": int(due_soon)}


def export_register(actor: Actor, f: RegisterFilter, today: date) -> bytes:
    """The whole filtered register as Excel; logged as a disclosure (docs/domain.md §8)."""
    if not actor.partnerships_with("learning.read", f.partnership_ids):
        raise PermissionDenied("You do not have permission to export the action register.")
    df, total = register(actor, RegisterFilter(**{**f.__dict__, "limit": 100_000, "offset": 0}), today)
    df = df.assign(rag=df["rag"].map({"red": "Overdue", "amber": "Due soon", "green": "On track"}).fillna("-"))
    df = df.rename(columns={
        "id": "Action", "partnership": "Partnership", "review": "Review or source",
        "recommendation": "Recommendation", "action": "Action text", "owner_agency": "Owner agency",
        "owner": "Owner", "due": "Due", "working_days_left": "Working days left", "status": "Status",
        "rag": "RAG"})
    data = exports.to_xlsx(df, "Action register")
    with transaction() as s:
        audit.record(s, actor, "export", "action", detail=f"xlsx: {total} actions")
    return data


def _as_id(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _load(s: Session, actor: Actor, action_id: int) -> Action:
    key = _as_id(action_id)
    a = s.get(Action, key) if key is not None else None
    if a is not None and actor.can("learning.read", a.partnership_id):
        return a
    raise audit.not_found(actor, "action", action_id, NOT_FOUND, what="id")


def get_action(actor: Actor, action_id: int, today: date | None = None) -> ActionDetail:
    """One action with its recommendation, finding and review reference (or the meeting that
    agreed it) and its progress notes."""
    with read_session() as s:
        a = _load(s, actor, action_id)
        p = s.get(Partnership, a.partnership_id)
        rec = s.get(Recommendation, a.recommendation_id) if a.recommendation_id else None
        finding = s.get(Finding, rec.finding_id) if rec and rec.finding_id else None
        review_id = (rec.review_id if rec else None) or (finding.review_id if finding else None)
        review_ref = s.get(Review, review_id).reference if review_id else None
        targets = list(s.exec(select(Agency.name)
                              .join(RecommendationAgency, RecommendationAgency.agency_id == Agency.id)
                              .where(RecommendationAgency.recommendation_id == rec.id).order_by(Agency.name))
                       ) if rec else []
        item = s.get(AgendaItem, a.meeting_item_id) if a.meeting_item_id else None
        meeting = s.get(Meeting, item.meeting_id) if item else None
        notes = [{"at": n.at, "by": name or "System", "text": n.text} for n, name in s.exec(
            select(ActionNote, User.name).outerjoin(User, User.id == ActionNote.by_id)
            .where(ActionNote.action_id == a.id).order_by(ActionNote.at, ActionNote.id))]
        closed_by = s.get(User, a.closed_by_id).name if a.closed_by_id else None
        agency = s.get(Agency, a.owner_agency_id).name if a.owner_agency_id else None
    left, colour = _clock(a, today) if today else (None, "none")
    return ActionDetail(
        action=a, partnership_code=p.code, partnership_name=p.name, owner_agency=action_source.agency(agency),
        recommendation=rec, recommendation_agencies=targets, finding=finding, review_reference=review_ref,
        source=action_source.source(review_ref, finding, meeting.held_on if meeting else None, rec is not None),
        notes=notes, closed_by=closed_by, working_days_left=left,
        rag=colour, can_edit=actor.can("learning.edit", a.partnership_id) and a.status != "closed",
        can_close=actor.can("action.close", a.partnership_id) and a.status != "closed",
        meeting_id=meeting.id if meeting else None, meeting_item=item.title if item else None,
    )


def add_action(actor: Actor, recommendation_id: int, owner_agency_id: int | None, owner_name: str,
               owner_email: str | None, text: str, due_on: date | None) -> int:
    """A new open action on a recommendation (a draft or an accepted one), owned by an active
    agency and a named person, due no earlier than the recommendation was recorded (or accepted);
    returns its id."""
    errors = {}
    if len((text or "").strip()) < 5:
        errors["text"] = "Say what will be done."
    if not (owner_name or "").strip():
        errors["owner_name"] = "Enter the person who owns the action."
    elif len(owner_name.strip()) > 200:
        errors["owner_name"] = "Keep the name to 200 characters."
    email = (owner_email or "").strip()
    if email and not EMAIL_RE.match(email):
        errors["owner_email"] = "Enter an e-mail address like name@example.org."
    if not owner_agency_id:
        errors["owner_agency_id"] = "Choose the agency that owns the action."
    if due_on is None:
        errors["due_on"] = "Enter the date it is due."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rec_id = _as_id(recommendation_id)
        rec = s.get(Recommendation, rec_id) if rec_id is not None else None
        if rec is None or not actor.can("learning.read", rec.partnership_id):
            raise NotFound("No recommendation with that number is open to you.")
        actor.require("learning.edit", rec.partnership_id)
        agency = s.get(Agency, owner_agency_id)
        if agency is None or not agency.active:  # a retired agency owns nothing new
            raise ValidationFailed({"owner_agency_id": "Choose the agency from the list."})
        # Not due before the recommendation it carries out was made (docs/domain.md §7.1).
        if due_on < (start := max(rec.recorded_on, rec.accepted_on or rec.recorded_on)):
            raise ValidationFailed({"due_on": f"The recommendation was {'accepted' if start != rec.recorded_on else 'recorded'} "
                                              f"on {day(start)}: the action cannot be due before that."})
        a = Action(partnership_id=rec.partnership_id, recommendation_id=rec.id, owner_agency_id=owner_agency_id,
                   owner_name=owner_name.strip(), owner_email=email or None, text=text.strip(), due_on=due_on)
        s.add(a)
        s.flush()
        audit.record(s, actor, "action_add", "action", a.id, a.partnership_id,
                     after={"recommendation_id": rec.id, "owner_agency_id": owner_agency_id,
                            "owner_name": a.owner_name, "due_on": due_on, "text": a.text})
        return a.id


def _bump(s: Session, a: Action, expected_version: int, **values) -> None:
    done = s.execute(update(Action).where(Action.id == a.id, Action.version == expected_version)
                     .values(**values, version=Action.version + 1))
    if done.rowcount != 1:
        raise StaleEdit("action")


def record_progress(actor: Actor, action_id: int, note: str, status: str, expected_version: int) -> None:
    """A progress note (required) and the action's status: open, in progress or completed.
    Completed is not closed: closing needs the evidence of impact, from a chair or manager."""
    errors = {}
    if len((note or "").strip()) < 5:
        errors["note"] = "Write a progress note: what has been done since the last one."
    if status not in PROGRESS_STATUSES:
        errors["status"] = ("Choose open, in progress or completed. To close the action, a chair or "
                            "business manager records the evidence of impact.")
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        a = _load(s, actor, action_id)
        actor.require("learning.edit", a.partnership_id)
        if a.status == "closed":
            raise ValidationFailed({"status": "This action is closed: progress can no longer be recorded."})
        before = a.status
        _bump(s, a, expected_version, status=status)
        s.add(ActionNote(action_id=a.id, by_id=actor.user_id, text=note.strip()))
        audit.record(s, actor, "action_progress", "action", a.id, a.partnership_id,
                     before={"status": before}, after={"status": status}, detail=note.strip()[:500])


def evidence_problem(evidence: str | None) -> str | None:
    """Why this evidence of impact is not enough to close an action, or None."""
    text = " ".join((evidence or "").split())
    if len(text) < EVIDENCE_MIN_CHARS or len(text.split()) < EVIDENCE_MIN_WORDS:
        return EVIDENCE_MESSAGE
    return None


def close_action(actor: Actor, action_id: int, evidence_of_impact: str, expected_version: int,
                 today: date, follow_up_on: date | None = None) -> None:
    """Close an action with the evidence that practice changed. Only a chair or business
    manager may; refused, with nothing changed, when the evidence is missing or too thin, or the
    follow-up date (a check that the change held, docs/domain.md §7.1) is not after today."""
    with transaction() as s:
        a = _load(s, actor, action_id)
        if not actor.can("action.close", a.partnership_id):
            raise PermissionDenied("Only the panel chair or the business manager can close an action.")
        if a.status == "closed":
            raise ValidationFailed({"evidence_of_impact": "This action is already closed."})
        if errors := {k: v for k, v in (("evidence_of_impact", evidence_problem(evidence_of_impact)),
                                        ("follow_up_on", follow_up_rules.date_problem(follow_up_on, today))) if v}:
            raise ValidationFailed(errors)
        evidence = (evidence_of_impact or "").strip()
        before = {"status": a.status, "evidence_of_impact": a.evidence_of_impact}
        _bump(s, a, expected_version, status="closed", evidence_of_impact=evidence, closed_on=today,
              closed_by_id=actor.user_id, follow_up_on=follow_up_on)
        s.add(ActionNote(action_id=a.id, by_id=actor.user_id, text=f"Closed with evidence of impact: {evidence}"
                         + (f" Follow-up due on {day(follow_up_on)}." if follow_up_on else "")))
        audit.record(s, actor, "action_close", "action", a.id, a.partnership_id, before=before,
                     after={"status": "closed", "evidence_of_impact": evidence, "closed_on": today,
                            "follow_up_on": follow_up_on})


def recommendations_for(actor: Actor, review_reference: str) -> list[dict]:
    """A review's recommendations ({"id", "text"}), for adding actions on the page."""
    with read_session() as s:
        rv = s.exec(select(Review).where(Review.reference == (review_reference or "").strip().upper())).first()
        if rv is None or not actor.can("learning.read", rv.partnership_id):
            raise NotFound("No review with that reference is open to you.")
        rows = s.exec(select(Recommendation).where(Recommendation.review_id == rv.id)
                      .order_by(Recommendation.recorded_on, Recommendation.id)).all()
    return [{"id": r.id, "text": r.text} for r in rows]


def overdue_for_reminders(session: Session, as_of: date) -> list[dict]:
    """Open actions, from reviews and from meetings, that are overdue or due within 5 working days
    on `as_of`, for the reminder digests (panel.reminders.service). No permission check: the
    caller is the system job.

    Each item is a plain dict:
      action_id (int), partnership_id (int), partnership (code, e.g. "NB"),
      owner_email (str | None, as stored; the digest builder normalises and may drop it),
      owner_name (str), owner_agency (str, "Agency not recorded" when none is),
      reference (the review reference, the learning source's title when not from a review, or
        "Meeting 12 Mar 2026" when agreed at a meeting),
      what (str, e.g. "Action 12 for Police: Audit strategy meeting minutes…", text cut to 60),
      due_on (date), status ("overdue" | "due_soon"),
      working_days (int: working days late when overdue, left when due soon; 0 = due today).
    Ordered by partnership, owner e-mail, due date. Closed actions never appear.
    """
    horizon = _due_soon_before(as_of, REMINDER_DUE_SOON)
    rows = session.exec(
        action_source.with_source().where(Action.status.in_(OPEN_STATUSES), Action.due_on < horizon)
        .order_by(Action.partnership_id, Action.owner_email, Action.due_on, Action.id)
    ).all()
    out = []
    for a, code, agency, _, review_ref, finding, _, held_on in rows:
        overdue = a.due_on < as_of
        days = working_days_between(a.due_on, as_of) if overdue else working_days_between(as_of, a.due_on)
        reference = (f"Meeting {day(held_on)}" if held_on and a.recommendation_id is None else
                     action_source.source(review_ref, finding, held_on, a.recommendation_id is not None))
        out.append({
            "action_id": a.id, "partnership_id": a.partnership_id, "partnership": code,
            "owner_email": a.owner_email, "owner_name": a.owner_name, "owner_agency": action_source.agency(agency),
            "reference": reference, "what": f"Action {a.id}" + (f" for {agency}" if agency else "")
            + f": {short(a.text, 60)}",
            "due_on": a.due_on, "status": "overdue" if overdue else "due_soon", "working_days": max(days, 0),
        })
    return out
