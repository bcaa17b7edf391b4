"""Deterministic, fictional demo data (docs/domain.md §9 volumes): three partnerships, five years.

Decided referrals come with their screening history (notifications, signed decisions, reviews
and milestones: `panel.demo.history`), so every page has something to show.

Everything here is invented: partnership names, people and cases. Children appear only as
initials and age, as the product stores them. Dates are laid out relative to `today` so the
queue always has live clocks (red, amber and green) whenever the demo is loaded.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from panel.accounts.service import hash_password
from panel.core import audit, clock
from panel.core.access import SYSTEM
from panel.core.clock import is_working_day
from panel.core.db import transaction
from panel.demo import documents as demo_documents
from panel.demo import history as demo_history
from panel.demo import learning as demo_learning
from panel.models import (
    Agency,
    Membership,
    Partnership,
    Referral,
    ReferralAgency,
    ReferralLink,
    User,
)
from panel.referrals.rules import ETHNICITY, IDENTIFIED_BY, format_reference
from panel.reviews.types_service import seed_defaults

DEMO_PASSWORD = "panel-demo-2025"  # documented in the README; demo databases only
PARTNERSHIPS = [
    ("NB", "Northbrook Safeguarding Children Partnership"),
    ("EM", "Eastmere Safeguarding Children Partnership"),
    ("WV", "Westvale Safeguarding Children Partnership"),
]
AGENCIES = [
    ("Children's social care", "local_authority"),
    ("Early help", "local_authority"),
    ("Police", "police"),
    ("Integrated care board", "health"),
    ("Acute hospital trust", "health"),
    ("Community health (health visiting)", "health"),
    ("Mental health trust", "health"),
    ("Ambulance service", "health"),
    ("Schools and education", "education"),
    ("Probation service", "probation"),
    ("Youth justice service", "local_authority"),
    ("Housing", "local_authority"),
]
# The three statutory safeguarding partners (the local authority, the police, the ICB).
STATUTORY_PARTNERS = {"Children's social care", "Police", "Integrated care board"}
# (username, name, [(partnership, role)], agency, regional)
DEMO_USERS = [
    ("admin", "Alex Admin", [("NB", "admin"), ("EM", "admin"), ("WV", "admin")], None, False),
    ("chair", "Chris Chair", [("NB", "chair")], "Children's social care", False),
    ("member", "Morgan Member", [("NB", "member")], "Police", False),
    ("manager", "Mel Manager", [("NB", "manager")], None, False),
    ("referrer", "Robin Referrer", [("NB", "referrer")], "Schools and education", False),
    ("chair.em", "Casey Chair", [("EM", "chair")], "Integrated care board", False),
    ("member.em", "Max Member", [("EM", "member")], "Acute hospital trust", False),
    ("referrer.em", "Riley Referrer", [("EM", "referrer")], "Community health (health visiting)", False),
    # Regional only: anonymised learning across the partnerships, no role in any of them.
    ("regional", "Rowan Regional", [], None, True),
    ("chair.wv", "Sam Chair", [("WV", "chair")], "Police", False),
    ("manager.wv", "Sasha Manager", [("WV", "manager")], None, False),
]
REFERRER_NAMES = [
    "Designated safeguarding lead", "Named nurse for safeguarding", "Detective inspector",
    "Team manager", "Head of service", "Named GP", "Service manager", "Designated doctor",
]
INCIDENTS = [
    ("died", "known", "Infant found unresponsive at home; post-mortem findings of non-accidental injury. Family known to health visiting."),
    ("died", "suspected", "Unexpected death of an infant while co-sleeping; concerns about parental substance misuse."),
    ("serious_harm", "known", "Baby presented at the emergency department with a skull fracture and bruising inconsistent with the account given."),
    ("serious_harm", "suspected", "Young person admitted after an overdose; history of going missing and suspected criminal exploitation."),
    ("serious_harm", "known", "Child seriously injured during a domestic abuse incident at home; previous police call-outs."),
    ("serious_harm", "suspected", "Child with a disability found severely malnourished; missed health appointments over many months."),
    ("died", "suspected", "Teenager died by suspected suicide; concerns about online harm and bullying at school."),
    ("serious_harm", "known", "Child sexually abused by a family member; disclosure made to a teacher after earlier concerns were not escalated."),
    ("other", "no", "Child injured in a road traffic collision; no abuse or neglect known or suspected."),
    ("serious_harm", "no", "Child admitted with an accidental scald; single-agency learning about home safety advice."),
    ("serious_harm", "suspected", "Young person stabbed; known to youth justice and children's social care, not attending school."),
    ("died", "known", "Child died in a house fire; chronic neglect and hoarding known to several agencies; family moved across borders."),
]


def is_empty(session: Session) -> bool:
    return session.exec(select(func.count()).select_from(Partnership)).one() == 0


def load(today: date | None = None, seed: int = 2025) -> dict[str, int]:
    """Load the demo into an empty database; returns counts. One transaction."""
    today = today or clock.today()
    rng = random.Random(seed)
    with transaction() as s:
        if not is_empty(s):
            raise RuntimeError("The database already has data; demo data loads only into an empty one.")
        parts = {code: Partnership(code=code, name=name) for code, name in PARTNERSHIPS}
        s.add_all(parts.values())
        agencies = [Agency(name=n, kind=k, statutory=n in STATUTORY_PARTNERS) for n, k in AGENCIES]
        s.add_all(agencies)
        s.flush()
        agency_by_name = {a.name: a for a in agencies}
        pw = hash_password(DEMO_PASSWORD)
        users = {}
        for username, name, roles, agency, regional in DEMO_USERS:
            u = User(username=username, name=name, email=f"{username}@example.org", password_hash=pw,
                     agency_id=agency_by_name[agency].id if agency else None, is_regional=regional)
            s.add(u)
            s.flush()
            users[username] = u
            for code, role in roles:
                s.add(Membership(user_id=u.id, partnership_id=parts[code].id, role=role))
        review_types = sum(seed_defaults(s, p.id) for p in parts.values())
        referrals = _referrals(s, rng, today, parts, agencies, users)
        s.flush()
        history = demo_history.add_history(s, rng, today, parts)
        learning = demo_learning.add_learning(s, rng, today, parts)
        # Last, with its own draws, so the rest of the demo stays as it was.
        documents = demo_documents.add_documents(s, random.Random(seed + 1), today, parts)
        counts = {"partnerships": len(parts), "users": len(users), "review types": review_types,
                  "referrals": referrals, **history, **learning, **documents}
        audit.record(s, SYSTEM, "demo_load", "database",
                     detail="; ".join(f"{v} {k}" for k, v in counts.items()) + f"; today={today}")
    return counts


def _working_day_before(day: date, n: int) -> date:
    """The day n working days before `day` (so its clock shows n working days gone)."""
    while n > 0:
        day -= timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def _referrals(s, rng, today, parts, agencies, users) -> int:
    count = 0
    seqs: dict[tuple[str, int], int] = {}
    referrer_ids = {"NB": users["referrer"].id, "EM": users["referrer.em"].id}
    for code, p in parts.items():
        # History: five years, 8-14 referrals a year, all long since decided or closed.
        cases = []
        for years_ago in range(5, 0, -1):
            for _ in range(rng.randint(8, 14)):
                aware = today - timedelta(days=365 * years_ago - rng.randint(0, 360))
                cases.append((aware, rng.choice(["decided", "decided", "closed"])))
        # Live queue: clocks spread from overdue to fresh, every open status represented.
        live = [(_working_day_before(today, n), status) for n, status in [
            (7, "new"), (5, "accepted"), (4, "new"), (3, "awaiting_information"),
            (2, "accepted"), (1, "new"), (0, "new"), (9, "accepted"), (12, "accepted"),
        ]]
        cases += live
        cases.sort()
        for aware, status in cases:
            harm, abuse, summary = rng.choice(INCIDENTS)
            incident = aware - timedelta(days=rng.randint(0, 6))
            received = min(today, aware + timedelta(days=rng.randint(0, 2)))
            year = received.year
            seqs[(code, year)] = seqs.get((code, year), 0) + 1
            age = rng.choice([0, 0, 1, 2, 4, 7, 11, 14, 15, 16])
            use_dob = rng.random() < 0.4
            dob = incident - timedelta(days=int(age * 365.25) + rng.randint(30, 300)) if use_dob else None
            r = Referral(
                reference=format_reference(code, year, seqs[(code, year)]),
                partnership_id=p.id, status=status,
                status_note="Closed: single-agency learning only." if status == "closed" else (
                    "Please send the health chronology." if status == "awaiting_information" else None),
                received_on=received, aware_on=aware,
                referrer_name=rng.choice(REFERRER_NAMES), referrer_agency_id=rng.choice(agencies).id,
                submitted_by_id=referrer_ids.get(code) if rng.random() < 0.3 else None,
                identified_by=rng.choice(list(IDENTIFIED_BY)),
                referrer_view="The referrer believes the criteria for a rapid review may be met." if abuse != "no" else None,
                child_initials="".join(rng.choice("ABCDEFGHJKLMNPRSTW") for _ in range(2)),
                child_dob=dob, child_age_years=None if use_dob else age,
                child_sex=rng.choice(["female", "male"]), child_ethnicity=rng.choice(list(ETHNICITY)),
                looked_after=rng.random() < 0.12, child_protection_plan=rng.random() < 0.3,
                known_to_csc=rng.random() < 0.6, incident_date=incident, incident_summary=summary,
                harm=harm, abuse_or_neglect=abuse,
                location=rng.choice(["in_area"] * 8 + ["elsewhere", "resident_outside_england"]),
                interagency_concerns=rng.choice(["yes", "unclear", "no"]),
            )
            s.add(r)
            s.flush()
            for a in rng.sample(agencies, rng.randint(2, 5)):
                s.add(ReferralAgency(referral_id=r.id, agency_id=a.id))
            count += 1
    # One sibling pair in the live Northbrook queue, so links show on the referral page.
    nb = s.exec(select(Referral).where(Referral.partnership_id == parts["NB"].id,
                                       Referral.status == "new").order_by(Referral.id)).all()
    if len(nb) >= 2:
        s.add(ReferralLink(referral_id=nb[-1].id, linked_id=nb[-2].id, kind="sibling"))
    return count
