"""Reports for managers and returns: statutory timeliness (docs/domain.md §4, §6).

`timeliness` selects the rows (one query per table, only the columns needed, never one per row)
within the actor's partnerships and hands them to `panel.reports.timeliness.build_report`, which works
out every figure. The dashboard, its Excel export and `panel report timeliness` all call it, so
they always give the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

import pandas as pd
from sqlalchemy import or_
from sqlmodel import select

from panel.core import audit, exports
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.models import (
    Decision,
    Notification,
    Partnership,
    Referral,
    Review,
    ReviewMilestone,
    ReviewType,
)
from panel.referrals.rules import care_leaver_facts
from panel.reports import timeliness as figures
from panel.reviews.types import PUBLICATION_KEY
from panel.screening import rules as screening
from panel.screening.service import FACT_FIELDS

PERMISSION = "report.timeliness"
RAPID_REVIEW, LCSPR = "rapid_review", "lcspr"
SENT_KEY = "sent_to_national_panel"  # the rapid review's statutory milestone
SIN_BODIES = ("national_panel", "ofsted")  # the notification that starts a rapid review's clock
# The criteria call for a notification only when the child died or was seriously harmed
# (docs/domain.md §4.2, §4.3), so other referrals need not be screened here.
NOTIFIABLE_HARM = ("died", "serious_harm")


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


def _body_order(body: str) -> tuple[int, str]:
    return (screening.BODIES.index(body) if body in screening.BODIES else len(screening.BODIES), body)


def _required_notifications(referral: dict) -> list[tuple[str, date]]:
    """(body, due date) for each notification the criteria call for on the referral's facts."""
    facts = {"aware_on": referral["aware_on"].isoformat(), **{k: referral[k] for k in FACT_FIELDS},
             **care_leaver_facts(referral["care_leaver"], referral["child_age_years"],
                                 referral["child_dob"], referral["incident_date"])}
    try:
        result = screening.assess(facts)
    except ValueError:
        return []  # facts the engine refuses: the screening page shows why
    return [(n["to"], date.fromisoformat(n["due"])) for n in result["notify"]]


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
        parts = s.exec(select(Partnership.id, Partnership.code, Partnership.name)
                       .where(Partnership.id.in_(pids))).all()
        type_names = s.exec(select(ReviewType.key, ReviewType.name, ReviewType.partnership_id)
                            .where(ReviewType.partnership_id.in_(pids))
                            .order_by(ReviewType.partnership_id)).all()
        notified = select(Notification.referral_id)
        referrals = s.exec(
            select(Referral.id, Referral.reference, Referral.partnership_id, Referral.status,
                   Referral.aware_on, Referral.care_leaver, Referral.child_age_years,
                   Referral.child_dob, Referral.incident_date,
                   *(getattr(Referral, f) for f in FACT_FIELDS))
            .where(Referral.partnership_id.in_(pids),
                   or_(Referral.harm.in_(NOTIFIABLE_HARM), Referral.id.in_(notified)))
        ).mappings().all()
        sent = s.exec(
            select(Notification.referral_id, Notification.body, Notification.due_on,
                   Notification.sent_on)
            .join(Referral, Referral.id == Notification.referral_id)
            .where(Referral.partnership_id.in_(pids))
        ).all()
        decided = s.exec(
            select(Decision.referral_id, Decision.version_no, ReviewType.key)
            .join(ReviewType, ReviewType.id == Decision.review_type_id)
            .where(ReviewType.partnership_id.in_(pids), Decision.status == "signed")
        ).all()
        reviews = s.exec(
            select(Review.id, Review.reference, Review.partnership_id, Review.referral_id,
                   Review.status, Review.started_on, Review.notified_on,
                   Review.sent_to_national_panel_on, Review.publication_status,
                   Review.publication_reason, ReviewType.key.label("type_key"),
                   Referral.reference.label("referral"))
            .join(ReviewType, ReviewType.id == Review.review_type_id)
            .join(Referral, Referral.id == Review.referral_id)
            .where(Review.partnership_id.in_(pids), Review.status != "superseded")
        ).mappings().all()
        milestones = s.exec(
            select(ReviewMilestone.review_id, ReviewMilestone.key, ReviewMilestone.name,
                   ReviewMilestone.position, ReviewMilestone.statutory,
                   ReviewMilestone.planned_on, ReviewMilestone.actual_on)
            .join(Review, Review.id == ReviewMilestone.review_id)
            .where(Review.partnership_id.in_(pids), Review.status != "superseded")
        ).mappings().all()

    code = {pid: c for pid, c, _ in parts}
    names: dict[str, str] = {}
    for key, name, _ in type_names:
        names.setdefault(key, name)  # the first partnership's own wording

    # The outcome of each referral's latest signed decision.
    outcome: dict[int, tuple[int, str]] = {}
    for referral_id, version, key in decided:
        if referral_id not in outcome or version > outcome[referral_id][0]:
            outcome[referral_id] = (version, key)

    recorded: dict[int, dict[str, tuple[date, date]]] = defaultdict(dict)
    for referral_id, body, due_on, sent_on in sent:
        recorded[referral_id][body] = (due_on, sent_on)

    notification_rows = []
    day0_due: dict[int, date] = {}  # a referral's SIN due date while none is recorded
    for r in referrals:
        have = recorded.get(r["id"], {})
        required = dict(_required_notifications(r)) if r["status"] != "closed" else {}
        for body, due in required.items():
            if body in SIN_BODIES:
                day0_due[r["id"]] = min(due, day0_due.get(r["id"], due))
        for body in sorted(set(required) | set(have), key=_body_order):
            due_on, sent_on = have.get(body, (required.get(body), None))
            notification_rows.append({
                "referral": r["reference"], "partnership": code[r["partnership_id"]],
                "body": body, "review_type": outcome.get(r["id"], (0, None))[1],
                "aware_on": r["aware_on"], "due_on": due_on, "sent_on": sent_on})
    sin_sent = {rid: min(v[1] for b, v in have.items() if b in SIN_BODIES)
                for rid, have in recorded.items() if any(b in SIN_BODIES for b in have)}

    by_review: dict[int, dict] = {rv["id"]: rv for rv in reviews}
    milestone_rows, actual, planned = [], {}, {}
    for m in milestones:
        rv = by_review[m["review_id"]]
        actual[(rv["id"], m["key"])] = m["actual_on"]
        planned[(rv["id"], m["key"])] = m["planned_on"]
        milestone_rows.append({
            "review": rv["reference"], "referral": rv["referral"],
            "partnership": code[rv["partnership_id"]], "review_type": rv["type_key"],
            "review_status": rv["status"], "key": m["key"], "name": m["name"],
            "position": m["position"], "statutory": m["statutory"],
            "planned_on": m["planned_on"], "actual_on": m["actual_on"]})

    rapid_rows, lcspr_rows = [], []
    for rv in reviews:
        common = {"review": rv["reference"], "referral": rv["referral"],
                  "partnership": code[rv["partnership_id"]], "review_type": rv["type_key"]}
        if rv["type_key"] == RAPID_REVIEW:
            notified_on = rv["notified_on"] or sin_sent.get(rv["referral_id"])
            rapid_rows.append({
                **common, "notified_on": notified_on,
                "day0": day0_due.get(rv["referral_id"], rv["started_on"]),
                "sent_on": rv["sent_to_national_panel_on"] or actual.get((rv["id"], SENT_KEY))})
        elif rv["type_key"] == LCSPR:
            lcspr_rows.append({**common, "decided_on": rv["started_on"],
                               "published_on": actual.get((rv["id"], PUBLICATION_KEY)),
                               "publication_status": rv["publication_status"],
                               "publication_reason": rv["publication_reason"],
                               "expected_on": planned.get((rv["id"], PUBLICATION_KEY))})

    return figures.build_report(
        as_of, notifications=notification_rows, rapid_reviews=rapid_rows, lcsprs=lcspr_rows,
        milestones=milestone_rows,
        partnerships=[{"code": c, "name": n} for _, c, n in parts], review_types=names,
        period=period)


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
