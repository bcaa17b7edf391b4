"""A rapid review's decision to hold an LCSPR opens the LCSPR, linked to it; the rapid review
stays complete and counted (docs/domain.md §6.3). Built from an empty partnership."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from panel.core.db import read_session, transaction
from panel.core.errors import ValidationFailed
from panel.models import AuditEvent, Review, ReviewMilestone, ReviewType
from panel.reports import service as reports
from panel.reviews import lifecycle, tracker
from panel.reviews import service as reviews
from panel.reviews.types_service import spec_of
from panel.screening import decisions
from panel.screening import service as screening
from panel.screening.rules import LCSPR_CONSIDERATIONS
from tests.conftest import TODAY
from tests.factories import (
    AWARE,
    accepted,
    actor,
    decision_form,
    empty_nb,
    referral,
    review_row,
    type_row,
)

DECIDED = date(2026, 11, 20)  # the panel's screening decision: the rapid review starts


@pytest.fixture
def nb(db):
    return empty_nb()


def rapid_review(decided_on: date = DECIDED) -> tuple[str, str, int]:
    """A referral decided as a rapid review, notified on the day of awareness:
    (referral, rapid review, decision id)."""
    ref = accepted()
    screening.record_notification(actor("chair"), ref, "national_panel", AWARE, "", TODAY)
    did = decisions.record_decision(actor("member"), ref, decision_form(decided_on=decided_on), TODAY)
    return ref, decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True), did


def outcome(review_ref: str, who: str = "chair", **kw) -> str | None:
    values = {"considerations": {k: "yes" for k, _ in LCSPR_CONSIDERATIONS}, "lcspr_decision": "lcspr",
              "sent_on": TODAY, "response": None, "response_note": "",
              "expected_version": review_row(review_ref).version, "today": TODAY, "decided_on": TODAY}
    values.update(kw)
    return reviews.record_rapid_review_outcome(actor(who), review_ref, **values)


def reviews_of(ref: str) -> list[Review]:
    rid = referral(ref).id
    with read_session() as s:
        return list(s.exec(select(Review).where(Review.referral_id == rid).order_by(Review.id)))


def planned(review_ref: str) -> dict[str, date]:
    with read_session() as s:
        rv = s.exec(select(Review).where(Review.reference == review_ref)).one()
        return {m.key: m.planned_on for m in s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id))}


def rapid_counted() -> int:
    """Rapid reviews in the timeliness figure (judged or not yet due), all time."""
    fig = reports.timeliness(actor("manager"), TODAY, period="all")["rapid_reviews"]
    return fig["total"] + fig["not_yet_due"]


def test_deciding_an_lcspr_opens_one_linked_lcspr_planned_from_the_decision(nb):
    ref, rapid, did = rapid_review()
    assert outcome(rapid) == f"{ref}-R2"
    found = reviews_of(ref)
    assert [r.reference for r in found] == [rapid, f"{ref}-R2"]
    rr, lcspr = found
    assert (lcspr.rapid_review_id, lcspr.referral_id, lcspr.decision_id) == (rr.id, rr.referral_id, did)
    assert lcspr.review_type_id == type_row("lcspr").id and lcspr.started_on == TODAY and lcspr.status == "open"
    assert planned(lcspr.reference) == lifecycle.planned_dates(spec_of(type_row("lcspr")), TODAY)
    assert (rr.status, rr.lcspr_decision) == ("open", "lcspr")
    view = reviews.get_review(actor("chair"), rapid, TODAY, record_view=False)
    assert view.lcspr_ref == lcspr.reference and view.lcspr_decided_on == TODAY
    assert {m["key"]: m["actual"] for m in view.milestones}["lcspr_decision_recorded"] == TODAY
    assert reviews.get_review(actor("chair"), lcspr.reference, TODAY, record_view=False).rapid_review_ref == rapid
    links = {x["reference"]: (x["rapid_review"], x["lcspr"]) for x in reviews.for_referral(actor("member"), ref)}
    assert links == {rapid: (None, lcspr.reference), lcspr.reference: (rapid, None)}
    with read_session() as s:
        opened = s.exec(select(AuditEvent).where(AuditEvent.action == "lcspr_opened")).one()
    assert (opened.entity_id, opened.username) == (lcspr.id, "chair")


def test_the_decision_date_plans_the_lcspr_and_dates_the_milestone(nb):
    ref, rapid, _ = rapid_review()
    day = date(2026, 11, 21)  # a Saturday after the rapid review started: a date, not a working day rule
    outcome(rapid, decided_on=day)
    lcspr = reviews_of(ref)[1]
    assert lcspr.started_on == day
    assert planned(lcspr.reference) == lifecycle.planned_dates(spec_of(type_row("lcspr")), day)
    view = reviews.get_review(actor("chair"), rapid, TODAY, record_view=False)
    assert view.lcspr_decided_on == day


@pytest.mark.parametrize(("decided_on", "message"), [
    (date(2026, 11, 24), "The date cannot be in the future."),
    (date(2026, 11, 19), "The decision cannot be before the rapid review started."),
    (None, "Enter the date the partners made the decision."),  # never assumed to be today
])
def test_the_decision_date_is_not_in_the_future_nor_before_the_review(nb, decided_on, message):
    ref, rapid, _ = rapid_review()
    with pytest.raises(ValidationFailed) as e:
        outcome(rapid, decided_on=decided_on)
    assert e.value.errors == {"decided_on": message}
    assert len(reviews_of(ref)) == 1 and review_row(rapid).lcspr_decision is None


def test_recording_the_lcspr_decision_again_opens_no_second_lcspr_and_is_audited(nb):
    ref, rapid, _ = rapid_review()
    first = outcome(rapid)
    assert outcome(rapid, response="agrees") == first  # the National Panel's reply, later
    assert len(reviews_of(ref)) == 2
    with read_session() as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.action == "rapid_review_outcome")
                      .order_by(AuditEvent.id)).all()
    assert len(rows) == 2 and '"agrees"' in rows[1].after and '"lcspr"' in rows[1].before


@pytest.mark.parametrize("other", ["no_lcspr", "other_local"])
def test_changing_the_decision_away_from_an_opened_lcspr_is_refused(nb, other):
    ref, rapid, _ = rapid_review()
    lcspr = outcome(rapid)
    with pytest.raises(ValidationFailed) as e:
        outcome(rapid, lcspr_decision=other)
    assert set(e.value.errors) == {"lcspr_decision"}
    assert lcspr in e.value.errors["lcspr_decision"] and "own page" in e.value.errors["lcspr_decision"]
    with pytest.raises(ValidationFailed) as e:  # nor re-dated under it
        outcome(rapid, decided_on=DECIDED)
    assert set(e.value.errors) == {"decided_on"}
    assert [(r.reference, r.status) for r in reviews_of(ref)] == [(rapid, "open"), (lcspr, "open")]
    assert review_row(rapid).lcspr_decision == "lcspr"


@pytest.mark.parametrize("decision", ["no_lcspr", "other_local"])
def test_no_lcspr_or_another_local_review_opens_nothing(nb, decision):
    ref, rapid, _ = rapid_review()
    assert outcome(rapid, lcspr_decision=decision) is None
    assert len(reviews_of(ref)) == 1 and review_row(rapid).lcspr_decision == decision
    assert outcome(rapid, lcspr_decision="lcspr") == f"{ref}-R2"  # the partners think again


def test_the_rapid_review_stays_counted_when_its_lcspr_opens(nb):
    _, rapid, _ = rapid_review()
    before = rapid_counted()
    assert before == 1
    outcome(rapid)
    assert rapid_counted() == before
    assert review_row(rapid).status == "open"
    lcsprs = reports.timeliness(actor("manager"), date(2027, 6, 30), period="all")["lcsprs"]
    assert lcsprs["total"] + lcsprs["not_yet_due"] == 1  # the new LCSPR, due 6 months from TODAY


def test_amending_the_screening_decision_never_supersedes_a_decided_rapid_review(nb):
    """Before the rapid review's decision opened the LCSPR, the way on was to amend the
    screening decision, which superseded the rapid review and dropped it from the figure."""
    ref, rapid, did = rapid_review()
    outcome(rapid, lcspr_decision="no_lcspr")
    before = rapid_counted()
    amended = decisions.record_decision(actor("chair"), ref, decision_form(
        "local_learning_review", amends_id=did, amendment_reason="The partners asked for a local review.",
        departure_rationale="Departs from the criteria because the partners asked for it."), TODAY)
    new = decisions.sign_decision(actor("chair"), amended, TODAY, attendance_confirmed=True)
    assert review_row(rapid).status == "open" and review_row(new).status == "open"
    assert rapid_counted() == before == 1


def test_amending_the_screening_decision_leaves_the_lcspr_and_its_rapid_review(nb):
    ref, rapid, did = rapid_review()
    lcspr = outcome(rapid)
    amended = decisions.record_decision(actor("chair"), ref, decision_form(
        "lcspr", amends_id=did, amendment_reason="The panel records the LCSPR as its outcome too."), TODAY)
    assert decisions.sign_decision(actor("chair"), amended, TODAY, attendance_confirmed=True) == lcspr
    assert [(r.reference, r.status) for r in reviews_of(ref)] == [(rapid, "open"), (lcspr, "open")]
    assert review_row(lcspr).decision_id == amended and review_row(lcspr).rapid_review_id == review_row(rapid).id


def test_an_undecided_rapid_review_is_still_superseded_by_an_amendment(nb):
    ref, rapid, did = rapid_review()
    amended = decisions.record_decision(actor("chair"), ref, decision_form(
        "lcspr", amends_id=did, amendment_reason="An LCSPR straight away, the panel now thinks."), TODAY)
    decisions.sign_decision(actor("chair"), amended, TODAY, attendance_confirmed=True)
    assert review_row(rapid).status == "superseded"


def test_the_tracker_shows_each_review_linked_to_the_other(nb):
    _, rapid, _ = rapid_review()
    lcspr = outcome(rapid)
    df = tracker.reviews(actor("manager"), tracker.TrackerFilter(), TODAY)
    assert dict(zip(df["reference"], df["linked"], strict=True)) == {rapid: lcspr, lcspr: rapid}


def test_no_lcspr_type_in_use_refuses_the_decision(nb):
    ref, rapid, _ = rapid_review()
    with transaction() as s:
        row = s.get(ReviewType, type_row("lcspr").id)
        row.active = False
        s.add(row)
    with pytest.raises(ValidationFailed) as e:
        outcome(rapid)
    assert set(e.value.errors) == {"lcspr_decision"}
    assert len(reviews_of(ref)) == 1


def test_survives_amendment():
    assert lifecycle.survives_amendment("no_lcspr", False, [False, True])
    assert lifecycle.survives_amendment(None, True, [])
    assert lifecycle.survives_amendment(None, False, [True, True])
    assert not lifecycle.survives_amendment(None, False, [True, False])
    assert not lifecycle.survives_amendment(None, False, [])
