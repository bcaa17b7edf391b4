"""A review's documents through the service (docs/domain.md §11): upload, replace, list, download
(hash checked, audited), who may see what, another partnership's document "not found", agency
reports marking their request received, and the final report's anonymisation check gating the
publication (with the partners' sign-offs, tests/test_final_report_sign_off.py). Built from an empty partnership; the file store is the test's local folder, and the
round trip runs on the S3-compatible server too."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.documents import checks, rules, signoffs
from panel.documents import service as documents
from panel.documents.service import Target
from panel.documents.store import StoreError, get_store
from panel.drafting.rules import PARTNERS
from panel.models import AgencyRequest, AuditEvent, DocumentVersion, ReviewMilestone
from panel.reviews import record as review_record
from panel.reviews.types import PUBLICATION_KEY
from panel.screening import decisions
from tests.conftest import TODAY
from tests.document_files import EXE, PNG, docx_bytes, pdf_bytes
from tests.factories import accepted, actor, agency_id, decision_form, empty_nb, review_row
from tests.s3server import s3_server


@pytest.fixture
def nb(db):
    return empty_nb()


def decided(outcome: str = "lcspr", **kw) -> str:
    ref = accepted(**kw)
    did = decisions.record_decision(actor("member"), ref, decision_form(outcome), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def upload(who: str, ref: str, data: bytes, *, kind: str = "other", title: str = "A document",
           visibility: str = "panel", agency: str | None = None, filename: str = "file.docx") -> int:
    return documents.upload(actor(who), Target(review=ref), kind=kind, title=title,
                            agency_id=agency_id(agency) if agency else None, visibility=visibility,
                            filename=filename, data=data, today=TODAY)


def audit_rows(action: str) -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_upload_list_download_round_trip_audited(nb):
    ref = decided()
    data = docx_bytes(["Police chronology."])
    doc = upload("member", ref, data, kind="chronology", title="Police chronology", agency="Police",
                 filename="../../Police chronology.docx")
    rows = documents.listing(actor("chair"), Target(review=ref))
    assert [(r.title, r.kind, r.agency, r.version_no, r.filename, r.size) for r in rows] == [
        ("Police chronology", "chronology", "Police", 1, "Police chronology.docx", len(data))]
    got = documents.download(actor("manager"), doc)
    assert got.data == data and got.filename == "Police chronology.docx" and got.version_no == 1
    view = audit_rows("view")[-1]
    assert (view.entity, view.entity_id, view.username) == ("document", doc, "manager")
    assert '"version": 1' in view.after
    assert audit_rows("document_upload")[-1].entity_id == doc


def test_a_refused_file_stores_nothing(nb):
    ref = decided()
    with pytest.raises(ValidationFailed) as e:
        upload("member", ref, EXE, title="", filename="report.docx")
    assert e.value.errors["file"] == rules.PROGRAM and "title" in e.value.errors
    assert documents.listing(actor("chair"), Target(review=ref)) == []
    assert list(get_store().names()) == []


def test_replace_keeps_the_old_version_and_refuses_a_stale_form(nb):
    ref = decided()
    doc = upload("member", ref, docx_bytes(["Draft 1."]), kind="draft_report")
    assert documents.replace(actor("chair"), doc, filename="draft.pdf", data=pdf_bytes([["Draft 2."]]),
                             expected_version=1, today=TODAY) == 2
    with pytest.raises(StaleEdit):
        documents.replace(actor("member"), doc, filename="d.pdf", data=pdf_bytes([["Draft 3."]]),
                          expected_version=1, today=TODAY)
    assert [v.version_no for v in documents.versions(actor("member"), doc)] == [2, 1]
    assert documents.download(actor("member"), doc).filename == "draft.pdf"
    first = documents.download(actor("member"), doc, 1)
    assert (first.content_type, first.version_no, first.filename) == (rules.ACCEPTED["docx"], 1, "file.docx")


def test_a_damaged_file_is_refused_with_a_message(nb):
    ref = decided()
    doc = upload("member", ref, PNG, filename="photo.png")
    with read_session() as s:
        sha = s.exec(select(DocumentVersion.sha256).where(DocumentVersion.document_id == doc)).one()
    get_store()._path(sha).write_bytes(b"changed")
    with pytest.raises(StoreError, match="no longer matches"):
        documents.download(actor("member"), doc)


def test_who_sees_what(nb):
    ref = decided()
    accounts.create_user(SYSTEM, username="reader", name="Partner Reader", email="lead@example.org",
                         password="a long test password", memberships=[("NB", "referrer")])
    ids = {v: upload("manager", ref, PNG, title=f"For {v}", visibility=v, filename="p.png") for v in rules.VISIBILITY}
    assert {r.title for r in documents.listing(actor("member"), Target(review=ref))} == {
        "For panel", "For lead_reviewer", "For partners"}
    assert {r.title for r in documents.shared(actor("reader"))} == {"For partners"}
    with pytest.raises(NotFound):
        documents.download(actor("reader"), ids["panel"])
    with pytest.raises(NotFound):
        documents.download(actor("reader"), ids["lead_reviewer"])
    assert audit_rows("not_found")[-1].entity == "document"
    with pytest.raises(NotFound):  # the review page itself is the panel's
        documents.listing(actor("reader"), Target(review=ref))
    # the lead reviewer is the user whose e-mail the review names
    review_record.update_details(actor("manager"), ref, lead_reviewer="Lee Reviewer", lead_reviewer_email="LEAD@example.org",
                                 publication_status="planned", publication_reason="", expected_version=review_row(ref).version)
    assert {r.title for r in documents.shared(actor("reader"))} == {"For partners", "For lead_reviewer"}
    assert documents.download(actor("reader"), ids["lead_reviewer"]).data == PNG
    with pytest.raises(PermissionDenied):
        documents.set_visibility(actor("member"), ids["panel"], "partners", 1)
    documents.set_visibility(actor("chair"), ids["panel"], "partners", 1)
    assert documents.download(actor("reader"), ids["panel"]).data == PNG
    assert audit_rows("document_visibility")[-1].after == '{"visibility": "partners"}'


def test_another_partnerships_document_is_not_found(nb):
    from panel.accounts.partnerships import create_partnership

    ref = decided()
    doc = upload("member", ref, PNG, visibility="partners", filename="p.png")
    create_partnership(SYSTEM, "WV", "Westvale")
    accounts.create_user(SYSTEM, username="chair.wv", name="WV chair", email="c@example.org",
                         password="a long test password", memberships=[("WV", "chair")])
    with pytest.raises(NotFound, match="No such document"):
        documents.download(actor("chair.wv"), doc)
    with pytest.raises(NotFound):
        documents.replace(actor("chair.wv"), doc, filename="x.png", data=PNG, expected_version=1, today=TODAY)
    assert audit_rows("not_found")[-1].entity == "document"
    assert documents.shared(actor("chair.wv")) == []


def test_an_agency_report_marks_its_request_and_then_the_milestone(nb):
    ref = decided()
    me = actor("manager")
    for agency in ("Police", "Children's social care"):
        review_record.add_agency_request(me, ref, agency_id=agency_id(agency), kind="chronology",
                                         requested_on=TODAY - timedelta(days=10), due_on=TODAY, contact_email="",
                                         today=TODAY)
    doc = upload("member", ref, docx_bytes(["Police chronology."]), kind="chronology", agency="Police")
    with read_session() as s:
        reqs = {r.agency_id: r for r in s.exec(select(AgencyRequest))}
        received = s.exec(select(ReviewMilestone).where(ReviewMilestone.key == "chronologies_received")).one()
    assert reqs[agency_id("Police")].received_on == TODAY and reqs[agency_id("Police")].document_id == doc
    assert reqs[agency_id("Children's social care")].received_on is None
    assert received.actual_on is None
    upload("member", ref, docx_bytes(["CSC chronology."]), kind="chronology", agency="Children's social care")
    with read_session() as s:
        received = s.exec(select(ReviewMilestone).where(ReviewMilestone.key == "chronologies_received")).one()
    assert received.actual_on == TODAY
    assert '"chronologies_received"' in audit_rows("document_upload")[-1].after


def test_a_milestone_already_recorded_is_left_as_it_is(nb):
    ref = decided()
    me = actor("manager")
    review_record.add_agency_request(me, ref, agency_id=agency_id("Police"), kind="agency_report",
                                     requested_on=TODAY - timedelta(days=10), due_on=TODAY, contact_email="", today=TODAY)
    earlier = TODAY - timedelta(days=1)
    with transaction() as s:
        m = s.exec(select(ReviewMilestone).where(ReviewMilestone.key == "chronologies_received")).one()
        m.actual_on = earlier
        s.add(m)
    upload("member", ref, docx_bytes(["Police report."]), kind="agency_report", agency="Police")
    with read_session() as s:
        assert s.exec(select(ReviewMilestone).where(ReviewMilestone.key == "chronologies_received")).one().actual_on == earlier
        assert s.exec(select(AgencyRequest)).one().received_on == TODAY


def publish(ref: str) -> None:
    review_record.record_milestone(actor("manager"), ref, PUBLICATION_KEY, TODAY, review_row(ref).version, TODAY)


def signed_off(ref: str, version: int = 1) -> None:
    """The three partners sign off the final report's latest version (the other half of the gate,
    tests/test_final_report_sign_off.py)."""
    for partner in PARTNERS:
        signoffs.record_final_report_sign_off(actor("chair"), ref, partner, "Signer, Director", TODAY, version, TODAY)


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_the_final_reports_check_gates_publication(nb, fmt):
    from datetime import date

    ref = decided(child_initials="QX", child_dob=date(2025, 3, 4), child_age_years=None)
    lines = ["Final report on Child X.", "The review met in March.", "QX was seen by the health visitor.",
             "Born 04/03/2025, the child lived with the family."]
    data = docx_bytes(lines) if fmt == "docx" else pdf_bytes([lines[:2], lines[2:]])
    upload("chair", ref, data, kind="final_report", title="Final report", filename=f"final.{fmt}")
    hits = checks.final_report_check(actor("member"), ref)
    where = {(h.identifier, h.location) for h in hits}
    if fmt == "docx":
        assert where == {("initials", "paragraph 3"), ("date_of_birth", "paragraph 4")}
    else:
        assert where == {("initials", "page 2"), ("date_of_birth", "page 2")}
    assert all("[" in h.excerpt for h in hits)
    with pytest.raises(ValidationFailed) as e:
        publish(ref)
    assert "2 findings still open" in e.value.errors["actual_on"] and "Documents section" in e.value.errors["actual_on"]
    with pytest.raises(NotFound):
        checks.accept_hit(actor("member"), ref, hits[0].id, "The initials of the agency, not the child.")
    with pytest.raises(ValidationFailed):
        checks.accept_hit(actor("chair"), ref, hits[0].id, "ok")
    checks.accept_hit(actor("chair"), ref, hits[0].id, "The initials of the agency, not the child.")
    assert audit_rows("document_hit_accepted")[-1].username == "chair"
    with pytest.raises(ValidationFailed, match="1 finding still open"):
        publish(ref)
    checks.accept_hit(actor("manager"), ref, hits[1].id, "The date the report was written, checked by hand.")
    signed_off(ref)
    publish(ref)
    assert review_record.record_details(actor("chair"), ref)[0].published_on == TODAY


def test_a_newer_version_without_the_detail_resolves_it(nb):
    ref = decided(child_initials="QX")
    doc = upload("chair", ref, docx_bytes(["QX was seen."]), kind="final_report", filename="f.docx")
    with pytest.raises(ValidationFailed):
        publish(ref)
    documents.replace(actor("chair"), doc, filename="f.docx", data=docx_bytes(["Child X was seen."]),
                      expected_version=1, today=TODAY)
    assert checks.final_report_check(actor("chair"), ref) == []
    signed_off(ref, 2)
    publish(ref)


def test_a_scanned_final_report_must_be_accepted_with_a_reason(nb):
    ref = decided()
    upload("chair", ref, pdf_bytes([[], []]), kind="final_report", filename="scan.pdf")
    (hit,) = checks.final_report_check(actor("chair"), ref)
    assert hit.identifier == checks.UNREAD and "No text found: a scan?" in hit.excerpt
    with pytest.raises(ValidationFailed, match="1 finding still open"):
        publish(ref)


def test_round_trip_through_the_object_store(nb, monkeypatch):
    from panel.documents import store

    # moto keeps its buckets for the whole process: a name of this test's own, so another test's
    # server can create its bucket (tests/test_document_store.py uses "panel-docs").
    bucket = f"panel-docs-{uuid.uuid4().hex[:12]}"
    with s3_server(bucket) as url:
        monkeypatch.setenv("PANEL_FILE_STORE", "s3")
        monkeypatch.setenv("PANEL_S3_BUCKET", bucket)
        monkeypatch.setenv("PANEL_S3_ENDPOINT_URL", url)
        monkeypatch.setenv("PANEL_S3_REGION", "eu-west-2")
        store._cached.cache_clear()
        try:
            assert get_store().kind == "s3"
            ref = decided()
            data = pdf_bytes([["Agency report."]])
            doc = upload("member", ref, data, kind="agency_report", agency="Police", filename="r.pdf")
            assert documents.download(actor("chair"), doc).data == data
            assert list(get_store().names()) == [store.digest(data)]
        finally:
            store._cached.cache_clear()
