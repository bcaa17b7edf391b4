"""What happens to each agenda item: added, reordered, removed, decided (through the screening
decision service, with the meeting's quorum and conflicts), summarised for the minutes, and
the actions agreed on it (actions of the register, docs/domain.md §6.3)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func
from sqlmodel import select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import ValidationFailed
from panel.learning.actions import EMAIL_RE
from panel.meetings import rules
from panel.meetings.service import runnable, runnable_item, touch
from panel.models import (
    Action,
    Agency,
    AgendaItem,
    Decision,
    ItemConflict,
    Meeting,
    MeetingMember,
    Referral,
)
from panel.screening import decisions
from panel.screening.rules import sign_refusal


def move_item(actor: Actor, item_id: int, step: int) -> None:
    with transaction() as s:
        it, m = runnable_item(s, actor, item_id)
        items = list(s.exec(select(AgendaItem).where(AgendaItem.meeting_id == m.id)
                            .order_by(AgendaItem.position, AgendaItem.id)))
        order = rules.move([i.id for i in items], it.id, step)
        for pos, i in enumerate(sorted(items, key=lambda x: order.index(x.id))):
            i.position = pos
            s.add(i)
        touch(s, m)
        audit.record(s, actor, "meeting_agenda_moved", "meeting", m.id, m.partnership_id,
                     after={"item": it.id, "step": step, "order": order})


def add_item(actor: Actor, meeting_id: int, title: str, kind: str = "other", reference: str | None = None) -> int:
    with transaction() as s:
        m = runnable(s, actor, meeting_id)
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
        touch(s, m)
        audit.record(s, actor, "meeting_item_added", "meeting", m.id, m.partnership_id,
                     after={"item": it.id, "kind": kind, "reference": it.reference, "title": it.title})
        return it.id


def remove_item(actor: Actor, item_id: int) -> None:
    with transaction() as s:
        it, m = runnable_item(s, actor, item_id)
        if it.status == "decided" or s.exec(select(Action).where(Action.meeting_item_id == it.id)).first():
            raise ValidationFailed({"item": "This item has a decision or actions recorded: it cannot be removed."})
        for c in s.exec(select(ItemConflict).where(ItemConflict.item_id == it.id)):
            s.delete(c)
        if s.exec(select(AgendaItem).where(AgendaItem.carried_from_id == it.id)).first():
            raise ValidationFailed({"item": "This item was carried to another meeting."})
        audit.record(s, actor, "meeting_item_removed", "meeting", m.id, m.partnership_id,
                     before={"item": it.id, "kind": it.kind, "reference": it.reference, "title": it.title})
        s.delete(it)
        touch(s, m)


def decide_item(actor: Actor, item_id: int, review_type_id: int | None, rationale: str, today: date,
                departure_rationale: str = "", voters: list[int] | None = None) -> tuple[int, bool, str | None]:
    """Record the panel's decision on a referral item through the screening decision service,
    with the meeting's attendance: refused without quorum (naming who is missing), and refused
    when a conflicted member is recorded as taking part. Signs it when the chair is not
    conflicted. Returns (decision id, signed, review reference)."""
    with read_session() as s:
        it, m = runnable_item(s, actor, item_id)
        members = list(s.exec(select(MeetingMember).where(MeetingMember.meeting_id == m.id)))
        conflicted = {c.member_id for c in s.exec(select(ItemConflict).where(ItemConflict.item_id == it.id))}
        kinds = {a.id: a.kind for a in s.exec(select(Agency))}
    names = {mm.id: mm.name for mm in members}
    present = [mm for mm in members if mm.attendance == "present"]
    q = rules.quorum([rules.Attendee(mm.id, mm.name, kinds.get(mm.agency_id), mm.attendance) for mm in members],
                     excluded=conflicted)
    if refusal := rules.decision_refusal(it.kind, it.reference, it.status, q, voters,
                                         [mm.id for mm in present], conflicted, names):
        raise ValidationFailed(refusal)
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
        touch(s, mt)
        audit.record(s, actor, "meeting_decision", "meeting", m.id, m.partnership_id,
                     after={"item": it.id, "decision": decision_id, "reference": it.reference,
                            "conflicted": sorted(conflicted), "quorum": q.counted})
    if sign_refusal(actor.user_id, conflict_users):
        return decision_id, False, None
    # The chair took this attendance person by person on the meeting's attendance list, which
    # the meeting page shows beside the item; recording from it is the confirmation.
    review_ref = decisions.sign_decision(actor, decision_id, today, attendance_confirmed=True)
    return decision_id, True, review_ref


def record_summary(actor: Actor, item_id: int, summary: str, status: str | None = None) -> None:
    """The discussion summary for the minutes; marks a pending item discussed (or carried)."""
    if status is not None and status not in ("discussed", "carried", "pending"):
        raise ValidationFailed({"status": "Choose discussed or carried."})
    with transaction() as s:
        it, m = runnable_item(s, actor, item_id)
        before = {"summary": it.summary, "status": it.status}
        it.summary = (summary or "").strip()
        if it.status != "decided":
            it.status = status or ("discussed" if it.summary else it.status)
        s.add(it)
        touch(s, m)
        b, a = audit.changed(before, {"summary": it.summary, "status": it.status})
        audit.record(s, actor, "meeting_summary", "meeting", m.id, m.partnership_id,
                     before={"item": it.id, **b}, after={"item": it.id, **a})


def add_action(actor: Actor, item_id: int, text: str, owner_agency_id: int | None, owner_name: str,
               due_on: date | None, today: date, owner_email: str | None = None) -> int:
    """An action agreed on this item: an open action of the register with the item, the meeting's
    partnership and no recommendation (docs/domain.md §6.3), so it is listed, reminded and closed
    with evidence of impact like any other. It needs what, who, an active agency and a due date."""
    errors = {}
    if len((text or "").strip()) < 5:
        errors["text"] = "Say what is to be done."
    if len((owner_name or "").strip()) < 2:
        errors["owner_name"] = "Name the owner."
    elif len(owner_name.strip()) > 200:
        errors["owner_name"] = "Keep the name to 200 characters."
    email = (owner_email or "").strip()
    if email and not EMAIL_RE.match(email):
        errors["owner_email"] = "Enter an e-mail address like name@example.org."
    if owner_agency_id is None:
        errors["owner_agency_id"] = "Choose the owning agency."
    if due_on is None:
        errors["due_on"] = "Enter the due date."
    elif due_on < today:
        errors["due_on"] = "The due date cannot be in the past."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        it, m = runnable_item(s, actor, item_id)
        agency = s.get(Agency, owner_agency_id)
        if agency is None or not agency.active:  # a retired agency owns nothing new
            raise ValidationFailed({"owner_agency_id": "Choose the owning agency from the list."})
        a = Action(partnership_id=m.partnership_id, meeting_item_id=it.id, owner_agency_id=agency.id,
                   owner_name=owner_name.strip(), owner_email=email or None, text=text.strip(), due_on=due_on)
        s.add(a)
        s.flush()
        touch(s, m)
        audit.record(s, actor, "action_add", "action", a.id, m.partnership_id,
                     after={"meeting_id": m.id, "meeting_item_id": it.id, "owner_agency_id": agency.id,
                            "owner_name": a.owner_name, "due_on": due_on, "text": a.text})
        return a.id
