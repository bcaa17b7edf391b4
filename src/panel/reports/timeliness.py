"""Statutory timeliness figures (docs/domain.md §4, §6): pure Python over plain rows, no database.

`build_report` is the one place the figures are worked out: the manager's dashboard, the Excel
export and `panel report timeliness --json` all go through `panel.reports.service.timeliness`,
which selects the rows and calls it. The dict it returns is the documented, stable schema
(`docs/timeliness-report.md`, `SCHEMA_VERSION`): change it only by adding fields, or bump the
version.

Everything is judged *as of* a date, so a return run later for an earlier date gives the same
answer it would have given then: an event dated after `as_of` (a notification sent, a milestone
reached, a report published) is treated as not having happened yet, and a clock that starts
after `as_of` (aware on, notified on, decided on) is left out altogether.

For each statutory clock an item is
- **on time** when it happened by `as_of`, on or before its due date;
- **late** when it happened after its due date, or has not happened and its due date is before
  `as_of` (still outstanding and already late);
- **not yet due** (excluded from the percentage) when it has not happened and is due on or after
  `as_of`.

Input rows (plain dicts; extra keys are ignored):

notifications
    referral (str), partnership (code), body (str or None), review_type (key or None: the
    outcome of the referral's signed decision), aware_on (date or None), due_on (date: the due
    date recorded with the notification), sent_on (date or None). On time is judged against
    the statutory due date, 5 working days after aware_on, whatever due date was recorded.
rapid_reviews
    review (str), referral (str), partnership, notified_on (date or None: the rapid review's
    day 0), day0 (date, optional: the clock's start while no notification is recorded),
    sent_on (date or None: sent to the National Panel).
lcsprs
    review, referral, partnership, decided_on (date), published_on (date or None);
    optionally publication_status ("planned", "delayed", "withheld"), publication_reason (str)
    and expected_on (date: the publication milestone's planned date).
milestones
    every milestone of the reviews in scope: review, referral, partnership, review_type,
    review_status ("open" or "closed"), key, name, position (int), statutory (bool),
    planned_on (date), actual_on (date or None).
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from panel.core.clock import add_months, add_working_days, working_days_between
from panel.screening.rules import NOTIFY_WITHIN, RAPID_REVIEW_WITHIN

SCHEMA_VERSION = 2  # 2: the headline counts cover `period`; by_year still covers every year
LCSPR_WITHIN_MONTHS = 6
FIGURES = ("notifications", "rapid_reviews", "lcsprs")
BREAKDOWNS = ("by_review_type", "by_year", "by_partnership")
FIGURE_TITLES = {
    "notifications": "Notifications sent within 5 working days",
    "rapid_reviews": "Rapid reviews sent to the National Panel within 15 working days",
    "lcsprs": "LCSPRs published within 6 months of the decision",
}
RULES = {
    "notifications": {
        "rule": "Each notification the criteria call for, sent within 5 working days of the day "
                "the local authority became aware (LAC(2007)25 and WT2015 ch.4; Children Act 2004 "
                "s.16C and WT2018 ch.4).",
        "within": NOTIFY_WITHIN, "unit": "working_days", "from": "aware_on", "event": "sent_on",
    },
    "rapid_reviews": {
        "rule": "Each rapid review sent to the National Panel within 15 working days of the "
                "notification, the notification being day 0 (WT2018 ch.4; National Panel guidance).",
        "within": RAPID_REVIEW_WITHIN, "unit": "working_days", "from": "notified_on",
        "event": "sent_on",
    },
    "lcsprs": {
        "rule": "Each LCSPR report published within 6 calendar months of the decision to hold it "
                "(WT2018 ch.4).",
        "within": LCSPR_WITHIN_MONTHS, "unit": "months", "from": "decided_on",
        "event": "published_on",
    },
}

ON_TIME, LATE, NOT_YET_DUE = "on_time", "late", "not_yet_due"
# The headline's period: the 12 months to the as-of date unless a calendar year or all time is
# asked for. A figure quoted without its period cannot be checked against a return.
LAST_12_MONTHS, ALL_TIME = "12m", "all"
DEFAULT_PERIOD = LAST_12_MONTHS
# An LCSPR whose publication is delayed or withheld with a recorded reason (WT2018 ch.4 allows
# both, e.g. for criminal proceedings or in the interest of the child or siblings): its own line,
# neither late nor counted in the percentage, unless it was published on time.
WITHHELD = "withheld"
HELD_STATUSES = ("delayed", "withheld")


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _by_as_of(day: date | None, as_of: date) -> date | None:
    """An event after `as_of` had not happened as of then."""
    return day if day is not None and day <= as_of else None


def _after(day: date | None, as_of: date) -> bool:
    return day is not None and day > as_of


def judge(due_on: date, done_on: date | None, as_of: date) -> tuple[str, int | None]:
    """(outcome, working days late) for one clock; working days late is None unless late."""
    done = _by_as_of(done_on, as_of)
    if done is not None:
        if done <= due_on:
            return ON_TIME, None
        return LATE, working_days_between(due_on, done)
    if due_on < as_of:
        return LATE, working_days_between(due_on, as_of)
    return NOT_YET_DUE, None


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


def _counts(outcomes: Iterable[str]) -> dict[str, Any]:
    n = {ON_TIME: 0, LATE: 0, NOT_YET_DUE: 0, WITHHELD: 0}
    for o in outcomes:
        n[o] += 1  # WITHHELD is reported on its own line by the LCSPR figure
    total = n[ON_TIME] + n[LATE]
    return {"total": total, "on_time": n[ON_TIME], "late": n[LATE],
            "percent_on_time": percent(n[ON_TIME], total), "not_yet_due": n[NOT_YET_DUE]}


def _key_order(key: Any) -> tuple:
    # None (no review type yet) sorts last; otherwise natural order (years as numbers).
    return (key is None, key if key is not None else 0)


def _groups(judged: Sequence[dict], key: Callable[[dict], Any]) -> list[dict[str, Any]]:
    buckets: dict[Any, list[str]] = defaultdict(list)
    for item in judged:
        buckets[key(item)].append(item["outcome"])
    return [{"key": k, **_counts(buckets[k])} for k in sorted(buckets, key=_key_order)]


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
    return {"key": period, "label": label, "from": _iso(first), "to": _iso(last or as_of)}


def _in_period(due: date, bounds: tuple[date | None, date | None]) -> bool:
    first, last = bounds
    return (first is None or due >= first) and (last is None or due <= last)


def _figure(name: str, every: list[dict], late_item: Callable[[dict], dict],
            extra_breakdowns: Mapping[str, Callable[[dict], Any]] | None = None,
            bounds: tuple[date | None, date | None] = (None, None)) -> dict[str, Any]:
    """One statutory figure: counts, breakdowns and the late items, in the schema's shape. The
    headline, the breakdowns and the lists cover the items due in the period (`bounds`); the
    trend, `by_year`, covers every year."""
    judged = [j for j in every if _in_period(j["due_on"], bounds)]
    out: dict[str, Any] = {"title": FIGURE_TITLES[name], **RULES[name]}
    out.update(_counts(j["outcome"] for j in judged))
    out["by_review_type"] = _groups(judged, lambda j: j["review_type"])
    out["by_year"] = _groups(every, lambda j: j["due_on"].year)
    out["by_partnership"] = _groups(judged, lambda j: j["partnership"])
    for label, fn in (extra_breakdowns or {}).items():
        out[label] = _groups(judged, fn)
    late = sorted((j for j in judged if j["outcome"] == LATE),
                  key=lambda j: (j["due_on"], j["sort"]))
    out["late_items"] = [late_item(j) for j in late]
    return out


def statutory_due(aware_on: date | None, recorded: date | None) -> date | None:
    """The notification's statutory due date, 5 working days after awareness (docs/domain.md
    §4.3); the recorded one only when awareness is unknown. A tracker or a typist may have
    recorded another date, but the return is a statutory figure, so the statute's clock judges it."""
    return add_working_days(aware_on, NOTIFY_WITHIN) if aware_on is not None else recorded


