"""The review progress tracker: every review's next milestone and clock, for the managers who
answer for timeliness. Three queries per call (reviews, their milestones, the reviews they are
linked to), whatever the size."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import exists, false, func, or_
from sqlmodel import select

from panel.core.access import Actor
from panel.core.db import read_session
from panel.models import Partnership, Review, ReviewMilestone, ReviewType
from panel.reviews import lifecycle
from panel.reviews.types import PUBLICATION_KEY

COLUMNS = ["reference", "partnership", "type", "linked", "lead_reviewer", "started_on", "next_milestone", "due",
           "working_days_left", "rag", "overdue", "state"]


@dataclass
class TrackerFilter:
    partnership_ids: list[int] | None = None
    type_names: list[str] = field(default_factory=list)
    states: tuple[str, ...] = lifecycle.RUNNING_STATES  # lifecycle.REVIEW_STATES; empty: every state
    reviewer: str = ""
    limit: int = 500


def _published():
    return exists().where(ReviewMilestone.review_id == Review.id, ReviewMilestone.key == PUBLICATION_KEY,
                          ReviewMilestone.actual_on.is_not(None))


def _running():
    return (Review.status == "open") & Review.closed_on.is_(None)


def _withheld():
    return func.coalesce(Review.publication_status, "") == "withheld"


# lifecycle.review_state as SQL, so the filter and the limit apply in the database (a test checks
# that every row a state's filter returns is in that state).
_STATE_SQL = {
    "superseded": lambda: Review.status == "superseded",
    "closed": lambda: (Review.status == "closed") | ((Review.status == "open") & Review.closed_on.is_not(None)),
    "withheld": lambda: _running() & _withheld(),
    "published": lambda: _running() & ~_withheld() & _published(),
    "open": lambda: _running() & ~_withheld() & ~_published(),
}


def _load(actor: Actor, f: TrackerFilter):
    pids = actor.partnerships_with("review.read", f.partnership_ids)
    if not pids:
        return [], {}, {}
    conds = [Review.partnership_id.in_(pids)]
    if f.states:
        conds.append(or_(false(), *(_STATE_SQL[s]() for s in f.states if s in _STATE_SQL)))
    if f.type_names:
        conds.append(ReviewType.name.in_(f.type_names))
    if f.reviewer.strip():
        conds.append(Review.lead_reviewer.ilike(f"%{f.reviewer.strip()}%"))
    with read_session() as s:
        rows = s.exec(select(Review, ReviewType.name, Partnership.code)
                      .join(ReviewType, ReviewType.id == Review.review_type_id)
                      .join(Partnership, Partnership.id == Review.partnership_id)
                      .where(*conds).order_by(Review.started_on.desc()).limit(f.limit)).all()
        ids = [r.id for r, _, _ in rows]
        milestones: dict[int, list[ReviewMilestone]] = {}
        links: dict[int, str] = {}
        if ids:
            for m in s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id.in_(ids))
                            .order_by(ReviewMilestone.review_id, ReviewMilestone.position)):
                milestones.setdefault(m.review_id, []).append(m)
            links = _links(s, [r for r, _, _ in rows], pids)
    return rows, milestones, links


def _links(s, shown: list[Review], pids: list[int]) -> dict[int, str]:
    """Review id -> the reference of the review it is linked to: a rapid review's LCSPR, or the
    rapid review that started an LCSPR (docs/domain.md §6.3)."""
    ids = [rv.id for rv in shown]
    parents = [rv.rapid_review_id for rv in shown if rv.rapid_review_id]
    found = s.exec(select(Review.id, Review.reference, Review.rapid_review_id).where(
        Review.partnership_id.in_(pids), or_(Review.id.in_(parents), Review.rapid_review_id.in_(ids)))).all()
    refs = {rid: ref for rid, ref, _ in found}
    out = {rapid: ref for _, ref, rapid in found if rapid in ids}
    out.update({rv.id: refs[rv.rapid_review_id] for rv in shown if rv.rapid_review_id in refs})
    return out


def reviews(actor: Actor, f: TrackerFilter, today: date) -> pd.DataFrame:
    """One row per review, most urgent first: red, then amber, then by next due date."""
    rows, milestones, links = _load(actor, f)
    out = []
    for rv, type_name, code in rows:
        ms = milestones.get(rv.id, [])
        st = lifecycle.review_status([{"key": m.key, "planned": m.planned_on, "actual": m.actual_on} for m in ms], today)
        names = {m.key: m.name for m in ms}
        published = next((m.actual_on for m in ms if m.key == PUBLICATION_KEY), None)
        state = lifecycle.review_state(rv.status, rv.publication_status, published, rv.closed_on)
        out.append({
            "reference": rv.reference, "partnership": code, "type": type_name, "linked": links.get(rv.id, ""),
            "lead_reviewer": rv.lead_reviewer or "", "started_on": rv.started_on,
            "next_milestone": names.get(st["next_key"], ""), "due": st["next_due"],
            "working_days_left": st["days_left"], "rag": st["rag"],
            "overdue": st["counts"].get("overdue", 0), "state": state,
        })
    df = pd.DataFrame(out, columns=COLUMNS)
    if not df.empty:
        order = {"red": 0, "amber": 1, "green": 2}
        df = (df.assign(_o=df["rag"].map(order).fillna(3), _d=pd.to_datetime(df["due"]))
              .sort_values(["_o", "_d"], na_position="last").drop(columns=["_o", "_d"]).reset_index(drop=True))
    return df


def timeline(actor: Actor, f: TrackerFilter, today: date, references: list[str]) -> pd.DataFrame:
    """Milestones of the given reviews for the chart: planned and actual dates and status."""
    rows, milestones, _ = _load(actor, f)
    wanted = set(references)
    out = []
    for rv, type_name, _ in rows:
        if rv.reference not in wanted:
            continue
        for m in milestones.get(rv.id, []):
            out.append({"review": rv.reference, "type": type_name, "milestone": m.name, "planned": m.planned_on,
                        "actual": m.actual_on, "statutory": m.statutory,
                        "status": lifecycle.milestone_status(m.planned_on, m.actual_on, today)})
    return pd.DataFrame(out, columns=["review", "type", "milestone", "planned", "actual", "statutory", "status"])


def type_names(actor: Actor) -> list[str]:
    pids = actor.partnerships_with("review.read")
    if not pids:
        return []
    with read_session() as s:
        return sorted(set(s.exec(select(ReviewType.name).where(ReviewType.partnership_id.in_(pids),
                                                               ReviewType.creates_review == True))))  # noqa: E712
