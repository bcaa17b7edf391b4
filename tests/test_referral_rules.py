from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from panel.core import exports
from panel.referrals.rules import (
    age_band,
    format_reference,
    notification_clock,
    parse_reference,
    possible_duplicate,
    validate_referral,
)

TODAY = date(2026, 11, 23)
AGENCIES = {1, 2, 3}


def good(**overrides):
    data = {
        "received_on": "2026-11-20", "aware_on": "2026-11-19", "incident_date": "2026-11-18",
        "referrer_name": "Designated safeguarding lead", "referrer_agency_id": 1,
        "identified_by": "social_worker", "child_initials": "ab", "child_age_years": 3,
        "child_sex": "female", "child_ethnicity": "white", "incident_summary": "Infant admitted with a fracture.",
        "harm": "serious_harm", "abuse_or_neglect": "suspected", "location": "in_area",
        "agencies_involved": [2, 3],
    }
    data.update(overrides)
    return data


def test_valid_referral_is_cleaned():
    clean, errors = validate_referral(good(), TODAY, AGENCIES)
    assert errors == {}
    assert clean["child_initials"] == "AB"
    assert clean["aware_on"] == date(2026, 11, 19)
    assert clean["agencies_involved"] == [2, 3]


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"received_on": None}, "received_on", "Enter a date"),
        ({"aware_on": "2026-13-01"}, "aware_on", "real date"),
        ({"aware_on": "2026-11-24"}, "aware_on", "future"),
        ({"aware_on": "2026-11-21", "received_on": "2026-11-20"}, "aware_on", "after the referral"),
        ({"incident_date": "2026-11-20"}, "incident_date", "after the authority"),
        ({"referrer_name": "  "}, "referrer_name", "Enter"),
        ({"referrer_agency_id": 99}, "referrer_agency_id", "from the list"),
        ({"identified_by": "gossip"}, "identified_by", "from the list"),
        ({"child_initials": "Alice"}, "child_initials", "no full names"),
        ({"child_initials": ""}, "child_initials", "Enter"),
        ({"child_age_years": 18}, "child_age_years", "0 to 17"),
        ({"child_age_years": None}, "child_age_years", "age or date of birth"),
        ({"child_age_years": None, "child_dob": "2005-01-01"}, "child_dob", "18 or over"),
        ({"child_sex": None}, "child_sex", "Choose"),
        ({"incident_summary": "short"}, "incident_summary", "at least 10"),
        ({"incident_summary": "x" * 4001}, "incident_summary", "4000"),
        ({"harm": "bad"}, "harm", "from the list"),
        ({"abuse_or_neglect": None}, "abuse_or_neglect", "Choose"),
        ({"agencies_involved": [7]}, "agencies_involved", "from the list"),
    ],
)
def test_each_bad_field_gets_its_own_message(overrides, field, fragment):
    _, errors = validate_referral(good(**overrides), TODAY, AGENCIES)
    assert field in errors
    assert fragment in errors[field]


def test_clock_rag_and_due_date():
    # Aware Tuesday 23 Dec 2025: notify by Friday 2 Jan 2026 (docs/domain.md §4).
    clock = notification_clock(date(2025, 12, 23), date(2025, 12, 31))
    assert clock.due == date(2026, 1, 2)
    assert clock.days_left == 1 and clock.rag == "amber"
    assert notification_clock(date(2025, 12, 23), date(2026, 1, 5)).rag == "red"
    assert notification_clock(date(2025, 12, 23), date(2025, 12, 23)).rag == "green"


@given(st.sampled_from(["NB", "EM", "WVX"]), st.integers(2000, 2099), st.integers(1, 99999))
def test_reference_round_trip(code, year, seq):
    assert parse_reference(format_reference(code, year, seq)) == (code, year, seq)


@given(st.text(max_size=30))
def test_parse_reference_never_crashes_on_junk(text):
    try:
        parse_reference(text)
    except ValueError:
        pass


def test_duplicate_rule():
    a = {"child_initials": "AB", "child_dob": date(2020, 1, 1), "child_age_years": None,
         "incident_date": date(2026, 1, 10)}
    assert possible_duplicate(a, {**a, "incident_date": date(2026, 2, 9)})
    assert not possible_duplicate(a, {**a, "incident_date": date(2026, 2, 10)})
    assert not possible_duplicate(a, {**a, "child_dob": date(2020, 1, 2)})
    b = {"child_initials": "AB", "child_dob": None, "child_age_years": 5, "incident_date": date(2026, 1, 10)}
    assert possible_duplicate(b, {**b, "child_age_years": 6})
    assert not possible_duplicate(b, {**b, "child_initials": "AC"})


def test_age_band_minimises():
    assert age_band(None, date(2026, 1, 1), TODAY) == "under 1"
    assert age_band(12, None, TODAY) == "10-15"
    assert age_band(None, None, TODAY) == "unknown"


@given(st.text(max_size=20))
def test_exports_never_start_with_a_formula_character(value):
    out = exports.neutralise(value)
    assert not (isinstance(out, str) and out.startswith(exports.FORMULA_STARTS))
