"""Full-text search and the learning list (one page of items, described for display).

Search covers findings, recommendations and actions behind one call: SQLite FTS5 (tables and
triggers from migration 0005), PostgreSQL to_tsvector/plainto_tsquery, otherwise LIKE. Search
text is reduced to plain words first (panel.themes.rules.search_terms), so quotes, stars, NEAR,
brackets or colons are searched as text and never raise.
"""

from __future__ import annotations

import sqlite3

import pandas as pd
from sqlalchemy import and_, column, func, literal_column, or_, table
from sqlalchemy import text as sql_text
from sqlmodel import Session, select

from panel.core.access import Actor
from panel.core.clock import day
from panel.core.db import escape_like, read_session
from panel.learning.explore import (
    ACTION_STATUS,
    SOURCE_KINDS,
    LearningFilter,
    has_theme,
    item_conditions,
    learning_items,
)
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
from panel.themes import rules

LIST_COLUMNS = ["kind", "id", "partnership", "year", "recorded_on", "source", "review_type", "themes",
                "agencies", "text", "follow_up"]
FTS_OBJECTS = ("finding_fts", "recommendation_fts", "action_fts",
               "finding_fts_ai", "finding_fts_ad", "finding_fts_au",
               "recommendation_fts_ai", "recommendation_fts_ad", "recommendation_fts_au",
               "action_fts_ai", "action_fts_ad", "action_fts_au")


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
    return and_(*[or_(*[func.coalesce(c, "").ilike(f"%{escape_like(t)}%", escape="\\") for c in columns])
                  for t in terms])


def _match_arm(s: Session, terms: list[str]):
    """For `learning_items(match=...)`: a function restricting one kind's select to the rows matching every
    term and adding their "rank" (lower is better). The text index drives each arm: FTS5 gives
    the matching rowids, each joined to its row by primary key."""
    mode = search_mode(s)
    if mode == "fts5":
        q = rules.fts5_query(terms)

        def arm(kind, stmt, model):
            # Matches first, as a materialised CTE: left to itself, SQLite drives a one-partnership
            # query from the partnership index and re-runs the MATCH for every row (seconds).
            fts = table(f"{kind}_fts", column("rowid"))
            found = (select(fts.c.rowid.label("id"), literal_column(f"bm25({kind}_fts)").label("rank"))
                     .select_from(fts)
                     .where(sql_text(f"{kind}_fts MATCH :q_{kind}").bindparams(**{f"q_{kind}": q}))
                     .cte(f"{kind}_matches"))
            if sqlite3.sqlite_version_info >= (3, 35):
                found = found.prefix_with("MATERIALIZED")
            return stmt.add_columns(found.c.rank).join(found, found.c.id == model.id)
    elif mode == "postgresql":
        english = literal_column("'english'::regconfig")
        query = func.plainto_tsquery(english, " ".join(terms))
        space, empty = literal_column("' '"), literal_column("''")
        # The expressions of migration 0005's GIN indexes, character for character.
        docs = {"finding": Finding.text.op("||")(space).op("||")(func.coalesce(Finding.source_title, empty)),
                "recommendation": Recommendation.text,
                "action": Action.text.op("||")(space).op("||")(func.coalesce(Action.evidence_of_impact, empty))
                .op("||")(space).op("||")(Action.owner_name)}

        def arm(kind, stmt, model):
            vec = func.to_tsvector(english, docs[kind])
            return stmt.add_columns((-func.ts_rank(vec, query)).label("rank")).where(vec.op("@@")(query))
    else:
        docs = {"finding": [Finding.text, Finding.source_title], "recommendation": [Recommendation.text],
                "action": [Action.text, Action.evidence_of_impact, Action.owner_name]}

        def arm(kind, stmt, model):
            return stmt.add_columns(literal_column("0").label("rank")).where(_like_all(docs[kind], terms))
    return arm


# -- lists --------------------------------------------------------------------------------------

def item_page(s: Session, pids: list[int], f: LearningFilter, theme: str | None, query: str,
              kinds, limit: int, offset: int):
    """One page of items (rows of `learning_items`) and the total, filtered and ordered in SQL.
    Shared with regional learning, which lists the same items across partnerships."""
    searching = bool((query or "").strip())
    if searching:
        terms = rules.search_terms(query)
        if not terms:
            return [], 0
        items = learning_items(kinds, match=_match_arm(s, terms))
    else:
        items = learning_items(kinds)
    conds = item_conditions(items, pids, f)
    if theme:
        conds.append(has_theme(items, theme, f.level))
    stmt = select(*items.c).where(*conds)
    count = select(func.count()).select_from(items).where(*conds)
    order = [items.c.recorded_on.desc(), items.c.kind, items.c.id.desc()]
    if searching:
        order = [items.c.rank, *order]
    total = s.exec(count).one()
    rows = s.exec(stmt.order_by(*order).limit(max(1, int(limit))).offset(max(0, int(offset)))).all()
    return rows, int(total)


def describe_items(s: Session, rows) -> list[dict]:
    """Names, themes, agencies and follow-up for one page of items: a handful of queries.
    Shared with regional learning, which anonymises what this returns."""
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
            follow = (f"Closed {day(a.closed_on)}: {a.evidence_of_impact}" if a.status == "closed" and a.closed_on
                      else f"{ACTION_STATUS.get(a.status, a.status)}; due {day(a.due_on)}; {a.owner_name}")
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
    pids = actor.partnerships_with("learning.read", f.partnership_ids)
    if not pids:
        return pd.DataFrame(columns=LIST_COLUMNS), 0
    kinds = ("finding", "recommendation", "action") if include_actions else ("finding", "recommendation")
    with read_session() as s:
        rows, total = item_page(s, pids, f, theme, query, kinds, limit, offset)
        records = describe_items(s, rows)
    return pd.DataFrame(records, columns=LIST_COLUMNS), total


def search(actor: Actor, query: str, partnership_ids: list[int] | None = None, limit: int = 50,
           offset: int = 0) -> tuple[pd.DataFrame, int]:
    """Full-text search across findings, recommendations and actions, best match first. Any text
    is accepted: FTS syntax in it is searched as words. No words, no results."""
    if not rules.search_terms(query):
        return pd.DataFrame(columns=LIST_COLUMNS), 0
    return learning_list(actor, LearningFilter(partnership_ids=partnership_ids), query=query,
                         include_actions=True, limit=limit, offset=offset)
