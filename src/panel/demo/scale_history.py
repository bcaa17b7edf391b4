"""Scale demo: one partnership's screening history as rows (notifications, decisions, reviews,
milestones), with the small demo's rules (`panel.demo.history`): the engine's regime and route on
each decision, the panel's usual outcome for the route (sometimes a recorded departure),
milestones planned by `panel.reviews.lifecycle`, most history complete, some late, recent work stalled.
"""

from __future__ import annotations

import json
import random
from datetime import date, timedelta
from types import SimpleNamespace

from panel.core.clock import add_months, add_working_days, working_days_between
from panel.demo.history import (
    DEPARTURE_RATE,
    DEPARTURES,
    DISAGREE_NOTE,
    LCSPR_RATE,
    LEAD_REVIEWER_TYPES,
    RECENT_WORKING_DAYS,
    REVIEWERS,
    SENT_PREFIX,
    USUAL,
    considerations,
    decision_rationale,
    milestone_progress,
    notification_sent_on,
)
from panel.demo.scale_rows import at
from panel.models import Decision, Notification, Review, ReviewMilestone, ReviewType
from panel.reviews import lifecycle
from panel.reviews.lifecycle import subtract_working_days
from panel.reviews.types_service import spec_of
from panel.screening import rules as screening
from panel.screening.rules import NOTIFY_WITHIN
from panel.screening.service import facts_of

DISAGREE_RATE = 0.03  # of "no LCSPR" decisions the National Panel answered


