"""Learning records: one recommendation in full, and the names of the rest of learning
(docs/domain.md §7).

Findings come from reviews and the other learning sources of docs/domain.md §7.1 (child death review
learning, inter-agency case file audits, child protection incident reviews); recommendations
answer findings and name their target agencies; actions (panel.learning.actions) carry them out.
Findings, recommendations and reviews carry several themes each (panel.themes.tags). Findings are
added and edited in panel.learning.findings, recommendations (and accepted) in
panel.learning.recommendations; a review's or source's learning is read whole by
panel.learning.overview.

Walls: every call is limited to the partnerships where the actor has "learning.read"; the one
exception is `regional_learning`, for users with the regional permission, which returns only
anonymised columns (partnership, year, review type, kind, themes, text): never a reference, a
referral or anything about the child.

The explorer's aggregates (panel.learning.explore), search and the list (panel.learning.search)
and shared regional learning (panel.learning.regional) live in their own modules. This module
gathers their public names with its own, so the pages and the cache read all of learning through
one import.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import select

from panel.core.access import Actor
from panel.core.db import read_session
from panel.learning.explore import (
    ACTION_STATUS,
    AGENCY_COLUMNS,
    ITEM_COLUMNS,
    KINDS,
    LEVELS,
    PAIR_COLUMNS,
    SOURCE_KINDS,
    TYPE_COLUMNS,
    YEAR_COLUMNS,
    LearningFilter,
    Totals,
    cooccurrence,
    theme_by_agency,
    theme_by_review_type,
    theme_by_year,
    totals,
    years,
)
from panel.learning.findings import NATURES, add_finding, edit_finding
from panel.learning.owner import TEXT_MAX, TEXT_MIN, TITLE_MAX, readable
from panel.learning.recommendations import (
    STATUSES,
    accept_recommendation,
    add_recommendation,
    edit_recommendation,
)
from panel.learning.regional import (
    REGIONAL_COLUMNS,
    REGIONAL_COUNT_COLUMNS,
    SEARCH_CAP,
    RegionalPage,
    regional_learning,
    regional_theme_counts,
)
from panel.learning.search import FTS_OBJECTS, LIST_COLUMNS, learning_list, search, search_mode
from panel.models import (
    Action,
    Agency,
    Finding,
    Partnership,
    Recommendation,
    RecommendationAgency,
    Review,
    Theme,
    ThemeTag,
)

__all__ = [
    "SOURCE_KINDS", "KINDS", "LEVELS", "TEXT_MIN", "TEXT_MAX", "TITLE_MAX", "ACTION_STATUS",
    "YEAR_COLUMNS", "TYPE_COLUMNS", "AGENCY_COLUMNS", "PAIR_COLUMNS", "LIST_COLUMNS",
    "REGIONAL_COLUMNS", "REGIONAL_COUNT_COLUMNS", "SEARCH_CAP", "RegionalPage", "FTS_OBJECTS", "LearningFilter", "Totals",
    "RecommendationDetail", "ITEM_COLUMNS", "theme_by_year", "theme_by_review_type",
    "theme_by_agency", "cooccurrence", "totals", "years", "search_mode",
    "learning_list", "search", "regional_learning", "regional_theme_counts",
    "recommendation_detail", "add_finding", "edit_finding", "add_recommendation",
    "edit_recommendation", "accept_recommendation", "NATURES", "STATUSES",
]


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


def recommendation_detail(actor: Actor, recommendation_id: int) -> RecommendationDetail:
    """One recommendation with its finding, themes, target agencies and actions."""
    with read_session() as s:
        rec = readable(s, actor, Recommendation, recommendation_id)
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
