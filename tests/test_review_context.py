"""Parallel processes and the family's involvement on a review (docs/domain.md §6.3): recorded
with their dates, shown on the review page, and the family's part seen only by those who run the
review."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from panel.core.clock import day
from panel.core.db import read_session
from panel.core.errors import NotFound, ValidationFailed
from panel.meetings import cases as meeting_cases
from panel.meetings import service as meetings
from panel.models import AuditEvent
from panel.reviews import context
from panel.reviews.rules import check_family_step, check_process
from panel.screening import decisions
from tests.apptest import signed_in, texts
from tests.conftest import TODAY
from tests.factories import accepted, actor, decision_form, empty_nb, meeting_with_cases

LATER = TODAY + timedelta(days=60)


def new_review() -> str:
    """A rapid review of a new referral on an empty partnership, through the services."""
    empty_nb()
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form("rapid_review"), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def process(**kw) -> context.ProcessForm:
    values = {"kind": "criminal_proceedings", "reference": "T2026 0142", "status": "ongoing",
              "started_on": TODAY - timedelta(days=3), "next_event": "Trial", "next_on": LATER}
    values.update(kw)
    return context.ProcessForm(**values)


# -- rules ----------------------------------------------------------------------------------------

def test_a_process_needs_its_kind_and_a_concluded_one_its_date():
    ok = dict(kind="inquest", reference="", status="ongoing", started_on=None, next_event="", next_on=None,
              concluded_on=None, outcome="", today=TODAY)
    assert check_process(**ok) == {}
    assert set(check_process(**{**ok, "kind": "trial"})) == {"kind"}
    assert set(check_process(**{**ok, "status": "concluded"})) == {"concluded_on"}
    assert set(check_process(**{**ok, "status": "concluded", "started_on": TODAY,
                                "concluded_on": TODAY - timedelta(days=1)})) == {"concluded_on"}
    assert set(check_process(**{**ok, "next_on": LATER})) == {"next_event"}
    assert set(check_process(**{**ok, "next_event": "Trial"})) == {"next_on"}
    assert set(check_process(**{**ok, "started_on": TODAY + timedelta(days=1)})) == {"started_on"}


def test_a_family_step_names_a_relationship_and_views_need_a_note():
    ok = dict(family_member="Mother", event="invited", happened_on=TODAY, note="", today=TODAY)
    assert check_family_step(**ok) == {}
    assert set(check_family_step(**{**ok, "family_member": " "})) == {"family_member"}
    assert set(check_family_step(**{**ok, "event": "views_recorded"})) == {"note"}
    assert set(check_family_step(**{**ok, "happened_on": TODAY + timedelta(days=1)})) == {"happened_on"}


# -- services -------------------------------------------------------------------------------------

def test_a_process_is_added_updated_and_audited(db):
    ref = new_review()
    manager = actor("manager")
    pid = context.record_process(manager, ref, process(delays_publication=True), TODAY)
    [p] = context.processes(actor("member"), ref)  # the whole panel reads them
    assert (p.kind, p.next_event, p.next_on, p.delays_publication) == ("criminal_proceedings", "Trial", LATER, True)
    context.record_process(manager, ref, process(status="concluded", concluded_on=TODAY, outcome="Guilty plea",
                                                 next_event="", next_on=None), TODAY, process_id=pid)
    [p] = context.processes(manager, ref)
    assert (p.status, p.concluded_on, p.outcome, p.next_on) == ("concluded", TODAY, "Guilty plea", None)
    with read_session() as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.action == "parallel_process")).all()
    assert [r.username for r in rows] == ["manager", "manager"] and '"Trial"' in rows[1].before


def test_a_bad_process_is_refused_whole_and_a_member_cannot_record_one(db):
    ref = new_review()
    with pytest.raises(ValidationFailed) as e:
        context.record_process(actor("manager"), ref, process(kind=None, next_event=""), TODAY)
    assert set(e.value.errors) == {"kind", "next_event"}
    with pytest.raises(NotFound):
        context.record_process(actor("member"), ref, process(), TODAY)
    assert context.processes(actor("manager"), ref) == []


def test_the_family_log_is_kept_by_and_shown_to_the_chair_and_manager_only(db):
    ref = new_review()
    context.record_family_step(actor("manager"), ref, family_member="Mother", event="invited",
                               happened_on=TODAY, note="", today=TODAY)
    context.record_family_step(actor("chair"), ref, family_member="Mother", event="views_recorded",
                               happened_on=TODAY, note="Felt the health visitor listened.", today=TODAY)
    assert [s.event for s in context.family_log(actor("chair"), ref)] == ["invited", "views_recorded"]
    for user in ("member",):
        with pytest.raises(NotFound):
            context.family_log(actor(user), ref)
        with pytest.raises(NotFound):
            context.record_family_step(actor(user), ref, family_member="Father", event="declined",
                                       happened_on=TODAY, note="", today=TODAY)
    with read_session() as s:
        audited = s.exec(select(AuditEvent.after).where(AuditEvent.action == "family_involvement")).all()
    assert len(audited) == 2 and "listened" not in "".join(audited)  # the family's words stay out of the log
    with pytest.raises(ValidationFailed) as e:
        context.record_family_step(actor("chair"), ref, family_member="Father", event="met",
                                   happened_on=date(2020, 1, 1), note="", today=TODAY)
    assert "started on" in e.value.errors["happened_on"]


# -- the review page ------------------------------------------------------------------------------

def test_the_manager_adds_a_process_and_a_family_step_on_the_review_page(db):
    ref = new_review()
    at = signed_in("manager", "pages/review.py", query={"ref": ref})
    assert "None recorded" in texts(at)
    kind = next(s for s in at.selectbox if s.label == "Process")
    kind.set_value("inquest")
    next(t for t in at.text_input if t.label == "Next event (e.g. trial, inquest hearing)").input("Inquest hearing")
    next(b for b in at.button if b.label == "Add process").click().run()
    assert not at.exception
    # the next event's date was left empty: the message shows beside it and nothing is saved
    assert "Enter the date of the next event." in texts(at)
    assert context.processes(actor("manager"), ref) == []
    next(d for d in at.date_input if d.label == "Next event's date").set_value(LATER)
    next(b for b in at.button if b.label == "Add process").click().run()
    assert [p.next_event for p in context.processes(actor("manager"), ref)] == ["Inquest hearing"]
    assert at.dataframe[1].value["process"].tolist() == ["Coroner's inquest"]
    who = next(t for t in at.text_input if t.label == "Family member (relationship)")
    who.input("Grandmother")
    next(s for s in at.selectbox if s.label == "What happened").set_value("invited")
    next(b for b in at.button if b.label == "Record").click().run()
    # no date chosen (the field starts empty, never today): said beside it, nothing recorded
    assert "Enter the date." in texts(at) and context.family_log(actor("manager"), ref) == []
    next(t for t in at.text_input if t.label == "Family member (relationship)").input("Grandmother")
    next(s for s in at.selectbox if s.label == "What happened").set_value("invited")
    next(d for d in at.date_input if d.label == "On").set_value(TODAY)
    next(b for b in at.button if b.label == "Record").click().run()
    assert not at.exception
    assert [s.family_member for s in context.family_log(actor("manager"), ref)] == ["Grandmother"]


def test_a_member_sees_processes_but_not_the_family_section(db):
    ref = new_review()
    context.record_process(actor("manager"), ref, process(), TODAY)
    at = signed_in("member", "pages/review.py", query={"ref": ref})
    assert not at.exception
    labels = [e.label for e in at.expander]
    assert any(label.startswith("Parallel processes (1)") for label in labels)
    assert not any("family" in label.lower() for label in labels)
    assert not [b for b in at.button if b.label in ("Add process", "Record")]


def test_the_agenda_item_of_a_review_carries_its_processes_and_for_the_chair_the_family(db):
    empty_nb()
    made = meeting_with_cases()
    context.record_process(actor("manager"), made.lcspr, process(delays_publication=True), TODAY)
    context.record_family_step(actor("manager"), made.lcspr, family_member="Mother", event="invited",
                               happened_on=TODAY, note="", today=TODAY)
    [case] = [c for c in meeting_cases.item_cases(actor("chair"), made.meeting_id, TODAY).values()
              if c.reference == made.lcspr]
    assert case.processes == [f"Criminal proceedings (T2026 0142): ongoing, Trial on {day(LATER)}; "
                              "publication waits for it"]
    assert case.family == [f"Invited to take part: mother, {day(TODAY)}"]
    order = [it.reference for it in meetings.get_meeting(actor("chair"), made.meeting_id).items]
    at = signed_in("chair", "pages/meeting.py", query={"meeting": str(made.meeting_id)})
    at.session_state[f"mt_{made.meeting_id}_idx"] = order.index(made.lcspr)  # the LCSPR's item
    at.run()
    assert not at.exception
    shown_text = texts(at)
    assert "Criminal proceedings (T2026 0142)" in shown_text and "Invited to take part: mother" in shown_text
