"""Panel meetings (issue 6): the agenda built for the chair, attendance and quorum, conflicts per
item, decisions through the screening decision service, actions, closing (undecided items carry
to the next meeting), the Word minutes and the decision log. Every write is audited."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, select

from panel import clock, exports, lifecycle, minutes
from panel import meetings as rules
from panel.db import read_session, transaction, utcnow
from panel.models import (
    Action,
    Agency,
    AgendaItem,
    Decision,
    ItemConflict,
    Meeting,
    MeetingAction,
    MeetingMember,
    Partnership,
    Referral,
    Review,
    ReviewMilestone,
    ReviewType,
    User,
)
from panel.services import audit, decisions
from panel.services.access import Actor
from panel.services.actions import OPEN_STATUSES
from panel.services.errors import NotFound, PermissionDenied, ValidationFailed

NOT_FOUND = "No meeting with that number is open to you."
MILESTONES_WITHIN = 10  # working days: milestones due this soon (or overdue) go on the agenda
SIGN_OFF_KEYS = ("panel_sign_off", "partnership_sign_off")
NEXT_MEETING_DAYS = 28


@dataclass
class MeetingView:
    meeting: Meeting
    partnership_name: str
    chair_name: str
    members: list[MeetingMember]
    agency_kinds: dict[int, str]  # member id -> agency kind
    agency_names: dict[int, str]  # member id -> agency name
    items: list[AgendaItem]
    conflicts: dict[int, list[int]]  # item id -> member ids
    actions: dict[int, list[MeetingAction]]
    decisions: dict[int, list[Decision]]  # item id -> decisions recorded at this meeting
    outcome_names: dict[int, str] = field(default_factory=dict)
    can_run: bool = False

    def attendees(self) -> list[rules.Attendee]:
        return [rules.Attendee(m.id, m.name, self.agency_kinds.get(m.id), m.attendance) for m in self.members]

    def quorum(self, item_id: int | None = None) -> rules.Quorum:
        return rules.quorum(self.attendees(), self.conflicts.get(item_id, []) if item_id else [])


# ---------------------------------------------------------------- loading and permissions

def _meeting(s: Session, actor: Actor, meeting_id) -> Meeting:
    try:
        m = s.get(Meeting, int(meeting_id))
    except (TypeError, ValueError):
        m = None
    if m is None or not actor.can("referral.read", m.partnership_id):
        raise NotFound(NOT_FOUND)
    return m


def _runnable(s: Session, actor: Actor, meeting_id) -> Meeting:
    m = _meeting(s, actor, meeting_id)
    if not actor.can("meeting.run", m.partnership_id):
        raise PermissionDenied("Only the panel chair can run the meeting.")
    if m.status == "closed":
        raise ValidationFailed({"meeting": "This meeting is closed."})
    return m


def _item(s: Session, actor: Actor, item_id) -> tuple[AgendaItem, Meeting]:
    it = s.get(AgendaItem, int(item_id)) if item_id is not None else None
    if it is None:
        raise NotFound("No such agenda item.")
    return it, _runnable(s, actor, it.meeting_id)


def _touch(s: Session, m: Meeting) -> None:
    m.version += 1
    if m.status == "planned":
        m.status = "open"
    s.add(m)


# ---------------------------------------------------------------- the agenda

def build_agenda(s: Session, partnership_id: int, today: date) -> list[dict]:
    """The items the chair needs, from the live record, in agenda order."""
    items: list[dict] = []
    for r in s.exec(select(Referral).where(Referral.partnership_id == partnership_id, Referral.status == "accepted")):
        due = clock.add_working_days(r.aware_on, 5)
        items.append({"kind": "referral", "reference": r.reference, "due": due,
                      "title": f"{r.reference}: screening decision (statutory clock: notify by {due:%d %b %Y})"})
    reviews = s.exec(select(Review, ReviewType.key, ReviewType.name)
                     .join(ReviewType, ReviewType.id == Review.review_type_id)
                     .where(Review.partnership_id == partnership_id, Review.status == "open")).all()
    ms: dict[int, list[ReviewMilestone]] = {}
    if reviews:
        for m in s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id.in_([r.id for r, _, _ in reviews]))
                        .order_by(ReviewMilestone.position)):
            ms.setdefault(m.review_id, []).append(m)
    horizon = clock.add_working_days(today, MILESTONES_WITHIN)
    for rv, key, type_name in reviews:
        mine = ms.get(rv.id, [])
        st = lifecycle.review_status([{"key": m.key, "planned": m.planned_on, "actual": m.actual_on} for m in mine], today)
        names = {m.key: m.name for m in mine}
        if key == "rapid_review" and rv.lcspr_decision is None:
            items.append({"kind": "rapid_review", "reference": rv.reference, "due": st["next_due"],
                          "title": f"{rv.reference}: rapid review, LCSPR decision due"})
        elif st["next_key"] in SIGN_OFF_KEYS:
            items.append({"kind": "sign_off", "reference": rv.reference, "due": st["next_due"],
                          "title": f"{rv.reference}: {names[st['next_key']]} ({type_name})"})
        else:
            due = [m for m in mine if m.actual_on is None and m.planned_on <= horizon]
            if due:
                overdue = sum(1 for m in due if m.planned_on < today)
                items.append({"kind": "milestones", "reference": rv.reference, "due": min(m.planned_on for m in due),
                              "title": f"{rv.reference}: {len(due)} milestone(s) due, {overdue} overdue ({type_name})"})
    n = s.exec(select(func.count()).select_from(Action).where(
        Action.partnership_id == partnership_id, Action.status.in_(OPEN_STATUSES), Action.due_on < today)).one()
    if n:
        items.append({"kind": "actions", "reference": None, "due": None, "title": f"Overdue actions: {n} open past their due date"})
    return rules.agenda_order(items)


def agenda_preview(actor: Actor, partnership_id: int, today: date) -> list[dict]:
    actor.require("referral.read", partnership_id)
    with read_session() as s:
        return build_agenda(s, partnership_id, today)


def _member_row(s: Session, meeting_id: int, user_id: int) -> MeetingMember:
    u = s.get(User, user_id)
    return MeetingMember(meeting_id=meeting_id, user_id=u.id, name=u.name, agency_id=u.agency_id)


def _create(s: Session, actor: Actor, partnership_id: int, held_on: date, invite: list[int], today: date,
            carried: list[AgendaItem] = (), status: str = "planned") -> Meeting:
    m = Meeting(partnership_id=partnership_id, held_on=held_on, chair_id=actor.user_id, status=status)
    s.add(m)
    s.flush()
    for uid in dict.fromkeys(invite):
        s.add(_member_row(s, m.id, uid))
    pos = 0
    seen = set()
    for old in carried:
        s.add(AgendaItem(meeting_id=m.id, position=pos, kind=old.kind, reference=old.reference,
                         title=old.title, carried_from_id=old.id))
        seen.add((old.kind, old.reference))
        pos += 1
    for it in build_agenda(s, partnership_id, today):
        if (it["kind"], it["reference"]) in seen:
            continue
        s.add(AgendaItem(meeting_id=m.id, position=pos, kind=it["kind"], reference=it["reference"], title=it["title"]))
        pos += 1
    s.flush()
    audit.record(s, actor, "meeting_created", "meeting", m.id, partnership_id,
                 after={"held_on": held_on, "invited": sorted(set(invite)), "items": pos,
                        "carried": [o.id for o in carried]})
    return m


def create_meeting(actor: Actor, partnership_id: int, held_on: date, invite: list[int], today: date) -> int:
    """A planned meeting, its invitees (panel members) and its agenda built from the record.
    Items carried from earlier meetings and not yet on another agenda come first."""
    actor.require("meeting.run", partnership_id)
    members = decisions.panel_members(actor, partnership_id)
    if held_on is None:
        raise ValidationFailed({"held_on": "Enter the meeting date."})
    if not set(invite) <= set(members):
        raise ValidationFailed({"invite": "Invite people from the partnership's panel."})
    with transaction() as s:
        taken = select(AgendaItem.carried_from_id).where(AgendaItem.carried_from_id.is_not(None))
        carried = list(s.exec(select(AgendaItem).join(Meeting, Meeting.id == AgendaItem.meeting_id)
                              .where(Meeting.partnership_id == partnership_id, AgendaItem.status == "carried",
                                     AgendaItem.id.not_in(taken)).order_by(AgendaItem.id)))
        return _create(s, actor, partnership_id, held_on, invite, today, carried).id


def list_meetings(actor: Actor) -> pd.DataFrame:
    pids = actor.partnerships_with("referral.read")
    cols = ["id", "partnership", "held_on", "status", "items", "decided"]
    if not pids:
        return pd.DataFrame(columns=cols)
    with read_session() as s:
        rows = s.exec(select(Meeting, Partnership.code).join(Partnership, Partnership.id == Meeting.partnership_id)
                      .where(Meeting.partnership_id.in_(pids)).order_by(Meeting.held_on.desc(), Meeting.id.desc())).all()
        counts = {}
        if rows:
            for mid, status, n in s.exec(select(AgendaItem.meeting_id, AgendaItem.status, func.count())
                                         .where(AgendaItem.meeting_id.in_([m.id for m, _ in rows]))
                                         .group_by(AgendaItem.meeting_id, AgendaItem.status)):
                counts.setdefault(mid, {})[status] = n
    return pd.DataFrame([{"id": m.id, "partnership": code, "held_on": m.held_on, "status": m.status,
                          "items": sum(counts.get(m.id, {}).values()), "decided": counts.get(m.id, {}).get("decided", 0)}
                         for m, code in rows], columns=cols)


def get_meeting(actor: Actor, meeting_id) -> MeetingView:
    with read_session() as s:
        m = _meeting(s, actor, meeting_id)
        p = s.get(Partnership, m.partnership_id)
        chair = s.get(User, m.chair_id) if m.chair_id else None
        members = list(s.exec(select(MeetingMember).where(MeetingMember.meeting_id == m.id).order_by(MeetingMember.id)))
        agencies = {a.id: a for a in s.exec(select(Agency))}
        items = list(s.exec(select(AgendaItem).where(AgendaItem.meeting_id == m.id)
                            .order_by(AgendaItem.position, AgendaItem.id)))
        ids = [i.id for i in items] or [-1]
        conflicts: dict[int, list[int]] = {}
        for c in s.exec(select(ItemConflict).where(ItemConflict.item_id.in_(ids))):
            conflicts.setdefault(c.item_id, []).append(c.member_id)
        actions: dict[int, list[MeetingAction]] = {}
        for a in s.exec(select(MeetingAction).where(MeetingAction.item_id.in_(ids)).order_by(MeetingAction.id)):
            actions.setdefault(a.item_id, []).append(a)
        by_ref: dict[str, list[Decision]] = {}
        outcome_names = {}
        for d, ref, tname in s.exec(select(Decision, Referral.reference, ReviewType.name)
                                    .join(Referral, Referral.id == Decision.referral_id)
                                    .join(ReviewType, ReviewType.id == Decision.review_type_id)
                                    .where(Decision.meeting_id == m.id, Decision.status != "withdrawn")
                                    .order_by(Decision.id)):
            by_ref.setdefault(ref, []).append(d)
            outcome_names[d.id] = tname
        decided = {i.id: by_ref.get(i.reference, []) for i in items if i.kind == "referral"}
        return MeetingView(
            meeting=m, partnership_name=p.name, chair_name=chair.name if chair else "",
            members=members,
            agency_kinds={mm.id: agencies[mm.agency_id].kind for mm in members if mm.agency_id in agencies},
            agency_names={mm.id: agencies[mm.agency_id].name for mm in members if mm.agency_id in agencies},
            items=items, conflicts=conflicts, actions=actions, decisions=decided, outcome_names=outcome_names,
            can_run=actor.can("meeting.run", m.partnership_id) and m.status != "closed")


def partnership_names(actor: Actor) -> dict[int, str]:
    pids = actor.partnerships_with("referral.read")
    with read_session() as s:
        return {p.id: p.name for p in s.exec(select(Partnership).where(Partnership.id.in_(pids or [-1]))
                                              .order_by(Partnership.name))}


def agencies() -> dict[int, str]:
    with read_session() as s:
        return {a.id: a.name for a in s.exec(select(Agency).order_by(Agency.name))}


# ---------------------------------------------------------------- attendance and agenda edits

def add_guest(actor: Actor, meeting_id: int, name: str, agency_id: int | None) -> int:
    """A partner agency's representative without a Panel account (counts towards quorum)."""
    with transaction() as s:
        m = _runnable(s, actor, meeting_id)
        errors = {}
        if len((name or "").strip()) < 2:
            errors["name"] = "Enter the attendee's name."
        if agency_id is None or s.get(Agency, agency_id) is None:
            errors["agency_id"] = "Choose the attendee's agency."
        if errors:
            raise ValidationFailed(errors)
        mm = MeetingMember(meeting_id=m.id, name=name.strip(), agency_id=agency_id)
        s.add(mm)
        s.flush()
        _touch(s, m)
        audit.record(s, actor, "meeting_guest_added", "meeting", m.id, m.partnership_id,
                     after={"member": mm.id, "name": mm.name, "agency": agency_id})
        return mm.id


