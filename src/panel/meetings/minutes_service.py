"""The Word minutes of a meeting: attendance, quorum, each item's conflicts, decisions, summary and
the actions agreed on it (the action register's, with their owner agency). Producing them is a
disclosure, so it is audited like an export."""

from __future__ import annotations

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import transaction
from panel.meetings import minutes, rules
from panel.meetings.service import get_meeting


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
            "actions": [{"text": a.text, "owner": f"{a.owner_name} ({v.action_agencies[a.id]})", "due_on": a.due_on}
                        for a in v.actions.get(it.id, [])],
        })
    data = minutes.build({"partnership": v.partnership_name, "held_on": m.held_on, "chair": v.chair_name,
                          "status": m.status, "quorum": v.quorum().message()}, people, items)
    with transaction() as s:
        audit.record(s, actor, "export", "meeting", m.id, m.partnership_id, detail="minutes (docx)")
    return data
