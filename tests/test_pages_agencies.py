"""The Agencies page (administrators) under AppTest: add with messages beside the fields, retire,
merge refused naming the records, and forms elsewhere offering only active agencies."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from tests import apptest
from tests.apptest import menu, press, shown, signed_in, texts

PAGE = Path(__file__).resolve().parent.parent / "pages" / "agencies.py"


def page_as(username: str) -> AppTest:
    return apptest.page_as(PAGE, username)




def test_only_administrators_have_the_page(demo_db):
    assert "Agencies" in menu(signed_in("admin"))
    for who in ("chair", "manager", "referrer"):
        assert "Agencies" not in menu(signed_in(who))
    at = page_as("chair")
    assert "Only an administrator" in texts(at)


def test_add_shows_each_problem_beside_its_field_then_adds(demo_db):
    at = page_as("admin")
    at.text_input(key="ag_add_name").input("POLICE")
    at.selectbox(key="ag_add_kind").select("education")
    at.checkbox(key="ag_add_statutory").check()
    press(at, "Add agency")
    errors = [shown(e.value) for e in at.error]
    assert any("already an agency called 'Police'" in e for e in errors), errors
    assert any("statutory safeguarding partners" in e for e in errors), errors  # every field at once
    at.text_input(key="ag_add_name").input("Dental practice")
    at.selectbox(key="ag_add_kind").select("education")
    at.checkbox(key="ag_add_statutory").check()
    press(at, "Add agency")
    assert any("statutory safeguarding partners" in shown(e.value) for e in at.error)
    at.text_input(key="ag_add_name").input("Dental practice")
    at.selectbox(key="ag_add_kind").select("health")
    at.checkbox(key="ag_add_statutory").uncheck()
    press(at, "Add agency")
    assert not at.error, [e.value for e in at.error]
    assert "Dental practice" in agency_service.names(SYSTEM, include_retired=False).values()


def test_retired_agency_is_not_offered_in_the_referral_form(demo_db):
    housing = next(a for a in agency_service.list_agencies(SYSTEM) if a.name == "Housing")
    at = page_as("admin")
    at.selectbox(key="ag_edit_pick").select(housing.id)
    at.run()
    press(at, "Retire this agency")
    assert agency_service.names(SYSTEM)[housing.id] == "Housing" and \
        housing.id not in agency_service.names(SYSTEM, include_retired=False)
    form = signed_in("referrer", page="pages/make_referral.py")
    offered = [sb for sb in form.selectbox if sb.label.startswith("Referring agency")
               or "agency" in sb.label.lower()]
    assert offered and all(housing.id not in sb.options and "Housing" not in sb.options for sb in offered)


def test_merge_refused_names_the_referral(demo_db):
    from sqlmodel import select

    from panel.core.db import transaction
    from panel.models import Referral, ReferralAgency

    a = agency_service.add_agency(SYSTEM, "Family hubs", "local_authority")
    b = agency_service.add_agency(SYSTEM, "Family centres", "local_authority")
    with transaction() as s:
        r = s.exec(select(Referral).order_by(Referral.id)).first()
        s.add_all([ReferralAgency(referral_id=r.id, agency_id=a), ReferralAgency(referral_id=r.id, agency_id=b)])
        ref = r.reference
    at = page_as("admin")
    merge_from = next(sb for sb in at.selectbox if sb.label == "Merge this agency")
    merge_from.select(a)
    next(sb for sb in at.selectbox if sb.label == "into").select(b)
    press(at, "Merge")
    assert any(ref in shown(e.value) for e in at.error), [e.value for e in at.error]
