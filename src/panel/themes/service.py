"""The theme taxonomy as data (docs/domain.md §7): seeding the defaults, listing, and the administrators'
add, rename and merge. Tags on records live in theme_tags; recurring themes in theme_recurrence.

Themes are shared by every partnership, so anonymised learning can be compared across them;
administrators manage them (the same permission as review types). History is kept: a rename
keeps the theme's id (its tags follow), a merge moves the tags and leaves the old theme in
place, inactive, pointing at the theme it became. Every change writes its audit row in the
same transaction.
"""

from __future__ import annotations

import json

import pandas as pd
from sqlalchemy import and_, func, or_, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import SYSTEM, Actor
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, ValidationFailed
from panel.models import (
    AuditEvent,
    Referral,
    Review,
    Theme,
    ThemeTag,
)
from panel.themes import rules

ENTITIES = ("review", "finding", "recommendation", "referral")
ENTITY_LABELS = {"review": "review", "finding": "finding", "recommendation": "recommendation",
                 "referral": "referral"}
ADMIN_PERMISSION = "review_type.manage"
THEME_NOT_FOUND = "No theme with that number."
KINDS = {"national": "National", "local": "Local"}
THEME_COLUMNS = ["id", "name", "kind", "national", "active", "merged_into", "tags", "description"]


# -- seeding ------------------------------------------------------------------------------------

def seed_taxonomy(session: Session) -> int:
    """Add the default themes (panel.themes.rules.DEFAULT_THEMES) that are missing; returns how many.

    Idempotent: a theme is matched by name without case, and a default an administrator has
    renamed or merged away is not brought back. Runs in the caller's transaction.
    """
    existing = {n.lower(): i for i, n in session.exec(select(Theme.id, Theme.name))}
    retired = _renamed_away(session)
    added = 0
    for spec in rules.DEFAULT_THEMES:  # national themes come first, so locals find their target
        key = spec.name.lower()
        if key in existing or key in retired:
            continue
        national_id = existing.get(spec.national.lower()) if spec.national else None
        t = Theme(name=spec.name, kind=spec.kind, national_id=national_id, description=spec.description)
        session.add(t)
        session.flush()
        existing[key] = t.id
        added += 1
    if added:
        audit.record(session, SYSTEM, "theme_seed", "theme", detail=f"{added} default themes added")
    return added


def seed_defaults(actor: Actor) -> int:
    """An administrator loads the default themes that are missing (see `seed_taxonomy`)."""
    actor.require(ADMIN_PERMISSION)
    with transaction() as s:
        added = seed_taxonomy(s)
        if added:
            audit.record(s, actor, "theme_seed", "theme", detail=f"{added} default themes loaded by an administrator")
        return added


def _renamed_away(session: Session) -> set[str]:
    names = set()
    for before in session.exec(select(AuditEvent.before).where(AuditEvent.entity == "theme",
                                                               AuditEvent.action == "theme_rename")):
        try:
            names.add(str(json.loads(before or "{}").get("name", "")).lower())
        except ValueError:
            continue
    return names


# -- reading ------------------------------------------------------------------------------------

def _require_reader(actor: Actor) -> None:
    if not (actor.can("learning.read") or actor.can("referral.read") or actor.can(ADMIN_PERMISSION)
            or actor.is_regional):
        raise PermissionDenied("You do not have permission to see the themes.")


def list_themes(actor: Actor, include_inactive: bool = False) -> pd.DataFrame:
    """The taxonomy, national themes first, with each theme's number of tags."""
    _require_reader(actor)
    nat, merged = aliased(Theme), aliased(Theme)
    tags = (select(ThemeTag.theme_id, func.count().label("n")).group_by(ThemeTag.theme_id).subquery())
    stmt = (select(Theme, nat.name, merged.name, func.coalesce(tags.c.n, 0))
            .outerjoin(nat, nat.id == Theme.national_id)
            .outerjoin(merged, merged.id == Theme.merged_into_id)
            .outerjoin(tags, tags.c.theme_id == Theme.id))
    if not include_inactive:
        stmt = stmt.where(Theme.active == True)  # noqa: E712
    with read_session() as s:
        rows = s.exec(stmt).all()
    out = [{"id": t.id, "name": t.name, "kind": t.kind, "national": national or "", "active": t.active,
            "merged_into": into or "", "tags": int(n), "description": t.description}
           for t, national, into, n in rows]
    df = pd.DataFrame(out, columns=THEME_COLUMNS)
    if not df.empty:
        df = (df.assign(_k=df["kind"].map({"national": 0, "local": 1}), _n=df["name"].str.lower())
              .sort_values(["_k", "_n"]).drop(columns=["_k", "_n"]).reset_index(drop=True))
    return df


