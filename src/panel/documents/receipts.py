"""An agency's chronology or report arriving as a document (docs/domain.md §11, §6.2).

Uploading a chronology or an agency report for an agency that was asked for one on the review
marks the request received (on the upload's date, with the document), in the upload's own
transaction. Once every agency asked for a chronology or report has sent it, the review's
"received" milestone gets its date, unless it already has one or the date would put the
review's steps out of order (then the milestone is left for the chair or manager to record).
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from panel.documents.rules import REQUEST_KINDS
from panel.models import AgencyRequest, Review, ReviewMilestone
from panel.reviews import lifecycle

# The default review types name this milestone three ways (panel.reviews.types): the SCR and
# the LCSPR "Chronologies and agency reports received", the concise types "Agency reports
# received", the Individual Agency Review "Agency report received".
RECEIVED_KEYS = ("chronologies_received", "agency_reports_received", "agency_report_received")


def mark_received(s: Session, rv: Review, agency_id: int | None, kind: str, document_id: int,
                  on: date) -> dict:
    """Inside the caller's transaction: what changed, for its audit row ({} when nothing did)."""
    from panel.reviews.record import GATES  # the review record's order of steps

    if agency_id is None or kind not in REQUEST_KINDS or rv.status != "open":
        return {}
    req = s.exec(select(AgencyRequest).where(AgencyRequest.review_id == rv.id, AgencyRequest.agency_id == agency_id,
                                             AgencyRequest.kind == kind)).first()
    if req is None or req.received_on is not None:
        return {}
    req.received_on, req.document_id = max(on, req.requested_on), document_id
    s.add(req)
    changed: dict = {"request": req.id, "received_on": req.received_on}
    asked = list(s.exec(select(AgencyRequest).where(AgencyRequest.review_id == rv.id,
                                                    AgencyRequest.kind.in_(REQUEST_KINDS))))
    if any(a.received_on is None for a in asked):
        return changed
    ms = list(s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id)
                     .order_by(ReviewMilestone.position)))
    target = next((m for m in ms if m.key in RECEIVED_KEYS), None)
    if target is None or target.actual_on is not None:
        return changed
    dates = {m.key: (on if m is target else m.actual_on) for m in ms}
    if lifecycle.check_dates_in_order(dates, [m.key for m in ms if m.key in GATES]):
        return changed
    target.actual_on = on
    s.add(target)
    # A milestone moved: a review form drawn before this upload is now out of date.
    s.execute(update(Review).where(Review.id == rv.id).values(version=Review.version + 1))
    changed[target.key] = on
    return changed
