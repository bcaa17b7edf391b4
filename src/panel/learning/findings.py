"""Findings: what a review or another learning source found, a concern or good practice to spread,
with the agencies it concerns and its themes (docs/domain.md §7.1).

Every change needs "learning.edit" in the finding's partnership, checks the version the form was
opened at, and writes its audit row in the same transaction.
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import transaction
from panel.core.errors import ValidationFailed
from panel.learning.owner import (
    agencies_problem,
    bump,
    ids,
    owner_problem,
    readable,
    resolve,
    text_and_date_errors,
)
from panel.models import Finding, FindingAgency
from panel.themes.tags import write_tags

NATURES = {"concern": "Concern", "good_practice": "Good practice"}


def _checks(text, recorded_on, nature, agency_ids, today, *, editing: bool) -> tuple[dict[str, str], list[int] | None]:
    errors = text_and_date_errors("finding", text, recorded_on, today, editing=editing)
    if (nature is not None or not editing) and nature not in NATURES:
        errors["nature"] = "Say whether it is a concern or good practice."
    agencies = ids(agency_ids) if agency_ids is not None else None
    if agency_ids is not None and agencies is None:
        errors["agency_ids"] = "Choose the agencies from the list."
    return errors, agencies


def _write_agencies(s: Session, finding_id: int, wanted: list[int]) -> tuple[list[int], list[int]]:
    current = {fa.agency_id: fa for fa in s.exec(select(FindingAgency).where(FindingAgency.finding_id == finding_id))}
    for a in wanted:
        if a not in current:
            s.add(FindingAgency(finding_id=finding_id, agency_id=a))
    for a in set(current) - set(wanted):
        s.delete(current[a])
    return sorted(set(wanted) - set(current)), sorted(set(current) - set(wanted))


def add_finding(actor: Actor, text: str, recorded_on: date, *, review_reference: str | None = None,
                source_id: int | None = None, nature: str = "concern", agency_ids=(), theme_ids=(),
                today: date | None = None) -> int:
    """A finding of a review (give `review_reference`) or of a learning source (give `source_id`),
    with the agencies it concerns (any number) and its themes; returns its id."""
    errors, agencies = _checks(text, recorded_on, nature, agency_ids, today, editing=False)
    errors.update(owner_problem(review_reference, source_id))
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        owner = resolve(s, actor, review_reference, source_id)
        actor.require("learning.edit", owner.partnership_id)
        if p := agencies_problem(s, agencies):
            raise ValidationFailed({"agency_ids": p})
        # The source's kind and title are copied on, as the explorer and search still read them.
        fi = Finding(partnership_id=owner.partnership_id, review_id=owner.review_id, source_id=owner.source_id,
                     source_kind=owner.kind, source_title=owner.title, nature=nature, recorded_on=recorded_on,
                     text=text.strip())
        s.add(fi)
        s.flush()
        _write_agencies(s, fi.id, agencies)
        added, _ = write_tags(s, actor, "finding", fi.id, owner.partnership_id, theme_ids)
        audit.record(s, actor, "finding_add", "finding", fi.id, owner.partnership_id,
                     after={"review_id": owner.review_id, "source_id": owner.source_id, "nature": nature,
                            "recorded_on": recorded_on, "text": fi.text, "agency_ids": agencies, "themes": added})
        return fi.id


def edit_finding(actor: Actor, finding_id: int, *, expected_version: int, text: str | None = None,
                 recorded_on: date | None = None, nature: str | None = None, agency_ids=None, theme_ids=None,
                 today: date | None = None) -> None:
    """Change a finding's text, date, nature, agencies or themes (only what is given), if nobody
    saved it since `expected_version`."""
    errors, agencies = _checks(text, recorded_on, nature, agency_ids, today, editing=True)
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        fi = readable(s, actor, Finding, finding_id)
        actor.require("learning.edit", fi.partnership_id)
        current = list(s.exec(select(FindingAgency.agency_id).where(FindingAgency.finding_id == fi.id)))
        if agencies is not None and (p := agencies_problem(s, agencies, current)):
            raise ValidationFailed({"agency_ids": p})
        before = {"text": fi.text, "recorded_on": fi.recorded_on, "nature": fi.nature}
        after = {"text": text.strip() if text is not None else fi.text,
                 "recorded_on": recorded_on or fi.recorded_on, "nature": nature or fi.nature}
        b, a = audit.changed(before, after)
        if agencies is not None and set(agencies) != set(current):
            b["agency_ids"], a["agency_ids"] = sorted(current), agencies
        themes = write_tags(s, actor, "finding", fi.id, fi.partnership_id, theme_ids) if theme_ids is not None \
            else ([], [])
        if not (a or any(themes)):
            return
        bump(s, Finding, fi.id, expected_version, **{k: after[k] for k in before if k in a})
        if "agency_ids" in a:
            _write_agencies(s, fi.id, agencies)
        if a:
            audit.record(s, actor, "finding_edit", "finding", fi.id, fi.partnership_id, before=b, after=a)
