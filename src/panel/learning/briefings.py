"""7-minute briefings: drafted from a review's record, edited on the page, checked for what would
identify the child, then downloaded as a one-page Word document (docs/domain.md §2, §8).

The draft never copies child details: the background comes from the review type and dates, the
findings and recommendations from the learning record. The anonymisation check still runs on
every section, because people type into them. A download is a disclosure, so it is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from panel.core import anonymise, audit
from panel.core.access import Actor
from panel.core.anonymise import Hit, Identifiers
from panel.core.db import read_session, transaction
from panel.learning import briefing as doc
from panel.models import (
    Action,
    Agency,
    Finding,
    Partnership,
    Recommendation,
    Referral,
    ReferralAgency,
    Review,
    ReviewMilestone,
    ReviewType,
    Theme,
    ThemeTag,
    User,
)

NOT_FOUND = "No review with that reference is open to you."
SECTIONS = doc.SECTIONS
MAX_RECOMMENDATIONS = 5

WHY_IT_MATTERS = {
    "rapid_review": (
        "Every serious incident notified to the National Panel gets a rapid review. Partners look "
        "quickly at what happened, what can be learnt straight away, and whether a Local Child "
        "Safeguarding Practice Review is needed."),
    "lcspr": (
        "A Local Child Safeguarding Practice Review is held when a case raises issues of importance to "
        "the area. It looks for improvements that will safeguard and promote the welfare of children, "
        "not for blame."),
    "scr": (
        "A Serious Case Review was held because abuse or neglect was known or suspected, a child died or "
        "was seriously harmed, and there was concern about how agencies worked together."),
}
WHY_DEFAULT = ("Reviews exist to change practice. This review looked at how agencies worked together "
               "for Child X, and what would help the next child in a similar situation.")
# Practice reminders for common themes (docs/domain.md §7), matched on the theme's name.
THEME_REMINDERS = {
    "domestic abuse": "Ask about domestic abuse directly and safely, and think about the impact on the child.",
    "information sharing": "Share information: safeguarding the child is a lawful reason to share.",
    "professional curiosity": "Be professionally curious: check what you are told, and ask what it means for the child.",
    "the child's voice and lived experience": "See and speak to the child: record what daily life is like for them.",
    "\"invisible\" men and fathers": "Find out who else lives in or visits the home, including fathers and partners.",
    "critical thinking and escalation": "If you disagree with a decision, escalate it: use the escalation policy.",
    "neglect": "Look at the whole picture over time: neglect builds up across many small concerns.",
    "non-accidental injury in babies": "Any bruise on a baby who is not yet mobile needs a safeguarding response.",
    "mental health": "Think about how a parent's mental health affects their capacity to care for the child.",
    "parental mental health": "Think about how a parent's mental health affects their capacity to care for the child.",
    "substance misuse": "Ask how drug or alcohol use affects the care the child receives.",
    "recording": "Record clearly what you saw, what you did and why.",
}
GENERAL_REMINDERS = (
    "Keep the child at the centre: what is life like for them?",
    "Share information with partners when you are worried: do not assume someone else has.",
    "Use the escalation policy when you disagree with another agency's decision.",
)
REFLECTIVE_QUESTIONS = (
    "What would you do differently tomorrow, having read this briefing?",
    "How do you hear and record the child's voice in your work?",
    "When did you last escalate a concern, and what helped or got in the way?",
)


@dataclass
class Draft:
    reference: str
    partnership_name: str
    type_name: str
    year: int
    title: str
    sections: dict[str, str]  # the seven sections, keyed as panel.learning.briefing.SECTION_KEYS, in order
    findings: int  # how many findings the review's record holds
    recommendations: int


def _review(s: Session, actor: Actor, reference: str) -> Review:
    rv = s.exec(select(Review).where(Review.reference == (reference or "").strip().upper())).first()
    if rv is not None and actor.can("learning.read", rv.partnership_id):
        return rv
    raise audit.not_found(actor, "review", reference, NOT_FOUND, what="briefing for")


def choices(actor: Actor, limit: int = 500) -> list[dict]:
    """Reviews the actor may write a briefing for, newest first: reference, type, year, partnership."""
    pids = actor.partnerships_with("learning.read")
    if not pids:
        return []
    with read_session() as s:
        rows = s.exec(select(Review.reference, ReviewType.name, Review.started_on, Partnership.code)
                      .join(ReviewType, ReviewType.id == Review.review_type_id)
                      .join(Partnership, Partnership.id == Review.partnership_id)
                      .where(Review.partnership_id.in_(pids), Review.status != "superseded")
                      .order_by(Review.started_on.desc(), Review.id.desc()).limit(limit)).all()
    return [{"reference": ref, "type": name, "year": started.year, "partnership": code}
            for ref, name, started, code in rows]


def case_identifiers(s: Session, rv: Review) -> Identifiers:
    """What would identify the review's child (see identifiers_for_review), inside a caller's session."""
    ref = s.get(Referral, rv.referral_id)
    u = s.get(User, ref.submitted_by_id) if ref.submitted_by_id else None
    return identifiers_of(ref, u.name if u else None)


def identifiers_of(ref: Referral, submitter: str | None) -> Identifiers:
    """A referral's identifiers; shared with panel.learning.case_detail, which reads many at once."""
    names = anonymise.names_in(ref.referrer_name)  # "name and role": the name, not the role
    if submitter:
        names.append(submitter)
    return Identifiers(initials=ref.child_initials, dob=ref.child_dob,
                       names=tuple(n for n in names if n and n.strip()))


