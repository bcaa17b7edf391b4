"""The learning of one review or learning source, whole: its findings, its recommendations with
their earlier versions, and each recommendation's actions (docs/domain.md §7.1). One read for the
pages that show and enter learning (panel.ui.learning_entry)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, select

from panel.core.access import Actor
from panel.core.db import read_session
from panel.learning.actions import STATUSES as ACTION_STATUSES
from panel.learning.case_detail import identifiers_by_review, names_case_detail
from panel.learning.owner import Owner, resolve
from panel.models import (
    Action,
    Agency,
    Finding,
    FindingAgency,
    Recommendation,
    RecommendationAgency,
    RecommendationFinding,
    RecommendationRevision,
    Theme,
    ThemeTag,
    User,
)


@dataclass
class FindingView:
    id: int
    number: int  # 1, 2, ... in the order recorded: "F1" on the page
    text: str
    recorded_on: date
    nature: str  # panel.learning.findings.NATURES
    version: int
    agencies: dict[int, str]
    themes: dict[int, str]
    names_case_detail: bool = False  # kept from regional learning until reworded (docs/domain.md §8)


@dataclass
class RevisionView:
    version: int
    text: str
    outcome_sought: str | None
    measure: str | None
    due_on: date | None
    agencies: list[str]
    reason: str
    changed_by: str
    changed_at: datetime


@dataclass
class ActionView:
    id: int
    text: str
    owner_agency: str
    owner_name: str
    due_on: date
    status: str  # its label


@dataclass
class RecommendationView:
    id: int
    number: int  # "R1" on the page
    text: str
    recorded_on: date
    outcome_sought: str | None
    measure: str | None
    due_on: date | None
    status: str  # draft, accepted
    accepted_on: date | None
    version: int
    agencies: dict[int, str]
    findings: list[int]  # finding ids, in the order of the owner's findings
    themes: dict[int, str]
    revisions: list[RevisionView] = field(default_factory=list)  # newest first
    actions: list[ActionView] = field(default_factory=list)
    names_case_detail: bool = False  # kept from regional learning until reworded (docs/domain.md §8)


@dataclass
class Learning:
    owner: Owner
    findings: list[FindingView]
    recommendations: list[RecommendationView]
    can_edit: bool  # add and edit findings, recommendations and actions
    can_accept: bool  # accept a draft recommendation


def _pairs(s: Session, stmt) -> dict[int, dict[int, str]]:
    out: dict[int, dict[int, str]] = {}
    for owner_id, key, name in s.exec(stmt):
        out.setdefault(owner_id, {})[key] = name
    return out


def _themes(s: Session, entity: str, entity_ids: list[int]) -> dict[int, dict[int, str]]:
    return _pairs(s, select(ThemeTag.entity_id, Theme.id, Theme.name).join(Theme, Theme.id == ThemeTag.theme_id)
                  .where(ThemeTag.entity == entity, ThemeTag.entity_id.in_(entity_ids or [0])).order_by(Theme.name))


def _recommendations(s: Session, owner: Owner) -> list[Recommendation]:
    where = Recommendation.review_id == owner.review_id if owner.review_id else \
        Recommendation.source_id == owner.source_id
    return list(s.exec(select(Recommendation).where(where).order_by(Recommendation.recorded_on, Recommendation.id)))


def learning_of(actor: Actor, *, review_reference: str | None = None, source_id: int | None = None) -> Learning:
    """A review's (`review_reference`) or learning source's (`source_id`) findings and
    recommendations, with what the actor may do to them; NotFound for one not open to them."""
    with read_session() as s:
        owner = resolve(s, actor, review_reference, source_id)
        mine = Finding.review_id == owner.review_id if owner.review_id else Finding.source_id == owner.source_id
        found = list(s.exec(select(Finding).where(mine).order_by(Finding.recorded_on, Finding.id)))
        fids = [f.id for f in found]
        f_agencies = _pairs(s, select(FindingAgency.finding_id, Agency.id, Agency.name)
                            .join(Agency, Agency.id == FindingAgency.agency_id)
                            .where(FindingAgency.finding_id.in_(fids or [0])).order_by(Agency.name))
        f_themes = _themes(s, "finding", fids)
        ids = identifiers_by_review(s, [owner.review_id]).get(owner.review_id)  # a source names no case
        findings = [FindingView(f.id, n, f.text, f.recorded_on, f.nature, f.version, f_agencies.get(f.id, {}),
                                f_themes.get(f.id, {}), names_case_detail(f.text, ids)) for n, f in enumerate(found, 1)]
        recs = _recommendations(s, owner)
        rids = [r.id for r in recs] or [0]
        r_agencies = _pairs(s, select(RecommendationAgency.recommendation_id, Agency.id, Agency.name)
                            .join(Agency, Agency.id == RecommendationAgency.agency_id)
                            .where(RecommendationAgency.recommendation_id.in_(rids)).order_by(Agency.name))
        links: dict[int, set[int]] = {}
        for rid, fid in s.exec(select(RecommendationFinding.recommendation_id, RecommendationFinding.finding_id)
                               .where(RecommendationFinding.recommendation_id.in_(rids))):
            links.setdefault(rid, set()).add(fid)
        r_themes = _themes(s, "recommendation", rids)
        names = dict(s.exec(select(Agency.id, Agency.name)).all())
        revisions: dict[int, list[RevisionView]] = {}
        for rv, who in s.exec(select(RecommendationRevision, User.name)
                              .outerjoin(User, User.id == RecommendationRevision.changed_by_id)
                              .where(RecommendationRevision.recommendation_id.in_(rids))
                              .order_by(RecommendationRevision.version.desc(), RecommendationRevision.id.desc())):
            revisions.setdefault(rv.recommendation_id, []).append(RevisionView(
                rv.version, rv.text, rv.outcome_sought, rv.measure, rv.due_on,
                sorted(names.get(a, str(a)) for a in json.loads(rv.agency_ids or "[]")), rv.reason,
                who or "System", rv.changed_at))
        acts: dict[int, list[ActionView]] = {}
        for a in s.exec(select(Action).where(Action.recommendation_id.in_(rids)).order_by(Action.due_on, Action.id)):
            acts.setdefault(a.recommendation_id, []).append(ActionView(
                a.id, a.text, names.get(a.owner_agency_id, "Agency not recorded"), a.owner_name, a.due_on,
                ACTION_STATUSES.get(a.status, a.status)))
    recommendations = [RecommendationView(
        r.id, n, r.text, r.recorded_on, r.outcome_sought, r.measure, r.due_on, r.status, r.accepted_on, r.version,
        r_agencies.get(r.id, {}), [f for f in fids if f in links.get(r.id, {r.finding_id})],
        r_themes.get(r.id, {}), revisions.get(r.id, []), acts.get(r.id, []), names_case_detail(r.text, ids))
        for n, r in enumerate(recs, 1)]
    return Learning(owner, findings, recommendations, can_edit=actor.can("learning.edit", owner.partnership_id),
                    can_accept=actor.can("learning.accept", owner.partnership_id))
