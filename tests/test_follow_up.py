"""Impact follow-up of a closed action (docs/domain.md §7.1): a date set when closing (or later),
refused unless after the closing day; the result recorded by a chair or business manager, with
the learning source that found it; follow-ups due on the register and in the reminder digests of
the owner and the managers. Built from an empty partnership."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import func, select

from panel.core.access import SYSTEM
from panel.core.clock import add_working_days, day
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.core.validation import FUTURE_DATE
from panel.learning import actions, follow_up
from panel.learning import follow_up_rules as rules
from panel.learning import service as learning
from panel.models import Action, ActionNote, AuditEvent, LearningSource, Partnership
from panel.reminders import service as reminders
from panel.screening import decisions
from tests.conftest import TODAY
from tests.factories import accepted, actor, agency_id, decision_form, empty_nb

EVIDENCE = "A re-audit of 20 strategy meetings found the police at every one of them."
RESULT = "The re-audit six months on found police at 19 of 20 strategy meetings."
LATER = TODAY + timedelta(days=182)


def load(action_id: int) -> Action:
    with read_session() as s:
        return s.get(Action, action_id)


def count(model, *where) -> int:
    with read_session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


@pytest.fixture
def act(db) -> int:
    """An open action on a review's recommendation, owned by dana@example.org, on an empty NB."""
    empty_nb()
    did = decisions.record_decision(actor("member"), accepted(), decision_form("lcspr"), TODAY)
    ref = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    me, police = actor("manager"), agency_id("Police")
    rec = learning.add_recommendation(me, "Police attend every strategy meeting.", TODAY, [police],
                                      review_reference=ref, today=TODAY)
    return actions.add_action(me, rec, police, "Dana Owner", "dana@example.org", "Audit strategy meeting attendance.",
                              TODAY + timedelta(days=30))


def closed(action_id: int, follow_up_on: date | None = LATER) -> Action:
    actions.close_action(actor("chair"), action_id, EVIDENCE, load(action_id).version, TODAY, follow_up_on=follow_up_on)
    return load(action_id)


# --- the pure rules ---------------------------------------------------------------------------


def test_follow_up_dates_and_states():
    assert rules.date_problem(None, TODAY) is None
    assert rules.date_problem(TODAY + timedelta(days=1), TODAY) is None
    assert "after the action is closed (Mon 23 Nov 2026)" in rules.date_problem(TODAY, TODAY)
    assert "after the action is closed" in rules.date_problem(TODAY - timedelta(days=1), TODAY)
    assert "within 5 years" in rules.date_problem(date(2032, 1, 1), TODAY)
    assert rules.state(None, None, TODAY) is None
    assert rules.state(TODAY - timedelta(days=1), None, TODAY) == "overdue"
    assert rules.state(add_working_days(TODAY, 10), None, TODAY) == "due"
    assert rules.state(add_working_days(TODAY, 11), None, TODAY) == "scheduled"
    assert rules.state(TODAY - timedelta(days=1), TODAY, TODAY) == "done"


# --- closing with a follow-up date ------------------------------------------------------------


@pytest.mark.parametrize("when", [TODAY - timedelta(days=1), TODAY])
def test_a_follow_up_on_or_before_the_closing_day_is_refused_and_nothing_changes(act, when):
    audits, notes = count(AuditEvent), count(ActionNote)
    with pytest.raises(ValidationFailed) as e:
        actions.close_action(actor("chair"), act, EVIDENCE, 1, TODAY, follow_up_on=when)
    assert set(e.value.errors) == {"follow_up_on"} and "after the action is closed" in e.value.errors["follow_up_on"]
    a = load(act)
    assert (a.status, a.version, a.follow_up_on) == ("open", 1, None)
    assert count(AuditEvent) == audits and count(ActionNote) == notes


def test_both_problems_are_named_at_once(act):
    with pytest.raises(ValidationFailed) as e:
        actions.close_action(actor("manager"), act, "Done.", 1, TODAY, follow_up_on=TODAY)
    assert set(e.value.errors) == {"evidence_of_impact", "follow_up_on"}


