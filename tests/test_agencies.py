"""Agencies: one service adds, renames, merges, retires and imports them; forms offer the active
ones; every change is audited; bad input is refused field by field with nothing half-made."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook
from sqlmodel import select

from panel.accounts import service as accounts
from panel.agencies import rules
from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.models import Agency, AuditEvent, Referral, ReferralAgency


def _agency(name: str) -> Agency:
    with read_session() as s:
        return s.exec(select(Agency).where(Agency.name == name)).one()


def _audit(action: str) -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.entity == "agency", AuditEvent.action == action)))


def test_add_rename_and_clash_case_insensitive(db):
    aid = agency_service.add_agency(SYSTEM, "  Northshire   Police ", "police", statutory=True)
    a = _agency("Northshire Police")
    assert (a.id, a.kind, a.statutory, a.active) == (aid, "police", True, True)
    with pytest.raises(ValidationFailed) as e:
        agency_service.add_agency(SYSTEM, "NORTHSHIRE police", "police")
    assert set(e.value.errors) == {"name"} and "already an agency" in e.value.errors["name"]
    other = agency_service.add_agency(SYSTEM, "Schools", "education")
    with pytest.raises(ValidationFailed, match="already an agency"):
        agency_service.update_agency(SYSTEM, other, name="northshire police", kind="education", statutory=False)
    agency_service.update_agency(SYSTEM, aid, name="Northshire Constabulary", kind="police", statutory=True)
    assert agency_service.names(SYSTEM)[aid] == "Northshire Constabulary"
    assert len(_audit("create")) == 2 and len(_audit("update")) == 1


def test_every_field_checked_beside_its_field(db):
    with pytest.raises(ValidationFailed) as e:
        agency_service.add_agency(SYSTEM, " ", "court")
    assert set(e.value.errors) == {"name", "kind"}
    with pytest.raises(ValidationFailed) as e:
        agency_service.add_agency(SYSTEM, "A school", "education", statutory=True)
    assert set(e.value.errors) == {"statutory"}
    with pytest.raises(ValidationFailed) as e:
        agency_service.add_agency(SYSTEM, "x" * 201, "other")
    assert "200" in e.value.errors["name"]
    assert agency_service.list_agencies(SYSTEM, include_retired=True) == []


def test_retired_agency_kept_for_history_not_offered(demo_db):
    housing = _agency("Housing")
    agency_service.set_active(SYSTEM, housing.id, False)
    assert housing.id not in agency_service.names(SYSTEM, include_retired=False)
    assert agency_service.names(SYSTEM)[housing.id] == "Housing"  # old records still show it
    assert [e.after for e in _audit("retire")] == ['{"active": false}']
    agency_service.set_active(SYSTEM, housing.id, True)
    assert housing.id in agency_service.names(SYSTEM, include_retired=False)


def test_referral_service_refuses_a_retired_agency(demo_db):
    from datetime import date

    from panel.referrals import service as referrals
    from tests.conftest import TODAY

    early = _agency("Early help")
    agency_service.set_active(SYSTEM, early.id, False)
    chair = accounts.actor_for("chair")
    pid = next(p.id for p in accounts.partnerships(chair, "referral.read"))
    with pytest.raises(ValidationFailed) as e:
        referrals.submit(chair, pid, {
            "received_on": TODAY, "aware_on": date(2026, 11, 20), "incident_date": date(2026, 11, 19),
            "referrer_name": "Named nurse", "referrer_agency_id": early.id,
            "identified_by": "staff_partner_community", "child_initials": "QZ", "child_age_years": 1,
            "child_sex": "male", "child_ethnicity": "mixed",
            "incident_summary": "Baby admitted with bruising to the face and an unexplained fracture.",
            "harm": "serious_harm", "abuse_or_neglect": "suspected", "location": "in_area",
            "agencies_involved": []}, TODAY)
    assert "referrer_agency_id" in e.value.errors


def test_merge_moves_every_link_then_retires(demo_db):
    spare = agency_service.add_agency(SYSTEM, "Family hubs", "local_authority")
    target = _agency("Youth justice service")
    with read_session() as s:
        rid = s.exec(select(Referral.id).order_by(Referral.id)).first()
    from panel.core.db import transaction

    with transaction() as s:
        s.add(ReferralAgency(referral_id=rid, agency_id=spare))
        r = s.get(Referral, rid)
        r.referrer_agency_id = spare
        s.add(r)
    result = agency_service.merge_agencies(SYSTEM, spare, target.id)
    assert result.moved == {"referrals (referring agency)": 1, "referrals (agency involved)": 1}
    with read_session() as s:
        assert s.get(Referral, rid).referrer_agency_id == target.id
        assert s.exec(select(ReferralAgency).where(ReferralAgency.agency_id == spare)).all() == []
        assert s.get(Agency, spare).active is False
    assert _audit("merge")[0].entity_id == spare


def test_merge_refused_naming_the_referral(demo_db):
    a = agency_service.add_agency(SYSTEM, "Family hubs", "local_authority")
    b = agency_service.add_agency(SYSTEM, "Family centres", "local_authority")
    from panel.core.db import transaction

    with transaction() as s:
        r = s.exec(select(Referral).order_by(Referral.id)).first()
        s.add(ReferralAgency(referral_id=r.id, agency_id=a))
        s.add(ReferralAgency(referral_id=r.id, agency_id=b))
        ref = r.reference
    with pytest.raises(ValidationFailed) as e:
        agency_service.merge_agencies(SYSTEM, a, b)
    assert ref in e.value.errors["target"]
    with read_session() as s:
        assert s.get(Agency, a).active and len(s.exec(select(ReferralAgency).where(ReferralAgency.agency_id == a)).all()) == 1
    assert _audit("merge") == []


def test_admin_only(demo_db):
    for username in ("chair", "referrer", "manager"):
        with pytest.raises(PermissionDenied):
            agency_service.add_agency(accounts.actor_for(username), "Dentists", "health")
    agency_service.add_agency(accounts.actor_for("admin"), "Dentists", "health")


def test_import_list_csv_all_or_nothing(db):
    agency_service.add_agency(SYSTEM, "Police", "police", statutory=True)
    bad = b"name,kind,statutory\nCouncil,Local authority,yes\npolice,police,yes\nSchools,court,no\n"
    result = agency_service.import_agencies(SYSTEM, bad, "list.csv")
    assert result.added == 0
    assert "row 4, kind: 'court' is not a kind" in result.problems[0]
    result = agency_service.import_agencies(SYSTEM, bad.replace(b"court", b"education"), "list.csv")
    assert result.problems == ["row 3, name: There is already an agency called 'Police'."]
    assert [a.name for a in agency_service.list_agencies(SYSTEM)] == ["Police"]
    good = b"name,kind,statutory\nCouncil,Local authority,yes\nICB,health,yes\n\nSchools,Education,\n"
    assert agency_service.import_agencies(SYSTEM, good, "list.csv").added == 3
    assert _agency("Council").statutory and not _agency("Schools").statutory


def test_import_list_excel(db):
    wb = Workbook()
    ws = wb.active
    ws.append(["Name", "Kind", "Statutory"])
    ws.append(["Northshire Council", "local_authority", "Yes"])
    ws.append(["Northshire Council", "local_authority", "Yes"])
    buf = io.BytesIO()
    wb.save(buf)
    result = agency_service.import_agencies(SYSTEM, buf.getvalue(), "list.xlsx")
    assert result.problems == ["row 3, name: 'Northshire Council' is already on row 2."]


def test_rules_kind_words():
    assert rules.parse_kind("Local authority") == "local_authority"
    assert rules.parse_kind("ICB") == "health"
    assert rules.parse_kind("court") is None
    assert rules.kind_label("probation") == "Probation"


def test_agencies_commands(db, tmp_path, capsys):
    from panel.cli import main

    def run(*argv):
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    assert run("agencies", "add", "Northshire Police", "--kind", "police", "--statutory")[0] == 0
    code, _, err = run("agencies", "add", "northshire police", "--kind", "police")
    assert code == 2 and "name: There is already an agency called 'Northshire Police'." in err
    listing = tmp_path / "agencies.csv"
    listing.write_text("name,kind,statutory\nNorthshire Council,local authority,yes\nSchools,education,no\n"
                       "Old schools team,education,no\n")
    code, out, _ = run("agencies", "import", str(listing))
    assert code == 0 and "Added 3 agencies." in out
    code, _, err = run("agencies", "import", str(listing))
    assert code == 2 and "row 2, name: There is already an agency called 'Northshire Council'." in err
    assert run("agencies", "rename", "schools", "Northshire Schools")[0] == 0
    code, out, _ = run("agencies", "merge", "Old schools team", "Northshire Schools")
    assert code == 0 and "Old schools team is retired" in out
    assert run("agencies", "retire", "Northshire Schools")[0] == 0
    code, out, _ = run("agencies", "list")
    assert "Northshire Schools (Education, retired)" in out and "Northshire Police (Police, statutory partner)" in out
    code, _, err = run("agencies", "retire", "Nobody")
    assert code == 2 and "No agency named 'Nobody'." in err