def _review_item(j: dict, start_key: str, start: date | None, done: str, done_on: date | None) -> dict:
    """One review in a figure's list: every review clock lists the same fields, named for the
    day its clock starts (`start_key`) and what ends it (`done`: `<done>_on` and `<done>`)."""
    r = j["row"]
    return {"review": r["review"], "referral": r.get("referral"),
            "partnership": r["partnership"], "review_type": j["review_type"],
            start_key: _iso(start), "due_on": _iso(j["due_on"]),
            f"{done}_on": _iso(done_on), done: done_on is not None,
            "working_days_late": j["late_by"]}


def _notifications(rows: Iterable[Mapping[str, Any]], as_of: date, bounds: tuple[date | None, date | None]) -> dict[str, Any]:
    judged = []
    for r in rows:
        if _after(r.get("aware_on"), as_of):
            continue
        due = statutory_due(r.get("aware_on"), r["due_on"])
        outcome, late_by = judge(due, r.get("sent_on"), as_of)
        judged.append({"outcome": outcome, "late_by": late_by, "due_on": due,
                       "partnership": r["partnership"], "review_type": r.get("review_type"),
                       "sort": (r["referral"], r.get("body") or ""), "row": r})

    def item(j: dict) -> dict:
        r = j["row"]
        sent = _by_as_of(r.get("sent_on"), as_of)
        recorded = r["due_on"] if r["due_on"] != j["due_on"] else None
        return {"referral": r["referral"], "partnership": r["partnership"], "body": r.get("body"),
                "review_type": r.get("review_type"), "aware_on": _iso(r.get("aware_on")),
                "due_on": _iso(j["due_on"]), "recorded_due_on": _iso(recorded),
                "sent_on": _iso(sent), "sent": sent is not None,
                "working_days_late": j["late_by"]}

    return _figure("notifications", judged, item,
                   {"by_body": lambda j: j["row"].get("body")}, bounds)