def test_closing_sets_the_follow_up_date_audited_and_noted(act):
    a = closed(act)
    assert (a.status, a.closed_on, a.follow_up_on) == ("closed", TODAY, LATER)
    with read_session() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "action_close")).one()
        note = s.exec(select(ActionNote).where(ActionNote.action_id == act).order_by(ActionNote.id.desc())).first()
    assert f'"follow_up_on": "{LATER.isoformat()}"' in row.after
    assert note.text.endswith(f"Follow-up due on {day(LATER)}.")


def test_closing_without_a_follow_up_still_works(act):
    assert closed(act, None).follow_up_on is None


# --- setting it later, and recording the result -----------------------------------------------


def test_the_date_can_be_set_moved_and_cleared_by_a_chair_or_manager_only(act):
    with pytest.raises(ValidationFailed) as e:  # the action is still open
        follow_up.schedule_follow_up(actor("chair"), act, LATER, 1, today=TODAY)
    assert set(e.value.errors) == {"follow_up_on"}
    a = closed(act, None)
    with pytest.raises(PermissionDenied):
        follow_up.schedule_follow_up(actor("member"), act, LATER, a.version, today=TODAY)
    with pytest.raises(ValidationFailed):
        follow_up.schedule_follow_up(actor("manager"), act, TODAY, a.version, today=TODAY)
    follow_up.schedule_follow_up(actor("manager"), act, LATER, a.version, today=TODAY)
    assert (load(act).follow_up_on, load(act).version) == (LATER, a.version + 1)
    with pytest.raises(StaleEdit):
        follow_up.schedule_follow_up(actor("chair"), act, LATER + timedelta(days=7), a.version, today=TODAY)
    follow_up.schedule_follow_up(actor("chair"), act, None, a.version + 1, today=TODAY)
    assert load(act).follow_up_on is None
    with read_session() as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.action == "action_follow_up_date")
                      .order_by(AuditEvent.id)).all()
    assert [(r.username, r.entity_id) for r in rows] == [("manager", act), ("chair", act)]


@pytest.mark.parametrize(("done_on", "result", "field", "says"), [
    (TODAY + timedelta(days=1), RESULT, "follow_up_done_on", FUTURE_DATE),
    (None, RESULT, "follow_up_done_on", "Enter the date"),
    (TODAY - timedelta(days=1), RESULT, "follow_up_done_on", "before the action was closed"),
    (TODAY, "Fine.", "follow_up_result", "Say what the follow-up found"),
])
def test_a_bad_result_is_refused_by_field_and_nothing_changes(act, done_on, result, field, says):
    a = closed(act)
    audits = count(AuditEvent)
    with pytest.raises(ValidationFailed) as e:
        follow_up.record_follow_up(actor("chair"), act, done_on, result, expected_version=a.version, today=TODAY)
    assert says in e.value.errors[field]
    assert (load(act).follow_up_done_on, load(act).version) == (None, a.version) and count(AuditEvent) == audits


