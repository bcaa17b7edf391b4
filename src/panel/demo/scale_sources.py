"""Scale demo: one partnership's learning beside its reviews, and how it was shared
(docs/domain.md §7.1): 2–4 learning sources a year (audits, child death review learning,
inspections, incident and local learning reviews), each with its agencies and its findings and
recommendations, and 1–3 learning events a year on a closed review's recommendations or a source,
with attendance by agency and role. Bulk rows, as the rest of the scale demo
(panel.demo.scale_rows); every title, reference and topic is invented.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from panel.demo.scale_rows import at
from panel.demo.sharing import ATTENDANCE
from panel.demo.texts import DA
from panel.learning.source_rules import AUDIT_KINDS, GRADES
from panel.models import (
    LearningEvent,
    LearningEventAttendance,
    LearningEventLink,
    LearningSource,
    SourceAgency,
)

# fmt: off
# (kind, reference prefix, title, topic, inspectorate, themes of each of its findings)
SOURCES = [
    ("child_death_review", "CDOP", "Child death overview panel: learning from infant deaths",
     "Safer sleep advice and the care of infants", None,
     [["sudden unexpected death in infancy", "substance misuse"], ["non-accidental injury in babies", "recording"]]),
    ("case_file_audit", "AUD", "Inter-agency case file audit: neglect", "Plans and strategy discussions for neglected children",
     None, [["neglect", "the child's voice and lived experience"], [DA, "information sharing"]]),
    ("self_audit", "S11", "Section 11 self-assessment: agencies' safeguarding arrangements",
     "Supervision, training and escalation in each agency", None,
     [["supervision and workload", "critical thinking and escalation"]]),
    ("inspection", "JTAI", "Joint targeted area inspection: the multi-agency front door",
     "Referrals, strategy discussions and early help at the front door", "jtai",
     [["information sharing", "early help"], ["risk assessment", "recording"]]),
    ("cpir", "CPIR", "Child protection incident review: a teenager at risk of exploitation",
     "How agencies responded to repeated missing episodes", None,
     [["criminal exploitation", "missing children"]]),
    ("local_learning_review", "LLR", "Local learning review: a family moving between areas",
     "Transfers of information when a family moves", None,
     [["homeless families and moves across borders", "transitions between areas"]]),
]
EVENTS = [  # (kind, topic, audience)
    ("learning_event", "Learning from recent reviews: seeing the whole family",
     "Practitioners and first-line managers across the partnership"),
    ("bitesize", "Bitesize: what our reviews say about professional curiosity", "Frontline practitioners (online, 45 minutes)"),
    ("briefing_session", "Seven-minute briefing session: a review's learning", "Team meetings across the partnership"),
    ("conference", "Annual safeguarding conference: learning into practice", "Practitioners, managers and partners"),
]
# fmt: on


class Sources:
    """Adds the learning sources and learning events of a partnership to `learning`'s rows."""

    def __init__(self, learning, pid: int):
        self.learning, self.rows, self.ids = learning, learning.rows, learning.ids
        # Draws of their own, seeded from the loader's generator without drawing from it, so
        # adding sources and events leaves the reviews and their learning as they were.
        self.rng = random.Random(f"sources-{pid}-{hash(learning.rng.getstate()[1])}")

    def prepare(self) -> None:
        """Called before the partnership's first finding: sources are inserted before the findings
        that point at them (rows go in table by table, in the order tables were first added)."""
        for table in (LearningSource, SourceAgency):
            self.rows.by_table.setdefault(table, [])

    def run(self, pid: int, code: str, since: date, closed_reviews: list[dict]) -> None:
        main, self.learning.rng = self.learning.rng, self.rng  # the sources' findings draw from ours
        try:
            self._run(pid, code, since, closed_reviews)
        finally:
            self.learning.rng = main

    def _run(self, pid: int, code: str, since: date, closed_reviews: list[dict]) -> None:
        by = (self.learning.setup.by_role[pid].get("manager") or [None])[0]
        today = self.learning.today
        for year in range(since.year + 1, today.year + 1):
            made = [self.source(pid, code, year, i, by) for i in range(1, self.rng.randint(2, 4) + 1)
                    if self.rng.random() < self.learning.factor]
            made = [s for s in made if s]
            reviews = [rv for rv in closed_reviews if rv["started_on"].year in (year - 1, year)]
            for _ in range(self.rng.randint(1, 3)):
                if self.rng.random() < self.learning.factor:
                    self.event(pid, year, by, reviews, made)

    def source(self, pid: int, code: str, year: int, n: int, by: int | None) -> dict | None:
        rng, today = self.rng, self.learning.today
        kind, prefix, title, topic, inspectorate, theme_sets = rng.choice(SOURCES)
        done = date(year, rng.randint(1, 12), rng.randint(1, 28))
        if done > today:
            return None
        started = done - timedelta(days=rng.randint(45, 150))
        ongoing = done > today - timedelta(days=60) and rng.random() < 0.5
        src = {"id": self.ids.take(LearningSource), "partnership_id": pid, "kind": kind,
               "title": f"{title} ({year})", "reference": f"{code}-{prefix}-{year}-{n:02d}", "topic": topic,
               "inspectorate": inspectorate, "cases_sampled": rng.randint(8, 40) if kind in AUDIT_KINDS else None,
               "started_on": started, "completed_on": None if ongoing else done, "created_by_id": by,
               "created_at": at(min(today, done), 10), "version": 1}
        self.rows.add(LearningSource, src)
        grades = list(GRADES)
        for agency_id in rng.sample(self.learning.setup.agency_ids, rng.randint(2, 4)):
            self.rows.add(SourceAgency, {"source_id": src["id"], "agency_id": agency_id,
                                         "grade": rng.choice(grades) if kind in AUDIT_KINDS else None})
        for themes in theme_sets:
            self.learning.finding(pid, None, min(today, done), list(themes), not ongoing, source_kind=kind,
                           source_title=src["title"], source_id=src["id"])
        return src

    def event(self, pid: int, year: int, by: int | None, reviews: list[dict], sources: list[dict]) -> None:
        rng, today = self.rng, self.learning.today
        held = date(year, rng.randint(1, 12), rng.randint(1, 28))  # a general session, unless it shared:
        links: list[tuple[str, int]] = []
        if reviews and (not sources or rng.random() < 0.6):
            rv = rng.choice(reviews)  # a closed review's learning, a few months after it started
            held = max(held, rv["started_on"] + timedelta(days=rng.randint(90, 240)))
            links = [("review", rv["id"])] + [("recommendation", r) for r in self.learning.recs_of.get(rv["id"], [])[:2]]
        elif sources:
            src = rng.choice(sources)  # after its findings were recorded
            held = (src["completed_on"] or src["started_on"]) + timedelta(days=rng.randint(20, 60))
            links = [("source", src["id"])]
        held = min(today, held)
        kind, topic, audience = rng.choice(EVENTS)
        ev = {"id": self.ids.take(LearningEvent), "partnership_id": pid, "held_on": held, "kind": kind,
              "topic": topic, "audience": audience, "created_by_id": by, "created_at": at(held, 17), "version": 1}
        self.rows.add(LearningEvent, ev)
        for entity, entity_id in dict.fromkeys(links):
            self.rows.add(LearningEventLink, {"id": self.ids.take(LearningEventLink), "event_id": ev["id"],
                                              "entity": entity, "entity_id": entity_id})
        agencies = self.learning.agencies
        for agency, role, lo, hi in rng.sample(ATTENDANCE, rng.randint(2, 4)):
            self.rows.add(LearningEventAttendance, {"id": self.ids.take(LearningEventAttendance), "event_id": ev["id"],
                                                    "agency_id": agencies.get(agency), "role": role,
                                                    "attended": rng.randint(lo, hi)})
