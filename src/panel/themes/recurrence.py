"""Recurring themes (SI 2018/789 reg.11): a theme in 3 or more of a partnership's reviews in the
last 3 years, flagged on the screening page of a referral that carries it. The window and the
threshold are rules in panel.themes; this module gathers the facts from the record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, func
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from panel.core.access import Actor
from panel.core.db import read_session
from panel.core.errors import NotFound
from panel.models import (
    Finding,
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
    references: tuple[str, ...]  # those reviews' references, newest first
    window_from: date
    as_of: date

    @property
    def message(self) -> str:
        return (f"Recurring theme: {self.name}, in {self.reviews} reviews since "
                f"{self.window_from:%d %b %Y} ({', '.join(self.references[:5])}"
                f"{'…' if len(self.references) > 5 else ''}).")


def _theme_reviews(s: Session, partnership_id: int, start: date, as_of: date) -> list[tuple[int, int, date]]:
    """(theme id, review id, latest date) for every theme recorded in a review of the partnership
    within the window: on the review (its start), or on its findings or recommendations (the day
    they were recorded). Aggregated in SQL: one row per theme and review."""
    rf = aliased(Finding)
    live = Review.status != "superseded"
    on_review = (select(ThemeTag.theme_id, Review.id.label("review_id"), Review.started_on.label("day"))
                 .join(Review, and_(ThemeTag.entity == "review", ThemeTag.entity_id == Review.id))
                 .where(Review.partnership_id == partnership_id, live))
    on_finding = (select(ThemeTag.theme_id, Finding.review_id.label("review_id"), Finding.recorded_on.label("day"))
                  .join(Finding, and_(ThemeTag.entity == "finding", ThemeTag.entity_id == Finding.id))
                  .join(Review, Review.id == Finding.review_id)
                  .where(Finding.partnership_id == partnership_id, live))
    rec_review = func.coalesce(Recommendation.review_id, rf.review_id)
    on_rec = (select(ThemeTag.theme_id, rec_review.label("review_id"), Recommendation.recorded_on.label("day"))
              .join(Recommendation, and_(ThemeTag.entity == "recommendation",
                                         ThemeTag.entity_id == Recommendation.id))
              .outerjoin(rf, rf.id == Recommendation.finding_id)
              .join(Review, Review.id == rec_review)
              .where(Recommendation.partnership_id == partnership_id, live))
    u = on_review.union_all(on_finding, on_rec).subquery()
    rows = s.exec(select(u.c.theme_id, u.c.review_id, func.max(u.c.day))
                  .where(u.c.day >= start, u.c.day <= as_of, u.c.review_id.is_not(None))
                  .group_by(u.c.theme_id, u.c.review_id)).all()
    return [(t, r, d) for t, r, d in rows]


def _recurring(s: Session, partnership_id: int, as_of: date) -> list[RecurringTheme]:
    start = rules.window_start(as_of)
    rows = _theme_reviews(s, partnership_id, start, as_of)
    hits = rules.recurring(rows, as_of)
    if not hits:
        return []
    review_ids = sorted({r for t, r, _ in rows if t in hits})
    refs = dict(s.exec(select(Review.id, Review.reference).where(Review.id.in_(review_ids))).all())
    names = dict(s.exec(select(Theme.id, Theme.name).where(Theme.id.in_(sorted(hits)))).all())
    out = []
    for theme_id in hits:
        mine = sorted(((d, refs[r]) for t, r, d in rows if t == theme_id), reverse=True)
        out.append(RecurringTheme(theme_id=theme_id, name=names[theme_id], reviews=len(mine),
                                  references=tuple(ref for _, ref in mine), window_from=start, as_of=as_of))
    return sorted(out, key=lambda x: (-x.reviews, x.name))


def recurring_themes(actor: Actor, partnership_id: int, as_of: date) -> list[RecurringTheme]:
    """Themes in 3 or more of the partnership's reviews in the 3 years to `as_of` (inclusive)."""
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