def theme_names(actor: Actor) -> dict[int, str]:
    """Active themes, id -> name, for pickers, in list_themes' order (without counting every
    tag of every partnership, which a picker does not show)."""
    _require_reader(actor)
    with read_session() as s:
        rows = s.exec(select(Theme.id, Theme.name, Theme.kind).where(Theme.active == True)).all()  # noqa: E712
    rows = sorted(rows, key=lambda r: ({"national": 0, "local": 1}.get(r[2], 2), r[1].lower()))
    return {theme_id: name for theme_id, name, _ in rows}


# -- administration -----------------------------------------------------------------------------

def _get(s: Session, theme_id: int) -> Theme:
    t = s.get(Theme, theme_id) if isinstance(theme_id, int) else None
    if t is None:
        raise NotFound(THEME_NOT_FOUND)
    return t


def _name_taken(s: Session, name: str, except_id: int | None = None) -> Theme | None:
    # The exact name too: SQLite's lower() folds ASCII only, so "Ú" would miss itself and the
    # insert would hit the unique constraint instead of this message.
    stmt = select(Theme).where(or_(Theme.name == name, func.lower(Theme.name) == name.lower()))
    if except_id is not None:
        stmt = stmt.where(Theme.id != except_id)
    return s.exec(stmt).first()


def add_theme(actor: Actor, name: str, kind: str = "local", national_id: int | None = None,
              description: str = "") -> int:
    """A new theme; a local theme must name the national theme it is counted under."""
    actor.require(ADMIN_PERMISSION)
    name = rules.clean_name(name)
    errors: dict[str, str] = {}
    if problem := rules.theme_name_problem(name):
        errors["name"] = problem
    if kind not in KINDS:
        errors["kind"] = "Choose national or local."
    elif kind == "local" and not national_id:
        errors["national_id"] = "Choose the national theme this local theme is counted under."
    if errors:
        raise ValidationFailed(errors)
    with transaction() as s:
        if clash := _name_taken(s, name):
            raise ValidationFailed({"name": f"There is already a theme called “{clash.name}”."})
        if kind == "local":
            nat = s.get(Theme, national_id)
            if nat is None or nat.kind != "national" or not nat.active:
                raise ValidationFailed({"national_id": "Choose an active national theme."})
        t = Theme(name=name, kind=kind, national_id=national_id if kind == "local" else None,
                  description=(description or "").strip())
        s.add(t)
        s.flush()
        audit.record(s, actor, "theme_add", "theme", t.id,
                     after={"name": t.name, "kind": t.kind, "national_id": t.national_id})
        return t.id


def rename_theme(actor: Actor, theme_id: int, new_name: str, description: str | None = None) -> None:
    """Rename (and optionally re-describe) a theme. Its id, and so its tags, stay."""
    actor.require(ADMIN_PERMISSION)
    name = rules.clean_name(new_name)
    if problem := rules.theme_name_problem(name):
        raise ValidationFailed({"name": problem})
    with transaction() as s:
        t = _get(s, theme_id)
        if not t.active:
            raise ValidationFailed({"name": f"“{t.name}” is no longer in use and cannot be renamed."})
        if clash := _name_taken(s, name, except_id=t.id):
            raise ValidationFailed({"name": f"There is already a theme called “{clash.name}”. "
                                            "To combine the two, merge them instead."})
        before = {"name": t.name, "description": t.description}
        t.name = name
        if description is not None:
            t.description = description.strip()
        after = {"name": t.name, "description": t.description}
        if before == after:
            return
        s.add(t)
        b, a = audit.changed(before, after)
        audit.record(s, actor, "theme_rename", "theme", t.id, before=b, after=a)


