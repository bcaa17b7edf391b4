"""Each partnership's review types, stored as data so an admin can edit names and milestones.

New partnerships start from `panel.reviews.types.DEFAULT_REVIEW_TYPES`, which follow published local
processes (each type's `source` names them).
"""

from __future__ import annotations

import json
from dataclasses import asdict, replace

from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, StaleEdit, ValidationFailed
from panel.models import ReviewType
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


def list_types(actor: Actor, partnership_id: int, regime: str | None = None) -> list[ReviewType]:
    if not (actor.can("referral.read", partnership_id) or actor.can("review_type.manage", partnership_id)):
        return []
    with read_session() as s:
        stmt = select(ReviewType).where(ReviewType.partnership_id == partnership_id, ReviewType.active == True)  # noqa: E712
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