class History:
    def __init__(self, ids, rows, rng: random.Random, setup, pid: int):
        self.ids, self.rows, self.rng, self.setup, self.pid = ids, rows, rng, setup, pid
        self.today = setup.today
        self.recent = subtract_working_days(self.today, RECENT_WORKING_DAYS)
        self.types = setup.types[pid]
        self.specs = {k: spec_of(ReviewType(**v)) for k, v in self.types.items()}
        self.chair = setup.chair(pid)
        self.present = json.dumps(setup.panel(pid))
        by_role = setup.by_role[pid]
        self.member = (by_role.get("member") or [self.chair])[0]
        self.notifier = (by_role.get("manager") or [self.chair])[0]
        self.decisions: list[dict] = []
        # (review row, referral row, type key, summary, {milestone key: actual}) for the learning
        self.reviews: list[tuple[dict, dict, str, dict]] = []
        self.rapid: list[tuple[dict, dict, dict, date | None]] = []

    def run(self, referrals: list[dict]) -> None:
        for r in referrals:
            if r["status"] == "decided":
                self.decided(r)
        self.finish()
        accepted = [r for r in referrals if r["status"] == "accepted"]
        self.drafts(accepted)
        self.notified(accepted)

    @staticmethod
    def assess(r: dict) -> dict:
        return screening.assess(facts_of(SimpleNamespace(**r)))

    # -- notifications ------------------------------------------------------------------------
    def notification(self, r: dict, body: str, due: date, sent: date) -> None:
        self.rows.add(Notification, {
            "id": self.ids.take(Notification), "referral_id": r["id"], "body": body, "due_on": due,
            "sent_on": sent, "sent_reference": f"{SENT_PREFIX[body]}-{sent.year}-{self.rng.randint(100, 2999):04d}",
            "recorded_by_id": self.notifier, "recorded_at": at(sent, 12)})

    def notify(self, r: dict, result: dict) -> date | None:
        day0 = None
        for item in result["notify"]:
            due = date.fromisoformat(item["due"])
            sent = notification_sent_on(self.rng, due, r["aware_on"], self.today)
            self.notification(r, item["to"], due, sent)
            if item["to"] in ("national_panel", "ofsted"):
                day0 = sent if day0 is None else min(day0, sent)
        if result["notify"]:
            r["director_decision"] = "notify"
            r["dcs_informed_on"] = min(self.today, r["aware_on"] + timedelta(days=self.rng.randint(0, 1)))
        return day0

    # -- decisions ----------------------------------------------------------------------------
    def decision(self, r: dict, result: dict, key: str, why: str | None, decided_on: date, signed: bool) -> dict:
        t = self.types[key]
        d = {
            "id": self.ids.take(Decision), "referral_id": r["id"], "version_no": 1,
            "status": "signed" if signed else "draft", "review_type_id": t["id"],
            "engine_regime": result["regime"], "engine_route": result["route"],
            "departs": screening.departs_from_criteria(result["route"], t["routes"]),
            "rationale": decision_rationale(SimpleNamespace(**t), SimpleNamespace(**r)), "departure_rationale": why,
            "amendment_reason": None, "present": self.present, "apologies": "[]", "conflicts": "[]",
            "meeting_id": None, "recorded_by_id": self.chair if signed else self.member,
            "recorded_at": at(decided_on, 15), "decided_on": decided_on,
            "signed_by_id": self.chair if signed else None, "signed_at": at(decided_on, 16) if signed else None,
        }
        self.rows.add(Decision, d)
        self.decisions.append(d)
        return d

    def decided(self, r: dict) -> None:
        result = self.assess(r)
        notified_on = self.notify(r, result)
        regime, route = result["regime"], result["route"]
        departure = DEPARTURES.get((regime, route))
        if departure and self.rng.random() < DEPARTURE_RATE:
            key, why = departure
        else:
            key, why = self.rng.choice(USUAL[(regime, route)]), None
        decided_on = min(self.today, add_working_days(r["aware_on"], self.rng.randint(3, 8)))
        d = self.decision(r, result, key, why, decided_on, signed=True)
        if not self.types[key]["creates_review"]:
            return
        review, actual = self.review(r, d, key, 1, decided_on, notified_on)
        if key == "rapid_review" and review["status"] == "closed":
            review["lcspr_decision"] = "lcspr" if self.rng.random() < LCSPR_RATE else "no_lcspr"
            review["sent_to_national_panel_on"] = actual["sent_to_national_panel"]
            if review["sent_to_national_panel_on"] < subtract_working_days(self.today, 10):
                review["national_panel_response"] = "agrees"
            self.rapid.append((r, d, review, actual["lcspr_decision_recorded"]))

    # -- reviews ------------------------------------------------------------------------------
    def review(self, r: dict, d: dict, key: str, n: int, started_on: date,
               notified_on: date | None) -> tuple[dict, dict[str, date | None]]:
        spec = self.specs[key]
        planned = lifecycle.planned_dates(spec, started_on, notified_on or started_on)
        keys = [m.key for m in spec.milestones]
        actuals = milestone_progress(self.rng, [planned[k] for k in keys], self.today, self.recent)
        review = {
            "id": self.ids.take(Review), "reference": f"{r['reference']}-R{n}", "partnership_id": self.pid,
            "referral_id": r["id"], "decision_id": d["id"], "review_type_id": self.types[key]["id"],
            "status": "closed" if all(actuals) else "open", "started_on": started_on, "notified_on": notified_on,
            "lead_reviewer": self.rng.choice(REVIEWERS) if key in LEAD_REVIEWER_TYPES else None,
            "lead_reviewer_email": None, "publication_status": "planned", "publication_reason": None,
            "lcspr_considerations": "{}", "lcspr_decision": None, "sent_to_national_panel_on": None,
            "national_panel_response": None, "national_panel_note": None, "version": 1,
            "created_at": at(started_on, 17),
        }
        self.rows.add(Review, review)
        for i, m in enumerate(spec.milestones):
            self.rows.add(ReviewMilestone, {
                "id": self.ids.take(ReviewMilestone), "review_id": review["id"], "key": m.key, "name": m.name,
                "position": i, "statutory": m.statutory, "planned_on": planned[m.key], "actual_on": actuals[i]})
        actual = dict(zip(keys, actuals, strict=True))
        self.reviews.append((review, r, key, actual))
        return review, actual

    def finish(self) -> None:
        """An LCSPR under way if chance gave the last year none; each LCSPR is its referral's
        second review; the National Panel disagrees with a few decisions not to hold one."""
        year_ago = add_months(self.today, -12)
        recent = [x for x in self.rapid if year_ago <= x[3] <= subtract_working_days(self.today, 20)]
        if recent and not any(x[2]["lcspr_decision"] == "lcspr" for x in recent):
            self.rng.choice(recent)[2]["lcspr_decision"] = "lcspr"
        for r, d, review, decided_on in self.rapid:
            lcspr = review["lcspr_decision"] == "lcspr"
            review["lcspr_considerations"] = considerations(self.rng, r["location"], lcspr)
            if lcspr:
                self.review(r, d, "lcspr", 2, decided_on, review["notified_on"])
            elif review["national_panel_response"] and self.rng.random() < DISAGREE_RATE:
                review["national_panel_response"] = "disagrees"
                review["national_panel_note"] = DISAGREE_NOTE

    # -- live work ----------------------------------------------------------------------------
    def drafts(self, accepted: list[dict]) -> None:
        """The two accepted referrals nearest their deadline wait for screening; the others have
        a draft decision awaiting the chair's signature."""
        def distance(r: dict) -> int:
            return abs(working_days_between(self.today, add_working_days(r["aware_on"], NOTIFY_WITHIN)))

        for r in sorted(accepted, key=lambda r: (distance(r), r["id"]))[2:]:
            result = self.assess(r)
            key = USUAL[(result["regime"], result["route"])][0]
            decided_on = max(r["aware_on"], subtract_working_days(self.today, 1))
            self.decision(r, result, key, None, decided_on, signed=False)

    def notified(self, accepted: list[dict]) -> None:
        """The oldest accepted referral that must be notified has its National Panel notice sent."""
        for r in sorted(accepted, key=lambda r: (r["aware_on"], r["id"])):
            due = next((date.fromisoformat(n["due"]) for n in self.assess(r)["notify"]
                        if n["to"] == "national_panel"), None)
            if due is not None:
                self.notification(r, "national_panel", due,
                                  min(self.today, max(r["aware_on"], subtract_working_days(due, 1))))
                return
