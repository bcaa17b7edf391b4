"""The learning explorer's numbers, computed in SQL (GROUP BY): a chart gets its aggregate,
never raw rows. Also the shared pieces every learning query uses: the filter, the partnership
wall and the learning items as one SQL subquery.

Counting rules, used throughout:

- a **learning item** is a finding or a recommendation; an item's year is the year it was
  recorded; an item counts once for each theme tagged on it;
- "by agency" counts recommendations by their target agencies;
- "occurring together" counts items that carry both themes;
- at the "national" level a local theme is counted as the national theme it maps to.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import and_, case, func, literal_column, or_, true, union_all
from sqlalchemy.orm import aliased
from sqlmodel import select

from panel.core.access import Actor
from panel.core.db import read_session
from panel.learning import source_rules
from panel.models import (
    Action,
    Agency,
    Finding,
    LearningSource,
    Recommendation,
    RecommendationAgency,
    Review,
    ReviewType,
    Theme,
    ThemeTag,
)

# Where learning came from: a review, or one of the other learning sources (docs/domain.md §7.1).
SOURCE_KINDS = {"review": "Review", **source_rules.SOURCE_KINDS}
KINDS = {"finding": "Finding", "recommendation": "Recommendation", "action": "Action"}
LEVELS = ("theme", "national")
ACTION_STATUS = {"open": "Open", "in_progress": "In progress", "completed": "Completed, awaiting evidence",
                 "closed": "Closed"}

YEAR_COLUMNS = ["theme", "year", "findings", "recommendations", "items", "reviews"]
TYPE_COLUMNS = ["theme", "review_type", "items"]
AGENCY_COLUMNS = ["theme", "agency", "recommendations"]
PAIR_COLUMNS = ["theme_a", "theme_b", "items"]


@dataclass
class LearningFilter:
    partnership_ids: list[int] | None = None
    year_from: int | None = None
    year_to: int | None = None
    agency_id: int | None = None
    level: str = "theme"  # "theme", or "national" to count local themes as their national theme
    source_kind: str | None = None  # a key of SOURCE_KINDS: learning from reviews, or one kind of source


@dataclass
class Totals:
    findings: int = 0
    recommendations: int = 0
    actions: int = 0
    actions_closed: int = 0  # closed with evidence of impact
    actions_overdue: int = 0


# -- the learning items, as one SQL subquery ----------------------------------------------------

ITEM_COLUMNS = ("kind", "id", "partnership_id", "review_id", "source_kind", "source_title", "recorded_on", "text",
                "tag_entity", "tag_id")


def _item_select(*cols):
    return select(*(c.label(name) for c, name in zip(cols, ITEM_COLUMNS, strict=True)))


def _kind(review_id, source_kind, named_kind):
    """An item's source kind: "review" for a review's learning; otherwise its learning source's
    kind, or, for a row older than learning sources, the kind it named (review when none)."""
    return case((review_id.is_not(None), literal_column("'review'")),
                else_=func.coalesce(source_kind, named_kind, literal_column("'review'")))


def learning_items(kinds=("finding", "recommendation"), match=None):
    """Findings, recommendations and (optionally) actions as rows of one shape (ITEM_COLUMNS):
    kind, id, partnership, review, source (its kind, SOURCE_KINDS, and title), date recorded,
    text, and the (tag_entity, tag_id) whose themes the row carries (an action carries its
    recommendation's).

    `match(kind, select, model)`, when given (a search: learning_search), restricts each arm to
    the rows matching the search text and adds a "rank" column; searching each table in its own
    arm lets the text index drive the query instead of a join against the whole union."""
    def arm(kind, stmt, model):
        return match(kind, stmt, model) if match else stmt

    parts = []
    if "finding" in kinds:
        ls = aliased(LearningSource)
        parts.append(arm("finding", _item_select(
            literal_column("'finding'"), Finding.id, Finding.partnership_id, Finding.review_id,
            _kind(Finding.review_id, ls.kind, Finding.source_kind), func.coalesce(ls.title, Finding.source_title),
            Finding.recorded_on, Finding.text, literal_column("'finding'"), Finding.id)
            .outerjoin(ls, ls.id == Finding.source_id), Finding))
    if "recommendation" in kinds:
        rf, ls = aliased(Finding), aliased(LearningSource)
        review = func.coalesce(Recommendation.review_id, rf.review_id)
        parts.append(arm("recommendation", _item_select(
            literal_column("'recommendation'"), Recommendation.id, Recommendation.partnership_id,
            review, _kind(review, ls.kind, rf.source_kind), func.coalesce(ls.title, rf.source_title),
            Recommendation.recorded_on, Recommendation.text,
            literal_column("'recommendation'"), Recommendation.id)
            .outerjoin(rf, rf.id == Recommendation.finding_id)
            .outerjoin(ls, ls.id == func.coalesce(Recommendation.source_id, rf.source_id)), Recommendation))
    if "action" in kinds:
        rf, rr, ls = aliased(Finding), aliased(Recommendation), aliased(LearningSource)
        review = func.coalesce(rr.review_id, rf.review_id)
        parts.append(arm("action", _item_select(
            literal_column("'action'"), Action.id, Action.partnership_id,
            review, _kind(review, ls.kind, rf.source_kind), func.coalesce(ls.title, rf.source_title),
            rr.recorded_on, Action.text,
            literal_column("'recommendation'"), rr.id)
            .select_from(Action)
            .join(rr, rr.id == Action.recommendation_id)
            .outerjoin(rf, rf.id == rr.finding_id)
            .outerjoin(ls, ls.id == func.coalesce(rr.source_id, rf.source_id)), Action))
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("items")


def item_conditions(items, pids: list[int], f: LearningFilter) -> list:
    """The explorer filter as SQL conditions on `learning_items`; search and regional learning
    filter the same items the same way."""
    conds = [items.c.partnership_id.in_(pids)]
    if f.year_from:
        conds.append(items.c.recorded_on >= date(int(f.year_from), 1, 1))
    if f.year_to:
        conds.append(items.c.recorded_on <= date(int(f.year_to), 12, 31))
    if f.source_kind:
        conds.append(items.c.source_kind == f.source_kind)
    if f.agency_id:
        recs = select(RecommendationAgency.recommendation_id).where(RecommendationAgency.agency_id == f.agency_id)
        findings = (select(Recommendation.finding_id)
                    .join(RecommendationAgency, RecommendationAgency.recommendation_id == Recommendation.id)
                    .where(RecommendationAgency.agency_id == f.agency_id, Recommendation.finding_id.is_not(None)))
        owned = select(Action.id).where(Action.owner_agency_id == f.agency_id)
        conds.append(or_(
            and_(items.c.tag_entity == "recommendation", items.c.tag_id.in_(recs)),
            and_(items.c.kind == "finding", items.c.id.in_(findings)),
            and_(items.c.kind == "action", items.c.id.in_(owned))))
    return conds


def _label(level: str):
    """Tag -> theme name at the chosen level: (ThemeTag alias, Theme alias, national alias, label)."""
    tag, th, nat = aliased(ThemeTag), aliased(Theme), aliased(Theme)
    label = func.coalesce(nat.name, th.name) if level == "national" else th.name
    return tag, th, nat, label


def join_themes(stmt, items, level: str):
    """`stmt` joined to each item's themes at `level` (local, or national through the mapping);
    regional learning groups by theme the same way as the explorer."""
    tag, th, nat, label = _label(level)
    stmt = (stmt.join(tag, and_(tag.entity == items.c.tag_entity, tag.entity_id == items.c.tag_id))
            .join(th, th.id == tag.theme_id))
    if level == "national":
        stmt = stmt.outerjoin(nat, nat.id == th.national_id)
    return stmt, label


def has_theme(items, theme: str, level: str):
    """Items carrying `theme` (at the national level: it, or any local theme mapped to it).
    Shared with search, so the list and the explorer agree on what a theme holds."""
    th, nat = aliased(Theme), aliased(Theme)
    sub = (select(ThemeTag.id).join(th, th.id == ThemeTag.theme_id)
           .where(ThemeTag.entity == items.c.tag_entity, ThemeTag.entity_id == items.c.tag_id))
    if level == "national":
        sub = sub.outerjoin(nat, nat.id == th.national_id).where(or_(th.name == theme, nat.name == theme))
    else:
        sub = sub.where(th.name == theme)
    return sub.exists()


def _source_label(items):
    return case({k: v for k, v in SOURCE_KINDS.items()}, value=items.c.source_kind, else_=items.c.source_kind)


def count_findings(items):
    """Distinct findings among `learning_items` rows, counted alike by every learning aggregate."""
    return func.count(func.distinct(case((items.c.kind == "finding", items.c.id))))


def count_recommendations(items):
    """Distinct recommendations among `learning_items` rows, counted alike by every aggregate."""
    return func.count(func.distinct(case((items.c.kind == "recommendation", items.c.id))))


def rows_frame(rows, columns) -> pd.DataFrame:
    """Query rows as a table for the pages and exports (used by regional learning too)."""
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


# -- explorer aggregates -------------------------------------------------------------------------

def theme_by_year(actor: Actor, f: LearningFilter) -> pd.DataFrame:
    """Per theme and year: findings, recommendations, items (their sum) and distinct reviews."""
    pids = actor.partnerships_with("learning.read", f.partnership_ids)
    if not pids:
        return rows_frame([], YEAR_COLUMNS)
    items = learning_items()
    year = func.extract("year", items.c.recorded_on)
    stmt, label = join_themes(select().select_from(items), items, f.level)
    stmt = (stmt.add_columns(label, year, count_findings(items), count_recommendations(items),
                             func.count(func.distinct(items.c.review_id)))
            .where(*item_conditions(items, pids, f)).group_by(label, year).order_by(year, label))
    with read_session() as s:
        rows = s.exec(stmt).all()
    return rows_frame([(t, int(y), int(fi), int(r), int(fi) + int(r), int(rv)) for t, y, fi, r, rv in rows],
                  YEAR_COLUMNS)


def theme_by_review_type(actor: Actor, f: LearningFilter) -> pd.DataFrame:
    """Per theme and review type (or other learning source): learning items."""
    pids = actor.partnerships_with("learning.read", f.partnership_ids)
    if not pids:
        return rows_frame([], TYPE_COLUMNS)
    items = learning_items()
    source = func.coalesce(ReviewType.name, _source_label(items))
    stmt, label = join_themes(select().select_from(items), items, f.level)
    stmt = (stmt.add_columns(label, source, count_findings(items) + count_recommendations(items))
            .outerjoin(Review, Review.id == items.c.review_id)
            .outerjoin(ReviewType, ReviewType.id == Review.review_type_id)
            .where(*item_conditions(items, pids, f)).group_by(label, source).order_by(label, source))
    with read_session() as s:
        return rows_frame([(t, src, int(n)) for t, src, n in s.exec(stmt).all()], TYPE_COLUMNS)


def theme_by_agency(actor: Actor, f: LearningFilter) -> pd.DataFrame:
    """Per theme and target agency: recommendations."""
    pids = actor.partnerships_with("learning.read", f.partnership_ids)
    if not pids:
        return rows_frame([], AGENCY_COLUMNS)
    items = learning_items(("recommendation",))
    # Counted by theme and agency id first, named after: grouping by the names lets SQLite (with
    # ANALYZE statistics) loop over every agency x theme pair first, seconds at region scale.
    # Theme names are unique, so the theme id stands for its name (at the national level: the
    # national theme's id, or the theme's own when it maps to none).
    tag, th = aliased(ThemeTag), aliased(Theme)
    key = func.coalesce(th.national_id, th.id) if f.level == "national" else tag.theme_id
    counted = (select(key.label("theme_id"), RecommendationAgency.agency_id,
                      func.count(func.distinct(items.c.id)).label("n")).select_from(items)
               .join(tag, and_(tag.entity == items.c.tag_entity, tag.entity_id == items.c.tag_id))
               .join(th, th.id == tag.theme_id)
               .join(RecommendationAgency, RecommendationAgency.recommendation_id == items.c.id)
               .where(*item_conditions(items, pids, f)).group_by(key, RecommendationAgency.agency_id).subquery())
    stmt = (select(Theme.name, Agency.name, counted.c.n).select_from(counted)
            .join(Theme, Theme.id == counted.c.theme_id).join(Agency, Agency.id == counted.c.agency_id)
            .order_by(Theme.name, Agency.name))
    with read_session() as s:
        return rows_frame([(t, a, int(n)) for t, a, n in s.exec(stmt).all()], AGENCY_COLUMNS)


def cooccurrence(actor: Actor, f: LearningFilter) -> pd.DataFrame:
    """Pairs of themes carried by the same finding or recommendation, and how many items."""
    pids = actor.partnerships_with("learning.read", f.partnership_ids)
    if not pids:
        return rows_frame([], PAIR_COLUMNS)
    items = learning_items()
    t1, th1, nat1, l1 = _label(f.level)
    t2, th2, nat2, l2 = _label(f.level)
    stmt = (select(l1, l2, count_findings(items) + count_recommendations(items)).select_from(items)
            .join(t1, and_(t1.entity == items.c.tag_entity, t1.entity_id == items.c.tag_id))
            .join(t2, and_(t2.entity == t1.entity, t2.entity_id == t1.entity_id, t2.theme_id != t1.theme_id))
            .join(th1, th1.id == t1.theme_id).join(th2, th2.id == t2.theme_id))
    if f.level == "national":
        stmt = stmt.outerjoin(nat1, nat1.id == th1.national_id).outerjoin(nat2, nat2.id == th2.national_id)
    stmt = stmt.where(*item_conditions(items, pids, f), l1 < l2).group_by(l1, l2).order_by(l1, l2)
    with read_session() as s:
        return rows_frame([(a, b, int(n)) for a, b, n in s.exec(stmt).all()], PAIR_COLUMNS)


def totals(actor: Actor, f: LearningFilter, today: date) -> Totals:
    """Headline numbers for the filters: items, actions, and actions closed with evidence."""
    pids = actor.partnerships_with("learning.read", f.partnership_ids)
    if not pids:
        return Totals()
    # Items and actions counted apart (one row each, one statement): an action's status comes
    # straight from its row, joined by key, not tested with IN (...) over every action id.
    items = learning_items()
    counts = (select(func.count(case((items.c.kind == "finding", 1))).label("findings"),
                     func.count(case((items.c.kind == "recommendation", 1))).label("recommendations"))
              .select_from(items).where(*item_conditions(items, pids, f)).subquery("counts"))
    acts = learning_items(("action",))
    closed = and_(Action.status == "closed", Action.evidence_of_impact.is_not(None))
    overdue = and_(Action.status != "closed", Action.due_on < today)
    actions = (select(func.count().label("actions"), func.count(case((closed, 1))).label("closed"),
                      func.count(case((overdue, 1))).label("overdue"))
               .select_from(acts).join(Action, Action.id == acts.c.id).where(*item_conditions(acts, pids, f))
               .subquery("actions"))
    with read_session() as s:
        row = s.exec(select(*counts.c, *actions.c).select_from(counts.join(actions, true()))).one()
    return Totals(*(int(x) for x in row))


def years(actor: Actor, partnership_ids: list[int] | None = None) -> list[int]:
    """The years that have learning recorded, oldest first."""
    pids = actor.partnerships_with("learning.read", partnership_ids)
    if not pids:
        return []
    items = learning_items()
    year = func.extract("year", items.c.recorded_on)
    with read_session() as s:
        return [int(y) for y in s.exec(select(year).select_from(items).where(items.c.partnership_id.in_(pids))
                                       .distinct().order_by(year)).all()]
