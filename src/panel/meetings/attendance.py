"""Who is at a meeting and who may take part per item: invitees, partner agencies' guests,
attendance (quorum is counted from it) and conflicts declared per agenda item."""

from __future__ import annotations

from sqlmodel import select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import transaction
from panel.core.errors import ValidationFailed
from panel.meetings import rules
from panel.meetings.service import member_row, runnable, runnable_item, touch
from panel.models import (
    Agency,
    ItemConflict,
    Meeting,
    MeetingMember,
)
from panel.screening import decisions


def _member(s, actor: Actor, m: Meeting, member_id) -> MeetingMember:
    """A person on this meeting's list; another meeting's is "not found", and audited."""
    try:
        mm = s.get(MeetingMember, int(member_id))
    except (TypeError, ValueError):
        mm = None
    if mm is None or mm.meeting_id != m.id:
        raise audit.not_found(actor, "meeting_member", member_id, "That person is not on this meeting's list.",
                              what="id")
    return mm


def add_guest(actor: Actor, meeting_id: int, name: str, agency_id: int | None) -> int:
    """A partner agency's representative without a Panel account (counts towards quorum)."""
    with transaction() as s:
        m = runnable(s, actor, meeting_id)
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
        touch(s, m)
        audit.record(s, actor, "meeting_guest_added", "meeting", m.id, m.partnership_id,
                     after={"member": mm.id, "name": mm.name, "agency": agency_id})
        return mm.id


def invite(actor: Actor, meeting_id: int, user_id: int) -> None:
    with transaction() as s:
        m = runnable(s, actor, meeting_id)
        if user_id not in decisions.panel_members(actor, m.partnership_id):
            raise ValidationFailed({"invite": "Invite people from the partnership's panel."})
        if s.exec(select(MeetingMember).where(MeetingMember.meeting_id == m.id, MeetingMember.user_id == user_id)).first():
            return
        s.add(member_row(s, m.id, user_id))
        touch(s, m)
        audit.record(s, actor, "meeting_invited", "meeting", m.id, m.partnership_id, after={"user": user_id})


def set_attendance(actor: Actor, meeting_id: int, member_id: int, attendance: str) -> None:
    if attendance not in rules.ATTENDANCE:
        raise ValidationFailed({"attendance": "Choose present, apologies or invited."})
    with transaction() as s:
        m = runnable(s, actor, meeting_id)
        mm = _member(s, actor, m, member_id)
        before = mm.attendance
        mm.attendance = attendance
        s.add(mm)
        touch(s, m)
        audit.record(s, actor, "meeting_attendance", "meeting", m.id, m.partnership_id,
                     before={"member": mm.id, "attendance": before}, after={"member": mm.id, "attendance": attendance})


def declare_conflict(actor: Actor, item_id: int, member_id: int, declared: bool = True) -> None:
    with transaction() as s:
        it, m = runnable_item(s, actor, item_id)
        mm = _member(s, actor, m, member_id)
        if it.status == "decided":
            raise ValidationFailed({"conflict": "This item is already decided."})
        row = s.exec(select(ItemConflict).where(ItemConflict.item_id == it.id, ItemConflict.member_id == mm.id)).first()
        if declared and row is None:
            s.add(ItemConflict(item_id=it.id, member_id=mm.id, user_id=mm.user_id))
        elif not declared and row is not None:
            s.delete(row)
        touch(s, m)
        audit.record(s, actor, "meeting_conflict" if declared else "meeting_conflict_withdrawn", "meeting", m.id,
                     m.partnership_id, after={"item": it.id, "member": mm.id, "name": mm.name})