def _rapid_reviews(rows: Iterable[Mapping[str, Any]], as_of: date, bounds: tuple[date | None, date | None]) -> dict[str, Any]:
    judged = []
    for r in rows:
        day0 = r.get("notified_on") or r.get("day0")
        if day0 is None or day0 > as_of:
            continue  # no clock to judge against (yet)
        due = add_working_days(day0, RAPID_REVIEW_WITHIN)
        outcome, late_by = judge(due, r.get("sent_on"), as_of)
        judged.append({"outcome": outcome, "late_by": late_by, "due_on": due,
                       "partnership": r["partnership"],
                       "review_type": r.get("review_type", "rapid_review"),
                       "sort": r["review"], "row": r})

    def item(j: dict) -> dict:
        r = j["row"]
        return _review_item(j, "notified_on", r.get("notified_on"), "sent", _by_as_of(r.get("sent_on"), as_of))

    return _figure("rapid_reviews", judged, item, bounds=bounds)


def _lcsprs(rows: Iterable[Mapping[str, Any]], as_of: date, bounds: tuple[date | None, date | None]) -> dict[str, Any]:
    judged = []
    for r in rows:
        if r["decided_on"] > as_of:
            continue
        due = add_months(r["decided_on"], LCSPR_WITHIN_MONTHS)
        outcome, late_by = judge(due, r.get("published_on"), as_of)
        if outcome != ON_TIME and is_held(r):
            outcome, late_by = WITHHELD, None
        judged.append({"outcome": outcome, "late_by": late_by, "due_on": due,
                       "partnership": r["partnership"], "review_type": r.get("review_type", "lcspr"),
                       "sort": r["review"], "row": r})

    def item(j: dict) -> dict:
        r = j["row"]
        return _review_item(j, "decided_on", r["decided_on"], "published", _by_as_of(r.get("published_on"), as_of))

    out = _figure("lcsprs", judged, item, bounds=bounds)
    held = sorted((j for j in judged if j["outcome"] == WITHHELD and _in_period(j["due_on"], bounds)),
                  key=lambda j: (j["due_on"], j["sort"]))
    out["withheld"] = len(held)
    out["withheld_items"] = [{**item(j), "publication_status": j["row"]["publication_status"],
                              "reason": j["row"]["publication_reason"].strip(),
                              "expected_on": _iso(j["row"].get("expected_on"))} for j in held]
    for it in out["withheld_items"]:
        it.pop("working_days_late")
    return out


