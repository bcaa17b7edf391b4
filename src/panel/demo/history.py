"""The demo's screening history: notifications, signed decisions, reviews and their milestones.

Written straight into the demo loader's transaction (the service functions each open their own,
and would be far slower for a few hundred rows), but shaped exactly as the services would leave
it: the engine's route and regime on each decision, milestones planned by `panel.reviews.lifecycle`.
Everything is fictional and deterministic: all randomness comes from the loader's `rng`.
"""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import UTC, date, datetime, time

from sqlmodel import Session, select

from panel.core.access import PANEL
from panel.core.clock import add_months, add_working_days, working_days_between
from panel.models import (
    Decision,
    Membership,
    Notification,
    Partnership,
    Referral,
    Review,
    ReviewMilestone,
    ReviewType,
    User,
)
from panel.reviews import lifecycle
from panel.reviews.lifecycle import subtract_working_days
from panel.reviews.types_service import spec_of
from panel.screening import rules as screening
from panel.screening.rules import LCSPR_CONSIDERATIONS, NOTIFY_WITHIN
from panel.screening.service import facts_of

DEPARTURE_RATE = 1 / 12
LATE_NOTIFICATION_RATE = 0.15
LATE_MILESTONE_RATE = 0.20
STALLED_RATE = 0.35  # a milestone planned in the last few weeks left undone (shows overdue)
RECENT_WORKING_DAYS = 15
LCSPR_RATE = 0.25
LCSPR_GROUNDS = ("improvements", "recurrent_themes", "joint_working")  # reg.11's main grounds
DISAGREEMENTS = 2  # rapid reviews the National Panel disagreed with

# The outcome a panel usually picks for each engine route (several: picked at random).
USUAL = {
    ("WT2015", "scr"): ["scr"],
    ("WT2015", "consider_local_review"): ["malr", "malr", "iar", "macr", "learning_review", "cpir",
                                          "no_further_review_2015"],
    ("WT2015", "no_review"): ["no_further_review_2015"] * 5 + ["learning_review"],
    ("WT2018", "rapid_review"): ["rapid_review"],
    ("WT2018", "consider_local_review"): ["local_learning_review", "local_learning_review",
                                          "no_further_review"],
    ("WT2018", "no_review"): ["no_further_review"],
}
# Departures from the criteria, with the rationale the panel recorded.
DEPARTURES = {
    ("WT2015", "scr"): ("malr", "Departs from the criteria because the board's chair is satisfied, "
                        "on the agencies' chronologies, that there are no concerns about how they "
                        "worked together; a multi-agency learning review will capture the learning."),
    ("WT2015", "consider_local_review"): ("scr", "Departs from the criteria because the case has "
                                          "attracted national media attention and the board wants "
                                          "the independence of a Serious Case Review."),
    ("WT2015", "no_review"): ("malr", "Departs from the criteria because, although abuse or neglect "
                              "is not suspected, three agencies missed chances to share information."),
    ("WT2018", "rapid_review"): ("local_learning_review", "Departs from the criteria because the "
                                 "consultant's later opinion is that the injury was not serious "
                                 "harm; the partners hold a local learning review instead."),
    ("WT2018", "consider_local_review"): ("rapid_review", "Departs from the criteria because, "
                                          "although the incident happened in another area, the "
                                          "child was known to our agencies for years and the "
                                          "partners agreed with that area to lead a rapid review."),
    ("WT2018", "no_review"): ("local_learning_review", "Departs from the criteria because, although "
                              "abuse or neglect is not suspected, the panel sees multi-agency "
                              "learning about information sharing before the incident."),
}
HARM = {"died": "the child died", "serious_harm": "the child was seriously harmed",
        "other": "the harm was not serious"}
ABUSE = {"known": "known", "suspected": "suspected", "no": "not known or suspected"}
SENT_PREFIX = {"national_panel": "CIN", "ofsted": "SIN", "safeguarding_partners": "SP",
               "secretary_of_state": "DFE"}
REVIEWERS = [f"Independent reviewer {letter}" for letter in "ABCDEFG"]
LEAD_REVIEWER_TYPES = {"scr", "lcspr"}
COUNTS = ("decisions", "draft decisions", "departing decisions", "notifications",
          "late notifications", "reviews", "open reviews", "closed reviews", "milestones",
          "overdue milestones")
DISAGREE_NOTE = ("The National Panel considers the case may highlight improvements needed in how "
                 "agencies shared information about the family, and asked the partners to "
                 "reconsider an LCSPR; the partners replied setting out their reasons again.")


def _at(day: date, hour: int = 16) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=UTC)


