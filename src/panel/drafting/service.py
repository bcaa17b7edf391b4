"""The documents Panel drafts on a review (docs/domain.md §11): the rapid review report and an
LCSPR's terms of reference, filled from the record for the panel to edit, downloaded as Word,
and signed off by the three safeguarding partners; then the date the rapid review went to the
National Panel. Also each agency's summary for the rapid review, which the report draws on.

Who may: the panel reads a review's drafts (`review.read`); whoever records the rapid review's
end (`review.edit` or `screening.edit`, as panel.reviews.service) drafts, edits, records the
agencies' summaries and the partners' sign-offs. The headings are the administrator's
(`review_type.manage`, as the review types they sit beside). Every write checks the version the
form was drawn from and writes its audit row in the same transaction.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.core.validation import not_after_today
from panel.drafting import rules, word
from panel.drafting.record import facts_of
from panel.models import (
    Agency,
    AgencyRequest,
    ReportDraft,
    ReportTemplate,
    Review,
    ReviewType,
    SignOff,
)
from panel.reviews.service import load_review, set_sent_milestone, versioned_update

MAY_DRAFT = ("review.edit", "screening.edit")  # as the rapid review's end is recorded
NOT_OPEN = "This review is {status}: its documents no longer change."
SUMMARY_MAX = 20_000


@dataclass
class Template:
    kind: str
    headings: list[dict]
    version: int  # 0 while the partnership uses Panel's defaults


@dataclass
class DraftView:
    kind: str
    available: bool  # the review's type has this document
    exists: bool = False
    sections: list[dict] = field(default_factory=list)  # key, heading, text, guidance, derived
    status: str = "draft"
    version: int = 0
    drafted_on: date | None = None
    sign_offs: dict[str, dict] = field(default_factory=dict)  # partner -> signed_by, signed_on
    sent_on: date | None = None
    can_draft: bool = False


# --- the headings --------------------------------------------------------------------------------


def _headings(s: Session, partnership_id: int, kind: str) -> tuple[list[dict], int]:
    row = s.exec(select(ReportTemplate).where(ReportTemplate.partnership_id == partnership_id,
                                              ReportTemplate.kind == kind)).first()
    if row is None:
        return [dict(h) for h in rules.DEFAULT_HEADINGS[kind]], 0
    return json.loads(row.sections), row.version


def _kind(kind: str) -> None:
    if kind not in rules.KINDS:
        raise ValidationFailed({"kind": "Choose the rapid review report or the terms of reference."})


def template(actor: Actor, partnership_id: int, kind: str) -> Template:
    """The partnership's headings for `kind`, for the administrator to edit."""
    actor.require("review_type.manage", partnership_id)
    _kind(kind)
    with read_session() as s:
        headings, version = _headings(s, partnership_id, kind)
    return Template(kind=kind, headings=headings, version=version)


def save_template(actor: Actor, partnership_id: int, kind: str, headings: list[dict], expected_version: int) -> int:
    """Keep the partnership's headings (added, renamed, reordered, removed); the new version.
    Drafts already made keep their sections; the next draft follows these (docs/domain.md §11)."""
    actor.require("review_type.manage", partnership_id)
    _kind(kind)
    clean, errors = rules.check_headings(headings)
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        row = s.exec(select(ReportTemplate).where(ReportTemplate.partnership_id == partnership_id,
                                                  ReportTemplate.kind == kind)).first()
        if (row.version if row else 0) != expected_version:
            raise StaleEdit("headings")
        before = json.loads(row.sections) if row else rules.DEFAULT_HEADINGS[kind]
        if row is None:
            row = ReportTemplate(partnership_id=partnership_id, kind=kind, version=0)
        row.sections, row.version = json.dumps(clean), row.version + 1
        row.updated_by_id, row.updated_at = actor.user_id, utcnow()
        s.add(row)
        s.flush()
        audit.record(s, actor, "report_template", "report_template", row.id, partnership_id,
                     before={"kind": kind, "headings": [h["heading"] for h in before]},
                     after={"kind": kind, "headings": [h["heading"] for h in clean]})
        return row.version


# --- the agencies' summaries ---------------------------------------------------------------------


