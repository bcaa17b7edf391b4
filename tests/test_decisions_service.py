"""Screening, notifications, the panel's decision and the review it opens, at the service level.

Every case is built through the services (submit, accept, screen, decide) so the tests do not
depend on which historic decisions the demo happens to hold.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from panel.core.clock import add_working_days
from panel.core.db import read_session
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.models import (
    AuditEvent,
    Notification,
    Review,
    ReviewMilestone,
)
from panel.referrals import service as referrals
from panel.reviews import lifecycle
from panel.reviews import service as reviews
from panel.reviews import types_service as review_types
from panel.reviews.types_service import spec_of
from panel.screening import decisions
from panel.screening import service as screening
from panel.screening.rules import LCSPR_CONSIDERATIONS, assess
from tests.conftest import TODAY
from tests.factories import (
    accepted,
    actor,
    decision_form,
    decision_rows,
    ensure_review_types,
    nb_id,
    referral,
    referral_form,
    review_row,
    type_row,
    user_id,
)

NOTIFY_DUE = date(2026, 11, 27)  # five working days after referral_form's Friday 20 November


# --- helpers -------------------------------------------------------------------------------


def count(model, *where):
    with read_session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def decide(ref: str, outcome: str = "rapid_review", **kw) -> tuple[int, str | None]:
    """Recorded by the member, signed by the chair: (decision id, review reference)."""
    did = decisions.record_decision(actor("member"), ref, decision_form(outcome, **kw), TODAY)
    return did, decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def planned(reference: str) -> dict[str, date]:
    with read_session() as s:
        rv = s.exec(select(Review).where(Review.reference == reference)).one()
        rows = s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id)
                      .order_by(ReviewMilestone.position)).all()
    return {m.key: m.planned_on for m in rows}


# --- screening answers ---------------------------------------------------------------------


def test_save_facts_saves_the_changes_and_audits_them(demo_db):
    ref = accepted()
    before = referral(ref)
    assert before.interagency_concerns == "unclear" and not before.media_interest
    screening.save_facts(actor("chair"), ref, {"interagency_concerns": "yes", "media_interest": True,
                                                "harm": "serious_harm"}, before.version)
    after = referral(ref)
    assert after.interagency_concerns == "yes" and after.media_interest is True
    assert after.version == before.version + 1
    with read_session() as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "screening_answers",
                                                AuditEvent.entity_id == before.id)).one()
    assert event.username == "chair"
    # Only what changed is recorded, with its old value.
    assert json.loads(event.before) == {"interagency_concerns": "unclear", "media_interest": False}
    assert json.loads(event.after) == {"interagency_concerns": "yes", "media_interest": True}


def test_save_facts_refuses_a_combination_the_criteria_reject_and_saves_nothing(demo_db):
    ref = accepted()  # harm: serious_harm
    before = referral(ref)
    audits = count(AuditEvent, AuditEvent.action == "screening_answers")
    with pytest.raises(ValidationFailed) as e:
        screening.save_facts(actor("member"), ref, {"custody_death": True, "media_interest": True},
                             before.version)
    assert set(e.value.errors) == {"custody_death"}
    after = referral(ref)
    assert (after.custody_death, after.media_interest, after.version) == (False, False, before.version)
    assert count(AuditEvent, AuditEvent.action == "screening_answers") == audits


def test_save_facts_refuses_unknown_questions_and_stale_versions(demo_db):
    ref = accepted()
    version = referral(ref).version
    with pytest.raises(ValidationFailed) as e:
        screening.save_facts(actor("chair"), ref, {"aware_on": "2018-01-01"}, version)
    assert "aware_on" in e.value.errors
    screening.save_facts(actor("chair"), ref, {"interagency_concerns": "no"}, version)
    with pytest.raises(StaleEdit):  # a second screen still holds the old version
        screening.save_facts(actor("member"), ref, {"interagency_concerns": "yes"}, version)
    assert referral(ref).interagency_concerns == "no"


def test_manager_and_referrer_cannot_change_the_answers(demo_db):
    ref = accepted()
    version = referral(ref).version
    with pytest.raises(PermissionDenied):
        screening.save_facts(actor("manager"), ref, {"interagency_concerns": "yes"}, version)
    with pytest.raises(NotFound):  # the referrer did not submit it
        screening.save_facts(actor("referrer"), ref, {"interagency_concerns": "yes"}, version)
    assert not screening.screen(actor("manager"), ref, TODAY).can_edit
    assert screening.screen(actor("member"), ref, TODAY).can_edit


def test_screen_applies_unsaved_answers_without_saving_them(demo_db):
    ref = accepted()
    sc = screening.screen(actor("chair"), ref, TODAY)
    assert sc.result["route"] == "rapid_review"
    assert [(n.body, n.due_on) for n in sc.notifications] == [
        ("national_panel", NOTIFY_DUE), ("safeguarding_partners", NOTIFY_DUE)]
    assert sc.result["rapid_review_due"] == add_working_days(NOTIFY_DUE, 15).isoformat()
    live = screening.screen(actor("chair"), ref, TODAY, {"abuse_or_neglect": "no"})
    assert live.result["route"] == "no_review" and live.notifications == []
    bad = screening.screen(actor("chair"), ref, TODAY, {"custody_death": True})
    assert bad.result is None and set(bad.error) == {"custody_death"}
    assert referral(ref).abuse_or_neglect == "known"


def test_a_refused_combination_is_keyed_by_the_fact_the_engine_names(demo_db):
    ref = accepted()
    with pytest.raises(ValidationFailed) as e:
        screening.save_facts(actor("chair"), ref, {"custody_death": True}, referral(ref).version)
    assert set(e.value.errors) == {"custody_death"}
    assert set(screening.screen(actor("chair"), ref, TODAY, {"custody_death": True}).error) == {"custody_death"}


# --- notifications -------------------------------------------------------------------------


def test_record_notification_takes_its_due_date_from_the_engine(demo_db):
    ref = accepted()
    screening.record_notification(actor("manager"), ref, "national_panel", date(2026, 11, 23), "CINS-1", TODAY)
    with read_session() as s:
        n = s.exec(select(Notification).where(Notification.referral_id == referral(ref).id)).one()
    due = assess(screening.facts_of(referral(ref)))["notify"][0]["due"]
    assert n.body == "national_panel" and n.due_on == date.fromisoformat(due) == NOTIFY_DUE
    assert n.sent_on == date(2026, 11, 23) and n.sent_reference == "CINS-1"
    sc = screening.screen(actor("chair"), ref, TODAY)
    assert sc.notified_on == date(2026, 11, 23)
    sent = {r.body: r for r in sc.notifications}
    assert sent["national_panel"].rag == "done" and sent["safeguarding_partners"].sent_on is None
    # The rapid review's 15 working days now run from the real date.
    assert sc.result["rapid_review_due"] == add_working_days(date(2026, 11, 23), 15).isoformat()
    with pytest.raises(ValidationFailed) as e:
        screening.record_notification(actor("chair"), ref, "national_panel", TODAY, "", TODAY)
    assert "already recorded" in e.value.errors["body"]


def test_record_notification_refusals(demo_db):
    ref = accepted()
    with pytest.raises(ValidationFailed) as e:
        screening.record_notification(actor("chair"), ref, "national_panel", date(2026, 11, 24), "", TODAY)
    assert set(e.value.errors) == {"sent_on"}
    with pytest.raises(ValidationFailed) as e:  # a WT2018 case of a child not looked after
        screening.record_notification(actor("chair"), ref, "ofsted", TODAY, "", TODAY)
    assert set(e.value.errors) == {"body"}
    with pytest.raises(ValidationFailed) as e:
        screening.record_notification(actor("chair"), ref, "the_press", TODAY, "", TODAY)
    assert set(e.value.errors) == {"body"}
    with pytest.raises(ValidationFailed) as e:
        screening.record_notification(actor("chair"), ref, "national_panel", date(2026, 11, 19), "", TODAY)
    assert set(e.value.errors) == {"sent_on"}
    with pytest.raises(PermissionDenied):
        screening.record_notification(actor("referrer"), accepted_by_referrer(), "national_panel", TODAY, "", TODAY)
    assert count(Notification, Notification.referral_id == referral(ref).id) == 0


def accepted_by_referrer() -> str:
    """A referral the referrer submitted: they may read its progress, not record for it."""
    ensure_review_types()
    ref = referrals.submit(actor("referrer"), nb_id(), referral_form(child_initials="RF"), TODAY).reference
    referrals.triage(actor("chair"), ref, "accept", "", referral(ref).version)
    return ref


def test_a_rapid_review_replans_from_the_date_the_notification_was_sent(demo_db):
    ref = accepted()
    _, review_ref = decide(ref)
    spec = spec_of(type_row("rapid_review"))
    assert planned(review_ref) == lifecycle.planned_dates(spec, TODAY, NOTIFY_DUE)
    sent = date(2026, 11, 20)
    screening.record_notification(actor("chair"), ref, "national_panel", sent, "", TODAY)
    assert planned(review_ref) == lifecycle.planned_dates(spec, TODAY, sent)
    assert planned(review_ref) != lifecycle.planned_dates(spec, TODAY, NOTIFY_DUE)
    assert review_row(review_ref).notified_on == sent
    # Telling the safeguarding partners does not move the National Panel's clock.
    screening.record_notification(actor("chair"), ref, "safeguarding_partners", TODAY, "", TODAY)
    assert planned(review_ref) == lifecycle.planned_dates(spec, TODAY, sent)


# --- recording a decision ------------------------------------------------------------------


def test_an_empty_decision_gives_one_message_per_missing_part_and_saves_nothing(demo_db):
    ref = accepted()
    empty = decisions.DecisionForm(None, "", [], [], [], TODAY)
    with pytest.raises(ValidationFailed) as e:
        decisions.record_decision(actor("chair"), ref, empty, TODAY)
    assert set(e.value.errors) == {"review_type_id", "rationale", "present"}
    assert decision_rows(ref) == []
    with pytest.raises(ValidationFailed) as e:
        decisions.record_decision(actor("chair"), ref, decision_form(rationale="Too short"), TODAY)
    assert set(e.value.errors) == {"rationale"}


def test_an_outcome_that_departs_from_the_criteria_needs_its_own_rationale(demo_db):
    ref = accepted()  # the criteria say rapid review
    with pytest.raises(ValidationFailed) as e:
        decisions.record_decision(actor("chair"), ref, decision_form("no_further_review"), TODAY)
    assert set(e.value.errors) == {"departure_rationale"}
    assert decision_rows(ref) == []
    did = decisions.record_decision(actor("chair"), ref, decision_form(
        "no_further_review", departure_rationale="The harm was accidental: a later medical opinion."), TODAY)
    d = decision_rows(ref)[0]
    assert d.id == did and d.departs and d.engine_route == "rapid_review" and d.engine_regime == "WT2018"
    assert d.status == "draft" and d.departure_rationale.startswith("The harm was accidental")


def test_an_outcome_from_the_other_regime_is_refused(demo_db):
    ref = accepted()
    with pytest.raises(ValidationFailed) as e:
        decisions.record_decision(actor("chair"), ref, decision_form("scr"), TODAY)
    assert "WT2018" in e.value.errors["review_type_id"]


def test_attendance_and_conflicts(demo_db):
    ref = accepted()
    chair, member = user_id("chair"), user_id("member")
    cases = [
        ({"conflicts": [member], "present": [chair]}, "conflicts"),  # conflicted but not present
        ({"conflicts": [chair, member], "present": [chair, member]}, "conflicts"),  # all conflicted
        ({"apologies": [member], "present": [chair, member]}, "apologies"),
        ({"present": [user_id("chair.em")]}, "present"),  # not on this partnership's panel
        ({"decided_on": date(2026, 11, 24)}, "decided_on"),
        ({"decided_on": None}, "decided_on"),
    ]
    for changes, key in cases:
        with pytest.raises(ValidationFailed) as e:
            decisions.record_decision(actor("chair"), ref, decision_form(**changes), TODAY)
        assert set(e.value.errors) == {key}, changes
    with pytest.raises(ValidationFailed) as e:
        decisions.record_decision(actor("chair"), ref, decision_form(conflicts=[chair, member]), TODAY)
    assert "Everyone present is conflicted" in e.value.errors["conflicts"]
    assert decision_rows(ref) == []
    decisions.record_decision(actor("chair"), ref, decision_form(conflicts=[member]), TODAY)
    assert json.loads(decision_rows(ref)[0].conflicts) == [member]


def test_only_an_accepted_referral_can_be_decided_and_only_by_chair_or_member(demo_db):
    ensure_review_types()
    new = referrals.submit(actor("chair"), nb_id(), referral_form(child_initials="NW"), TODAY).reference
    with pytest.raises(ValidationFailed) as e:
        decisions.record_decision(actor("chair"), new, decision_form(), TODAY)
    assert set(e.value.errors) == {"status"}
    ref = accepted()
    with pytest.raises(PermissionDenied):
        decisions.record_decision(actor("manager"), ref, decision_form(), TODAY)
    assert decision_rows(ref) == []


# --- signing -------------------------------------------------------------------------------


def test_member_records_chair_signs_and_the_rapid_review_opens_with_its_milestones(demo_db):
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form(), TODAY)
    assert referral(ref).status == "accepted"
    with pytest.raises(PermissionDenied):
        decisions.sign_decision(actor("member"), did, TODAY, attendance_confirmed=True)
    with pytest.raises(PermissionDenied):
        decisions.sign_decision(actor("manager"), did, TODAY, attendance_confirmed=True)
    assert decision_rows(ref)[0].status == "draft"
    review_ref = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    assert review_ref == f"{ref}-R1"
    d = decision_rows(ref)[0]
    assert d.status == "signed" and d.signed_by_id == user_id("chair") and d.signed_at is not None
    assert referral(ref).status == "decided"
    rv = review_row(review_ref)
    assert rv.status == "open" and rv.decision_id == did and rv.started_on == TODAY and rv.notified_on is None
    rtype = type_row("rapid_review")
    assert rv.review_type_id == rtype.id
    spec = spec_of(rtype)
    # Before the notification is sent the rapid review's clock runs from its due date.
    expected = lifecycle.planned_dates(spec, TODAY, NOTIFY_DUE)
    assert planned(review_ref) == expected
    assert list(expected) == [m.key for m in spec.milestones]
    assert expected["sent_to_national_panel"] == date.fromisoformat(
        screening.screen(actor("chair"), ref, TODAY).result["rapid_review_due"])
    assert reviews.for_referral(actor("manager"), ref) == [
        {"reference": review_ref, "type": "Rapid review", "status": "open", "rapid_review": None, "lcspr": None}]
    with read_session() as s:
        signed = s.exec(select(AuditEvent).where(AuditEvent.action == "decision_signed",
                                                 AuditEvent.entity_id == referral(ref).id)).one()
    assert json.loads(signed.after)["review"] == review_ref


def test_milestones_run_from_the_sent_notification_when_it_was_sent_before_the_decision(demo_db):
    ref = accepted()
    sent = date(2026, 11, 23)
    screening.record_notification(actor("chair"), ref, "national_panel", sent, "", TODAY)
    _, review_ref = decide(ref)
    assert review_row(review_ref).notified_on == sent
    assert planned(review_ref) == lifecycle.planned_dates(spec_of(type_row("rapid_review")), TODAY, sent)


def test_a_decision_led_review_plans_from_the_decision_date(demo_db):
    ref = accepted(abuse_or_neglect="suspected", harm="other", child_initials="LL")
    decided_on = date(2026, 11, 23)
    _, review_ref = decide(ref, "local_learning_review", decided_on=decided_on)
    assert planned(review_ref) == lifecycle.planned_dates(spec_of(type_row("local_learning_review")), decided_on)


def test_an_outcome_without_a_review_decides_the_referral_and_opens_nothing(demo_db):
    ref = accepted(abuse_or_neglect="no", harm="other", child_initials="NR")
    did, review_ref = decide(ref, "no_further_review", rationale="No abuse or neglect: an accident at home.")
    assert review_ref is None
    assert referral(ref).status == "decided"
    assert count(Review, Review.referral_id == referral(ref).id) == 0
    assert decision_rows(ref)[0].status == "signed" and not decision_rows(ref)[0].departs


def test_a_conflicted_chair_cannot_sign(demo_db):
    ref = accepted()
    chair, member = user_id("chair"), user_id("member")
    did = decisions.record_decision(actor("member"), ref, decision_form(conflicts=[chair]), TODAY)
    with pytest.raises(ValidationFailed) as e:
        decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    assert "conflict" in e.value.errors["sign"]
    assert decision_rows(ref)[0].status == "draft"
    assert referral(ref).status == "accepted"
    assert count(Review, Review.referral_id == referral(ref).id) == 0
    assert member in json.loads(decision_rows(ref)[0].present)


def test_the_first_signature_wins(demo_db):
    ref = accepted()
    did = decisions.record_decision(actor("chair"), ref, decision_form(), TODAY)
    first, second = actor("chair"), actor("chair")  # two screens open on the same draft
    review_ref = decisions.sign_decision(first, did, TODAY, attendance_confirmed=True)
    with pytest.raises(StaleEdit):
        decisions.sign_decision(second, did, TODAY, attendance_confirmed=True)
    assert count(Review, Review.referral_id == referral(ref).id) == 1
    assert review_row(review_ref).decision_id == did


def test_a_newer_draft_replaces_the_unsigned_one(demo_db):
    ref = accepted()
    old = decisions.record_decision(actor("member"), ref, decision_form(), TODAY)
    new = decisions.record_decision(actor("chair"), ref, decision_form("lcspr"), TODAY)
    rows = {d.id: d for d in decision_rows(ref)}
    assert rows[old].status == "withdrawn" and rows[new].status == "draft"
    with pytest.raises(StaleEdit):  # the chair's screen still showed the old draft
        decisions.sign_decision(actor("chair"), old, TODAY, attendance_confirmed=True)
    assert decisions.sign_decision(actor("chair"), new, TODAY, attendance_confirmed=True) == f"{ref}-R1"


# --- amendments ----------------------------------------------------------------------------


def test_a_signed_decision_is_amended_by_a_new_version(demo_db):
    ref = accepted()
    v1, review1 = decide(ref)
    with pytest.raises(ValidationFailed) as e:  # not a second first decision
        decisions.record_decision(actor("chair"), ref, decision_form("lcspr"), TODAY)
    assert set(e.value.errors) == {"amends"}
    with pytest.raises(ValidationFailed) as e:
        decisions.record_decision(actor("chair"), ref, decision_form("lcspr", amends_id=v1), TODAY)
    assert set(e.value.errors) == {"amendment_reason"}
    v2 = decisions.record_decision(actor("chair"), ref, decision_form(
        "lcspr", amends_id=v1, amendment_reason="The rapid review found an LCSPR is needed."), TODAY)
    rows = {d.id: d for d in decision_rows(ref)}
    assert (rows[v1].version_no, rows[v1].status) == (1, "signed")
    assert (rows[v2].version_no, rows[v2].status) == (2, "draft")
    assert review_row(review1).status == "open"  # nothing changes until it is signed

    review2 = decisions.sign_decision(actor("chair"), v2, TODAY, attendance_confirmed=True)
    rows = {d.id: d for d in decision_rows(ref)}
    assert rows[v1].status == "superseded" and rows[v2].status == "signed"
    assert rows[v1].rationale == rows[v2].rationale  # both versions kept as they were
    # A different kind of review: the old one is superseded, a new one opens.
    assert review2 == f"{ref}-R2"
    assert review_row(review1).status == "superseded"
    new = review_row(review2)
    assert new.status == "open" and new.decision_id == v2
    assert planned(review2) == lifecycle.planned_dates(spec_of(type_row("lcspr")), TODAY)
    # Only the current signed decision can be amended.
    with pytest.raises(ValidationFailed) as e:
        decisions.record_decision(actor("chair"), ref, decision_form(
            "lcspr", amends_id=v1, amendment_reason="Amending the old version again."), TODAY)
    assert set(e.value.errors) == {"amends"}


def test_an_amendment_with_the_same_outcome_keeps_the_review(demo_db):
    ref = accepted()
    v1, review1 = decide(ref)
    before = planned(review1)
    v2 = decisions.record_decision(actor("member"), ref, decision_form(
        rationale="Rapid review confirmed; the police were present too.",
        amends_id=v1, amendment_reason="Attendance was recorded wrongly."), TODAY)
    assert decisions.sign_decision(actor("chair"), v2, TODAY, attendance_confirmed=True) == review1
    rv = review_row(review1)
    assert rv.status == "open" and rv.decision_id == v2
    assert planned(review1) == before
    assert count(Review, Review.referral_id == referral(ref).id) == 1
    assert [d.status for d in decision_rows(ref)] == ["superseded", "signed"]


# --- Working Together 2015 -----------------------------------------------------------------


def test_a_wt2015_referral_takes_the_scr_route_and_an_scr_outcome(demo_db):
    ref = accepted(aware_on=date(2018, 3, 1), incident_date=date(2018, 2, 26), child_initials="OS",
                   abuse_or_neglect="suspected", harm="serious_harm")
    sc = screening.screen(actor("chair"), ref, TODAY)
    assert (sc.result["regime"], sc.result["route"]) == ("WT2015", "scr")
    assert [n.body for n in sc.notifications] == ["ofsted"]
    assert "rapid_review_due" not in sc.result
    with pytest.raises(ValidationFailed) as e:
        decisions.record_decision(actor("chair"), ref, decision_form("rapid_review"), TODAY)
    assert "WT2015" in e.value.errors["review_type_id"]
    screening.record_notification(actor("chair"), ref, "ofsted", date(2018, 3, 7), "", TODAY)
    did, review_ref = decide(ref, "scr", rationale="Suspected abuse, serious harm, concerns unclear: SCR.")
    d = next(x for x in decision_rows(ref) if x.id == did)
    assert (d.engine_regime, d.engine_route, d.departs) == ("WT2015", "scr", False)
    rv = review_row(review_ref)
    assert rv.review_type_id == type_row("scr").id
    assert planned(review_ref) == lifecycle.planned_dates(spec_of(type_row("scr")), TODAY)


# --- partnership walls ---------------------------------------------------------------------


def test_another_partnerships_chair_finds_nothing(demo_db):
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form(), TODAY)
    other = actor("chair.em")
    version = referral(ref).version
    calls = [
        lambda: screening.screen(other, ref, TODAY),
        lambda: screening.save_facts(other, ref, {"interagency_concerns": "yes"}, version),
        lambda: screening.record_notification(other, ref, "national_panel", TODAY, "", TODAY),
        lambda: decisions.decisions_for(other, ref),
        lambda: decisions.record_decision(other, ref, decision_form(), TODAY),
        lambda: decisions.sign_decision(other, did, TODAY, attendance_confirmed=True),
        lambda: reviews.for_referral(other, ref),
    ]
    for call in calls:
        with pytest.raises(NotFound):
            call()
    assert decision_rows(ref)[0].status == "draft"
    review_ref = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    for call in [
        lambda: reviews.get_review(other, review_ref, TODAY),
        lambda: reviews.record_rapid_review_outcome(
            other, review_ref, considerations=_answers("no"), lcspr_decision="no_lcspr", sent_on=TODAY,
            response=None, response_note="", expected_version=1, today=TODAY, decided_on=TODAY),
    ]:
        with pytest.raises(NotFound):
            call()
    assert review_row(review_ref).lcspr_decision is None
    assert review_types.list_types(other, nb_id()) == []
    assert count(Notification, Notification.referral_id == referral(ref).id) == 0


# --- the rapid review's end ----------------------------------------------------------------


def _answers(value: str) -> dict[str, str]:
    return {key: value for key, _ in LCSPR_CONSIDERATIONS}


def _outcome(who: str, review_ref: str, **kw) -> None:
    values = {"considerations": _answers("no"), "lcspr_decision": "no_lcspr", "sent_on": TODAY,
              "response": None, "response_note": "", "expected_version": review_row(review_ref).version,
              "today": TODAY, "decided_on": TODAY}
    values.update(kw)
    reviews.record_rapid_review_outcome(actor(who), review_ref, **values)


def test_every_consideration_must_be_answered(demo_db):
    _, review_ref = decide(accepted())
    partial = _answers("yes")
    partial.pop("joint_working")
    partial["setting"] = "maybe"
    with pytest.raises(ValidationFailed) as e:
        _outcome("chair", review_ref, considerations=partial, lcspr_decision=None)
    assert set(e.value.errors) == {"consideration_joint_working", "consideration_setting", "lcspr_decision"}
    with pytest.raises(ValidationFailed) as e:
        _outcome("chair", review_ref, sent_on=date(2026, 11, 24))
    assert set(e.value.errors) == {"sent_on"}
    with pytest.raises(ValidationFailed) as e:
        _outcome("chair", review_ref, sent_on=date(2026, 11, 20))  # before the review started
    assert set(e.value.errors) == {"sent_on"}
    with pytest.raises(ValidationFailed) as e:
        _outcome("chair", review_ref, sent_on=None, response="agrees")
    assert set(e.value.errors) == {"response"}
    rv = review_row(review_ref)
    assert rv.lcspr_decision is None and rv.version == 1


def test_a_disagreeing_national_panel_needs_a_note(demo_db):
    _, review_ref = decide(accepted())
    with pytest.raises(ValidationFailed) as e:
        _outcome("manager", review_ref, response="disagrees", response_note="  ")
    assert set(e.value.errors) == {"response_note"}
    _outcome("manager", review_ref, response="disagrees", response_note="The Panel asks for an LCSPR.")
    rv = review_row(review_ref)
    assert rv.national_panel_response == "disagrees" and rv.national_panel_note == "The Panel asks for an LCSPR."


def test_the_rapid_review_outcome_is_saved_and_marks_its_milestones_done(demo_db):
    _, review_ref = decide(accepted())
    answers = {**_answers("no"), "improvements": "yes", "recurrent_themes": "unclear"}
    _outcome("chair", review_ref, considerations=answers, lcspr_decision="lcspr", sent_on=TODAY,
             response="agrees")
    rv = review_row(review_ref)
    assert json.loads(rv.lcspr_considerations) == answers
    assert (rv.lcspr_decision, rv.sent_to_national_panel_on, rv.national_panel_response) == ("lcspr", TODAY, "agrees")
    assert rv.version == 2
    view = reviews.get_review(actor("chair"), review_ref, TODAY)
    actual = {m["key"]: m["actual"] for m in view.milestones}
    assert actual["sent_to_national_panel"] == TODAY
    assert actual["lcspr_decision_recorded"] == TODAY
    assert actual["agency_summaries_requested"] is None
    status = {m["key"]: m["status"] for m in view.milestones}
    assert status["sent_to_national_panel"] == "done"
    assert view.considerations == answers and view.type_key == "rapid_review"
    with pytest.raises(StaleEdit):
        _outcome("chair", review_ref, expected_version=1)


def test_only_a_rapid_review_has_an_lcspr_decision(demo_db):
    _, review_ref = decide(accepted(abuse_or_neglect="suspected", harm="other", child_initials="LR"),
                           "local_learning_review")
    with pytest.raises(ValidationFailed) as e:
        _outcome("chair", review_ref)
    assert set(e.value.errors) == {"review"}


def test_signing_without_confirming_the_attendance_is_refused(demo_db):
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form(), TODAY)
    with pytest.raises(ValidationFailed) as e:
        decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=False)
    assert e.value.errors == {"attendance_confirmed": decisions.ATTENDANCE_UNCONFIRMED}
    assert [d.status for d in decision_rows(ref)] == ["draft"] and referral(ref).status == "accepted"
