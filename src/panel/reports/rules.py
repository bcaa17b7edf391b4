"""The rules every timeliness figure follows (docs/domain.md §6.4, docs/timeliness-report.md):
what has happened by the as-of date, how one clock is judged, the headline's period and the
percentage. Plain Python, so the figures, the page and the tests share one reading.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, TypeVar

from panel.core.clock import add_months, add_working_days, late_by_working_days
from panel.screening.rules import NOTIFY_WITHIN

ON_TIME, LATE, NOT_YET_DUE = "on_time", "late", "not_yet_due"
# An LCSPR whose publication is delayed or withheld with a recorded reason (WT2018 ch.4 allows
# both, e.g. for criminal proceedings or in the interest of the child or siblings): its own line,
# neither late nor counted in the percentage, unless it was published on time.
WITHHELD = "withheld"
HELD_STATUSES = ("delayed", "withheld")
# The headline's period: the 12 months to the as-of date unless a calendar year or all time is
# asked for. A figure quoted without its period cannot be checked against a return.
LAST_12_MONTHS, ALL_TIME = "12m", "all"
DEFAULT_PERIOD = LAST_12_MONTHS


def iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def by_as_of(day: date | None, as_of: date) -> date | None:
    """An event after `as_of` had not happened as of then."""
    return day if day is not None and day <= as_of else None


def after(day: date | None, as_of: date) -> bool:
    return day is not None and day > as_of


def first_by(as_of: date, *days: date | None) -> date | None:
    """The first of `days` (in order of preference) that had happened by the end of `as_of`:
    one event recorded in two places (a review's own date and its milestone's) is taken from
    whichever record says it had happened by then."""
    return next((d for d in days if d is not None and d <= as_of), None)


T = TypeVar("T")


def latest_by(dated: Iterable[tuple[date | None, T]], as_of: date, default: T | None = None) -> T | None:
    """The value of the last entry (in the order given) dated on or before `as_of`; an entry dated
    None holds from the start. A referral's outcome is its latest decision by then, a publication's
    status the last one set by then (docs/domain.md §6.4)."""
    found = default
    for on, value in dated:
        if on is None or on <= as_of:
            found = value
    return found


def review_state(status: str, closed_on: date | None, superseded_on: date | None, as_of: date) -> str:
    """"open", "closed" or "superseded" as the review stood at the end of `as_of`: closed from its
    closing date, superseded from the decision that replaced it (docs/domain.md §6.4). A status
    with no date to it (older rows) is taken to hold throughout."""
    if by_as_of(superseded_on, as_of) or (superseded_on is None and status == "superseded"):
        return "superseded"
    if by_as_of(closed_on, as_of) or (closed_on is None and status == "closed"):
        return "closed"
    return "open"


def outcome_by(row: Mapping[str, Any], as_of: date) -> str | None:
    """A referral's review type as of `as_of`: the outcome of its latest decision made by then
    (`outcomes`, (decided_on, key) in version order), else the `review_type` given."""
    if "outcomes" in row:
        return latest_by(row["outcomes"], as_of)
    return row.get("review_type")


def publication_by(row: Mapping[str, Any], as_of: date) -> dict[str, Any]:
    """An LCSPR's publication status and reason as they stood at the end of `as_of`: the last
    entry of `publication_history` ((from, status, reason); from None: since the start) set by
    then, else the status and reason given."""
    if row.get("publication_history"):
        status, reason = latest_by(((on, (st, why)) for on, st, why in row["publication_history"]),
                                   as_of, ("planned", None))
    else:
        status, reason = row.get("publication_status"), row.get("publication_reason")
    return {"publication_status": status, "publication_reason": reason}


def is_held(row: Mapping[str, Any]) -> bool:
    """Publication delayed or withheld, with a reason recorded for it."""
    return (row.get("publication_status") in HELD_STATUSES
            and bool((row.get("publication_reason") or "").strip()))


def judge(due_on: date, done_on: date | None, as_of: date) -> tuple[str, int | None]:
    """(outcome, working days late) for one clock; working days late is None unless late, and
    counted as the referral page counts a late notification (`late_by_working_days`), so the
    report and the page never disagree."""
    done = by_as_of(done_on, as_of)
    if done is not None:
        if done <= due_on:
            return ON_TIME, None
        return LATE, late_by_working_days(due_on, done)
    if due_on < as_of:
        return LATE, late_by_working_days(due_on, as_of)
    return NOT_YET_DUE, None


def statutory_due(aware_on: date | None, recorded: date | None) -> date | None:
    """The notification's statutory due date, 5 working days after awareness (docs/domain.md
    §4.3); the recorded one only when awareness is unknown. A tracker or a typist may have
    recorded another date, but the return is a statutory figure, so the statute's clock judges it."""
    return add_working_days(aware_on, NOTIFY_WITHIN) if aware_on is not None else recorded


def half_up(value: Decimal | int | float, places: int = 1) -> float:
    """`value` rounded half up (away from zero at .5), as Excel's ROUND and a manager checking by
    hand would: Python's round() rounds half to even and works on the binary float, so 1 of 16
    (6.25%) would show 6.2 where the manager expects 6.3."""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    return float(exact.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def percent(part: int, whole: int) -> float | None:
    """part/whole as a percentage to one decimal, worked in exact decimals then rounded half up
    (docs/domain.md §6.4); None when there is nothing to divide by."""
    return half_up(Decimal(100 * part) / Decimal(whole)) if whole else None


def counts(outcomes: Iterable[str]) -> dict[str, Any]:
    """A figure's or a group's counts; WITHHELD is reported on the LCSPR figure's own line."""
    n = {ON_TIME: 0, LATE: 0, NOT_YET_DUE: 0, WITHHELD: 0}
    for o in outcomes:
        n[o] += 1
    total = n[ON_TIME] + n[LATE]
    return {"total": total, "on_time": n[ON_TIME], "late": n[LATE],
            "percent_on_time": percent(n[ON_TIME], total), "not_yet_due": n[NOT_YET_DUE]}


def key_order(key: Any) -> tuple:
    """None (no review type yet) sorts last; otherwise natural order (years as numbers)."""
    return (key is None, key if key is not None else 0)


def period_bounds(period: str, as_of: date) -> tuple[date | None, date | None]:
    """(first, last) due date the headline counts, None meaning open-ended: "12m" is the 12
    months to `as_of` (the day after the same date a year before, onwards: clocks not yet due
    are in it, as `as_of` already limits which clocks have started); "all" is every due date;
    "YYYY" is that calendar year. ValueError for anything else."""
    if period == LAST_12_MONTHS:
        return add_months(as_of, -12) + timedelta(days=1), None
    if period == ALL_TIME:
        return None, None
    if len(period) == 4 and period.isdigit() and int(period) >= 1900:
        return date(int(period), 1, 1), date(int(period), 12, 31)
    raise ValueError(f"period: expected 12m, all or a year such as 2025, got {period!r}")


def describe_period(period: str, as_of: date) -> dict[str, Any]:
    """The headline's period as the report states it."""
    first, last = period_bounds(period, as_of)
    if period == LAST_12_MONTHS:
        label = f"12 months to {as_of:%-d %B %Y}"
    elif period == ALL_TIME:
        label = f"all time to {as_of:%-d %B %Y}"
    else:
        label = f"due in {period}"
    return {"key": period, "label": label, "from": iso(first), "to": iso(last or as_of)}


def in_period(due: date, bounds: tuple[date | None, date | None]) -> bool:
    first, last = bounds
    return (first is None or due >= first) and (last is None or due <= last)
