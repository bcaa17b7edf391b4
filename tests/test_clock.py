"""The working-day clock behind every statutory deadline (docs/domain.md §4.4 "Working days")."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from panel.core.clock import (
    add_months,
    add_working_days,
    is_working_day,
    late_by_working_days,
    rag,
    working_days_between,
    working_days_left,
)

D = date.fromisoformat


def test_domain_example_christmas_2025() -> None:
    # Tue 23 Dec 2025: Christmas, Boxing Day, New Year's Day and two weekends skipped.
    assert add_working_days(D("2025-12-23"), 5) == D("2026-01-02")
    assert working_days_between(D("2025-12-23"), D("2026-01-02")) == 5


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2025-01-06", 0, "2025-01-06"),  # day 0 is the start itself
        ("2025-01-06", 1, "2025-01-07"),
        ("2025-01-06", 5, "2025-01-13"),  # Mon + 5 = next Mon
        ("2025-01-10", 1, "2025-01-13"),  # Fri + 1 skips the weekend
        ("2025-01-11", 1, "2025-01-13"),  # from a Saturday
        ("2025-01-12", 1, "2025-01-13"),  # from a Sunday
        ("2025-01-12", 5, "2025-01-17"),
        ("2025-04-17", 1, "2025-04-22"),  # Easter 2025: Good Friday 18, Easter Monday 21
        ("2026-04-02", 1, "2026-04-07"),  # Easter 2026: 3 and 6 April
        ("2022-12-23", 1, "2022-12-28"),  # Boxing Day 26 + substitute Christmas 27 Dec 2022
        ("2026-12-24", 1, "2026-12-29"),  # Christmas Fri 25, substitute Boxing Day Mon 28
        ("2022-06-01", 1, "2022-06-06"),  # Spring bank 2 Jun + Platinum Jubilee 3 Jun 2022
        ("2022-09-16", 1, "2022-09-20"),  # State Funeral Mon 19 Sep 2022
        ("2023-05-05", 1, "2023-05-09"),  # Coronation Mon 8 May 2023
        ("2021-12-24", 1, "2021-12-29"),  # Christmas 2021 on a Saturday: 27 and 28 off
        ("2020-12-31", 1, "2021-01-04"),  # New Year's Day Fri
    ],
)
def test_add_working_days(start: str, n: int, expected: str) -> None:
    assert add_working_days(D(start), n) == D(expected)


@pytest.mark.parametrize(
    "day",
    [
        "2025-04-18",
        "2025-04-21",  # Good Friday, Easter Monday
        "2022-12-26",
        "2022-12-27",  # Boxing Day, substitute Christmas Day
        "2026-12-25",
        "2026-12-28",  # Christmas Day, substitute Boxing Day
        "2022-01-03",  # substitute New Year's Day
        "2022-06-02",
        "2022-06-03",  # moved spring bank, Platinum Jubilee
        "2022-09-19",  # State Funeral of Queen Elizabeth II
        "2023-05-08",  # Coronation of King Charles III
        "2020-05-08",  # VE Day 75: early May bank holiday moved
        "2025-01-04",
        "2025-01-05",  # weekend
    ],
)
def test_not_working_days(day: str) -> None:
    assert not is_working_day(D(day))


@pytest.mark.parametrize(
    "day",
    [
        "2025-12-23",
        "2026-01-02",
        "2020-05-04",  # the usual first Monday in May was a working day in 2020
        "2022-05-30",  # the usual last Monday in May was a working day in 2022
        "2025-03-17",  # St Patrick's Day is a bank holiday only in Northern Ireland
        "2025-01-02",  # 2 January is a holiday only in Scotland
    ],
)
def test_working_days(day: str) -> None:
    assert is_working_day(D(day))


def test_add_working_days_rejects_negative() -> None:
    with pytest.raises(ValueError):
        add_working_days(D("2025-01-06"), -1)


def test_working_days_between_negative_and_zero() -> None:
    assert working_days_between(D("2025-01-13"), D("2025-01-06")) == -5
    assert working_days_between(D("2025-01-06"), D("2025-01-06")) == 0
    assert working_days_between(D("2025-01-10"), D("2025-01-12")) == 0  # Fri to Sun


def test_late_by_working_days_is_at_least_one_once_past_the_due_date() -> None:
    # Due Thu 24 Dec 2026: Fri 25 Christmas Day, Sat 26 Boxing Day, Mon 28 its substitute day.
    due = D("2026-12-24")
    assert late_by_working_days(due, D("2026-12-22")) == 0  # early
    assert late_by_working_days(due, due) == 0
    assert late_by_working_days(due, D("2026-12-28")) == 1  # no working day passed, still late
    assert late_by_working_days(due, D("2026-12-29")) == 1  # Tue 29 is the first working day
    assert late_by_working_days(due, D("2026-12-30")) == 2


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        ("2025-08-31", 6, "2026-02-28"),
        ("2023-08-31", 6, "2024-02-29"),  # leap year
        ("2025-01-31", 1, "2025-02-28"),
        ("2025-03-31", 1, "2025-04-30"),
        ("2025-01-15", 6, "2025-07-15"),
        ("2025-10-31", 4, "2026-02-28"),  # across the year end
        ("2025-05-31", -3, "2025-02-28"),
    ],
)
def test_add_months_clamps_to_month_end(start: str, months: int, expected: str) -> None:
    assert add_months(D(start), months) == D(expected)


@pytest.mark.parametrize(
    ("days_left", "amber_within", "expected"),
    [
        (None, 2, "none"),
        (-1, 2, "red"),
        (-30, 2, "red"),
        (0, 2, "amber"),  # due today
        (2, 2, "amber"),
        (3, 2, "green"),
        (5, 5, "amber"),
        (6, 5, "green"),
        (0, 0, "amber"),
        (1, 0, "green"),
    ],
)
def test_rag(days_left: int | None, amber_within: int, expected: str) -> None:
    assert rag(days_left, amber_within) == expected


def test_rag_default_threshold_is_two() -> None:
    assert [rag(n) for n in (-1, 0, 1, 2, 3)] == ["red", "amber", "amber", "amber", "green"]


dates = st.dates(min_value=date(2000, 1, 1), max_value=date(2040, 12, 31))
counts = st.integers(min_value=0, max_value=60)


@settings(max_examples=300)
@given(dates, st.integers(min_value=1, max_value=60))
def test_result_is_a_working_day(start: date, n: int) -> None:
    assert is_working_day(add_working_days(start, n))


@settings(max_examples=300)
@given(dates, counts)
def test_strictly_increasing_in_n(start: date, n: int) -> None:
    assert add_working_days(start, n) < add_working_days(start, n + 1)


@settings(max_examples=300)
@given(dates, counts)
def test_between_inverts_add(start: date, n: int) -> None:
    assert working_days_between(start, add_working_days(start, n)) == n


@settings(max_examples=300)
@given(dates, st.integers(min_value=1, max_value=20), counts)
def test_monotone_in_start(start: date, later_by: int, n: int) -> None:
    later = start + timedelta(days=later_by)
    assert add_working_days(start, n) <= add_working_days(later, n)


@settings(max_examples=300)
@given(dates, st.integers(min_value=-400, max_value=400))
def test_between_is_antisymmetric(a: date, offset: int) -> None:
    b = a + timedelta(days=offset)
    assert working_days_between(a, b) == -working_days_between(b, a)


def test_a_clock_past_its_due_date_has_a_day_less_than_none_left():
    friday, saturday, monday = date(2027, 1, 29), date(2027, 1, 30), date(2027, 2, 1)
    assert working_days_left(friday, friday) == 0  # due today
    assert working_days_left(saturday, friday) == -1  # past it: overdue, though no working day passed
    assert working_days_left(monday, friday) == -1
    assert working_days_left(date(2027, 1, 27), friday) == 2


@given(st.dates(min_value=date(2018, 1, 1), max_value=date(2030, 12, 31)),
       st.dates(min_value=date(2018, 1, 1), max_value=date(2030, 12, 31)))
def test_days_left_is_negative_exactly_when_past_due_and_mirrors_lateness(today, due):
    left = working_days_left(today, due)
    assert (left < 0) == (today > due)
    if today > due:
        assert -left == late_by_working_days(due, today)
