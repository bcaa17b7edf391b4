"""Keeping a review's record: dates in order, delays with reasons, publication, agency requests."""

from datetime import date

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import NotFound, StaleEdit, ValidationFailed
from panel.models import AuditEvent, Review
from panel.reviews import lifecycle, tracker
from panel.reviews import record as review_record
from panel.reviews import service as reviews
from tests.conftest import TODAY, add_multi_manager


def actor(name):
    return accounts.actor_for(name)


def open_lcspr():
    with read_session() as s:
        return s.exec(select(Review).where(Review.reference == "NB-2026-005-R2")).one()


def milestones(ref):
    return {m["key"]: m for m in reviews.get_review(actor("manager"), ref, TODAY, record_view=False).milestones}


def version(ref):
    with read_session() as s:
        return s.exec(select(Review.version).where(Review.reference == ref)).one()


def test_recording_an_overdue_milestone_clears_it_and_is_audited(demo_db):
    ref = open_lcspr().reference
    overdue = next(k for k, m in milestones(ref).items() if m["status"] == "overdue")
    review_record.record_milestone(actor("manager"), ref, overdue, TODAY, version(ref), TODAY)
    assert milestones(ref)[overdue]["actual"] == TODAY
    with read_session() as s:
        rows = s.exec(select(AuditEvent).where(AuditEvent.action == "milestone")).all()
    assert rows and rows[-1].username == "manager"
    with pytest.raises(StaleEdit):  # a form opened before that save
        review_record.record_milestone(actor("chair"), ref, overdue, TODAY, version(ref) - 1, TODAY)


def test_dates_out_of_order_are_refused(demo_db):
    ref = open_lcspr().reference
    ms = milestones(ref)
    first = ms["terms_of_reference_agreed"]["actual"]
    with pytest.raises(ValidationFailed) as e:  # published before panel sign-off, say
        review_record.record_milestone(actor("manager"), ref, "panel_sign_off", TODAY, version(ref), TODAY)
        review_record.record_milestone(actor("manager"), ref, "publication", date(2026, 11, 20), version(ref), TODAY)
    assert "cannot be before" in e.value.errors["actual_on"]
    assert milestones(ref)["publication"]["actual"] is None
    with pytest.raises(ValidationFailed):
        review_record.record_milestone(actor("manager"), ref, "draft_report", date(2027, 1, 1), version(ref), TODAY)
    with pytest.raises(ValidationFailed):  # before the review started
        review_record.record_milestone(actor("manager"), ref, "draft_report", date(2020, 1, 1), version(ref), TODAY)
    assert first is not None


def test_delay_moves_later_targets_only_with_a_reason(demo_db):
    ref = open_lcspr().reference
    before = milestones(ref)
    with pytest.raises(ValidationFailed) as e:
        review_record.record_delay(actor("manager"), ref, TODAY, 20, "", version(ref))
    assert "reason" in e.value.errors
    review_record.record_delay(actor("manager"), ref, TODAY, 20, "Parallel criminal proceedings", version(ref))
    after = milestones(ref)
    for key, m in before.items():
        if m["actual"] is None and m["planned"] >= TODAY:
            assert after[key]["planned"] > m["planned"], key
        else:
            assert after[key]["planned"] == m["planned"], key
    _, delays, _ = review_record.record_details(actor("manager"), ref)
    assert delays[0].reason == "Parallel criminal proceedings"


def test_publication_copy_rule_and_website(demo_db):
    ref = open_lcspr().reference
    pub = date(2026, 11, 20)
    copy = lifecycle.copy_deadline(pub)
    assert lifecycle.copy_too_late(copy, pub) is False
    assert lifecycle.copy_too_late(date(2026, 11, 16), pub) is True
    assert lifecycle.website_until(pub) == date(2027, 11, 20)
    p, _, _ = review_record.record_details(actor("manager"), ref)
    assert p.planned_on is not None and p.published_on is None and p.website_until is None


