"""Meetings: agenda building, quorum and conflicts, decisions in a meeting, closing
with carried items, minutes, the decision log."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import func, select

from panel.accounts import service as accounts
from panel.core import clock
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, ValidationFailed
from panel.learning import actions
from panel.meetings import attendance as meeting_attendance
from panel.meetings import cases as meeting_cases
from panel.meetings import items as meeting_items
from panel.meetings import mail as meeting_mail
from panel.meetings import minutes_service as meeting_minutes
from panel.meetings import rules as meetings
from panel.meetings import service as svc
from panel.models import (
    Action,
    Agency,
    AgendaItem,
    AuditEvent,
    Decision,
    Meeting,
    Partnership,
    Referral,
    Review,
    ReviewMilestone,
    ReviewType,
)
from panel.reviews import types_service as review_types
from panel.screening import decision_log, decisions
from panel.screening.rules import assess, notification_clocks
from panel.screening.service import facts_of
from tests.conftest import TODAY
from tests.factories import empty_nb, meeting_with_cases

A = meetings.Attendee


# ---------------------------------------------------------------- pure rules

def test_quorum_needs_the_three_statutory_partners():
    people = [A(1, "LA", "local_authority", "present"), A(2, "Pol", "police", "present"),
              A(3, "ICB", "health", "apologies"), A(4, "School", "education", "present")]
    q = meetings.quorum(people)
    assert not q.met and q.missing == ["health (the integrated care board)"]
    assert "health" in q.message()
    people[2] = A(3, "ICB", "health", "present")
    assert meetings.quorum(people).met
    # a conflicted member does not count towards the item's quorum
    q = meetings.quorum(people, excluded=[2])
    assert not q.met and q.missing == ["the police"]


def test_conflict_problem_names_the_member():
    assert meetings.conflict_problem([1, 2], [3]) is None
    msg = meetings.conflict_problem([1, 2], [2], {2: "Pat Police"})
    assert "Pat Police" in msg


def test_agenda_order_and_move():
    from datetime import date
    items = [{"kind": "actions", "due": None}, {"kind": "milestones", "due": date(2026, 1, 1), "reference": "M"},
             {"kind": "referral", "due": date(2026, 2, 1), "reference": "B"},
             {"kind": "referral", "due": date(2026, 1, 1), "reference": "A"},
             {"kind": "sign_off", "due": date(2025, 1, 1), "reference": "S"},
             {"kind": "rapid_review", "due": date(2027, 1, 1), "reference": "R"}]
    assert [i.get("reference") for i in meetings.agenda_order(items)] == ["A", "B", "R", "S", "M", None]
    assert meetings.move([1, 2, 3], 3, -1) == [1, 3, 2]
    assert meetings.move([1, 2, 3], 1, -1) == [1, 2, 3]


# ---------------------------------------------------------------- service

def _nb():
    with read_session() as s:
        return s.exec(select(Partnership).where(Partnership.code == "NB")).one().id


def _expected_agenda(pid):
    """Worked out independently from the demo data."""
    horizon = clock.add_working_days(TODAY, 10)
    with read_session() as s:
        # A referral whose criteria call for no notification has no clock: it comes after those that do.
        referrals = sorted(s.exec(select(Referral).where(Referral.partnership_id == pid, Referral.status == "accepted")),
                           key=lambda r: (not assess(facts_of(r))["notify"], clock.add_working_days(r.aware_on, 5),
                                          r.reference))
        rapid, sign, due = set(), set(), set()
        for rv, key in s.exec(select(Review, ReviewType.key).join(ReviewType, ReviewType.id == Review.review_type_id)
                              .where(Review.partnership_id == pid, Review.status == "open")):
            ms = list(s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id,
                                                           ReviewMilestone.actual_on.is_(None))))
            nxt = min(ms, key=lambda m: (m.planned_on, m.position)) if ms else None
            if key == "rapid_review" and rv.lcspr_decision is None:
                rapid.add(rv.reference)
            elif nxt and nxt.key in ("panel_sign_off", "partnership_sign_off"):
                sign.add(rv.reference)
            elif any(m.planned_on <= horizon for m in ms):
                due.add(rv.reference)
        overdue = [a for a in s.exec(select(Action).where(Action.partnership_id == pid))
                   if a.status != "closed" and a.due_on < TODAY]
    return [r.reference for r in referrals], rapid, sign, due, len(overdue)


def _chair():
    return accounts.actor_for("chair")


def _meeting(demo_db, invite=("chair", "member")):
    chair = _chair()
    pid = _nb()
    ids = [accounts.actor_for(u).user_id for u in invite]
    return chair, pid, svc.create_meeting(chair, pid, TODAY, ids, TODAY)


def _health_agency():
    with read_session() as s:
        return s.exec(select(Agency).where(Agency.name == "Integrated care board")).one().id


def test_agenda_built_from_the_record(demo_db):
    chair, pid, mid = _meeting(demo_db)
    refs, rapid, sign, due, overdue = _expected_agenda(pid)
    v = svc.get_meeting(chair, mid)
    kinds = [i.kind for i in v.items]
    assert kinds == sorted(kinds, key=meetings.KINDS.index)  # grouped in agenda order
    assert [i.reference for i in v.items if i.kind == "referral"] == refs
    assert {i.reference for i in v.items if i.kind == "rapid_review"} == rapid
    assert {i.reference for i in v.items if i.kind == "sign_off"} == sign
    assert {i.reference for i in v.items if i.kind == "milestones"} == due
    assert len([i for i in v.items if i.kind == "actions"]) == (1 if overdue else 0)
    if overdue:
        assert str(overdue) in v.items[-1].title
    assert refs, "the demo has referrals awaiting screening"
    assert {m.name for m in v.members} == {"Chris Chair", "Morgan Member"}
    with read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "meeting_created")).first()


def test_only_the_chair_runs_a_meeting(demo_db):
    chair, pid, mid = _meeting(demo_db)
    member = accounts.actor_for("member")
    with pytest.raises(PermissionDenied):
        svc.create_meeting(member, pid, TODAY, [], TODAY)
    v = svc.get_meeting(member, mid)  # members may view
    assert not v.can_run
    with pytest.raises(PermissionDenied):
        meeting_attendance.set_attendance(member, mid, v.members[0].id, "present")
    with pytest.raises(NotFound):
        svc.get_meeting(accounts.actor_for("chair.em"), mid)
    with pytest.raises(NotFound):
        svc.get_meeting(accounts.actor_for("referrer"), mid)


def test_reorder_add_remove(demo_db):
    chair, pid, mid = _meeting(demo_db)
    v = svc.get_meeting(chair, mid)
    first, second = v.items[0].id, v.items[1].id
    meeting_items.move_item(chair, second, -1)
    assert [i.id for i in svc.get_meeting(chair, mid).items][:2] == [second, first]
    new = meeting_items.add_item(chair, mid, "Annual report draft")
    assert svc.get_meeting(chair, mid).items[-1].id == new
    with pytest.raises(ValidationFailed):
        meeting_items.add_item(chair, mid, "x")
    meeting_items.remove_item(chair, new)
    assert new not in [i.id for i in svc.get_meeting(chair, mid).items]


def _present_all(chair, mid, with_health=True):
    if with_health:
        meeting_attendance.add_guest(chair, mid, "Dr Hana Health", _health_agency())
    for mm in svc.get_meeting(chair, mid).members:
        meeting_attendance.set_attendance(chair, mid, mm.id, "present")


def _outcome(chair, pid, reference):
    from panel.screening import service as screening
    sc = screening.screen(chair, reference, TODAY, {})
    types = review_types.list_types(chair, pid)
    return next(t for t in types if t.regime == sc.result["regime"] and sc.result["route"] in t.routes.split(","))


def test_decision_without_quorum_is_refused_naming_the_missing_partner(demo_db):
    chair, pid, mid = _meeting(demo_db)
    _present_all(chair, mid, with_health=False)
    item = next(i for i in svc.get_meeting(chair, mid).items if i.kind == "referral")
    t = _outcome(chair, pid, item.reference)
    with pytest.raises(ValidationFailed) as e:
        meeting_items.decide_item(chair, item.id, t.id, "The panel agreed the criteria are met.", TODAY)
    assert "quorum" in e.value.errors and "health" in e.value.errors["quorum"]
    with read_session() as s:
        assert not s.exec(select(Decision).where(Decision.meeting_id == mid)).first()


def test_decision_in_a_quorate_meeting_is_recorded_signed_and_linked(demo_db):
    chair, pid, mid = _meeting(demo_db)
    _present_all(chair, mid)
    item = next(i for i in svc.get_meeting(chair, mid).items if i.kind == "referral")
    t = _outcome(chair, pid, item.reference)
    did, signed, _ = meeting_items.decide_item(chair, item.id, t.id, "The panel agreed the criteria are met.", TODAY)
    assert signed
    with read_session() as s:
        d = s.get(Decision, did)
        assert d.meeting_id == mid and d.status == "signed"
        assert set(json.loads(d.present)) == {chair.user_id, accounts.actor_for("member").user_id}
        assert s.get(AgendaItem, item.id).status == "decided"


def test_conflicted_member_is_excluded(demo_db):
    chair, pid, mid = _meeting(demo_db)
    _present_all(chair, mid)
    v = svc.get_meeting(chair, mid)
    item = next(i for i in v.items if i.kind == "referral")
    police = next(mm for mm in v.members if mm.name == "Morgan Member")
    meeting_attendance.declare_conflict(chair, item.id, police.id)
    t = _outcome(chair, pid, item.reference)
    # the police member is conflicted: the item is no longer quorate
    with pytest.raises(ValidationFailed) as e:
        meeting_items.decide_item(chair, item.id, t.id, "The panel agreed the criteria are met.", TODAY)
    assert "police" in e.value.errors["quorum"]
    # recording them as taking part is refused, naming them
    with pytest.raises(ValidationFailed) as e:
        meeting_items.decide_item(chair, item.id, t.id, "The panel agreed the criteria are met.", TODAY,
                                  voters=[police.id])
    assert "Morgan Member" in e.value.errors["conflicts"]
    # another police attendee restores quorum; the conflicted member is recorded as such
    with read_session() as s:
        police_agency = s.exec(select(Agency).where(Agency.kind == "police")).first().id
    guest = meeting_attendance.add_guest(chair, mid, "DI Pat Police", police_agency)
    meeting_attendance.set_attendance(chair, mid, guest, "present")
    did, signed, _ = meeting_items.decide_item(chair, item.id, t.id, "The panel agreed the criteria are met.", TODAY)
    with read_session() as s:
        assert json.loads(s.get(Decision, did).conflicts) == [accounts.actor_for("member").user_id]


def test_conflicted_chair_cannot_sign(demo_db):
    chair, pid, mid = _meeting(demo_db)
    _present_all(chair, mid)
    v = svc.get_meeting(chair, mid)
    with read_session() as s:
        la = s.exec(select(Agency).where(Agency.name == "Early help")).one().id
    meeting_attendance.set_attendance(chair, mid, meeting_attendance.add_guest(chair, mid, "Lee Authority", la), "present")
    item = next(i for i in v.items if i.kind == "referral")
    me = next(mm for mm in v.members if mm.name == "Chris Chair")
    meeting_attendance.declare_conflict(chair, item.id, me.id)
    t = _outcome(chair, pid, item.reference)
    did, signed, _ = meeting_items.decide_item(chair, item.id, t.id, "The panel agreed the criteria are met.", TODAY)
    assert not signed
    with read_session() as s:
        assert s.get(Decision, did).status == "draft"
    with pytest.raises(ValidationFailed):
        decisions.sign_decision(chair, did, TODAY, attendance_confirmed=True)


def test_closing_carries_undecided_items_and_minutes_hold_every_decision(demo_db):
    chair, pid, mid = _meeting(demo_db)
    _present_all(chair, mid)
    v = svc.get_meeting(chair, mid)
    refs = [i for i in v.items if i.kind == "referral"][:2]
    decided = []
    for it in refs:
        t = _outcome(chair, pid, it.reference)
        meeting_items.decide_item(chair, it.id, t.id, f"Rationale for {it.reference}: criteria met.", TODAY)
        decided.append(it.reference)
    other = [i for i in v.items if i.kind != "referral"]
    meeting_items.record_summary(chair, other[0].id, "Discussed progress; on track.")
    member = next(mm for mm in v.members if mm.name == "Morgan Member")
    meeting_attendance.declare_conflict(chair, other[1].id, member.id)
    aid = meeting_items.add_action(chair, refs[0].id, "Send the notification to the National Panel", _health_agency(),
                                   "Dr Hana Health", TODAY, TODAY)
    assert aid
    with pytest.raises(ValidationFailed):
        meeting_items.add_action(chair, refs[0].id, "", None, "", None, TODAY)
    nxt = svc.close_meeting(chair, mid, TODAY)
    after = svc.get_meeting(chair, mid)
    assert after.meeting.status == "closed"
    undecided = [i for i in after.items if i.status not in ("decided", "discussed")]
    assert undecided and all(i.status == "carried" for i in undecided)
    nv = svc.get_meeting(chair, nxt)
    assert nv.meeting.status == "planned" and nv.meeting.held_on > TODAY
    carried = [i for i in nv.items if i.carried_from_id]
    assert {i.carried_from_id for i in carried} == {i.id for i in undecided}
    assert nv.items[0].carried_from_id  # carried items lead the next agenda
    with pytest.raises(ValidationFailed):
        meeting_attendance.set_attendance(chair, mid, member.id, "apologies")

    data = meeting_minutes.minutes_docx(chair, mid)
    doc = Document(io.BytesIO(data))
    text = "\n".join(p.text for p in doc.paragraphs) + "\n".join(
        c.text for t in doc.tables for r in t.rows for c in r.cells)
    for ref in decided:
        assert f"Rationale for {ref}: criteria met." in text
    assert text.count("Decision: ") == len(decided)
    assert "Dr Hana Health" in text and "Morgan Member declared a conflict" in text
    assert "Send the notification to the National Panel" in text
    assert "Discussed progress; on track." in text
    with read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.entity == "meeting")).first()
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "meeting_closed")).first()


def test_an_action_agreed_in_the_meeting_is_an_action_of_the_register(demo_db):
    """Capture needs what, who, an active agency and a due date, each refused beside its field;
    what it writes is an action of the register (docs/domain.md §6.3), not a meeting-only row."""
    chair, pid, mid = _meeting(demo_db)
    item = meeting_items.add_item(chair, mid, "Attendance at school")
    with pytest.raises(ValidationFailed) as e:
        meeting_items.add_action(chair, item, "Ask the school for its records.", None, " ", None, TODAY)
    assert e.value.errors == {"owner_agency_id": "Choose the owning agency.", "owner_name": "Name the owner.",
                              "due_on": "Enter the due date."}
    with pytest.raises(ValidationFailed) as e:
        meeting_items.add_action(chair, item, "Ask.", _health_agency(), "Dr Hana Health", TODAY - timedelta(days=1),
                                 TODAY, owner_email="not an address")
    assert set(e.value.errors) == {"text", "due_on", "owner_email"}
    with transaction() as s:
        retired = Agency(name="Former primary care trust", kind="health", active=False)
        s.add(retired)
        s.flush()
        retired = retired.id
    with pytest.raises(ValidationFailed) as e:
        meeting_items.add_action(chair, item, "Ask the school for its records.", retired, "Dr Hana Health",
                                 TODAY, TODAY)
    assert set(e.value.errors) == {"owner_agency_id"}
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(Action).where(Action.meeting_item_id == item)).one() == 0

    aid = meeting_items.add_action(chair, item, "Ask the school for its records.", _health_agency(), "Dr Hana Health",
                                   TODAY + timedelta(days=10), TODAY, owner_email="hana@example.org")
    with read_session() as s:
        a = s.get(Action, aid)
        audit_row = s.exec(select(AuditEvent).where(AuditEvent.action == "action_add",
                                                    AuditEvent.entity_id == aid)).one()
    assert (a.partnership_id, a.meeting_item_id, a.recommendation_id, a.owner_agency_id, a.owner_email,
            a.status, a.version) == (pid, item, None, _health_agency(), "hana@example.org", "open", 1)
    assert (audit_row.entity, json.loads(audit_row.after)["meeting_id"]) == ("action", mid)
    df, _ = actions.register(accounts.actor_for("member"), actions.RegisterFilter(owner="Dr Hana Health"), TODAY)
    assert df.set_index("id").loc[aid, "review"] == "Agreed at the meeting of Mon 23 Nov 2026"
    v = svc.get_meeting(chair, mid)
    assert [x.id for x in v.actions[item]] == [aid] and v.action_agencies[aid] == "Integrated care board"
    with pytest.raises(ValidationFailed):
        meeting_items.remove_item(chair, item)


def test_each_agenda_item_carries_what_the_panel_decides_on(db):
    """A referral: the criteria's result with its reasons and the one notification clock; a rapid
    review: its next stage and due date; a report awaiting sign-off: its draft, sign-offs and
    publication, each with its status (docs/domain.md §6.3)."""
    empty_nb()
    c = meeting_with_cases()
    chair = _chair()
    items = {it.reference: it for it in svc.get_meeting(chair, c.meeting_id).items}
    assert [items[r].kind for r in (c.referral, c.rapid_review, c.lcspr)] == ["referral", "rapid_review", "sign_off"]
    cases = meeting_cases.item_cases(chair, c.meeting_id, TODAY)

    referral = cases[items[c.referral].id]
    assert (referral.result["regime"], referral.result["route"]) == ("WT2018", "rapid_review")
    assert referral.result["reasons"][0].endswith("WT2018 applies") and referral.problem is None
    with read_session() as s:
        r = s.exec(select(Referral).where(Referral.reference == c.referral)).one()
    assert referral.clocks == notification_clocks(assess(facts_of(r)), {}, None, TODAY)
    assert [(x.body, x.state, x.due) for x in referral.clocks][0] == ("national_panel", "running", date(2026, 11, 27))

    with read_session() as s:  # the rapid review's next milestone, worked out from its rows
        rv = s.exec(select(Review).where(Review.reference == c.rapid_review)).one()
        nxt = min(s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id,
                                                       ReviewMilestone.actual_on.is_(None))),
                  key=lambda x: (x.planned_on, x.position))
    rapid = cases[items[c.rapid_review].id]
    assert (rapid.stage, rapid.due, rapid.report) == (nxt.name, nxt.planned_on, [])

    sign_off = cases[items[c.lcspr].id]
    assert (sign_off.stage, sign_off.publication) == ("Panel sign-off", "As planned")
    assert [(x.key, x.status) for x in sign_off.report] == [
        ("draft_report", "done"), ("panel_sign_off", "pending"), ("partnership_sign_off", "pending"),
        ("publication", "pending")]
    assert sign_off.report[0].actual == TODAY and sign_off.report[1].planned == sign_off.due


def test_carried_items_attach_to_an_existing_planned_meeting(demo_db):
    chair, pid, mid = _meeting(demo_db)
    later = svc.create_meeting(chair, pid, TODAY.replace(day=30), [chair.user_id], TODAY)
    extra = meeting_items.add_item(chair, mid, "Partnership annual report")
    assert svc.close_meeting(chair, mid, TODAY) == later
    nv = svc.get_meeting(chair, later)
    assert any(i.carried_from_id == extra for i in nv.items)
    with read_session() as s:
        assert len(list(s.exec(select(Meeting)))) == 2


def test_decision_log_filters_and_export(demo_db):
    chair, pid, mid = _meeting(demo_db)
    _present_all(chair, mid)
    it = next(i for i in svc.get_meeting(chair, mid).items if i.kind == "referral")
    t = _outcome(chair, pid, it.reference)
    meeting_items.decide_item(chair, it.id, t.id, "The panel agreed the criteria are met.", TODAY)
    everything = decision_log.decision_log(chair, decision_log.LogFilter())
    ours = decision_log.decision_log(chair, decision_log.LogFilter(meetings_only=True))
    assert len(ours) == 1 and ours.iloc[0]["referral"] == it.reference and ours.iloc[0]["meeting"]
    assert len(everything) >= len(ours)
    departs = decision_log.decision_log(chair, decision_log.LogFilter(departs_only=True))
    assert departs["departs"].all()
    dated = decision_log.decision_log(chair, decision_log.LogFilter(date_from=TODAY, date_to=TODAY))
    assert (dated["decided_on"] == TODAY).all() and it.reference in set(dated["referral"])
    assert decision_log.decision_log(accounts.actor_for("referrer"), decision_log.LogFilter()).empty
    wb = load_workbook(io.BytesIO(decision_log.export_decision_log(chair, decision_log.LogFilter(meetings_only=True))))
    assert wb.active.max_row == 2
    with read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.entity == "decision")).first()


def test_every_meeting_lookup_from_another_partnership_is_not_found_and_audited(demo_db):
    """As for referrals and reviews: another partnership's meeting, agenda item or attendee, and an
    id that does not exist, all answer "not found", and each attempt is in the audit log."""
    chair, pid, mid = _meeting(demo_db)
    v = svc.get_meeting(chair, mid)
    item, member = v.items[0].id, v.members[0].id
    other = accounts.actor_for("chair.em")
    calls = {
        "meeting": [
            lambda w: svc.get_meeting(other, w),
            lambda w: svc.close_meeting(other, w, TODAY),
            lambda w: meeting_items.add_item(other, w, "Any other business"),
            lambda w: meeting_attendance.invite(other, w, other.user_id),
            lambda w: meeting_attendance.add_guest(other, w, "Pat Police", _health_agency()),
            lambda w: meeting_attendance.set_attendance(other, w, member, "present"),
            lambda w: meeting_minutes.minutes_docx(other, w),
            lambda w: meeting_mail.recipients(other, w),
            lambda w: meeting_mail.email_minutes(other, w),
        ],
        "agenda_item": [
            lambda w: meeting_items.move_item(other, w, 1),
            lambda w: meeting_items.remove_item(other, w),
            lambda w: meeting_items.record_summary(other, w, "Discussed."),
            lambda w: meeting_items.add_action(other, w, "Share the plan.", _health_agency(), "Lead", TODAY, TODAY),
            lambda w: meeting_items.decide_item(other, w, None, "No review: the criteria are not met.", TODAY),
            lambda w: meeting_attendance.declare_conflict(other, w, member),
        ],
    }
    real = {"meeting": mid, "agenda_item": item}

    def not_found_rows():
        with read_session() as s:
            return list(s.exec(select(AuditEvent).where(AuditEvent.action == "not_found")
                               .order_by(AuditEvent.id)))

    for entity, fns in calls.items():
        for fn in fns:
            for wanted in (real[entity], 10**6, "x"):
                before = len(not_found_rows())
                with pytest.raises(NotFound):
                    fn(wanted)
                rows = not_found_rows()[before:]
                # An item of another partnership is found, then its meeting is not.
                assert [(r.username, r.entity) for r in rows] == [("chair.em", entity)] or (
                    entity == "agenda_item" and wanted == item
                    and [(r.username, r.entity) for r in rows] == [("chair.em", "meeting")]), (entity, wanted, rows)
    # Someone on another meeting's list, named on the chair's own meeting.
    _, _, mid2 = _meeting(demo_db)
    stranger = svc.get_meeting(chair, mid2).members[0].id
    before = len(not_found_rows())
    with pytest.raises(NotFound):
        meeting_attendance.set_attendance(chair, mid, stranger, "present")
    with pytest.raises(NotFound):
        meeting_attendance.declare_conflict(chair, item, stranger)
    assert [(r.username, r.entity) for r in not_found_rows()[before:]] == [("chair", "meeting_member")] * 2