def _conflicts(s: Session, a_id: int, b_id: int) -> list[tuple[str, int]]:
    """Things tagged with both themes: merging A into B would have to drop A's tag on them."""
    ta, tb = aliased(ThemeTag), aliased(ThemeTag)
    return [(e, i) for e, i in s.exec(
        select(ta.entity, ta.entity_id)
        .join(tb, and_(tb.entity == ta.entity, tb.entity_id == ta.entity_id))
        .where(ta.theme_id == a_id, tb.theme_id == b_id)
        .order_by(ta.entity, ta.entity_id))]


def _describe(s: Session, items: list[tuple[str, int]], limit: int = 6) -> str:
    """Human names for tagged things: references for reviews and referrals, numbers otherwise."""
    refs = {}
    review_ids = [i for e, i in items[:limit] if e == "review"]
    referral_ids = [i for e, i in items[:limit] if e == "referral"]
    if review_ids:
        refs.update({("review", i): r for i, r in s.exec(select(Review.id, Review.reference)
                                                         .where(Review.id.in_(review_ids)))})
    if referral_ids:
        refs.update({("referral", i): r for i, r in s.exec(select(Referral.id, Referral.reference)
                                                           .where(Referral.id.in_(referral_ids)))})
    names = [f"{ENTITY_LABELS[e]} {refs.get((e, i), i)}" for e, i in items[:limit]]
    more = len(items) - limit
    return ", ".join(names) + (f" and {more} more" if more > 0 else "")


def merge_themes(actor: Actor, source_id: int, target_id: int) -> int:
    """Merge theme A (`source_id`) into theme B (`target_id`): A's tags move to B, and A stays,
    inactive, marked as merged into B (so history and old audit rows still make sense). Local
    themes counted under a merged national theme are then counted under B.

    Refused, with nothing changed, when anything carries both A and B: the move would have to
    drop A's tag there, losing the record that A was recorded. The message says which.
    Returns the number of tags moved.
    """
    actor.require(ADMIN_PERMISSION)
    if source_id == target_id:
        raise ValidationFailed({"target": "Choose two different themes."})
    with transaction() as s:
        a, b = _get(s, source_id), _get(s, target_id)
        if not a.active:
            raise ValidationFailed({"source": f"“{a.name}” is no longer in use."})
        if not b.active:
            raise ValidationFailed({"target": f"“{b.name}” is no longer in use: merge into an active theme."})
        if a.kind != b.kind:
            raise ValidationFailed({"target": f"“{a.name}” is a {a.kind} theme and “{b.name}” a {b.kind} one: "
                                              "merge themes of the same kind."})
        if conflicts := _conflicts(s, a.id, b.id):
            raise ValidationFailed({"target": (
                f"Merging would lose tags: {len(conflicts)} record(s) carry both “{a.name}” and “{b.name}” "
                f"({_describe(s, conflicts)}). Remove one of the two themes from them first, "
                "then merge.")})
        moved = [(e, i) for e, i in s.exec(select(ThemeTag.entity, ThemeTag.entity_id)
                                           .where(ThemeTag.theme_id == a.id)
                                           .order_by(ThemeTag.entity, ThemeTag.entity_id))]
        s.execute(update(ThemeTag).where(ThemeTag.theme_id == a.id).values(theme_id=b.id))
        remapped = list(s.exec(select(Theme.id).where(Theme.national_id == a.id))) if a.kind == "national" else []
        if remapped:
            s.execute(update(Theme).where(Theme.national_id == a.id).values(national_id=b.id))
        a.merged_into_id, a.active = b.id, False
        s.add(a)
        audit.record(s, actor, "theme_merge", "theme", a.id,
                     before={"name": a.name, "active": True, "merged_into_id": None},
                     after={"merged_into_id": b.id, "merged_into": b.name, "active": False,
                            "tags_moved": [f"{e}:{i}" for e, i in moved],
                            "local_themes_remapped": remapped})
        audit.record(s, actor, "theme_merge_in", "theme", b.id,
                     detail=f"“{a.name}” (theme {a.id}) merged in: {len(moved)} tag(s) moved")
        return len(moved)


__all__ = [
    "add_theme", "list_themes", "merge_themes", "rename_theme", "seed_defaults", "seed_taxonomy", "theme_names",
]
