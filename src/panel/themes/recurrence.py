"""Recurring themes (SI 2018/789 reg.11): a theme in 3 or more of a partnership's reviews and other
learning sources together (docs/domain.md §7.1) in the last 3 years, flagged on the
screening page of a referral that carries it. The window and the threshold are rules in
panel.themes; this module gathers the facts from the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Integer, String, and_, case, cast, func, null, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from panel.core import clock
from panel.core.access import Actor
from panel.core.db import read_session
from panel.core.errors import NotFound
from panel.learning.source_rules import SOURCE_KINDS
from panel.models import (
    Finding,
    LearningSource,
    Recommendation,
    Referral,
    Review,
    Theme,
    ThemeTag,
)
from panel.themes import rules


@dataclass(frozen=True)
class RecurringTheme:
    theme_id: int
    name: str
    reviews: int  # distinct reviews in the window
    references: tuple[str, ...]  # those reviews' references and the sources' titles, newest first
    window_from: date
    as_of: date
    sources: int = 0  # distinct other learning sources in the window (docs/domain.md §7.1)

    @property
    def total(self) -> int:
        """Reviews and other learning sources together: what the recurring rule counts."""
        return self.reviews + self.sources

    @property
    def message(self) -> str:
        counted = [f"{n} {word}{'' if n == 1 else 's'}" for n, word in
                   ((self.reviews, "review"), (self.sources, "other learning source")) if n]
        return (f"Recurring theme: {self.name}, in {' and '.join(counted)} since "
                f"{clock.day(self.window_from)} ({', '.join(self.references[:5])}"
                f"{'…' if len(self.references) > 5 else ''}).")


def _null(type_):
    return cast(null(), type_)


def _theme_sources(s: Session, partnership_id: int, start: date, as_of: date) -> list[tuple[int, tuple, date]]:
    """(theme id, where, latest date) for every theme recorded in the partnership's learning
    within the window. Where is a review, ("review", id): the theme on the review (its start) or
    on its findings or recommendations (the day they were recorded); or another learning source,
    ("source", id): on its findings or recommendations. A finding older than learning sources that
    names its source by kind and title only counts that pair as one source, ("named", kind,
    title), as migration 0016 made them. Aggregated in SQL: one row per theme and place."""
    rf = aliased(Finding)
    live = Review.status != "superseded"
    on_review = (select(ThemeTag.theme_id, Review.id.label("review_id"), _null(Integer).label("source_id"),
                        _null(String).label("named_kind"), _null(String).label("named_title"),
                        Review.started_on.label("day"))
                 .join(Review, and_(ThemeTag.entity == "review", ThemeTag.entity_id == Review.id))
                 .where(Review.partnership_id == partnership_id, live))

    def arm(entity, model, review_id, source_id, named, via=None):
        """Findings or recommendations: of a live review, of a source, or of a named source
        (`named`: the finding naming it; `via`: that finding's join, for a recommendation)."""
        unsourced = and_(review_id.is_(None), source_id.is_(None), named.source_kind != "review")
        stmt = (select(ThemeTag.theme_id, review_id, source_id, case((unsourced, named.source_kind)),
                       case((unsourced, named.source_title)), model.recorded_on)
                .join(model, and_(ThemeTag.entity == entity, ThemeTag.entity_id == model.id)))
        if via is not None:
            stmt = stmt.outerjoin(named, via)
        return (stmt.outerjoin(Review, Review.id == review_id)
                .where(model.partnership_id == partnership_id,
                       or_(live, and_(review_id.is_(None), or_(source_id.is_not(None), unsourced)))))

    on_finding = arm("finding", Finding, Finding.review_id, Finding.source_id, Finding)
    on_rec = arm("recommendation", Recommendation, func.coalesce(Recommendation.review_id, rf.review_id),
                 func.coalesce(Recommendation.source_id, rf.source_id), rf, rf.id == Recommendation.finding_id)
    u = on_review.union_all(on_finding, on_rec).subquery()
    keys = (u.c.theme_id, u.c.review_id, u.c.source_id, u.c.named_kind, u.c.named_title)
    rows = s.exec(select(*keys, func.max(u.c.day)).where(u.c.day >= start, u.c.day <= as_of).group_by(*keys)).all()
    out = []
    for theme, review_id, source_id, kind, title, day in rows:
        event = (("review", review_id) if review_id is not None else ("source", source_id) if source_id is not None
                 else ("named", kind, title))
        out.append((theme, event, day))
    return out


def _names(s: Session, events: set[tuple]) -> dict[tuple, str]:
    """How each event is cited: a review by its reference, a source by its title."""
    review_ids = sorted(e[1] for e in events if e[0] == "review")
    source_ids = sorted(e[1] for e in events if e[0] == "source")
    out: dict[tuple, str] = {e: e[2] or SOURCE_KINDS.get(e[1], e[1]) for e in events if e[0] == "named"}
    if review_ids:
        out.update({("review", i): ref for i, ref in s.exec(select(Review.id, Review.reference)
                                                           .where(Review.id.in_(review_ids)))})
    if source_ids:
        out.update({("source", i): t for i, t in s.exec(select(LearningSource.id, LearningSource.title)
                                                       .where(LearningSource.id.in_(source_ids)))})
    return out


def _recurring(s: Session, partnership_id: int, as_of: date) -> list[RecurringTheme]:
    start = rules.window_start(as_of)
    rows = _theme_sources(s, partnership_id, start, as_of)
    hits = rules.recurring(rows, as_of)
    if not hits:
        return []
    names = _names(s, {e for t, e, _ in rows if t in hits})
    themes = dict(s.exec(select(Theme.id, Theme.name).where(Theme.id.in_(sorted(hits)))).all())
    out = []
    for theme_id in hits:
        mine = sorted(((d, names[e], e[0] == "review") for t, e, d in rows if t == theme_id), reverse=True)
        reviews = sum(is_review for _, _, is_review in mine)
        out.append(RecurringTheme(theme_id=theme_id, name=themes[theme_id], reviews=reviews,
                                  sources=len(mine) - reviews, references=tuple(ref for _, ref, _ in mine),
                                  window_from=start, as_of=as_of))
    return sorted(out, key=lambda x: (-x.total, x.name))


def recurring_themes(actor: Actor, partnership_id: int, as_of: date) -> list[RecurringTheme]:
    """Themes in 3 or more of the partnership's reviews and other learning sources in the 3 years
    to `as_of` (inclusive)."""
    if not (actor.can("learning.read", partnership_id) or actor.can("referral.read", partnership_id)):
        raise NotFound("No partnership with that number is open to you.")
    with read_session() as s:
        return _recurring(s, partnership_id, as_of)


def referral_recurring_themes(actor: Actor, referral_reference: str, as_of: date) -> list[RecurringTheme]:
    """The referral's themes that are recurring in its partnership: what the screening page shows,
    because the reg.11 considerations ask whether the case highlights recurrent themes."""
    with read_session() as s:
        r = s.exec(select(Referral).where(Referral.reference == (referral_reference or "").strip().upper())).first()
        if r is None or not actor.can("referral.read", r.partnership_id):
            raise NotFound("No referral with that reference is open to you.")
        mine = set(s.exec(select(ThemeTag.theme_id).where(ThemeTag.entity == "referral",
                                                          ThemeTag.entity_id == r.id)))
        if not mine:
            return []
        return [t for t in _recurring(s, r.partnership_id, as_of) if t.theme_id in mine]