def invite(actor: Actor, meeting_id: int, user_id: int) -> None:
    with transaction() as s:
        m = _runnable(s, actor, meeting_id)
        if user_id not in decisions.panel_members(actor, m.partnership_id):
            raise ValidationFailed({"invite": "Invite people from the partnership's panel."})
        if s.exec(select(MeetingMember).where(MeetingMember.meeting_id == m.id, MeetingMember.user_id == user_id)).first():
            return
        s.add(_member_row(s, m.id, user_id))
        _touch(s, m)
        audit.record(s, actor, "meeting_invited", "meeting", m.id, m.partnership_id, after={"user": user_id})


def set_attendance(actor: Actor, meeting_id: int, member_id: int, attendance: str) -> None:
    if attendance not in rules.ATTENDANCE:
        raise ValidationFailed({"attendance": "Choose present, apologies or invited."})
    with transaction() as s:
        m = _runnable(s, actor, meeting_id)
        mm = s.get(MeetingMember, member_id)
        if mm is None or mm.meeting_id != m.id:
            raise NotFound("That person is not on this meeting's list.")
        before = mm.attendance
        mm.attendance = attendance
        s.add(mm)
        _touch(s, m)
        audit.record(s, actor, "meeting_attendance", "meeting", m.id, m.partnership_id,
                     before={"member": mm.id, "attendance": before}, after={"member": mm.id, "attendance": attendance})


