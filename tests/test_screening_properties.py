"""Properties of the screening engine over generated fact sets (docs/domain.md §5)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panel.core.clock import add_working_days, is_working_day
from panel.screening.rules import CHOICES, REGIME_CUTOVER, assess

ROUTES = {"scr", "rapid_review", "consider_local_review", "no_review"}
BODIES = ["ofsted", "national_panel", "safeguarding_partners", "secretary_of_state"]
KNOWN_KEYS = {
    "aware_on",
    "regime",
    "abuse_or_neglect",
    "harm",
    "interagency_concerns",
    "custody_death",
    "looked_after",
    "location",
    "media_interest",
    "practice_concerns",
    "notified_on",
}
EXAMPLES = settings(max_examples=300, deadline=None)


def values(key: str) -> st.SearchStrategy[str]:
    return st.sampled_from([v for v, _ in CHOICES[key]])


days = st.dates(min_value=date(2005, 1, 1), max_value=date(2035, 12, 31))


@st.composite
def valid_facts(draw: st.DrawFn, with_regime: bool = True) -> dict[str, Any]:
    aware = draw(days)
    harm = draw(values("harm"))
    f: dict[str, Any] = {
        "aware_on": draw(st.sampled_from([aware, aware.isoformat()])),
        "abuse_or_neglect": draw(values("abuse_or_neglect")),
        "harm": harm,
    }
    optional: dict[str, st.SearchStrategy[Any]] = {
        "interagency_concerns": values("interagency_concerns"),
        "location": values("location"),
        "looked_after": st.booleans(),
        "media_interest": st.booleans(),
        "practice_concerns": st.booleans(),
        "custody_death": st.booleans() if harm == "died" else st.just(False),
        "notified_on": st.integers(0, 40).map(lambda n: (aware + timedelta(days=n)).isoformat()),
    }
    if with_regime:
        optional["regime"] = st.one_of(st.none(), values("regime"))
    for key, strategy in optional.items():
        if draw(st.booleans()):
            f[key] = draw(strategy)
    return f


def as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def oracle(f: dict[str, Any], regime: str) -> tuple[str, list[str]]:
    """The tables of docs/domain.md §4.2 and §4.3 transcribed rule by rule, to check the engine against."""
    a = f["abuse_or_neglect"] in ("known", "suspected")
    s = f["harm"] in ("died", "serious_harm")
    died = f["harm"] == "died"
    custody = f.get("custody_death", False)
    la_died = f.get("looked_after", False) and died
    if regime == "WT2015":
        if (
            custody
            or (a and died)
            or (
                a
                and f["harm"] == "serious_harm"
                and f.get("interagency_concerns", "unclear") != "no"
            )
        ):
            route = "scr"
        else:
            route = "consider_local_review" if a else "no_review"
        extra = s and (f.get("media_interest", False) or f.get("practice_concerns", False))
        notify = {"ofsted"} if route == "scr" or (a and s) or la_died or extra else set()
    else:
        if a and s and f.get("location", "in_area") != "elsewhere":
            route = "rapid_review"
        else:
            route = "consider_local_review" if a or custody else "no_review"
        notify = set()
        if route == "rapid_review":
            notify |= {"national_panel", "safeguarding_partners"}
        if la_died:
            notify |= {"ofsted", "secretary_of_state"}
    return route, [b for b in BODIES if b in notify]


def expected_regime(f: dict[str, Any]) -> str:
    if f.get("regime"):
        return f["regime"]
    return "WT2018" if as_date(f["aware_on"]) >= REGIME_CUTOVER else "WT2015"


@EXAMPLES
@given(valid_facts())
def test_valid_facts_give_one_route_and_match_the_rules(f: dict[str, Any]) -> None:
    result = assess(f)
    assert result["route"] in ROUTES
    regime = expected_regime(f)
    assert result["regime"] == regime
    assert (result["route"], [n["to"] for n in result["notify"]]) == oracle(f, regime)
    assert all(": met" in r or ": not met" in r for r in result["reasons"])


@EXAMPLES
@given(valid_facts())
def test_due_dates_are_five_working_days_after_awareness(f: dict[str, Any]) -> None:
    aware = as_date(f["aware_on"])
    result = assess(f)
    tos = [n["to"] for n in result["notify"]]
    assert tos == [b for b in BODIES if b in tos]  # stable order, no duplicates
    for n in result["notify"]:
        due = date.fromisoformat(n["due"])
        assert due > aware
        assert is_working_day(due)
        assert due == add_working_days(aware, 5)


@EXAMPLES
@given(valid_facts())
def test_rapid_review_due_iff_route(f: dict[str, Any]) -> None:
    result = assess(f)
    assert ("rapid_review_due" in result) == (result["route"] == "rapid_review")
    if "rapid_review_due" in result:
        due = date.fromisoformat(result["rapid_review_due"])
        start = as_date(f.get("notified_on") or add_working_days(as_date(f["aware_on"]), 5))
        assert due == add_working_days(start, 15)
        assert is_working_day(due)


@EXAMPLES
@given(valid_facts(), st.integers(0, 30), st.integers(0, 30))
def test_notifying_later_never_brings_the_rapid_review_forward(
    f: dict[str, Any], earlier: int, later_by: int
) -> None:
    aware = as_date(f["aware_on"])
    first = {**f, "notified_on": (aware + timedelta(days=earlier)).isoformat()}
    second = {**f, "notified_on": (aware + timedelta(days=earlier + later_by)).isoformat()}
    r1, r2 = assess(first), assess(second)
    assert r1["route"] == r2["route"]  # when it was sent never changes the route
    if r1["route"] == "rapid_review":
        assert r1["rapid_review_due"] <= r2["rapid_review_due"]


@EXAMPLES
@given(valid_facts())
def test_wt2018_rapid_review_notifies_panel_and_partners(f: dict[str, Any]) -> None:
    result = assess(f)
    tos = {n["to"] for n in result["notify"]}
    if result["regime"] == "WT2018":
        assert result["route"] != "scr"
        assert ({"national_panel", "safeguarding_partners"} <= tos) == (
            result["route"] == "rapid_review"
        )
    else:
        assert result["route"] != "rapid_review"
        assert tos <= {"ofsted"}
        if result["route"] == "scr":
            assert tos == {"ofsted"}


@EXAMPLES
@given(valid_facts(with_regime=False), values("regime"), st.integers(0, 6000))
def test_regime_override_applies_that_regimes_rules(
    f: dict[str, Any], regime: str, offset: int
) -> None:
    overridden = assess({**f, "regime": regime})
    assert overridden["regime"] == regime
    assert (overridden["route"], [n["to"] for n in overridden["notify"]]) == oracle(f, regime)
    # The same as moving the date of awareness into that regime's era.
    if regime == "WT2018":
        other_day = REGIME_CUTOVER + timedelta(days=offset)
    else:
        other_day = REGIME_CUTOVER - timedelta(days=offset + 1)
    moved = {k: v for k, v in f.items() if k != "notified_on"}
    moved["aware_on"] = other_day
    natural = assess(moved)
    assert natural["regime"] == regime
    assert natural["route"] == overridden["route"]
    assert [n["to"] for n in natural["notify"]] == [n["to"] for n in overridden["notify"]]


@EXAMPLES
@given(valid_facts())
def test_dates_as_strings_or_date_objects_agree(f: dict[str, Any]) -> None:
    as_objects = {k: (as_date(v) if k in ("aware_on", "notified_on") else v) for k, v in f.items()}
    as_strings = {
        k: (as_date(v).isoformat() if k in ("aware_on", "notified_on") else v) for k, v in f.items()
    }
    assert assess(as_objects) == assess(as_strings)


unknown_keys = st.one_of(
    st.text(max_size=20).filter(lambda k: k not in KNOWN_KEYS),
    st.integers(),
    st.tuples(st.integers(), st.text(max_size=3)),
)


@EXAMPLES
@given(valid_facts(), unknown_keys, st.one_of(st.none(), st.booleans(), st.text(max_size=5)))
def test_unknown_keys_always_raise_naming_the_key(f: dict[str, Any], key: Any, value: Any) -> None:
    with pytest.raises(ValueError) as err:
        assess({**f, key: value})
    assert repr(key) in str(err.value)


@EXAMPLES
@given(valid_facts(), st.sampled_from(["aware_on", "abuse_or_neglect", "harm"]))
def test_missing_required_key_always_raises(f: dict[str, Any], key: str) -> None:
    del f[key]
    with pytest.raises(ValueError, match=key):
        assess(f)
