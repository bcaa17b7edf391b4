"""Reports for managers and returns: statutory timeliness (docs/domain.md §4, §6).

`timeliness` checks the actor's role and partnerships, reads the rows for them as of the date
(`panel.reports.rows`: one query per table, never one per row) and hands them to
`panel.reports.timeliness.build_report`, which works out every figure. The dashboard, its Excel
export and `panel report timeliness` all call it, so they always give the same numbers.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
from sqlmodel import select

from panel.core import audit, exports
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.models import Partnership
from panel.reports import timeliness as figures
from panel.reports.rows import timeliness_rows

PERMISSION = "report.timeliness"


def allowed_partnerships(actor: Actor) -> list[int]:
    """The partnerships whose figures the actor may see (every one for the command line)."""
    if actor.is_system:
        with read_session() as s:
            return sorted(s.exec(select(Partnership.id)).all())
    return actor.partnerships_with(PERMISSION)


def partnership_ids_for_codes(codes: list[str]) -> list[int]:
    """Partnership ids for codes such as NB; ValidationFailed naming any unknown code."""
    wanted = [c.strip().upper() for c in codes if c.strip()]
    with read_session() as s:
        found = dict(s.exec(select(Partnership.code, Partnership.id)
                            .where(Partnership.code.in_(wanted))).all())
    unknown = [c for c in wanted if c not in found]
    if unknown:
        raise ValidationFailed({"partnership": f"No partnership with code {', '.join(unknown)}."})
    return [found[c] for c in wanted]


def _scope(actor: Actor, partnership_ids: list[int] | None) -> list[int]:
    allowed = allowed_partnerships(actor)
    if not actor.is_system and not allowed:
        raise PermissionDenied("You do not have permission to see timeliness reports.")
    if partnership_ids:
        return [p for p in allowed if p in set(partnership_ids)]
    return allowed


def timeliness(actor: Actor, as_of: date, partnership_ids: list[int] | None = None,
               period: str = figures.DEFAULT_PERIOD) -> dict[str, Any]:
    """Every timeliness figure for the actor's partnerships (optionally some of them) as of a date,
    the headline over `period` ("12m": the 12 months to the date; "all"; or a year "YYYY").

    The dict is the documented schema of `docs/timeliness-report.md`.
    """
    try:
        figures.period_bounds(period, as_of)
    except ValueError as e:
        raise ValidationFailed({"period": str(e)}) from None
    pids = _scope(actor, partnership_ids)
    if not pids:
        return figures.build_report(as_of, period=period)
    with read_session() as s:
        found = timeliness_rows(s, pids, as_of)
    return figures.build_report(as_of, **found, period=period)


# -- Excel ------------------------------------------------------------------------------------

WITHHELD_LINE = "LCSPR publications delayed or withheld, with a reason (not counted as late)"
SUMMARY_COLUMNS = ["figure", "on_time", "total", "percent_on_time", "late", "not_yet_due"]


def summary_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = [{"figure": report[f]["title"], **{c: report[f][c] for c in SUMMARY_COLUMNS[1:]}}
            for f in figures.FIGURES]
    rows.append({"figure": WITHHELD_LINE, "on_time": None, "total": report["lcsprs"]["withheld"],
                 "percent_on_time": None, "late": None, "not_yet_due": None})
    od = report["overdue_milestones"]
    rows.append({"figure": "Overdue milestones now", "on_time": None, "total": od["total"],
                 "percent_on_time": None, "late": od["total"], "not_yet_due": None})
    return rows


def breakdown_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for f in figures.FIGURES:
        for dim in (*figures.BREAKDOWNS, *(["by_body"] if f == "notifications" else [])):
            for g in report[f][dim]:
                rows.append({"figure": report[f]["title"], "breakdown": dim.removeprefix("by_"),
                             "key": "none" if g["key"] is None else str(g["key"]),
                             **{c: g[c] for c in SUMMARY_COLUMNS[1:]}})
    return rows


def stage_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    names = report["review_types"]
    return [{"review_type": names.get(st["review_type"], st["review_type"]),
             "from_milestone": st["from_milestone"], "to_milestone": st["to_milestone"],
             "stage": st["name"], "reviews": st["count"],
             "median_working_days": st["median_working_days"],
             "min_working_days": st["min_working_days"],
             "max_working_days": st["max_working_days"]}
            for st in report["stage_durations"]["stages"]]


def _frame(rows: list[dict], columns: list[str]) -> pd.DataFrame:
    df = pd.DataFrame.from_records(rows, columns=columns)
    for col in columns:
        if col.endswith("_on"):  # ISO strings in the report; real dates in a spreadsheet
            df[col] = df[col].map(lambda v: date.fromisoformat(v) if isinstance(v, str) else None)
    return df


def timeliness_xlsx(actor: Actor, as_of: date, partnership_ids: list[int] | None = None,
                    period: str = figures.DEFAULT_PERIOD) -> bytes:
    """The report as a workbook: a summary, the breakdowns, each late list, the overdue
    milestones and the stage medians. An export is a disclosure, so it is logged."""
    report = timeliness(actor, as_of, partnership_ids, period)
    late = {f: report[f]["late_items"] for f in figures.FIGURES}
    od = report["overdue_milestones"]["items"]
    scope = ", ".join(p["code"] for p in report["partnerships"]) or "none"
    summary = _frame(summary_rows(report), SUMMARY_COLUMNS)
    summary = pd.concat([summary, _frame([{"figure": f"As of {report['as_of']}; period: "
                                                     f"{report['period']['label']}; partnerships: {scope}"}],
                                         SUMMARY_COLUMNS)], ignore_index=True)
    sheets = {
        "Summary": summary,
        "Breakdowns": _frame(breakdown_rows(report), ["figure", "breakdown", "key", *SUMMARY_COLUMNS[1:]]),
        "Late notifications": _frame(late["notifications"], [
            "referral", "partnership", "body", "review_type", "aware_on", "due_on", "sent_on",
            "working_days_late", "recorded_due_on"]),
        "Late rapid reviews": _frame(late["rapid_reviews"], [
            "review", "referral", "partnership", "notified_on", "due_on", "sent_on",
            "working_days_late"]),
        "Late LCSPRs": _frame(late["lcsprs"], [
            "review", "referral", "partnership", "decided_on", "due_on", "published_on",
            "working_days_late"]),
        "Withheld LCSPRs": _frame(report["lcsprs"]["withheld_items"], [
            "review", "referral", "partnership", "decided_on", "due_on", "publication_status",
            "reason", "expected_on", "published_on"]),
        "Overdue milestones": _frame(od, [
            "review", "referral", "partnership", "review_type", "milestone", "name", "statutory",
            "planned_on", "working_days_overdue"]),
        "Stage durations": _frame(stage_rows(report), [
            "review_type", "from_milestone", "to_milestone", "stage", "reviews",
            "median_working_days", "min_working_days", "max_working_days"]),
    }
    data = exports.to_xlsx_sheets(sheets)
    with transaction() as s:
        audit.record(s, actor, "export", "timeliness_report",
                     detail=f"xlsx: as of {report['as_of']}; period {report['period']['key']}; "
                            f"partnerships {scope}; "
                            f"{sum(len(v) for v in late.values())} late items, {len(od)} overdue milestones")
    return data
