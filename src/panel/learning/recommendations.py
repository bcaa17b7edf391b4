"""Recommendations: what a review or another learning source asks agencies to do, SMART (the
outcome sought, how it is measured, when it is due), for one or more target agencies, answering
any of its findings (docs/domain.md §7.1).

A recommendation is a draft until the partnership accepts it ("learning.accept": the chair or the
business manager). Accepted, it is locked: a change needs a reason, and the version it replaces is
kept as a RecommendationRevision. Every change needs "learning.edit", checks the version the form
was opened at, and writes its audit row in the same transaction.
"""

from __future__ import annotations

import json
from datetime import date

from sqlmodel import Session, select

from panel.core import audit, clock
from panel.core.access import Actor
from panel.core.clock import day
from panel.core.db import transaction
from panel.core.errors import PermissionDenied, ValidationFailed
from panel.core.validation import not_after_today
from panel.learning.owner import (
    TEXT_MAX,
    Owner,
    agencies_problem,
    bump,
    ids,
    owner_of,
    owner_problem,
    readable,
    resolve,
    text_and_date_errors,
)
from panel.models import (
    Finding,
    Recommendation,
    RecommendationAgency,
    RecommendationFinding,
    RecommendationRevision,
    ThemeTag,
)
from panel.themes.tags import write_tags

STATUSES = {"draft": "Draft", "accepted": "Accepted"}
REASON_MIN = 10
SMART_MAX = 2000
NO_AGENCY = "Choose at least one agency the recommendation is for."
REASON_NEEDED = (f"This recommendation has been accepted: say why it is changing (at least {REASON_MIN} "
                 "characters). The version it replaces is kept.")


def smart_errors(outcome_sought, measure, due_on, recorded_on) -> dict[str, str]:
    """The SMART fields' checks, also run on an imported tracker's rows (panel.tracker_io)."""
    errors = {}
    for field, value in (("outcome_sought", outcome_sought), ("measure", measure)):
        if value is not None and len(value.strip()) > SMART_MAX:
            errors[field] = f"Keep this to {SMART_MAX} characters."
    if due_on is not None and not isinstance(due_on, date):
        errors["due_on"] = "Enter the date it is due."
    elif due_on is not None and isinstance(recorded_on, date) and due_on < recorded_on:
        errors["due_on"] = "It cannot be due before it was recorded."
    return errors


def _list_errors(agency_ids, finding_ids, *, editing: bool) -> tuple[dict[str, str], list[int] | None,
                                                                      list[int] | None]:
    errors = {}
    agencies = ids(agency_ids) if agency_ids is not None or not editing else None
    if agency_ids is not None or not editing:
        if agencies is None:
            errors["agency_ids"] = "Choose the agencies from the list."
        elif not agencies:
            errors["agency_ids"] = NO_AGENCY
    links = ids(finding_ids) if finding_ids is not None else None
    if finding_ids is not None and links is None:
        errors["finding_ids"] = "Choose the findings from the list."
    return errors, agencies, links


def _clean(value: str | None) -> str | None:
    return (value or "").strip() or None


def _linked(s: Session, actor: Actor, owner: Owner, links: list[int]) -> None:
    """Each finding must be one of the owner's: a recommendation answers its own review's findings."""
    for fid in links:
        if owner_of(s, readable(s, actor, Finding, fid)).key != owner.key:
            raise ValidationFailed({"finding_ids": "Link findings of this review or learning source only."})


def _replace(s: Session, model, rec_id: int, column: str, wanted: list[int]) -> None:
    current = {getattr(r, column): r for r in s.exec(select(model).where(model.recommendation_id == rec_id))}
    for key in wanted:
        if key not in current:
            s.add(model(recommendation_id=rec_id, **{column: key}))
    for key in set(current) - set(wanted):
        s.delete(current[key])


