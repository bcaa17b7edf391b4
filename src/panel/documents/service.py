"""A review's (or a referral's) documents: upload, replace, list, download, who may see them
(docs/domain.md §11). Every query and write is here, and each checks role and partnership.

Order of an upload: the form and the file are checked first (nothing is stored for a refused
file); the actor's right to upload there is checked; the file goes into the store; then one
transaction writes the rows. If that transaction fails after the file was stored, the file is
an orphan no row names: harmless, since the store is content-addressed (the same bytes uploaded
again reuse it) and a backup copies only the files that rows name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import false, update
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.config import get_settings
from panel.core.db import escape_like, read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.documents import checks, receipts, rules, text
from panel.documents.store import get_store
from panel.learning.briefings import case_identifiers
from panel.models import Agency, Document, DocumentVersion, Referral, Review, User
from panel.referrals.service import load_referral
from panel.reviews.service import load_review

NOT_FOUND = "No such document is open to you."


@dataclass(frozen=True)
class Target:
    """Where a document belongs: a review or a referral, by reference."""

    review: str | None = None
    referral: str | None = None


@dataclass(frozen=True)
class DocumentRow:
    id: int
    kind: str
    title: str
    agency: str | None
    visibility: str
    version: int  # Document.version, for a replace or a change of who may see it
    version_no: int
    filename: str
    content_type: str
    size: int
    uploaded_by: str | None
    uploaded_at: datetime
    review: str | None = None  # the shared list says which review each is on


@dataclass(frozen=True)
class Download:
    filename: str
    content_type: str
    data: bytes
    version_no: int


def _email(s: Session, actor: Actor) -> str | None:
    u = s.get(User, actor.user_id) if actor.user_id else None
    return u.email if u else None


def _load_target(s: Session, actor: Actor, target: Target) -> tuple[int, Review | None, Referral | None]:
    """The partnership and the record, for a panel user of its partnership (NotFound otherwise,
    audited by the review's or the referral's own lookup)."""
    if target.review:
        rv = load_review(s, actor, target.review)
        return rv.partnership_id, rv, None
    r = load_referral(s, actor, target.referral or "")
    if not actor.can("referral.read", r.partnership_id):  # a referrer's own referral: no documents
        raise audit.not_found(actor, "referral", target.referral, NOT_FOUND)
    return r.partnership_id, None, r


def _latest(s: Session, where) -> list[DocumentRow]:
    """The documents matching `where`, each with its latest version, in one query."""
    rows = s.exec(
        select(Document, DocumentVersion, Agency.name, User.name, Review.reference)
        .join(DocumentVersion, (DocumentVersion.document_id == Document.id)
              & (DocumentVersion.version_no == Document.version))
        .outerjoin(Agency, Agency.id == Document.agency_id)
        .outerjoin(User, User.id == DocumentVersion.uploaded_by_id)
        .outerjoin(Review, Review.id == Document.review_id)
        .where(where).order_by(Document.kind, Document.id)).all()
    return [DocumentRow(d.id, d.kind, d.title, agency, d.visibility, d.version, v.version_no, v.filename,
                        v.content_type, v.size, who, v.uploaded_at, ref) for d, v, agency, who, ref in rows]


def listing(actor: Actor, target: Target) -> list[DocumentRow]:
    """The documents of a review or a referral the actor may open (a panel user sees them all)."""
    with read_session() as s:
        pid, rv, r = _load_target(s, actor, target)
        actor.require("document.read", pid)
        lead = bool(rv and rules.is_lead_reviewer(_email(s, actor), rv.lead_reviewer_email))
        levels = rules.visible_levels(actor.roles.get(pid, frozenset()), lead) if not actor.is_system \
            else tuple(rules.VISIBILITY)
        where = (Document.review_id == rv.id) if rv else (Document.referral_id == r.id)
        return _latest(s, where & Document.visibility.in_(levels))


def shared(actor: Actor) -> list[DocumentRow]:
    """Documents shared beyond the panel in the actor's partnerships: those every partner user
    may open, and those of reviews whose lead reviewer the actor is."""
    pids = actor.partnerships_with("document.read")
    if not pids:
        return []
    with read_session() as s:
        email = (_email(s, actor) or "").strip().lower()
        lead = (Document.visibility == "lead_reviewer") & (Review.lead_reviewer_email.is_not(None)) \
            & (Review.lead_reviewer_email.ilike(escape_like(email), escape="\\")) if email else false()
        return _latest(s, Document.partnership_id.in_(pids) & ((Document.visibility == "partners") | lead))


def _visible_document(s: Session, actor: Actor, document_id: int) -> Document:
    """The document if the actor may open it; otherwise "not found", audited, as a case would be."""
    d = s.get(Document, document_id) if isinstance(document_id, int) else None
    if d is not None:
        if actor.is_system:
            return d
        rv = s.get(Review, d.review_id) if d.review_id else None
        lead = bool(rv and rules.is_lead_reviewer(_email(s, actor), rv.lead_reviewer_email))
        if actor.can("document.read", d.partnership_id) and \
                rules.may_see(d.visibility, actor.roles.get(d.partnership_id, frozenset()), lead):
            return d
    raise audit.not_found(actor, "document", document_id, NOT_FOUND, what="document")


def download(actor: Actor, document_id: int, version_no: int | None = None) -> Download:
    """A version's bytes (the latest by default), checked against their hash by the store; each
    download is in the audit log with the document and the version, like a view of a case."""
    with read_session() as s:
        d = _visible_document(s, actor, document_id)
        v = s.exec(select(DocumentVersion).where(DocumentVersion.document_id == d.id,
                                                 DocumentVersion.version_no == (version_no or d.version))).first()
    if v is None:
        raise NotFound("That document has no such version.")
    # Read from the store outside any transaction (an object store is a network call); the
    # store checks the hash, and a StoreError (a PanelError) says what is wrong: nothing is served.
    data = get_store().get(v.sha256)
    with transaction() as s:
        audit.record(s, actor, "view", "document", d.id, d.partnership_id,
                     after={"version": v.version_no, "sha256": v.sha256}, detail="downloaded")
    return Download(rules.download_name(v.filename, v.content_type), v.content_type, data, v.version_no)


def versions(actor: Actor, document_id: int) -> list[DocumentVersion]:
    """Every version of a document, newest first (earlier versions are kept, docs/domain.md §11)."""
    with read_session() as s:
        d = _visible_document(s, actor, document_id)
        return list(s.exec(select(DocumentVersion).where(DocumentVersion.document_id == d.id)
                           .order_by(DocumentVersion.version_no.desc())))


def _checked_file(filename: str, data: bytes, errors: dict[str, str]) -> rules.FileCheck:
    found = rules.check_file(data or b"", get_settings().max_document_mb)
    if found.problem:
        errors["file"] = found.problem if (filename or data) else "Choose the file to upload."
    return found


def _text_of(kind: str, data: bytes, found: rules.FileCheck) -> text.Extracted | None:
    """A final report's text, read before the transaction opens (reading a long report takes
    time no database transaction should be held open for)."""
    return text.extract(data, found.extension) if kind == "final_report" else None


def _after_upload(s: Session, d: Document, v: DocumentVersion, extracted: text.Extracted | None,
                  today: date) -> dict:
    """What an upload sets off, in its transaction: a chronology or agency report marks the
    agency's request received; a final report is checked for the case's details."""
    out: dict = {}
    rv = s.get(Review, d.review_id) if d.review_id else None
    if rv is not None:
        out.update(receipts.mark_received(s, rv, d.agency_id, d.kind, d.id, today))
        if d.kind == "final_report" and extracted is not None:
            rows = checks.find_hits(extracted, case_identifiers(s, rv))
            out["check_findings"] = checks.store_hits(s, v.id, rows)
    return out


def _put(data: bytes) -> str:
    return get_store().put(data)


def upload(actor: Actor, target: Target, *, kind: str | None, title: str, agency_id: int | None,
           visibility: str | None, filename: str, data: bytes, today: date, note: str = "") -> int:
    """A new document with its first version; its id. Refused whole (nothing stored) when the
    form or the file is wrong, with each message beside its field."""
    errors = rules.check_upload(kind=kind, title=title, visibility=visibility)
    found = _checked_file(filename, data, errors)
    if errors:
        raise ValidationFailed(errors)
    with read_session() as s:
        pid, _, _ = _load_target(s, actor, target)
        if not actor.can("document.upload", pid):
            raise PermissionDenied("Only panel members, chairs and business managers add documents.")
        if agency_id is not None and s.get(Agency, agency_id) is None:
            raise ValidationFailed({"agency_id": "Choose the agency from the list."})
    extracted = _text_of(kind, data, found)
    sha = _put(data)
    with transaction() as s:
        pid, rv, r = _load_target(s, actor, target)
        actor.require("document.upload", pid)
        d = Document(partnership_id=pid, review_id=rv.id if rv else None, referral_id=r.id if r else None,
                     kind=kind, title=title.strip(), agency_id=agency_id, visibility=visibility,
                     created_by_id=actor.user_id)
        s.add(d)
        s.flush()
        v = DocumentVersion(document_id=d.id, version_no=1, filename=rules.clean_filename(filename),
                            content_type=found.content_type, size=len(data), sha256=sha,
                            note=(note or "").strip() or None, uploaded_by_id=actor.user_id)
        s.add(v)
        s.flush()
        follow = _after_upload(s, d, v, extracted, today)
        audit.record(s, actor, "document_upload", "document", d.id, pid,
                     after={"kind": kind, "title": d.title, "agency_id": agency_id, "visibility": visibility,
                            "version": 1, "size": v.size, "sha256": sha, "review": rv.reference if rv else None,
                            "referral": r.reference if r else None, **follow})
        return d.id


def replace(actor: Actor, document_id: int, *, filename: str, data: bytes, expected_version: int,
            today: date, note: str = "") -> int:
    """A new version of a document (the earlier ones are kept); its number. Refused when someone
    else replaced it since the form was drawn."""
    errors: dict[str, str] = {}
    found = _checked_file(filename, data, errors)
    if errors:
        raise ValidationFailed(errors)
    with read_session() as s:
        d = _visible_document(s, actor, document_id)
        actor.require("document.upload", d.partnership_id)
    extracted = _text_of(d.kind, data, found)
    sha = _put(data)
    with transaction() as s:
        d = _visible_document(s, actor, document_id)
        actor.require("document.upload", d.partnership_id)
        done = s.execute(update(Document).where(Document.id == d.id, Document.version == expected_version)
                         .values(version=Document.version + 1))
        if done.rowcount != 1:
            raise StaleEdit("document")
        v = DocumentVersion(document_id=d.id, version_no=expected_version + 1, filename=rules.clean_filename(filename),
                            content_type=found.content_type, size=len(data), sha256=sha,
                            note=(note or "").strip() or None, uploaded_by_id=actor.user_id)
        s.add(v)
        s.flush()
        follow = _after_upload(s, d, v, extracted, today)
        audit.record(s, actor, "document_replace", "document", d.id, d.partnership_id,
                     before={"version": expected_version},
                     after={"version": v.version_no, "size": v.size, "sha256": sha, **follow})
        return v.version_no


def set_visibility(actor: Actor, document_id: int, visibility: str | None, expected_version: int) -> None:
    """Change who may open a document (the chair or business manager); audited."""
    if visibility not in rules.VISIBILITY:
        raise ValidationFailed({"visibility": "Choose who may see it."})
    with transaction() as s:
        d = _visible_document(s, actor, document_id)
        if not actor.can("document.manage", d.partnership_id):
            raise PermissionDenied("Only the chair or the business manager changes who may see a document.")
        if d.version != expected_version:
            raise StaleEdit("document")
        # Document.version counts the file's versions, so a change of who may see it leaves it be.
        before, d.visibility = d.visibility, visibility
        s.add(d)
        audit.record(s, actor, "document_visibility", "document", d.id, d.partnership_id,
                     before={"visibility": before}, after={"visibility": visibility})
