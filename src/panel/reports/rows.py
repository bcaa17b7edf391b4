"""The rows the timeliness figures are worked from (docs/timeliness-report.md), each carrying the
dates the as-of rules need (docs/domain.md §6.4). `panel.reports.service.timeliness` checks the
actor's role and partnerships, then calls `timeliness_rows` with its session.

One query per table, only the columns needed, filtered by partnership and, where a later row
cannot matter, by the as-of date. What the database keeps no date for is dated here, once:

- a referral closed at triage, and a publication marked delayed or withheld: the day the audit
  trail recorded the change (no audit row, as for a tracker import: since the referral arrived,
  or since the review started);
- a review closed with no closing date: its closure milestone, else its last milestone, else
  its start;
- a superseded review: the decision that replaced it (none recorded: since its start);
- a plan counted from a notification sent after the as-of date: as it stood before, counted
  from the notification's statutory due date.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_
from sqlmodel import Session, select

from panel.models import (
    AuditEvent,
    Decision,
    Notification,
    Partnership,
    Referral,
    Review,
    ReviewMilestone,
    ReviewType,
)
from panel.referrals.rules import care_leaver_facts
from panel.reports.rules import statutory_due
from panel.reviews import lifecycle
from panel.reviews.types import PUBLICATION_KEY
from panel.reviews.types_service import spec_of
from panel.screening import rules as screening
from panel.screening.service import FACT_FIELDS

RAPID_REVIEW, LCSPR = "rapid_review", "lcspr"
SENT_KEY = "sent_to_national_panel"  # the rapid review's statutory milestone
CLOSURE_KEY = "closure"
SIN_BODIES = ("national_panel", "ofsted")  # the notification that starts a rapid review's clock
# The criteria call for a notification only when the child died or was seriously harmed
# (docs/domain.md §4.2, §4.3), so other referrals need not be screened here.
NOTIFIABLE_HARM = ("died", "serious_harm")
try:
    ENGLAND = ZoneInfo("Europe/London")
except ZoneInfoNotFoundError:  # no time zone database: UTC is at most an hour out
    ENGLAND = UTC


def recorded_day(at: datetime) -> date:
    """The day in England an audited change was recorded (the trail keeps UTC)."""
    return (at if at.tzinfo else at.replace(tzinfo=UTC)).astimezone(ENGLAND).date()


def _body_order(body: str) -> tuple[int, str]:
    return (screening.BODIES.index(body) if body in screening.BODIES else len(screening.BODIES), body)


def _required_notifications(referral: dict) -> dict[str, date]:
    """Body -> due date for each notification the criteria call for on the referral's facts."""
    facts = {"aware_on": referral["aware_on"].isoformat(), **{k: referral[k] for k in FACT_FIELDS},
             **care_leaver_facts(referral["care_leaver"], referral["child_age_years"],
                                 referral["child_dob"], referral["incident_date"])}
    try:
        result = screening.assess(facts)
    except ValueError:
        return {}  # facts the engine refuses: the screening page shows why
    return {n["to"]: date.fromisoformat(n["due"]) for n in result["notify"]}


def _triage_closures(s: Session, pids: list[int]) -> dict[int, date]:
    """Referral id -> the day it was closed at triage, from the audit trail."""
    rows = s.exec(select(AuditEvent.entity_id, func.max(AuditEvent.at))
                  .where(AuditEvent.action == "triage", AuditEvent.entity == "referral",
                         AuditEvent.detail == "close", AuditEvent.partnership_id.in_(pids))
                  .group_by(AuditEvent.entity_id)).all()
    return {rid: recorded_day(at) for rid, at in rows}


def _publication_histories(s: Session, pids: list[int], as_of: date) -> dict[int, list[tuple]]:
    """LCSPR id -> [(from, status, reason)] from the audit trail of its details: the first entry
    (from None) is the status before the first recorded change."""
    lcsprs = (select(Review.id).join(ReviewType, ReviewType.id == Review.review_type_id)
              .where(Review.partnership_id.in_(pids), ReviewType.key == LCSPR, Review.started_on <= as_of))
    events = s.exec(select(AuditEvent.entity_id, AuditEvent.at, AuditEvent.before, AuditEvent.after)
                    .where(AuditEvent.action == "review_details", AuditEvent.entity == "review",
                           AuditEvent.partnership_id.in_(pids), AuditEvent.entity_id.in_(lcsprs))
                    .order_by(AuditEvent.at, AuditEvent.id)).all()
    out: dict[int, list[tuple]] = {}
    for review_id, at, before, after in events:
        was, now = json.loads(before or "{}"), json.loads(after or "{}")
        if "publication_status" not in now:
            continue
        history = out.setdefault(review_id, [(None, was.get("publication_status", "planned"),
                                              was.get("publication_reason"))])
        history.append((recorded_day(at), now["publication_status"], now.get("publication_reason")))
    return out


