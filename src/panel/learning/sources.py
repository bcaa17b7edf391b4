"""Learning sources beside reviews: case file audits, child death review learning, child
protection incident reviews, local learning reviews, inspections and self-audits, each holding
findings and recommendations as a review does (docs/domain.md §7.1).

Reading needs "learning.read" in the source's partnership, writing "learning.edit"; another
partnership's source is "not found" (the attempt audited), so its existence is not disclosed.
The kinds, the fields each records and the checks are pure rules in panel.learning.source_rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd
from sqlalchemy import func, update
from sqlmodel import Session, select

from panel.core import audit, clock
from panel.core.access import Actor
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, StaleEdit, ValidationFailed
from panel.learning.source_rules import (
    GRADES,
    INSPECTORATES,
    KIND_FIELDS,
    SOURCE_KINDS,
    SourceForm,
    check,
    cleaned,
    grades_of,
)
from panel.models import (
    Agency,
    Finding,
    LearningSource,
    Partnership,
    Recommendation,
    SourceAgency,
    User,
)

__all__ = ["SOURCE_KINDS", "GRADES", "INSPECTORATES", "KIND_FIELDS", "SourceForm", "SourceFilter", "SourceView",
           "LIST_COLUMNS", "NOT_FOUND", "list_sources", "source_years", "get_source", "create_source",
           "update_source"]

NOT_FOUND = "No learning source with that number is open to you."
LIST_COLUMNS = ["id", "partnership", "kind", "title", "reference", "year", "started_on", "completed_on",
                "agencies", "findings", "recommendations"]
FIELDS = ("kind", "title", "reference", "topic", "inspectorate", "cases_sampled", "started_on", "completed_on")


@dataclass
class SourceFilter:
    partnership_ids: list[int] | None = None  # narrows, never widens (Actor.partnerships_with)
    kind: str | None = None
    year: int | None = None


@dataclass
class SourceView:
    source: LearningSource
    partnership_code: str
    partnership_name: str
    agencies: list[dict]  # {"agency_id", "agency", "grade"}: grade a label, or "" where none
    findings: int
    recommendations: int
    created_by: str | None
    can_edit: bool
    form: SourceForm = field(default_factory=SourceForm)  # the record as a form, for an edit


def _year():
    """The year a source counts under: completed, else started; a source moved from older
    findings (migration 0016 gave it no dates) takes the year of its first finding."""
    first = (select(func.min(Finding.recorded_on)).where(Finding.source_id == LearningSource.id)
             .correlate(LearningSource).scalar_subquery())
    return func.extract("year", func.coalesce(LearningSource.completed_on, LearningSource.started_on, first))


def _count(model, column):
    return (select(func.count(model.id)).where(column == LearningSource.id)
            .correlate(LearningSource).scalar_subquery())


def list_sources(actor: Actor, f: SourceFilter | None = None) -> pd.DataFrame:
    """The learning sources of the partnerships the actor may read (LIST_COLUMNS), newest
    first, with how many agencies, findings and recommendations each holds: counted in SQL."""
    f = f or SourceFilter()
    pids = actor.partnerships_with("learning.read", f.partnership_ids)
    if not pids:
        return pd.DataFrame(columns=LIST_COLUMNS)
    year = _year()
    agencies = (select(func.count()).select_from(SourceAgency).where(SourceAgency.source_id == LearningSource.id)
                .correlate(LearningSource).scalar_subquery())
    stmt = (select(LearningSource.id, Partnership.code, LearningSource.kind, LearningSource.title,
                   LearningSource.reference, year, LearningSource.started_on, LearningSource.completed_on,
                   agencies, _count(Finding, Finding.source_id), _count(Recommendation, Recommendation.source_id))
            .join(Partnership, Partnership.id == LearningSource.partnership_id)
            .where(LearningSource.partnership_id.in_(pids)))
    if f.kind:
        stmt = stmt.where(LearningSource.kind == f.kind)
    if f.year:
        stmt = stmt.where(year == int(f.year))
    stmt = stmt.order_by(year.desc(), LearningSource.id.desc())
    with read_session() as s:
        rows = s.exec(stmt).all()
    return pd.DataFrame([(i, code, kind, title, ref, int(y) if y is not None else None, st, done,
                          int(a), int(fi), int(r)) for i, code, kind, title, ref, y, st, done, a, fi, r in rows],
                        columns=LIST_COLUMNS)


def source_years(actor: Actor, partnership_ids: list[int] | None = None) -> list[int]:
    """The years that have a learning source, newest first (the list's year filter)."""
    pids = actor.partnerships_with("learning.read", partnership_ids)
    if not pids:
        return []
    year = _year()
    with read_session() as s:
        found = s.exec(select(year).where(LearningSource.partnership_id.in_(pids)).distinct()).all()
    return sorted({int(y) for y in found if y is not None}, reverse=True)


def _load(s: Session, actor: Actor, source_id) -> LearningSource:
    src = s.get(LearningSource, source_id) if isinstance(source_id, int) and not isinstance(source_id, bool) else None
    if src is not None and actor.can("learning.read", src.partnership_id):
        return src
    raise audit.not_found(actor, "learning_source", source_id, NOT_FOUND, what="learning source")


def get_source(actor: Actor, source_id: int, record_view: bool = True) -> SourceView:
    """One source with its agencies (and grades), how many findings and recommendations it holds;
    the view is audited (`record_view`: the first time a page shows it, not on every rerun)."""
    with read_session() as s:
        src = _load(s, actor, source_id)
        part = s.get(Partnership, src.partnership_id)
        rows = s.exec(select(SourceAgency.agency_id, Agency.name, SourceAgency.grade)
                      .join(Agency, Agency.id == SourceAgency.agency_id)
                      .where(SourceAgency.source_id == src.id).order_by(Agency.name)).all()
        findings = s.exec(select(func.count(Finding.id)).where(Finding.source_id == src.id)).one()
        recs = s.exec(select(func.count(Recommendation.id)).where(Recommendation.source_id == src.id)).one()
        who = s.get(User, src.created_by_id).name if src.created_by_id else None
    if record_view:
        with transaction() as s:
            audit.record(s, actor, "view", "learning_source", src.id, src.partnership_id)
    form = SourceForm(kind=src.kind, title=src.title, reference=src.reference or "", topic=src.topic or "",
                      inspectorate=src.inspectorate, cases_sampled=src.cases_sampled, started_on=src.started_on,
                      completed_on=src.completed_on, agencies={a: g for a, _, g in rows})
    return SourceView(source=src, partnership_code=part.code, partnership_name=part.name,
                      agencies=[{"agency_id": a, "agency": name, "grade": GRADES.get(g, g or "")} for a, name, g in rows],
                      findings=int(findings), recommendations=int(recs), created_by=who,
                      can_edit=actor.can("learning.edit", src.partnership_id), form=form)


def _checked(form: SourceForm, today: date | None) -> tuple[dict, dict[int, str | None]]:
    if errors := check(form, today or clock.today()):
        raise ValidationFailed(errors)
    return cleaned(form), grades_of(form)


def _agencies_in_use(s: Session, wanted: dict[int, str | None], keep: set[int] = frozenset()) -> None:
    """Every agency named exists, and is active unless the source already named it (a retired
    agency stays on the records that named it, but is not offered for new ones)."""
    ids = set(wanted)
    active = set(s.exec(select(Agency.id).where(Agency.id.in_(ids), Agency.active == True))) if ids else set()  # noqa: E712
    if ids - active - keep:
        raise ValidationFailed({"agencies": "Choose the agencies from the list."})


def _write_agencies(s: Session, source_id: int, wanted: dict[int, str | None]) -> dict[int, str | None]:
    """Make the source's agencies and grades exactly `wanted`; returns them as they were."""
    current = {sa.agency_id: sa for sa in s.exec(select(SourceAgency).where(SourceAgency.source_id == source_id))}
    before = {a: sa.grade for a, sa in current.items()}
    for a, sa in current.items():
        if a not in wanted:
            s.delete(sa)
        elif sa.grade != wanted[a]:
            sa.grade = wanted[a]
            s.add(sa)
    s.add_all(SourceAgency(source_id=source_id, agency_id=a, grade=g) for a, g in wanted.items() if a not in current)
    return before


def _agency_audit(grades: dict[int, str | None]) -> dict[str, str | None]:
    return {str(a): g for a, g in sorted(grades.items())}


def create_source(actor: Actor, partnership_id: int, form: SourceForm, today: date | None = None) -> int:
    """A new learning source in the partnership, with its agencies (and grades); returns its id."""
    values, grades = _checked(form, today)
    with transaction() as s:
        if not isinstance(partnership_id, int) or not actor.can("learning.read", partnership_id):
            raise NotFound("No partnership with that number is open to you.")
        actor.require("learning.edit", partnership_id)
        _agencies_in_use(s, grades)
        src = LearningSource(partnership_id=partnership_id, created_by_id=actor.user_id, **values)
        s.add(src)
        s.flush()
        _write_agencies(s, src.id, grades)
        audit.record(s, actor, "create", "learning_source", src.id, partnership_id,
                     after={**values, "agencies": _agency_audit(grades)})
        return src.id


def update_source(actor: Actor, source_id: int, form: SourceForm, expected_version: int,
                  today: date | None = None) -> None:
    """Replace the source's details, agencies and grades with the form's, only if nobody changed
    it since the form was opened (else StaleEdit). The form is the whole record: a field its
    kind does not record (an audit's grades, once it is another kind) is refused, not kept."""
    values, grades = _checked(form, today)
    with transaction() as s:
        src = _load(s, actor, source_id)
        actor.require("learning.edit", src.partnership_id)
        current = set(s.exec(select(SourceAgency.agency_id).where(SourceAgency.source_id == src.id)))
        _agencies_in_use(s, grades, keep=current)
        before = {k: getattr(src, k) for k in FIELDS}
        done = s.execute(update(LearningSource)
                         .where(LearningSource.id == src.id, LearningSource.version == expected_version)
                         .values(**values, version=LearningSource.version + 1))
        if done.rowcount != 1:
            raise StaleEdit("learning source")
        if (before["kind"], before["title"]) != (values["kind"], values["title"]):
            # Findings carry a copy of their source's kind and title (read by search and older
            # lists): kept in step with the source, in the same transaction.
            s.execute(update(Finding).where(Finding.source_id == src.id)
                      .values(source_kind=values["kind"], source_title=values["title"]))
        old_grades = _write_agencies(s, src.id, grades)
        b, a = audit.changed({**before, "agencies": _agency_audit(old_grades)},
                             {**values, "agencies": _agency_audit(grades)})
        audit.record(s, actor, "update", "learning_source", src.id, src.partnership_id, before=b, after=a)
