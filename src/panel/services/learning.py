"""Learning records and the learning explorer (DOMAIN §7).

Findings come from reviews and the other learning sources the seeds name (child death review
learning, inter-agency case file audits, child protection incident reviews); recommendations
answer findings and name their target agencies; actions (panel.services.actions) carry them out.
Findings, recommendations and reviews carry several themes each (panel.services.themes).

The explorer's numbers are computed in SQL (GROUP BY): a chart gets its aggregate, never raw
rows. Counting rules, used throughout:

- a **learning item** is a finding or a recommendation; an item's year is the year it was
  recorded; an item counts once for each theme tagged on it;
- "by agency" counts recommendations by their target agencies;
- "occurring together" counts items that carry both themes;
- at the "national" level a local theme is counted as the national theme it maps to.

Full-text search covers findings, recommendations and actions behind one call: SQLite FTS5
(tables and triggers from migration 0005), PostgreSQL to_tsvector/plainto_tsquery, otherwise
LIKE. Search text is reduced to plain words first (panel.themes.search_terms), so quotes, stars,
NEAR, brackets or colons are searched as text and never raise.

Walls: every call is limited to the partnerships where the actor has "learning.read"; the one
exception is `regional_learning`, for users with the regional permission, which returns only
anonymised columns (partnership, year, review type, kind, themes, text): never a reference, a
referral or anything about the child.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import and_, case, column, func, literal_column, or_, table, union_all
from sqlalchemy import text as sql_text
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from panel import themes as rules
from panel.db import read_session, transaction
from panel.models import (
    Action,
    Agency,
    Finding,
    Partnership,
    Recommendation,
    RecommendationAgency,
    Review,
    ReviewType,
    Theme,
    ThemeTag,
)
from panel.services import audit
from panel.services.access import Actor
from panel.services.errors import NotFound, PermissionDenied, ValidationFailed
from panel.services.themes import write_tags

SOURCE_KINDS = {
    "review": "Review",
    "child_death_review": "Child death review learning",
    "case_file_audit": "Inter-agency case file audit",
    "cpir": "Child protection incident review",
}
KINDS = {"finding": "Finding", "recommendation": "Recommendation", "action": "Action"}
LEVELS = ("theme", "national")
TEXT_MIN, TEXT_MAX = 10, 5000
TITLE_MAX = 200
ACTION_STATUS = {"open": "Open", "in_progress": "In progress", "completed": "Completed, awaiting evidence",
                 "closed": "Closed"}

YEAR_COLUMNS = ["theme", "year", "findings", "recommendations", "items", "reviews"]
TYPE_COLUMNS = ["theme", "review_type", "items"]
AGENCY_COLUMNS = ["theme", "agency", "recommendations"]
PAIR_COLUMNS = ["theme_a", "theme_b", "items"]
LIST_COLUMNS = ["kind", "id", "partnership", "year", "recorded_on", "source", "review_type", "themes",
                "agencies", "text", "follow_up"]
# What a regional user sees of another partnership's learning: nothing that identifies a case.
REGIONAL_COLUMNS = ["partnership", "year", "review_type", "kind", "themes", "text"]
REGIONAL_COUNT_COLUMNS = ["partnership", "theme", "items"]
FTS_OBJECTS = ("finding_fts", "recommendation_fts", "action_fts",
               "finding_fts_ai", "finding_fts_ad", "finding_fts_au",
               "recommendation_fts_ai", "recommendation_fts_ad", "recommendation_fts_au",
               "action_fts_ai", "action_fts_ad", "action_fts_au")


@dataclass
class LearningFilter:
    partnership_ids: list[int] | None = None
    year_from: int | None = None
    year_to: int | None = None
    agency_id: int | None = None
    level: str = "theme"  # "theme", or "national" to count local themes as their national theme


@dataclass
class Totals:
    findings: int = 0
    recommendations: int = 0
    actions: int = 0
    actions_closed: int = 0  # closed with evidence of impact
    actions_overdue: int = 0


@dataclass
class RecommendationDetail:
    id: int
    partnership: str
    text: str
    recorded_on: date
    source: str
    finding: str | None
    themes: list[str]
    agencies: list[str]
    actions: list[dict] = field(default_factory=list)
    can_edit: bool = False


def _scope(actor: Actor, requested: list[int] | None) -> list[int]:
    allowed = actor.partnerships_with("learning.read")
    return [p for p in requested if p in allowed] if requested else allowed


# -- the learning items, as one SQL subquery ----------------------------------------------------

ITEM_COLUMNS = ("kind", "id", "partnership_id", "review_id", "source_kind", "source_title", "recorded_on", "text",
                "tag_entity", "tag_id")


def _item_select(*cols):
    return select(*(c.label(name) for c, name in zip(cols, ITEM_COLUMNS, strict=True)))


def _items(kinds=("finding", "recommendation")):
    """Findings, recommendations and (optionally) actions as rows of one shape (ITEM_COLUMNS):
    kind, id, partnership, review, source, date recorded, text, and the (tag_entity, tag_id)
    whose themes the row carries (an action carries its recommendation's)."""
    parts = []
    if "finding" in kinds:
        parts.append(_item_select(
            literal_column("'finding'"), Finding.id, Finding.partnership_id, Finding.review_id,
            Finding.source_kind, Finding.source_title, Finding.recorded_on, Finding.text,
            literal_column("'finding'"), Finding.id))
    if "recommendation" in kinds:
        rf = aliased(Finding)
        parts.append(_item_select(
            literal_column("'recommendation'"), Recommendation.id, Recommendation.partnership_id,
            func.coalesce(Recommendation.review_id, rf.review_id), func.coalesce(rf.source_kind, "review"),
            rf.source_title, Recommendation.recorded_on, Recommendation.text,
            literal_column("'recommendation'"), Recommendation.id)
            .outerjoin(rf, rf.id == Recommendation.finding_id))
    if "action" in kinds:
        rf, rr = aliased(Finding), aliased(Recommendation)
        parts.append(_item_select(
            literal_column("'action'"), Action.id, Action.partnership_id,
            func.coalesce(rr.review_id, rf.review_id), func.coalesce(rf.source_kind, "review"),
            rf.source_title, rr.recorded_on, Action.text,
            literal_column("'recommendation'"), rr.id)
            .select_from(Action)
            .join(rr, rr.id == Action.recommendation_id)
            .outerjoin(rf, rf.id == rr.finding_id))
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("items")


def _conds(items, pids: list[int], f: LearningFilter) -> list:
    conds = [items.c.partnership_id.in_(pids)]
    if f.year_from:
        conds.append(items.c.recorded_on >= date(int(f.year_from), 1, 1))
    if f.year_to:
        conds.append(items.c.recorded_on <= date(int(f.year_to), 12, 31))
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


def _tagged(stmt, items, level: str):
    tag, th, nat, label = _label(level)
    stmt = (stmt.join(tag, and_(tag.entity == items.c.tag_entity, tag.entity_id == items.c.tag_id))
            .join(th, th.id == tag.theme_id))
    if level == "national":
        stmt = stmt.outerjoin(nat, nat.id == th.national_id)
    return stmt, label


def _has_theme(items, theme: str, level: str):
    """Items carrying `theme` (at the national level: it, or any local theme mapped to it)."""
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


def _n_findings(items):
    return func.count(func.distinct(case((items.c.kind == "finding", items.c.id))))


def _n_recs(items):
    return func.count(func.distinct(case((items.c.kind == "recommendation", items.c.id))))


def _frame(rows, columns) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


# -- explorer aggregates -------------------------------------------------------------------------

def theme_by_year(actor: Actor, f: LearningFilter) -> pd.DataFrame:
    """Per theme and year: findings, recommendations, items (their sum) and distinct reviews."""
    pids = _scope(actor, f.partnership_ids)
    if not pids:
        return _frame([], YEAR_COLUMNS)
    items = _items()
    year = func.extract("year", items.c.recorded_on)
    stmt, label = _tagged(select().select_from(items), items, f.level)
    stmt = (stmt.add_columns(label, year, _n_findings(items), _n_recs(items),
                             func.count(func.distinct(items.c.review_id)))
            .where(*_conds(items, pids, f)).group_by(label, year).order_by(year, label))
    with read_session() as s:
        rows = s.exec(stmt).all()
    return _frame([(t, int(y), int(fi), int(r), int(fi) + int(r), int(rv)) for t, y, fi, r, rv in rows],
                  YEAR_COLUMNS)


def theme_by_review_type(actor: Actor, f: LearningFilter) -> pd.DataFrame:
    """Per theme and review type (or other learning source): learning items."""
    pids = _scope(actor, f.partnership_ids)
    if not pids:
        return _frame([], TYPE_COLUMNS)
    items = _items()
    source = func.coalesce(ReviewType.name, _source_label(items))
    stmt, label = _tagged(select().select_from(items), items, f.level)
    stmt = (stmt.add_columns(label, source, _n_findings(items) + _n_recs(items))
            .outerjoin(Review, Review.id == items.c.review_id)
            .outerjoin(ReviewType, ReviewType.id == Review.review_type_id)
            .where(*_conds(items, pids, f)).group_by(label, source).order_by(label, source))
    with read_session() as s:
        return _frame([(t, src, int(n)) for t, src, n in s.exec(stmt).all()], TYPE_COLUMNS)


def theme_by_agency(actor: Actor, f: LearningFilter) -> pd.DataFrame:
    """Per theme and target agency: recommendations."""
    pids = _scope(actor, f.partnership_ids)
    if not pids:
        return _frame([], AGENCY_COLUMNS)
    items = _items(("recommendation",))
    stmt, label = _tagged(select().select_from(items), items, f.level)
    stmt = (stmt.add_columns(label, Agency.name, func.count(func.distinct(items.c.id)))
            .join(RecommendationAgency, RecommendationAgency.recommendation_id == items.c.id)
            .join(Agency, Agency.id == RecommendationAgency.agency_id)
            .where(*_conds(items, pids, f)).group_by(label, Agency.name).order_by(label, Agency.name))
    with read_session() as s:
        return _frame([(t, a, int(n)) for t, a, n in s.exec(stmt).all()], AGENCY_COLUMNS)


def cooccurrence(actor: Actor, f: LearningFilter) -> pd.DataFrame:
    """Pairs of themes carried by the same finding or recommendation, and how many items."""
    pids = _scope(actor, f.partnership_ids)
    if not pids:
        return _frame([], PAIR_COLUMNS)
    items = _items()
    t1, th1, nat1, l1 = _label(f.level)
    t2, th2, nat2, l2 = _label(f.level)
    stmt = (select(l1, l2, _n_findings(items) + _n_recs(items)).select_from(items)
            .join(t1, and_(t1.entity == items.c.tag_entity, t1.entity_id == items.c.tag_id))
            .join(t2, and_(t2.entity == t1.entity, t2.entity_id == t1.entity_id, t2.theme_id != t1.theme_id))
            .join(th1, th1.id == t1.theme_id).join(th2, th2.id == t2.theme_id))
    if f.level == "national":
        stmt = stmt.outerjoin(nat1, nat1.id == th1.national_id).outerjoin(nat2, nat2.id == th2.national_id)
    stmt = stmt.where(*_conds(items, pids, f), l1 < l2).group_by(l1, l2).order_by(l1, l2)
    with read_session() as s:
        return _frame([(a, b, int(n)) for a, b, n in s.exec(stmt).all()], PAIR_COLUMNS)


def totals(actor: Actor, f: LearningFilter, today: date) -> Totals:
    """Headline numbers for the filters: items, actions, and actions closed with evidence."""
    pids = _scope(actor, f.partnership_ids)
    if not pids:
        return Totals()
    items = _items(("finding", "recommendation", "action"))
    acts = items.c.kind == "action"
    closed = and_(acts, items.c.id.in_(select(Action.id).where(Action.status == "closed",
                                                                Action.evidence_of_impact.is_not(None))))
    overdue = and_(acts, items.c.id.in_(select(Action.id).where(Action.status != "closed", Action.due_on < today)))
    stmt = (select(func.count(case((items.c.kind == "finding", 1))),
                   func.count(case((items.c.kind == "recommendation", 1))),
                   func.count(case((acts, 1))), func.count(case((closed, 1))), func.count(case((overdue, 1))))
            .select_from(items).where(*_conds(items, pids, f)))
    with read_session() as s:
        row = s.exec(stmt).one()
    return Totals(*(int(x) for x in row))


def years(actor: Actor, partnership_ids: list[int] | None = None) -> list[int]:
    """The years that have learning recorded, oldest first."""
    pids = _scope(actor, partnership_ids)
    if not pids:
        return []
    items = _items()
    year = func.extract("year", items.c.recorded_on)
    with read_session() as s:
        return [int(y) for y in s.exec(select(year).select_from(items).where(items.c.partnership_id.in_(pids))
                                       .distinct().order_by(year)).all()]


def agencies(actor: Actor) -> dict[int, str]:
    """Every agency, id -> name (agencies are shared reference data)."""
    if not actor.can("learning.read") and not actor.is_regional:
        return {}
    with read_session() as s:
        return dict(s.exec(select(Agency.id, Agency.name).order_by(Agency.name)).all())


# -- full-text search ---------------------------------------------------------------------------

def search_mode(s: Session) -> str:
    """"fts5", "postgresql" or "like": how text is searched on this database."""
    dialect = s.get_bind().dialect.name
    if dialect == "postgresql":
        return "postgresql"
    if dialect == "sqlite":
        found = s.exec(sql_text(
            "SELECT count(*) FROM sqlite_master WHERE name IN ('finding_fts', 'recommendation_fts', "
            "'action_fts', 'finding_fts_ai', 'finding_fts_ad', 'finding_fts_au', 'recommendation_fts_ai', "
            "'recommendation_fts_ad', 'recommendation_fts_au', 'action_fts_ai', 'action_fts_ad', "
            "'action_fts_au')")).one()[0]
        if found == len(FTS_OBJECTS):
            return "fts5"
    return "like"


def _like_all(columns, terms: list[str]):
    """Every term appears in one of the columns (case-insensitive)."""
    return and_(*[or_(*[func.coalesce(c, "").ilike(f"%{rules.escape_like(t)}%", escape="\\") for c in columns])
                  for t in terms])


def _matches(s: Session, terms: list[str], kinds):
    """(kind, id, rank) of the rows matching every term; lower rank is better."""
    mode = search_mode(s)
    parts = []
    if mode == "fts5":
        q = rules.fts5_query(terms)
        fts = {"finding": (table("finding_fts", column("rowid")), "bm25(finding_fts)",
                           sql_text("finding_fts MATCH :q_finding").bindparams(q_finding=q)),
               "recommendation": (table("recommendation_fts", column("rowid")), "bm25(recommendation_fts)",
                                  sql_text("recommendation_fts MATCH :q_recommendation").bindparams(q_recommendation=q)),
               "action": (table("action_fts", column("rowid")), "bm25(action_fts)",
                          sql_text("action_fts MATCH :q_action").bindparams(q_action=q))}
        for kind in kinds:
            t, rank, match = fts[kind]
            parts.append(select(literal_column(f"'{kind}'").label("kind"), t.c.rowid.label("id"),
                                literal_column(rank).label("rank")).select_from(t).where(match))
    elif mode == "postgresql":
        english = literal_column("'english'::regconfig")
        query = func.plainto_tsquery(english, " ".join(terms))
        space, empty = literal_column("' '"), literal_column("''")
        # The expressions of migration 0005's GIN indexes, character for character.
        docs = {"finding": (Finding.id, Finding.text.op("||")(space).op("||")(func.coalesce(Finding.source_title, empty))),
                "recommendation": (Recommendation.id, Recommendation.text),
                "action": (Action.id, Action.text.op("||")(space).op("||")(func.coalesce(Action.evidence_of_impact, empty))
                           .op("||")(space).op("||")(Action.owner_name))}
        for kind in kinds:
            id_col, doc = docs[kind]
            vec = func.to_tsvector(english, doc)
            parts.append(select(literal_column(f"'{kind}'").label("kind"), id_col.label("id"),
                                (-func.ts_rank(vec, query)).label("rank")).where(vec.op("@@")(query)))
    else:
        docs = {"finding": (Finding.id, [Finding.text, Finding.source_title]),
                "recommendation": (Recommendation.id, [Recommendation.text]),
                "action": (Action.id, [Action.text, Action.evidence_of_impact, Action.owner_name])}
        for kind in kinds:
            id_col, cols = docs[kind]
            parts.append(select(literal_column(f"'{kind}'").label("kind"), id_col.label("id"),
                                literal_column("0").label("rank")).where(_like_all(cols, terms)))
    return (union_all(*parts) if len(parts) > 1 else parts[0]).subquery("matches")


# -- lists --------------------------------------------------------------------------------------

def _page(s: Session, pids: list[int], f: LearningFilter, theme: str | None, query: str,
          kinds, limit: int, offset: int):
    """One page of items (rows of `_items`) and the total, filtered and ordered in SQL."""
    items = _items(kinds)
    conds = _conds(items, pids, f)
    if theme:
        conds.append(_has_theme(items, theme, f.level))
    stmt = select(*items.c).where(*conds)
    count = select(func.count()).select_from(items).where(*conds)
    order = [items.c.recorded_on.desc(), items.c.kind, items.c.id.desc()]
    if (query or "").strip():
        terms = rules.search_terms(query)
        if not terms:
            return [], 0
        m = _matches(s, terms, kinds)
        on = and_(m.c.kind == items.c.kind, m.c.id == items.c.id)
        stmt = stmt.join(m, on)
        count = count.join(m, on)
        order = [m.c.rank, *order]
    total = s.exec(count).one()
    rows = s.exec(stmt.order_by(*order).limit(max(1, int(limit))).offset(max(0, int(offset)))).all()
    return rows, int(total)


def _describe(s: Session, rows) -> list[dict]:
    """Names, themes, agencies and follow-up for one page of items: a handful of queries."""
    if not rows:
        return []
    parts = {p.id: p for p in s.exec(select(Partnership).where(Partnership.id.in_({r.partnership_id for r in rows})))}
    review_ids = {r.review_id for r in rows if r.review_id}
    reviews = {i: (ref, tname) for i, ref, tname in s.exec(
        select(Review.id, Review.reference, ReviewType.name).join(ReviewType, ReviewType.id == Review.review_type_id)
        .where(Review.id.in_(review_ids)))} if review_ids else {}
    keys = {(r.tag_entity, r.tag_id) for r in rows}
    themes: dict[tuple[str, int], list[str]] = {}
    for entity in ("finding", "recommendation"):
        ids = [i for e, i in keys if e == entity]
        if ids:
            for e, i, name in s.exec(select(ThemeTag.entity, ThemeTag.entity_id, Theme.name)
                                     .join(Theme, Theme.id == ThemeTag.theme_id)
                                     .where(ThemeTag.entity == entity, ThemeTag.entity_id.in_(ids))
                                     .order_by(Theme.name)):
                themes.setdefault((e, i), []).append(name)
    rec_ids = [i for e, i in keys if e == "recommendation"]
    targets: dict[int, list[str]] = {}
    acts: dict[int, list[str]] = {}
    if rec_ids:
        for rid, name in s.exec(select(RecommendationAgency.recommendation_id, Agency.name)
                                .join(Agency, Agency.id == RecommendationAgency.agency_id)
                                .where(RecommendationAgency.recommendation_id.in_(rec_ids)).order_by(Agency.name)):
            targets.setdefault(rid, []).append(name)
        for rid, status in s.exec(select(Action.recommendation_id, Action.status)
                                  .where(Action.recommendation_id.in_(rec_ids))):
            acts.setdefault(rid, []).append(status)
    finding_ids = [r.id for r in rows if r.kind == "finding"]
    recs_per_finding = dict(s.exec(select(Recommendation.finding_id, func.count()).where(
        Recommendation.finding_id.in_(finding_ids)).group_by(Recommendation.finding_id)).all()) if finding_ids else {}
    action_ids = [r.id for r in rows if r.kind == "action"]
    action_info = {a.id: (a, name) for a, name in s.exec(
        select(Action, Agency.name).join(Agency, Agency.id == Action.owner_agency_id)
        .where(Action.id.in_(action_ids)))} if action_ids else {}
    out = []
    for r in rows:
        ref, tname = reviews.get(r.review_id, (None, None))
        source = ref or r.source_title or SOURCE_KINDS.get(r.source_kind, r.source_kind)
        agencies_ = targets.get(r.tag_id, []) if r.tag_entity == "recommendation" else []
        if r.kind == "finding":
            n = recs_per_finding.get(r.id, 0)
            follow = f"{n} recommendation{'s' if n != 1 else ''}"
        elif r.kind == "recommendation":
            statuses = acts.get(r.id, [])
            closed = sum(st == "closed" for st in statuses)
            follow = (f"{closed} of {len(statuses)} action{'s' if len(statuses) != 1 else ''} closed with "
                      "evidence of impact") if statuses else "No actions yet"
        else:
            a, owner_agency = action_info[r.id]
            agencies_ = [owner_agency]
            follow = (f"Closed {a.closed_on:%d %b %Y}: {a.evidence_of_impact}" if a.status == "closed" and a.closed_on
                      else f"{ACTION_STATUS.get(a.status, a.status)}; due {a.due_on:%d %b %Y}; {a.owner_name}")
        out.append({
            "kind": r.kind, "id": r.id, "partnership": parts[r.partnership_id].code,
            "partnership_name": parts[r.partnership_id].name, "year": r.recorded_on.year,
            "recorded_on": r.recorded_on, "source": source,
            "review_type": tname or SOURCE_KINDS.get(r.source_kind, r.source_kind),
            "themes": ", ".join(themes.get((r.tag_entity, r.tag_id), [])), "agencies": ", ".join(agencies_),
            "text": r.text, "follow_up": follow,
        })
    return out


def learning_list(actor: Actor, f: LearningFilter, theme: str | None = None, query: str = "",
                  include_actions: bool = False, limit: int = 50, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """One page of findings and recommendations (and actions, if asked) for the filters, the theme
    and the search text, newest first (best match first when searching), and the total."""
    pids = _scope(actor, f.partnership_ids)
    if not pids:
        return pd.DataFrame(columns=LIST_COLUMNS), 0
    kinds = ("finding", "recommendation", "action") if include_actions else ("finding", "recommendation")
    with read_session() as s:
        rows, total = _page(s, pids, f, theme, query, kinds, limit, offset)
        records = _describe(s, rows)
    return pd.DataFrame(records, columns=LIST_COLUMNS), total


def search(actor: Actor, query: str, partnership_ids: list[int] | None = None, limit: int = 50,
           offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Full-text search across findings, recommendations and actions, best match first. Any text
    is accepted: FTS syntax in it is searched as words. No words, no results."""
    if not rules.search_terms(query):
        return pd.DataFrame(columns=LIST_COLUMNS), 0
    return learning_list(actor, LearningFilter(partnership_ids=partnership_ids), query=query,
                         include_actions=True, limit=limit, offset=offset)


def regional_learning(actor: Actor, year_from: int | None = None, year_to: int | None = None,
                      theme: str | None = None, query: str = "", level: str = "theme", limit: int = 100,
                      offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Shared learning: the findings and recommendations of every partnership, anonymised
    (REGIONAL_COLUMNS only), for users with the regional permission."""
    if not actor.is_regional:
        raise PermissionDenied("Only regional users can see learning across partnerships.")
    f = LearningFilter(year_from=year_from, year_to=year_to, level=level)
    with read_session() as s:
        pids = list(s.exec(select(Partnership.id)))
        rows, total = _page(s, pids, f, theme, query, ("finding", "recommendation"), limit, offset)
        records = _describe(s, rows)
    out = [{"partnership": r["partnership_name"], "year": r["year"], "review_type": r["review_type"],
            "kind": r["kind"], "themes": r["themes"], "text": r["text"]} for r in records]
    return pd.DataFrame(out, columns=REGIONAL_COLUMNS), total


def regional_theme_counts(actor: Actor, year_from: int | None = None, year_to: int | None = None,
                          level: str = "theme") -> pd.DataFrame:
    """Learning items per partnership and theme, across every partnership (regional users)."""
    if not actor.is_regional:
        raise PermissionDenied("Only regional users can see learning across partnerships.")
    f = LearningFilter(year_from=year_from, year_to=year_to, level=level)
    items = _items()
    stmt, label = _tagged(select().select_from(items), items, level)
    with read_session() as s:
        pids = list(s.exec(select(Partnership.id)))
        if not pids:
            return _frame([], REGIONAL_COUNT_COLUMNS)
        stmt = (stmt.add_columns(Partnership.name, label, _n_findings(items) + _n_recs(items))
                .join(Partnership, Partnership.id == items.c.partnership_id)
                .where(*_conds(items, pids, f)).group_by(Partnership.name, label).order_by(Partnership.name, label))
        return _frame([(p, t, int(n)) for p, t, n in s.exec(stmt).all()], REGIONAL_COUNT_COLUMNS)


def recommendation_detail(actor: Actor, recommendation_id: int) -> RecommendationDetail:
    """One recommendation with its finding, themes, target agencies and actions."""
    with read_session() as s:
        rec = s.get(Recommendation, recommendation_id) if isinstance(recommendation_id, int) else None
        if rec is None or not actor.can("learning.read", rec.partnership_id):
            raise NotFound("No recommendation with that number is open to you.")
        finding = s.get(Finding, rec.finding_id) if rec.finding_id else None
        review_id = rec.review_id or (finding.review_id if finding else None)
        review = s.get(Review, review_id) if review_id else None
        code = s.get(Partnership, rec.partnership_id).code
        themes = list(s.exec(select(Theme.name).join(ThemeTag, ThemeTag.theme_id == Theme.id)
                             .where(ThemeTag.entity == "recommendation", ThemeTag.entity_id == rec.id)
                             .order_by(Theme.name)))
        targets = list(s.exec(select(Agency.name).join(RecommendationAgency, RecommendationAgency.agency_id == Agency.id)
                              .where(RecommendationAgency.recommendation_id == rec.id).order_by(Agency.name)))
        actions = [{"id": a.id, "action": a.text, "owner_agency": name, "owner": a.owner_name, "due": a.due_on,
                    "status": ACTION_STATUS.get(a.status, a.status), "evidence_of_impact": a.evidence_of_impact or ""}
                   for a, name in s.exec(select(Action, Agency.name).join(Agency, Agency.id == Action.owner_agency_id)
                                         .where(Action.recommendation_id == rec.id).order_by(Action.due_on, Action.id))]
    source = review.reference if review else (finding.source_title if finding and finding.source_title else
                                              SOURCE_KINDS.get(finding.source_kind if finding else "review"))
    return RecommendationDetail(id=rec.id, partnership=code, text=rec.text, recorded_on=rec.recorded_on,
                                source=source, finding=finding.text if finding else None, themes=themes,
                                agencies=targets, actions=actions,
                                can_edit=actor.can("learning.edit", rec.partnership_id))


# -- writing findings and recommendations --------------------------------------------------------

def _text_problem(value: str | None, what: str) -> str | None:
    t = (value or "").strip()
    if len(t) < TEXT_MIN:
        return f"Write the {what} in a sentence or more (at least {TEXT_MIN} characters)."
    if len(t) > TEXT_MAX:
        return f"Keep the {what} to {TEXT_MAX} characters."
    return None


def _date_problem(value, today: date) -> str | None:
    if not isinstance(value, date):
        return "Enter the date it was recorded."
    if value > today:
        return "The date cannot be in the future."
    if value.year < 2000:
        return "Enter a date from 2000 onwards."
    return None


def _review(s: Session, actor: Actor, reference: str) -> Review:
    rv = s.exec(select(Review).where(Review.reference == (reference or "").strip().upper())).first()
    if rv is None or not actor.can("learning.read", rv.partnership_id):
        raise NotFound("No review with that reference is open to you.")
    return rv


def add_finding(actor: Actor, text: str, recorded_on: date, *, review_reference: str | None = None,
                partnership_id: int | None = None, source_kind: str | None = None,
                source_title: str | None = None, theme_ids=(), today: date | None = None) -> int:
    """A finding of a review (give `review_reference`) or of another learning source (give the
    partnership, `source_kind` and `source_title`), with its themes; returns its id."""
    today = today or date.today()
    errors: dict[str, str] = {}
    if p := _text_problem(text, "finding"):
        errors["text"] = p
    if p := _date_problem(recorded_on, today):
        errors["recorded_on"] = p
    title = (source_title or "").strip() or None
    if not review_reference:
        if source_kind not in SOURCE_KINDS or source_kind == "review":
            errors["source_kind"] = "Choose the review, or another learning source: " + ", ".join(
                v.lower() for k, v in SOURCE_KINDS.items() if k != "review") + "."
        if not title:
            errors["source_title"] = "Name the learning source (for example, the audit and its date)."
        if not partnership_id:
            errors["partnership_id"] = "Choose the partnership."
    if title and len(title) > TITLE_MAX:
        errors["source_title"] = f"Keep the title to {TITLE_MAX} characters."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        review_id = None
        if review_reference:
            rv = _review(s, actor, review_reference)
            partnership_id, review_id, source_kind = rv.partnership_id, rv.id, "review"
        elif not actor.can("learning.read", partnership_id):
            raise NotFound("No partnership with that number is open to you.")
        actor.require("learning.edit", partnership_id)
        fi = Finding(partnership_id=partnership_id, review_id=review_id, source_kind=source_kind,
                     source_title=title, recorded_on=recorded_on, text=text.strip())
        s.add(fi)
        s.flush()
        added, _ = write_tags(s, actor, "finding", fi.id, partnership_id, theme_ids)
        audit.record(s, actor, "finding_add", "finding", fi.id, partnership_id,
                     after={"review_id": review_id, "source_kind": source_kind, "source_title": title,
                            "recorded_on": recorded_on, "text": fi.text, "themes": added})
        return fi.id


def edit_finding(actor: Actor, finding_id: int, *, text: str | None = None, recorded_on: date | None = None,
                 source_title: str | None = None, theme_ids=None, today: date | None = None) -> None:
    """Change a finding's text, date, source title or themes (only what is given)."""
    today = today or date.today()
    errors: dict[str, str] = {}
    if text is not None and (p := _text_problem(text, "finding")):
        errors["text"] = p
    if recorded_on is not None and (p := _date_problem(recorded_on, today)):
        errors["recorded_on"] = p
    if source_title is not None and len(source_title.strip()) > TITLE_MAX:
        errors["source_title"] = f"Keep the title to {TITLE_MAX} characters."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        fi = s.get(Finding, finding_id) if isinstance(finding_id, int) else None
        if fi is None or not actor.can("learning.read", fi.partnership_id):
            raise NotFound("No finding with that number is open to you.")
        actor.require("learning.edit", fi.partnership_id)
        if source_title is not None and fi.source_kind != "review" and not source_title.strip():
            raise ValidationFailed({"source_title": "Name the learning source."})
        before = {"text": fi.text, "recorded_on": fi.recorded_on, "source_title": fi.source_title}
        if text is not None:
            fi.text = text.strip()
        if recorded_on is not None:
            fi.recorded_on = recorded_on
        if source_title is not None:
            fi.source_title = source_title.strip() or None
        after = {"text": fi.text, "recorded_on": fi.recorded_on, "source_title": fi.source_title}
        if before != after:
            s.add(fi)
            b, a = audit.changed(before, after)
            audit.record(s, actor, "finding_edit", "finding", fi.id, fi.partnership_id, before=b, after=a)
        if theme_ids is not None:
            write_tags(s, actor, "finding", fi.id, fi.partnership_id, theme_ids)


def _agencies_problem(s: Session, agency_ids) -> str | None:
    ids = sorted({int(a) for a in agency_ids or ()})
    if not ids:
        return "Choose at least one agency the recommendation is for."
    found = set(s.exec(select(Agency.id).where(Agency.id.in_(ids))))
    if found != set(ids):
        return "Choose the agencies from the list."
    return None


def _write_agencies(s: Session, rec_id: int, agency_ids) -> tuple[list[int], list[int]]:
    wanted = {int(a) for a in agency_ids}
    current = {ra.agency_id: ra for ra in s.exec(select(RecommendationAgency)
                                                 .where(RecommendationAgency.recommendation_id == rec_id))}
    for a in sorted(wanted - set(current)):
        s.add(RecommendationAgency(recommendation_id=rec_id, agency_id=a))
    for a in sorted(set(current) - wanted):
        s.delete(current[a])
    return sorted(wanted - set(current)), sorted(set(current) - wanted)


def add_recommendation(actor: Actor, text: str, recorded_on: date, agency_ids, *, finding_id: int | None = None,
                       review_reference: str | None = None, theme_ids=None, today: date | None = None) -> int:
    """A recommendation answering a finding (or made by a review directly), for one or more
    target agencies. Without `theme_ids` it takes its finding's themes. Returns its id."""
    today = today or date.today()
    errors: dict[str, str] = {}
    if p := _text_problem(text, "recommendation"):
        errors["text"] = p
    if p := _date_problem(recorded_on, today):
        errors["recorded_on"] = p
    if not finding_id and not review_reference:
        errors["finding_id"] = "Say which finding (or review) the recommendation answers."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        if finding_id:
            fi = s.get(Finding, finding_id) if isinstance(finding_id, int) else None
            if fi is None or not actor.can("learning.read", fi.partnership_id):
                raise NotFound("No finding with that number is open to you.")
            pid, review_id = fi.partnership_id, fi.review_id
            if review_reference:
                rv = _review(s, actor, review_reference)
                if rv.id != fi.review_id:
                    raise ValidationFailed({"review": "The finding belongs to another review."})
        else:
            rv = _review(s, actor, review_reference)
            pid, review_id = rv.partnership_id, rv.id
        actor.require("learning.edit", pid)
        if p := _agencies_problem(s, agency_ids):
            raise ValidationFailed({"agency_ids": p})
        if theme_ids is None:
            theme_ids = list(s.exec(select(ThemeTag.theme_id).where(ThemeTag.entity == "finding",
                                                                    ThemeTag.entity_id == finding_id))) \
                if finding_id else []
        rec = Recommendation(partnership_id=pid, finding_id=finding_id or None, review_id=review_id,
                             text=text.strip(), recorded_on=recorded_on)
        s.add(rec)
        s.flush()
        added_agencies, _ = _write_agencies(s, rec.id, agency_ids)
        added, _ = write_tags(s, actor, "recommendation", rec.id, pid, theme_ids)
        audit.record(s, actor, "recommendation_add", "recommendation", rec.id, pid,
                     after={"finding_id": rec.finding_id, "review_id": review_id, "recorded_on": recorded_on,
                            "text": rec.text, "agency_ids": added_agencies, "themes": added})
        return rec.id


def edit_recommendation(actor: Actor, recommendation_id: int, *, text: str | None = None,
                        recorded_on: date | None = None, agency_ids=None, theme_ids=None,
                        today: date | None = None) -> None:
    """Change a recommendation's text, date, target agencies or themes (only what is given)."""
    today = today or date.today()
    errors: dict[str, str] = {}
    if text is not None and (p := _text_problem(text, "recommendation")):
        errors["text"] = p
    if recorded_on is not None and (p := _date_problem(recorded_on, today)):
        errors["recorded_on"] = p
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rec = s.get(Recommendation, recommendation_id) if isinstance(recommendation_id, int) else None
        if rec is None or not actor.can("learning.read", rec.partnership_id):
            raise NotFound("No recommendation with that number is open to you.")
        actor.require("learning.edit", rec.partnership_id)
        before = {"text": rec.text, "recorded_on": rec.recorded_on}
        if text is not None:
            rec.text = text.strip()
        if recorded_on is not None:
            rec.recorded_on = recorded_on
        after = {"text": rec.text, "recorded_on": rec.recorded_on}
        if agency_ids is not None:
            if p := _agencies_problem(s, agency_ids):
                raise ValidationFailed({"agency_ids": p})
            added, removed = _write_agencies(s, rec.id, agency_ids)
            if added or removed:
                before["agencies_removed"], after["agencies_added"] = removed, added
        if before != after:
            s.add(rec)
            b, a = audit.changed(before, after)
            audit.record(s, actor, "recommendation_edit", "recommendation", rec.id, rec.partnership_id,
                         before=b, after=a)
        if theme_ids is not None:
            write_tags(s, actor, "recommendation", rec.id, rec.partnership_id, theme_ids)
