"""Each partnership's review types, stored as data so an admin can edit names and milestones.

New partnerships start from `panel.reviews.types.DEFAULT_REVIEW_TYPES`, which follow published local
processes (each type's `source` names them).
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, replace

from sqlalchemy import func
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, StaleEdit, ValidationFailed
from panel.models import Decision, Review, ReviewType
from panel.reviews.types import DEFAULT_REVIEW_TYPES, MilestoneSpec, ReviewTypeSpec, validate_type


def row_from_spec(spec: ReviewTypeSpec, partnership_id: int) -> ReviewType:
    return ReviewType(
        partnership_id=partnership_id, key=spec.key, name=spec.name, regime=spec.regime,
        statutory=spec.statutory, routes=",".join(spec.routes), creates_review=spec.creates_review,
        description=spec.description,
        milestones=json.dumps([asdict(m) for m in spec.milestones]),
    )


def spec_of(row: ReviewType) -> ReviewTypeSpec:
    return ReviewTypeSpec(
        key=row.key, name=row.name, regime=row.regime, statutory=row.statutory,
        routes=tuple(r for r in row.routes.split(",") if r), creates_review=row.creates_review,
        description=row.description,
        milestones=tuple(MilestoneSpec(**m) for m in json.loads(row.milestones)), source="partnership",
    )


def seed_defaults(session: Session, partnership_id: int) -> int:
    """Add any default type the partnership lacks; returns how many were added."""
    have = set(session.exec(select(ReviewType.key).where(ReviewType.partnership_id == partnership_id)))
    added = 0
    for spec in DEFAULT_REVIEW_TYPES:
        if spec.key not in have:
            session.add(row_from_spec(spec, partnership_id))
            added += 1
    return added


def list_types(actor: Actor, partnership_id: int, regime: str | None = None,
               include_retired: bool = False) -> list[ReviewType]:
    """The types a decision may choose (active ones), or every one (the administrator's page)."""
    if not (actor.can("referral.read", partnership_id) or actor.can("review_type.manage", partnership_id)):
        return []
    with read_session() as s:
        stmt = select(ReviewType).where(ReviewType.partnership_id == partnership_id)
        if not include_retired:
            stmt = stmt.where(ReviewType.active == True)  # noqa: E712
        if regime:
            stmt = stmt.where(ReviewType.regime == regime)
        return list(s.exec(stmt.order_by(ReviewType.regime, ReviewType.id)))


def update_type(actor: Actor, type_id: int, *, name: str, description: str, milestones: list[dict],
                active: bool, expected_version: int) -> None:
    """Edit a type's name, description and milestones; checked whole before anything is saved."""
    with transaction() as s:
        row = s.get(ReviewType, type_id)
        if row is None or not actor.can("review_type.manage", row.partnership_id):
            raise NotFound("No such review type.")
        if row.version != expected_version:
            raise StaleEdit("review type")
        try:
            specs = tuple(MilestoneSpec(**m) for m in milestones)
        except TypeError as e:
            raise ValidationFailed({"milestones": f"Each milestone needs key, name, offset and unit ({e})."}) from e
        candidate = replace(spec_of(row), name=name.strip(), description=description, milestones=specs)
        errors = validate_type(candidate)
        if errors:
            raise ValidationFailed(errors)
        before = {"name": row.name, "milestones": json.loads(row.milestones), "active": row.active}
        row.name, row.description, row.active = name.strip(), description, active
        row.milestones = json.dumps([asdict(m) for m in specs])
        row.version += 1
        s.add(row)
        audit.record(s, actor, "update", "review_type", row.id, row.partnership_id, before=before,
                     after={"name": row.name, "milestones": [asdict(m) for m in specs], "active": active})


def _slug(name: str) -> str:
    words = re.findall(r"[a-z0-9]+", name.lower())
    key = "_".join(words)[:36].strip("_") or "type"
    return key if key[0].isalpha() else f"t_{key}"


def _approx_working_days(m: MilestoneSpec) -> int:
    """For ordering only: a month is about 21 working days."""
    return m.offset * (21 if m.unit == "months" else 1)


def order_problems(milestones: tuple[MilestoneSpec, ...]) -> dict[str, str]:
    """Milestones counted from the same date must not run backwards: each one's target is on or
    after the one above it, so the list reads in the order the review meets them."""
    errors: dict[str, str] = {}
    last: dict[str, tuple[int, str]] = {}
    for i, m in enumerate(milestones):
        days = _approx_working_days(m)
        if m.anchor in last and days < last[m.anchor][0]:
            errors[f"milestones[{i}].offset"] = (
                f"{m.name or m.key} comes before {last[m.anchor][1]} above it: put the milestones in the "
                "order their targets fall, or change the offset.")
        last[m.anchor] = max(last.get(m.anchor, (days, m.name)), (days, m.name or m.key), key=lambda x: x[0])
    return errors


def add_type(actor: Actor, partnership_id: int, *, name: str, regime: str, statutory: bool,
             routes: list[str], creates_review: bool, description: str, milestones: list[dict]) -> int:
    """A partnership's own kind of review: statutory or local, under one regime, consistent with
    the criteria routes given (the decision log counts a choice outside them as a departure), with
    milestones in working days or months. Checked whole; returns its id."""
    if not actor.can("review_type.manage", partnership_id):
        raise NotFound("No such partnership.")
    name = " ".join((name or "").split())
    errors: dict[str, str] = {}
    try:
        specs = tuple(MilestoneSpec(**m) for m in milestones)
    except TypeError as e:
        raise ValidationFailed({"milestones": "Each milestone needs a key, name, offset and unit."}) from e
    candidate = ReviewTypeSpec(key=_slug(name), name=name, regime=regime, statutory=bool(statutory),
                               routes=tuple(routes or ()), creates_review=creates_review,
                               description=description or "", milestones=specs, source="partnership")
    errors.update(validate_type(candidate))
    errors.pop("key", None)  # made from the name, which has its own message
    if creates_review and not specs:
        errors["milestones"] = "Give the review at least one milestone."
    if not any(k.startswith("milestones[") for k in errors):
        errors.update(order_problems(specs))
    with transaction() as s:
        rows = list(s.exec(select(ReviewType).where(ReviewType.partnership_id == partnership_id)))
        if name and any(r.name.casefold() == name.casefold() and r.regime == regime for r in rows):
            errors["name"] = f"This partnership already has a {regime} review type called {name!r}."
        if errors:
            raise ValidationFailed(errors)
        keys, key, n = {r.key for r in rows}, candidate.key, 2
        while key in keys:
            key, n = f"{candidate.key}_{n}", n + 1
        row = row_from_spec(replace(candidate, key=key), partnership_id)
        s.add(row)
        s.flush()
        audit.record(s, actor, "create", "review_type", row.id, partnership_id,
                     after={"key": key, "name": name, "regime": regime, "statutory": candidate.statutory,
                            "routes": list(candidate.routes), "milestones": [asdict(m) for m in specs]})
        return row.id


def delete_type(actor: Actor, type_id: int) -> None:
    """Delete a type no decision or review uses; one in use can only be retired (kept, so the
    records that name it still read, and no longer offered)."""
    with transaction() as s:
        row = s.get(ReviewType, type_id)
        if row is None or not actor.can("review_type.manage", row.partnership_id):
            raise NotFound("No such review type.")
        decisions = s.exec(select(func.count()).select_from(Decision).where(Decision.review_type_id == type_id)).one()
        reviews = s.exec(select(func.count()).select_from(Review).where(Review.review_type_id == type_id)).one()
        if decisions or reviews:
            raise ValidationFailed({"type": f"{row.name} is in use ({decisions} decisions, {reviews} reviews): "
                                    "it cannot be deleted. Turn off In use to retire it instead."})
        audit.record(s, actor, "delete", "review_type", row.id, row.partnership_id,
                     before={"key": row.key, "name": row.name})
        s.delete(row)
