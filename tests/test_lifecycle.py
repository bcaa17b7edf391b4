"""A review's clock (docs/domain.md §4.4 "Working days", §6): planned dates worked out by hand."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panel.core.clock import add_working_days, is_working_day
from panel.reviews.lifecycle import (
    RAG,
    STATUSES,
    check_dates_in_order,
    copy_deadline,
    copy_too_late,
    milestone_status,
    planned_dates,
    rapid_review_stages,
    review_status,
    subtract_working_days,
    website_until,
)
from panel.reviews.types import (
    COPY_KEY,
    DEFAULT_REVIEW_TYPES,
    PUBLICATION_KEY,
    MilestoneSpec,
    get_type,
)
from panel.screening.rules import assess

D = date.fromisoformat
EXAMPLES = settings(max_examples=150, deadline=None)
WITH_MILESTONES = [t for t in DEFAULT_REVIEW_TYPES if t.milestones]
SIMPLE = (
    MilestoneSpec("a", "A", 10, "working_days"),
    MilestoneSpec("b", "B", 20, "working_days"),
    MilestoneSpec("c", "C", 6, "months"),
)


# --- planned dates ---------------------------------------------------------------------------


def test_fifteen_working_days_across_christmas_2025() -> None:
    # Fri 19 Dec 2025 + 15: 22, 23, 24 (3); 25 and 26 Dec off; 29, 30, 31 (6); 1 Jan off;
    # 2 (7); 5-9 (12); 12, 13, 14 (15) -> Wed 14 Jan 2026.
    planned = planned_dates(get_type("lcspr"), D("2025-12-19"))
    assert planned["terms_of_reference_agreed"] == D("2026-01-14")
    assert planned["reviewer_commissioned"] == D("2026-01-21")  # five more working days
    assert planned[PUBLICATION_KEY] == D("2026-06-19")


def test_months_clamp_to_month_end() -> None:
    planned = planned_dates(get_type("lcspr"), D("2025-08-31"))
    assert planned[PUBLICATION_KEY] == D("2026-02-28")
    assert planned["action_plan_agreed"] == D("2026-03-31")
    assert planned["closure"] == D("2026-08-31")


def test_planned_dates_follow_the_type_order_and_accept_a_plain_list() -> None:
    spec = get_type("scr")
    planned = planned_dates(spec, D("2017-03-01"))
    assert list(planned) == [m.key for m in spec.milestones]
    assert planned_dates(list(spec.milestones), D("2017-03-01")) == planned
    assert planned_dates(get_type("no_further_review"), D("2024-01-01")) == {}


def test_rapid_review_counts_from_the_notification() -> None:
    # Notified Fri 19 Dec 2025 (day 0): day 1 Mon 22 Dec; day 10 Wed 7 Jan; 12 Fri 9; 15 Wed 14.
    planned = planned_dates(get_type("rapid_review"), D("2026-03-02"), notified_on=D("2025-12-19"))
    assert planned == {
        "agency_summaries_requested": D("2025-12-22"),
        "agency_summaries_due": D("2026-01-07"),
        "panel_analysis": D("2026-01-09"),
        "sent_to_national_panel": D("2026-01-14"),
        "lcspr_decision_recorded": D("2026-01-14"),
    }
    facts = {
        "aware_on": "2025-12-15",
        "abuse_or_neglect": "known",
        "harm": "died",
        "notified_on": "2025-12-19",
    }
    assert D(assess(facts)["rapid_review_due"]) == planned["sent_to_national_panel"]


def test_notification_anchor_needs_notified_on() -> None:
    with pytest.raises(ValueError, match="notified_on"):
        planned_dates(get_type("rapid_review"), D("2025-12-19"))


def test_bad_anchor_or_unit_is_refused() -> None:
    with pytest.raises(ValueError, match="anchor"):
        planned_dates([MilestoneSpec("a", "A", 1, "working_days", anchor="x")], D("2026-01-05"))
    with pytest.raises(ValueError, match="unit"):
        planned_dates([MilestoneSpec("a", "A", 1, "weeks")], D("2026-01-05"))


def test_rapid_review_stages_for_display() -> None:
    stages = rapid_review_stages(D("2025-12-19"))
    assert [d for _, d in stages] == [
        D("2025-12-22"),
        D("2026-01-07"),
        D("2026-01-09"),
        D("2026-01-14"),
        D("2026-01-14"),
    ]
    assert stages[0][0] == "Agency summaries requested (day 1)"


# --- delays ----------------------------------------------------------------------------------


def test_delay_moves_only_milestones_on_or_after_its_start() -> None:
    # Mon 1 Jun 2026: a = +10 = Mon 15 Jun; b = +20 = Mon 29 Jun; c = Tue 1 Dec 2026.
    base = planned_dates(SIMPLE, D("2026-06-01"))
    assert base == {"a": D("2026-06-15"), "b": D("2026-06-29"), "c": D("2026-12-01")}
    delayed = planned_dates(SIMPLE, D("2026-06-01"), delays=[(D("2026-06-20"), 5)])
    assert delayed == {"a": D("2026-06-15"), "b": D("2026-07-06"), "c": D("2026-12-08")}


def test_delay_starting_on_a_milestone_moves_it_and_delays_add_up() -> None:
    on_a = planned_dates(SIMPLE, D("2026-06-01"), delays=[(D("2026-06-15"), 2)])
    assert on_a == {"a": D("2026-06-17"), "b": D("2026-07-01"), "c": D("2026-12-03")}
    two = planned_dates(
        SIMPLE, D("2026-06-01"), delays=[(D("2026-06-20"), 5), (D("2026-11-01"), 3)]
    )
    assert two == {"a": D("2026-06-15"), "b": D("2026-07-06"), "c": D("2026-12-11")}
    with pytest.raises(ValueError, match="delays"):
        planned_dates(SIMPLE, D("2026-06-01"), delays=[(D("2026-06-20"), -1)])


# --- copy to the National Panel --------------------------------------------------------------


def test_copy_deadline_worked_by_hand() -> None:
    # Publication Mon 12 Jan 2026: back 9, 8, 7, 6, 5 Jan (5); Fri 2 Jan (6); 1 Jan is a bank
    # holiday; Wed 31 Dec 2025 (7).
    assert copy_deadline(D("2026-01-12")) == D("2025-12-31")
    assert add_working_days(D("2025-12-31"), 7) == D("2026-01-12")
    # Tue 7 Apr 2026, after Easter (Good Friday 3, Easter Monday 6 April): 2, 1, 31, 30, 27,
    # 26, 25 -> Wed 25 Mar.
    assert copy_deadline(D("2026-04-07")) == D("2026-03-25")
    # Publication on a Saturday counts from Fri 27 Feb: 26, 25, 24, 23, 20, 19, 18.
    assert copy_deadline(D("2026-02-28")) == D("2026-02-18")


@pytest.mark.parametrize(
    ("copy", "publication", "late"),
    [
        ("2025-12-31", "2026-01-12", False),  # on the deadline
        ("2025-12-19", "2026-01-12", False),  # earlier still
        ("2026-01-02", "2026-01-12", True),  # 6 working days before
        ("2026-01-03", "2026-01-12", True),  # a Saturday, still 6
        ("2026-01-13", "2026-01-12", True),  # after publication
        ("2026-02-18", "2026-02-28", False),
        ("2026-02-19", "2026-02-28", True),
        (None, "2026-01-12", True),  # publication set, no copy
        (None, None, False),
        ("2025-12-31", None, False),
    ],
)
def test_copy_too_late(copy: str | None, publication: str | None, late: bool) -> None:
    c = D(copy) if copy else None
    p = D(publication) if publication else None
    assert copy_too_late(c, p) is late


def test_copy_is_never_planned_after_its_deadline() -> None:
    both_six_months = (
        MilestoneSpec(COPY_KEY, "Copy", 6, "months"),
        MilestoneSpec(PUBLICATION_KEY, "Publication", 6, "months"),
    )
    planned = planned_dates(both_six_months, D("2025-07-12"))
    assert planned == {COPY_KEY: D("2025-12-31"), PUBLICATION_KEY: D("2026-01-12")}
    # A delay between the copy and publication moves publication only.
    delayed = planned_dates(both_six_months, D("2025-07-12"), delays=[(D("2026-01-05"), 3)])
    assert delayed == {COPY_KEY: D("2025-12-31"), PUBLICATION_KEY: D("2026-01-15")}


def test_website_until() -> None:
    assert website_until(D("2025-03-31")) == D("2026-03-31")
    assert website_until(D("2024-02-29")) == D("2025-02-28")


# --- status ----------------------------------------------------------------------------------

PLANNED = D("2026-01-14")  # a Wednesday


@pytest.mark.parametrize(
    ("actual", "today", "amber_within", "status"),
    [
        ("2026-01-14", "2026-02-01", 5, "done"),
        ("2026-01-13", "2026-01-13", 5, "done"),
        ("2026-01-15", "2026-01-20", 5, "done_late"),
        (None, "2026-01-15", 5, "overdue"),
        (None, "2026-01-14", 5, "due_soon"),  # due today
        (None, "2026-01-07", 5, "due_soon"),  # 8, 9, 12, 13, 14: five working days left
        (None, "2026-01-06", 5, "pending"),  # six left
        (None, "2026-01-13", 0, "pending"),
        (None, "2026-01-14", 0, "due_soon"),
    ],
)
def test_milestone_status(actual: str | None, today: str, amber_within: int, status: str) -> None:
    a = D(actual) if actual else None
    assert milestone_status(PLANNED, a, D(today), amber_within) == status


def test_milestone_status_without_a_plan_and_rag_map() -> None:
    assert milestone_status(None, None, PLANNED) == "pending"
    assert milestone_status(None, PLANNED, PLANNED) == "done"
    assert set(RAG) == set(STATUSES)
    assert RAG["overdue"] == "red" and RAG["due_soon"] == "amber" and RAG["done"] == "green"


def _ms(*rows: tuple[str, str, str | None]) -> list[dict]:
    return [{"key": k, "planned": D(p), "actual": D(a) if a else None} for k, p, a in rows]


def test_review_status_red_when_anything_is_overdue() -> None:
    ms = _ms(
        ("a", "2026-01-05", "2026-01-05"),
        ("b", "2026-01-08", "2026-01-09"),
        ("c", "2026-01-12", None),
        ("d", "2026-01-16", None),
        ("e", "2026-03-02", None),
    )
    status = review_status(ms, D("2026-01-14"))
    assert status["rag"] == "red"
    assert (status["next_key"], status["next_due"], status["days_left"]) == (
        "c",
        D("2026-01-12"),
        -2,
    )
    assert status["counts"] == {
        "done": 1,
        "done_late": 1,
        "overdue": 1,
        "due_soon": 1,
        "pending": 1,
    }
    assert status["statuses"]["d"] == "due_soon"


def test_review_status_amber_then_green() -> None:
    amber = review_status(
        _ms(("b", "2026-01-08", "2026-01-09"), ("d", "2026-01-16", None)), D("2026-01-14")
    )
    assert (amber["rag"], amber["next_key"], amber["days_left"]) == ("amber", "d", 2)
    green = review_status(
        _ms(("b", "2026-01-08", "2026-01-08"), ("e", "2026-03-02", None)), D("2026-01-14")
    )
    assert (green["rag"], green["next_key"]) == ("green", "e")
    done = review_status(_ms(("b", "2026-01-08", "2026-01-20")), D("2026-02-14"))
    assert (done["rag"], done["next_key"], done["next_due"], done["days_left"]) == (
        "green",
        None,
        None,
        None,
    )
    assert review_status([], D("2026-01-14"))["rag"] == "green"


# --- dates in order --------------------------------------------------------------------------


def test_check_dates_in_order() -> None:
    order = ["decision_on", "partnership_sign_off_on", "published_on"]
    dates = {
        "decision_on": D("2025-09-01"),
        "partnership_sign_off_on": D("2026-03-12"),
        "published_on": D("2026-03-02"),
    }
    assert check_dates_in_order(dates, order) == {
        "published_on": "Publication cannot be before partnership sign-off (Thu 12 Mar 2026)."
    }
    # Blank steps are skipped; the latest earlier date is the one compared against.
    gap = {
        "decision_on": D("2026-04-01"),
        "partnership_sign_off_on": None,
        "published_on": D("2026-03-02"),
    }
    assert check_dates_in_order(gap, order) == {
        "published_on": "Publication cannot be before decision (Wed 1 Apr 2026)."
    }
    fine = {"decision_on": D("2026-01-01"), "published_on": D("2026-01-01")}
    assert check_dates_in_order(fine, order) == {}
    custom = check_dates_in_order(
        {"x": D("2026-01-02"), "y": D("2026-01-01")},
        ["x", "y"],
        labels={"x": "LCSPR decision", "y": "Start"},
    )
    assert custom == {"y": "Start cannot be before LCSPR decision (Fri 2 Jan 2026)."}


# --- properties ------------------------------------------------------------------------------

days = st.dates(date(2012, 1, 1), date(2035, 12, 31))
delay_lists = st.lists(st.tuples(days, st.integers(0, 30)), max_size=3)
types = st.sampled_from(WITH_MILESTONES)


@EXAMPLES
@given(days, st.integers(0, 60))
def test_subtract_inverts_add(d: date, n: int) -> None:
    back = subtract_working_days(add_working_days(d, n), n)
    assert back <= d
    if is_working_day(d):
        assert back == d and is_working_day(back)


@EXAMPLES
@given(days)
def test_copy_deadline_is_the_latest_working_day_in_time(publication: date) -> None:
    deadline = copy_deadline(publication)
    assert is_working_day(deadline)
    assert not copy_too_late(deadline, publication)
    assert copy_too_late(add_working_days(deadline, 1), publication)


@EXAMPLES
@given(types, days, delay_lists)
def test_a_delay_never_brings_a_date_earlier(spec, decision: date, delays) -> None:
    plain = planned_dates(spec, decision, notified_on=decision)
    delayed = planned_dates(spec, decision, notified_on=decision, delays=delays)
    assert all(delayed[k] >= plain[k] for k in plain)


@EXAMPLES
@given(types, days, st.integers(0, 400), delay_lists)
def test_planned_dates_never_decrease_with_the_decision(spec, d1: date, gap: int, delays) -> None:
    d2 = d1 + timedelta(days=gap)
    p1 = planned_dates(spec, d1, notified_on=d1, delays=delays)
    p2 = planned_dates(spec, d2, notified_on=d2, delays=delays)
    assert all(p1[k] <= p2[k] for k in p1)


@EXAMPLES
@given(types, days)
def test_default_milestones_run_forwards_and_copy_is_in_time(spec, decision: date) -> None:
    planned = planned_dates(spec, decision, notified_on=decision)
    values = list(planned.values())
    assert values == sorted(values), spec.key
    if COPY_KEY in planned:
        assert not copy_too_late(planned[COPY_KEY], planned[PUBLICATION_KEY])
        assert planned[COPY_KEY] >= planned["partnership_sign_off"]