def _closed_on(rv: dict, actual: dict[str, date | None]) -> date | None:
    if rv["closed_on"] is not None or rv["status"] != "closed":
        return rv["closed_on"]
    done = [d for d in actual.values() if d is not None]
    return actual.get(CLOSURE_KEY) or (max(done) if done else rv["started_on"])


def _replanned(s: Session, reviews: list[dict], anchor: dict[int, date | None]) -> dict[tuple[int, str], date]:
    """(review id, key) -> planned date, for the milestones counted from the notification of a
    review whose recorded notification came after the as-of date: recording it re-planned them
    (panel.screening.service), so they are worked out again from the day 0 they had then."""
    out: dict[tuple[int, str], date] = {}
    type_ids = {rv["review_type_id"] for rv in reviews}
    if not type_ids:
        return out
    specs = {t.id: spec_of(t) for t in s.exec(select(ReviewType).where(ReviewType.id.in_(type_ids)))}
    for rv in reviews:
        spec, day0 = specs[rv["review_type_id"]], anchor[rv["id"]]
        keys = [m.key for m in spec.milestones if m.anchor == "notification"]
        if not keys or day0 is None:
            continue
        planned = lifecycle.planned_dates(spec, rv["started_on"], day0)
        out.update({(rv["id"], k): planned[k] for k in keys})
    return out


