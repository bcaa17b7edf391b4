"""Statutory timeliness figures (docs/domain.md §4, §6): pure Python over plain rows, no database.

`build_report` is the one place the figures are worked out: the manager's dashboard, the Excel
export and `panel report timeliness --json` all go through `panel.reports.service.timeliness`,
which selects the rows and calls it. The dict it returns is the documented, stable schema
(`docs/timeliness-report.md`, `SCHEMA_VERSION`): change it only by adding fields, or bump the
version.

Everything is judged as it stood at the end of `as_of` (docs/domain.md §6.4), so a return run
later for an earlier date gives the same answer it gave then: an event dated after `as_of` (a
notification sent, a milestone reached, a report published, a decision, a closure) has not
happened yet, and a referral or review that starts after it (aware on, decided on) does not
exist yet. The rules are in `panel.reports.rules`; the milestone figures in
`panel.reports.milestones`.

For each statutory clock an item is
- **on time** when it happened by `as_of`, on or before its due date;
- **late** when it happened after its due date, or has not happened and its due date is before
  `as_of` (still outstanding and already late);
- **not yet due** (excluded from the percentage) when it has not happened and is due on or after
  `as_of`.

Input rows (plain dicts; extra keys are ignored; the optional dates default to "no such event"):

notifications
    referral (str), partnership (code), body (str or None), aware_on (date or None), due_on
    (date: the due date recorded with the notification), sent_on (date or None); review_type
    (key or None) or outcomes ([(decided_on, key)] in version order: the outcome is the latest
    made by `as_of`); called (bool, default True: the criteria call for it; one they do not
    counts only once sent); closed_on (date: closed at triage, after which an unsent one no
    longer counts). On time is judged against the statutory due date, 5 working days after
    aware_on, whatever due date was recorded.
rapid_reviews
    review (str), referral (str), partnership, started_on, superseded_on, notified_on (the
    review's record of its notification), referral_notified_on (the referral's first to the
    National Panel or Ofsted), aware_on (day 0 before a notification: its statutory due date;
    or day0, given), sent_on and milestone_sent_on (sent to the National Panel, as recorded on
    the review and on its milestone).
lcsprs
    review, referral, partnership, decided_on (date), superseded_on, published_on (date or None);
    optionally publication_status ("planned", "delayed", "withheld") and publication_reason (str)
    as they stand, or publication_history ([(from or None, status, reason)]), and expected_on
    (date: the publication milestone's planned date).
milestones
    every milestone of the reviews in scope: review, referral, partnership, review_type,
    review_status ("open", "closed" or "superseded", as it stands), review_started_on,
    review_closed_on, review_superseded_on, key, name, position (int), statutory (bool),
    planned_on (date), actual_on (date or None).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from typing import Any

from panel.core.clock import add_months, add_working_days
from panel.reports.milestones import is_overdue, overdue, stage_rows, stages, standing
from panel.reports.rules import (
    ALL_TIME,
    DEFAULT_PERIOD,
    LAST_12_MONTHS,
    LATE,
    NOT_YET_DUE,
    ON_TIME,
    WITHHELD,
    after,
    by_as_of,
    counts,
    describe_period,
    first_by,
    half_up,
    in_period,
    is_held,
    iso,
    judge,
    key_order,
    outcome_by,
    percent,
    period_bounds,
    publication_by,
    statutory_due,
)
from panel.screening.rules import NOTIFY_WITHIN, RAPID_REVIEW_WITHIN

# Importable from here, where the pages, the command and the tests have always found them.
__all__ = [
    "ALL_TIME", "BREAKDOWNS", "DEFAULT_PERIOD", "FIGURES", "FIGURE_TITLES",
    "LAST_12_MONTHS", "LATE", "NOT_YET_DUE", "ON_TIME", "RULES", "SCHEMA_VERSION", "WITHHELD",
    "build_report", "describe_period", "half_up", "is_empty", "is_held", "is_overdue", "judge",
    "percent", "period_bounds", "stage_rows", "statutory_due", "trend",
]

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


def _groups(judged: Sequence[dict], key: Callable[[dict], Any]) -> list[dict[str, Any]]:
    buckets: dict[Any, list[str]] = defaultdict(list)
    for item in judged:
        buckets[key(item)].append(item["outcome"])
    return [{"key": k, **counts(buckets[k])} for k in sorted(buckets, key=key_order)]


def _figure(name: str, every: list[dict], late_item: Callable[[dict], dict],
            extra_breakdowns: Mapping[str, Callable[[dict], Any]] | None = None,
            bounds: tuple[date | None, date | None] = (None, None)) -> dict[str, Any]:
    """One statutory figure: counts, breakdowns and the late items, in the schema's shape. The
    headline, the breakdowns and the lists cover the items due in the period (`bounds`); the
    trend, `by_year`, covers every year."""
    judged = [j for j in every if in_period(j["due_on"], bounds)]
    out: dict[str, Any] = {"title": FIGURE_TITLES[name], **RULES[name]}
    out.update(counts(j["outcome"] for j in judged))
    out["by_review_type"] = _groups(judged, lambda j: j["review_type"])
    out["by_year"] = _groups(every, lambda j: j["due_on"].year)
    out["by_partnership"] = _groups(judged, lambda j: j["partnership"])
    for label, fn in (extra_breakdowns or {}).items():
        out[label] = _groups(judged, fn)
    late = sorted((j for j in judged if j["outcome"] == LATE),
                  key=lambda j: (j["due_on"], j["sort"]))
    out["late_items"] = [late_item(j) for j in late]
    return out


def _review_item(j: dict, start_key: str, start: date | None, done: str, done_on: date | None) -> dict:
    """One review in a figure's list: every review clock lists the same fields, named for the
    day its clock starts (`start_key`) and what ends it (`done`: `<done>_on` and `<done>`)."""
    r = j["row"]
    return {"review": r["review"], "referral": r.get("referral"),
            "partnership": r["partnership"], "review_type": j["review_type"],
            start_key: iso(start), "due_on": iso(j["due_on"]),
            f"{done}_on": iso(done_on), done: done_on is not None,
            "working_days_late": j["late_by"]}


Bounds = tuple[date | None, date | None]


def _notifications(rows: Iterable[Mapping[str, Any]], as_of: date, bounds: Bounds) -> dict[str, Any]:
    judged = []
    for r in rows:
        if after(r.get("aware_on"), as_of):
            continue  # the authority was not aware yet
        sent = by_as_of(r.get("sent_on"), as_of)
        if sent is None and (not r.get("called", True) or by_as_of(r.get("closed_on"), as_of)):
            continue  # recorded only later, or closed at triage by then: no clock (docs/domain.md §6.4)
        due = statutory_due(r.get("aware_on"), r["due_on"])
        outcome, late_by = judge(due, sent, as_of)
        judged.append({"outcome": outcome, "late_by": late_by, "due_on": due, "sent": sent,
                       "partnership": r["partnership"], "review_type": outcome_by(r, as_of),
                       "sort": (r["referral"], r.get("body") or ""), "row": r})

    def item(j: dict) -> dict:
        r, sent = j["row"], j["sent"]
        # The due date recorded with the notification, once it had been recorded.
        recorded = r["due_on"] if sent is not None and r["due_on"] != j["due_on"] else None
        return {"referral": r["referral"], "partnership": r["partnership"], "body": r.get("body"),
                "review_type": j["review_type"], "aware_on": iso(r.get("aware_on")),
                "due_on": iso(j["due_on"]), "recorded_due_on": iso(recorded),
                "sent_on": iso(sent), "sent": sent is not None,
                "working_days_late": j["late_by"]}

    return _figure("notifications", judged, item,
                   {"by_body": lambda j: j["row"].get("body")}, bounds)


def _running(r: Mapping[str, Any], start: date | None, as_of: date) -> bool:
    """A review counts once decided and until the decision that replaced it (docs/domain.md §6.4)."""
    return not after(start, as_of) and not by_as_of(r.get("superseded_on"), as_of)


def _rapid_reviews(rows: Iterable[Mapping[str, Any]], as_of: date, bounds: Bounds) -> dict[str, Any]:
    judged = []
    for r in rows:
        if not _running(r, r.get("started_on"), as_of):
            continue
        # Day 0 is the notification (the review's record of it, else the referral's first to
        # the National Panel or Ofsted) sent by then; before that, its statutory due date
        # (docs/domain.md §4.5, §6.4).
        notified = first_by(as_of, r.get("notified_on"), r.get("referral_notified_on"))
        day0 = notified or statutory_due(r.get("aware_on"), r.get("day0"))
        if day0 is None or day0 > as_of:
            continue  # no clock to judge against (yet)
        due = add_working_days(day0, RAPID_REVIEW_WITHIN)
        sent = first_by(as_of, r.get("sent_on"), r.get("milestone_sent_on"))
        outcome, late_by = judge(due, sent, as_of)
        judged.append({"outcome": outcome, "late_by": late_by, "due_on": due, "sent": sent,
                       "notified": notified, "partnership": r["partnership"],
                       "review_type": r.get("review_type", "rapid_review"),
                       "sort": r["review"], "row": r})

    def item(j: dict) -> dict:
        return _review_item(j, "notified_on", j["notified"], "sent", j["sent"])

    return _figure("rapid_reviews", judged, item, bounds=bounds)


def _lcsprs(rows: Iterable[Mapping[str, Any]], as_of: date, bounds: Bounds) -> dict[str, Any]:
    judged = []
    for r in rows:
        if not _running(r, r["decided_on"], as_of):
            continue
        due = add_months(r["decided_on"], LCSPR_WITHIN_MONTHS)
        published = by_as_of(r.get("published_on"), as_of)
        outcome, late_by = judge(due, published, as_of)
        publication = publication_by(r, as_of)
        if outcome != ON_TIME and is_held(publication):
            outcome, late_by = WITHHELD, None
        judged.append({"outcome": outcome, "late_by": late_by, "due_on": due, "published": published,
                       "publication": publication, "partnership": r["partnership"],
                       "review_type": r.get("review_type", "lcspr"), "sort": r["review"], "row": r})

    def item(j: dict) -> dict:
        return _review_item(j, "decided_on", j["row"]["decided_on"], "published", j["published"])

    out = _figure("lcsprs", judged, item, bounds=bounds)
    held = sorted((j for j in judged if j["outcome"] == WITHHELD and in_period(j["due_on"], bounds)),
                  key=lambda j: (j["due_on"], j["sort"]))
    out["withheld"] = len(held)
    out["withheld_items"] = [{**item(j), "publication_status": j["publication"]["publication_status"],
                              "reason": j["publication"]["publication_reason"].strip(),
                              "expected_on": iso(j["row"].get("expected_on"))} for j in held]
    for it in out["withheld_items"]:
        it.pop("working_days_late")
    return out


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
    ms = standing(milestones, as_of)
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
        "stage_durations": stages(ms, as_of),
        "overdue_milestones": overdue(ms, as_of),
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
