"""Anonymising a case under the retention policy (docs/retention.md, "What anonymising a case
does").

The referral loses the child's details outright. Everything else about the case is learning or a
public record, so it is kept, but every free text tied to the case (its decision, its reviews and
what they produced: findings, recommendations, actions, briefings, learning events, documents'
notes) has the child's initials, date of birth and the referrer's name redacted wherever the
briefing's anonymisation check finds them. A free text column added to a case's records must be
added here too, or anonymising leaves the child's details in it.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, or_, update
from sqlmodel import Session, select

from panel.core.anonymise import Identifiers, names_in
from panel.models import (
    Action,
    ActionNote,
    AgencyRequest,
    AgendaItem,
    Briefing,
    BriefingVersion,
    Decision,
    Document,
    DocumentHit,
    DocumentVersion,
    FamilyInvolvement,
    Finding,
    LearningEvent,
    LearningEventLink,
    Meeting,
    ParallelProcess,
    Recommendation,
    RecommendationFinding,
    RecommendationRevision,
    Referral,
    ReferralLink,
    ReportDraft,
    Review,
    ReviewDelay,
)
from panel.retention import rules

RECOMMENDATION_TEXT = ("text", "outcome_sought", "measure")
ACTION_TEXT = ("text", "evidence_of_impact", "carried_to", "carried_reason", "follow_up_result")


def anonymise_case(s: Session, rid: int) -> dict:
    """Strip the child's details from a referral and redact them from the case's free text;
    the decision, review, milestones and learning are kept (learning purpose, public record).
    Returns counts for the audit row: texts_redacted counts each field (or JSON section) changed."""
    r = s.get(Referral, rid)
    if r is None or not r.child_initials:
        raise LookupError("already anonymised or gone")
    ids = Identifiers(initials=r.child_initials, dob=r.child_dob, names=tuple(names_in(r.referrer_name)))
    review_ids = list(s.exec(select(Review.id).where(Review.referral_id == rid)))
    texts = _case_records(s, r, review_ids, ids) + _case_learning(s, r, review_ids, ids)
    links = s.execute(delete(ReferralLink).where(or_(ReferralLink.referral_id == rid,
                                                  ReferralLink.linked_id == rid))).rowcount
    s.execute(update(Referral).where(Referral.id == rid).values(
        child_initials="", child_dob=None, child_age_years=None, child_sex="unknown",
        child_ethnicity="not_recorded",
        referrer_name=rules.REDACTED, referrer_view=None, status_note=None,
        incident_summary=rules.ANONYMISED_SUMMARY, version=Referral.version + 1))
    return {"referrals": 1, "links": links, "texts_redacted": texts}


def _case_records(s: Session, r: Referral, review_ids: list[int], ids: Identifiers) -> int:
    """The decision, the reviews and what was recorded while running them."""
    n = redact_all(s, s.exec(select(Decision).where(Decision.referral_id == r.id)),
                   ("rationale", "departure_rationale", "amendment_reason"), ids)
    n += redact_all(s, s.exec(select(Review).where(Review.referral_id == r.id)),
                    ("publication_reason", "national_panel_note"), ids)
    on_reviews = (
        (ReviewDelay, ("reason",)), (ParallelProcess, ("next_event", "outcome")),
        (FamilyInvolvement, ("note",)), (AgencyRequest, ("summary",)),
    )
    for model, fields in on_reviews:
        n += redact_all(s, s.exec(select(model).where(model.review_id.in_(review_ids))), fields, ids)
    for draft in s.exec(select(ReportDraft).where(ReportDraft.review_id.in_(review_ids))):
        n += _redact_json(s, draft, "sections", ids)
    docs = select(Document.id).where(or_(Document.review_id.in_(review_ids), Document.referral_id == r.id))
    n += redact_all(s, s.exec(select(Document).where(Document.id.in_(docs))), ("title",), ids)
    versions = select(DocumentVersion.id).where(DocumentVersion.document_id.in_(docs))
    n += redact_all(s, s.exec(select(DocumentVersion).where(DocumentVersion.id.in_(versions))), ("note",), ids)
    n += redact_all(s, s.exec(select(DocumentHit).where(DocumentHit.version_id.in_(versions))),
                    ("excerpt", "reason"), ids)
    n += redact_all(s, s.exec(select(AgendaItem).where(AgendaItem.id.in_(_case_agenda_items(s, r, review_ids)))),
                    ("title", "summary"), ids)
    return n


def _case_learning(s: Session, r: Referral, review_ids: list[int], ids: Identifiers) -> int:
    """Findings, recommendations (and their earlier versions), actions and their notes, briefings
    in every version and status, and the learning events that shared any of them."""
    n = redact_all(s, s.exec(select(Finding).where(Finding.review_id.in_(review_ids))), ("text",), ids)
    recs = _case_recommendations(review_ids)
    n += redact_all(s, s.exec(select(Recommendation).where(Recommendation.id.in_(recs))), RECOMMENDATION_TEXT, ids)
    # An accepted recommendation's earlier versions.
    n += redact_all(s, s.exec(select(RecommendationRevision).where(RecommendationRevision.recommendation_id.in_(recs))),
                    (*RECOMMENDATION_TEXT, "reason"), ids)
    actions = select(Action.id).where(or_(*case_actions(s, r, review_ids)))
    n += redact_all(s, s.exec(select(Action).where(Action.id.in_(actions))), ACTION_TEXT, ids)
    n += redact_all(s, s.exec(select(ActionNote).where(ActionNote.action_id.in_(actions))), ("text",), ids)
    briefings = select(Briefing.id).where(Briefing.review_id.in_(review_ids))
    n += redact_all(s, s.exec(select(Briefing).where(Briefing.id.in_(briefings))), ("title",), ids)
    for version in s.exec(select(BriefingVersion).where(BriefingVersion.briefing_id.in_(briefings))):
        n += _redact_json(s, version, "sections", ids)
    shared = select(LearningEventLink.event_id).where(or_(
        (LearningEventLink.entity == "review") & LearningEventLink.entity_id.in_(review_ids),
        (LearningEventLink.entity == "briefing") & LearningEventLink.entity_id.in_(briefings),
        (LearningEventLink.entity == "recommendation") & LearningEventLink.entity_id.in_(recs)))
    n += redact_all(s, s.exec(select(LearningEvent).where(LearningEvent.id.in_(shared))), ("topic", "audience"), ids)
    return n


def _case_recommendations(review_ids: list[int]):
    """The ids of the case's recommendations: on its reviews, or answering a finding of them."""
    findings = select(Finding.id).where(Finding.review_id.in_(review_ids))
    answering = select(RecommendationFinding.recommendation_id).where(RecommendationFinding.finding_id.in_(findings))
    return select(Recommendation.id).where(or_(Recommendation.review_id.in_(review_ids),
                                               Recommendation.finding_id.in_(findings),
                                               Recommendation.id.in_(answering)))


