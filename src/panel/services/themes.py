"""The theme taxonomy as data, theme tags, and recurring themes (DOMAIN §7; SI 2018/789 reg.11).

Themes are shared by every partnership, so anonymised learning can be compared across them;
administrators manage them (the same permission as review types). History is kept: a rename
keeps the theme's id (its tags follow), a merge moves the tags and leaves the old theme in
place, inactive, pointing at the theme it became. Every change writes its audit row in the
same transaction.

Tags sit on reviews, findings, recommendations and referrals (`ThemeTag.entity`). Tagging needs
"learning.edit" in the partnership of the thing tagged; anything of another partnership is
NotFound, never "forbidden".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy import and_, func, update
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from panel import themes as rules
from panel.db import read_session, transaction
from panel.models import (
    AuditEvent,
    Finding,
    Recommendation,
    Referral,
    Review,
    Theme,
    ThemeTag,
)
from panel.services import audit
from panel.services.access import SYSTEM, Actor
from panel.services.errors import NotFound, PermissionDenied, ValidationFailed

ENTITIES = ("review", "finding", "recommendation", "referral")
ENTITY_LABELS = {"review": "review", "finding": "finding", "recommendation": "recommendation",
                 "referral": "referral"}
ADMIN_PERMISSION = "review_type.manage"
THEME_NOT_FOUND = "No theme with that number."
KINDS = {"national": "National", "local": "Local"}
THEME_COLUMNS = ["id", "name", "kind", "national", "active", "merged_into", "tags", "description"]


@dataclass(frozen=True)
class RecurringTheme:
    theme_id: int
    name: str
    reviews: int  # distinct reviews in the window
    references: tuple[str, ...]  # those reviews' references, newest first
    window_from: date
    as_of: date

    @property
    def message(self) -> str:
        return (f"Recurring theme: {self.name}, in {self.reviews} reviews since "
                f"{self.window_from:%d %b %Y} ({', '.join(self.references[:5])}"
                f"{'…' if len(self.references) > 5 else ''}).")


# -- seeding ------------------------------------------------------------------------------------

def seed_taxonomy(session: Session) -> int:
    """Add the default themes (panel.themes.DEFAULT_THEMES) that are missing; returns how many.

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
    """Active themes, id -> name, for pickers."""
    df = list_themes(actor)
    return dict(zip(df["id"].tolist(), df["name"].tolist(), strict=True))


# -- administration -----------------------------------------------------------------------------

def _get(s: Session, theme_id: int) -> Theme:
    t = s.get(Theme, theme_id) if isinstance(theme_id, int) else None
    if t is None:
        raise NotFound(THEME_NOT_FOUND)
    return t


def _name_taken(s: Session, name: str, except_id: int | None = None) -> Theme | None:
    stmt = select(Theme).where(func.lower(Theme.name) == name.lower())
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


# -- tags ---------------------------------------------------------------------------------------

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


# -- recurring themes ---------------------------------------------------------------------------

def _theme_reviews(s: Session, partnership_id: int, start: date, as_of: date) -> list[tuple[int, int, date]]:
    """(theme id, review id, latest date) for every theme recorded in a review of the partnership
    within the window: on the review (its start), or on its findings or recommendations (the day
    they were recorded). Aggregated in SQL: one row per theme and review."""
    rf = aliased(Finding)
    live = Review.status != "superseded"
    on_review = (select(ThemeTag.theme_id, Review.id.label("review_id"), Review.started_on.label("day"))
                 .join(Review, and_(ThemeTag.entity == "review", ThemeTag.entity_id == Review.id))
                 .where(Review.partnership_id == partnership_id, live))
    on_finding = (select(ThemeTag.theme_id, Finding.review_id.label("review_id"), Finding.recorded_on.label("day"))
                  .join(Finding, and_(ThemeTag.entity == "finding", ThemeTag.entity_id == Finding.id))
                  .join(Review, Review.id == Finding.review_id)
                  .where(Finding.partnership_id == partnership_id, live))
    rec_review = func.coalesce(Recommendation.review_id, rf.review_id)
    on_rec = (select(ThemeTag.theme_id, rec_review.label("review_id"), Recommendation.recorded_on.label("day"))
              .join(Recommendation, and_(ThemeTag.entity == "recommendation",
                                         ThemeTag.entity_id == Recommendation.id))
              .outerjoin(rf, rf.id == Recommendation.finding_id)
              .join(Review, Review.id == rec_review)
              .where(Recommendation.partnership_id == partnership_id, live))
    u = on_review.union_all(on_finding, on_rec).subquery()
    rows = s.exec(select(u.c.theme_id, u.c.review_id, func.max(u.c.day))
                  .where(u.c.day >= start, u.c.day <= as_of, u.c.review_id.is_not(None))
                  .group_by(u.c.theme_id, u.c.review_id)).all()
    return [(t, r, d) for t, r, d in rows]