def identifiers_for_review(actor: Actor, review_reference: str) -> Identifiers:
    """What would identify this review's child: initials and date of birth (the minimised data
    the referral holds) and the names recorded on the case: the personal name in the referral's
    "name and role" field (a bare job title such as "Team manager" is not a name), and the user
    who submitted it. For the anonymisation check only: never put in the briefing."""
    with read_session() as s:
        return case_identifiers(s, _review(s, actor, review_reference))


def _month(d: date | None) -> str:
    return f"{d:%B %Y}" if d else ""


def _bullets(lines) -> str:
    return "\n".join(f"- {line}" for line in lines)


def draft(actor: Actor, review_reference: str, record_view: bool = True) -> Draft:
    """The seven sections prefilled from the review's record, with no child details."""
    with read_session() as s:
        rv = _review(s, actor, review_reference)
        rtype = s.get(ReviewType, rv.review_type_id)
        pname = s.get(Partnership, rv.partnership_id).name
        done = {m.key: m.actual_on for m in s.exec(
            select(ReviewMilestone).where(ReviewMilestone.review_id == rv.id)) if m.actual_on}
        agencies = list(s.exec(select(Agency.name).join(ReferralAgency, ReferralAgency.agency_id == Agency.id)
                               .where(ReferralAgency.referral_id == rv.referral_id).order_by(Agency.name)))
        findings = list(s.exec(select(Finding).where(Finding.review_id == rv.id)
                               .order_by(Finding.recorded_on, Finding.id)))
        recs = list(s.exec(select(Recommendation).where(Recommendation.review_id == rv.id)
                           .order_by(Recommendation.recorded_on, Recommendation.id)))
        themes = list(s.exec(select(Theme.name).join(ThemeTag, ThemeTag.theme_id == Theme.id)
                             .where(ThemeTag.entity == "review", ThemeTag.entity_id == rv.id).order_by(Theme.name)))
        evidence = list(s.exec(select(Action.evidence_of_impact)
                               .join(Recommendation, Recommendation.id == Action.recommendation_id)
                               .where(Recommendation.review_id == rv.id, Action.status == "closed",
                                      Action.evidence_of_impact.is_not(None))
                               .order_by(Action.closed_on, Action.id).limit(2)))
    if record_view:
        with transaction() as s:
            audit.record(s, actor, "view", "review", rv.id, rv.partnership_id, detail="7-minute briefing draft")

    kind = "a statutory review" if rtype.statutory else "a review below the statutory threshold"
    background = [f"{rtype.name}, {kind}, held by {pname}. It began in {_month(rv.started_on)}."]
    if rv.status == "closed":
        ended = done.get("publication") or done.get("closure") or max(done.values(), default=None)
        background.append(f"The review concluded in {_month(ended)}." if ended else "The review has concluded.")
    elif rv.status == "open":
        background.append("The review is still in progress: this briefing shares the learning so far.")
    if agencies:
        background.append(f"Agencies involved: {', '.join(agencies)}.")
    background.append("The child is referred to as Child X.")

    why = WHY_IT_MATTERS.get(rtype.key, WHY_DEFAULT)
    if themes:
        why += f"\nThemes: {', '.join(t.lower() for t in themes)}."

    keyed = [f.text.strip() for f in findings]
    k1, k2, k3 = (keyed + ["", "", ""])[:3]
    if len(keyed) > 3:
        k3 = k3 + "\n" + _bullets(keyed[3:])

    remember = [THEME_REMINDERS[t.lower()] for t in themes if t.lower() in THEME_REMINDERS]
    remember = list(dict.fromkeys(remember))[:3] or list(GENERAL_REMINDERS)
    remember += [f"What has changed: {e.strip()}" for e in evidence]

    todo = [r.text.strip() for r in recs[:MAX_RECOMMENDATIONS]]
    what_to_do = (_bullets(todo) + "\n" if todo else "") + "Reflective questions:\n" + _bullets(REFLECTIVE_QUESTIONS)

    sections = {"background": " ".join(background), "why_it_matters": why, "key_findings_1": k1,
                "key_findings_2": k2, "key_findings_3": k3, "things_to_remember": _bullets(remember),
                "what_to_do": what_to_do}
    return Draft(reference=rv.reference, partnership_name=pname, type_name=rtype.name, year=rv.started_on.year,
                 title=doc.title_for(rtype.name, rv.started_on.year), sections=sections,
                 findings=len(findings), recommendations=len(recs))


def check_sections(sections: dict[str, str], identifiers: Identifiers) -> list[Hit]:
    """The anonymisation check on every section, in section order; each hit names its section."""
    hits: list[Hit] = []
    for key in doc.SECTION_KEYS:
        for h in anonymise.check(sections.get(key) or "", identifiers):
            hits.append(Hit(h.start, h.end, h.matched, h.kind, h.why, section=key))
    return hits


def build(actor: Actor, review_reference: str, sections: dict[str, str]) -> tuple[bytes, list[Hit]]:
    """The .docx bytes and the anonymisation hits found in `sections`. The download is
    audited as an export, with how many warnings the text still carried."""
    with read_session() as s:
        rv = _review(s, actor, review_reference)
        rtype = s.get(ReviewType, rv.review_type_id)
        pname = s.get(Partnership, rv.partnership_id).name
        ids = case_identifiers(s, rv)
    hits = check_sections(sections, ids)
    data = doc.build_docx(doc.title_for(rtype.name, rv.started_on.year),
                          {k: sections.get(k) or "" for k in doc.SECTION_KEYS}, subtitle=pname)
    with transaction() as s:
        audit.record(s, actor, "export", "review", rv.id, rv.partnership_id,
                     detail=f"7-minute briefing (docx): {len(hits)} anonymisation warning(s)")
    return data, hits