def considerations(rng: random.Random, location: str, lcspr: bool) -> str:
    """A rapid review's answers to the reg.11 considerations, consistent with its decision: both
    demo sizes answer through this, so their reviews read alike."""
    answers = {}
    for key, _ in LCSPR_CONSIDERATIONS:
        if key == "panel_referral":
            answers[key] = "no"
        elif key == "cross_border":
            answers[key] = "no" if location == "in_area" else "yes"
        elif key in LCSPR_GROUNDS:
            answers[key] = rng.choice(["yes", "yes", "unclear"] if lcspr else ["no", "no", "unclear"])
        else:
            answers[key] = rng.choice(["no", "no", "unclear", "yes"] if lcspr else ["no"])
    if lcspr and not any(answers[k] == "yes" for k in LCSPR_GROUNDS):
        answers["joint_working"] = "yes"
    return json.dumps(answers, sort_keys=True)


def decision_rationale(rtype: ReviewType, r: Referral) -> str:
    """The panel's written reasons for a demo decision; the scale demo words its decisions alike."""
    facts = f"{HARM[r.harm]} and abuse or neglect is {ABUSE[r.abuse_or_neglect]}"
    if rtype.key == "rapid_review":
        return (f"A serious child safeguarding case: {facts}. The partners complete a rapid "
                "review within 15 working days of the notification.")
    if rtype.key == "scr":
        return f"The criteria for a Serious Case Review are met: {facts}."
    if not rtype.creates_review:
        return (f"No further review: {facts}, and the panel found no multi-agency learning beyond "
                "what the agencies are already acting on. The referrer is told why.")
    return (f"Below the threshold for a statutory review ({facts}), but the panel sees learning "
            f"about how agencies worked together: a {rtype.name.lower()} will capture it.")


def notification_sent_on(rng: random.Random, due: date, aware_on: date, today: date) -> date:
    """The day a demo notification went: some late, the rest a few working days early but never
    before the partnership knew of the incident, and none after today."""
    if rng.random() < LATE_NOTIFICATION_RATE:
        sent = add_working_days(due, rng.randint(1, 4))
    else:
        sent = max(aware_on, subtract_working_days(due, rng.randint(0, 3)))
    return min(sent, today)


def milestone_progress(rng, planned: list[date], today: date, recent: date) -> list[date | None]:
    """Actual dates: done (mostly on time) up to today, unless the review stalled recently.
    Shared by the demo and the scale demo, so both draw the same shape of history."""
    actuals: list[date | None] = []
    previous = None
    stalled = False
    for day in planned:
        if stalled or day >= today:
            actuals.append(None)
            continue
        if day >= recent and rng.random() < STALLED_RATE:
            stalled = True
            actuals.append(None)
            continue
        if rng.random() < LATE_MILESTONE_RATE:
            actual = add_working_days(day, rng.randint(1, 4))
        else:
            actual = subtract_working_days(day, rng.randint(0, 1))
        if previous is not None:
            actual = max(actual, previous)
        actual = min(actual, today)
        actuals.append(actual)
        previous = actual
    return actuals


class _Partnership:
    """What the history needs to know about one partnership."""

    def __init__(self, s: Session, p: Partnership):
        self.id = p.id
        self.types = {t.key: t for t in s.exec(select(ReviewType).where(ReviewType.partnership_id == p.id))}
        rows = s.exec(select(Membership.user_id, Membership.role, User.is_regional)
                      .join(User, User.id == Membership.user_id)
                      .where(Membership.partnership_id == p.id)
                      .order_by(Membership.user_id)).all()
        local = sorted({u for u, role, regional in rows if role in PANEL and not regional})
        self.present = local or sorted({u for u, role, _ in rows if role in PANEL})
        by_role = {role: u for u, role, regional in rows if not regional}
        self.chair = by_role.get("chair")
        self.member = by_role.get("member", self.chair)
        self.notifier = by_role.get("manager") or self.chair or (self.present[0] if self.present else None)


