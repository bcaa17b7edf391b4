"""What the panel needs on each agenda item, from the live record (docs/domain.md §6.3): a
referral's criteria result with its reasons, notification clocks and recurring themes; a rapid
review's or a milestone item's next stage and due date; a report awaiting sign-off the state of
its draft, its sign-off and its publication. Reads only; references, never child identifiers,
except the criteria's reasons, which the page hides in presentation mode."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlmodel import select

from panel.core.access import Actor
from panel.core.clock import day
from panel.core.db import read_session
from panel.meetings.service import meeting_for
from panel.models import AgendaItem, Referral, Review, ReviewMilestone, ReviewType
from panel.reviews import lifecycle
from panel.reviews.context import family_in, processes_in
from panel.reviews.rules import (
    FAMILY_EVENTS,
    LCSPR_DECISIONS,
    PROCESS_KINDS,
    PROCESS_STATUSES,
    PUBLICATION_STATUSES,
)
from panel.reviews.types import LCSPR_DECISION_KEY, PUBLICATION_KEY
from panel.screening import service as screening_service
from panel.screening.rules import NotificationClock
from panel.screening.service import clocks_of, first_notified_on
from panel.themes import recurrence as theme_recurrence

# The report's way to publication, in order: what a sign-off item shows (docs/domain.md §6.2).
REPORT_KEYS = ("draft_report", "panel_sign_off", "partnership_sign_off", PUBLICATION_KEY)
# A step's status as the item says it, before its date (actual when done, else planned).
STEP_LABELS = {"done": "done", "done_late": "done late,", "overdue": "overdue since", "due_soon": "due soon,",
               "pending": "planned for"}


@dataclass(frozen=True)
class ReportStep:
    """One milestone on the report's way: planned and actual dates and its status
    (lifecycle.STATUSES: done, done_late, overdue, due_soon, pending)."""

    key: str
    name: str
    planned: date | None
    actual: date | None
    status: str


@dataclass
class ItemCase:
    """What the panel needs to decide on an agenda item, from the live record."""

    kind: str
    reference: str | None
    result: dict | None = None  # referral: the criteria's answer (regime, route, notify, reasons)
    problem: str | None = None  # referral: why the criteria cannot answer on its facts
    clocks: list[NotificationClock] = field(default_factory=list)  # referral: screening.rules' clocks
    themes: list[str] = field(default_factory=list)  # referral: its recurring themes' messages
    stage: str | None = None  # review: the next milestone
    due: date | None = None
    publication: str | None = None  # review: its publication status
    review_type: str | None = None
    report: list[ReportStep] = field(default_factory=list)  # sign-off: draft, sign-off, publication
    processes: list[str] = field(default_factory=list)  # review: its parallel processes, one line each
    family: list[str] = field(default_factory=list)  # review: the family's involvement (chair, manager)
    lcspr_decision: str | None = None  # rapid review: the partners' decision on an LCSPR, as the page says it
    lcspr_decision_due: date | None = None  # rapid review: when that decision is due (its milestone's plan)


def process_line(p) -> str:
    """A parallel process in one line, as the panel would say it: kind, reference, status, next event."""
    line = PROCESS_KINDS.get(p.kind, p.kind) + (f" ({p.reference})" if p.reference else "")
    if p.status == "concluded":
        line += f": concluded {day(p.concluded_on)}" + (f", {p.outcome}" if p.outcome else "")
    else:
        line += f": {PROCESS_STATUSES['ongoing'].lower()}"
        if p.next_event and p.next_on:
            line += f", {p.next_event} on {day(p.next_on)}"
    return line + ("; publication waits for it" if p.delays_publication and p.status == "ongoing" else "")


def item_cases(actor: Actor, meeting_id, today: date) -> dict[int, ItemCase]:
    """Each agenda item's case (item id -> ItemCase): for a referral, the criteria's result on
    its facts as screening reads them, its notification clocks (the one clock of
    `screening.rules.notification_clocks`, through `clocks_of`) and its recurring themes; for a
    rapid review or a milestone item, its stage and due date (and a rapid review's LCSPR decision,
    or when it is due); for a sign-off, the report's steps."""
    with read_session() as s:
        m = meeting_for(s, actor, meeting_id)
        items = list(s.exec(select(AgendaItem).where(AgendaItem.meeting_id == m.id)))
        refs = {i.reference for i in items if i.reference}
        referrals = list(s.exec(select(Referral).where(Referral.partnership_id == m.partnership_id,
                                                       Referral.reference.in_(refs or {""}))))
        clocks = clocks_of(s, referrals, today)
        notified = {r.id: first_notified_on(s, r.id) for r in referrals}
        by_ref = {r.reference: r for r in referrals}
        reviews = {rv.reference: (rv, name) for rv, name in s.exec(
            select(Review, ReviewType.name).join(ReviewType, ReviewType.id == Review.review_type_id)
            .where(Review.partnership_id == m.partnership_id, Review.reference.in_(refs or {""})))}
        review_ids = [rv.id for rv, _ in reviews.values()]
        processes = processes_in(s, review_ids)
        family = family_in(s, review_ids) if actor.can("family.read", m.partnership_id) else {}
        milestones: dict[int, list[ReviewMilestone]] = {}
        for ms in s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id.in_(
                [rv.id for rv, _ in reviews.values()] or [-1])).order_by(ReviewMilestone.position)):
            milestones.setdefault(ms.review_id, []).append(ms)
    out: dict[int, ItemCase] = {}
    for it in items:
        case = ItemCase(it.kind, it.reference)
        if it.kind == "referral" and it.reference in by_ref:
            r = by_ref[it.reference]
            facts = screening_service.facts_of(r, notified[r.id])  # as the screening page reads them
            case.result, problem = screening_service.assess_facts(facts)
            case.problem = next(iter(problem.values()), None)
            case.clocks = clocks[r.id]
            case.themes = [t.message for t in theme_recurrence.referral_recurring_themes(actor, r.reference, today)]
        elif it.reference in reviews:
            rv, type_name = reviews[it.reference]
            mine = milestones.get(rv.id, [])
            st = lifecycle.review_status([{"key": x.key, "planned": x.planned_on, "actual": x.actual_on}
                                          for x in mine], today)
            names = {x.key: x.name for x in mine}
            case.stage = names.get(st["next_key"]) or "All milestones done"
            case.due, case.review_type = st["next_due"], type_name
            case.publication = PUBLICATION_STATUSES.get(rv.publication_status, rv.publication_status)
            case.processes = [process_line(p) for p in processes.get(rv.id, [])]
            case.family = [f"{FAMILY_EVENTS.get(f.event, f.event)}: {f.family_member.lower()}, {day(f.happened_on)}"
                           for f in family.get(rv.id, [])]
            if it.kind == "rapid_review":
                case.lcspr_decision = LCSPR_DECISIONS.get(rv.lcspr_decision, rv.lcspr_decision)
                case.lcspr_decision_due = next((x.planned_on for x in mine if x.key == LCSPR_DECISION_KEY), None)
            if it.kind == "sign_off":
                steps = sorted((x for x in mine if x.key in REPORT_KEYS), key=lambda x: REPORT_KEYS.index(x.key))
                case.report = [ReportStep(x.key, x.name, x.planned_on, x.actual_on, st["statuses"][x.key])
                               for x in steps]
        out[it.id] = case
    return out
