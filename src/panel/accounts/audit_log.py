"""Searching the audit trail (administrators): who did or saw what, when, newest first.

Each search and each export is itself audited. An administrator sees the rows of the
partnerships they administer, and the installation-wide rows (sign-ins, accounts) of people who
hold a role there; rows of other partnerships never.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
from sqlalchemy import and_, false, func, or_, true
from sqlmodel import select

from panel.core import audit, exports
from panel.core.access import SYSTEM, Actor
from panel.core.audit_labels import action_label, record_type_label
from panel.core.clock import days_in
from panel.core.db import read_session, transaction
from panel.models import AuditEvent, Membership, Partnership, Referral, Review, User

PAGE_SIZE = 50
EXPORT_LIMIT = 100_000
# Record types whose rows carry a human reference: searched by it, shown with it.
REFERENCED = {"referral": Referral, "review": Review}
# Record types shown by a name rather than a number (an account: its username).
NAMED = {"user": (User, User.username)}


@dataclass(frozen=True)
class AuditFilter:
    username: str = ""
    action: str = ""
    entity: str = ""  # record type
    reference: str = ""  # a referral or review reference, or a record number
    date_from: date | None = None
    date_to: date | None = None
    partnership_id: int | None = None

    def describe(self) -> str:
        """For the audit row of the search itself (what was asked, not what was found)."""
        return "; ".join(f"{k}={str(v)[:60]}" for k, v in asdict(self).items() if v not in ("", None)) or "all"


def _scope(actor: Actor):
    if actor.is_system:
        return true()
    mine = actor.partnerships_with("audit.read")
    people = select(Membership.user_id).where(Membership.partnership_id.in_(mine))
    return or_(
        AuditEvent.partnership_id.in_(mine),
        and_(AuditEvent.partnership_id.is_(None),
             or_(AuditEvent.user_id.is_(None), AuditEvent.user_id.in_(people),
                 and_(AuditEvent.entity == "user", AuditEvent.entity_id.in_(people)))),
    )


def _conditions(s, actor: Actor, f: AuditFilter) -> list:
    where = [_scope(actor)]
    if f.username.strip():
        where.append(func.lower(AuditEvent.username) == f.username.strip().lower())
    if f.action:
        where.append(AuditEvent.action == f.action)
    if f.entity:
        where.append(AuditEvent.entity == f.entity)
    ref = f.reference.strip()
    if ref:
        if ref.isdigit():
            where.append(AuditEvent.entity_id == int(ref))
        else:
            hits = [and_(AuditEvent.entity == kind, AuditEvent.entity_id == rid)
                    for kind, model in REFERENCED.items()
                    for rid in s.exec(select(model.id).where(func.upper(model.reference) == ref.upper()))]
            where.append(or_(*hits) if hits else false())
    if f.date_from:
        where.append(AuditEvent.at >= datetime.combine(f.date_from, time.min, tzinfo=UTC))
    if f.date_to:
        where.append(AuditEvent.at < datetime.combine(f.date_to + timedelta(days=1), time.min, tzinfo=UTC))
    if f.partnership_id is not None:
        where.append(AuditEvent.partnership_id == f.partnership_id)
    return where


def _frame(s, rows: list[AuditEvent], full: bool) -> pd.DataFrame:
    codes = dict(s.exec(select(Partnership.id, Partnership.code)).all())
    refs: dict[tuple[str, int], str] = {}
    for kind, model in REFERENCED.items():
        ids = {r.entity_id for r in rows if r.entity == kind and r.entity_id is not None}
        if ids:
            refs.update({(kind, i): ref for i, ref in s.exec(select(model.id, model.reference).where(model.id.in_(ids)))})
    for kind, (model, column) in NAMED.items():
        ids = {r.entity_id for r in rows if r.entity == kind and r.entity_id is not None}
        if ids:
            refs.update({(kind, i): name for i, name in s.exec(select(model.id, column).where(model.id.in_(ids)))})
    out = []
    for r in rows:
        item = {"when": r.at, "who": r.username, "action": r.action, "record type": r.entity,
                "record": refs.get((r.entity, r.entity_id), "" if r.entity_id is None else str(r.entity_id)),
                "partnership": codes.get(r.partnership_id, ""), "detail": r.detail or ""}
        if full:
            item |= {"before": r.before or "", "after": r.after or ""}
        out.append(item)
    columns = ["when", "who", "action", "record type", "record", "partnership", "detail"]
    return pd.DataFrame(out, columns=columns + (["before", "after"] if full else []))


# The screen's headings; the export keeps the search frame's own (lower-case) names.
HEADINGS = {"when": "When (UTC)", "who": "Who", "action": "Action", "record type": "Record type",
            "record": "Record", "partnership": "Partnership", "detail": "Detail"}


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """A page of `search` as a person reads it: who by name (and username), actions and record
    types in words, dates in the detail written out; headed in sentence case."""
    view = frame.copy()
    if view.empty:
        return view.rename(columns=HEADINGS)
    with read_session() as s:
        names = audit.names_of(s, set(view["who"]))
    view["who"] = [f"{names[u]} ({u})" if u in names and u != SYSTEM.username else names.get(u, u)
                   for u in view["who"]]
    view["action"] = view["action"].map(action_label)
    view["record type"] = view["record type"].map(record_type_label)
    view["detail"] = view["detail"].map(days_in)
    return view.rename(columns=HEADINGS)


def search(actor: Actor, f: AuditFilter, page: int = 1, page_size: int = PAGE_SIZE,
           record: bool = True) -> tuple[pd.DataFrame, int]:
    """One page of matching rows, newest first, and how many match. `record=False` only for a
    rerun of a search already audited (the page asks once per distinct search and page)."""
    actor.require("audit.read")
    page = max(1, int(page))
    with read_session() as s:
        where = _conditions(s, actor, f)
        total = s.exec(select(func.count()).select_from(AuditEvent).where(*where)).one()
        rows = list(s.exec(select(AuditEvent).where(*where).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                           .offset((page - 1) * page_size).limit(page_size)))
        df = _frame(s, rows, full=False)
    if record:
        with transaction() as s:
            audit.record(s, actor, "audit_search", "audit", detail=f"{f.describe()}; page {page}; {total} rows")
    return df, total


def export_csv(actor: Actor, f: AuditFilter) -> bytes:
    """Every matching row (up to EXPORT_LIMIT) as CSV, formulas neutralised; the export is audited."""
    actor.require("audit.read")
    with read_session() as s:
        where = _conditions(s, actor, f)
        rows = list(s.exec(select(AuditEvent).where(*where).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
                           .limit(EXPORT_LIMIT)))
        df = _frame(s, rows, full=True)
    data = exports.to_csv(df)
    with transaction() as s:
        audit.record(s, actor, "export", "audit", detail=f"csv: {len(df)} rows; {f.describe()}")
    return data


def choices(actor: Actor) -> tuple[list[str], list[str]]:
    """The actions and record types that occur in the rows the actor may see, for the filters."""
    actor.require("audit.read")
    with read_session() as s:
        scope = _scope(actor)
        actions = s.exec(select(AuditEvent.action).where(scope).distinct().order_by(AuditEvent.action)).all()
        kinds = s.exec(select(AuditEvent.entity).where(scope).distinct().order_by(AuditEvent.entity)).all()
    return list(actions), list(kinds)
