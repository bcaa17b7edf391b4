"""Working-day clocks for statutory deadlines (docs/domain.md §4).

Working days exclude Saturdays, Sundays and England & Wales bank holidays, including
substitute ("observed") days and one-off holidays such as the 2022 State Funeral; the
`holidays` package keeps that calendar so we never hand-maintain it.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from functools import lru_cache

import holidays
from dateutil.relativedelta import relativedelta


def day(d: date | None, empty: str = "-") -> str:
    """A date (or a datetime's day) as a person reads it, the one style everywhere: "Fri 11 Dec 2026".
    ISO dates are for exports and JSON only."""
    if d is None:
        return empty
    return f"{d:%a} {d.day} {d:%b %Y}"


def moment(t, empty: str = "-") -> str:
    """A datetime as a person reads it: "Fri 11 Dec 2026, 14:05"."""
    return empty if t is None else f"{day(t)}, {t:%H:%M}"


_ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def days_in(text: str) -> str:
    """Text recorded with ISO dates (a screening reason, an audit detail: records keep ISO) with
    each date written as a person reads it."""
    def one(m: re.Match) -> str:
        try:
            return day(date(int(m[1]), int(m[2]), int(m[3])))
        except ValueError:
            return m[0]
    return _ISO_DAY.sub(one, text or "")


def today() -> date:
    """Today, unless PANEL_TODAY pins it (tests, demos): the one place the web app and the
    `panel` commands ask, so both agree on the day."""
    pinned = os.environ.get("PANEL_TODAY")
    return date.fromisoformat(pinned) if pinned else date.today()


@lru_cache(maxsize=256)
def _bank_holidays(year: int) -> frozenset[date]:
    cal = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(cal.keys())


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, n: int) -> date:
    """The Nth working day after `start` ("within N working days of D"); day 0 is `start`."""
    if n < 0:
        raise ValueError("n must be zero or more")
    day = start
    counted = 0
    while counted < n:
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: date, end: date) -> int:
    """Working days after `start` up to and including `end`; negative when `end` is earlier.

    `working_days_between(d, add_working_days(d, n)) == n` for every d and n.
    """
    if end == start:
        return 0
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    # Arithmetic, not a day-by-day walk: an action overdue for years is counted as fast as one
    # due tomorrow (the action register counts a page of them on every run).
    weekdays = _weekdays_upto(end) - _weekdays_upto(start)
    holidays_in = sum(1 for y in range(start.year, end.year + 1) for h in _bank_holidays(y)
                      if start < h <= end and h.weekday() < 5)
    return sign * (weekdays - holidays_in)


def late_by_working_days(due: date, day: date) -> int:
    """Working days `day` came after `due`, the one count of lateness (docs/domain.md §4.4): at
    least 1 once it is after the date at all, so nothing late reads "0 working days late" (sent
    on the Saturday after a Friday deadline is 1 late, though no working day passed)."""
    if day <= due:
        return 0
    return max(1, working_days_between(due, day))


def working_days_left(today: date, due: date) -> int:
    """Working days from `today` to `due`, negative once past it by the one count of lateness: on
    the Saturday after a Friday deadline a clock has -1 left (overdue), never 0 (due today)."""
    return working_days_between(today, due) if today <= due else -late_by_working_days(due, today)


def _weekdays_upto(day: date) -> int:
    """Mondays to Fridays from 1 Jan 1 (a Monday) up to and including `day`."""
    n = day.toordinal()
    return 5 * (n // 7) + min(n % 7, 5)


def add_months(start: date, months: int) -> date:
    """Calendar months later, clamped to the month's end (31 Aug + 6 months = 28/29 Feb)."""
    return start + relativedelta(months=months)


def rag(days_left: int | None, amber_within: int = 2) -> str:
    """Red when overdue, amber when due within `amber_within` working days, else green."""
    if days_left is None:
        return "none"
    if days_left < 0:
        return "red"
    if days_left <= amber_within:
        return "amber"
    return "green"