def move_item(actor: Actor, item_id: int, step: int) -> None:
    with transaction() as s:
        it, m = _item(s, actor, item_id)
        items = list(s.exec(select(AgendaItem).where(AgendaItem.meeting_id == m.id)
                            .order_by(AgendaItem.position, AgendaItem.id)))
        order = rules.move([i.id for i in items], it.id, step)
        for pos, i in enumerate(sorted(items, key=lambda x: order.index(x.id))):
            i.position = pos
            s.add(i)
        _touch(s, m)
        audit.record(s, actor, "meeting_agenda_moved", "meeting", m.id, m.partnership_id,
                     after={"item": it.id, "step": step, "order": order})


def add_item(actor: Actor, meeting_id: int, title: str, kind: str = "other", reference: str | None = None) -> int:
    with transaction() as s:
        m = _runnable(s, actor, meeting_id)
        errors = {}
        if len((title or "").strip()) < 3:
            errors["title"] = "Give the item a title."
        if kind not in rules.KINDS:
            errors["kind"] = "Choose the kind of item."
        if kind == "referral":
            r = s.exec(select(Referral).where(Referral.reference == (reference or "").strip())).first()
            if r is None or r.partnership_id != m.partnership_id:
                errors["reference"] = "No referral with that reference in this partnership."
        if errors:
            raise ValidationFailed(errors)
        pos = (s.exec(select(func.max(AgendaItem.position)).where(AgendaItem.meeting_id == m.id)).one() or 0) + 1
        it = AgendaItem(meeting_id=m.id, position=pos, kind=kind, reference=(reference or "").strip() or None,
                        title=title.strip())
        s.add(it)
        s.flush()
        _touch(s, m)
        audit.record(s, actor, "meeting_item_added", "meeting", m.id, m.partnership_id,
                     after={"item": it.id, "kind": kind, "reference": it.reference, "title": it.title})
        return it.id


