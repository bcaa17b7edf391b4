"""The decision log: every panel decision across meetings (and outside them), filterable by
partnership, outcome, date and departure from the criteria, with an audited Excel export."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlmodel import select

from panel.core import audit, exports
from panel.core.access import Actor
from panel.core.clock import day
from panel.core.db import read_session, transaction
from panel.models import (
    Decision,
    Meeting,
    Partnership,
    Referral,
    ReviewType,
)
from panel.screening.rules import DECISION_STATUSES


@dataclass
class LogFilter:
    partnership_ids: list[int] | None = None
    outcomes: list[str] = field(default_factory=list)  # review type names
    date_from: date | None = None
    date_to: date | None = None
    departs_only: bool = False
    meetings_only: bool = False


LOG_COLUMNS = ["decided_on", "partnership", "referral", "outcome", "status", "departs", "rationale",
               "departure_rationale", "meeting", "version"]


def decision_log(actor: Actor, f: LogFilter) -> pd.DataFrame:
    allowed = actor.partnerships_with("referral.read")
    pids = [p for p in f.partnership_ids if p in allowed] if f.partnership_ids else allowed
    if not pids:
        return pd.DataFrame(columns=LOG_COLUMNS)
    conds = [Referral.partnership_id.in_(pids), Decision.status != "withdrawn"]
    if f.outcomes:
        conds.append(ReviewType.name.in_(f.outcomes))
    if f.date_from:
        conds.append(Decision.decided_on >= f.date_from)
    if f.date_to:
        conds.append(Decision.decided_on <= f.date_to)
    if f.departs_only:
        conds.append(Decision.departs == True)  # noqa: E712
    if f.meetings_only:
        conds.append(Decision.meeting_id.is_not(None))
    with read_session() as s:
        rows = s.exec(select(Decision, Referral.reference, ReviewType.name, Partnership.code, Meeting.held_on)
                      .join(Referral, Referral.id == Decision.referral_id)
                      .join(ReviewType, ReviewType.id == Decision.review_type_id)
                      .join(Partnership, Partnership.id == Referral.partnership_id)
                      .outerjoin(Meeting, Meeting.id == Decision.meeting_id)
                      .where(*conds).order_by(Decision.decided_on.desc(), Decision.id.desc())).all()
    return pd.DataFrame([{
        "decided_on": d.decided_on, "partnership": code, "referral": ref, "outcome": tname, "status": DECISION_STATUSES.get(d.status, d.status),
        "departs": d.departs, "rationale": d.rationale, "departure_rationale": d.departure_rationale or "",
        "meeting": day(held, ""), "version": d.version_no,
    } for d, ref, tname, code, held in rows], columns=LOG_COLUMNS)


def outcome_names(actor: Actor) -> list[str]:
    pids = actor.partnerships_with("referral.read")
    with read_session() as s:
        return sorted(set(s.exec(select(ReviewType.name).where(ReviewType.partnership_id.in_(pids or [-1])))))


def export_decision_log(actor: Actor, f: LogFilter) -> bytes:
    df = decision_log(actor, f)
    with transaction() as s:
        audit.record(s, actor, "export", "decision", None, None,
                     detail=json.dumps({"what": "decision log", "rows": len(df), "departs_only": f.departs_only},
                                       sort_keys=True))
    return exports.to_xlsx(df, "Decision log")
