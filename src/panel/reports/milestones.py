"""The milestone figures of the timeliness report (docs/timeliness-report.md): median working
days per stage and the milestones overdue on the as-of date. Plain Python over the milestone
rows `panel.reports.timeliness.build_report` is given.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from panel.core.clock import late_by_working_days, working_days_between
from panel.reports.rules import after, by_as_of, half_up, iso, key_order, review_state


def standing(milestones: Iterable[Mapping[str, Any]], as_of: date) -> list[dict[str, Any]]:
    """The milestones of the reviews that existed at the end of `as_of`, each with its review's
    state then (`review_status`): a review decided later has none yet, and a superseded review's
    drop out from the decision that replaced it (docs/domain.md §6.4). Rows may give the
    review's dates as review_started_on, review_closed_on and review_superseded_on."""
    out = []
    for m in milestones:
        if after(m.get("review_started_on"), as_of):
            continue
        state = review_state(m.get("review_status", "open"), m.get("review_closed_on"),
                             m.get("review_superseded_on"), as_of)
        if state != "superseded":
            out.append({**m, "review_status": state})
    return out


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
        for first, then in zip(ordered, ordered[1:], strict=False):
            start = by_as_of(first.get("actual_on"), as_of)
            end = by_as_of(then.get("actual_on"), as_of)
            if start is None or end is None:
                continue
            out.append({"review": review, "partnership": then["partnership"],
                        "review_type": then["review_type"], "from_milestone": first["key"],
                        "to_milestone": then["key"], "to_name": then.get("name") or then["key"],
                        "position": then.get("position", 0), "from_on": start, "to_on": end,
                        "working_days": working_days_between(start, end)})
    return out


def stages(milestones: Sequence[Mapping[str, Any]], as_of: date) -> dict[str, Any]:
    """Median, least and most working days per stage, by review type, year and partnership."""
    groups: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
    for row in stage_rows(milestones, as_of):
        groups[(row["review_type"], row["from_milestone"], row["to_milestone"])].append(row)

    def order(k: tuple[str, str, str]) -> tuple:
        return (k[0], min(r["position"] for r in groups[k]), k[1], k[2])

    out = []
    for k in sorted(groups, key=order):
        rows = groups[k]
        by_year: dict[int, list[int]] = defaultdict(list)
        by_part: dict[str, list[int]] = defaultdict(list)
        for r in rows:
            by_year[r["to_on"].year].append(r["working_days"])
            by_part[r["partnership"]].append(r["working_days"])
        out.append({
            "review_type": k[0], "from_milestone": k[1], "to_milestone": k[2],
            "name": rows[0]["to_name"],
            **_stage_summary([r["working_days"] for r in rows]),
            "by_year": [{"key": y, **_stage_summary(by_year[y])} for y in sorted(by_year)],
            "by_partnership": [{"key": p, **_stage_summary(by_part[p])} for p in sorted(by_part)],
        })
    return {"unit": "working_days",
            "rule": "Working days between the actual dates of consecutive milestones of the same "
                    "review, by review type; a stage is named by the milestone that ends it.",
            "stages": out}


def is_overdue(m: Mapping[str, Any], as_of: date) -> bool:
    """Planned before `as_of` and not done by then, in a review still running then
    (`review_status` as `standing` gives it for the date)."""
    if m.get("review_status", "open") != "open":
        return False  # superseded, or closed by then: what it skipped is not outstanding
    return m["planned_on"] < as_of and by_as_of(m.get("actual_on"), as_of) is None


def overdue(milestones: Sequence[Mapping[str, Any]], as_of: date) -> dict[str, Any]:
    """Every milestone overdue on `as_of`, the longest overdue first, with its breakdowns."""
    rows = sorted((m for m in milestones if is_overdue(m, as_of)),
                  key=lambda m: (m["planned_on"], m["review"], m.get("position", 0)))

    def groups(key: Callable[[Mapping[str, Any]], Any]) -> list[dict[str, Any]]:
        buckets: dict[Any, list[Mapping[str, Any]]] = defaultdict(list)
        for m in rows:
            buckets[key(m)].append(m)
        return [{"key": k, "total": len(buckets[k]),
                 "statutory": sum(1 for m in buckets[k] if m.get("statutory"))}
                for k in sorted(buckets, key=key_order)]

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
                   "statutory": bool(m.get("statutory")), "planned_on": iso(m["planned_on"]),
                   "working_days_overdue": late_by_working_days(m["planned_on"], as_of)}
                  for m in rows],
    }
