"""Impact follow-up of a closed action (docs/domain.md §7.1): did the change hold? Closing an action
with evidence of impact may set a follow-up date (panel.learning.actions.close_action); a chair
or business manager may set or move it later, and records what the follow-up found, with the
learning source that found it where there is one (a re-audit). Follow-ups due reach the action
register and the reminder digests of the owner and the business managers.

Walls as for actions: another partnership's action is NotFound. Only those who close actions
("action.close") set or record a follow-up: its result is evidence of impact too. Every write
checks the action's version and writes its audit row in the same transaction.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
from sqlalchemy import update
from sqlmodel import Session, select

from panel.core import audit, clock
from panel.core.access import Actor
from panel.core.clock import working_days_between
from panel.core.db import escape_like, read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.learning import action_source
from panel.learning import follow_up_rules as rules
from panel.learning.actions import NOT_FOUND, REMINDER_DUE_SOON, RegisterFilter, short
from panel.models import Action, ActionNote, LearningSource

COLUMNS = ["id", "partnership", "review", "action", "owner_agency", "owner", "closed_on", "follow_up_on",
           "working_days_left", "state"]
ONLY_CLOSERS = "Only the panel chair or the business manager can set or record an action's follow-up."


def _load(s: Session, actor: Actor, action_id) -> Action:
    a = s.get(Action, action_id) if isinstance(action_id, int) and not isinstance(action_id, bool) else None
    if a is not None and actor.can("learning.read", a.partnership_id):
        if not actor.can("action.close", a.partnership_id):
            raise PermissionDenied(ONLY_CLOSERS)
        return a
    raise audit.not_found(actor, "action", action_id, NOT_FOUND, what="id")


def _bump(s: Session, a: Action, expected_version: int, **values) -> None:
    done = s.execute(update(Action).where(Action.id == a.id, Action.version == expected_version)
                     .values(**values, version=Action.version + 1))
    if done.rowcount != 1:
        raise StaleEdit("action")


def _closed(a: Action, field: str) -> None:
    if a.status != "closed":
        raise ValidationFailed({field: "Close the action with evidence of impact first: a follow-up checks that "
                                       "the change held."})


def schedule_follow_up(actor: Actor, action_id: int, follow_up_on: date | None, expected_version: int,
                       today: date | None = None) -> None:
    """Set, move or clear (None) the follow-up date of a closed action not yet followed up."""
    if follow_up_on is not None and not isinstance(follow_up_on, date):
        raise ValidationFailed({"follow_up_on": "Enter the date to follow up."})
    with transaction() as s:
        a = _load(s, actor, action_id)
        _closed(a, "follow_up_on")
        if a.follow_up_done_on is not None:
            raise ValidationFailed({"follow_up_on": f"The follow-up was recorded on {clock.day(a.follow_up_done_on)}."})
        if problem := rules.date_problem(follow_up_on, a.closed_on or today or clock.today()):
            raise ValidationFailed({"follow_up_on": problem})
        before = a.follow_up_on
        _bump(s, a, expected_version, follow_up_on=follow_up_on)
        s.add(ActionNote(action_id=a.id, by_id=actor.user_id, text=(
            f"Follow-up set for {clock.day(follow_up_on)}." if follow_up_on else "Follow-up date cleared.")))
        audit.record(s, actor, "action_follow_up_date", "action", a.id, a.partnership_id,
                     before={"follow_up_on": before}, after={"follow_up_on": follow_up_on})


def record_follow_up(actor: Actor, action_id: int, done_on: date, result: str, source_id: int | None = None, *,
                     expected_version: int, today: date | None = None) -> None:
    """What the follow-up of a closed action found, on `done_on`, and the learning source of the
    same partnership that found it (a re-audit), if any. Recording it again corrects it."""
    errors = rules.result_errors(done_on, result, None, today or clock.today())
    if source_id is not None and (isinstance(source_id, bool) or not isinstance(source_id, int)):
        errors["follow_up_source_id"] = "Choose the learning source from the list."
    if errors:
        raise ValidationFailed(errors)
    text = " ".join(str(result).split())
    with transaction() as s:
        a = _load(s, actor, action_id)
        _closed(a, "follow_up_result")
        if a.closed_on is not None and (late := rules.result_errors(done_on, text, a.closed_on, done_on)):
            raise ValidationFailed(late)
        if source_id is not None:
            src = s.get(LearningSource, source_id)
            if src is None or src.partnership_id != a.partnership_id:
                raise ValidationFailed({"follow_up_source_id": "Choose a learning source of this partnership."})
        before = {"follow_up_done_on": a.follow_up_done_on, "follow_up_result": a.follow_up_result,
                  "follow_up_source_id": a.follow_up_source_id}
        after = {"follow_up_done_on": done_on, "follow_up_result": text, "follow_up_source_id": source_id}
        _bump(s, a, expected_version, **after)
        s.add(ActionNote(action_id=a.id, by_id=actor.user_id, text=f"Followed up on {clock.day(done_on)}: {text}"))
        b, changed = audit.changed(before, after)
        audit.record(s, actor, "action_follow_up", "action", a.id, a.partnership_id, before=b, after=changed)


def _due(before: date) -> list:
    return [Action.status == "closed", Action.follow_up_on.is_not(None), Action.follow_up_done_on.is_(None),
            Action.follow_up_on < before]


def _left(day: date, today: date) -> int:
    """Working days left; at least one late once the day has passed (a weekend just gone too)."""
    left = working_days_between(today, day)
    return min(left, -1) if day < today else left


def follow_ups_due(actor: Actor, f: RegisterFilter, today: date, limit: int = 500) -> pd.DataFrame:
    """Closed actions whose follow-up is overdue or due within 10 working days, soonest first,
    for the register's partnership, agency and owner filters (its status filter aside: every one
    is closed)."""
    pids = actor.partnerships_with("learning.read", f.partnership_ids)
    if not pids:
        return pd.DataFrame(columns=COLUMNS)
    conds = [Action.partnership_id.in_(pids), *_due(rules.due_before(today))]
    if f.agency_id:
        conds.append(Action.owner_agency_id == f.agency_id)
    if f.owner.strip():
        conds.append(Action.owner_name.ilike(f"%{escape_like(f.owner.strip())}%", escape="\\"))
    with read_session() as s:
        rows = s.exec(action_source.with_source().where(*conds)
                      .order_by(Action.follow_up_on, Action.id).limit(limit)).all()
    return pd.DataFrame([{
        "id": a.id, "partnership": code,
        "review": action_source.source(review_ref, finding, held_on, a.recommendation_id is not None),
        "action": a.text, "owner_agency": action_source.agency(agency), "owner": a.owner_name,
        "closed_on": a.closed_on, "follow_up_on": a.follow_up_on,
        "working_days_left": _left(a.follow_up_on, today),
        "state": rules.STATES[rules.state(a.follow_up_on, None, today)],
    } for a, code, agency, _, review_ref, finding, _, held_on in rows], columns=COLUMNS)


def source_choices(actor: Actor, partnership_id: int) -> dict[int, str]:
    """The partnership's learning sources (id -> title), newest first: what may have found a
    follow-up's result."""
    if not isinstance(partnership_id, int) or not actor.can("learning.read", partnership_id):
        raise NotFound("No partnership with that number is open to you.")
    with read_session() as s:
        rows = s.exec(select(LearningSource.id, LearningSource.title, LearningSource.reference)
                      .where(LearningSource.partnership_id == partnership_id)
                      .order_by(LearningSource.created_at.desc(), LearningSource.id.desc())).all()
    return {i: title + (f" ({ref})" if ref else "") for i, title, ref in rows}


def due_for_reminders(session: Session, as_of: date) -> list[dict]:
    """Follow-ups not done whose date has passed or falls within 5 working days of `as_of`, for
    the reminder digests (panel.reminders.service); no permission check: the caller is the
    system job. Each: action_id, partnership_id, owner_email (as stored), reference (as the
    action's reminders give it), what, follow_up_on."""
    rows = session.exec(action_source.with_source().where(*_due(rules.due_before(as_of, REMINDER_DUE_SOON)))
                        .order_by(Action.partnership_id, Action.owner_email, Action.follow_up_on, Action.id)).all()
    return [{
        "action_id": a.id, "partnership_id": a.partnership_id, "owner_email": a.owner_email,
        "reference": (f"Meeting {clock.day(held_on)}" if held_on and a.recommendation_id is None else
                      action_source.source(review_ref, finding, held_on, a.recommendation_id is not None)),
        "what": f"Impact follow-up of action {a.id}" + (f" for {agency}" if agency else "") + f": {short(a.text, 60)}",
        "follow_up_on": a.follow_up_on,
    } for a, _, agency, _, review_ref, finding, _, held_on in rows]
