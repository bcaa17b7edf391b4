"""The demo's documents (docs/domain.md §11): on each partnership's two most recent open rapid
reviews, agencies asked for a chronology and a summary, some answered with a Word file or the
summary's words; on its latest published review, the final report shared with partner users
and signed off by the three partners.

Files are small Word documents made here and put in the file store as an upload would; the
wording is fictional and names nobody (no initials, no dates of birth)."""

from __future__ import annotations

import io
import random
from datetime import UTC, date, datetime, timedelta

import docx
from sqlmodel import Session, select

from panel.documents.store import get_store
from panel.models import (
    Agency,
    AgencyRequest,
    Document,
    DocumentVersion,
    Membership,
    Partnership,
    Review,
    ReviewMilestone,
    ReviewType,
    SignOff,
)
from panel.reviews.types import PUBLICATION_KEY

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ASKED = ("Police", "Children's social care", "Community health (health visiting)")
SUMMARIES = {
    "Police": "Two call-outs to the family home in the year before the incident, both recorded as "
              "verbal disputes; no referral to children's social care was made after the second.",
    "Children's social care": "The family was known through a single assessment closed eight months "
                              "earlier with universal services; the father's history was not explored.",
    "Community health (health visiting)": "Universal health visiting contacts were completed; the "
                                          "new-birth visit noted low mood in the mother and a follow-up was booked.",
}


def _word(title: str, paragraphs: list[str]) -> bytes:
    d = docx.Document()
    d.add_heading(title, level=1)
    for p in paragraphs:
        d.add_paragraph(p)
    out = io.BytesIO()
    d.core_properties.author = "Panel demo"
    d.save(out)
    return out.getvalue()


def _uploader(s: Session, partnership_id: int) -> int | None:
    """Who uploads the partnership's documents in the demo: its business manager, else its chair."""
    found = dict(s.exec(select(Membership.role, Membership.user_id).where(
        Membership.partnership_id == partnership_id, Membership.role.in_(("manager", "chair")))
        .order_by(Membership.user_id)).all()[::-1])
    return found.get("manager") or found.get("chair")


def _document(s: Session, review: Review, *, kind: str, title: str, data: bytes, uploaded: date,
              agency_id: int | None = None, visibility: str = "panel") -> Document:
    at = datetime(uploaded.year, uploaded.month, uploaded.day, 15, tzinfo=UTC)
    doc = Document(partnership_id=review.partnership_id, review_id=review.id, kind=kind, title=title,
                   agency_id=agency_id, visibility=visibility, created_at=at)
    s.add(doc)
    s.flush()
    name = get_store().put(data)
    s.add(DocumentVersion(document_id=doc.id, filename=f"{title.lower().replace(' ', '-')}.docx",
                          content_type=DOCX, size=len(data), sha256=name, uploaded_at=at,
                          uploaded_by_id=_uploader(s, review.partnership_id)))
    return doc


def _signed_off(s: Session, review: Review, report: Document) -> None:
    """The three partners' sign-offs of a published review's final report (docs/domain.md §11),
    signed on its publication day and recorded after the upload, so each shows as of version 1."""
    at = report.created_at + timedelta(hours=1)
    published_on = s.exec(select(ReviewMilestone.actual_on).where(ReviewMilestone.review_id == review.id,
                                                                  ReviewMilestone.key == PUBLICATION_KEY)).one()
    for partner, who in (("local_authority", "Director of Children's Services"), ("police", "Detective Superintendent"),
                         ("health", "Chief Nurse, Integrated Care Board")):
        s.add(SignOff(review_id=review.id, subject="final_report", partner=partner, signed_by=who,
                      signed_on=published_on, recorded_at=at))


def add_documents(s: Session, rng: random.Random, today: date, parts: dict[str, Partnership]) -> dict[str, int]:
    agencies = {a.name: a for a in s.exec(select(Agency).where(Agency.name.in_(ASKED)))}
    made = requests = 0
    for p in parts.values():
        rapid = s.exec(select(Review).join(ReviewType, ReviewType.id == Review.review_type_id)
                       .where(Review.partnership_id == p.id, ReviewType.key == "rapid_review",
                              Review.status == "open", Review.notified_on.is_not(None))
                       .order_by(Review.notified_on.desc()).limit(2)).all()
        for n, review in enumerate(rapid):
            asked_on = review.notified_on + timedelta(days=2)
            for i, name in enumerate(ASKED):
                agency = agencies[name]
                due = asked_on + timedelta(days=8)
                arrived = due - timedelta(days=rng.randint(0, 3)) if (n + i) % 3 else None
                arrived = arrived if arrived and arrived <= today else None
                chronology = AgencyRequest(review_id=review.id, agency_id=agency.id, kind="chronology",
                                           requested_on=asked_on, due_on=due, received_on=arrived)
                summary = AgencyRequest(review_id=review.id, agency_id=agency.id, kind="agency_summary",
                                        requested_on=asked_on, due_on=due, received_on=arrived,
                                        summary=SUMMARIES[name] if arrived else None)
                if arrived:
                    doc = _document(s, review, kind="chronology", title=f"{name} chronology",
                                    agency_id=agency.id, uploaded=arrived,
                                    data=_word(f"{name} chronology for {review.reference}",
                                               [SUMMARIES[name], "Entries are in date order; the full record is "
                                                "held by the agency."]))
                    chronology.document_id = doc.id
                    made += 1
                s.add_all([chronology, summary])
                requests += 2
        published = s.exec(select(Review).join(ReviewMilestone, ReviewMilestone.review_id == Review.id)
                           .where(Review.partnership_id == p.id, ReviewMilestone.key == PUBLICATION_KEY,
                                  ReviewMilestone.actual_on.is_not(None))
                           .order_by(ReviewMilestone.actual_on.desc()).limit(1)).first()
        if published:
            report = _document(s, published, kind="final_report", title="Final report (published)",
                               visibility="partners", uploaded=today,
                               data=_word(f"Child safeguarding practice review {published.reference}",
                                          ["Summary of the learning for practitioners.",
                                           "The review found that information held by separate agencies "
                                           "was not brought together when the risk was rising."]))
            _signed_off(s, published, report)
            made += 1
    return {"documents": made, "agency requests": requests}