def agency_summaries(actor: Actor, reference: str) -> list[dict]:
    """Each agency asked for a summary on this review, with what it said (read on the review's
    page, whose view is audited by panel.reviews.service.get_review)."""
    with read_session() as s:
        rv = load_review(s, actor, reference)
        rows = s.exec(select(AgencyRequest, Agency.name).join(Agency, Agency.id == AgencyRequest.agency_id)
                      .where(AgencyRequest.review_id == rv.id, AgencyRequest.kind == "agency_summary")
                      .order_by(Agency.name, AgencyRequest.id)).all()
    return [{"id": r.id, "agency": name, "requested_on": r.requested_on, "due_on": r.due_on,
             "received_on": r.received_on, "summary": r.summary or ""} for r, name in rows]


def _writable(s: Session, actor: Actor, reference: str) -> Review:
    rv = load_review(s, actor, reference)
    if not any(actor.can(p, rv.partnership_id) for p in MAY_DRAFT):
        raise PermissionDenied("Only the panel chair, a panel member or the business manager can do that.")
    if rv.status != "open":
        raise ValidationFailed({"review": NOT_OPEN.format(status=rv.status)})
    return rv


def save_agency_summary(actor: Actor, reference: str, request_id: int, summary: str, received_on: date | None,
                        expected_version: int, today: date) -> None:
    """An agency's summary, as it told the rapid review, marked received on `received_on`.
    `expected_version` is the review's: two people entering summaries never overwrite each other."""
    errors = {}
    text = (summary or "").strip()
    if not text:
        errors["summary"] = "Enter what the agency's summary says."
    elif len(text) > SUMMARY_MAX:
        errors["summary"] = f"Keep the summary to {SUMMARY_MAX:,} characters."
    if received_on is None:
        errors["received_on"] = "Enter the date it arrived."
    errors.update(not_after_today("received_on", received_on, today))
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rv = _writable(s, actor, reference)
        req = s.get(AgencyRequest, request_id)
        if req is None or req.review_id != rv.id or req.kind != "agency_summary":
            raise NotFound("No such agency summary on this review.")
        if received_on < req.requested_on:
            raise ValidationFailed({"received_on": f"It was asked for on {req.requested_on:%d %b %Y}: "
                                                   "it cannot arrive before."})
        versioned_update(s, rv, expected_version)
        before = {"received_on": req.received_on, "summary": bool(req.summary)}
        req.summary, req.received_on = text, received_on
        s.add(req)
        # The words may describe the family: the audit keeps that a summary was written, not the summary.
        audit.record(s, actor, "agency_summary", "review", rv.id, rv.partnership_id, before=before,
                     after={"request": req.id, "received_on": received_on, "summary": True})


# --- the draft -----------------------------------------------------------------------------------


def _type_key(s: Session, rv: Review) -> str:
    return s.get(ReviewType, rv.review_type_id).key


def _available(s: Session, rv: Review, kind: str) -> bool:
    return rules.KIND_OF_TYPE.get(_type_key(s, rv)) == kind


def _draft_row(s: Session, rv: Review, kind: str) -> ReportDraft | None:
    return s.exec(select(ReportDraft).where(ReportDraft.review_id == rv.id, ReportDraft.kind == kind)).first()


def _sign_offs(s: Session, review_id: int, subject: str) -> dict[str, dict]:
    return {so.partner: {"signed_by": so.signed_by, "signed_on": so.signed_on}
            for so in s.exec(select(SignOff).where(SignOff.review_id == review_id, SignOff.subject == subject))}


def draft(actor: Actor, reference: str, kind: str, record_view: bool = True) -> DraftView:
    """The review's drafted document of `kind` (or that there is none yet), its sign-offs and
    whether the actor may work on it. Opening it is a view of the case, audited."""
    _kind(kind)
    with read_session() as s:
        rv = load_review(s, actor, reference)
        view = DraftView(kind=kind, available=_available(s, rv, kind), sent_on=rv.sent_to_national_panel_on,
                         can_draft=rv.status == "open" and any(actor.can(p, rv.partnership_id) for p in MAY_DRAFT))
        row = _draft_row(s, rv, kind)
        if row is not None:
            guidance = {h["key"]: h.get("guidance", "") for h in _headings(s, rv.partnership_id, kind)[0]}
            view.exists, view.status, view.version = True, row.status, row.version
            view.sign_offs = _sign_offs(s, rv.id, kind)
            view.sections = [{**sec, "guidance": guidance.get(sec["key"], "")}
                             for sec in rules.derive(json.loads(row.sections), view.sign_offs)]
            view.drafted_on = row.created_at.date()
    if record_view and row is not None:
        with transaction() as s:
            audit.record(s, actor, "view", "review", rv.id, rv.partnership_id, detail=f"{kind} draft")
    return view


