"""Shared learning across partnerships, for users with the regional permission.

The one exception to the "learning.read" wall, so it returns only anonymised columns
(partnership, year, review type, kind, themes, text): never a reference, a referral or anything
about the child.
"""

from __future__ import annotations

import pandas as pd
from sqlmodel import select

from panel.core.access import Actor
from panel.core.db import read_session
from panel.core.errors import PermissionDenied
from panel.learning.case_detail import WITHHELD, identifiers_by_review, names_case_detail
from panel.learning.explore import (
    LearningFilter,
    count_findings,
    count_recommendations,
    item_conditions,
    join_themes,
    learning_items,
    rows_frame,
)
from panel.learning.search import describe_items, item_page
from panel.models import Partnership

# What a regional user sees of another partnership's learning: nothing that identifies a case.
REGIONAL_COLUMNS = ["partnership", "year", "review_type", "kind", "themes", "text"]
REGIONAL_COUNT_COLUMNS = ["partnership", "theme", "items"]


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
        rows, total = item_page(s, pids, f, theme, query, ("finding", "recommendation"), limit, offset)
        records = describe_items(s, rows)
        # Text naming a detail of its review's case does not cross partnerships (docs/domain.md §8).
        ids = identifiers_by_review(s, (r.review_id for r in rows))
    out = [{"partnership": r["partnership_name"], "year": r["year"], "review_type": r["review_type"],
            "kind": r["kind"], "themes": r["themes"],
            "text": WITHHELD if names_case_detail(r["text"], ids.get(row.review_id)) else r["text"]}
           for row, r in zip(rows, records, strict=True)]
    return pd.DataFrame(out, columns=REGIONAL_COLUMNS), total


def regional_theme_counts(actor: Actor, year_from: int | None = None, year_to: int | None = None,
                          level: str = "theme") -> pd.DataFrame:
    """Learning items per partnership and theme, across every partnership (regional users)."""
    if not actor.is_regional:
        raise PermissionDenied("Only regional users can see learning across partnerships.")
    f = LearningFilter(year_from=year_from, year_to=year_to, level=level)
    items = learning_items()
    stmt, label = join_themes(select().select_from(items), items, level)
    with read_session() as s:
        pids = list(s.exec(select(Partnership.id)))
        if not pids:
            return rows_frame([], REGIONAL_COUNT_COLUMNS)
        stmt = (stmt.add_columns(Partnership.name, label, count_findings(items) + count_recommendations(items))
                .join(Partnership, Partnership.id == items.c.partnership_id)
                .where(*item_conditions(items, pids, f)).group_by(Partnership.name, label).order_by(Partnership.name, label))
        return rows_frame([(p, t, int(n)) for p, t, n in s.exec(stmt).all()], REGIONAL_COUNT_COLUMNS)
