"""Before publication: the anonymisation check over the final report (docs/domain.md §11, §8).

Each version of a final report uploaded is read (panel.documents.text) and checked for the
case's identifiers (panel.core.anonymise, with the same identifiers as a briefing). Each detail
found is kept as a DocumentHit with its page or paragraph and a short excerpt. Publication is
not recorded while the latest version of a final report has a hit still open: each is accepted
with a reason (a name that is public, say), or a newer version without it is uploaded (its own
check then has no such hit). A report the check cannot read is one open hit too.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func
from sqlmodel import Session, select

from panel.core import anonymise, audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import NotFound, ValidationFailed
from panel.documents.text import Extracted
from panel.models import Document, DocumentHit, DocumentVersion, Review
from panel.reviews.service import load_review

UNREAD = "unreadable"  # DocumentHit.identifier when the check could not read the text
KIND_LABELS = {**anonymise.KINDS, UNREAD: "the check could not read it"}
HIT_NOT_FOUND = "No such finding of the check on this review."
MAX_HITS = 200  # a report naming the child on every page needs a new version, not 2,000 rows


@dataclass(frozen=True)
class HitRow:
    id: int | None
    document_id: int
    title: str
    version_no: int
    location: str
    identifier: str
    excerpt: str
    status: str
    reason: str | None


def find_hits(extracted: Extracted, identifiers: anonymise.Identifiers) -> list[tuple[str, str, str]]:
    """(location, identifier kind, excerpt) for each detail of the case in the text; one
    "unreadable" row when the text could not be read. Pure."""
    rows: list[tuple[str, str, str]] = []
    for location, text in extracted.pieces:
        for hit in anonymise.check(text, identifiers):
            rows.append((location, hit.kind, anonymise.excerpt(text, hit)[:300]))
            if len(rows) >= MAX_HITS:
                return rows
    if extracted.problem:
        rows.append(("whole document", UNREAD, extracted.problem))
    return rows


def store_hits(s: Session, version_id: int, rows: list[tuple[str, str, str]]) -> int:
    """Write the check's findings for one version, inside the caller's transaction."""
    for location, kind, excerpt in rows:
        s.add(DocumentHit(version_id=version_id, location=location[:80], identifier=kind[:30], excerpt=excerpt))
    return len(rows)


def _latest_final_versions(review_id: int):
    """The id of each final report's latest version on the review (a subquery)."""
    latest = (select(DocumentVersion.document_id, func.max(DocumentVersion.version_no).label("no"))
              .join(Document, Document.id == DocumentVersion.document_id)
              .where(Document.review_id == review_id, Document.kind == "final_report")
              .group_by(DocumentVersion.document_id).subquery())
    return (select(DocumentVersion.id).join(latest, (latest.c.document_id == DocumentVersion.document_id)
                                            & (latest.c.no == DocumentVersion.version_no)))


def _hit_rows(s: Session, review_id: int) -> list[HitRow]:
    rows = s.exec(select(DocumentHit, DocumentVersion, Document)
                  .join(DocumentVersion, DocumentVersion.id == DocumentHit.version_id)
                  .join(Document, Document.id == DocumentVersion.document_id)
                  .where(DocumentHit.version_id.in_(_latest_final_versions(review_id)))
                  .order_by(Document.id, DocumentHit.id)).all()
    return [HitRow(h.id, d.id, d.title, v.version_no, h.location, h.identifier, h.excerpt, h.status, h.reason)
            for h, v, d in rows]


def publication_blocker(s: Session, review_id: int) -> str | None:
    """Why publication cannot be recorded yet, or None: the open findings of the check on the
    latest version of each final report (inside the caller's session)."""
    open_ = [h for h in _hit_rows(s, review_id) if h.status == "open"]
    if not open_:
        return None
    where = sorted({h.location for h in open_}, key=lambda x: (len(x), x))
    shown = ", ".join(where[:5]) + (f" and {len(where) - 5} more" if len(where) > 5 else "")
    return (f"The final report's anonymisation check has {len(open_)} finding{'s' if len(open_) != 1 else ''} "
            f"still open ({shown}). Resolve each in the review's Documents section: accept it with a reason, "
            "or upload a new version of the report without it.")


def final_report_check(actor: Actor, reference: str) -> list[HitRow]:
    """What the check found in the latest version of each final report of the review."""
    with read_session() as s:
        rv = load_review(s, actor, reference)
        return _hit_rows(s, rv.id)


def accept_hit(actor: Actor, reference: str, hit_id: int, reason: str) -> None:
    """Accept one finding with a reason (a name that is public, say); audited. Only the chair or
    the business manager, who record the publication, may."""
    reason = (reason or "").strip()
    if len(reason) < 10:
        raise ValidationFailed({"reason": "Say why this detail may stay (at least 10 characters), e.g. "
                                          "\"the agency's name, not the child's\"."})
    if len(reason) > 2000:
        raise ValidationFailed({"reason": "Keep the reason to 2,000 characters."})
    with transaction() as s:
        rv: Review = load_review(s, actor, reference)
        if not actor.can("document.manage", rv.partnership_id):
            raise NotFound(HIT_NOT_FOUND)
        hit = s.get(DocumentHit, hit_id)
        if hit is None or hit_id not in {h.id for h in _hit_rows(s, rv.id)}:
            raise audit.not_found(actor, "document_hit", hit_id, HIT_NOT_FOUND, what="finding")
        if hit.status != "open":
            raise ValidationFailed({"reason": "This finding was already accepted."})
        hit.status, hit.reason, hit.decided_by_id, hit.decided_at = "accepted", reason, actor.user_id, utcnow()
        s.add(hit)
        version = s.get(DocumentVersion, hit.version_id)
        audit.record(s, actor, "document_hit_accepted", "document", version.document_id, rv.partnership_id,
                     before={"status": "open"},
                     after={"hit": hit.id, "version": version.version_no, "location": hit.location,
                            "identifier": hit.identifier, "reason": reason})
