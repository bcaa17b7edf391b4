"""Shared learning across partnerships, for users with the regional permission.

The one exception to the "learning.read" wall, so it returns only anonymised columns
(partnership, year, review type, kind, themes, text): never a reference, a referral or anything
about the child.

A row whose text names a detail of its case is listed as WITHHELD; but a search must not return
it at all, or the match itself tells the searcher what the hidden text says (search a surname and
learn which partnership, year and review type has a case naming it). The check is Python
(panel.core.anonymise), not SQL, so a search reads its matches in ordered batches and drops the
withheld ones, scanning at most SEARCH_CAP matches so a broad search costs no more than a narrow
one; past the cap the total is what was found so far, and `capped` says so.
"""

from __future__ import annotations

from typing import NamedTuple

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
SEARCH_BATCH = 200
SEARCH_CAP = 2000
KINDS = ("finding", "recommendation")


class RegionalPage(NamedTuple):
    """One page of shared learning; `total` counts the rows a user may be shown, and `capped`
    is True when a search stopped at SEARCH_CAP matches (there may be more)."""
    frame: pd.DataFrame
    total: int
    capped: bool = False


def regional_learning(actor: Actor, year_from: int | None = None, year_to: int | None = None,
                      theme: str | None = None, query: str = "", level: str = "theme", limit: int = 100,
                      offset: int = 0) -> RegionalPage:
    """Shared learning: the findings and recommendations of every partnership, anonymised
    (REGIONAL_COLUMNS only), for users with the regional permission. Listing shows a withheld row
    as WITHHELD; searching leaves it out of the page and the total (module docstring)."""
    if not actor.is_regional:
        raise PermissionDenied("Only regional users can see learning across partnerships.")
    f = LearningFilter(year_from=year_from, year_to=year_to, level=level)
    limit, offset = max(1, int(limit)), max(0, int(offset))
    with read_session() as s:
        pids = list(s.exec(select(Partnership.id)))
        if (query or "").strip():
            rows, total, capped = _shown_matches(s, pids, f, theme, query, limit, offset)
        else:
            (rows, total), capped = item_page(s, pids, f, theme, query, KINDS, limit, offset), False
        records = describe_items(s, rows)
        # Text naming a detail of its review's case does not cross partnerships (docs/domain.md §8).
        ids = identifiers_by_review(s, (r.review_id for r in rows))
    out = [{"partnership": r["partnership_name"], "year": r["year"], "review_type": r["review_type"],
            "kind": r["kind"], "themes": r["themes"],
            "text": WITHHELD if names_case_detail(r["text"], ids.get(row.review_id)) else r["text"]}
           for row, r in zip(rows, records, strict=True)]
    return RegionalPage(pd.DataFrame(out, columns=REGIONAL_COLUMNS), total, capped)


def _shown_matches(s, pids, f, theme, query, limit, offset):
    """The page offset..offset+limit of the search's matches that are not withheld, how many
    there are, and whether SEARCH_CAP stopped the count: matches are read best first in batches
    of SEARCH_BATCH, each batch's identifiers in one query. Every match up to the cap is read, not
    only those up to the page, so the total is exact below the cap."""
    kept, scanned = [], 0
    while scanned < SEARCH_CAP:
        size = min(SEARCH_BATCH, SEARCH_CAP - scanned)
        rows, matches = item_page(s, pids, f, theme, query, KINDS, size, scanned)
        ids = identifiers_by_review(s, (r.review_id for r in rows))
        kept += [r for r in rows if not names_case_detail(r.text, ids.get(r.review_id))]
        scanned += len(rows)
        if len(rows) < size or scanned >= matches:
            return kept[offset:offset + limit], len(kept), False
    return kept[offset:offset + limit], len(kept), True


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
