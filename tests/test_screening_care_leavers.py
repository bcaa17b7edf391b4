"""A care leaver's death (docs/domain.md §4.3, §5): from Working Together 2023 the death of a care
leaver up to and including age 24 is notified to the Secretary of State and Ofsted, with no rapid
review; every other answer of the engine is what it was before it knew about care leavers."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panel.screening.rules import CARE_LEAVER_FROM, CHOICES, assess
from tests import screening_before_care_leavers as before

WT23_DAY = date(2024, 3, 5)  # a Tuesday; due date 12 March 2024


def died(**extra: Any) -> dict[str, Any]:
    return {"aware_on": WT23_DAY.isoformat(), "abuse_or_neglect": "no", "harm": "died",
            "care_leaver": True, "age_at_death": 21, **extra}


# -- the rule ----------------------------------------------------------------------------------

@pytest.mark.parametrize("abuse", ["known", "suspected", "no"])
@pytest.mark.parametrize("age", [18, 21, 24])
def test_a_care_leavers_death_is_notified_to_the_secretary_of_state_and_ofsted(abuse, age):
    result = assess(died(abuse_or_neglect=abuse, age_at_death=age))
    assert result["route"] == "no_review"
    assert result["notify"] == [{"to": "ofsted", "due": "2024-03-12"},
                                {"to": "secretary_of_state", "due": "2024-03-12"}]
    assert "rapid_review_due" not in result
    assert result["reasons"][1] == (
        "Working Together 2023 ch.5 (from 15 December 2023): care leaver aged 18 to 24 died: "
        "notify the Secretary of State and Ofsted (no rapid review follows): met — aged "
        f"{age}; aware on 2024-03-05")
    assert "no rapid review" in result["reasons"][2] and result["reasons"][2].endswith(
        "no SCR") and ": not met" in result["reasons"][2]


def test_the_duty_starts_the_day_working_together_2023_took_effect():
    assert CARE_LEAVER_FROM == date(2023, 12, 15)
    on = assess(died(aware_on="2023-12-15"))
    assert [n["to"] for n in on["notify"]] == ["ofsted", "secretary_of_state"]
    day_before = assess(died(aware_on="2023-12-14"))
    assert day_before["route"] == "no_review" and day_before["notify"] == []
    assert day_before["reasons"][1].startswith("Working Together 2023 ch.5 (from 15 December "
                                               "2023): care leaver aged 18 to 24 died")
    assert ": not met — aware on 2023-12-14, before Working Together 2023 took effect" \
        in day_before["reasons"][1]
    assert "the panel may still tell them" in day_before["reasons"][1]


def test_a_care_leaver_in_the_wt2015_years_gets_no_child_criteria_either():
    result = assess(died(aware_on="2016-05-03", abuse_or_neglect="known"))
    assert result["regime"] == "WT2015"
    assert (result["route"], result["notify"]) == ("no_review", [])


@pytest.mark.parametrize(("extra", "message"), [
    ({"harm": "serious_harm"}, "care_leaver: only possible when harm is 'died'"),
    ({"harm": "other"}, "care_leaver: only possible when harm is 'died'"),
    ({"age_at_death": None}, "age_at_death: required when care_leaver is true"),
    ({"age_at_death": 17}, "age_at_death: a care leaver's death is notified only at age 18 to 24"),
    ({"age_at_death": 25}, "age_at_death: a care leaver's death is notified only at age 18 to 24"),
    ({"age_at_death": "20"}, "age_at_death: a care leaver's death is notified only at age 18 to 24"),
    ({"age_at_death": True}, "age_at_death: a care leaver's death is notified only at age 18 to 24"),
    ({"looked_after": True}, "care_leaver: a care leaver of 18 or over is no longer looked after"),
    ({"custody_death": True}, "care_leaver: custody_death is the rule for a child's death"),
    ({"care_leaver": "yes"}, "care_leaver: expected true or false"),
    ({"care_leaver": False}, "age_at_death: only asked when care_leaver is true"),
])
def test_a_care_leaver_is_refused_with_a_clear_error(extra, message):
    with pytest.raises(ValueError) as err:
        assess(died(**extra))
    assert str(err.value).startswith(message)


# -- every earlier answer is unchanged ------------------------------------------------------------

days = st.dates(min_value=date(2005, 1, 1), max_value=date(2035, 12, 31))
ANY_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-2, 30), st.text(max_size=6))


@st.composite
def facts(draw: st.DrawFn) -> dict[str, Any]:
    """Fact sets as a caller might send them: mostly valid, sometimes with a bad value, a missing
    required key or an unknown key, so errors are compared too."""
    aware = draw(days)
    f: dict[str, Any] = {"aware_on": draw(st.sampled_from([aware, aware.isoformat()]))}
    for key in ("abuse_or_neglect", "harm", "interagency_concerns", "location", "regime"):
        if key in ("abuse_or_neglect", "harm") or draw(st.booleans()):
            f[key] = draw(st.sampled_from([v for v, _ in CHOICES[key]]))
    for key in ("looked_after", "media_interest", "practice_concerns", "custody_death"):
        if draw(st.booleans()):
            f[key] = draw(st.booleans())
    if draw(st.booleans()):
        f["notified_on"] = (aware + timedelta(days=draw(st.integers(-3, 40)))).isoformat()
    if draw(st.integers(0, 9)) == 0:  # now and then a bad fact set
        key = draw(st.sampled_from([*f, "zeta"]))
        f[key] = draw(ANY_VALUE)
    return f


def outcome(fn, f: dict[str, Any]) -> Any:
    try:
        return fn(dict(f))
    except ValueError as err:
        return ("ValueError", str(err))


@settings(max_examples=1500, deadline=None)
@given(facts(), st.booleans())
def test_without_a_care_leaver_every_answer_is_as_before(f, say_false):
    new = {**f, "care_leaver": False} if say_false else f
    assert outcome(assess, new) == outcome(before.assess, f)


def test_the_frozen_copy_is_the_engine_it_claims_to_be():
    # A looked-after child's death in the area, as in docs/domain.md §5.2's example.
    f = {"aware_on": "2025-12-23", "abuse_or_neglect": "suspected", "harm": "died",
         "looked_after": True}
    assert before.assess(f) == assess(f)
    assert before.assess(f)["rapid_review_due"] == "2026-01-23"
