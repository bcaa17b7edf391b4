"""A referral may record that the young person who died was a care leaver aged 18 to 24
(docs/domain.md §3, §4.3): it is stored, checked like the engine checks it, and screening calls
for notifying the Secretary of State and Ofsted."""

from __future__ import annotations

from datetime import date

import pytest

from panel.core.errors import ValidationFailed
from panel.referrals import service as referrals
from panel.referrals.rules import care_leaver_facts, validate_referral
from panel.screening import service as screening
from tests.conftest import TODAY
from tests.factories import accepted, actor, agency_id, nb_id, referral, referral_form

DIED = {"harm": "died", "abuse_or_neglect": "no", "care_leaver": True, "child_age_years": 20}


def test_a_care_leaver_is_stored_and_screening_calls_for_the_two_notifications(demo_db):
    ref = accepted(**DIED)
    assert referral(ref).care_leaver is True
    result = screening.screen(actor("chair"), ref, TODAY).result
    assert result["route"] == "no_review"
    assert [n["to"] for n in result["notify"]] == ["ofsted", "secretary_of_state"]
    assert any("care leaver aged 18 to 24 died" in line and ": met" in line
               for line in result["reasons"])


def test_an_ordinary_referral_is_no_care_leaver(demo_db):
    assert referral(accepted()).care_leaver is False


@pytest.mark.parametrize(("extra", "field", "message"), [
    ({"harm": "serious_harm"}, "care_leaver", "only when the young person died"),
    ({"looked_after": True}, "care_leaver", "no longer looked after"),
    ({"child_age_years": 17}, "child_age_years", "age 18 to 24"),
    ({"child_age_years": 25}, "child_age_years", "age 18 to 24"),
    ({"care_leaver": False}, "child_age_years", "A child's age is 0 to 17 years."),
])
def test_the_form_refuses_what_the_engine_would(demo_db, extra, field, message):
    with pytest.raises(ValidationFailed) as err:
        referrals.submit(actor("chair"), nb_id(), referral_form(**{**DIED, **extra}), TODAY)
    assert message in err.value.errors[field]


def test_a_date_of_birth_gives_the_age_at_death(demo_db):
    form = referral_form(**{**DIED, "child_age_years": None, "child_dob": date(2002, 11, 20)})
    clean, errors = validate_referral(form, TODAY, {agency_id("Acute hospital trust"),
                                                    agency_id("Police")})
    assert not errors, errors
    assert care_leaver_facts(True, None, clean["child_dob"], clean["incident_date"]) == {
        "care_leaver": True, "age_at_death": 23}  # 23 on 19 Nov 2026, the day before 24
    old = referral_form(**{**DIED, "child_age_years": None, "child_dob": date(2001, 11, 1)})
    _, errors = validate_referral(old, TODAY, {agency_id("Acute hospital trust"), agency_id("Police")})
    assert "age 18 to 24" in errors["child_dob"]
    assert care_leaver_facts(False, 20, None, None) == {}
