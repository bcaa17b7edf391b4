"""Review types: the default outcomes follow the published local processes and fit the engine's routes."""

from __future__ import annotations

import itertools

import pytest

from panel.reviews.types import (
    ANCHORS,
    COPY_KEY,
    DEFAULT_REVIEW_TYPES,
    PUBLICATION_KEY,
    REGIMES,
    UNITS,
    MilestoneSpec,
    ReviewTypeSpec,
    departs_from_route,
    get_type,
    types_for,
    validate_milestones,
    validate_type,
)
from panel.screening.rules import RAPID_REVIEW_WITHIN, ROUTES, assess

EXPECTED_KEYS = {
    "scr",
    "malr",
    "iar",
    "macr",
    "learning_review",
    "cpir",
    "no_further_review_2015",
    "rapid_review",
    "lcspr",
    "local_learning_review",
    "no_further_review",
}


def _engine_routes(regime: str) -> set[str]:
    """Every route the criteria engine can return under `regime`, by trying every fact set."""
    routes = set()
    aware = "2017-03-01" if regime == "WT2015" else "2024-03-01"
    for abuse, harm, concerns, custody, location in itertools.product(
        ["known", "suspected", "no"],
        ["died", "serious_harm", "other"],
        ["yes", "unclear", "no"],
        [False, True],
        ["in_area", "resident_outside_england", "elsewhere"],
    ):
        if custody and harm != "died":
            continue
        facts = {
            "aware_on": aware,
            "abuse_or_neglect": abuse,
            "harm": harm,
            "interagency_concerns": concerns,
            "custody_death": custody,
            "location": location,
        }
        routes.add(assess(facts)["route"])
    return routes


def test_default_keys_are_the_documented_ones_and_unique() -> None:
    keys = [t.key for t in DEFAULT_REVIEW_TYPES]
    assert len(keys) == len(set(keys))
    assert set(keys) == EXPECTED_KEYS


@pytest.mark.parametrize("spec", DEFAULT_REVIEW_TYPES, ids=lambda t: t.key)
def test_every_default_type_validates(spec: ReviewTypeSpec) -> None:
    assert validate_type(spec) == {}
    assert validate_milestones(spec.milestones) == {}
    assert spec.regime in REGIMES
    assert spec.routes and set(spec.routes) <= set(ROUTES)
    assert spec.source and spec.description
    keys = [m.key for m in spec.milestones]
    assert len(keys) == len(set(keys))
    for m in spec.milestones:
        assert m.unit in UNITS and m.anchor in ANCHORS and m.offset >= 0
        assert m.name.strip() and m.help.strip()
    # An outcome that creates a review has milestones to track; "no further review" has none.
    assert bool(spec.milestones) == spec.creates_review


@pytest.mark.parametrize("regime", REGIMES)
def test_every_engine_route_has_a_consistent_type(regime: str) -> None:
    routes = _engine_routes(regime)
    expected = {"scr"} if regime == "WT2015" else {"rapid_review"}
    assert routes == expected | {"consider_local_review", "no_review"}
    for route in routes:
        fitting = [t.key for t in types_for(regime) if route in t.routes]
        assert fitting, f"{regime}: no type for route {route}"


def test_types_for_splits_by_regime() -> None:
    wt15 = [t.key for t in types_for("WT2015")]
    wt18 = [t.key for t in types_for("WT2018")]
    assert wt15 == [
        "scr",
        "malr",
        "iar",
        "macr",
        "learning_review",
        "cpir",
        "no_further_review_2015",
    ]
    assert wt18 == ["rapid_review", "lcspr", "local_learning_review", "no_further_review"]
    with pytest.raises(ValueError, match="regime"):
        types_for("WT2023")


def test_get_type() -> None:
    assert get_type("lcspr").name == "Local Child Safeguarding Practice Review"
    with pytest.raises(ValueError, match="'nope'"):
        get_type("nope")


def test_statutory_types() -> None:
    assert {t.key for t in DEFAULT_REVIEW_TYPES if t.statutory} == {"scr", "rapid_review", "lcspr"}
    assert {t.key for t in DEFAULT_REVIEW_TYPES if not t.creates_review} == {
        "no_further_review_2015",
        "no_further_review",
    }


