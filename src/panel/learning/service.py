"""Learning records: findings and recommendations, added and edited, and one recommendation
in full (docs/domain.md §7).

Findings come from reviews and the other learning sources of docs/domain.md §7.1 (child death review
learning, inter-agency case file audits, child protection incident reviews); recommendations
answer findings and name their target agencies; actions (panel.learning.actions) carry them out.
Findings, recommendations and reviews carry several themes each (panel.themes.tags).

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

from sqlmodel import Session, select

from panel.core import audit, clock
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, ValidationFailed
from panel.core.validation import not_after_today
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
from panel.learning.regional import (
    REGIONAL_COLUMNS,
    REGIONAL_COUNT_COLUMNS,
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
from panel.themes.tags import write_tags

__all__ = [
    "SOURCE_KINDS", "KINDS", "LEVELS", "TEXT_MIN", "TEXT_MAX", "TITLE_MAX", "ACTION_STATUS",
    "YEAR_COLUMNS", "TYPE_COLUMNS", "AGENCY_COLUMNS", "PAIR_COLUMNS", "LIST_COLUMNS",
    "REGIONAL_COLUMNS", "REGIONAL_COUNT_COLUMNS", "FTS_OBJECTS", "LearningFilter", "Totals",
    "RecommendationDetail", "ITEM_COLUMNS", "theme_by_year", "theme_by_review_type",
    "theme_by_agency", "cooccurrence", "totals", "years", "search_mode",
    "learning_list", "search", "regional_learning", "regional_theme_counts",
    "recommendation_detail", "add_finding", "edit_finding", "add_recommendation",
    "edit_recommendation",
]


TEXT_MIN, TEXT_MAX = 10, 5000
TITLE_MAX = 200


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
        rec = _readable(s, actor, Recommendation, recommendation_id)
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


def _text_and_date_errors(what: str, text: str | None, recorded_on, today: date | None, *,
                          editing: bool) -> dict[str, str]:
    """The checks a finding and a recommendation share, added or edited: an edit checks only
    the text and date it changes (None leaves them as they are)."""
    errors: dict[str, str] = {}
    if (text is not None or not editing) and (p := _text_problem(text, what)):
        errors["text"] = p
    if recorded_on is None and editing:
        return errors
    if not isinstance(recorded_on, date):
        errors["recorded_on"] = "Enter the date it was recorded."
    elif future := not_after_today("recorded_on", recorded_on, today or clock.today()):
        errors.update(future)
    elif recorded_on.year < 2000:
        errors["recorded_on"] = "Enter a date from 2000 onwards."
    return errors


def _readable(s: Session, actor: Actor, model: type[Finding | Recommendation], record_id) -> Finding | Recommendation:
    """A finding or recommendation the actor may read; NotFound otherwise, also for another
    partnership's, so its existence is not disclosed."""
    row = s.get(model, record_id) if isinstance(record_id, int) else None
    if row is None or not actor.can("learning.read", row.partnership_id):
        raise NotFound(f"No {model.__name__.lower()} with that number is open to you.")
    return row


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
    errors = _text_and_date_errors("finding", text, recorded_on, today, editing=False)
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
    errors = _text_and_date_errors("finding", text, recorded_on, today, editing=True)
    if source_title is not None and len(source_title.strip()) > TITLE_MAX:
        errors["source_title"] = f"Keep the title to {TITLE_MAX} characters."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        fi = _readable(s, actor, Finding, finding_id)
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
    errors = _text_and_date_errors("recommendation", text, recorded_on, today, editing=False)
    if not finding_id and not review_reference:
        errors["finding_id"] = "Say which finding (or review) the recommendation answers."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        if finding_id:
            fi = _readable(s, actor, Finding, finding_id)
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
    errors = _text_and_date_errors("recommendation", text, recorded_on, today, editing=True)
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rec = _readable(s, actor, Recommendation, recommendation_id)
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
