"""Whether a finding's or recommendation's text names a detail of its review's case: the
anonymisation check of the briefings (docs/domain.md §8), run on learning before it crosses
partnerships (regional learning withholds it) and on the review's page (a flag to reword it).

Only rows being shown are checked: one batched read of their reviews' identifiers."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, select

from panel.core import anonymise
from panel.core.anonymise import Identifiers
from panel.learning.briefings import identifiers_of
from panel.models import Referral, Review, User

WITHHELD = "withheld: names a case detail"
FLAG = ("This text names a detail of the case (initials, date): it will not be shared regionally "
        "until reworded")


def identifiers_by_review(s: Session, review_ids: Iterable[int | None]) -> dict[int, Identifiers]:
    """Each review's identifiers, as the briefing check reads them (case_identifiers), in one query."""
    ids = {i for i in review_ids if i}
    if not ids:
        return {}
    rows = s.exec(select(Review.id, Referral, User.name).join(Referral, Referral.id == Review.referral_id)
                  .outerjoin(User, User.id == Referral.submitted_by_id).where(Review.id.in_(ids)))
    return {rid: identifiers_of(ref, submitter) for rid, ref, submitter in rows}


def names_case_detail(text: str | None, identifiers: Identifiers | None) -> bool:
    """True when the check finds the case's initials, date of birth or a recorded name."""
    return identifiers is not None and bool(anonymise.check(text or "", identifiers))