def is_held(row: Mapping[str, Any]) -> bool:
    """Publication delayed or withheld, with a reason recorded for it."""
    return (row.get("publication_status") in HELD_STATUSES
            and bool((row.get("publication_reason") or "").strip()))


def _median(values: Sequence[int]) -> float | None:
    return half_up(Decimal(str(statistics.median(values)))) if values else None


def _stage_summary(values: Sequence[int]) -> dict[str, Any]:
    return {"count": len(values), "median_working_days": _median(values),
            "min_working_days": min(values) if values else None,
            "max_working_days": max(values) if values else None}


def stage_rows(milestones: Iterable[Mapping[str, Any]], as_of: date) -> list[dict[str, Any]]:
    """One row per stage completed by `as_of`: consecutive milestones (by position) of one review
    that both have an actual date. A stage is named by the milestone that ends it."""
    by_review: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for m in milestones:
        by_review[m["review"]].append(m)
    out = []
    for review in sorted(by_review):
        ordered = sorted(by_review[review], key=lambda m: (m.get("position", 0), m["key"]))
        for before, after in zip(ordered, ordered[1:], strict=False):
            start = _by_as_of(before.get("actual_on"), as_of)
            end = _by_as_of(after.get("actual_on"), as_of)
            if start is None or end is None:
                continue
            out.append({"review": review, "partnership": after["partnership"],
                        "review_type": after["review_type"], "from_milestone": before["key"],
                        "to_milestone": after["key"], "to_name": after.get("name") or after["key"],
                        "position": after.get("position", 0), "from_on": start, "to_on": end,
                        "working_days": working_days_between(start, end)})
    return out


def _stages(milestones: Sequence[Mapping[str, Any]], as_of: date) -> dict[str, Any]:
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for row in stage_rows(milestones, as_of):
        groups[(row["review_type"], row["from_milestone"], row["to_milestone"])].append(row)

    def order(k: tuple[str, str, str]) -> tuple:
        return (k[0], min(r["position"] for r in groups[k]), k[1], k[2])

    stages = []
    for k in sorted(groups, key=order):
        rows = groups[k]
        by_year: dict[int, list[int]] = defaultdict(list)
        by_part: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            by_year[r["to_on"].year].append(r["working_days"])
            by_part[r["partnership"]].append(r["working_days"])
        stages.append({
            "review_type": k[0], "from_milestone": k[1], "to_milestone": k[2],
            "name": rows[0]["to_name"],
            **_stage_summary([r["working_days"] for r in rows]),
            "by_year": [{"key": y, **_stage_summary(by_year[y])} for y in sorted(by_year)],
            "by_partnership": [{"key": p, **_stage_summary(by_part[p])} for p in sorted(by_part)],
        })
    return {"unit": "working_days",
            "rule": "Working days between the actual dates of consecutive milestones of the same "
                    "review, by review type; a stage is named by the milestone that ends it.",
            "stages": stages}


def is_overdue(m: Mapping[str, Any], as_of: date) -> bool:
    """Planned before `as_of` and not done by then, in a review still running."""
    if m.get("review_status", "open") == "superseded":
        return False
    done = m.get("actual_on")
    if done is None and m.get("review_status", "open") != "open":
        return False  # a closed review's skipped milestone is not outstanding
    return m["planned_on"] < as_of and _by_as_of(done, as_of) is None