def _fill(s: Session, actor: Actor, rv: Review, kind: str) -> list[dict]:
    headings, _ = _headings(s, rv.partnership_id, kind)
    return rules.fill(kind, headings, facts_of(s, actor, rv, kind))


def create_draft(actor: Actor, reference: str, kind: str) -> int:
    """Draft the document from the record, following the partnership's headings; its id.
    Only once per review: an existing draft is re-filled instead (refill_draft)."""
    _kind(kind)
    with transaction() as s:
        rv = _writable(s, actor, reference)
        if not _available(s, rv, kind):
            raise ValidationFailed({"kind": f"The {rules.KINDS[kind].lower()} is drafted only on "
                                            + ("a rapid review." if kind == "rapid_review" else "an LCSPR.")})
        if _draft_row(s, rv, kind) is not None:
            raise ValidationFailed({"kind": f"The {rules.KINDS[kind].lower()} is already drafted: edit it, "
                                            "or re-fill it from the record."})
        sections = _fill(s, actor, rv, kind)
        row = ReportDraft(review_id=rv.id, kind=kind, sections=json.dumps(sections), updated_by_id=actor.user_id)
        s.add(row)
        s.flush()
        audit.record(s, actor, "report_draft", "review", rv.id, rv.partnership_id,
                     after={"kind": kind, "draft": row.id, "headings": [x["heading"] for x in sections]})
        return row.id


def _editable_draft(s: Session, actor: Actor, reference: str, kind: str, expected_version: int) -> tuple[Review, ReportDraft]:
    _kind(kind)
    rv = _writable(s, actor, reference)
    row = _draft_row(s, rv, kind)
    if row is None:
        raise ValidationFailed({"kind": f"There is no {rules.KINDS[kind].lower()} yet: draft it first."})
    if row.version != expected_version:
        raise StaleEdit("draft")
    if row.status != "draft":
        raise ValidationFailed({"draft": rules.SIGNED_OFF.format(what=rules.KINDS[kind].lower())})
    return rv, row


def _bump(s: Session, row: ReportDraft, actor: Actor, **values) -> None:
    """Write `values` and the next version only if the draft is still the version this
    transaction read (else StaleEdit): two partners' sign-offs recorded at once cannot both
    miss the other, and two editors never overwrite each other."""
    done = s.execute(update(ReportDraft).where(ReportDraft.id == row.id, ReportDraft.version == row.version)
                     .values(**values, version=ReportDraft.version + 1, updated_by_id=actor.user_id,
                             updated_at=utcnow()))
    if done.rowcount != 1:
        raise StaleEdit("draft")


def save_draft(actor: Actor, reference: str, kind: str, texts: dict[str, str], expected_version: int) -> None:
    """The panel's edits to the sections' text; refused once the partners have signed it off, and
    for a section the record writes (the sign-off: rules.DERIVED)."""
    with transaction() as s:
        rv, row = _editable_draft(s, actor, reference, kind, expected_version)
        sections = json.loads(row.sections)
        if errors := rules.check_texts(texts, [x["key"] for x in sections]):
            raise ValidationFailed(errors)
        changed = []
        for sec in sections:
            if sec["key"] in texts and texts[sec["key"]] != sec["text"]:
                sec["text"] = texts[sec["key"]]
                changed.append(sec["key"])
        _bump(s, row, actor, sections=json.dumps(sections))
        audit.record(s, actor, "report_draft_edit", "review", rv.id, rv.partnership_id,
                     after={"kind": kind, "draft": row.id, "sections_changed": changed})


