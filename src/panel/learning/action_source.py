"""Where an action came from, for every list that names one: a review's recommendation (or another
learning source's finding), or the panel meeting that agreed it (docs/domain.md §6.3).

One select for the register, the reminders and anything else that lists actions, joined outward
throughout: an action agreed at a meeting has no recommendation, and an older meeting action may
name no agency, yet both must still be listed."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from panel.core.clock import day
from panel.models import (
    Action,
    Agency,
    AgendaItem,
    Finding,
    Meeting,
    Partnership,
    Recommendation,
    Review,
)

AGENCY_NOT_RECORDED = "Agency not recorded"
MEETING_GONE = "Agreed at a meeting whose record has since been deleted"


def with_source():
    """Rows of (Action, partnership code, owner agency's name or None, recommendation text or None,
    review reference or None, Finding or None, meeting id or None, meeting date or None)."""
    return (select(Action, Partnership.code, Agency.name, Recommendation.text, Review.reference, Finding,
                   Meeting.id, Meeting.held_on)
            .join(Partnership, Partnership.id == Action.partnership_id)
            .outerjoin(Agency, Agency.id == Action.owner_agency_id)
            .outerjoin(Recommendation, Recommendation.id == Action.recommendation_id)
            .outerjoin(Review, Review.id == Recommendation.review_id)
            .outerjoin(Finding, Finding.id == Recommendation.finding_id)
            .outerjoin(AgendaItem, AgendaItem.id == Action.meeting_item_id)
            .outerjoin(Meeting, Meeting.id == AgendaItem.meeting_id))


def agreed_at(held_on: date) -> str:
    return f"Agreed at the meeting of {day(held_on)}"


def source(review_ref: str | None, finding: Finding | None, held_on: date | None,
           from_recommendation: bool = True) -> str:
    """The review reference, the other learning source's title, or the meeting that agreed it.
    An action with neither recommendation nor meeting was agreed at a meeting whose record the
    retention policy deleted (docs/retention.md)."""
    if review_ref:
        return review_ref
    if finding is not None:
        return finding.source_title or finding.source_kind.replace("_", " ").capitalize()
    if held_on is not None:
        return agreed_at(held_on)
    return "-" if from_recommendation else MEETING_GONE


def agency(name: str | None) -> str:
    return name or AGENCY_NOT_RECORDED
