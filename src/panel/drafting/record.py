"""What a drafted document is filled from (docs/domain.md §11), read inside the caller's session
for a review the caller has already loaded and checked: the referral's facts (never the child's
initials or date of birth, §8), the screening reasons and the panel's rationale, the agencies and
their summaries, the reg.11 answers and the LCSPR decision, the sign-offs, and for an LCSPR the
family's involvement, parallel processes and milestones.
"""

from __future__ import annotations

import json
from datetime import date

from sqlmodel import Session, select

from panel.core.access import Actor
from panel.drafting.rules import RecordFacts
from panel.learning.briefings import case_identifiers
from panel.models import (
    Agency,
    AgencyRequest,
    Decision,
    Document,
    FamilyInvolvement,
    ParallelProcess,
    Referral,
    ReferralAgency,
    Review,
    ReviewMilestone,
    SignOff,
)
from panel.referrals.rules import SEX
from panel.reviews.record import REQUEST_KINDS
from panel.reviews.rules import FAMILY_EVENTS, LCSPR_DECISIONS, PROCESS_KINDS, PROCESS_STATUSES
from panel.reviews.service import CONSIDERATION_ANSWERS
from panel.reviews.types import LCSPR_DECISION_KEY
from panel.screening import service as screening
from panel.screening.rules import LCSPR_CONSIDERATIONS

ABUSE = {"known": "known", "suspected": "suspected", "no": "not known or suspected"}


def _age(r: Referral) -> int | None:
    """The age in years at the incident: from the age given, or worked out from the date of birth
    (which itself never goes into the draft)."""
    if r.child_age_years is not None:
        return r.child_age_years
    if r.child_dob and r.incident_date:
        d, b = r.incident_date, r.child_dob
        return max(0, d.year - b.year - ((d.month, d.day) < (b.month, b.day)))
    return None


def _agencies(s: Session, rv: Review, r: Referral) -> list[dict]:
    """Each agency asked for something on this review, with each request as the record has it (its
    kind, when due, when it arrived, the summary's words, the title of the document that answered
    it), then each agency the referral named that has not been asked."""
    out: dict[int, dict] = {}
    rows = s.exec(select(AgencyRequest, Agency.name, Document.title)
                  .join(Agency, Agency.id == AgencyRequest.agency_id)
                  .join(Document, Document.id == AgencyRequest.document_id, isouter=True)
                  .where(AgencyRequest.review_id == rv.id).order_by(Agency.name, AgencyRequest.id)).all()
    for req, name, title in rows:
        a = out.setdefault(req.agency_id, {"name": name, "asked": [], "requests": []})
        kind = REQUEST_KINDS.get(req.kind, req.kind)
        a["asked"].append(kind.lower())
        a["requests"].append({"kind": kind, "due_on": req.due_on, "received_on": req.received_on,
                              "summary": req.summary or "", "document": title or ""})
    named = s.exec(select(Agency).join(ReferralAgency, ReferralAgency.agency_id == Agency.id)
                   .where(ReferralAgency.referral_id == r.id).order_by(Agency.name)).all()
    for ag in named:
        out.setdefault(ag.id, {"name": ag.name, "asked": [], "requests": []})
    return list(out.values())


def _milestone(s: Session, review_id: int, key: str) -> date | None:
    m = s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == review_id,
                                             ReviewMilestone.key == key)).first()
    return m.actual_on if m else None


def facts_of(s: Session, actor: Actor, rv: Review, kind: str) -> RecordFacts:
    """The record's facts for drafting `kind` on `rv`. The family's involvement is read only for an
    actor who may see it (`family.read`, docs/domain.md §6.3): otherwise the section asks for it."""
    r = s.get(Referral, rv.referral_id)
    notified = rv.notified_on or screening.first_notified_on(s, r.id)
    result, _ = screening.assess_facts(screening.facts_of(r, notified))
    decision = s.get(Decision, rv.decision_id)
    rationale = decision.rationale if decision else ""
    if decision and decision.departure_rationale:
        rationale += f"\nIt departs from the criteria because {decision.departure_rationale}"
    answers = json.loads(rv.lcspr_considerations or "{}")
    f = RecordFacts(
        reference=rv.reference, identifiers=case_identifiers(s, rv), incident_date=r.incident_date,
        aware_on=r.aware_on, notified_on=notified, started_on=rv.started_on, age_years=_age(r),
        sex=SEX.get(r.child_sex, "").lower() if r.child_sex in ("female", "male") else "",
        harm=r.harm, abuse_or_neglect=ABUSE.get(r.abuse_or_neglect, ""),
        circumstances=[text for flag, text in ((r.looked_after, "looked after"),
                                               (r.child_protection_plan, "on a child protection plan"),
                                               (r.known_to_csc, "known to children's social care")) if flag],
        incident_summary=r.incident_summary or "",
        # The criteria met: those not met say what the case is not, which the report does not need.
        screening_reasons=[x for x in (result["reasons"] if result else []) if ": not met" not in x],
        rationale=rationale,
        agencies=_agencies(s, rv, r),
        considerations=[(text, CONSIDERATION_ANSWERS.get(answers.get(key), "")) for key, text in LCSPR_CONSIDERATIONS],
        lcspr_decision=LCSPR_DECISIONS.get(rv.lcspr_decision or "", ""),
        lcspr_decided_on=_milestone(s, rv.id, LCSPR_DECISION_KEY) if rv.lcspr_decision else None,
        sign_offs={so.partner: {"signed_by": so.signed_by, "signed_on": so.signed_on} for so in s.exec(
            select(SignOff).where(SignOff.review_id == rv.id, SignOff.subject == kind))},
    )
    if kind == "terms_of_reference":
        rapid = s.get(Review, rv.rapid_review_id) if rv.rapid_review_id else None
        if rapid is not None:  # the LCSPR's lines of enquiry start from the rapid review's reg.11 answers
            answers = json.loads(rapid.lcspr_considerations or "{}")
            f.considerations = [(text, CONSIDERATION_ANSWERS.get(answers.get(key), ""))
                                for key, text in LCSPR_CONSIDERATIONS]
        if actor.can("family.read", rv.partnership_id):
            f.family = [{"event": FAMILY_EVENTS.get(x.event, x.event).lower(), "happened_on": x.happened_on}
                        for x in s.exec(select(FamilyInvolvement).where(FamilyInvolvement.review_id == rv.id)
                                        .order_by(FamilyInvolvement.happened_on, FamilyInvolvement.id))]
        f.processes = [{"kind": PROCESS_KINDS.get(p.kind, p.kind), "status": PROCESS_STATUSES.get(p.status, p.status),
                        "next_event": p.next_event or "", "next_on": p.next_on}
                       for p in s.exec(select(ParallelProcess).where(ParallelProcess.review_id == rv.id)
                                       .order_by(ParallelProcess.id))]
        f.milestones = [{"name": m.name, "planned": m.planned_on, "actual": m.actual_on}
                        for m in s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id)
                                        .order_by(ReviewMilestone.position))]
    return f
