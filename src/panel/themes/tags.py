"""Theme tags on reviews, findings, recommendations and referrals (`ThemeTag.entity`).

Tagging needs "learning.edit" in the partnership of the thing tagged; anything of another
partnership is NotFound, never "forbidden". Only active themes can be put on: a merged theme
lives on as the theme it became.
"""

from __future__ import annotations

from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, ValidationFailed
from panel.models import (
    Finding,
    Recommendation,
    Referral,
    Review,
    Theme,
    ThemeTag,
)
from panel.themes.service import ENTITIES, ENTITY_LABELS


def entity_partnership(s: Session, entity: str, entity_id: int) -> int | None:
    model = {"review": Review, "finding": Finding, "recommendation": Recommendation,
             "referral": Referral}.get(entity)
    if model is None or not isinstance(entity_id, int):
        return None
    return s.exec(select(model.partnership_id).where(model.id == entity_id)).first()


def _load_entity(s: Session, actor: Actor, entity: str, entity_id: int, permission: str) -> int:
    if entity not in ENTITIES:
        raise ValidationFailed({"entity": f"Themes go on {', '.join(ENTITIES)}."})
    pid = entity_partnership(s, entity, entity_id)
    readable = pid is not None and (actor.can("learning.read", pid)
                                    or (entity == "referral" and actor.can("referral.read", pid)))
    if not readable:
        raise NotFound(f"No {ENTITY_LABELS[entity]} with that number is open to you.")
    actor.require(permission, pid)
    return pid


def _active_themes(s: Session, theme_ids) -> dict[int, Theme]:
    ids = sorted({int(t) for t in theme_ids})
    found = {t.id: t for t in s.exec(select(Theme).where(Theme.id.in_(ids)))} if ids else {}
    bad = [i for i in ids if i not in found or not found[i].active]
    if bad:
        raise ValidationFailed({"themes": "Choose themes that are in use (a merged theme lives on as "
                                          "the theme it was merged into)."})
    return found


def write_tags(s: Session, actor: Actor, entity: str, entity_id: int, partnership_id: int,
               theme_ids) -> tuple[list[str], list[str]]:
    """Make the entity's tags exactly `theme_ids` inside the caller's transaction (the caller has
    checked access); audited when anything changes. Returns (added, removed) theme names."""
    wanted = _active_themes(s, theme_ids)
    current = {t.theme_id: t for t in s.exec(select(ThemeTag).where(ThemeTag.entity == entity,
                                                                    ThemeTag.entity_id == entity_id))}
    names = {i: n for i, n in s.exec(select(Theme.id, Theme.name).where(Theme.id.in_(list(current) or [0])))}
    added = [wanted[i].name for i in sorted(wanted) if i not in current]
    removed = [names.get(i, str(i)) for i in sorted(current) if i not in wanted]
    for i in sorted(wanted):
        if i not in current:
            s.add(ThemeTag(theme_id=i, entity=entity, entity_id=entity_id))
    for i, tag in current.items():
        if i not in wanted:
            s.delete(tag)
    if added or removed:
        audit.record(s, actor, "theme_tags", entity, entity_id, partnership_id,
                     before={"removed": removed} if removed else None,
                     after={"added": added} if added else None)
    return added, removed


def set_tags(actor: Actor, entity: str, entity_id: int, theme_ids) -> tuple[list[str], list[str]]:
    """Replace the themes on a review, finding, recommendation or referral."""
    with transaction() as s:
        pid = _load_entity(s, actor, entity, entity_id, "learning.edit")
        return write_tags(s, actor, entity, entity_id, pid, theme_ids)


def tag(actor: Actor, entity: str, entity_id: int, theme_id: int) -> bool:
    """Add one theme; False when it was already there."""
    with transaction() as s:
        pid = _load_entity(s, actor, entity, entity_id, "learning.edit")
        current = set(s.exec(select(ThemeTag.theme_id).where(ThemeTag.entity == entity,
                                                             ThemeTag.entity_id == entity_id)))
        if theme_id in current:
            return False
        write_tags(s, actor, entity, entity_id, pid, current | {theme_id})
        return True


def untag(actor: Actor, entity: str, entity_id: int, theme_id: int) -> bool:
    """Remove one theme; False when it was not there."""
    with transaction() as s:
        pid = _load_entity(s, actor, entity, entity_id, "learning.edit")
        current = set(s.exec(select(ThemeTag.theme_id).where(ThemeTag.entity == entity,
                                                             ThemeTag.entity_id == entity_id)))
        if theme_id not in current:
            return False
        tag_row = s.exec(select(ThemeTag).where(ThemeTag.entity == entity, ThemeTag.entity_id == entity_id,
                                                ThemeTag.theme_id == theme_id)).one()
        s.delete(tag_row)
        name = s.get(Theme, theme_id).name
        audit.record(s, actor, "theme_tags", entity, entity_id, pid, before={"removed": [name]})
        return True


def tags_of(actor: Actor, entity: str, entity_id: int) -> dict[int, str]:
    """The themes on one thing, id -> name."""
    with read_session() as s:
        _load_entity(s, actor, entity, entity_id, "learning.read" if entity != "referral" else "referral.read")
        rows = s.exec(select(Theme.id, Theme.name).join(ThemeTag, ThemeTag.theme_id == Theme.id)
                      .where(ThemeTag.entity == entity, ThemeTag.entity_id == entity_id)
                      .order_by(Theme.name)).all()
    return dict(rows)


def referral_id_for(actor: Actor, reference: str) -> int:
    """The id of a referral the actor may read (for tagging from the screening page)."""
    with read_session() as s:
        r = s.exec(select(Referral).where(Referral.reference == (reference or "").strip().upper())).first()
        if r is None or not actor.can("referral.read", r.partnership_id):
            raise NotFound("No referral with that reference is open to you.")
        return r.id


def tagged_with(s: Session, entity: str, theme_ids) -> list[int]:
    """Ids of `entity` rows carrying any of the themes (helper for other services)."""
    ids = list(theme_ids)
    if not ids:
        return []
    return list(s.exec(select(ThemeTag.entity_id).where(ThemeTag.entity == entity, ThemeTag.theme_id.in_(ids))
                       .distinct()))
