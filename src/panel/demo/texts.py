"""What the demo's learning says: the fictional findings, recommendations, actions, evidence and
notes by theme, the agencies' roles, the themes read from an incident summary, and the demo's
fixed facts (which theme recurs where). Shared by the small demo (`panel.demo.learning`) and the
scale demo (`panel.demo.scale_learning`), so both tell the same kind of story. Everything is
invented, in the style of published case reviews' learning, and names nobody.
"""

from __future__ import annotations

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


def slug(text: str) -> str:
    """A name as a dotted lower-case handle; both demo sizes build usernames with it."""
    return "".join(c if c.isalnum() else "." for c in text.lower()).strip(".").replace("..", ".")