@pytest.mark.parametrize(
    ("type_key", "route", "departs"),
    [
        ("scr", "scr", False),
        ("malr", "scr", True),  # a learning review where the criteria demand an SCR
        ("no_further_review_2015", "scr", True),
        ("malr", "consider_local_review", False),
        ("iar", "consider_local_review", False),
        ("cpir", "consider_local_review", False),
        ("macr", "no_review", True),
        (
            "learning_review",
            "no_review",
            False,
        ),  # Tameside holds learning events on good practice too
        ("no_further_review_2015", "no_review", False),
        ("no_further_review_2015", "consider_local_review", False),
        ("scr", "consider_local_review", True),
        ("rapid_review", "rapid_review", False),
        ("rapid_review", "consider_local_review", True),
        ("lcspr", "rapid_review", False),  # it follows a rapid review
        ("lcspr", "consider_local_review", False),
        ("lcspr", "no_review", True),
        ("local_learning_review", "consider_local_review", False),
        ("no_further_review", "rapid_review", True),  # every notified case gets a rapid review
        ("no_further_review", "no_review", False),
    ],
)
def test_departs_from_route(type_key: str, route: str, departs: bool) -> None:
    assert departs_from_route(type_key, route) is departs


def test_departs_from_route_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="engine_route"):
        departs_from_route("scr", "SCR")
    with pytest.raises(ValueError, match="'nope'"):
        departs_from_route("nope", "scr")


def test_rapid_review_runs_on_the_notification_clock() -> None:
    rr = get_type("rapid_review")
    assert [(m.key, m.offset) for m in rr.milestones] == [
        ("agency_summaries_requested", 1),
        ("agency_summaries_due", 10),
        ("panel_analysis", 12),
        ("sent_to_national_panel", RAPID_REVIEW_WITHIN),
        ("lcspr_decision_recorded", RAPID_REVIEW_WITHIN),
    ]
    assert all(m.anchor == "notification" and m.unit == "working_days" for m in rr.milestones)
    assert [m.key for m in rr.milestones if m.statutory] == ["sent_to_national_panel"]


def test_lcspr_statutory_milestones() -> None:
    ms = {m.key: m for m in get_type("lcspr").milestones}
    assert (ms[PUBLICATION_KEY].offset, ms[PUBLICATION_KEY].unit) == (6, "months")
    assert ms[PUBLICATION_KEY].statutory and ms[COPY_KEY].statutory
    keys = list(ms)
    assert keys.index("partnership_sign_off") < keys.index(COPY_KEY) < keys.index(PUBLICATION_KEY)
    assert keys[-2:] == ["action_plan_agreed", "closure"]


def test_scr_has_the_domain_milestones() -> None:
    keys = [m.key for m in get_type("scr").milestones]
    assert keys == [
        "terms_of_reference_agreed",
        "reviewer_commissioned",
        "agency_records_secured",
        "family_invited",
        "chronologies_requested",
        "chronologies_received",
        "practitioner_event",
        "draft_report",
        "factual_accuracy_checked",
        "panel_sign_off",
        "partnership_sign_off",
        COPY_KEY,
        PUBLICATION_KEY,
        "action_plan_agreed",
        "closure",
    ]


def test_validate_milestones_reports_each_problem() -> None:
    bad = [
        MilestoneSpec("draft_report", "Draft", 10, "working_days"),
        MilestoneSpec("draft_report", "Draft again", 12, "working_days"),
        MilestoneSpec("sign_off", "  ", 5, "weeks"),
        MilestoneSpec("Closure Date", "Closure", -3, "months", anchor="referral"),
    ]
    errors = validate_milestones(bad)
    assert set(errors) == {
        "milestones[1].key",
        "milestones[2].name",
        "milestones[2].unit",
        "milestones[3].key",
        "milestones[3].offset",
        "milestones[3].anchor",
    }
    assert (
        "Duplicate" in errors["milestones[1].key"]
        and "'draft_report'" in errors["milestones[1].key"]
    )
    assert "weeks" in errors["milestones[2].unit"]
    assert "negative" in errors["milestones[3].offset"]


def test_validate_milestones_accepts_editor_dicts() -> None:
    rows = [
        {"key": "event", "name": "Event", "offset": 10, "unit": "working_days"},
        {"key": "close", "name": "Close", "offset": 3, "unit": "months", "anchor": "decision"},
    ]
    assert validate_milestones(rows) == {}
    rows.append({"key": "x", "name": "X", "offset": "10", "unit": "months"})
    assert set(validate_milestones(rows)) == {"milestones[2].offset"}
    assert validate_milestones([]) == {}


def test_validate_type_checks_the_whole_type() -> None:
    spec = ReviewTypeSpec(
        key="Bad Key",
        name="",
        regime="WT2023",
        statutory=False,
        routes=("lcspr",),
        creates_review=False,
        description="",
        milestones=(MilestoneSpec("a", "A", -1, "working_days"),),
        source="",
    )
    assert set(validate_type(spec)) == {
        "key",
        "name",
        "regime",
        "routes",
        "milestones",
        "milestones[0].offset",
    }


def test_specs_are_frozen() -> None:
    with pytest.raises(AttributeError):
        get_type("scr").milestones[0].offset = 1  # type: ignore[misc]