def refill_draft(actor: Actor, reference: str, kind: str, confirm: bool, expected_version: int) -> None:
    """Start the draft again from the record and the current headings: it replaces every edit,
    so only with `confirm`."""
    if not confirm:
        raise ValidationFailed({"confirm": "Tick to confirm: re-filling replaces every edit made to the draft."})
    with transaction() as s:
        rv, row = _editable_draft(s, actor, reference, kind, expected_version)
        sections = _fill(s, actor, rv, kind)
        _bump(s, row, actor, sections=json.dumps(sections))
        audit.record(s, actor, "report_draft_refill", "review", rv.id, rv.partnership_id,
                     after={"kind": kind, "draft": row.id, "headings": [x["heading"] for x in sections]})


def download_draft(actor: Actor, reference: str, kind: str) -> tuple[str, bytes]:
    """The draft as a Word file, and a safe file name; an export of the case, audited."""
    _kind(kind)
    with read_session() as s:
        rv = load_review(s, actor, reference)
        row = _draft_row(s, rv, kind)
        if row is None:
            raise NotFound(f"There is no {rules.KINDS[kind].lower()} on this review yet.")
        sections, status = rules.derive(json.loads(row.sections), _sign_offs(s, rv.id, kind)), row.status
    data = word.build(rules.KINDS[kind], rv.reference, sections, rules.STATUSES[status])
    with transaction() as s:
        audit.record(s, actor, "export", "review", rv.id, rv.partnership_id, detail=f"{kind} (docx)")
    return rules.safe_filename(rv.reference, kind), data


# --- the partners' sign-off and the National Panel -----------------------------------------------


def record_sign_off(actor: Actor, reference: str, kind: str, partner: str | None, signed_by: str,
                    signed_on: date | None, expected_version: int, today: date) -> str:
    """One partner's sign-off of the draft; the draft's status after it ("approved" once the local
    authority, the police and health have all signed). A partner signs once."""
    with transaction() as s:
        rv, row = _editable_draft(s, actor, reference, kind, expected_version)
        errors = rules.check_sign_off(partner=partner, signed_by=signed_by, signed_on=signed_on, today=today,
                                      drafted_on=min(row.created_at.date(), today))
        if not errors and s.exec(select(SignOff).where(SignOff.review_id == rv.id, SignOff.subject == kind,
                                                       SignOff.partner == partner)).first():
            errors["partner"] = f"{rules.PARTNERS[partner]} has already signed this off."
        if errors:
            raise ValidationFailed(errors)
        who = " ".join(signed_by.split())
        s.add(SignOff(review_id=rv.id, subject=kind, partner=partner, signed_by=who, signed_on=signed_on,
                      recorded_by_id=actor.user_id))
        s.flush()
        status = "approved" if set(_sign_offs(s, rv.id, kind)) == set(rules.PARTNERS) else row.status
        _bump(s, row, actor, status=status)
        audit.record(s, actor, "sign_off", "review", rv.id, rv.partnership_id,
                     after={"kind": kind, "partner": partner, "signed_by": who, "signed_on": signed_on,
                            "status": status})
        return status


def record_sent(actor: Actor, reference: str, sent_on: date | None, expected_version: int, today: date) -> None:
    """The date the signed-off rapid review report went to the National Panel: the review's date,
    its "sent to the National Panel" milestone and the draft's status, in one step."""
    errors = {} if sent_on else {"sent_on": "Enter the date it was sent."}
    errors.update(not_after_today("sent_on", sent_on, today))
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rv = _writable(s, actor, reference)
        row = _draft_row(s, rv, "rapid_review")
        if row is None or row.status == "draft":
            raise ValidationFailed({"sent_on": "The three partners sign the report off before it is sent."})
        if row.version != expected_version:
            raise StaleEdit("draft")
        signed = max(x["signed_on"] for x in _sign_offs(s, rv.id, "rapid_review").values())
        if sent_on < signed:
            raise ValidationFailed({"sent_on": f"The last partner signed on {signed:%d %b %Y}: "
                                               "it cannot be sent before."})
        before = versioned_update(s, rv, rv.version, {"sent_to_national_panel_on": sent_on})
        after = {"sent_to_national_panel_on": sent_on, "status": "sent"}
        if changed := set_sent_milestone(s, rv.id, sent_on, overwrite=True):
            before["milestone"], after["milestone"] = changed
        before["status"] = row.status
        _bump(s, row, actor, status="sent")
        audit.record(s, actor, "rapid_review_sent", "review", rv.id, rv.partnership_id, before=before, after=after)