def _overdue(milestones: Sequence[Mapping[str, Any]], as_of: date) -> dict[str, Any]:
    rows = sorted((m for m in milestones if is_overdue(m, as_of)),
                  key=lambda m: (m["planned_on"], m["review"], m.get("position", 0)))

    def groups(key: Callable[[Mapping[str, Any]], Any]) -> list[dict[str, Any]]:
        buckets: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
        for m in rows:
            buckets[key(m)].append(m)
        return [{"key": k, "total": len(buckets[k]),
                 "statutory": sum(1 for m in buckets[k] if m.get("statutory"))}
                for k in sorted(buckets, key=_key_order)]

    return {
        "rule": "Milestones planned before the as-of date with no actual date by then, in open "
                "reviews.",
        "total": len(rows),
        "statutory": sum(1 for m in rows if m.get("statutory")),
        "reviews": len({m["review"] for m in rows}),
        "by_review_type": groups(lambda m: m["review_type"]),
        "by_year": groups(lambda m: m["planned_on"].year),
        "by_partnership": groups(lambda m: m["partnership"]),
        "items": [{"review": m["review"], "referral": m.get("referral"),
                   "partnership": m["partnership"], "review_type": m["review_type"],
                   "milestone": m["key"], "name": m.get("name") or m["key"],
                   "statutory": bool(m.get("statutory")), "planned_on": _iso(m["planned_on"]),
                   "working_days_overdue": working_days_between(m["planned_on"], as_of)}
                  for m in rows],
    }


def build_report(
    as_of: date,
    *,
    notifications: Iterable[Mapping[str, Any]] = (),
    rapid_reviews: Iterable[Mapping[str, Any]] = (),
    lcsprs: Iterable[Mapping[str, Any]] = (),
    milestones: Iterable[Mapping[str, Any]] = (),
    partnerships: Iterable[Mapping[str, Any]] = (),
    review_types: Mapping[str, str] | None = None,
    period: str = DEFAULT_PERIOD,
) -> dict[str, Any]:
    """Every timeliness figure as of `as_of`, as a JSON-serialisable dict (schema version 2).

    The headline counts, breakdowns and lists cover the clocks due in `period` ("12m", the
    default: the 12 months to `as_of`; "all"; or a year "YYYY"); `by_year` covers every year.
    `partnerships` ({code, name}) and `review_types` ({key: name}) are echoed for labelling.
    """
    ms = list(milestones)
    bounds = period_bounds(period, as_of)
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": as_of.isoformat(),
        "period": describe_period(period, as_of),
        "partnerships": [{"code": p["code"], "name": p["name"]}
                         for p in sorted(partnerships, key=lambda p: p["code"])],
        "review_types": dict(sorted((review_types or {}).items())),
        "notifications": _notifications(notifications, as_of, bounds),
        "rapid_reviews": _rapid_reviews(rapid_reviews, as_of, bounds),
        "lcsprs": _lcsprs(lcsprs, as_of, bounds),
        "stage_durations": _stages(ms, as_of),
        "overdue_milestones": _overdue(ms, as_of),
    }


def is_empty(report: Mapping[str, Any]) -> bool:
    """True when there is nothing to report: no clocks at all and no milestones done or late."""
    # Every year's clocks, not only the headline period's: an earlier year is still a trend.
    counted = sum(g["total"] + g["not_yet_due"] for f in FIGURES for g in report[f]["by_year"])
    counted += sum(report[f]["total"] + report[f]["not_yet_due"] + report[f].get("withheld", 0)
                   for f in FIGURES)
    return (counted == 0 and not report["stage_durations"]["stages"]
            and report["overdue_milestones"]["total"] == 0)


def trend(report: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Percent on time per year for each statutory figure: the trend chart's (small) data."""
    return [{"figure": f, "title": FIGURE_TITLES[f], "year": g["key"],
             "percent_on_time": g["percent_on_time"],
             "on_time": g["on_time"], "total": g["total"]}
            for f in FIGURES for g in report[f]["by_year"] if g["total"]]