def test_publication_delay_needs_a_reason(demo_db):
    ref = open_lcspr().reference
    with pytest.raises(ValidationFailed) as e:
        review_record.update_details(actor("manager"), ref, lead_reviewer="Independent reviewer Z",
                                     lead_reviewer_email="not-an-email", publication_status="withheld",
                                     publication_reason="", expected_version=version(ref))
    assert set(e.value.errors) == {"lead_reviewer_email", "publication_reason"}
    review_record.update_details(actor("manager"), ref, lead_reviewer="Independent reviewer Z",
                                 lead_reviewer_email="reviewer.z@example.org", publication_status="delayed",
                                 publication_reason="Criminal trial listed for spring", expected_version=version(ref))
    p, _, _ = review_record.record_details(actor("manager"), ref)
    assert p.status == "delayed" and "trial" in p.reason


def test_agency_requests(demo_db):
    ref = open_lcspr().reference
    police = next(a.id for a in agency_service.list_agencies(SYSTEM) if a.name == "Police")
    review_record.add_agency_request(actor("manager"), ref, agency_id=police, kind="chronology",
                                     requested_on=TODAY, due_on=date(2026, 12, 4), contact_email="", today=TODAY)
    with pytest.raises(ValidationFailed):
        review_record.add_agency_request(actor("manager"), ref, agency_id=police, kind="chronology",
                                         requested_on=TODAY, due_on=date(2026, 12, 4), contact_email="", today=TODAY)
    _, _, reqs = review_record.record_details(actor("manager"), ref)
    review_record.mark_received(actor("manager"), ref, reqs[0]["id"], TODAY, TODAY)
    _, _, reqs = review_record.record_details(actor("manager"), ref)
    assert reqs[0]["received_on"] == TODAY


def test_walls_and_roles(demo_db):
    ref = open_lcspr().reference
    with pytest.raises(NotFound):
        review_record.record_milestone(actor("chair.em"), ref, "draft_report", TODAY, version(ref), TODAY)
    with pytest.raises(ValidationFailed):  # a member reads but does not keep the record
        review_record.record_milestone(actor("member"), ref, "draft_report", TODAY, version(ref), TODAY)


def test_tracker_lists_own_partnership_most_urgent_first(demo_db):
    df = tracker.reviews(actor("manager"), tracker.TrackerFilter(), TODAY)
    assert len(df) and set(df["partnership"]) == {"NB"}
    several = actor(add_multi_manager())
    everyone = tracker.reviews(several, tracker.TrackerFilter(), TODAY)
    assert set(everyone["partnership"]) == {"NB", "EM", "WV"}
    order = {"red": 0, "amber": 1, "green": 2}
    assert list(everyone["rag"].map(order)) == sorted(everyone["rag"].map(order))
    closed = tracker.reviews(several, tracker.TrackerFilter(states=("closed",)), TODAY)
    assert len(closed) > len(everyone) and set(closed["state"]) == {"closed"}
    tl = tracker.timeline(several, tracker.TrackerFilter(), TODAY, everyone["reference"].head(3).tolist())
    assert set(tl["review"]) == set(everyone["reference"].head(3))
    assert tracker.reviews(actor("referrer"), tracker.TrackerFilter(), TODAY).empty
    assert tracker.reviews(actor("regional"), tracker.TrackerFilter(), TODAY).empty  # regional: no case data


def test_a_withheld_report_has_no_publication_date_and_a_published_one_is_not_withheld(demo_db):
    ref = open_lcspr().reference
    me = actor("manager")

    def status(value):
        review_record.update_details(me, ref, lead_reviewer="", lead_reviewer_email="", publication_status=value,
                                     publication_reason="In the interest of the child's siblings.",
                                     expected_version=version(ref))

    status("withheld")
    with pytest.raises(ValidationFailed) as e:
        review_record.record_milestone(me, ref, "publication", TODAY, version(ref), TODAY)
    assert "withheld" in e.value.errors["actual_on"] and milestones(ref)["publication"]["actual"] is None
    status("planned")
    review_record.record_milestone(me, ref, "publication", TODAY, version(ref), TODAY)
    with pytest.raises(ValidationFailed) as e:
        status("withheld")
    assert set(e.value.errors) == {"publication_status"} and "published on Mon 23 Nov 2026" in e.value.errors["publication_status"]
    assert review_record.record_details(me, ref)[0].status == "planned"
    status("delayed")  # published later than planned: a delay still says why
