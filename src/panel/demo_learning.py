"""The demo's learning: findings, recommendations, actions and theme tags (DOMAIN §7).

Called by the demo loader after `demo_history.add_history`, inside its transaction, so the
reviews exist. Written straight into the session (the services each open their own
transaction), shaped as the services would leave it. Everything is fictional and deterministic:
all randomness comes from the loader's `rng`, and rows are visited in id order. The texts are in
the style of published case reviews' learning and name nobody: "the baby", "the mother".

Guarantees the pages and tests rely on, whatever the rng:
- "domestic abuse" is recorded in at least four Northbrook (NB) reviews started in the three
  years to `today`, so it is a recurring theme there (panel.themes.recurring);
- at least two live accepted NB referrals carry "domestic abuse", so the screening page shows
  a recurring theme;
- every partnership also has learning from other sources: child death review learning and an
  inter-agency case file audit;
- some actions are overdue, some closed with evidence of impact.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from panel.models import (
    Action,
    ActionNote,
    Agency,
    Finding,
    Membership,
    Partnership,
    Recommendation,
    RecommendationAgency,
    Referral,
    Review,
    ReviewMilestone,
    ReviewType,
    Theme,
    ThemeTag,
)
from panel.services.themes import seed_taxonomy
from panel.themes import window_start

DA = "domestic abuse"
RECURRING_IN = "NB"
RECURRING_REVIEWS = 4  # one more than the rule needs, so the demo keeps it with a day's drift

# Themes read from a referral's incident summary: (words in the summary, themes).
INCIDENT_THEMES = [
    ("non-accidental injury", ["non-accidental injury in babies", "bruising protocol / injuries in young children",
                               "\"invisible\" men and fathers"]),
    ("co-sleeping", ["sudden unexpected death in infancy", "substance misuse", "whole-family assessment"]),
    ("skull fracture", ["non-accidental injury in babies", "contradictory medical opinion and thorough examination",
                        "professional curiosity"]),
    ("criminal exploitation", ["criminal exploitation", "missing children", "suicide and self-harm"]),
    ("domestic abuse", [DA, "\"invisible\" men and fathers", "information sharing"]),
    ("malnourished", ["neglect", "disability", "the child's voice and lived experience"]),
    ("suicide", ["suicide and self-harm", "online harm", "mental health"]),
    ("sexually abused", ["critical thinking and escalation", "the child's voice and lived experience"]),
    ("road traffic", ["recording"]),
    ("scald", ["early help", "neglect"]),
    ("stabbed", ["criminal exploitation", "youth justice", "children not in school"]),
    ("house fire", ["neglect", "homeless families and moves across borders", "information sharing"]),
]
CROSS_CUTTING = ["information sharing", "professional curiosity", "recording", "risk assessment",
                 "supervision and workload", "the child's voice and lived experience"]

CSC, EH, POL, ICB, ACUTE, HV, MH, AMB, EDU, PROB, YJS, HOUS = (
    "Children's social care", "Early help", "Police", "Integrated care board", "Acute hospital trust",
    "Community health (health visiting)", "Mental health trust", "Ambulance service", "Schools and education",
    "Probation service", "Youth justice service", "Housing")

# fmt: off
FINDINGS = {
    DA: [
        "Domestic abuse was seen as an adult issue. Practitioners focused on the mother's safety and did not consider what the child saw and heard at home.",
        "Police call-outs for domestic abuse were not shared with health visiting or the school, so no one had the whole picture of the risk to the children.",
        "Risk assessments were completed once, at the first incident, and not reviewed when the abuse escalated and the couple reconciled.",
        "Practitioners accepted the mother's account that the relationship had ended without checking it, although the partner was still seen at the home.",
    ],
    "information sharing": [
        "Each agency held part of the picture. Information was shared in response to requests rather than proactively, and no agency brought it together.",
        "Practitioners were unsure whether they could share information without consent, and this delayed referrals to children's social care.",
        "Strategy discussions did not include health and education, although both held information relevant to the decision.",
    ],
    "professional curiosity": [
        "Explanations for injuries and missed appointments were accepted at face value. Practitioners did not ask the next question or check what they were told.",
        "Professional optimism about the family's progress meant that new concerns were interpreted as isolated events rather than as part of a pattern.",
    ],
    "\"invisible\" men and fathers": [
        "The mother's partner lived in the household for most of the period reviewed but was not known to any agency, and his history was never checked.",
        "Fathers were not invited to assessments or meetings; the focus on the mother meant that the risk and the support offered by the men in the child's life were not assessed.",
    ],
    "non-accidental injury in babies": [
        "A bruise on a baby who was not yet mobile was noticed at a routine contact but not referred, because the explanation given seemed plausible.",
        "The baby had been seen by several professionals in the weeks before the injury; the significance of small, earlier injuries was not recognised.",
    ],
    "bruising protocol / injuries in young children": [
        "Not every practitioner knew the partnership's bruising protocol, and those who did were not confident about when it applied to babies under six months.",
        "Marks on a young child were recorded in the notes without a body map, so later practitioners could not compare them or see that they recurred.",
    ],
    "contradictory medical opinion and thorough examination": [
        "Two medical opinions about the cause of the injury differed, and the difference was not resolved before the child returned home.",
        "The child protection medical did not include a skeletal survey, although the guidance for a child of that age says it should.",
    ],
    "neglect": [
        "Neglect built up over years through many small concerns. Each was responded to separately and the cumulative harm to the children was not recognised.",
        "Case closures followed short periods of improvement, and each new referral started again without the family's history ('start again syndrome').",
        "The home conditions were described in records but their impact on the children's health, development and daily life was not assessed.",
    ],
    "homeless families and moves across borders": [
        "The family moved between temporary accommodation in three local authority areas in a year; records and plans did not follow them and each area started afresh.",
        "When the family moved out of the area, the case was closed on the assumption that the new area would pick it up; no transfer conference took place.",
    ],
    "transitions between areas": [
        "Health records did not transfer promptly when the family registered with a new GP practice in another area, so the new health visitor was unaware of earlier concerns.",
    ],
    "the child's voice and lived experience": [
        "The children were rarely seen alone, and what daily life was like for them was not recorded; plans were about the adults' needs.",
        "The child's behaviour at school was treated as a discipline matter rather than as a possible sign of what was happening at home.",
    ],
    "critical thinking and escalation": [
        "Practitioners who disagreed with decisions to close the case did not use the escalation policy, and their concerns were not recorded.",
        "Concerns raised by the school were not escalated when the referral did not lead to an assessment.",
    ],
    "criminal exploitation": [
        "The young person's missing episodes, new possessions and changing friendships were signs of criminal exploitation that were not linked together.",
        "Responses treated the young person as an offender rather than as a child being exploited, and the contextual risks outside the home were not assessed.",
    ],
    "missing children": [
        "Return home interviews were offered after only some missing episodes, and the information from them was not shared with the police or the school.",
    ],
    "suicide and self-harm": [
        "Earlier self-harm was treated as a single episode, and the young person's access to support after discharge from the emergency department was not followed up.",
        "Agencies did not have a shared understanding of the young person's risk of suicide, and the safety plan was not shared with the school.",
    ],
    "online harm": [
        "Practitioners did not ask about the young person's life online, although bullying had moved from school to social media.",
    ],
    "mental health": [
        "The parent's mental ill-health was known to adult services, but its impact on the parent's capacity to care for the children was not considered.",
    ],
    "sudden unexpected death in infancy": [
        "Safer sleep advice was given at birth but not repeated when the family's circumstances changed, including when the parents were drinking.",
    ],
    "substance misuse": [
        "Parental alcohol and drug use was known to the treatment service, which did not know that the adults cared for a baby.",
    ],
    "disability": [
        "The child's disability was seen as the explanation for weight loss and missed appointments, which masked neglect.",
    ],
    "children not in school": [
        "The young person had not attended school for most of a year; the absence was not treated as a safeguarding concern.",
    ],
    "youth justice": [
        "Youth justice, children's social care and the school each had plans for the young person, but the plans were not joined up.",
    ],
    "recording": [
        "Key decisions and their reasons were not recorded, so later practitioners could not see why concerns had not been acted on.",
    ],
    "risk assessment": [
        "Risk was assessed at a single point in time and not reviewed when circumstances changed.",
    ],
    "early help": [
        "The family was offered early help, but the offer was withdrawn when they did not engage, without considering whether a referral to children's social care was needed.",
    ],
    "whole-family assessment": [
        "Assessments looked at each adult separately; the combined effect of the parents' needs on the care of the baby was not assessed.",
    ],
    "supervision and workload": [
        "High caseloads and changes of social worker meant that supervision focused on tasks, with little time for reflection on the risks to the children.",
    ],
    "disguised compliance": [
        "The parents attended appointments and agreed with plans, but nothing changed for the children; their apparent co-operation reassured professionals.",
    ],
}
GENERIC_FINDING = ("Agencies worked hard with the family, but their work was not joined up: each held part of the "
                   "picture and no one stepped back to look at the whole.")

RECS = {
    DA: [
        ("The partnership should be assured that agencies ask about domestic abuse routinely and safely, and consider its impact on every child in the household.", [POL, CSC, HV]),
        ("Police should share every domestic abuse incident where a child lives in the household with health visiting, the school and children's social care within one working day (Operation Encompass).", [POL, EDU, HV]),
        ("Agencies should review DASH risk assessments whenever there is a further incident or the couple reconcile.", [POL, CSC, PROB]),
    ],
    "information sharing": [
        ("The partnership should remind practitioners that they may share information without consent when a child is at risk of significant harm, and test that the guidance is understood.", [CSC, ICB, EDU]),
        ("Strategy discussions should routinely include health and education.", [CSC, POL, ICB]),
    ],
    "professional curiosity": [
        ("Agencies should include professional curiosity and respectful challenge in their safeguarding training and supervision.", [CSC, ICB, EDU]),
    ],
    "\"invisible\" men and fathers": [
        ("Assessments should identify and engage fathers and every adult in the household, and check their history.", [CSC, HV, PROB]),
        ("Maternity and health visiting should ask about and record fathers and partners at every contact.", [ACUTE, HV]),
    ],
    "non-accidental injury in babies": [
        ("Every practitioner in contact with babies should know that any bruise on a non-mobile baby needs a safeguarding referral.", [HV, ACUTE, AMB]),
    ],
    "bruising protocol / injuries in young children": [
        ("The partnership should relaunch the bruising protocol and audit its use in emergency departments and primary care.", [ACUTE, ICB, HV]),
    ],
    "contradictory medical opinion and thorough examination": [
        ("Differences of medical opinion about an injury should be resolved at a professionals' meeting before any decision about the child's return home.", [ACUTE, ICB, CSC]),
    ],
    "neglect": [
        ("The partnership should adopt a neglect assessment tool and train practitioners to use it to show cumulative harm over time.", [CSC, EH, HV, EDU]),
        ("Case closure should consider the family's history and the risk of drift, not only the most recent period.", [CSC, EH]),
    ],
    "homeless families and moves across borders": [
        ("Agencies should follow the protocol for families who move across local authority borders, including a transfer conference for children with a plan.", [CSC, HOUS, ICB]),
        ("Housing should notify children's social care and health visiting when a family with a child subject to a plan is placed out of area.", [HOUS, CSC, HV]),
    ],
    "transitions between areas": [
        ("Health records should transfer within five working days when a family with safeguarding concerns moves area.", [ICB, HV]),
    ],
    "the child's voice and lived experience": [
        ("Agencies should see children alone and record what daily life is like for them in every assessment and plan.", [CSC, EDU, HV]),
    ],
    "critical thinking and escalation": [
        ("The partnership should relaunch its escalation policy and record every use of it.", [CSC, EDU, ICB, POL]),
    ],
    "criminal exploitation": [
        ("The partnership should develop a contextual safeguarding response to criminal exploitation, with a shared screening tool.", [CSC, POL, YJS, EDU]),
    ],
    "missing children": [
        ("Return home interviews should be offered after every missing episode and their information shared with the police and the school.", [CSC, POL, EDU]),
    ],
    "suicide and self-harm": [
        ("Young people who attend the emergency department after self-harm should have a follow-up appointment and a safety plan shared with the school and GP.", [ACUTE, MH, EDU]),
    ],
    "online harm": [
        ("Practitioners should ask children about their life online as part of every assessment.", [CSC, EDU, MH]),
    ],
    "mental health": [
        ("Adult mental health services should ask about children in the household and consider parenting capacity in every care plan.", [MH, CSC]),
    ],
    "sudden unexpected death in infancy": [
        ("Safer sleep advice should be repeated at every contact when the family's circumstances change.", [HV, ACUTE, CSC]),
    ],
    "substance misuse": [
        ("Substance misuse services should ask about children and caring responsibilities at assessment and review.", [ICB, MH]),
    ],
    "disability": [
        ("Practitioners should not let a child's disability explain away signs of neglect; health assessments should compare growth over time.", [ICB, ACUTE, CSC]),
    ],
    "children not in school": [
        ("Persistent absence from school should be treated as a possible safeguarding concern and discussed with children's social care.", [EDU, CSC]),
    ],
    "youth justice": [
        ("Youth justice and children's social care plans for the same young person should be joined into one plan.", [YJS, CSC]),
    ],
    "recording": [
        ("Agencies should record decisions and the reasons for them, including decisions to take no further action.", [CSC, POL, ICB]),
    ],
    "risk assessment": [
        ("Risk assessments should be reviewed whenever circumstances change, and at least at every review meeting.", [CSC, POL]),
    ],
    "early help": [
        ("Before closing an early help offer that was not taken up, the service should consider whether a referral to children's social care is needed.", [EH, CSC]),
    ],
    "whole-family assessment": [
        ("Assessments should consider the combined effect of parental needs on the care of the child (whole-family approach).", [CSC, MH, ICB]),
    ],
    "supervision and workload": [
        ("Agencies should make sure safeguarding supervision includes reflective time on risk, and report caseloads to the partnership quarterly.", [CSC, ICB, HV]),
    ],
    "disguised compliance": [
        ("Plans should set out what will change for the child, so that progress is measured by outcomes rather than attendance.", [CSC, HV]),
    ],
}
GENERIC_REC = ("The partnership should share the learning from this review through a 7-minute briefing and test "
               "its impact on practice.", [CSC, POL, ICB])

ACTIONS = [
    "Deliver a 7-minute briefing on this learning to every frontline team and record attendance.",
    "Audit 20 case records against the revised guidance and report the results to the Learning and Improvement Committee.",
    "Update the single-agency safeguarding procedure to reflect the recommendation.",
    "Add the learning to the level 3 safeguarding training and evaluate it three months after delivery.",
    "Add a prompt to the supervision template and check its use in a sample of supervision records.",
    "Hold a practitioner learning event with partner agencies on this theme.",
    "Revise the referral form so that the information is asked for at every referral.",
    "Report progress to the partnership's quality assurance group each quarter until the audit shows change.",
]
EVIDENCE = [
    "Re-audit of {n} cases in {month} found {pct}% now meet the standard, up from {base}% at the time of the review.",
    "Practitioner survey after the briefings: {pct}% could describe the revised procedure, and it was used in every strategy discussion sampled in {month}.",
    "Supervision audit in {month}: the new prompt was recorded in {pct}% of sampled supervision notes (baseline {base}%).",
    "Quarterly data to {month} show the share of referrals with this information rose from {base}% to {pct}%.",
    "Multi-agency audit in {month} of {n} families found the change embedded in {pct}% of cases; the learning is in induction.",
]
NOTES = [
    "Briefing delivered to three of five teams; the remaining sessions are booked.",
    "Draft procedure circulated to partner agencies for comment.",
    "Audit tool agreed; sample of case records selected.",
    "Training materials updated; first session delivered.",
    "Delayed by staff vacancies; a new date agreed with the committee.",
]
ROLES = {
    CSC: ["Head of service, children's social care", "Principal social worker"],
    EH: ["Early help service manager"],
    POL: ["Detective chief inspector, public protection", "Head of public protection"],
    ICB: ["Designated nurse for safeguarding children", "Designated doctor for safeguarding children"],
    ACUTE: ["Named nurse for safeguarding", "Named doctor for safeguarding children"],
    HV: ["Named nurse for safeguarding", "Health visiting service lead"],
    MH: ["Named professional for safeguarding children"],
    AMB: ["Safeguarding lead, ambulance service"],
    EDU: ["Education safeguarding lead"],
    PROB: ["Head of public protection, probation"],
    YJS: ["Youth justice service manager"],
    HOUS: ["Housing options manager"],
}
OTHER_SOURCES = [  # (source kind, title, themes of its findings)
    ("child_death_review", "Child death overview panel: learning from infant deaths",
     [["sudden unexpected death in infancy", "substance misuse"], ["non-accidental injury in babies", "recording"]]),
    ("case_file_audit", "Inter-agency case file audit: neglect",
     [["neglect", "the child's voice and lived experience"], [DA, "information sharing"]]),
]
# fmt: on


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "." for c in text.lower()).strip(".").replace("..", ".")


class _Learning:
    def __init__(self, s: Session, rng: random.Random, today: date, parts: dict[str, Partnership]):
        self.s, self.rng, self.today = s, rng, today
        self.parts = parts
        self.codes = {p.id: code for code, p in parts.items()}
        self.counts: Counter[str] = Counter()
        self.theme_ids = {n: i for i, n in s.exec(select(Theme.id, Theme.name).where(Theme.active == True))}  # noqa: E712
        self.agencies = {n: i for i, n in s.exec(select(Agency.id, Agency.name).order_by(Agency.id))}
        self.closers: dict[int, list[int]] = {}
        self.members: dict[int, list[int]] = {}
        for pid, uid, role in s.exec(select(Membership.partnership_id, Membership.user_id, Membership.role)
                                     .order_by(Membership.partnership_id, Membership.user_id)):
            if role in ("chair", "manager"):
                self.closers.setdefault(pid, []).append(uid)
            if role in ("chair", "member", "manager"):
                self.members.setdefault(pid, []).append(uid)

    # -- tags ---------------------------------------------------------------------------------
    def tag(self, entity: str, entity_id: int, themes: list[str]) -> None:
        seen = []
        for name in themes:
            tid = self.theme_ids.get(name)
            if tid is not None and tid not in seen:
                seen.append(tid)
                self.s.add(ThemeTag(theme_id=tid, entity=entity, entity_id=entity_id))
                self.counts["theme tags"] += 1

    # -- findings, recommendations, actions ------------------------------------------------------
    def finding(self, pid: int, review_id: int | None, recorded_on: date, themes: list[str],
                source_kind: str = "review", source_title: str | None = None, closed: bool = True) -> None:
        options = FINDINGS.get(themes[0], [GENERIC_FINDING])
        f = Finding(partnership_id=pid, review_id=review_id, source_kind=source_kind, source_title=source_title,
                    recorded_on=recorded_on, text=self.rng.choice(options))
        self.s.add(f)
        self.s.flush()
        self.tag("finding", f.id, themes)
        self.counts["findings"] += 1
        for _ in range(self.rng.randint(1, 3) if closed else 1):
            self.recommendation(f, themes, closed)

    def recommendation(self, f: Finding, themes: list[str], closed: bool) -> None:
        primary = themes[0] if self.rng.random() < 0.7 or len(themes) == 1 else self.rng.choice(themes[1:])
        text, targets = self.rng.choice(RECS.get(primary, [GENERIC_REC]))
        recorded = min(self.today, f.recorded_on + timedelta(days=self.rng.randint(0, 14)))
        r = Recommendation(partnership_id=f.partnership_id, finding_id=f.id, review_id=f.review_id, text=text,
                           recorded_on=recorded)
        self.s.add(r)
        self.s.flush()
        agency_ids = [self.agencies[a] for a in targets if a in self.agencies] or [next(iter(self.agencies.values()))]
        for a in agency_ids:
            self.s.add(RecommendationAgency(recommendation_id=r.id, agency_id=a))
        self.tag("recommendation", r.id, [primary] + [t for t in themes if t != primary][: self.rng.randint(0, 1)])
        self.counts["recommendations"] += 1
        if closed:
            names = {i: n for n, i in self.agencies.items()}
            for _ in range(self.rng.randint(1, 3)):
                self.action(r, names[self.rng.choice(agency_ids)])

    def action(self, r: Recommendation, agency: str) -> None:
        rng, today = self.rng, self.today
        due = r.recorded_on + timedelta(days=rng.randint(60, 420))
        age = (today - due).days
        if age > 90:
            status = rng.choices(["closed", "completed", "in_progress", "open"], [75, 10, 10, 5])[0]
        elif age > 0:
            status = rng.choices(["closed", "completed", "in_progress", "open"], [40, 20, 30, 10])[0]
        else:
            status = rng.choices(["open", "in_progress", "completed"], [40, 50, 10])[0]
        role = rng.choice(ROLES.get(agency, ["Safeguarding lead"]))
        code = self.codes[r.partnership_id].lower()
        a = Action(partnership_id=r.partnership_id, recommendation_id=r.id, owner_agency_id=self.agencies[agency],
                   owner_name=role, owner_email=f"{_slug(role)}.{code}@example.org", text=rng.choice(ACTIONS),
                   due_on=due, status=status)
        if status == "closed":
            a.closed_on = min(today, max(r.recorded_on + timedelta(days=30), due + timedelta(days=rng.randint(-45, 40))))
            month = a.closed_on - timedelta(days=rng.randint(5, 40))
            base = rng.randint(20, 55)
            a.evidence_of_impact = rng.choice(EVIDENCE).format(n=rng.choice([12, 20, 25, 30]), month=f"{month:%B %Y}",
                                                               pct=rng.randint(base + 20, 98), base=base)
            closers = self.closers.get(r.partnership_id, [])
            a.closed_by_id = closers[rng.randrange(len(closers))] if closers else None
        self.s.add(a)
        self.s.flush()
        self.counts["actions"] += 1
        self.counts[f"{status} actions"] += 1
        self.counts["overdue actions"] += status != "closed" and due < today
        members = self.members.get(r.partnership_id, [])
        if status in ("in_progress", "completed", "closed"):
            when = min(today, r.recorded_on + timedelta(days=rng.randint(20, 60)))
            self.s.add(ActionNote(action_id=a.id, at=datetime.combine(when, time(11), tzinfo=UTC),
                                  by_id=members[rng.randrange(len(members))] if members else None,
                                  text=rng.choice(NOTES)))
        if status == "closed":
            self.s.add(ActionNote(action_id=a.id, at=datetime.combine(a.closed_on, time(15), tzinfo=UTC),
                                  by_id=a.closed_by_id, text=f"Closed with evidence of impact: {a.evidence_of_impact}"))

    # -- reviews ------------------------------------------------------------------------------
    def review_themes(self, summary: str) -> list[str]:
        low = summary.lower()
        themes: list[str] = []
        for words, names in INCIDENT_THEMES:
            if words in low:
                themes += [n for n in names if n not in themes]
        if not themes:
            themes = ["information sharing", "professional curiosity"]
        if DA not in themes and self.rng.random() < 0.3:
            themes.append(DA)
        if self.rng.random() < 0.4:
            extra = self.rng.choice(CROSS_CUTTING)
            if extra not in themes:
                themes.append(extra)
        return themes

    def reviews(self) -> None:
        pids = [p.id for p in self.parts.values()]
        ends = dict(self.s.exec(select(ReviewMilestone.review_id, func.max(ReviewMilestone.actual_on))
                                .group_by(ReviewMilestone.review_id)).all())
        rows = self.s.exec(select(Review, Referral.incident_summary, ReviewType.key)
                           .join(Referral, Referral.id == Review.referral_id)
                           .join(ReviewType, ReviewType.id == Review.review_type_id)
                           .where(Review.partnership_id.in_(pids), Review.status != "superseded")
                           .order_by(Review.id)).all()
        planned = [(rv, key, self.review_themes(summary)) for rv, summary, key in rows]
        self.ensure_recurring(planned)
        for rv, key, themes in planned:
            self.tag("review", rv.id, themes)
            end = ends.get(rv.id) or rv.started_on
            closed = rv.status == "closed"
            if closed:
                n = self.rng.randint(3, 4) if key in ("lcspr", "scr") else self.rng.randint(2, 3)
            else:
                n = 1 if end > rv.started_on else 0
            for i in range(n):
                primary = themes[i % len(themes)]
                others = [t for t in themes if t != primary]
                picked = [primary] + self.rng.sample(others, min(len(others), self.rng.randint(0, 2)))
                self.finding(rv.partnership_id, rv.id, min(self.today, end), picked, closed=closed)

    def ensure_recurring(self, planned: list[tuple[Review, str, list[str]]]) -> None:
        """Domestic abuse in at least RECURRING_REVIEWS recent NB reviews, whatever the rng chose;
        added to the newest reviews first, as the first theme so they have a finding about it."""
        p = self.parts.get(RECURRING_IN)
        if p is None:
            return
        start = window_start(self.today)
        recent = sorted([x for x in planned if x[0].partnership_id == p.id and start <= x[0].started_on <= self.today],
                        key=lambda x: (x[0].started_on, x[0].id), reverse=True)
        have = sum(DA in themes for _, _, themes in recent)
        for _, _, themes in recent:
            if have >= RECURRING_REVIEWS:
                break
            if DA not in themes:
                themes.insert(0, DA)
                have += 1
            elif themes[0] != DA:
                themes.remove(DA)
                themes.insert(0, DA)

    # -- other learning sources -------------------------------------------------------------------
    def other_sources(self) -> None:
        for p in self.parts.values():
            for kind, title, theme_sets in OTHER_SOURCES:
                years_ago = self.rng.randint(1, 3)
                day = self.today - timedelta(days=365 * years_ago + self.rng.randint(0, 200))
                for themes in theme_sets:
                    self.finding(p.id, None, day, list(themes), source_kind=kind,
                                 source_title=f"{title} ({day.year})", closed=True)

    # -- referrals ----------------------------------------------------------------------------------
    def referrals(self) -> None:
        """Themes on live accepted referrals, read from their incident summaries; at least two in
        NB carry domestic abuse so the screening page shows a recurring theme."""
        for code, p in self.parts.items():
            live = self.s.exec(select(Referral).where(Referral.partnership_id == p.id, Referral.status == "accepted")
                               .order_by(Referral.id)).all()
            plans = []
            for r in live:
                low = r.incident_summary.lower()
                themes = []
                for words, names in INCIDENT_THEMES:
                    if words in low:
                        themes += [n for n in names[:2] if n not in themes]
                plans.append((r, themes))
            if code == RECURRING_IN:
                have = sum(DA in t for _, t in plans)
                for _, themes in plans:
                    if have >= 2:
                        break
                    if DA not in themes:
                        themes.append(DA)
                        have += 1
            for r, themes in plans:
                self.tag("referral", r.id, themes)


def add_learning(session: Session, rng: random.Random, today: date, parts: dict[str, Partnership]) -> dict[str, int]:
    """Seed the theme taxonomy (if missing) and add the demo's learning; returns counts by kind."""
    added = seed_taxonomy(session)
    session.flush()
    learning = _Learning(session, rng, today, parts)
    learning.reviews()
    learning.other_sources()
    learning.referrals()
    session.flush()
    c = learning.counts
    return {"themes": added, "findings": c["findings"], "recommendations": c["recommendations"],
            "actions": c["actions"], "closed actions": c["closed actions"], "overdue actions": c["overdue actions"],
            "theme tags": c["theme tags"]}
