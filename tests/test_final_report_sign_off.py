"""The three safeguarding partners' sign-offs of an LCSPR's final report (docs/domain.md §11):
each field checked, one per partner and version, a newer version signed again (the earlier
sign-off shown as of its version), publication refused until all three have signed the latest
version, a review with no final report in Panel not gated, who may record one, and the audit row.
Built from an empty partnership."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.accounts.partnerships import create_partnership
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.documents import service as documents
from panel.documents import signoffs
from panel.documents.service import Target
from panel.models import AuditEvent, SignOff
from panel.reviews import record as review_record
from panel.reviews.types import PUBLICATION_KEY
from panel.screening import decisions
from tests.conftest import TODAY
from tests.document_files import docx_bytes
from tests.factories import accepted, actor, decision_form, empty_nb, review_row

CLEAN = ["Final report on Child X.", "The review found that information was not brought together."]


@pytest.fixture
def nb(db):
    return empty_nb()


def lcspr() -> str:
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form("lcspr"), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def with_report(lines=CLEAN) -> tuple[str, int]:
    ref = lcspr()
    doc = documents.upload(actor("chair"), Target(review=ref), kind="final_report", title="Final report",
                           agency_id=None, visibility="panel", filename="final.docx", data=docx_bytes(lines),
                           today=TODAY)
    return ref, doc


def sign(ref: str, partner: str | None, *, who: str = "manager", signed_by: str = "A. Person, Director",
         on: date | None = TODAY, version: int = 1) -> None:
    signoffs.record_final_report_sign_off(actor(who), ref, partner, signed_by, on, version, TODAY)


def publish(ref: str, on: date = TODAY) -> None:
    review_record.record_milestone(actor("manager"), ref, PUBLICATION_KEY, on, review_row(ref).version, TODAY)


def state(ref: str) -> dict[str, tuple]:
    got = signoffs.final_report_sign_offs(actor("member"), ref, TODAY)
    return {p.partner: (p.signed_by, p.version_no, p.current) for p in got.partners}


def refused(ref: str, partner, **kw) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as e:
        sign(ref, partner, **kw)
    return e.value.errors


def test_each_field_is_checked(nb):
    ref, _ = with_report()
    assert set(refused(ref, None)) == {"partner"}
    assert set(refused(ref, "fire_service")) == {"partner"}
    assert set(refused(ref, "police", signed_by=" x ")) == {"signed_by"}
    assert set(refused(ref, "police", signed_by="x" * 201)) == {"signed_by"}
    assert refused(ref, "police", on=None) == {"signed_on": "Enter the date it was signed."}
    assert refused(ref, "police", on=TODAY + timedelta(days=1)) == {"signed_on": "The date cannot be in the future."}
    before = refused(ref, "police", on=TODAY - timedelta(days=1))["signed_on"]
    assert "Version 1 of the final report was uploaded on Mon 23 Nov 2026" in before
    assert set(refused(ref, None, signed_by="", on=None)) == {"partner", "signed_by", "signed_on"}
    with read_session() as s:
        assert s.exec(select(SignOff)).all() == []


def test_no_final_report_no_sign_off_and_no_gate(nb):
    ref = lcspr()
    assert signoffs.final_report_sign_offs(actor("chair"), ref, TODAY) is None
    assert refused(ref, "police") == {"partner": signoffs.NO_REPORT}
    # A report drafted and signed off outside Panel: its publication date is recorded as before.
    publish(ref)
    assert review_record.record_details(actor("chair"), ref)[0].published_on == TODAY


def test_one_sign_off_per_partner_and_publication_waits_for_all_three(nb):
    ref, _ = with_report()
    sign(ref, "local_authority", signed_by="  Jo   Bloggs, Director of Children's Services ")
    assert "already signed version 1" in refused(ref, "local_authority")["partner"]
    with pytest.raises(ValidationFailed) as e:
        publish(ref)
    message = e.value.errors["actual_on"]
    assert "Not yet signed: The police and health." in message and "local authority" not in message
    sign(ref, "police", who="chair")
    with pytest.raises(ValidationFailed, match="Not yet signed: Health. Record"):
        publish(ref)
    sign(ref, "health")
    assert state(ref) == {"local_authority": ("Jo Bloggs, Director of Children's Services", 1, True),
                          "police": ("A. Person, Director", 1, True), "health": ("A. Person, Director", 1, True)}
    with pytest.raises(ValidationFailed, match="cannot be published before"):
        publish(ref, TODAY - timedelta(days=1))
    publish(ref)
    assert review_record.record_details(actor("chair"), ref)[0].published_on == TODAY


def test_a_newer_version_is_signed_again_and_the_earlier_sign_offs_say_their_version(nb):
    ref, doc = with_report()
    for partner in ("local_authority", "police", "health"):
        sign(ref, partner, signed_by=f"Signer for {partner}")
    documents.replace(actor("chair"), doc, filename="final.docx", data=docx_bytes(CLEAN + ["An addendum."]),
                      expected_version=1, today=TODAY)
    assert {k: v[1:] for k, v in state(ref).items()} == {p: (1, False) for p in ("local_authority", "police", "health")}
    with pytest.raises(ValidationFailed) as e:
        publish(ref)
    assert "version 2" in e.value.errors["actual_on"]
    assert "The local authority (signed version 1), the police (signed version 1) and health (signed version 1)" \
        in e.value.errors["actual_on"]
    with pytest.raises(StaleEdit):  # the form showed version 1
        sign(ref, "police", version=1)
    sign(ref, "police", signed_by="New police signer", version=2)
    got = state(ref)
    assert got["police"] == ("New police signer", 2, True)
    assert got["health"] == ("Signer for health", 1, False)  # kept, as of version 1
    with read_session() as s:
        assert len(s.exec(select(SignOff)).all()) == 3  # one row per partner; the earlier is in the audit
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "final_report_sign_off")
                     .order_by(AuditEvent.id.desc())).first()
    assert (row.entity, row.entity_id, row.username) == ("document", doc, "manager")
    assert '"version": 1' in row.before and "Signer for police" in row.before
    assert '"version": 2' in row.after and "New police signer" in row.after
    for partner in ("local_authority", "health"):
        sign(ref, partner, version=2)
    publish(ref)


def test_open_findings_and_missing_sign_offs_are_said_together(nb):
    ref = accepted(child_initials="QX")
    did = decisions.record_decision(actor("member"), ref, decision_form("lcspr"), TODAY)
    ref = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    documents.upload(actor("chair"), Target(review=ref), kind="final_report", title="Final report", agency_id=None,
                     visibility="panel", filename="f.docx", data=docx_bytes(["QX was seen."]), today=TODAY)
    with pytest.raises(ValidationFailed) as e:
        publish(ref)
    assert "1 finding still open" in e.value.errors["actual_on"] and "Not yet signed" in e.value.errors["actual_on"]


def test_who_may_record_a_sign_off(nb):
    ref, _ = with_report()
    with pytest.raises(PermissionDenied):
        sign(ref, "police", who="member")
    create_partnership(SYSTEM, "WV", "Westvale")
    accounts.create_user(SYSTEM, username="chair.wv", name="WV chair", email="c@example.org",
                         password="a long test password", memberships=[("WV", "chair")])
    with pytest.raises(NotFound):
        sign(ref, "police", who="chair.wv")
    with pytest.raises(NotFound):
        signoffs.final_report_sign_offs(actor("chair.wv"), ref, TODAY)
    with read_session() as s:
        assert s.exec(select(SignOff)).all() == []
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "not_found")).all()
    sign(ref, "police", who="chair")
    with read_session() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "final_report_sign_off")).one()
    assert (row.username, row.partnership_id) == ("chair", review_row(ref).partnership_id)
    assert '"partner": "police"' in row.after and '"version": 1' in row.after
