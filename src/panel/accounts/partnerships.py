"""Partnerships: created by an administrator (on the set-up page or from the command line), each
starting with the default review types so its panel can record decisions at once."""

from __future__ import annotations

import re

from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import transaction
from panel.core.errors import NotFound, ValidationFailed
from panel.models import Membership, Partnership
from panel.reviews.types_service import seed_defaults

CODE_RE = re.compile(r"^[A-Z]{2,8}$")  # the code starts every referral reference (NB-2025-014)
NAME_MAX = 200
AREA_MAX = 200


def _problems(name: str, area: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Enter the partnership's name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name to {NAME_MAX} characters."
    if len(area) > AREA_MAX:
        errors["area"] = f"Keep the area to {AREA_MAX} characters."
    return errors


def create_in_session(s: Session, actor: Actor, code: str, name: str, area: str = "") -> int:
    """Check and create a partnership with the default review types in the caller's transaction."""
    code, name, area = (code or "").strip(), " ".join((name or "").split()), " ".join((area or "").split())
    errors = _problems(name, area)
    if not CODE_RE.match(code):
        errors["code"] = "Use 2-8 capital letters (A-Z), like NB: it starts every referral reference."
    elif s.exec(select(Partnership.id).where(Partnership.code == code)).first() is not None:
        errors["code"] = f"There is already a partnership with code {code}."
    if errors:
        raise ValidationFailed(errors)
    p = Partnership(code=code, name=name, local_authority_area=area or None)
    s.add(p)
    s.flush()
    added = seed_defaults(s, p.id)
    audit.record(s, actor, "create", "partnership", p.id, p.id,
                 after={"code": code, "name": name, "area": area, "review_types": added})
    return p.id


def create_partnership(actor: Actor, code: str, name: str, area: str = "") -> int:
    """Create a partnership with the default review types; returns its id. An administrator who
    creates one becomes its administrator (they could not otherwise reach it)."""
    actor.require("user.manage")
    with transaction() as s:
        pid = create_in_session(s, actor, code, name, area)
        if actor.user_id is not None and not actor.is_system:
            s.add(Membership(user_id=actor.user_id, partnership_id=pid, role="admin"))
            audit.record(s, actor, "grant", "membership", actor.user_id, pid, after={"role": "admin"})
        return pid


def update_partnership(actor: Actor, partnership_id: int, name: str, area: str) -> None:
    """Change a partnership's name or local authority area (its code is in every reference)."""
    if not actor.can("user.manage", partnership_id):
        raise NotFound("No such partnership.")
    name, area = " ".join((name or "").split()), " ".join((area or "").split())
    if errors := _problems(name, area):
        raise ValidationFailed(errors)
    with transaction() as s:
        p = s.get(Partnership, partnership_id)
        if p is None:
            raise NotFound("No such partnership.")
        before = {"name": p.name, "area": p.local_authority_area}
        p.name, p.local_authority_area = name, area or None
        s.add(p)
        audit.record(s, actor, "update", "partnership", p.id, p.id, before=before, after={"name": name, "area": area})