def remove_item(actor: Actor, item_id: int) -> None:
    with transaction() as s:
        it, m = _item(s, actor, item_id)
        if it.status == "decided" or s.exec(select(MeetingAction).where(MeetingAction.item_id == it.id)).first():
            raise ValidationFailed({"item": "This item has a decision or actions recorded: it cannot be removed."})
        for c in s.exec(select(ItemConflict).where(ItemConflict.item_id == it.id)):
            s.delete(c)
        if s.exec(select(AgendaItem).where(AgendaItem.carried_from_id == it.id)).first():
            raise ValidationFailed({"item": "This item was carried to another meeting."})
        audit.record(s, actor, "meeting_item_removed", "meeting", m.id, m.partnership_id,
                     before={"item": it.id, "kind": it.kind, "reference": it.reference, "title": it.title})
        s.delete(it)
        _touch(s, m)


# ---------------------------------------------------------------- conflicts, decisions, summaries, actions

def declare_conflict(actor: Actor, item_id: int, member_id: int, declared: bool = True) -> None:
    with transaction() as s:
        it, m = _item(s, actor, item_id)
        mm = s.get(MeetingMember, member_id)
        if mm is None or mm.meeting_id != m.id:
            raise NotFound("That person is not on this meeting's list.")
        if it.status == "decided":
            raise ValidationFailed({"conflict": "This item is already decided."})
        row = s.exec(select(ItemConflict).where(ItemConflict.item_id == it.id, ItemConflict.member_id == mm.id)).first()
        if declared and row is None:
            s.add(ItemConflict(item_id=it.id, member_id=mm.id, user_id=mm.user_id))
        elif not declared and row is not None:
            s.delete(row)
        _touch(s, m)
        audit.record(s, actor, "meeting_conflict" if declared else "meeting_conflict_withdrawn", "meeting", m.id,
                     m.partnership_id, after={"item": it.id, "member": mm.id, "name": mm.name})