def add_recommendation(actor: Actor, text: str, recorded_on: date, agency_ids, *, finding_ids=(),
                       finding_id: int | None = None, review_reference: str | None = None,
                       source_id: int | None = None, outcome_sought: str | None = None, measure: str | None = None,
                       due_on: date | None = None, theme_ids=None, today: date | None = None) -> int:
    """A draft recommendation of a review (`review_reference`) or learning source (`source_id`), or
    of the findings it answers (`finding_ids`; `finding_id` for one), for one or more target
    agencies. Without `theme_ids` it takes its findings' themes. Returns its id."""
    errors = text_and_date_errors("recommendation", text, recorded_on, today, editing=False)
    errors.update(smart_errors(outcome_sought, measure, due_on, recorded_on))
    list_errors, agencies, links = _list_errors(agency_ids, [*finding_ids, *([finding_id] if finding_id else [])],
                                                editing=False)
    errors.update(list_errors)
    named = bool((review_reference or "").strip() or source_id)
    if named:
        errors.update(owner_problem(review_reference, source_id))
    elif not links and "finding_ids" not in errors:
        errors["finding_ids"] = "Say which review, learning source or finding the recommendation answers."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        owner = resolve(s, actor, review_reference, source_id) if named else \
            owner_of(s, readable(s, actor, Finding, links[0]))
        actor.require("learning.edit", owner.partnership_id)
        _linked(s, actor, owner, links)
        if p := agencies_problem(s, agencies, required=NO_AGENCY):
            raise ValidationFailed({"agency_ids": p})
        if theme_ids is None:
            theme_ids = set(s.exec(select(ThemeTag.theme_id).where(ThemeTag.entity == "finding",
                                                                   ThemeTag.entity_id.in_(links or [0]))))
        # The first finding stays on the row too: the explorer and search still read it there.
        rec = Recommendation(partnership_id=owner.partnership_id, finding_id=links[0] if links else None,
                             review_id=owner.review_id, source_id=owner.source_id, text=text.strip(),
                             recorded_on=recorded_on, outcome_sought=_clean(outcome_sought),
                             measure=_clean(measure), due_on=due_on)
        s.add(rec)
        s.flush()
        _replace(s, RecommendationAgency, rec.id, "agency_id", agencies)
        _replace(s, RecommendationFinding, rec.id, "finding_id", links)
        added, _ = write_tags(s, actor, "recommendation", rec.id, owner.partnership_id, theme_ids)
        audit.record(s, actor, "recommendation_add", "recommendation", rec.id, owner.partnership_id,
                     after={"review_id": owner.review_id, "source_id": owner.source_id, "finding_ids": links,
                            "recorded_on": recorded_on, "text": rec.text, "outcome_sought": rec.outcome_sought,
                            "measure": rec.measure, "due_on": due_on, "agency_ids": agencies, "themes": added})
        return rec.id


