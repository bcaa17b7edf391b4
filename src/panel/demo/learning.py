"""The demo's learning: findings, recommendations, actions and theme tags (docs/domain.md §7).

Called by the demo loader after `demo_history.add_history`, inside its transaction, so the
reviews exist. Written straight into the session (the services each open their own
transaction), shaped as the services would leave it. Everything is fictional and deterministic:
all randomness comes from the loader's `rng`, and rows are visited in id order. The texts are in
the style of published case reviews' learning and name nobody: "the baby", "the mother".

Guarantees the pages and tests rely on, whatever the rng:
- "domestic abuse" is recorded in at least four Northbrook (NB) reviews started in the three
  years to `today`, so it is a recurring theme there (panel.themes.rules.recurring);
- at least two live accepted NB referrals carry "domestic abuse", so the screening page shows
  a recurring theme;
- every partnership also has learning from other sources: child death review learning and an
  inter-agency case file audit;
- some actions are overdue, some closed with evidence of impact, a few of those with a follow-up;
- each partnership has learning events (panel.demo.sharing).
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func
from sqlmodel import Session, select

from panel.demo.sharing import add_sharing
from panel.demo.texts import (
    ACTIONS,
    CROSS_CUTTING,
    DA,
    EVIDENCE,
    FINDINGS,
    GENERIC_FINDING,
    GENERIC_REC,
    INCIDENT_THEMES,
    NOTES,
    OTHER_SOURCES,
    RECS,
    RECURRING_IN,
    RECURRING_REVIEWS,
    ROLES,
    slug,
)
from panel.models import (
    Action,
    ActionNote,
    Agency,
    Finding,
    LearningSource,
    Membership,
    Partnership,
    Recommendation,
    RecommendationAgency,
    RecommendationFinding,
    Referral,
    Review,
    ReviewMilestone,
    ReviewType,
    Theme,
    ThemeTag,
)
from panel.themes.rules import window_start
from panel.themes.service import seed_taxonomy


def incident_themes(summary: str, per_match: int | None = None) -> list[str]:
    """The themes an incident summary's words point to, once each in the order found; at most
    `per_match` from each matching phrase (all of them when None)."""
    low = summary.lower()
    themes: list[str] = []
    for words, names in INCIDENT_THEMES:
        if words in low:
            themes += [n for n in names[:per_match] if n not in themes]
    return themes


# How an action's status depends on how long ago it fell due: (older than N days, weights for
# closed / completed / in progress / open); newer ones are open, in progress or completed.
STATUSES = ("closed", "completed", "in_progress", "open")
SMALL_AGES = ((90, (75, 10, 10, 5)), (0, (40, 20, 30, 10)))


def action_status(rng: random.Random, age: int, ages: tuple[tuple[int, tuple[float, ...]], ...]) -> str:
    for older_than, weights in ages:
        if age > older_than:
            return rng.choices(STATUSES, weights)[0]
    return rng.choices(["open", "in_progress", "completed"], [40, 50, 10])[0]


def closed_with_evidence(rng: random.Random, recorded_on: date, due: date, today: date) -> tuple[date, str]:
    """When a closed action closed, and its evidence of impact (an audit's numbers, a month before)."""
    closed_on = min(today, max(recorded_on + timedelta(days=30), due + timedelta(days=rng.randint(-45, 40))))
    month = closed_on - timedelta(days=rng.randint(5, 40))
    base = rng.randint(20, 55)
    evidence = rng.choice(EVIDENCE).format(n=rng.choice([12, 20, 25, 30]), month=f"{month:%B %Y}",
                                           pct=rng.randint(base + 20, 98), base=base)
    return closed_on, evidence


def review_themes(rng: random.Random, summary: str, *, cross_cutting: float, per_match: int | None = None) -> list[str]:
    """A review's themes: what its incident points to, domestic abuse now and then, and sometimes a
    cross-cutting theme (a larger share at scale, where reviews are longer)."""
    themes = incident_themes(summary, per_match) or ["information sharing", "professional curiosity"]
    if DA not in themes and rng.random() < 0.3:
        themes.append(DA)
    if rng.random() < cross_cutting:
        extra = rng.choice(CROSS_CUTTING)
        if extra not in themes:
            themes.append(extra)
    return themes


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
                source_kind: str = "review", source_title: str | None = None, closed: bool = True,
                source_id: int | None = None) -> None:
        options = FINDINGS.get(themes[0], [GENERIC_FINDING])
        f = Finding(partnership_id=pid, review_id=review_id, source_kind=source_kind, source_title=source_title,
                    source_id=source_id, recorded_on=recorded_on, text=self.rng.choice(options))
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
        # Agreed by the partnership when recorded: the demo's actions hang on accepted recommendations.
        r = Recommendation(partnership_id=f.partnership_id, finding_id=f.id, review_id=f.review_id, text=text,
                           source_id=f.source_id, recorded_on=recorded, status="accepted", accepted_on=recorded)
        self.s.add(r)
        self.s.flush()
        self.s.add(RecommendationFinding(recommendation_id=r.id, finding_id=f.id))
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
        status = action_status(rng, (today - due).days, SMALL_AGES)
        role = rng.choice(ROLES.get(agency, ["Safeguarding lead"]))
        code = self.codes[r.partnership_id].lower()
        a = Action(partnership_id=r.partnership_id, recommendation_id=r.id, owner_agency_id=self.agencies[agency],
                   owner_name=role, owner_email=f"{slug(role)}.{code}@example.org", text=rng.choice(ACTIONS),
                   due_on=due, status=status)
        if status == "closed":
            a.closed_on, a.evidence_of_impact = closed_with_evidence(rng, r.recorded_on, due, today)
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
        return review_themes(self.rng, summary, cross_cutting=0.4)

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
                # A learning source of its own, as a partnership records one (docs/domain.md §7.1).
                source = LearningSource(partnership_id=p.id, kind=kind, title=f"{title} ({day.year})",
                                        started_on=day - timedelta(days=60), completed_on=day)
                self.s.add(source)
                self.s.flush()
                for themes in theme_sets:
                    self.finding(p.id, None, day, list(themes), source_kind=kind,
                                 source_title=source.title, closed=True, source_id=source.id)

    # -- referrals ----------------------------------------------------------------------------------
    def referrals(self) -> None:
        """Themes on live accepted referrals, read from their incident summaries; at least two in
        NB carry domestic abuse so the screening page shows a recurring theme."""
        for code, p in self.parts.items():
            live = self.s.exec(select(Referral).where(Referral.partnership_id == p.id, Referral.status == "accepted")
                               .order_by(Referral.id)).all()
            plans = []
            for r in live:
                plans.append((r, incident_themes(r.incident_summary, per_match=2)))
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
    # Last: its draws come after every other, so the rest of the demo is unchanged by it.
    shared = add_sharing(session, rng, today, parts)
    return {"themes": added, "findings": c["findings"], "recommendations": c["recommendations"],
            "actions": c["actions"], "closed actions": c["closed actions"], "overdue actions": c["overdue actions"],
            "theme tags": c["theme tags"], **shared}
