"""What findings and recommendations belong to, and the checks that adding and editing them share
(docs/domain.md §7.1).

Learning belongs to a review or to another learning source (a case file audit, child death review
learning, an inspection...): its "owner". Findings and recommendations of one owner link only to
each other. Older findings named their source by kind and title only; the migration gave each a
learning source, so a row with neither a review nor a source is legacy and is its own owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from panel.core import clock
from panel.core.access import Actor
from panel.core.errors import NotFound, StaleEdit
from panel.core.validation import not_after_today
from panel.models import Agency, Finding, LearningSource, Recommendation, Review

TEXT_MIN, TEXT_MAX = 10, 5000
TITLE_MAX = 200
NO_REVIEW = "No review with that reference is open to you."
NO_SOURCE = "No learning source with that number is open to you."


@dataclass(frozen=True)
class Owner:
    partnership_id: int
    review_id: int | None
    source_id: int | None
    kind: str  # "review", or the learning source's kind
    title: str | None  # the learning source's title (None for a review)
    label: str  # the review's reference or the source's title

    @property
    def key(self) -> tuple:
        """Equal for two rows of the same review or source."""
        if self.review_id:
            return ("review", self.review_id)
        if self.source_id:
            return ("source", self.source_id)
        return ("named", self.partnership_id, self.kind, self.title)


def owner_problem(review_reference: str | None, source_id: int | None) -> dict[str, str]:
    """Exactly one owner must be named; checked before any transaction starts."""
    if bool((review_reference or "").strip()) == bool(source_id):
        return {"owner": "Say which review or which learning source this learning comes from (one of them)."}
    return {}


def resolve(s: Session, actor: Actor, review_reference: str | None, source_id: int | None) -> Owner:
    """The review (by reference) or learning source (by id) the actor may read; NotFound
    otherwise, also for another partnership's, so its existence is not disclosed."""
    if (review_reference or "").strip():
        rv = s.exec(select(Review).where(Review.reference == review_reference.strip().upper())).first()
        if rv is None or not actor.can("learning.read", rv.partnership_id):
            raise NotFound(NO_REVIEW)
        return Owner(rv.partnership_id, rv.id, None, "review", None, rv.reference)
    src = s.get(LearningSource, source_id) if isinstance(source_id, int) else None
    if src is None or not actor.can("learning.read", src.partnership_id):
        raise NotFound(NO_SOURCE)
    return Owner(src.partnership_id, None, src.id, src.kind, src.title, src.title)


def owner_of(s: Session, row: Finding | Recommendation) -> Owner:
    """The owner of a finding or recommendation already stored (the caller has checked access)."""
    if row.review_id:
        return Owner(row.partnership_id, row.review_id, None, "review", None, s.get(Review, row.review_id).reference)
    if row.source_id:
        src = s.get(LearningSource, row.source_id)
        return Owner(row.partnership_id, None, src.id, src.kind, src.title, src.title)
    finding = row if isinstance(row, Finding) else s.get(Finding, row.finding_id) if row.finding_id else None
    kind = finding.source_kind if finding else "review"
    title = finding.source_title if finding else None
    return Owner(row.partnership_id, None, None, kind, title, title or kind.replace("_", " ").capitalize())


def readable(s: Session, actor: Actor, model: type[Finding | Recommendation], record_id) -> Finding | Recommendation:
    """A finding or recommendation the actor may read; NotFound otherwise, also for another
    partnership's, so its existence is not disclosed."""
    row = s.get(model, record_id) if isinstance(record_id, int) else None
    if row is None or not actor.can("learning.read", row.partnership_id):
        raise NotFound(f"No {model.__name__.lower()} with that number is open to you.")
    return row


def text_problem(value: str | None, what: str) -> str | None:
    t = (value or "").strip()
    if len(t) < TEXT_MIN:
        return f"Write the {what} in a sentence or more (at least {TEXT_MIN} characters)."
    if len(t) > TEXT_MAX:
        return f"Keep the {what} to {TEXT_MAX} characters."
    return None


def text_and_date_errors(what: str, text: str | None, recorded_on, today: date | None, *,
                         editing: bool) -> dict[str, str]:
    """The checks a finding and a recommendation share, added or edited: an edit checks only
    the text and date it changes (None leaves them as they are)."""
    errors: dict[str, str] = {}
    if (text is not None or not editing) and (p := text_problem(text, what)):
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


def ids(values) -> list[int] | None:
    """Record numbers from a form (a multiselect's list), sorted; None if any is not a number."""
    try:
        return sorted({int(v) for v in values or ()})
    except (TypeError, ValueError):
        return None


def agencies_problem(s: Session, wanted: list[int], current=(), *, required: str | None = None) -> str | None:
    """Why these agencies cannot be linked, or None: each must exist, and one newly linked must be
    active (a retired agency stays on what already names it). With `required`, the message for
    none at all."""
    if not wanted:
        return required
    found = {a.id: a for a in s.exec(select(Agency).where(Agency.id.in_(wanted)))}
    if any(a not in found or (not found[a].active and a not in set(current)) for a in wanted):
        return "Choose the agencies from the list."
    return None


def bump(s: Session, model: type[Finding | Recommendation], row_id: int, expected_version, **values) -> None:
    """Write `values` and the next version, only if nobody saved the row since the form was
    opened (two people never silently overwrite each other)."""
    done = s.execute(update(model).where(model.id == row_id, model.version == expected_version)
                     .values(**values, version=model.version + 1))
    if done.rowcount != 1:
        raise StaleEdit(model.__name__.lower())
