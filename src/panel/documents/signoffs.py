"""The three safeguarding partners' sign-offs of an LCSPR's final report (docs/domain.md §11).

Each of the local authority, the police and health (Children Act 2004 s.16E) signs off the final
report uploaded in Panel; whoever holds the record (the chair or the business manager, who record
the publication) records who signed for the partner and when. The rules of a sign-off are the
drafted reports' (panel.drafting.rules.check_sign_off); what is the final report's own is here:

- the report signed is the review's final report (the newest one, should there be more than
  one), at its latest version;
- a partner signs once per version. A SignOff row says nothing of a version (one row per review,
  subject and partner), so the version a partner signed is the latest version uploaded before
  the sign-off was recorded: the recording locks the document, so an upload and a sign-off
  never interleave. A newer upload leaves the row as it is (shown as "signed version N") and the
  partner signs again; the new sign-off replaces the row, and the audit trail keeps the earlier;
- publication is not recorded until the three have signed the latest version
  (`publication_blocker`, called by panel.reviews.record).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.clock import day
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.drafting.rules import PARTNERS, check_sign_off
from panel.models import Document, DocumentVersion, Review, SignOff
from panel.reviews.service import NOT_FOUND, load_review

SUBJECT = "final_report"
NO_REPORT = "Upload the final report in the Documents section first: the partners sign off the report Panel holds."


@dataclass(frozen=True)
class PartnerSignOff:
    partner: str
    label: str
    signed_by: str | None
    signed_on: date | None
    version_no: int | None  # the version signed; None when not signed, 0 for an earlier report
    current: bool  # signed the latest version


@dataclass(frozen=True)
class FinalReportSignOffs:
    document_id: int
    title: str
    version: int  # the latest version's number (Document.version): the form's expected version
    uploaded_on: date
    partners: list[PartnerSignOff]

    @property
    def missing(self) -> list[PartnerSignOff]:
        return [p for p in self.partners if not p.current]


def _final_report(s: Session, review_id: int) -> Document | None:
    return s.exec(select(Document).where(Document.review_id == review_id, Document.kind == SUBJECT)
                  .order_by(Document.id.desc())).first()


def _uploads(s: Session, document_id: int) -> list[tuple[int, datetime]]:
    return [(v.version_no, v.uploaded_at) for v in s.exec(
        select(DocumentVersion).where(DocumentVersion.document_id == document_id)
        .order_by(DocumentVersion.version_no))]


def _version_signed(uploads: list[tuple[int, datetime]], recorded_at: datetime) -> int:
    """The latest version uploaded before the sign-off was recorded (0: none, an earlier report)."""
    return max((no for no, at in uploads if at <= recorded_at), default=0)


def _state(s: Session, rv: Review, today: date) -> tuple[FinalReportSignOffs | None, dict[str, SignOff]]:
    d = _final_report(s, rv.id)
    if d is None:
        return None, {}
    uploads = _uploads(s, d.id)
    rows = {r.partner: r for r in s.exec(select(SignOff).where(SignOff.review_id == rv.id, SignOff.subject == SUBJECT))}
    partners = []
    for key, label in PARTNERS.items():
        r = rows.get(key)
        no = _version_signed(uploads, r.recorded_at) if r else None
        partners.append(PartnerSignOff(key, label, r.signed_by if r else None, r.signed_on if r else None, no,
                                       no == d.version))
    latest_at = next(at for no, at in uploads if no == d.version)
    # A clock set to another day (a test's, a demo's) never makes today's sign-off "before" it.
    return FinalReportSignOffs(d.id, d.title, d.version, min(latest_at.date(), today), partners), rows


def _names(rows: list[PartnerSignOff]) -> str:
    names = [(p.label if i == 0 else p.label[:1].lower() + p.label[1:]) +
             (f" (signed version {p.version_no})" if p.version_no else
              " (signed an earlier report)" if p.version_no == 0 else "") for i, p in enumerate(rows)]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def publication_blocker(s: Session, rv: Review, today: date, published_on: date) -> str | None:
    """Why publication cannot be recorded on `published_on` for the partners' sign-offs, or None
    (inside the caller's session). A review with no final report in Panel is not gated here."""
    state, _ = _state(s, rv, today)
    if state is None:
        return None
    if state.missing:
        return (f"The three partners sign off version {state.version} of the final report before it is published. "
                f"Not yet signed: {_names(state.missing)}. Record each sign-off in the review's Documents section.")
    last = max(p.signed_on for p in state.partners)
    if published_on < last:
        return f"The last partner signed the final report off on {day(last)}: it cannot be published before."
    return None


def final_report_sign_offs(actor: Actor, reference: str, today: date) -> FinalReportSignOffs | None:
    """Each partner's sign-off of the review's final report (None when none is uploaded)."""
    with read_session() as s:
        rv = load_review(s, actor, reference)
        return _state(s, rv, today)[0]


def record_final_report_sign_off(actor: Actor, reference: str, partner: str | None, signed_by: str,
                                 signed_on: date | None, expected_version: int, today: date) -> None:
    """One partner's sign-off of the latest version of the final report; audited. Refused when no
    final report is uploaded, when the form showed an earlier version (StaleEdit), when the date
    is in the future or before that version was uploaded, and when the partner has signed it."""
    errors = check_sign_off(partner=partner, signed_by=signed_by, signed_on=signed_on, today=today,
                            drafted_on=date.min)
    with transaction() as s:
        rv = load_review(s, actor, reference)
        if not actor.can("review.edit", rv.partnership_id):
            if not actor.can("review.read", rv.partnership_id):
                raise NotFound(NOT_FOUND)
            raise PermissionDenied("Only the chair or the business manager records a partner's sign-off.")
        if rv.status != "open":
            raise ValidationFailed({"review": f"This review is {rv.status}: its record can no longer be changed."})
        d = _final_report(s, rv.id)
        if d is None:
            raise ValidationFailed({"partner": NO_REPORT})
        # Lock the report's row (a no-op update) and check its version: a new version uploaded
        # since the form was drawn refuses this sign-off, and none can be uploaded until it ends.
        locked = s.execute(update(Document).where(Document.id == d.id, Document.version == expected_version)
                           .values(version=Document.version))
        if locked.rowcount != 1:
            raise StaleEdit("document")
        state, rows = _state(s, rv, today)
        if "signed_on" not in errors and signed_on < state.uploaded_on:
            errors["signed_on"] = (f"Version {state.version} of the final report was uploaded on "
                                   f"{day(state.uploaded_on)}: it cannot be signed before.")
        mine = next((p for p in state.partners if p.partner == partner), None)
        if "partner" not in errors and mine and mine.current:
            errors["partner"] = f"{mine.label} has already signed version {state.version} off."
        if errors:
            raise ValidationFailed(errors)
        who = " ".join(signed_by.split())
        row = rows.get(partner)
        before = {"signed_by": row.signed_by, "signed_on": row.signed_on, "version": mine.version_no} if row else None
        row = row or SignOff(review_id=rv.id, subject=SUBJECT, partner=partner, signed_by=who, signed_on=signed_on)
        row.signed_by, row.signed_on, row.recorded_by_id, row.recorded_at = who, signed_on, actor.user_id, utcnow()
        s.add(row)
        audit.record(s, actor, "final_report_sign_off", "document", d.id, rv.partnership_id, before=before,
                     after={"review": rv.reference, "partner": partner, "signed_by": who, "signed_on": signed_on,
                            "version": state.version})
