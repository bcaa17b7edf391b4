"""The demo's learning shared and followed through (docs/domain.md §7.1): a few learning events per
partnership, linked to what they shared and attended by agency and role, and impact follow-ups on
some closed actions (one overdue, one due, one scheduled, one recorded).

Called last by panel.demo.learning.add_learning, so its draws from the loader's `rng` come after
every other and the rest of the demo stays as it was. Shaped as the services would leave it
(dissemination_rules, follow_up_rules); the wording is fictional and names nobody.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlmodel import Session, select

from panel.core.clock import add_working_days
from panel.demo.texts import DA
from panel.learning import follow_up_rules
from panel.models import (
    Action,
    Agency,
    LearningEvent,
    LearningEventAttendance,
    LearningEventLink,
    LearningSource,
    Membership,
    Partnership,
    Recommendation,
    Review,
    Theme,
    ThemeTag,
)

# (agency, role, fewest, most attending) for an in-person event; a newsletter counts its readers.
ATTENDANCE = [
    ("Children's social care", "Social worker", 8, 20),
    ("Community health (health visiting)", "Health visitor", 4, 12),
    ("Police", "Public protection officer", 2, 8),
    ("Schools and education", "Designated safeguarding lead", 5, 15),
    ("Early help", "Family support worker", 3, 10),
    ("Acute hospital trust", "Emergency department nurse", 2, 6),
]
FOLLOW_UP_RESULTS = [
    "The re-audit of 20 cases found the change had held: every strategy discussion now includes the "
    "police and health, against half at the first audit.",
    "A dip sample of 15 records six months on found the new checklist used in 13; the two gaps were "
    "raised with the team managers concerned.",
]


def _attendance(rng: random.Random, agencies: dict[str, int], rows: int) -> list[LearningEventAttendance]:
    chosen = rng.sample(ATTENDANCE, rows)
    return [LearningEventAttendance(agency_id=agencies.get(a), role=role, attended=rng.randint(lo, hi))
            for a, role, lo, hi in chosen]


def _event(s: Session, pid: int, held_on: date, kind: str, topic: str, audience: str, by: int | None,
           links: list[tuple[str, int]], attendance: list[LearningEventAttendance]) -> None:
    ev = LearningEvent(partnership_id=pid, held_on=held_on, kind=kind, topic=topic, audience=audience,
                       created_by_id=by)
    s.add(ev)
    s.flush()
    s.add_all(LearningEventLink(event_id=ev.id, entity=e, entity_id=i) for e, i in dict.fromkeys(links))
    for a in attendance:
        a.event_id = ev.id
    s.add_all(attendance)


def _events(s: Session, rng: random.Random, today: date, p: Partnership, agencies: dict[str, int]) -> int:
    """A learning event on the newest closed review's learning, a bitesize session on domestic
    abuse recommendations and a newsletter on the case file audit: as many as have something to share."""
    pid = p.id
    by = s.exec(select(Membership.user_id).where(Membership.partnership_id == pid, Membership.role == "manager")
                .order_by(Membership.user_id)).first()
    added = 0
    review = s.exec(select(Review).where(Review.partnership_id == pid, Review.status == "closed")
                    .order_by(Review.started_on.desc(), Review.id.desc())).first()
    recs = s.exec(select(Recommendation).where(Recommendation.review_id == review.id)
                  .order_by(Recommendation.id)).all() if review else []
    if recs:
        held = min(today, max(r.recorded_on for r in recs) + timedelta(days=rng.randint(30, 75)))
        _event(s, pid, held, "learning_event", "Learning from a recent case review: seeing the whole family",
               "Practitioners and first-line managers across the partnership",
               by, [("review", review.id)] + [("recommendation", r.id) for r in recs[:2]],
               _attendance(rng, agencies, 4))
        added += 1
    da = s.exec(select(Recommendation.id).join(ThemeTag, (ThemeTag.entity == "recommendation")
                                               & (ThemeTag.entity_id == Recommendation.id))
                .join(Theme, Theme.id == ThemeTag.theme_id)
                .where(Recommendation.partnership_id == pid, Theme.name == DA)
                .order_by(Recommendation.recorded_on.desc(), Recommendation.id.desc()).limit(3)).all()
    if da:
        _event(s, pid, today - timedelta(days=rng.randint(20, 60)), "bitesize",
               "Bitesize: domestic abuse and the child's experience", "Frontline practitioners (online, 45 minutes)",
               by, [("recommendation", i) for i in da], _attendance(rng, agencies, 3))
        added += 1
    audit = s.exec(select(LearningSource).where(LearningSource.partnership_id == pid,
                                                LearningSource.kind == "case_file_audit")
                   .order_by(LearningSource.id)).first()
    if audit:
        held = min(today, audit.completed_on + timedelta(days=rng.randint(20, 45)))
        _event(s, pid, held, "newsletter", "Partnership newsletter: what the neglect audit found",
               "Everyone on the partnership's safeguarding mailing list", by, [("source", audit.id)],
               [LearningEventAttendance(agency_id=None, role="Practitioners on the mailing list",
                                        attended=rng.randint(250, 400))])
        added += 1
    return added


def _follow_ups(s: Session, rng: random.Random, today: date, pid: int) -> int:
    """Follow-ups on closed actions, newest closed first: one due within days, one scheduled,
    one overdue, one recorded with its result; each checked against follow_up_rules."""
    closed = list(s.exec(select(Action).where(Action.partnership_id == pid, Action.status == "closed",
                                              Action.closed_on.is_not(None))
                         .order_by(Action.closed_on.desc(), Action.id.desc())))
    plans = [
        (0, lambda a: add_working_days(today, rng.randint(2, 8)), False),  # due
        (0, lambda a: today + timedelta(days=rng.randint(60, 150)), False),  # scheduled
        (30, lambda a: today - timedelta(days=rng.randint(3, 20)), False),  # overdue
        (200, lambda a: a.closed_on + timedelta(days=180), True),  # recorded
    ]
    added = 0
    for min_age, when, done in plans:
        a = next((x for x in closed if (today - x.closed_on).days >= min_age and x.follow_up_on is None), None)
        if a is None:
            continue
        day = when(a)
        if follow_up_rules.date_problem(day, a.closed_on):
            continue
        a.follow_up_on = day
        if done:
            a.follow_up_done_on = min(today, day + timedelta(days=rng.randint(0, 10)))
            a.follow_up_result = rng.choice(FOLLOW_UP_RESULTS)
        s.add(a)
        added += 1
    return added


def add_sharing(s: Session, rng: random.Random, today: date, parts: dict[str, Partnership]) -> dict[str, int]:
    """Learning events and follow-ups for every partnership; returns counts."""
    agencies = {n: i for i, n in s.exec(select(Agency.id, Agency.name).order_by(Agency.id))}
    events = follow_ups = 0
    for p in parts.values():
        events += _events(s, rng, today, p, agencies)
        follow_ups += _follow_ups(s, rng, today, p.id)
    s.flush()
    return {"learning events": events, "follow-ups": follow_ups}