def decide_item(actor: Actor, item_id: int, review_type_id: int | None, rationale: str, today: date,
                departure_rationale: str = "", voters: list[int] | None = None) -> tuple[int, bool, str | None]:
    """Record the panel's decision on a referral item through the screening decision service,
    with the meeting's attendance: refused without quorum (naming who is missing), and refused
    when a conflicted member is recorded as taking part. Signs it when the chair is not
    conflicted. Returns (decision id, signed, review reference)."""
    with read_session() as s:
        it, m = _item(s, actor, item_id)
        if it.kind != "referral" or not it.reference:
            raise ValidationFailed({"item": "Only a referral item takes a screening decision: record a summary instead."})
        if it.status == "decided":
            raise ValidationFailed({"item": "This item is already decided."})
        members = list(s.exec(select(MeetingMember).where(MeetingMember.meeting_id == m.id)))
        conflicted = {c.member_id for c in s.exec(select(ItemConflict).where(ItemConflict.item_id == it.id))}
        kinds = {a.id: a.kind for a in s.exec(select(Agency))}
    names = {mm.id: mm.name for mm in members}
    present = [mm for mm in members if mm.attendance == "present"]
    if voters is not None:
        problem = rules.conflict_problem(voters, conflicted, names)
        if problem:
            raise ValidationFailed({"conflicts": problem})
        if not set(voters) <= {mm.id for mm in present}:
            raise ValidationFailed({"present": "Only members recorded as present can take part in the decision."})
    q = rules.quorum([rules.Attendee(mm.id, mm.name, kinds.get(mm.agency_id), mm.attendance) for mm in members],
                     excluded=conflicted)
    if not q.met:
        raise ValidationFailed({"quorum": q.message() + " The panel cannot decide without quorum."})
    present_users = sorted({mm.user_id for mm in present if mm.user_id})
    conflict_users = sorted({mm.user_id for mm in present if mm.user_id and mm.id in conflicted})
    apologies = sorted({mm.user_id for mm in members if mm.user_id and mm.attendance == "apologies"})
    form = decisions.DecisionForm(review_type_id=review_type_id, rationale=rationale, present=present_users,
                                  apologies=apologies, conflicts=conflict_users, decided_on=min(m.held_on, today),
                                  departure_rationale=departure_rationale)
    decision_id = decisions.record_decision(actor, it.reference, form, today)
    with transaction() as s:
        d = s.get(Decision, decision_id)
        d.meeting_id = m.id
        s.add(d)
        item = s.get(AgendaItem, it.id)
        item.status = "decided"
        s.add(item)
        mt = s.get(Meeting, m.id)
        _touch(s, mt)
        audit.record(s, actor, "meeting_decision", "meeting", m.id, m.partnership_id,
                     after={"item": it.id, "decision": decision_id, "reference": it.reference,
                            "conflicted": sorted(conflicted), "quorum": q.counted})
    if actor.user_id in conflict_users:
        return decision_id, False, None
    review_ref = decisions.sign_decision(actor, decision_id, today)
    return decision_id, True, review_ref