class _History:
    def __init__(self, s: Session, rng: random.Random, today: date):
        self.s, self.rng, self.today = s, rng, today
        self.counts: Counter[str] = Counter()
        self.recent = subtract_working_days(today, RECENT_WORKING_DAYS)
        # Finished rapid reviews: (referral, partnership, decision, review, LCSPR decided on).
        self.rapid: list[tuple[Referral, _Partnership, Decision, Review, date]] = []

    # -- notifications ------------------------------------------------------------------------
    def notify(self, r: Referral, p: _Partnership, result: dict) -> date | None:
        """Record every notification the criteria call for; returns the rapid review's day 0."""
        day0 = None
        for item in result["notify"]:
            due = date.fromisoformat(item["due"])
            sent = notification_sent_on(self.rng, due, r.aware_on, self.today)
            body = item["to"]
            self.s.add(Notification(
                referral_id=r.id, body=body, due_on=due, sent_on=sent,
                sent_reference=f"{SENT_PREFIX[body]}-{sent.year}-{self.rng.randint(100, 2999):04d}",
                recorded_by_id=p.notifier, recorded_at=_at(sent, 12)))
            self.counts["notifications"] += 1
            self.counts["late notifications"] += sent > due
            if body in ("national_panel", "ofsted"):
                day0 = sent if day0 is None else min(day0, sent)
        return day0

    # -- decisions ----------------------------------------------------------------------------
    def choose(self, p: _Partnership, regime: str, route: str) -> tuple[ReviewType, str | None]:
        departure = DEPARTURES.get((regime, route))
        if departure and self.rng.random() < DEPARTURE_RATE:
            return p.types[departure[0]], departure[1]
        return p.types[self.rng.choice(USUAL[(regime, route)])], None

    def decision(self, r: Referral, p: _Partnership, result: dict, rtype: ReviewType,
                 why_depart: str | None, decided_on: date, signed: bool) -> Decision:
        d = Decision(
            referral_id=r.id, version_no=1, status="signed" if signed else "draft",
            review_type_id=rtype.id, engine_regime=result["regime"], engine_route=result["route"],
            departs=screening.departs_from_criteria(result["route"], rtype.routes),
            rationale=decision_rationale(rtype, r), departure_rationale=why_depart,
            present=json.dumps(p.present), apologies="[]", conflicts="[]",
            recorded_by_id=p.chair if signed else p.member, recorded_at=_at(decided_on, 15),
            decided_on=decided_on,
            signed_by_id=p.chair if signed else None, signed_at=_at(decided_on) if signed else None,
        )
        self.s.add(d)
        self.s.flush()
        self.counts["decisions" if signed else "draft decisions"] += 1
        self.counts["departing decisions"] += d.departs
        return d

    # -- reviews ------------------------------------------------------------------------------
    def review(self, r: Referral, d: Decision, rtype: ReviewType, n: int, started_on: date,
               notified_on: date | None) -> tuple[Review, dict[str, date | None]]:
        spec = spec_of(rtype)
        planned = lifecycle.planned_dates(spec, started_on, notified_on or started_on)
        keys = [m.key for m in spec.milestones]
        actuals = milestone_progress(self.rng, [planned[k] for k in keys], self.today, self.recent)
        review = Review(
            reference=f"{r.reference}-R{n}", partnership_id=r.partnership_id, referral_id=r.id,
            decision_id=d.id, review_type_id=rtype.id,
            status="closed" if all(actuals) else "open", started_on=started_on,
            notified_on=notified_on, created_at=_at(started_on, 17),
            lead_reviewer=self.rng.choice(REVIEWERS) if rtype.key in LEAD_REVIEWER_TYPES else None,
        )
        self.s.add(review)
        self.s.flush()
        for i, m in enumerate(spec.milestones):
            self.s.add(ReviewMilestone(review_id=review.id, key=m.key, name=m.name, position=i,
                                       statutory=m.statutory, planned_on=planned[m.key],
                                       actual_on=actuals[i]))
            overdue = actuals[i] is None and planned[m.key] < self.today
            self.counts["overdue milestones"] += overdue
        self.counts["reviews"] += 1
        self.counts[f"{review.status} reviews"] += 1
        self.counts["milestones"] += len(keys)
        return review, dict(zip(keys, actuals, strict=True))

    def rapid_review_outcome(self, r: Referral, p: _Partnership, d: Decision, review: Review,
                             actual: dict[str, date | None]) -> None:
        """A finished rapid review: the LCSPR decision, the copy to the National Panel and its
        reply. Any LCSPR is opened later, in `finish`."""
        if review.status != "closed":
            return
        review.lcspr_decision = "lcspr" if self.rng.random() < LCSPR_RATE else "no_lcspr"
        review.sent_to_national_panel_on = actual["sent_to_national_panel"]
        if review.sent_to_national_panel_on < subtract_working_days(self.today, 10):  # replied
            review.national_panel_response = "agrees"
        self.s.add(review)
        self.rapid.append((r, p, d, review, actual["lcspr_decision_recorded"]))

    def finish(self) -> None:
        """Every partnership gets an LCSPR under way (decided in the last year) if chance gave it
        none; then each LCSPR runs as its referral's second review, and the National Panel
        disagrees with a couple of decisions not to hold one."""
        year_ago = add_months(self.today, -12)
        recent = [x for x in self.rapid if year_ago <= x[4] <= subtract_working_days(self.today, 20)]
        for pid in sorted({x[1].id for x in recent}):
            mine = [x for x in recent if x[1].id == pid]
            if not any(x[3].lcspr_decision == "lcspr" for x in mine):
                self.rng.choice(mine)[3].lcspr_decision = "lcspr"
        for r, p, d, review, decided_on in self.rapid:
            review.lcspr_considerations = considerations(self.rng, r.location, review.lcspr_decision == "lcspr")
            if review.lcspr_decision == "lcspr":  # the LCSPR, linked to its rapid review (docs/domain.md §6.3)
                lcspr, _ = self.review(r, d, p.types["lcspr"], 2, decided_on, review.notified_on)
                lcspr.rapid_review_id = review.id
        candidates = [x[3] for x in self.rapid
                      if x[3].lcspr_decision == "no_lcspr" and x[3].national_panel_response]
        for review in self.rng.sample(candidates, min(DISAGREEMENTS, len(candidates))):
            review.national_panel_response = "disagrees"
            review.national_panel_note = DISAGREE_NOTE
            self.s.add(review)

    # -- referrals ----------------------------------------------------------------------------
    def decided(self, r: Referral, p: _Partnership) -> None:
        result = screening.assess(facts_of(r))
        notified_on = self.notify(r, p, result)
        rtype, why = self.choose(p, result["regime"], result["route"])
        decided_on = min(self.today, add_working_days(r.aware_on, self.rng.randint(3, 8)))
        d = self.decision(r, p, result, rtype, why, decided_on, signed=True)
        if not rtype.creates_review:
            return
        review, actual = self.review(r, d, rtype, 1, decided_on, notified_on)
        if rtype.key == "rapid_review":
            self.rapid_review_outcome(r, p, d, review, actual)

    def drafts(self, referrals: list[Referral], p: _Partnership) -> None:
        """Live accepted referrals: the two nearest their notification deadline are left for the
        panel to screen; the others have a draft decision awaiting the chair's signature."""
        def distance(r: Referral) -> int:
            return abs(working_days_between(self.today, add_working_days(r.aware_on, NOTIFY_WITHIN)))

        for r in sorted(referrals, key=lambda r: (distance(r), r.id))[2:]:
            result = screening.assess(facts_of(r))
            rtype = p.types[USUAL[(result["regime"], result["route"])][0]]
            decided_on = max(r.aware_on, subtract_working_days(self.today, 1))
            self.decision(r, p, result, rtype, None, decided_on, signed=False)

    def notified(self, referrals: list[Referral], p: _Partnership) -> None:
        """The oldest live accepted referral the criteria say to notify has its National Panel
        notification already sent, so the queue shows a notified case."""
        for r in sorted(referrals, key=lambda r: (r.aware_on, r.id)):
            result = screening.assess(facts_of(r))
            due = next((date.fromisoformat(n["due"]) for n in result["notify"]
                        if n["to"] == "national_panel"), None)
            if due is None:
                continue
            sent = min(self.today, max(r.aware_on, subtract_working_days(due, 1)))
            self.s.add(Notification(
                referral_id=r.id, body="national_panel", due_on=due, sent_on=sent,
                sent_reference=f"CIN-{sent.year}-{self.rng.randint(100, 2999):04d}",
                recorded_by_id=p.notifier, recorded_at=_at(sent, 12)))
            self.counts["notifications"] += 1
            return


def _accepted(s: Session, p: Partnership) -> list[Referral]:
    return list(s.exec(select(Referral).where(Referral.partnership_id == p.id, Referral.status == "accepted")
                       .order_by(Referral.id)))


def add_history(s: Session, rng: random.Random, today: date, parts: dict[str, Partnership],
                drafts_in: str = "NB", notified_in: str = "EM") -> dict[str, int]:
    """Screening history for every decided referral, plus live work: draft decisions in
    `drafts_in` and a notified live case in `notified_in`.

    Review types must already be seeded. Returns counts by kind.
    """
    h = _History(s, rng, today)
    info = {code: _Partnership(s, p) for code, p in parts.items()}
    by_id = {p.id: info[code] for code, p in parts.items()}
    for r in s.exec(select(Referral).where(Referral.status == "decided").order_by(Referral.id)):
        h.decided(r, by_id[r.partnership_id])
    h.finish()
    if drafts_in in parts:
        h.drafts(_accepted(s, parts[drafts_in]), info[drafts_in])
    if notified_in in parts:
        h.notified(_accepted(s, parts[notified_in]), info[notified_in])
    return {k: h.counts[k] for k in COUNTS}
