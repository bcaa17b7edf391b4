"""Per theme, whether learning went all the way (docs/domain.md §7.1): what was found (findings),
recommended (recommendations), done (actions closed with evidence of impact) and how many
practitioners learning events reached with it. One SQL statement, grouped by theme.

An event counts towards a theme when what it shared carries the theme: a review it shared
(the theme on the review, its findings or its recommendations), a recommendation it shared,
or a learning source it shared (its findings and recommendations). An event counts once per
theme however many of its links carry the theme. Items follow the explorer's filter
(panel.learning.explore.item_conditions); events its partnerships, years (the day held) and
agency (who attended from it).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import and_, case, func, literal_column, union_all
from sqlmodel import select

from panel.core.access import Actor
from panel.core.db import read_session
from panel.learning.explore import (
    LearningFilter,
    count_findings,
    count_recommendations,
    item_conditions,
    join_themes,
    learning_items,
    rows_frame,
)
from panel.models import (
    Action,
    Finding,
    LearningEvent,
    LearningEventAttendance,
    LearningEventLink,
    Recommendation,
)

REACH_COLUMNS = ["theme", "findings", "recommendations", "done", "events", "reached"]


def _shared():
    """(event_id, tag_entity, tag_id): each record whose themes an event shared."""
    link = LearningEventLink

    def via(model, kind: str, column, entity: str):
        return (select(link.event_id, literal_column(f"'{kind}'"), model.id)
                .join(model, and_(link.entity == entity, column == link.entity_id)))

    direct = select(link.event_id.label("event_id"), link.entity.label("tag_entity"), link.entity_id.label("tag_id")) \
        .where(link.entity.in_(("review", "recommendation")))
    return union_all(direct,
                     via(Finding, "finding", Finding.review_id, "review"),
                     via(Recommendation, "recommendation", Recommendation.review_id, "review"),
                     via(Finding, "finding", Finding.source_id, "source"),
                     via(Recommendation, "recommendation", Recommendation.source_id, "source")).subquery("shared")


def _zero(name: str):
    return literal_column("0").label(name)


def theme_reach(actor: Actor, f: LearningFilter) -> pd.DataFrame:
    """Per theme: findings, recommendations, actions done (closed with evidence of impact),
    events that shared it and practitioners they reached; the most reached first."""
    pids = actor.partnerships_with("learning.read", f.partnership_ids)
    if not pids:
        return rows_frame([], REACH_COLUMNS)
    items = learning_items(("finding", "recommendation", "action"))
    stmt, label = join_themes(select().select_from(items), items, f.level)
    closed = and_(items.c.kind == "action", Action.status == "closed", Action.evidence_of_impact.is_not(None))
    found = (stmt.add_columns(label.label("theme"), count_findings(items).label("findings"),
                              count_recommendations(items).label("recommendations"),
                              func.count(func.distinct(case((closed, items.c.id)))).label("done"),
                              _zero("events"), _zero("reached"))
             .outerjoin(Action, and_(items.c.kind == "action", Action.id == items.c.id))
             .where(*item_conditions(items, pids, f)).group_by(label))

    shared = _shared()
    stmt, label = join_themes(select().select_from(shared), shared, f.level)
    conds = [LearningEvent.partnership_id.in_(pids)]
    if f.year_from:
        conds.append(LearningEvent.held_on >= date(int(f.year_from), 1, 1))
    if f.year_to:
        conds.append(LearningEvent.held_on <= date(int(f.year_to), 12, 31))
    pairs = (stmt.add_columns(label.label("theme"), shared.c.event_id)
             .join(LearningEvent, LearningEvent.id == shared.c.event_id).where(*conds).distinct().subquery("pairs"))
    people = select(LearningEventAttendance.event_id, func.sum(LearningEventAttendance.attended).label("n"))
    if f.agency_id:
        people = people.where(LearningEventAttendance.agency_id == f.agency_id)
    people = people.group_by(LearningEventAttendance.event_id).subquery("people")
    reached = (select(pairs.c.theme, _zero("findings"), _zero("recommendations"), _zero("done"),
                      func.count(pairs.c.event_id), func.sum(people.c.n))
               .join(people, people.c.event_id == pairs.c.event_id).group_by(pairs.c.theme))

    both = union_all(found, reached).subquery("both")
    total = {c: func.sum(both.c[c]) for c in REACH_COLUMNS[1:]}
    stmt = (select(both.c.theme, *total.values()).group_by(both.c.theme)
            .order_by(total["reached"].desc(), (total["findings"] + total["recommendations"]).desc(), both.c.theme))
    with read_session() as s:
        rows = s.exec(stmt).all()
    return rows_frame([(t, *(int(v or 0) for v in rest)) for t, *rest in rows], REACH_COLUMNS)