def record_summary(actor: Actor, item_id: int, summary: str, status: str | None = None) -> None:
    """The discussion summary for the minutes; marks a pending item discussed (or carried)."""
    if status is not None and status not in ("discussed", "carried", "pending"):
        raise ValidationFailed({"status": "Choose discussed or carried."})
    with transaction() as s:
        it, m = _item(s, actor, item_id)
        before = {"summary": it.summary, "status": it.status}
        it.summary = (summary or "").strip()
        if it.status != "decided":
            it.status = status or ("discussed" if it.summary else it.status)
        s.add(it)
        _touch(s, m)
        b, a = audit.changed(before, {"summary": it.summary, "status": it.status})
        audit.record(s, actor, "meeting_summary", "meeting", m.id, m.partnership_id,
                     before={"item": it.id, **b}, after={"item": it.id, **a})


def add_action(actor: Actor, item_id: int, text: str, owner_agency_id: int | None, owner_name: str,
               due_on: date | None, today: date) -> int:
    errors = {}
    if len((text or "").strip()) < 5:
        errors["text"] = "Say what is to be done."
    if len((owner_name or "").strip()) < 2:
        errors["owner_name"] = "Name the owner."
    if owner_agency_id is None:
        errors["owner_agency_id"] = "Choose the owning agency."
    if due_on is None:
        errors["due_on"] = "Enter the due date."
    elif due_on < today:
        errors["due_on"] = "The due date cannot be in the past."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        it, m = _item(s, actor, item_id)
        a = MeetingAction(item_id=it.id, text=text.strip(), owner_agency_id=owner_agency_id,
                          owner_name=owner_name.strip(), due_on=due_on)
        s.add(a)
        s.flush()
        _touch(s, m)
        audit.record(s, actor, "meeting_action", "meeting", m.id, m.partnership_id,
                     after={"item": it.id, "action": a.id, "owner": a.owner_name, "due_on": due_on})
        return a.id


def close_meeting(actor: Actor, meeting_id: int, today: date) -> int | None:
    """Close: items not decided or discussed carry to the next meeting's agenda (the next planned
    meeting, or a new one four weeks on). Returns the next meeting's id when items carried."""
    with transaction() as s:
        m = _runnable(s, actor, meeting_id)
        items = list(s.exec(select(AgendaItem).where(AgendaItem.meeting_id == m.id)
                            .order_by(AgendaItem.position, AgendaItem.id)))
        undecided = [i for i in items if i.status in ("pending", "carried")]
        for i in undecided:
            i.status = "carried"
            s.add(i)
        m.status = "closed"
        m.closed_at = utcnow()
        m.version += 1
        s.add(m)
        s.flush()
        nxt = None
        if undecided:
            nxt = s.exec(select(Meeting).where(Meeting.partnership_id == m.partnership_id, Meeting.id != m.id,
                                               Meeting.status != "closed", Meeting.held_on >= m.held_on)
                         .order_by(Meeting.held_on, Meeting.id)).first()
            if nxt is None:
                invited = [mm.user_id for mm in s.exec(select(MeetingMember).where(MeetingMember.meeting_id == m.id))
                           if mm.user_id]
                nxt = _create(s, actor, m.partnership_id, m.held_on + timedelta(days=NEXT_MEETING_DAYS), invited,
                              today, carried=undecided)
            else:
                pos = (s.exec(select(func.min(AgendaItem.position)).where(AgendaItem.meeting_id == nxt.id)).one() or 0)
                existing = {(i.kind, i.reference): i for i in s.exec(select(AgendaItem).where(AgendaItem.meeting_id == nxt.id))}
                for n, old in enumerate(undecided):
                    dup = existing.get((old.kind, old.reference)) if old.reference else None
                    if dup is not None and dup.carried_from_id is None and dup.status == "pending":
                        dup.carried_from_id = old.id
                        s.add(dup)
                        continue
                    s.add(AgendaItem(meeting_id=nxt.id, position=pos - len(undecided) + n, kind=old.kind,
                                     reference=old.reference, title=old.title, carried_from_id=old.id))
                nxt.version += 1
                s.add(nxt)
        audit.record(s, actor, "meeting_closed", "meeting", m.id, m.partnership_id,
                     after={"carried": [i.id for i in undecided], "next_meeting": nxt.id if nxt else None})
        return nxt.id if nxt else None


