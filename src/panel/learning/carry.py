"""Carrying an action past its review's closure (docs/domain.md §6.3, §7).

A review closes only when every action on its recommendations is closed with evidence of impact
or carried: handed, with a reason, to a named owner who goes on with it (a sub-group, a single
agency's plan, the next business plan). A carried action stays on the register, still due, and
can later be closed with its evidence; only a chair or business manager carries one, as only
they close one.
"""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import transaction
from panel.core.errors import PermissionDenied, StaleEdit, ValidationFailed
from panel.learning.actions import NOT_FOUND
from panel.models import Action, ActionNote

CARRIED_TO_MAX = 200
REASON_MIN = 10


def _load(s: Session, actor: Actor, action_id) -> Action:
    try:
        a = s.get(Action, int(action_id))
    except (TypeError, ValueError):
        a = None
    if a is not None and actor.can("learning.read", a.partnership_id):
        return a
    raise audit.not_found(actor, "action", action_id, NOT_FOUND, what="id")


def carry_action(actor: Actor, action_id: int, carried_to: str, reason: str, expected_version: int) -> None:
    """Carry the action to `carried_to` (a named person, group or plan) for `reason`; refused,
    with nothing changed, without either, or for an action already closed."""
    to = " ".join((carried_to or "").split())
    why = (reason or "").strip()
    errors = {}
    if not to:
        errors["carried_to"] = "Name who takes the action on: a person, a group or a plan."
    elif len(to) > CARRIED_TO_MAX:
        errors["carried_to"] = f"Keep this to {CARRIED_TO_MAX} characters."
    if len(why) < REASON_MIN:
        errors["carried_reason"] = "Say why the action is carried rather than closed with evidence of impact."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        a = _load(s, actor, action_id)
        if not actor.can("action.close", a.partnership_id):
            raise PermissionDenied("Only the panel chair or the business manager can carry an action.")
        if a.status == "closed":
            raise ValidationFailed({"carried_to": "This action is closed with evidence of impact: there is "
                                                  "nothing to carry."})
        before = {"status": a.status, "carried_to": a.carried_to, "carried_reason": a.carried_reason}
        after = {"status": "carried", "carried_to": to, "carried_reason": why}
        done = s.execute(update(Action).where(Action.id == a.id, Action.version == expected_version)
                         .values(**after, version=Action.version + 1))
        if done.rowcount != 1:
            raise StaleEdit("action")
        s.add(ActionNote(action_id=a.id, by_id=actor.user_id, text=f"Carried to {to}: {why}"))
        audit.record(s, actor, "action_carry", "action", a.id, a.partnership_id, before=before, after=after)