def _recurring(s: Session, partnership_id: int, as_of: date) -> list[RecurringTheme]:
    start = rules.window_start(as_of)
    rows = _theme_reviews(s, partnership_id, start, as_of)
    hits = rules.recurring(rows, as_of)
    if not hits:
        return []
    review_ids = sorted({r for t, r, _ in rows if t in hits})
    refs = dict(s.exec(select(Review.id, Review.reference).where(Review.id.in_(review_ids))).all())
    names = dict(s.exec(select(Theme.id, Theme.name).where(Theme.id.in_(sorted(hits)))).all())
    out = []
    for theme_id in hits:
        mine = sorted(((d, refs[r]) for t, r, d in rows if t == theme_id), reverse=True)
        out.append(RecurringTheme(theme_id=theme_id, name=names[theme_id], reviews=len(mine),
                                  references=tuple(ref for _, ref in mine), window_from=start, as_of=as_of))
    return sorted(out, key=lambda x: (-x.reviews, x.name))


def recurring_themes(actor: Actor, partnership_id: int, as_of: date) -> list[RecurringTheme]:
    """Themes in 3 or more of the partnership's reviews in the 3 years to `as_of` (inclusive)."""
    if not (actor.can("learning.read", partnership_id) or actor.can("referral.read", partnership_id)):
        raise NotFound("No partnership with that number is open to you.")
    with read_session() as s:
        return _recurring(s, partnership_id, as_of)


def referral_recurring_themes(actor: Actor, referral_reference: str, as_of: date) -> list[RecurringTheme]:
    """The referral's themes that are recurring in its partnership: what the screening page shows,
    because the reg.11 considerations ask whether the case highlights recurrent themes."""
    with read_session() as s:
        r = s.exec(select(Referral).where(Referral.reference == (referral_reference or "").strip().upper())).first()
        if r is None or not actor.can("referral.read", r.partnership_id):
            raise NotFound("No referral with that reference is open to you.")
        mine = set(s.exec(select(ThemeTag.theme_id).where(ThemeTag.entity == "referral",
                                                          ThemeTag.entity_id == r.id)))
        if not mine:
            return []
        return [t for t in _recurring(s, r.partnership_id, as_of) if t.theme_id in mine]


def tagged_with(s: Session, entity: str, theme_ids) -> list[int]:
    """Ids of `entity` rows carrying any of the themes (helper for other services)."""
    ids = list(theme_ids)
    if not ids:
        return []
    return list(s.exec(select(ThemeTag.entity_id).where(ThemeTag.entity == entity, ThemeTag.theme_id.in_(ids))
                       .distinct()))


__all__ = [
    "RecurringTheme", "add_theme", "entity_partnership", "list_themes", "merge_themes", "recurring_themes",
    "referral_id_for", "referral_recurring_themes", "rename_theme", "seed_defaults", "seed_taxonomy", "set_tags",
    "tag",
    "tagged_with", "tags_of", "theme_names", "untag", "write_tags",
]