def edit_recommendation(actor: Actor, recommendation_id: int, *, expected_version: int, text: str | None = None,
                        recorded_on: date | None = None, agency_ids=None, finding_ids=None,
                        outcome_sought: str | None = None, measure: str | None = None, due_on: date | None = None,
                        theme_ids=None, reason: str | None = None, today: date | None = None) -> None:
    """Change what is given (None leaves a field as it is; "" clears the outcome or the measure;
    a due date can be moved, not removed), if nobody saved it since `expected_version`. Once
    accepted, a change needs `reason` and keeps the version it replaces; themes alone need none."""
    errors = text_and_date_errors("recommendation", text, recorded_on, today, editing=True)
    errors.update(smart_errors(outcome_sought, measure, due_on, recorded_on))
    list_errors, agencies, links = _list_errors(agency_ids, finding_ids, editing=True)
    errors.update(list_errors)
    why = (reason or "").strip()
    if why and not REASON_MIN <= len(why) <= TEXT_MAX:
        errors["reason"] = f"Say why in {REASON_MIN} to {TEXT_MAX} characters."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        rec = readable(s, actor, Recommendation, recommendation_id)
        actor.require("learning.edit", rec.partnership_id)
        cur_agencies = sorted(s.exec(select(RecommendationAgency.agency_id)
                                     .where(RecommendationAgency.recommendation_id == rec.id)))
        cur_links = sorted(s.exec(select(RecommendationFinding.finding_id)
                                  .where(RecommendationFinding.recommendation_id == rec.id)))
        if agencies is not None and (p := agencies_problem(s, agencies, cur_agencies, required=NO_AGENCY)):
            raise ValidationFailed({"agency_ids": p})
        if links is not None:
            _linked(s, actor, owner_of(s, rec), links)
        before = {"text": rec.text, "recorded_on": rec.recorded_on, "outcome_sought": rec.outcome_sought,
                  "measure": rec.measure, "due_on": rec.due_on}
        after = {"text": text.strip() if text is not None else rec.text, "recorded_on": recorded_on or rec.recorded_on,
                 "outcome_sought": _clean(outcome_sought) if outcome_sought is not None else rec.outcome_sought,
                 "measure": _clean(measure) if measure is not None else rec.measure, "due_on": due_on or rec.due_on}
        if after["due_on"] and after["due_on"] < after["recorded_on"]:
            raise ValidationFailed({"due_on": "It cannot be due before it was recorded."})
        if rec.accepted_on and after["recorded_on"] > rec.accepted_on:
            raise ValidationFailed({"recorded_on": f"It was accepted on {day(rec.accepted_on)}: it was "
                                                   "recorded on or before that."})
        b, a = audit.changed(before, after)
        if agencies is not None and agencies != cur_agencies:
            b["agency_ids"], a["agency_ids"] = cur_agencies, agencies
        if links is not None and links != cur_links:
            b["finding_ids"], a["finding_ids"] = cur_links, links
        locked = rec.status == "accepted"
        if a and locked and not why:
            raise ValidationFailed({"reason": REASON_NEEDED})
        themes = write_tags(s, actor, "recommendation", rec.id, rec.partnership_id, theme_ids) \
            if theme_ids is not None else ([], [])
        if not (a or any(themes)):
            return
        values = {k: after[k] for k in before if k in a}
        if "finding_ids" in a:
            values["finding_id"] = links[0] if links else None
        if a and locked:  # the version it replaces, kept with the reason for the change
            s.add(RecommendationRevision(
                recommendation_id=rec.id, version=rec.version, text=rec.text, outcome_sought=rec.outcome_sought,
                measure=rec.measure, due_on=rec.due_on, agency_ids=json.dumps(cur_agencies), reason=why,
                changed_by_id=actor.user_id))
        version = rec.version  # the update below refreshes the row in the session
        bump(s, Recommendation, rec.id, expected_version, **values)
        if "agency_ids" in a:
            _replace(s, RecommendationAgency, rec.id, "agency_id", agencies)
        if "finding_ids" in a:
            _replace(s, RecommendationFinding, rec.id, "finding_id", links)
        if a:
            audit.record(s, actor, "recommendation_edit", "recommendation", rec.id, rec.partnership_id,
                         before=b, after={**a, "version": version + 1}, detail=why or None)


def accept_recommendation(actor: Actor, recommendation_id: int, accepted_on: date, *, expected_version: int,
                          today: date | None = None) -> None:
    """The partnership accepts a draft recommendation (the chair or business manager records it):
    from then on it is locked, and a change needs a reason."""
    if not isinstance(accepted_on, date):
        raise ValidationFailed({"accepted_on": "Enter the date the partnership accepted it."})
    if future := not_after_today("accepted_on", accepted_on, today or clock.today()):
        raise ValidationFailed(future)
    with transaction() as s:
        rec = readable(s, actor, Recommendation, recommendation_id)
        if not actor.can("learning.accept", rec.partnership_id):
            raise PermissionDenied("Only the panel chair or the business manager can accept a recommendation.")
        if rec.status == "accepted":
            raise ValidationFailed({"accepted_on": f"It was already accepted on {day(rec.accepted_on or rec.recorded_on)}."})
        if accepted_on < rec.recorded_on:
            raise ValidationFailed({"accepted_on": f"It was recorded on {day(rec.recorded_on)}: it cannot "
                                                   "have been accepted before that."})
        before = {"status": rec.status, "version": rec.version}  # the update refreshes the row in the session
        bump(s, Recommendation, rec.id, expected_version, status="accepted", accepted_on=accepted_on)
        audit.record(s, actor, "recommendation_accept", "recommendation", rec.id, rec.partnership_id,
                     before=before, after={"status": "accepted", "accepted_on": accepted_on,
                                           "version": before["version"] + 1})