def test_the_result_is_recorded_with_its_learning_source_and_leaves_the_due_list(act):
    a = closed(act, TODAY + timedelta(days=3))
    with transaction() as s:
        pid = a.partnership_id
        other = Partnership(code="EM", name="Eastmere")
        s.add(other)
        s.flush()
        mine = LearningSource(partnership_id=pid, kind="case_file_audit", title="Strategy meetings re-audit")
        theirs = LearningSource(partnership_id=other.id, kind="case_file_audit", title="Eastmere audit")
        s.add_all([mine, theirs])
    assert follow_up.source_choices(actor("chair"), pid) == {mine.id: "Strategy meetings re-audit"}
    due = follow_up.follow_ups_due(actor("member"), actions.RegisterFilter(), TODAY)
    assert list(due["id"]) == [act] and list(due["state"]) == ["Follow-up due"]
    with pytest.raises(ValidationFailed) as e:  # another partnership's source
        follow_up.record_follow_up(actor("chair"), act, TODAY, RESULT, theirs.id, expected_version=a.version,
                                   today=TODAY)
    assert set(e.value.errors) == {"follow_up_source_id"}
    with pytest.raises(PermissionDenied):  # a member records progress, not the follow-up
        follow_up.record_follow_up(actor("member"), act, TODAY, RESULT, expected_version=a.version, today=TODAY)
    follow_up.record_follow_up(actor("chair"), act, TODAY, RESULT, mine.id, expected_version=a.version, today=TODAY)
    got = load(act)
    assert (got.follow_up_done_on, got.follow_up_result, got.follow_up_source_id) == (TODAY, RESULT, mine.id)
    with read_session() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "action_follow_up")).one()
    assert (row.username, row.entity, row.entity_id) == ("chair", "action", act) and RESULT in row.after
    assert follow_up.follow_ups_due(actor("member"), actions.RegisterFilter(), TODAY).empty
    with pytest.raises(ValidationFailed):  # done: nothing left to schedule
        follow_up.schedule_follow_up(actor("chair"), act, LATER, got.version, today=TODAY)


def test_another_partnerships_action_is_not_found(act):
    closed(act)
    with transaction() as s:
        s.add(Partnership(code="EM", name="Eastmere"))
    from panel.core.access import Actor
    with read_session() as s:
        em = s.exec(select(Partnership.id).where(Partnership.code == "EM")).one()
    outsider = Actor(user_id=None, username="em.chair", name="EM chair", roles={em: frozenset({"chair"})})
    with pytest.raises(NotFound):
        follow_up.record_follow_up(outsider, act, TODAY, RESULT, expected_version=load(act).version, today=TODAY)
    with pytest.raises(NotFound):
        follow_up.source_choices(outsider, load(act).partnership_id)
    assert follow_up.follow_ups_due(outsider, actions.RegisterFilter(), TODAY).empty


# --- the register and the reminders -------------------------------------------------------------


def test_follow_ups_due_follow_the_register_filters(act):
    closed(act, TODAY + timedelta(days=1))
    f = actions.RegisterFilter(owner="dana")
    assert list(follow_up.follow_ups_due(actor("chair"), f, TODAY)["id"]) == [act]
    assert follow_up.follow_ups_due(actor("chair"), actions.RegisterFilter(owner="nobody"), TODAY).empty
    far = TODAY + timedelta(days=60)  # not yet due
    follow_up.schedule_follow_up(actor("chair"), act, far, load(act).version, today=TODAY)
    assert follow_up.follow_ups_due(actor("chair"), actions.RegisterFilter(), TODAY).empty
    # on the day after the date, it is overdue
    overdue = follow_up.follow_ups_due(actor("chair"), actions.RegisterFilter(), far + timedelta(days=1))
    assert list(overdue["state"]) == ["Follow-up overdue"] and list(overdue["working_days_left"]) == [-1]


def test_a_follow_up_due_reaches_the_owner_and_the_managers_digests(act):
    closed(act, TODAY + timedelta(days=2))
    sent = {d.recipient: d.body for d in reminders.digests(TODAY)}
    line = f"Impact follow-up of action {act} for Police: Audit strategy meeting attendance."
    assert line in sent["dana@example.org"] and line in sent["manager@example.org"]
    assert "chair@example.org" not in sent
    later = {d.recipient: d for d in reminders.digests(TODAY + timedelta(days=10))}
    assert [x.item.kind for x in later["dana@example.org"].overdue] == ["follow_up"]
    a = load(act)
    follow_up.record_follow_up(SYSTEM, act, TODAY + timedelta(days=2), RESULT, expected_version=a.version,
                               today=TODAY + timedelta(days=2))
    assert not any("Impact follow-up" in d.body for d in reminders.digests(TODAY + timedelta(days=10)))