def timeliness_rows(s: Session, pids: list[int], as_of: date) -> dict[str, Any]:
    """The keyword arguments of `panel.reports.timeliness.build_report` for these partnerships
    (already checked by the caller) as of a date: rows dated after it are left unread where
    they cannot matter, and the rest carry their dates for the as-of rules."""
    parts = s.exec(select(Partnership.id, Partnership.code, Partnership.name)
                   .where(Partnership.id.in_(pids))).all()
    type_names = s.exec(select(ReviewType.key, ReviewType.name, ReviewType.partnership_id)
                        .where(ReviewType.partnership_id.in_(pids))
                        .order_by(ReviewType.partnership_id)).all()
    notified = select(Notification.referral_id).where(Notification.sent_on <= as_of)
    referrals = s.exec(
        select(Referral.id, Referral.reference, Referral.partnership_id, Referral.status,
               Referral.received_on, Referral.aware_on, Referral.care_leaver,
               Referral.child_age_years, Referral.child_dob, Referral.incident_date,
               *(getattr(Referral, f) for f in FACT_FIELDS))
        .where(Referral.partnership_id.in_(pids), Referral.aware_on <= as_of,
               or_(Referral.harm.in_(NOTIFIABLE_HARM), Referral.id.in_(notified)))
    ).mappings().all()
    sent = s.exec(
        select(Notification.referral_id, Notification.body, Notification.due_on, Notification.sent_on)
        .join(Referral, Referral.id == Notification.referral_id)
        .where(Referral.partnership_id.in_(pids), Notification.sent_on <= as_of)
    ).all()
    # Every signed decision, superseded ones too: the outcome in force on the date, and when a
    # replaced review stopped counting.
    decided = s.exec(
        select(Decision.id, Decision.referral_id, Decision.version_no, Decision.decided_on, ReviewType.key)
        .join(ReviewType, ReviewType.id == Decision.review_type_id)
        .where(ReviewType.partnership_id.in_(pids), Decision.status.in_(("signed", "superseded")))
        .order_by(Decision.referral_id, Decision.version_no)
    ).all()
    started = (Review.partnership_id.in_(pids), Review.started_on <= as_of)
    reviews = s.exec(
        select(Review.id, Review.reference, Review.partnership_id, Review.referral_id,
               Review.decision_id, Review.review_type_id, Review.status, Review.started_on,
               Review.closed_on, Review.notified_on, Review.sent_to_national_panel_on,
               Review.publication_status, Review.publication_reason,
               ReviewType.key.label("type_key"), Referral.reference.label("referral"),
               Referral.aware_on)
        .join(ReviewType, ReviewType.id == Review.review_type_id)
        .join(Referral, Referral.id == Review.referral_id)
        .where(*started)
    ).mappings().all()
    milestones = s.exec(
        select(ReviewMilestone.review_id, ReviewMilestone.key, ReviewMilestone.name,
               ReviewMilestone.position, ReviewMilestone.statutory,
               ReviewMilestone.planned_on, ReviewMilestone.actual_on)
        .join(Review, Review.id == ReviewMilestone.review_id)
        .where(*started)
    ).mappings().all()
    closed_at_triage = _triage_closures(s, pids)
    histories = _publication_histories(s, pids, as_of)

    code = {pid: c for pid, c, _ in parts}
    names: dict[str, str] = {}
    for key, name, _ in type_names:
        names.setdefault(key, name)  # the first partnership's own wording

    outcomes: dict[int, list[tuple[date, str]]] = defaultdict(list)  # in version order
    versions: dict[int, list[tuple[int, date]]] = defaultdict(list)
    decision_version: dict[int, int] = {}
    for decision_id, referral_id, version, decided_on, key in decided:
        outcomes[referral_id].append((decided_on, key))
        versions[referral_id].append((version, decided_on))
        decision_version[decision_id] = version

    recorded: dict[int, dict[str, tuple[date, date]]] = defaultdict(dict)
    for referral_id, body, due_on, sent_on in sent:
        recorded[referral_id][body] = (due_on, sent_on)
    first_sin = {rid: min(v[1] for b, v in have.items() if b in SIN_BODIES)
                 for rid, have in recorded.items() if any(b in SIN_BODIES for b in have)}

    notification_rows = []
    for r in referrals:
        have, called = recorded.get(r["id"], {}), _required_notifications(r)
        closed_on = closed_at_triage.get(r["id"], r["received_on"]) if r["status"] == "closed" else None
        for body in sorted(set(called) | set(have), key=_body_order):
            due_on, sent_on = have.get(body, (called.get(body), None))
            notification_rows.append({
                "referral": r["reference"], "partnership": code[r["partnership_id"]], "body": body,
                "outcomes": outcomes.get(r["id"], []), "aware_on": r["aware_on"], "due_on": due_on,
                "sent_on": sent_on, "called": body in called, "closed_on": closed_on})

    actual: dict[int, dict[str, date | None]] = defaultdict(dict)
    planned: dict[tuple[int, str], date] = {}
    for m in milestones:
        actual[m["review_id"]][m["key"]] = m["actual_on"]
        planned[(m["review_id"], m["key"])] = m["planned_on"]
    # The day 0 each review had on the date: its notification sent by then, else the due date.
    anchor = {rv["id"]: first_sin.get(rv["referral_id"]) or statutory_due(rv["aware_on"], None)
              for rv in reviews}
    planned.update(_replanned(s, [rv for rv in reviews if rv["notified_on"] and rv["notified_on"] > as_of],
                              anchor))

    by_review: dict[int, dict] = {}
    rapid_rows, lcspr_rows = [], []
    for rv in reviews:
        superseded_on = None
        if rv["status"] == "superseded":
            version = decision_version.get(rv["decision_id"], 0)
            replaced = [d for v, d in versions.get(rv["referral_id"], []) if v > version]
            superseded_on = min(replaced) if replaced else rv["started_on"]
        dates = {"review_started_on": rv["started_on"], "review_superseded_on": superseded_on,
                 "review_closed_on": _closed_on(rv, actual[rv["id"]]), "review_status": rv["status"]}
        by_review[rv["id"]] = {"review": rv["reference"], "referral": rv["referral"],
                               "partnership": code[rv["partnership_id"]], "review_type": rv["type_key"],
                               **dates}
        common = {k: by_review[rv["id"]][k] for k in ("review", "referral", "partnership", "review_type")}
        if rv["type_key"] == RAPID_REVIEW:
            rapid_rows.append({
                **common, "started_on": rv["started_on"], "superseded_on": superseded_on,
                "aware_on": rv["aware_on"], "notified_on": rv["notified_on"],
                "referral_notified_on": first_sin.get(rv["referral_id"]),
                "sent_on": rv["sent_to_national_panel_on"],
                "milestone_sent_on": actual[rv["id"]].get(SENT_KEY)})
        elif rv["type_key"] == LCSPR:
            lcspr_rows.append({
                **common, "decided_on": rv["started_on"], "superseded_on": superseded_on,
                "published_on": actual[rv["id"]].get(PUBLICATION_KEY),
                "publication_status": rv["publication_status"],
                "publication_reason": rv["publication_reason"],
                "publication_history": histories.get(rv["id"]),
                "expected_on": planned.get((rv["id"], PUBLICATION_KEY))})

    milestone_rows = [{**by_review[m["review_id"]], "key": m["key"], "name": m["name"],
                       "position": m["position"], "statutory": m["statutory"],
                       "planned_on": planned[(m["review_id"], m["key"])], "actual_on": m["actual_on"]}
                      for m in milestones]
    return {"notifications": notification_rows, "rapid_reviews": rapid_rows, "lcsprs": lcspr_rows,
            "milestones": milestone_rows,
            "partnerships": [{"code": c, "name": n} for _, c, n in parts], "review_types": names}
