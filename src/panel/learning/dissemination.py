"""Learning shared with practitioners (docs/domain.md §7.1): learning events, bitesize sessions,
briefing sessions, conferences and newsletters, what each shared (reviews, recommendations,
briefings, learning sources of its partnership) and how many attended from which agency.

Walls as everywhere: an event of another partnership is NotFound, never "forbidden"; writing
needs "learning.edit", reading "learning.read". Every write checks its input first
(panel.learning.dissemination_rules), is one transaction and writes its audit row in it; an edit
checks the event's version, so two people never silently overwrite each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import case, delete, func, or_, update
from sqlmodel import Session, select

from panel.agencies.service import active_ids
from panel.core import audit, clock
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, StaleEdit, ValidationFailed
from panel.learning import dissemination_rules as rules
from panel.models import (
    Agency,
    Briefing,
    LearningEvent,
    LearningEventAttendance,
    LearningEventLink,
    LearningSource,
    Partnership,
    Recommendation,
    Review,
    ReviewType,
)

NOT_FOUND = "No learning event with that number is open to you."
EVENT_KINDS = rules.EVENT_KINDS
COLUMNS = ["id", "partnership", "held_on", "kind", "topic", "audience", "shared", "agencies", "attended"]
LINKED = {"review": Review, "recommendation": Recommendation, "briefing": Briefing, "source": LearningSource}
SHORT = 70


@dataclass
class EventDetail:
    event: LearningEvent
    partnership_code: str
    links: list[dict] = field(default_factory=list)  # {"entity", "id", "label"}
    attendance: list[dict] = field(default_factory=list)  # {"agency_id", "agency", "role", "attended"}
    attended: int = 0
    can_edit: bool = False


def _short(text: str | None, n: int = SHORT) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"


def _checked(held_on, kind, topic, audience, links, attendance, today: date | None):
    """The form checked whole before any transaction: its errors by field, or the clean values."""
    errors = rules.event_errors(held_on, kind, topic, audience, today or clock.today())
    pairs, link_problem = rules.links(links)
    rows, rows_problem = rules.attendance(attendance)
    if link_problem:
        errors["links"] = link_problem
    if rows_problem:
        errors["attendance"] = rows_problem
    if errors:
        raise ValidationFailed(errors)
    return " ".join(str(topic).split()), (str(audience or "").strip() or None), pairs, rows


def _check_targets(s: Session, partnership_id: int, pairs, rows, allowed_agencies: set[int]) -> None:
    """Each linked record is its partnership's own; each agency is on the list (an edit may keep
    an agency retired since)."""
    for entity, entity_id in pairs:
        row = s.get(LINKED[entity], entity_id)
        if row is None or row.partnership_id != partnership_id:
            raise ValidationFailed({"links": "Choose what the event shared from this partnership's records."})
    agencies = {a for a, _, _ in rows if a is not None}
    if agencies - (active_ids(s) | allowed_agencies):
        raise ValidationFailed({"attendance": "Check the attendance: choose each agency from the list."})


def _write_parts(s: Session, event_id: int, pairs, rows) -> None:
    s.add_all(LearningEventLink(event_id=event_id, entity=e, entity_id=i) for e, i in pairs)
    s.add_all(LearningEventAttendance(event_id=event_id, agency_id=a, role=r, attended=n) for a, r, n in rows)


def _summary(ev: LearningEvent, pairs, rows) -> dict:
    return {"held_on": ev.held_on, "kind": ev.kind, "topic": ev.topic, "audience": ev.audience,
            "links": [f"{e}:{i}" for e, i in pairs], "attendance": [[a, r, n] for a, r, n in rows],
            "attended": rules.reached(rows)}


def record_event(actor: Actor, partnership_id: int, held_on: date, kind: str, topic: str, audience: str | None,
                 links, attendance, today: date | None = None) -> int:
    """A learning event held in the partnership: what it shared (`links`: (entity, id) pairs) and
    who attended (`attendance`: {"agency_id", "role", "attended"} rows). Returns its id."""
    topic, audience, pairs, rows = _checked(held_on, kind, topic, audience, links, attendance, today)
    with transaction() as s:
        if not isinstance(partnership_id, int) or not actor.can("learning.read", partnership_id):
            raise NotFound("No partnership with that number is open to you.")
        actor.require("learning.edit", partnership_id)
        _check_targets(s, partnership_id, pairs, rows, set())
        ev = LearningEvent(partnership_id=partnership_id, held_on=held_on, kind=kind, topic=topic,
                           audience=audience, created_by_id=actor.user_id)
        s.add(ev)
        s.flush()
        _write_parts(s, ev.id, pairs, rows)
        audit.record(s, actor, "event_add", "learning_event", ev.id, partnership_id, after=_summary(ev, pairs, rows))
        return ev.id


def _load(s: Session, actor: Actor, event_id) -> LearningEvent:
    ev = s.get(LearningEvent, event_id) if isinstance(event_id, int) and not isinstance(event_id, bool) else None
    if ev is not None and actor.can("learning.read", ev.partnership_id):
        return ev
    raise audit.not_found(actor, "learning_event", event_id, NOT_FOUND, what="id")


def _parts(s: Session, event_id: int) -> tuple[list[tuple[str, int]], list[tuple[int | None, str, int]]]:
    pairs = [(ln.entity, ln.entity_id) for ln in s.exec(
        select(LearningEventLink).where(LearningEventLink.event_id == event_id).order_by(LearningEventLink.id))]
    rows = [(r.agency_id, r.role, r.attended) for r in s.exec(
        select(LearningEventAttendance).where(LearningEventAttendance.event_id == event_id)
        .order_by(LearningEventAttendance.id))]
    return pairs, rows


def update_event(actor: Actor, event_id: int, *, held_on: date, kind: str, topic: str, audience: str | None,
                 links, attendance, expected_version: int, today: date | None = None) -> None:
    """Replace the event's record as a whole (the form holds all of it): refused, with nothing
    changed, when someone else saved it since `expected_version`."""
    topic, audience, pairs, rows = _checked(held_on, kind, topic, audience, links, attendance, today)
    with transaction() as s:
        ev = _load(s, actor, event_id)
        actor.require("learning.edit", ev.partnership_id)
        old_pairs, old_rows = _parts(s, ev.id)
        _check_targets(s, ev.partnership_id, pairs, rows, {a for a, _, _ in old_rows if a is not None})
        before = _summary(ev, old_pairs, old_rows)
        done = s.execute(update(LearningEvent).where(LearningEvent.id == ev.id, LearningEvent.version == expected_version)
                         .values(held_on=held_on, kind=kind, topic=topic, audience=audience,
                                 version=LearningEvent.version + 1))
        if done.rowcount != 1:
            raise StaleEdit("learning event")
        s.execute(delete(LearningEventLink).where(LearningEventLink.event_id == ev.id))
        s.execute(delete(LearningEventAttendance).where(LearningEventAttendance.event_id == ev.id))
        _write_parts(s, ev.id, pairs, rows)
        after = {**_summary(ev, pairs, rows), "held_on": held_on, "kind": kind, "topic": topic, "audience": audience}
        b, a = audit.changed(before, after)
        audit.record(s, actor, "event_edit", "learning_event", ev.id, ev.partnership_id, before=b, after=a)


def _labels(s: Session, pairs) -> dict[tuple[str, int], str]:
    """A short name for each linked record: a review's reference, a recommendation's number and
    opening words, a briefing's or learning source's title."""
    ids: dict[str, list[int]] = {}
    for e, i in pairs:
        ids.setdefault(e, []).append(i)
    out: dict[tuple[str, int], str] = {}
    if ids.get("review"):
        out |= {("review", i): ref for i, ref in s.exec(select(Review.id, Review.reference)
                                                        .where(Review.id.in_(ids["review"])))}
    if ids.get("recommendation"):
        out |= {("recommendation", i): f"Recommendation {i}: {_short(t, 50)}" for i, t in s.exec(
            select(Recommendation.id, Recommendation.text).where(Recommendation.id.in_(ids["recommendation"])))}
    if ids.get("briefing"):
        out |= {("briefing", i): t for i, t in s.exec(select(Briefing.id, Briefing.title)
                                                      .where(Briefing.id.in_(ids["briefing"])))}
    if ids.get("source"):
        out |= {("source", i): t for i, t in s.exec(select(LearningSource.id, LearningSource.title)
                                                    .where(LearningSource.id.in_(ids["source"])))}
    return out


def list_events(actor: Actor, partnership_ids: list[int] | None = None, limit: int = 500) -> pd.DataFrame:
    """The partnerships' events, newest first, each with what it shared and how many attended
    from how many agencies."""
    pids = actor.partnerships_with("learning.read", partnership_ids)
    if not pids:
        return pd.DataFrame(columns=COLUMNS)
    totals = (select(LearningEventAttendance.event_id, func.sum(LearningEventAttendance.attended).label("n"),
                     func.count(func.distinct(LearningEventAttendance.agency_id)).label("agencies"))
              .group_by(LearningEventAttendance.event_id).subquery())
    with read_session() as s:
        rows = s.exec(select(LearningEvent, Partnership.code, totals.c.agencies, totals.c.n)
                      .join(Partnership, Partnership.id == LearningEvent.partnership_id)
                      .outerjoin(totals, totals.c.event_id == LearningEvent.id)
                      .where(LearningEvent.partnership_id.in_(pids))
                      .order_by(LearningEvent.held_on.desc(), LearningEvent.id.desc()).limit(limit)).all()
        links = s.exec(select(LearningEventLink.event_id, LearningEventLink.entity, LearningEventLink.entity_id)
                       .where(LearningEventLink.event_id.in_([ev.id for ev, *_ in rows]))
                       .order_by(LearningEventLink.id)).all()
        names = _labels(s, [(e, i) for _, e, i in links])
    shared: dict[int, list[str]] = {}
    for event_id, e, i in links:
        shared.setdefault(event_id, []).append(names.get((e, i), f"{rules.LINK_ENTITIES[e]} {i}"))
    return pd.DataFrame([{
        "id": ev.id, "partnership": code, "held_on": ev.held_on, "kind": EVENT_KINDS.get(ev.kind, ev.kind),
        "topic": ev.topic, "audience": ev.audience or "", "shared": "; ".join(shared.get(ev.id, [])),
        "agencies": int(agencies or 0), "attended": int(n or 0)} for ev, code, agencies, n in rows], columns=COLUMNS)


def get_event(actor: Actor, event_id: int) -> EventDetail:
    """One event with what it shared and its attendance, agency by agency."""
    with read_session() as s:
        ev = _load(s, actor, event_id)
        code = s.get(Partnership, ev.partnership_id).code
        pairs, rows = _parts(s, ev.id)
        names = _labels(s, pairs)
        agencies = dict(s.exec(select(Agency.id, Agency.name).where(
            Agency.id.in_([a for a, _, _ in rows if a is not None]))).all())
    return EventDetail(
        event=ev, partnership_code=code,
        links=[{"entity": e, "id": i, "label": names.get((e, i), f"{rules.LINK_ENTITIES[e]} {i}")} for e, i in pairs],
        attendance=[{"agency_id": a, "agency": agencies.get(a, rules.NO_AGENCY), "role": r, "attended": n}
                    for a, r, n in rows],
        attended=rules.reached(rows), can_edit=actor.can("learning.edit", ev.partnership_id))


def link_choices(actor: Actor, partnership_id: int) -> dict:
    """What an event of the partnership may share, for the page's lists: {"reviews": {id: label},
    "recommendations": [{"id", "review_id", "label"}]}, newest first."""
    if not isinstance(partnership_id, int) or not actor.can("learning.read", partnership_id):
        raise NotFound("No partnership with that number is open to you.")
    with read_session() as s:
        reviews = {i: f"{ref} · {name}" for i, ref, name in s.exec(
            select(Review.id, Review.reference, ReviewType.name).join(ReviewType, ReviewType.id == Review.review_type_id)
            .where(Review.partnership_id == partnership_id).order_by(Review.started_on.desc(), Review.id.desc()))}
        recs = [{"id": i, "review_id": rv, "label": f"Recommendation {i}" + (f" ({ref})" if ref else "")
                 + f": {_short(t)}"} for i, rv, ref, t in s.exec(
            select(Recommendation.id, Recommendation.review_id, Review.reference, Recommendation.text)
            .outerjoin(Review, Review.id == Recommendation.review_id)
            .where(Recommendation.partnership_id == partnership_id)
            .order_by(Recommendation.recorded_on.desc(), Recommendation.id.desc()))]
    return {"reviews": reviews, "recommendations": recs}


def shared_for(actor: Actor, recommendation_id: int) -> list[dict]:
    """Where a recommendation's learning was shared: events linked to it, or to its review (which
    shared all the review's learning), oldest first; each {"id", "held_on", "kind", "topic",
    "attended", "via"} where "via" is "recommendation" or "review"."""
    with read_session() as s:
        rec = s.get(Recommendation, recommendation_id) if isinstance(recommendation_id, int) else None
        if rec is None or not actor.can("learning.read", rec.partnership_id):
            raise NotFound("No recommendation with that number is open to you.")
        mine = (LearningEventLink.entity == "recommendation") & (LearningEventLink.entity_id == rec.id)
        conds = [mine] + ([(LearningEventLink.entity == "review") & (LearningEventLink.entity_id == rec.review_id)]
                          if rec.review_id else [])
        linked = (select(LearningEventLink.event_id, func.max(case((mine, 1), else_=0)).label("direct"))
                  .where(or_(*conds)).group_by(LearningEventLink.event_id).subquery())
        attended = (select(LearningEventAttendance.event_id, func.sum(LearningEventAttendance.attended).label("n"))
                    .group_by(LearningEventAttendance.event_id).subquery())
        rows = s.exec(select(LearningEvent, linked.c.direct, attended.c.n)
                      .join(linked, linked.c.event_id == LearningEvent.id)
                      .outerjoin(attended, attended.c.event_id == LearningEvent.id)
                      .where(LearningEvent.partnership_id == rec.partnership_id)
                      .order_by(LearningEvent.held_on, LearningEvent.id)).all()
    return [{"id": ev.id, "held_on": ev.held_on, "kind": EVENT_KINDS.get(ev.kind, ev.kind), "topic": ev.topic,
             "attended": int(n or 0), "via": "recommendation" if direct else "review"} for ev, direct, n in rows]
