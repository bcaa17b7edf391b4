"""The learning sheets and the database (docs/domain.md §7.1): what the checks need to know, writing
what passed inside the import's transaction, and the rows the export writes.

A review's learning travels in the tracker, and a learning source's (named in the source column
by its reference, or its title: panel.tracker_io.sources_db); actions agreed at a meeting,
with no recommendation, do not. The
file's references (F1, R1, A1) are not stored: stored learning is matched by review and text
(findings, recommendations) or by recommendation, text and owner (actions), and the export
numbers its rows afresh.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlmodel import Session, select

from panel.core import audit, clock
from panel.core.access import Actor
from panel.models import (
    Action,
    Agency,
    AuditEvent,
    Finding,
    FindingAgency,
    Recommendation,
    RecommendationAgency,
    RecommendationFinding,
    Review,
    Theme,
    ThemeTag,
)
from panel.tracker_io.context import Context
from panel.tracker_io.report import ImportReport, Plan

CHUNK = 500
ACTION_FIELDS = ("owner_name", "owner_email", "text", "due_on", "status", "evidence_of_impact", "closed_on",
                 "carried_to", "carried_reason", "follow_up_on")


def _chunks(values: Iterable) -> Iterable[list]:
    values = list(values)
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def _pairs(s: Session, model, key, value, ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    """{key: sorted values} of a link table (agencies, findings) for these ids."""
    out: dict[int, set[int]] = {}
    for chunk in _chunks(ids):
        for k, v in s.exec(select(key, value).where(key.in_(chunk))):
            out.setdefault(k, set()).add(v)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _tags(s: Session, entity: str, ids: Iterable[int]) -> dict[int, tuple[int, ...]]:
    out: dict[int, set[int]] = {}
    for chunk in _chunks(ids):
        for eid, tid in s.exec(select(ThemeTag.entity_id, ThemeTag.theme_id)
                               .where(ThemeTag.entity == entity, ThemeTag.entity_id.in_(chunk))):
            out.setdefault(eid, set()).add(tid)
    return {k: tuple(sorted(v)) for k, v in out.items()}


def _stored(s: Session, review_ids: list[int], source_ids: Iterable[int] = ()):
    """The findings, recommendations and actions of these reviews and learning sources, with their
    links."""
    findings: list[Finding] = []
    recs: list[Recommendation] = []
    for chunk in _chunks(review_ids):
        findings += s.exec(select(Finding).where(Finding.review_id.in_(chunk))).all()
        recs += s.exec(select(Recommendation).where(Recommendation.review_id.in_(chunk))).all()
    for chunk in _chunks(source_ids):
        findings += s.exec(select(Finding).where(Finding.source_id.in_(chunk), Finding.review_id.is_(None))).all()
        recs += s.exec(select(Recommendation).where(Recommendation.source_id.in_(chunk),
                                                    Recommendation.review_id.is_(None))).all()
    actions: list[Action] = []
    for chunk in _chunks([r.id for r in recs]):
        actions += s.exec(select(Action).where(Action.recommendation_id.in_(chunk))).all()
    f_ids, r_ids = [f.id for f in findings], [r.id for r in recs]
    links = _pairs(s, RecommendationFinding, RecommendationFinding.recommendation_id,
                   RecommendationFinding.finding_id, r_ids)
    links = {r.id: tuple(sorted({*links.get(r.id, ()), *([r.finding_id] if r.finding_id else [])})) for r in recs}
    return {
        "findings": findings, "recommendations": recs, "actions": actions,
        "finding_agencies": _pairs(s, FindingAgency, FindingAgency.finding_id, FindingAgency.agency_id, f_ids),
        "rec_agencies": _pairs(s, RecommendationAgency, RecommendationAgency.recommendation_id,
                               RecommendationAgency.agency_id, r_ids),
        "links": links, "finding_themes": _tags(s, "finding", f_ids), "rec_themes": _tags(s, "recommendation", r_ids),
    }


def retired_agencies(s: Session) -> dict[int, str]:
    """Retired agencies, id -> why a new learning row cannot name it: retired (or merged) on the
    day the audit log records, as the forms no longer offer it (docs/domain.md §7.1)."""
    names = dict(s.exec(select(Agency.id, Agency.name).where(Agency.active == False)).all())  # noqa: E712
    when: dict[int, tuple] = {}
    for chunk in _chunks(names):
        for aid, action, at, after in s.exec(
                select(AuditEvent.entity_id, AuditEvent.action, AuditEvent.at, AuditEvent.after)
                .where(AuditEvent.entity == "agency", AuditEvent.entity_id.in_(chunk),
                       AuditEvent.action.in_(("retire", "merge"))).order_by(AuditEvent.at, AuditEvent.id)):
            when[aid] = (action, at, after)  # the latest wins
    out = {}
    for aid, name in names.items():
        action, at, after = when.get(aid, (None, None, None))
        if action == "merge":
            into = (json.loads(after) if after else {}).get("merged_into") or "another agency"
            out[aid] = f"{name} was merged into {into} on {clock.day(at)}: choose {into}."
        elif at is not None:
            out[aid] = f"{name} was retired on {clock.day(at)}: choose a current agency."
        else:
            out[aid] = f"{name} is retired: choose a current agency."
    return out


def load(s: Session, ctx: Context, source_ids: Iterable[int] = ()) -> None:
    """Active themes, retired agencies, and the stored learning of the reviews and learning
    sources the file names, as clean rows keyed by their owner: a review's reference, or
    ("source", id) for a learning source (panel.tracker_io.checks_learning)."""
    ctx.retired = retired_agencies(s)
    ctx.themes = {name.casefold(): tid for tid, name in s.exec(select(Theme.id, Theme.name).where(Theme.active))}
    refs = {v["_id"]: ref for ref, v in ctx.reviews.items()}
    names = {v["_id"]: (v["reference"] or v["title"], v["partnership_code"]) for v in ctx.sources.values()}
    st = _stored(s, list(refs), source_ids)

    def owner(x) -> tuple[object, dict]:
        if x.review_id:
            return refs[x.review_id], {"review_reference": refs[x.review_id], "source": None,
                                       "source_partnership_code": None}
        name, code = names.get(x.source_id, (None, None))
        return ("source", x.source_id), {"review_reference": None, "source": name, "source_partnership_code": code}

    # Rows sharing a key are kept in the order the export writes them, to be matched in turn.
    for f in sorted(st["findings"], key=lambda x: (x.recorded_on, x.id)):
        whose, named = owner(f)
        ctx.findings.setdefault((whose, f.text.strip()), []).append({
            **named, "recorded_on": f.recorded_on, "text": f.text.strip(),
            "nature": f.nature, "themes": st["finding_themes"].get(f.id, ()),
            "agencies": st["finding_agencies"].get(f.id, ()), "_id": f.id})
    for r in sorted(st["recommendations"], key=lambda x: (x.recorded_on, x.id)):
        whose, named = owner(r)
        ctx.recommendations.setdefault((whose, r.text.strip()), []).append({
            **named, "text": r.text.strip(),
            "target_agencies": st["rec_agencies"].get(r.id, ()), "outcome_sought": r.outcome_sought,
            "measure": r.measure, "due_on": r.due_on, "status": r.status, "accepted_on": r.accepted_on,
            "recorded_on": r.recorded_on, "themes": st["rec_themes"].get(r.id, ()),
            "_finding_ids": st["links"].get(r.id, ()), "_id": r.id})
    for a in sorted(st["actions"], key=lambda x: (x.due_on, x.id)):
        ctx.actions.setdefault((a.recommendation_id, a.text.strip(), a.owner_name.casefold()), []).append({
            "owner_agency": a.owner_agency_id, **{k: getattr(a, k) for k in ACTION_FIELDS}, "_id": a.id})


def _owner(row: dict, review_ids: dict[str, int]) -> dict:
    """A new finding's (or recommendation's) review, or learning source (written just before, by
    panel.tracker_io.sources_db, which put its id in the checks' record)."""
    if src := row.get("_source"):
        return {"review_id": None, "source_id": src["_id"], "source_kind": src["kind"], "source_title": src["title"]}
    return {"review_id": review_ids[row["review_reference"]], "source_id": None, "source_kind": "review"}


def write(s: Session, actor: Actor, plan: Plan, report: ImportReport) -> None:
    """The new learning, in the import's transaction, each row audited as an import."""
    wanted = {r["review_reference"] for r in (*plan.findings, *plan.recommendations) if r["review_reference"]}
    review_ids: dict[str, int] = {}
    for chunk in _chunks(wanted):
        review_ids.update(s.exec(select(Review.reference, Review.id).where(Review.reference.in_(chunk))).all())
    detail = report.file_name
    findings = [(f, Finding(partnership_id=f["_pid"], **_owner(f, review_ids), nature=f["nature"],
                            recorded_on=f["recorded_on"], text=f["text"]))
                for f in plan.findings]
    s.add_all([rec for _, rec in findings])
    s.flush()
    for f, rec in findings:
        f["_id"] = rec.id  # the checks' record: recommendations linking it read the id from it
        s.add_all([FindingAgency(finding_id=rec.id, agency_id=a) for a in f["agencies"]])
        s.add_all([ThemeTag(theme_id=t, entity="finding", entity_id=rec.id) for t in f["themes"]])
        audit.record(s, actor, "import", "finding", rec.id, rec.partnership_id, detail=detail)
    recs = []
    for r in plan.recommendations:
        linked = [found["_id"] for _, found in r["_findings"]]
        recs.append((r, linked, Recommendation(
            partnership_id=r["_pid"], **{k: v for k, v in _owner(r, review_ids).items() if k.endswith("_id")},
            finding_id=linked[0] if linked else None, text=r["text"], recorded_on=r["recorded_on"],
            outcome_sought=r.get("outcome_sought"), measure=r.get("measure"), due_on=r.get("due_on"),
            status=r["status"], accepted_on=r.get("accepted_on"))))
    s.add_all([rec for _, _, rec in recs])
    s.flush()
    for r, linked, rec in recs:
        r["_id"] = rec.id
        s.add_all([RecommendationAgency(recommendation_id=rec.id, agency_id=a) for a in r["target_agencies"]])
        s.add_all([RecommendationFinding(recommendation_id=rec.id, finding_id=f) for f in sorted(set(linked))])
        s.add_all([ThemeTag(theme_id=t, entity="recommendation", entity_id=rec.id) for t in r["themes"]])
        audit.record(s, actor, "import", "recommendation", rec.id, rec.partnership_id, detail=detail)
    actions = [Action(partnership_id=a["_rec"]["_pid"], recommendation_id=a["_rec"]["_id"],
                      owner_agency_id=a["owner_agency"], **{k: a.get(k) for k in ACTION_FIELDS})
               for a in plan.actions]
    s.add_all(actions)
    s.flush()
    for a in actions:
        audit.record(s, actor, "import", "action", a.id, a.partnership_id, detail=detail)


def export_rows(s: Session, review_refs: dict[int, str], agency_names: dict[int, str],
                source_names: dict[int, tuple[str, str]] | None = None) -> dict[str, list[dict]]:
    """The three sheets for these reviews (id -> reference) and learning sources (id -> name and
    partnership code),
    numbered F1, R1, A1: reviews' learning first, in review order, then each source's."""
    source_names = source_names or {}
    st = _stored(s, list(review_refs), list(source_names))
    themes = dict(s.exec(select(Theme.id, Theme.name)).all())

    def names(ids, lookup) -> list[str]:
        return sorted(lookup[i] for i in ids)

    def owner(x) -> dict:
        if x.review_id:
            return {"review_reference": review_refs[x.review_id], "source": None, "source_partnership_code": None}
        return {"review_reference": None, "source": source_names[x.source_id][0],
                "source_partnership_code": source_names[x.source_id][1]}

    def by_review(x) -> tuple:
        return ((0, review_refs[x.review_id], "", 0) if x.review_id else (1, *source_names[x.source_id], x.source_id)) \
            + (x.recorded_on, x.id)

    f_ref: dict[int, str] = {}
    findings = []
    for i, f in enumerate(sorted(st["findings"], key=by_review), start=1):
        f_ref[f.id] = f"F{i}"
        findings.append({"finding_reference": f"F{i}", **owner(f),
                         "recorded_on": f.recorded_on, "text": f.text, "nature": f.nature,
                         "themes": names(st["finding_themes"].get(f.id, ()), themes),
                         "agencies": names(st["finding_agencies"].get(f.id, ()), agency_names)})
    r_ref: dict[int, str] = {}
    recs = []
    for i, r in enumerate(sorted(st["recommendations"], key=by_review), start=1):
        r_ref[r.id] = f"R{i}"
        recs.append({"recommendation_reference": f"R{i}", **owner(r),
                     "finding_references": [f_ref[x] for x in st["links"].get(r.id, ()) if x in f_ref],
                     "text": r.text, "target_agencies": names(st["rec_agencies"].get(r.id, ()), agency_names),
                     "outcome_sought": r.outcome_sought, "measure": r.measure, "due_on": r.due_on,
                     "status": r.status, "accepted_on": r.accepted_on, "recorded_on": r.recorded_on,
                     "themes": names(st["rec_themes"].get(r.id, ()), themes)})
    order = {rid: n for n, rid in enumerate(r_ref)}
    actions = []
    for i, a in enumerate(sorted(st["actions"], key=lambda a: (order[a.recommendation_id], a.due_on, a.id)), start=1):
        actions.append({"action_reference": f"A{i}", "recommendation_reference": r_ref[a.recommendation_id],
                        "owner_agency": agency_names.get(a.owner_agency_id),
                        **{k: getattr(a, k) for k in ACTION_FIELDS}})
    return {"findings": findings, "recommendations": recs, "actions": actions}
