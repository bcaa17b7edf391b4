"""Scale demo: one partnership's learning as rows (findings, recommendations, actions, notes and
theme tags), with the texts and rules of the small demo (`panel.demo.texts`): themes read from
each case's incident, more findings for statutory reviews, actions open until evidence of impact,
learning sources beside the reviews and learning events every year (panel.demo.scale_sources).

Volumes per closed review sit inside docs/domain.md §9's "5–20 recommendations and more actions":
3–6 findings, 1–4 recommendations each, 1–4 actions each.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from panel.demo.learning import action_status, closed_with_evidence, incident_themes, review_themes
from panel.demo.scale_rows import at
from panel.demo.scale_sources import Sources
from panel.demo.texts import (
    ACTIONS,
    DA,
    FINDINGS,
    GENERIC_FINDING,
    GENERIC_REC,
    NOTES,
    RECS,
    RECURRING_IN,
    RECURRING_REVIEWS,
    ROLES,
    slug,
)
from panel.models import (
    Action,
    ActionNote,
    Finding,
    Recommendation,
    RecommendationAgency,
    RecommendationFinding,
    ThemeTag,
)
from panel.themes.rules import window_start

# Long past, nearly every action is closed and a few are left behind (docs/scale-data.md).
SCALE_AGES = ((730, (97, 1.5, 1, 0.5)), (90, (80, 8, 8, 4)), (0, (40, 20, 30, 10)))


class Learning:
    def __init__(self, ids, rows, rng: random.Random, setup, factor: float = 1.0):
        self.ids, self.rows, self.rng, self.setup, self.factor = ids, rows, rng, setup, factor
        self.today = setup.today
        self.theme_ids = setup.theme_ids
        self.agencies = setup.agencies
        self.agency_names = {i: n for n, i in self.agencies.items()}
        self.recs_of: dict[int, list[int]] = {}  # review id -> its recommendations (learning events share them)

    # -- tags ---------------------------------------------------------------------------------
    def tag(self, entity: str, entity_id: int, themes: list[str]) -> None:
        seen = set()
        for name in themes:
            tid = self.theme_ids.get(name)
            if tid is not None and tid not in seen:
                seen.add(tid)
                self.rows.add(ThemeTag, {"id": self.ids.take(ThemeTag), "theme_id": tid, "entity": entity,
                                         "entity_id": entity_id})

    # -- findings, recommendations, actions ------------------------------------------------------
    def finding(self, pid: int, review_id: int | None, recorded_on: date, themes: list[str], closed: bool,
                source_kind: str = "review", source_title: str | None = None, source_id: int | None = None) -> None:
        f = {"id": self.ids.take(Finding), "partnership_id": pid, "review_id": review_id, "source_id": source_id,
             "source_kind": source_kind, "source_title": source_title, "recorded_on": recorded_on,
             "text": self.rng.choice(FINDINGS.get(themes[0], [GENERIC_FINDING]))}
        self.rows.add(Finding, f)
        self.tag("finding", f["id"], themes)
        for _ in range(self.rng.randint(1, 4) if closed else 1):
            self.recommendation(f, themes, closed)

    def recommendation(self, f: dict, themes: list[str], closed: bool) -> None:
        rng = self.rng
        primary = themes[0] if rng.random() < 0.7 or len(themes) == 1 else rng.choice(themes[1:])
        text, targets = rng.choice(RECS.get(primary, [GENERIC_REC]))
        recorded = min(self.today, f["recorded_on"] + timedelta(days=rng.randint(0, 14)))
        r = {"id": self.ids.take(Recommendation), "partnership_id": f["partnership_id"], "finding_id": f["id"],
             "review_id": f["review_id"], "source_id": f["source_id"], "text": text, "recorded_on": recorded,
             "status": "accepted", "accepted_on": recorded}
        self.rows.add(Recommendation, r)
        if r["review_id"]:
            self.recs_of.setdefault(r["review_id"], []).append(r["id"])
        self.rows.add(RecommendationFinding, {"recommendation_id": r["id"], "finding_id": f["id"]})
        agency_ids = [self.agencies[a] for a in targets if a in self.agencies] or [self.setup.agency_ids[0]]
        for a in agency_ids:
            self.rows.add(RecommendationAgency, {"recommendation_id": r["id"], "agency_id": a})
        others = [t for t in themes if t != primary]
        self.tag("recommendation", r["id"], [primary] + others[: rng.randint(0, 1)])
        if closed:
            for _ in range(rng.randint(1, 4)):
                self.action(r, self.agency_names[rng.choice(agency_ids)])

    def action(self, r: dict, agency: str) -> None:
        rng, today = self.rng, self.today
        due = r["recorded_on"] + timedelta(days=rng.randint(60, 420))
        status = action_status(rng, (today - due).days, SCALE_AGES)
        role = rng.choice(ROLES.get(agency, ["Safeguarding lead"]))
        pid = r["partnership_id"]
        a = {"id": self.ids.take(Action), "partnership_id": pid, "recommendation_id": r["id"],
             "owner_agency_id": self.agencies[agency], "owner_name": role,
             "owner_email": f"{slug(role)}.{self.code.lower()}@example.org", "text": rng.choice(ACTIONS),
             "due_on": due, "status": status, "evidence_of_impact": None, "closed_on": None, "closed_by_id": None,
             "version": 1 if status == "open" else 2}
        if status == "closed":
            a["closed_on"], a["evidence_of_impact"] = closed_with_evidence(rng, r["recorded_on"], due, today)
            a["closed_by_id"] = rng.choice(self.closers) if self.closers else None
        self.rows.add(Action, a)
        if status in ("in_progress", "completed", "closed"):
            when = min(today, r["recorded_on"] + timedelta(days=rng.randint(20, 60)))
            self.note(a, when, 11, rng.choice(self.members) if self.members else None, rng.choice(NOTES))
        if status == "closed":
            self.note(a, a["closed_on"], 15, a["closed_by_id"], f"Closed with evidence of impact: {a['evidence_of_impact']}")

    def note(self, a: dict, day: date, hour: int, by: int | None, text: str) -> None:
        self.rows.add(ActionNote, {"id": self.ids.take(ActionNote), "action_id": a["id"], "at": at(day, hour),
                                   "by_id": by, "text": text})

    # -- per partnership ----------------------------------------------------------------------
    def review_themes(self, summary: str) -> list[str]:
        return review_themes(self.rng, summary, cross_cutting=0.6, per_match=3)

    def partnership(self, pid: int, code: str, referrals: list[dict], reviews: list[tuple]) -> None:
        self.code = code
        by_role = self.setup.by_role[pid]
        self.closers = sorted(set(by_role.get("chair", []) + by_role.get("manager", [])))
        self.members = self.setup.panel(pid)
        self.recs_of = {}
        sources = Sources(self, pid)
        sources.prepare()
        planned = [(rv, key, actual, self.review_themes(r["incident_summary"])) for rv, r, key, actual in reviews]
        if code == RECURRING_IN:
            self.ensure_recurring(planned)
        for rv, key, actual, themes in planned:
            self.tag("review", rv["id"], themes)
            done = [d for d in actual.values() if d]
            end = max(done) if done else rv["started_on"]
            closed = rv["status"] == "closed"
            if closed:
                n = self.rng.randint(4, 6) if key in ("lcspr", "scr") else self.rng.randint(3, 5)
            else:
                n = 1 if end > rv["started_on"] else 0
            for i in range(n):
                primary = themes[i % len(themes)]
                others = [t for t in themes if t != primary]
                picked = [primary] + self.rng.sample(others, min(len(others), self.rng.randint(1, 2)))
                self.finding(pid, rv["id"], min(self.today, end), picked, closed)
        sources.run(pid, code, min((r["aware_on"] for r in referrals), default=self.today),
                    [rv for rv, _, _, _ in planned if rv["status"] == "closed"])
        for r in referrals:  # themes read from the incident, so recurring themes show on screening
            self.tag("referral", r["id"], incident_themes(r["incident_summary"], per_match=2))

    def ensure_recurring(self, planned: list) -> None:
        """As the small demo: domestic abuse in at least RECURRING_REVIEWS recent reviews."""
        start = window_start(self.today)
        recent = sorted([x for x in planned if start <= x[0]["started_on"] <= self.today],
                        key=lambda x: (x[0]["started_on"], x[0]["id"]), reverse=True)
        have = sum(DA in x[3] for x in recent)
        for x in recent:
            if have >= RECURRING_REVIEWS:
                break
            if DA not in x[3]:
                x[3].insert(0, DA)
                have += 1