# ---------------------------------------------------------------- minutes and the decision log

def minutes_docx(actor: Actor, meeting_id: int) -> bytes:
    v = get_meeting(actor, meeting_id)
    m = v.meeting
    by_member = {mm.id: mm for mm in v.members}
    agency_of = v.agency_names
    people = [{"name": mm.name, "agency": agency_of.get(mm.id, ""), "attendance": mm.attendance} for mm in v.members]
    items = []
    for it in v.items:
        items.append({
            "title": it.title, "kind": rules.KIND_LABELS.get(it.kind, it.kind), "status": rules.ITEM_STATUSES[it.status],
            "summary": it.summary,
            "conflicts": [by_member[c].name for c in v.conflicts.get(it.id, []) if c in by_member],
            "decisions": [{"outcome": v.outcome_names.get(d.id, ""), "rationale": d.rationale,
                           "departure": d.departure_rationale or "", "status": d.status,
                           "decided_on": d.decided_on} for d in v.decisions.get(it.id, [])],
            "actions": [{"text": a.text, "owner": a.owner_name, "due_on": a.due_on} for a in v.actions.get(it.id, [])],
        })
    data = minutes.build({"partnership": v.partnership_name, "held_on": m.held_on, "chair": v.chair_name,
                          "status": m.status, "quorum": v.quorum().message()}, people, items)
    with transaction() as s:
        audit.record(s, actor, "export", "meeting", m.id, m.partnership_id, detail="minutes (docx)")
    return data


@dataclass
class LogFilter:
    partnership_ids: list[int] | None = None
    outcomes: list[str] = field(default_factory=list)  # review type names
    date_from: date | None = None
    date_to: date | None = None
    departs_only: bool = False
    meetings_only: bool = False


LOG_COLUMNS = ["decided_on", "partnership", "referral", "outcome", "status", "departs", "rationale",
               "departure_rationale", "meeting", "version"]


def decision_log(actor: Actor, f: LogFilter) -> pd.DataFrame:
    allowed = actor.partnerships_with("referral.read")
    pids = [p for p in f.partnership_ids if p in allowed] if f.partnership_ids else allowed
    if not pids:
        return pd.DataFrame(columns=LOG_COLUMNS)
    conds = [Referral.partnership_id.in_(pids), Decision.status != "withdrawn"]
    if f.outcomes:
        conds.append(ReviewType.name.in_(f.outcomes))
    if f.date_from:
        conds.append(Decision.decided_on >= f.date_from)
    if f.date_to:
        conds.append(Decision.decided_on <= f.date_to)
    if f.departs_only:
        conds.append(Decision.departs == True)  # noqa: E712
    if f.meetings_only:
        conds.append(Decision.meeting_id.is_not(None))
    with read_session() as s:
        rows = s.exec(select(Decision, Referral.reference, ReviewType.name, Partnership.code, Meeting.held_on)
                      .join(Referral, Referral.id == Decision.referral_id)
                      .join(ReviewType, ReviewType.id == Decision.review_type_id)
                      .join(Partnership, Partnership.id == Referral.partnership_id)
                      .outerjoin(Meeting, Meeting.id == Decision.meeting_id)
                      .where(*conds).order_by(Decision.decided_on.desc(), Decision.id.desc())).all()
    return pd.DataFrame([{
        "decided_on": d.decided_on, "partnership": code, "referral": ref, "outcome": tname, "status": d.status,
        "departs": d.departs, "rationale": d.rationale, "departure_rationale": d.departure_rationale or "",
        "meeting": f"{held:%d %b %Y}" if held else "", "version": d.version_no,
    } for d, ref, tname, code, held in rows], columns=LOG_COLUMNS)


def outcome_names(actor: Actor) -> list[str]:
    pids = actor.partnerships_with("referral.read")
    with read_session() as s:
        return sorted(set(s.exec(select(ReviewType.name).where(ReviewType.partnership_id.in_(pids or [-1])))))


def export_decision_log(actor: Actor, f: LogFilter) -> bytes:
    df = decision_log(actor, f)
    with transaction() as s:
        audit.record(s, actor, "export", "decision", None, None,
                     detail=json.dumps({"what": "decision log", "rows": len(df), "departs_only": f.departs_only},
                                       sort_keys=True))
    return exports.to_xlsx(df, "Decision log")