def _case_agenda_items(s: Session, r: Referral, review_ids: list[int]):
    """The ids of the agenda items about the referral or one of its reviews."""
    refs = [r.reference, *s.exec(select(Review.reference).where(Review.id.in_(review_ids)))]
    return (select(AgendaItem.id).join(Meeting, Meeting.id == AgendaItem.meeting_id)
            .where(Meeting.partnership_id == r.partnership_id, AgendaItem.reference.in_(refs)))


def case_actions(s: Session, r: Referral, review_ids: list[int]) -> list:
    """Conditions for the case's actions: on its reviews' recommendations, or agreed at a meeting
    on an agenda item about the referral or one of its reviews."""
    return [Action.meeting_item_id.in_(_case_agenda_items(s, r, review_ids)),
            Action.recommendation_id.in_(_case_recommendations(review_ids))]


def redact_all(s: Session, rows, fields, ids: Identifiers) -> int:
    """Redact `fields` of each row; the number of fields changed."""
    n = 0
    for row in rows:
        for f in fields:
            old = getattr(row, f)
            new = _fit(row, f, rules.redact(old, ids))
            if new != old:
                setattr(row, f, new)
                n += 1
        s.add(row)
    return n


def _fit(row, field: str, text: str | None) -> str | None:
    """`text` cut to its column's length: "[removed]" is longer than the initials it replaces."""
    length = getattr(type(row).__table__.c[field].type, "length", None)
    return text[:length] if text and length else text


def _redact_json(s: Session, row, field: str, ids: Identifiers) -> int:
    """Redact every text in a JSON column (a briefing version's {key: text}; a drafted report's
    [{key, heading, text}]); the number of texts changed. Unchanged JSON is left byte for byte."""
    try:
        data = json.loads(getattr(row, field) or "null")
    except ValueError:
        return 0
    n = 0

    def walk(value):
        nonlocal n
        if isinstance(value, str):
            new = rules.redact(value, ids)
            n += new != value
            return new
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    data = walk(data)
    if n:
        setattr(row, field, json.dumps(data, ensure_ascii=False, sort_keys=True))
        s.add(row)
    return n
