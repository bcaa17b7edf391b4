"""The screening contract, case by case (docs/domain.md §4–5). Expected dates are worked by hand."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from panel.screening.rules import (
    CHOICES,
    CRITERIA_HELP,
    LCSPR_CONSIDERATIONS,
    REGIME_CUTOVER,
    assess,
)

WT15_DAY = "2017-03-01"  # Wed; notification due Wed 8 Mar 2017
WT15_DUE = "2017-03-08"
WT18_DAY = "2025-03-05"  # Wed; notification due Wed 12 Mar 2025
WT18_DUE = "2025-03-12"

FACT_KEYS = {
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
    "care_leaver",
    "age_at_death",
}


def facts(aware_on: Any = WT18_DAY, a: str = "known", harm: str = "died", **more: Any) -> dict:
    return {"aware_on": aware_on, "abuse_or_neglect": a, "harm": harm, **more}


def bodies(result: dict) -> list[str]:
    return [n["to"] for n in result["notify"]]


# (abuse_or_neglect, harm, extra facts, route, notified bodies)
WT2015_CASES = [
    ("known", "died", {}, "scr", ["ofsted"]),
    ("suspected", "died", {"interagency_concerns": "no"}, "scr", ["ofsted"]),
    ("known", "serious_harm", {"interagency_concerns": "yes"}, "scr", ["ofsted"]),
    ("suspected", "serious_harm", {}, "scr", ["ofsted"]),  # unclear counts as concern
    ("known", "serious_harm", {"interagency_concerns": "no"}, "consider_local_review", ["ofsted"]),
    ("known", "other", {}, "consider_local_review", []),
    ("suspected", "other", {"media_interest": True}, "consider_local_review", []),
    ("known", "other", {"looked_after": True}, "consider_local_review", []),
    ("no", "died", {"custody_death": True}, "scr", ["ofsted"]),
    ("no", "died", {}, "no_review", []),
    ("no", "died", {"looked_after": True}, "no_review", ["ofsted"]),
    ("no", "serious_harm", {"media_interest": True}, "no_review", ["ofsted"]),
    ("no", "serious_harm", {"practice_concerns": True}, "no_review", ["ofsted"]),
    ("no", "died", {"practice_concerns": True}, "no_review", ["ofsted"]),
    ("no", "serious_harm", {"looked_after": True}, "no_review", []),
    ("no", "serious_harm", {"interagency_concerns": "yes"}, "no_review", []),
    ("no", "other", {"media_interest": True, "practice_concerns": True}, "no_review", []),
    ("no", "other", {}, "no_review", []),
    ("known", "died", {"location": "elsewhere"}, "scr", ["ofsted"]),  # no location rule
]


@pytest.mark.parametrize(("a", "harm", "extra", "route", "notify"), WT2015_CASES)
def test_wt2015_routes_and_notify(
    a: str, harm: str, extra: dict, route: str, notify: list[str]
) -> None:
    result = assess(facts(WT15_DAY, a, harm, **extra))
    assert result["regime"] == "WT2015"
    assert result["route"] == route
    assert result["notify"] == [{"to": b, "due": WT15_DUE} for b in notify]
    assert "rapid_review_due" not in result


NP_SP = ["national_panel", "safeguarding_partners"]
ALL_FOUR = ["ofsted", "national_panel", "safeguarding_partners", "secretary_of_state"]

WT2018_CASES = [
    ("known", "died", {}, "rapid_review", NP_SP),
    ("suspected", "serious_harm", {}, "rapid_review", NP_SP),
    ("known", "serious_harm", {"interagency_concerns": "no"}, "rapid_review", NP_SP),
    ("known", "died", {"location": "resident_outside_england"}, "rapid_review", NP_SP),
    ("known", "died", {"custody_death": True}, "rapid_review", NP_SP),
    ("known", "died", {"looked_after": True}, "rapid_review", ALL_FOUR),
    ("known", "died", {"location": "elsewhere"}, "consider_local_review", []),
    ("suspected", "serious_harm", {"location": "elsewhere"}, "consider_local_review", []),
    (
        "known",
        "died",
        {"location": "elsewhere", "looked_after": True},
        "consider_local_review",
        ["ofsted", "secretary_of_state"],
    ),
    ("known", "other", {}, "consider_local_review", []),
    ("known", "other", {"looked_after": True}, "consider_local_review", []),
    ("no", "died", {"custody_death": True}, "consider_local_review", []),
    ("no", "died", {"custody_death": True, "location": "elsewhere"}, "consider_local_review", []),
    (
        "no",
        "died",
        {"custody_death": True, "looked_after": True},
        "consider_local_review",
        ["ofsted", "secretary_of_state"],
    ),
    ("no", "died", {}, "no_review", []),
    ("no", "died", {"looked_after": True}, "no_review", ["ofsted", "secretary_of_state"]),
    ("no", "serious_harm", {"looked_after": True}, "no_review", []),
    (
        "no",
        "serious_harm",
        {"media_interest": True, "practice_concerns": True},
        "no_review",
        [],
    ),  # WT2015-only grounds
    ("no", "other", {}, "no_review", []),
]


@pytest.mark.parametrize(("a", "harm", "extra", "route", "notify"), WT2018_CASES)
def test_wt2018_routes_and_notify(
    a: str, harm: str, extra: dict, route: str, notify: list[str]
) -> None:
    result = assess(facts(WT18_DAY, a, harm, **extra))
    assert result["regime"] == "WT2018"
    assert result["route"] == route
    assert result["notify"] == [{"to": b, "due": WT18_DUE} for b in notify]
    assert ("rapid_review_due" in result) == (route == "rapid_review")


@pytest.mark.parametrize(
    ("aware_on", "regime", "route", "notify"),
    [
        ("2018-06-28", "WT2015", "consider_local_review", ["ofsted"]),
        (date(2018, 6, 28), "WT2015", "consider_local_review", ["ofsted"]),
        ("2018-06-29", "WT2018", "rapid_review", NP_SP),
        (date(2018, 6, 29), "WT2018", "rapid_review", NP_SP),
        ("2000-01-04", "WT2015", "consider_local_review", ["ofsted"]),
        ("2023-12-12", "WT2018", "rapid_review", NP_SP),  # WT2023 kept WT2018's criteria
    ],
)
def test_regime_cutover(aware_on: Any, regime: str, route: str, notify: list[str]) -> None:
    result = assess(facts(aware_on, "known", "serious_harm", interagency_concerns="no"))
    assert (result["regime"], result["route"], bodies(result)) == (regime, route, notify)


def test_cutover_constant() -> None:
    assert REGIME_CUTOVER == date(2018, 6, 29)


def test_cutover_due_dates() -> None:
    assert assess(facts("2018-06-28"))["notify"][0]["due"] == "2018-07-05"
    result = assess(facts("2018-06-29"))
    assert {n["due"] for n in result["notify"]} == {"2018-07-06"}
    assert result["rapid_review_due"] == "2018-07-27"


@pytest.mark.parametrize(
    ("regime", "aware_on", "route"),
    [
        ("WT2015", "2025-03-05", "scr"),
        ("WT2018", "2017-03-01", "rapid_review"),
        ("WT2018", "2025-03-05", "rapid_review"),
        ("WT2015", "2017-03-01", "scr"),
    ],
)
def test_regime_override(regime: str, aware_on: str, route: str) -> None:
    result = assess(facts(aware_on, "known", "serious_harm", regime=regime))
    assert (result["regime"], result["route"]) == (regime, route)


def test_regime_none_means_chosen_from_date() -> None:
    assert assess(facts(WT15_DAY, regime=None))["regime"] == "WT2015"


@pytest.mark.parametrize(
    ("aware_on", "due"),
    [
        ("2025-01-10", "2025-01-17"),  # Fri: one weekend
        ("2025-01-11", "2025-01-17"),  # Sat
        ("2025-12-23", "2026-01-02"),  # docs/domain.md §4.4 example: Christmas, Boxing Day, New Year
        ("2016-12-22", "2017-01-03"),  # substitute Christmas and New Year's Days (WT2015)
        ("2025-04-17", "2025-04-28"),  # Good Friday, Easter Monday 2025
        ("2017-04-12", "2017-04-21"),  # Easter 2017 (WT2015)
        ("2022-05-31", "2022-06-09"),  # spring bank + Platinum Jubilee 2022
        ("2022-09-15", "2022-09-23"),  # State Funeral 2022
        ("2023-05-04", "2023-05-12"),  # Coronation 2023
    ],
)
def test_notification_due_dates(aware_on: str, due: str) -> None:
    result = assess(facts(aware_on, "known", "died", looked_after=True))
    assert result["notify"]
    assert {n["due"] for n in result["notify"]} == {due}


@pytest.mark.parametrize(
    ("aware_on", "notified_on", "due"),
    [
        ("2025-12-23", None, "2026-01-23"),  # from the due date, Fri 2 Jan 2026
        ("2025-12-23", "2025-12-29", "2026-01-20"),
        ("2025-03-05", None, "2025-04-02"),  # from Wed 12 Mar
        ("2025-03-05", "2025-03-05", "2025-03-26"),  # notified the day of awareness
        ("2025-03-05", date(2025, 3, 5), "2025-03-26"),
        ("2025-03-05", "2025-03-20", "2025-04-10"),  # sent late: still from the actual day
        ("2025-04-07", "2025-04-10", "2025-05-06"),  # Easter and the early May holiday
    ],
)
def test_rapid_review_due(aware_on: str, notified_on: Any, due: str) -> None:
    extra = {} if notified_on is None else {"notified_on": notified_on}
    result = assess(facts(aware_on, "suspected", "serious_harm", **extra))
    assert result["route"] == "rapid_review"
    assert result["rapid_review_due"] == due


def test_no_rapid_review_due_on_other_routes_even_when_notified() -> None:
    result = assess(facts(WT18_DAY, location="elsewhere", notified_on=WT18_DAY))
    assert result["route"] == "consider_local_review"
    assert "rapid_review_due" not in result
    assert "rapid_review_due" not in assess(facts(WT15_DAY, notified_on=WT15_DAY))


def test_result_shape_and_input_untouched() -> None:
    given = facts(WT18_DAY, looked_after=True)
    snapshot = dict(given)
    result = assess(given)
    assert given == snapshot
    assert set(result) == {"regime", "route", "notify", "reasons", "rapid_review_due"}
    assert all(set(n) == {"to", "due"} for n in result["notify"])
    assert all(isinstance(line, str) and line for line in result["reasons"])


def test_accepts_datetime_for_dates() -> None:
    result = assess(facts(datetime(2025, 12, 23, 16, 30), notified_on=datetime(2025, 12, 29)))
    assert result["notify"][0]["due"] == "2026-01-02"
    assert result["rapid_review_due"] == "2026-01-20"


# --- reasons ---------------------------------------------------------------------------


def _says(reasons: list[str], *words: str) -> list[str]:
    return [r for r in reasons if all(w.lower() in r.lower() for w in words)]


@pytest.mark.parametrize(
    "case",
    [facts(WT15_DAY, *c[:2], **c[2]) for c in WT2015_CASES]
    + [facts(WT18_DAY, *c[:2], **c[2]) for c in WT2018_CASES],
)
def test_every_reason_says_met_or_not_met(case: dict) -> None:
    for line in assess(case)["reasons"]:
        assert ": met" in line or ": not met" in line, line


def test_wt2018_reasons_cite_the_rules() -> None:
    reasons = assess(facts(WT18_DAY, "known", "died"))["reasons"]
    assert _says(reasons, "Children Act 2004 s.16C", "abuse or neglect", ": met")
    assert _says(reasons, "SI 2018/789", "rapid review", ": met")
    assert not any("WT2015" in r for r in reasons[1:])
    reasons = assess(facts(WT18_DAY, "no", "other"))["reasons"]
    assert _says(reasons, "s.16C", "abuse or neglect", ": not met")
    assert _says(reasons, "died or was seriously harmed", ": not met")


def test_wt2015_reasons_cite_the_rules() -> None:
    reasons = assess(facts(WT15_DAY, "known", "serious_harm", interagency_concerns="no"))["reasons"]
    assert _says(reasons, "WT2015 ch.4", "abuse or neglect", ": met")
    assert _says(reasons, "WT2015 ch.4", "worked together", ": not met")
    assert _says(reasons, "WT2015 ch.4", "custody", ": not met")
    assert _says(reasons, "Ofsted", ": met")
    reasons = assess(facts(WT15_DAY, "no", "died", custody_death=True))["reasons"]
    assert _says(reasons, "custody", ": met")


def test_regime_reason() -> None:
    assert _says(assess(facts("2018-06-28"))["reasons"], "29 June 2018", "not met", "WT2015")
    assert _says(assess(facts("2018-06-29"))["reasons"], "29 June 2018", ": met", "WT2018")
    override = assess(facts("2018-06-29", regime="WT2015"))["reasons"]
    assert _says(override, "regime set to WT2015")


def test_elsewhere_reason_only_under_wt2018() -> None:
    duty = "duty to notify lies with the authority where it happened"
    assert _says(assess(facts(WT18_DAY, location="elsewhere"))["reasons"], duty, "not met")
    assert _says(assess(facts(WT18_DAY, "no", "other", location="elsewhere"))["reasons"], duty)
    assert not _says(assess(facts(WT18_DAY))["reasons"], duty)
    assert not _says(assess(facts(WT15_DAY, location="elsewhere"))["reasons"], duty)


def test_looked_after_reason() -> None:
    reasons = assess(facts(WT18_DAY, "no", "died", looked_after=True))["reasons"]
    assert _says(reasons, "looked-after", "Secretary of State", ": met")


# --- bad facts -------------------------------------------------------------------------

BAD = [
    ({"aware_on": None}, "aware_on"),
    ({"abuse_or_neglect": None}, "abuse_or_neglect"),
    ({"harm": None}, "harm"),
    ({"abuse_or_neglect": "yes"}, "abuse_or_neglect"),
    ({"abuse_or_neglect": "Known"}, "abuse_or_neglect"),
    ({"abuse_or_neglect": True}, "abuse_or_neglect"),
    ({"harm": "dead"}, "harm"),
    ({"harm": 1}, "harm"),
    ({"interagency_concerns": "maybe"}, "interagency_concerns"),
    ({"interagency_concerns": None}, "interagency_concerns"),
    ({"location": "abroad"}, "location"),
    ({"location": ""}, "location"),
    ({"regime": "WT2023"}, "regime"),
    ({"regime": "wt2018"}, "regime"),
    ({"regime": 2018}, "regime"),
    ({"child_name": "X"}, "child_name"),
    ({"aware": "2025-03-05"}, "aware"),
    ({"Harm": "died"}, "Harm"),
    ({"aware_on": "05/03/2025"}, "aware_on"),
    ({"aware_on": "2025-13-01"}, "aware_on"),
    ({"aware_on": "2025-02-30"}, "aware_on"),
    ({"aware_on": "20250305"}, "aware_on"),
    ({"aware_on": "2025-03-05T10:00"}, "aware_on"),
    ({"aware_on": " 2025-03-05"}, "aware_on"),
    ({"aware_on": ""}, "aware_on"),
    ({"aware_on": 20250305}, "aware_on"),
    ({"notified_on": "yesterday"}, "notified_on"),
    ({"notified_on": "2025-02-29"}, "notified_on"),
    ({"notified_on": 1}, "notified_on"),
    ({"notified_on": "2025-03-04"}, "notified_on"),  # before aware_on
    ({"custody_death": "yes"}, "custody_death"),
    ({"custody_death": 1}, "custody_death"),
    ({"custody_death": None}, "custody_death"),
    ({"looked_after": "true"}, "looked_after"),
    ({"looked_after": 0}, "looked_after"),
    ({"media_interest": "False"}, "media_interest"),
    ({"practice_concerns": 1}, "practice_concerns"),
    ({"custody_death": True, "harm": "serious_harm"}, "custody_death"),
    ({"custody_death": True, "harm": "other"}, "custody_death"),
]


@pytest.mark.parametrize(("change", "key"), BAD)
def test_bad_facts_name_the_key(change: dict, key: str) -> None:
    bad = {**facts(WT18_DAY), **change}
    with pytest.raises(ValueError, match=key):
        assess(bad)


@pytest.mark.parametrize("key", ["aware_on", "abuse_or_neglect", "harm"])
def test_missing_required_key(key: str) -> None:
    bad = facts(WT18_DAY)
    del bad[key]
    with pytest.raises(ValueError, match=key):
        assess(bad)


def test_facts_must_be_a_dict() -> None:
    with pytest.raises(ValueError, match="facts"):
        assess([("aware_on", WT18_DAY)])  # type: ignore[arg-type]


def test_every_unknown_key_is_named() -> None:
    with pytest.raises(ValueError) as err:
        assess({**facts(), "zeta": 1, "alpha": 2})
    assert "alpha" in str(err.value) and "zeta" in str(err.value)


# --- help for the screening page ------------------------------------------------------


def test_help_covers_every_fact_key() -> None:
    assert set(CRITERIA_HELP) == FACT_KEYS
    assert all(text.strip() for text in CRITERIA_HELP.values())
    assert "recover" in CRITERIA_HELP["harm"]
    for setting in (
        "Young Offender Institution",
        "secure training centre",
        "secure children's home",
        "Mental Health Act 1983",
        "Mental Capacity Act 2005",
        "remand",
    ):
        assert setting in CRITERIA_HELP["custody_death"]
    assert "2015" in CRITERIA_HELP["media_interest"]
    assert "2015" in CRITERIA_HELP["practice_concerns"]


def test_choices_match_the_contract() -> None:
    expected = {
        "regime": ["WT2015", "WT2018"],
        "abuse_or_neglect": ["known", "suspected", "no"],
        "harm": ["died", "serious_harm", "other"],
        "interagency_concerns": ["yes", "unclear", "no"],
        "location": ["in_area", "resident_outside_england", "elsewhere"],
    }
    assert {k: [v for v, _ in opts] for k, opts in CHOICES.items()} == expected
    assert all(label for opts in CHOICES.values() for _, label in opts)


def test_every_choice_is_accepted() -> None:
    for key, opts in CHOICES.items():
        for value, _ in opts:
            assess({**facts(WT18_DAY), key: value})


def test_lcspr_considerations() -> None:
    keys = [k for k, _ in LCSPR_CONSIDERATIONS]
    assert len(keys) == 8 == len(set(keys))
    text = " ".join(t for _, t in LCSPR_CONSIDERATIONS).lower()
    for phrase in (
        "identified before",
        "recurrent themes",
        "two or more",
        "national panel",
        "single agency",
        "no agency",
        "border",
        "custodial",
    ):
        assert phrase in text
