"""Closing a review: its closure milestone recorded and every action on its recommendations closed
with evidence of impact or carried to a named owner (docs/domain.md §6.3); closed, published and
withheld are different states, and the tracker filters by them. Built from an empty partnership."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from panel.core.db import read_session
from panel.core.errors import PermissionDenied, StaleEdit, ValidationFailed
from panel.learning import actions, carry
from panel.learning import service as learning
from panel.models import Action, AuditEvent
from panel.reviews import closing, lifecycle, tracker
from panel.reviews import record as review_record
from panel.reviews.types import CLOSURE_KEY
from panel.screening import decisions
from tests.conftest import TODAY
from tests.factories import accepted, actor, agency_id, decision_form, empty_nb, review_row

EVIDENCE = "A re-audit of 20 strategy meetings found the police at every one of them."


# --- the pure rules ---------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "publication", "published_on", "closed_on", "state"), [
    ("open", "planned", None, None, "open"),
    ("open", "delayed", None, None, "open"),  # delayed: still expected
    ("open", "planned", TODAY, None, "published"),
    ("open", "withheld", None, None, "withheld"),
    ("closed", "planned", TODAY, TODAY, "closed"),  # closed wins over published
    ("closed", "withheld", None, None, "closed"),  # an older closed review has no closing date
    ("superseded", "planned", None, None, "superseded"),
])
def test_review_state(status, publication, published_on, closed_on, state):
    assert lifecycle.review_state(status, publication, published_on, closed_on) == state
    assert state in lifecycle.REVIEW_STATES


def test_an_action_is_settled_closed_or_carried_with_owner_and_reason():
    assert lifecycle.action_settled("closed", None, None)
    assert lifecycle.action_settled("carried", "Learning sub-group", "Runs past closure.")
    assert not lifecycle.action_settled("carried", "  ", "Runs past closure.")
    assert not lifecycle.action_settled("carried", "Learning sub-group", "")
    for status in ("open", "in_progress", "completed"):
        assert not lifecycle.action_settled(status, "Learning sub-group", "Runs past closure.")


def test_closure_blockers_name_the_milestone_and_each_unsettled_action():
    ms = [{"key": "draft_report", "name": "Draft report", "actual": None},
          {"key": CLOSURE_KEY, "name": "Closure", "actual": None}]
    acts = [{"id": 7, "text": "Audit attendance.", "agency": "Police", "owner": "Dana Owner", "status": "open"},
            {"id": 8, "text": "Train staff.", "agency": "Police", "owner": "Dana Owner", "status": "closed"},
            {"id": 9, "text": "Brief managers.", "agency": None, "owner": "Sam", "status": "carried",
             "carried_to": "Sub-group", "carried_reason": "Runs on."}]
    blockers = lifecycle.closure_blockers(ms, acts)
    assert blockers[0] == "Closure has not been recorded."  # the draft report may be skipped
    assert len(blockers) == 2 and "Action 7 for Police (Dana Owner)" in blockers[1] and "Audit attendance." in blockers[1]
    ms[1]["actual"] = TODAY
    assert lifecycle.closure_blockers(ms, acts[1:]) == []


def test_a_type_without_a_closure_milestone_needs_every_milestone():
    ms = [{"key": "sent_to_national_panel", "name": "Sent", "actual": TODAY},
          {"key": "lcspr_decision_recorded", "name": "LCSPR decision recorded", "actual": None}]
    assert lifecycle.closure_blockers(ms, []) == ["Not every milestone has been recorded (LCSPR decision recorded)."]
    ms[1]["actual"] = TODAY
    assert lifecycle.closure_blockers(ms, []) == []


# --- the services -------------------------------------------------------------------------------


@pytest.fixture
def nb(db):
    return empty_nb()


def decided(outcome: str = "lcspr", **kw) -> str:
    ref = accepted(**kw)
    did = decisions.record_decision(actor("member"), ref, decision_form(outcome), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def with_actions(review_ref: str) -> dict[str, int]:
    """Two actions on a recommendation answering one of the review's findings, and one on a
    recommendation the review made directly."""
    me, police, csc = actor("manager"), agency_id("Police"), agency_id("Children's social care")
    fid = learning.add_finding(me, "Strategy meetings were held without the police.", TODAY,
                               review_reference=review_ref, today=TODAY)
    via_finding = learning.add_recommendation(me, "Police attend every strategy meeting.", TODAY, [police],
                                              finding_id=fid, today=TODAY)
    direct = learning.add_recommendation(me, "Managers check attendance monthly.", TODAY, [csc],
                                         review_reference=review_ref, today=TODAY)
    due = TODAY + timedelta(days=30)
    return {
        "audit": actions.add_action(me, via_finding, police, "Dana Owner", None, "Audit strategy meeting attendance.", due),
        "brief": actions.add_action(me, via_finding, csc, "Sam Carer", None, "Brief every team manager.", due),
        "check": actions.add_action(me, direct, csc, "Lee Checker", None, "Check attendance each month.", due),
    }


def version(action_id: int) -> int:
    with read_session() as s:
        return s.get(Action, action_id).version


def close(review_ref: str, who: str = "manager", on: date = TODAY) -> None:
    closing.close_review(actor(who), review_ref, on, review_row(review_ref).version, TODAY)


def record_closure(review_ref: str, on: date = TODAY) -> None:
    review_record.record_milestone(actor("manager"), review_ref, CLOSURE_KEY, on, review_row(review_ref).version, TODAY)


def test_closing_is_refused_with_its_blockers_then_accepted_once_every_action_is_settled(nb):
    ref = decided()
    ids = with_actions(ref)
    with pytest.raises(ValidationFailed) as e:
        close(ref)
    message = e.value.errors["closure"]
    assert "Closure has not been recorded." in message
    for owner, text in (("Dana Owner", "Audit strategy"), ("Sam Carer", "Brief every"), ("Lee Checker", "Check attendance")):
        assert owner in message and text in message
    assert review_row(ref).status == "open"

    record_closure(ref)
    actions.close_action(actor("chair"), ids["audit"], EVIDENCE, version(ids["audit"]), TODAY)
    carry.carry_action(actor("manager"), ids["brief"], "Learning and improvement sub-group",
                       "The briefings run on into next year's programme.", version(ids["brief"]))
    blockers = closing.closure(actor("member"), ref).blockers
    assert len(blockers) == 1 and "Lee Checker" in blockers[0]
    with pytest.raises(ValidationFailed) as e:
        close(ref)
    assert set(e.value.errors) == {"closure"} and "Lee Checker" in e.value.errors["closure"]
    assert "Dana Owner" not in e.value.errors["closure"] and "Sam Carer" not in e.value.errors["closure"]

    carry.carry_action(actor("chair"), ids["check"], "Children's social care quality team",
                       "Monthly checks are now part of their audit cycle.", version(ids["check"]))
    close(ref)
    rv = review_row(ref)
    assert (rv.status, rv.closed_on) == ("closed", TODAY)
    assert closing.closure(actor("member"), ref).state == "closed"
    with read_session() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "review_close")).one()
    assert (row.entity_id, row.username) == (rv.id, "manager") and '"closed"' in row.after
    with pytest.raises(ValidationFailed) as e:
        close(ref)
    assert e.value.errors == {"review": closing.NOT_OPEN["closed"]}


def test_a_review_without_recommendations_closes_on_its_closure_milestone(nb):
    ref = decided()
    record_closure(ref, date(2026, 11, 23))
    with pytest.raises(ValidationFailed) as e:
        close(ref, on=date(2026, 11, 24))
    assert set(e.value.errors) == {"closed_on"}  # not in the future
    close(ref)
    assert review_row(ref).status == "closed"


def test_a_closed_reviews_record_no_longer_changes(nb):
    ref = decided()
    record_closure(ref)
    close(ref)
    with pytest.raises(ValidationFailed) as e:
        record_closure(ref, date(2026, 11, 20))
    assert "closed" in e.value.errors["review"]
    with pytest.raises(ValidationFailed):
        review_record.update_details(actor("manager"), ref, lead_reviewer="Someone New", lead_reviewer_email="",
                                     publication_status="planned", publication_reason="",
                                     expected_version=review_row(ref).version)
    assert review_row(ref).lead_reviewer is None


def test_only_the_chair_or_manager_closes_and_a_stale_form_is_refused(nb):
    ref = decided()
    record_closure(ref)
    with pytest.raises(PermissionDenied):
        close(ref, who="member")
    with pytest.raises(StaleEdit):
        closing.close_review(actor("chair"), ref, TODAY, review_row(ref).version - 1, TODAY)
    assert review_row(ref).status == "open"


def test_carrying_needs_a_named_owner_and_a_reason_and_keeps_the_action_on_the_register(nb):
    ref = decided()
    ids = with_actions(ref)
    with pytest.raises(ValidationFailed) as e:
        carry.carry_action(actor("manager"), ids["audit"], " ", "short", version(ids["audit"]))
    assert set(e.value.errors) == {"carried_to", "carried_reason"}
    with pytest.raises(PermissionDenied):
        carry.carry_action(actor("member"), ids["audit"], "Sub-group", "The audit runs next year.", version(ids["audit"]))
    carry.carry_action(actor("manager"), ids["audit"], "Sub-group", "The audit runs next year.", version(ids["audit"]))
    with read_session() as s:
        a = s.get(Action, ids["audit"])
    assert (a.status, a.carried_to, a.carried_reason) == ("carried", "Sub-group", "The audit runs next year.")
    df, _ = actions.register(actor("member"), actions.RegisterFilter(), TODAY)  # still to do
    assert dict(zip(df["id"], df["status"], strict=True))[ids["audit"]] == actions.STATUSES["carried"]
    actions.close_action(actor("chair"), ids["brief"], EVIDENCE, version(ids["brief"]), TODAY)
    with pytest.raises(ValidationFailed) as e:
        carry.carry_action(actor("manager"), ids["brief"], "Sub-group", "Nothing left to do here.", version(ids["brief"]))
    assert set(e.value.errors) == {"carried_to"}
    with read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "action_carry")).one().entity_id == ids["audit"]


def test_closing_cannot_come_before_the_closure_milestone(nb):
    ref = decided()
    record_closure(ref)
    with pytest.raises(ValidationFailed) as e:
        close(ref, on=TODAY - timedelta(days=1))
    assert set(e.value.errors) == {"closed_on"}


def test_the_tracker_filters_by_state(nb):
    running = decided()
    published = decided(child_initials="PB")
    review_record.record_milestone(actor("manager"), published, "publication", TODAY,
                                   review_row(published).version, TODAY)
    withheld = decided(child_initials="WH")
    review_record.update_details(actor("manager"), withheld, lead_reviewer="", lead_reviewer_email="",
                                 publication_status="withheld", publication_reason="To protect the child's sibling.",
                                 expected_version=review_row(withheld).version)
    closed = decided(child_initials="CL")
    review_record.record_milestone(actor("manager"), closed, "publication", TODAY, review_row(closed).version, TODAY)
    record_closure(closed)
    close(closed)
    rapid = decided("rapid_review", child_initials="SU")
    ref = rapid.rsplit("-", 1)[0]
    amended = decisions.record_decision(actor("chair"), ref, decision_form(
        "lcspr", amends_id=review_row(rapid).decision_id, amendment_reason="An LCSPR straight away."), TODAY)
    replacement = decisions.sign_decision(actor("chair"), amended, TODAY, attendance_confirmed=True)
    expected = {"open": {running, replacement}, "published": {published}, "withheld": {withheld},
                "closed": {closed}, "superseded": {rapid}}
    me = actor("member")
    for state, refs in expected.items():
        df = tracker.reviews(me, tracker.TrackerFilter(states=(state,)), TODAY)
        assert set(df["reference"]) == refs, state
        assert set(df["state"]) == {state}
    default = tracker.reviews(me, tracker.TrackerFilter(), TODAY)
    assert set(default["reference"]) == {running, replacement, published, withheld}
    assert len(tracker.reviews(me, tracker.TrackerFilter(states=()), TODAY)) == 6
