"""Partnerships: created by an administrator (from the command line), each starting with the
default review types so its panel can record decisions at once."""

from __future__ import annotations

import re

from sqlmodel import select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import transaction
from panel.core.errors import ValidationFailed
from panel.models import Partnership
from panel.reviews.types_service import seed_defaults

CODE_RE = re.compile(r"^[A-Z]{2,8}$")  # the code starts every referral reference (NB-2025-014)
NAME_MAX = 200


def create_partnership(actor: Actor, code: str, name: str) -> int:
    """Create a partnership with the default review types; returns its id."""
    actor.require("user.manage")
    code, name = (code or "").strip(), (name or "").strip()
    errors: dict[str, str] = {}
    if not CODE_RE.match(code):
        errors["code"] = "Use 2-8 capital letters (A-Z), like NB: it starts every referral reference."
    if not name:
        errors["name"] = "Enter the partnership's name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name to {NAME_MAX} characters."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        if s.exec(select(Partnership.id).where(Partnership.code == code)).first() is not None:
            raise ValidationFailed({"code": f"There is already a partnership with code {code}."})
        p = Partnership(code=code, name=name)
        s.add(p)
        s.flush()
        added = seed_defaults(s, p.id)
        audit.record(s, actor, "create", "partnership", p.id, p.id,
                     after={"code": code, "name": name, "review_types": added})
        return p.id
