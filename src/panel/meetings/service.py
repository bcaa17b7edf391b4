"""Panel meetings: the agenda built for the chair from the live record, creating, listing and
closing meetings (undecided items carry to the next one), and the loading and permission checks
the sibling modules share (attendance, items, minutes_service, mail).
Every write is audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, select

from panel.core import audit, clock
from panel.core.access import Actor
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.learning.action_source import agency as agency_label
from panel.learning.actions import OPEN_STATUSES
from panel.meetings import rules
from panel.models import (
    Action,
    Agency,
    AgendaItem,
    Decision,
    ItemConflict,
    Meeting,
    MeetingMember,
    Partnership,
    Referral,
    Review,
    ReviewMilestone,
    ReviewType,
    User,
)
from panel.reviews import lifecycle
from panel.screening import decisions
from panel.screening.rules import running_clock
from panel.screening.service import clocks_of

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
    actions: dict[int, list[Action]]  # item id -> the actions agreed on it (docs/domain.md §6.3)
    decisions: dict[int, list[Decision]]  # item id -> decisions recorded at this meeting
    outcome_names: dict[int, str] = field(default_factory=dict)
    action_agencies: dict[int, str] = field(default_factory=dict)  # action id -> owner agency's name
    can_run: bool = False

    def attendees(self) -> list[rules.Attendee]:
        return [rules.Attendee(m.id, m.name, self.agency_kinds.get(m.id), m.attendance) for m in self.members]

    def quorum(self, item_id: int | None = None) -> rules.Quorum:
        return rules.quorum(self.attendees(), self.conflicts.get(item_id, []) if item_id else [])


# ---------------------------------------------------------------- loading and permissions (shared)

def meeting_for(s: Session, actor: Actor, meeting_id) -> Meeting:
    """The meeting if the actor may see its partnership; otherwise \"not found\" (never
    \"forbidden\"), and the attempt is audited as for referrals and reviews."""
    try:
        m = s.get(Meeting, int(meeting_id))
    except (TypeError, ValueError):
        m = None
    if m is None or not actor.can("referral.read", m.partnership_id):
        raise audit.not_found(actor, "meeting", meeting_id, NOT_FOUND, what="id")
    return m


def runnable(s: Session, actor: Actor, meeting_id) -> Meeting:
    """The meeting if the actor chairs it and it is still open: every write goes through here."""
    m = meeting_for(s, actor, meeting_id)
    if not actor.can("meeting.run", m.partnership_id):
        raise PermissionDenied("Only the panel chair can run the meeting.")
    if m.status == "closed":
        raise ValidationFailed({"meeting": "This meeting is closed."})
    return m


def runnable_item(s: Session, actor: Actor, item_id) -> tuple[AgendaItem, Meeting]:
    try:
        it = s.get(AgendaItem, int(item_id))
    except (TypeError, ValueError):
        it = None
    if it is None:
        raise audit.not_found(actor, "agenda_item", item_id, "No such agenda item.", what="id")
    return it, runnable(s, actor, it.meeting_id)


def touch(s: Session, m: Meeting) -> None:
    """Any change bumps the version (stale pages are refused) and opens a planned meeting."""
    m.version += 1
    if m.status == "planned":
        m.status = "open"
    s.add(m)


# ---------------------------------------------------------------- the agenda

def build_agenda(s: Session, partnership_id: int, today: date) -> list[dict]:
    """The items the chair needs, from the live record, in agenda order."""
    items: list[dict] = []
    waiting = list(s.exec(select(Referral).where(Referral.partnership_id == partnership_id,
                                                 Referral.status == "accepted")))
    clocks = clocks_of(s, waiting, today)
    for r in waiting:
        # The statutory clock only when one runs (docs/domain.md §4.5).
        running = running_clock(clocks[r.id])
        items.append({"kind": "referral", "reference": r.reference, "due": running.due if running else None,
                      "title": f"{r.reference}: screening decision"
                               + (f" (statutory clock: notify by {clock.day(running.due)})" if running else ""),
                      "case": {"clocks": clocks[r.id]}})
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


def member_row(s: Session, meeting_id: int, user_id: int) -> MeetingMember:
    u = s.get(User, user_id)
    return MeetingMember(meeting_id=meeting_id, user_id=u.id, name=u.name, agency_id=u.agency_id)


def _create(s: Session, actor: Actor, partnership_id: int, held_on: date, invite: list[int], today: date,
            carried: list[AgendaItem] = (), status: str = "planned") -> Meeting:
    m = Meeting(partnership_id=partnership_id, held_on=held_on, chair_id=actor.user_id, status=status)
    s.add(m)
    s.flush()
    for uid in dict.fromkeys(invite):
        s.add(member_row(s, m.id, uid))
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
        m = meeting_for(s, actor, meeting_id)
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
        actions: dict[int, list[Action]] = {}
        for a in s.exec(select(Action).where(Action.meeting_item_id.in_(ids)).order_by(Action.id)):
            actions.setdefault(a.meeting_item_id, []).append(a)
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
            action_agencies={a.id: agency_label(agencies[a.owner_agency_id].name if a.owner_agency_id in agencies
                                                else None) for acts in actions.values() for a in acts},
            can_run=actor.can("meeting.run", m.partnership_id) and m.status != "closed")


def partnership_names(actor: Actor) -> dict[int, str]:
    pids = actor.partnerships_with("referral.read")
    with read_session() as s:
        return {p.id: p.name for p in s.exec(select(Partnership).where(Partnership.id.in_(pids or [-1]))
                                              .order_by(Partnership.name))}


# ---------------------------------------------------------------- closing

def close_meeting(actor: Actor, meeting_id: int, today: date) -> int | None:
    """Close: items not decided or discussed carry to the next meeting's agenda (the next planned
    meeting, or a new one four weeks on). Returns the next meeting's id when items carried."""
    with transaction() as s:
        m = runnable(s, actor, meeting_id)
        items = list(s.exec(select(AgendaItem).where(AgendaItem.meeting_id == m.id)
                            .order_by(AgendaItem.position, AgendaItem.id)))
        undecided = [i for i in items if rules.carries_over(i.status)]
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
