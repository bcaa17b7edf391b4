"""Importing a spreadsheet tracker, and exporting the database in the same format.

Every row is checked first (`panel.tracker_io.validate`); nothing is written unless all pass,
and then everything is written in one transaction with its audit rows. Records are keyed by
reference: a row already in the database with the same values is "unchanged", with different
values an error naming the columns, so importing the same file twice changes nothing.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import update
from sqlmodel import Session, select

from panel import tracker_io
from panel.agencies import rules as agency_rules
from panel.agencies import service as agency_service
from panel.core import audit
from panel.core.access import Actor
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import PermissionDenied
from panel.models import (
    Agency,
    Decision,
    Notification,
    Partnership,
    Referral,
    ReferralAgency,
    Review,
    ReviewMilestone,
)
from panel.screening import rules as screening
from panel.tracker_io import Context, ImportReport, Plan, learning_db, sources_db
from panel.tracker_io.db_read import (  # noqa: F401 (REFERRAL_FIELDS, REVIEW_FIELDS: read from here too)
    REFERRAL_FIELDS,
    REVIEW_FIELDS,
    load_context,
    referral_values,
    review_types,
    review_values,
)

PERMISSION = "data.import"
# The tracker holds every child's initials, date of birth and what happened: exporting it is
# reading those cases, so it needs case-read in each partnership exported, as the screens do.
# Importing alone (data.import) does not give it.
EXPORT_PERMISSION = "referral.read"
EXPORT_REFUSED = ("Exporting the tracker needs a panel role (chair, member or business manager) in the "
                  "partnership: it holds every child's details. The template shows the format without them.")


def importable(actor: Actor) -> frozenset[int] | None:
    """Partnerships the actor may import into; None means all of them (the command line)."""
    return None if actor.is_system else frozenset(actor.partnerships_with(PERMISSION))


def can_import(actor: Actor) -> bool:
    return actor.is_system or bool(actor.partnerships_with(PERMISSION))


def _require(actor: Actor) -> None:
    if not can_import(actor):
        raise PermissionDenied("Only an administrator can import a tracker.")


def template(actor: Actor) -> bytes:
    """The template for this installation: its agencies, the actor's partnerships and types."""
    _require(actor)
    allowed = importable(actor)
    with read_session() as s:
        parts = [(p.id, p.code) for p in s.exec(select(Partnership).order_by(Partnership.code))
                 if allowed is None or p.id in allowed]
        agencies = list(s.exec(select(Agency.name).order_by(Agency.name)))
        types = review_types(s, [pid for pid, _ in parts])
    code = parts[0][1] if parts else "NB"
    by_code = {c: [t.spec for t in types.get(pid, {}).values()] for pid, c in parts}
    return tracker_io.build_template(code, agencies or ["Children's social care"],
                                     [c for _, c in parts] or [code], by_code or None)


# -- import ----------------------------------------------------------------------------------

def check_file(actor: Actor, data: bytes, file_name: str, today: date,
               create_agencies: bool = False) -> ImportReport:
    """Check every row and report; writes nothing."""
    return import_tracker(actor, data, file_name, today, dry_run=True, create_agencies=create_agencies)


class _Refused(Exception):
    """Rolls back agencies created for an import whose rows then failed their checks."""

    def __init__(self, report: ImportReport):
        self.report = report


def _new_agencies(ctx: Context, parsed: tracker_io.Parsed) -> list[str]:
    return [n for n in tracker_io.agency_names(parsed) if n.casefold() not in ctx.agencies]


def import_tracker(actor: Actor, data: bytes, file_name: str, today: date,
                   dry_run: bool = False, create_agencies: bool = False) -> ImportReport:
    """Check every row; if all pass (and not `dry_run`), write them in one transaction.

    Agency names no agency has are listed in the report (`new_agencies`); with
    `create_agencies` they are created (kind "other", for an administrator to sort later) in
    the same transaction as the rows, so a fresh installation imports its old tracker in one
    go, and a file that fails leaves no agency behind.

    The check runs again inside the writing transaction, so a file checked earlier cannot
    clash with what others saved since.
    """
    _require(actor)
    if create_agencies and not actor.can(agency_service.PERMISSION):
        raise PermissionDenied("Only an administrator can create agencies.")
    file_name = (file_name or "tracker.xlsx").replace("\n", " ")[:200]
    parsed = tracker_io.read_workbook(data, file_name)
    if parsed.problems:
        return tracker_io.validate(parsed, None)[0]  # type: ignore[arg-type]
    if dry_run:
        with read_session() as s:
            ctx = load_context(s, importable(actor), parsed, today)
            new = _new_agencies(ctx, parsed)
            if create_agencies:  # stand-in ids, so the rows naming them are checked as they will be
                ctx.agencies.update({n.casefold(): -i for i, n in enumerate(new, start=1)})
            report = tracker_io.validate(parsed, ctx)[0]
            report.new_agencies = new
            return report
    try:
        with transaction() as s:
            ctx = load_context(s, importable(actor), parsed, today)
            new = _new_agencies(ctx, parsed)
            if create_agencies and new:
                agency_service.create_named(s, actor, new, detail=f"tracker import {file_name}")
                ctx.agencies.update({n.casefold(): aid for n, aid in _all_agency_keys(s, new).items()})
            report, plan = tracker_io.validate(parsed, ctx)
            report.new_agencies = new
            if plan is None or (report.new == 0 and not plan.decisions):
                if create_agencies and new:
                    raise _Refused(report)
                return report
            report.agencies_created = len(new) if create_agencies else 0
            _write(s, actor, plan, ctx, report)
            sources_db.write(s, actor, plan, report)
            learning_db.write(s, actor, plan, report)
            report.imported = True
            return report
    except _Refused as refused:
        return refused.report


def _all_agency_keys(s: Session, wanted: list[str]) -> dict[str, int]:
    """Names the file spells differently from the agency (spacing): matched as the service does."""
    ids = {agency_rules.name_key(a.name): a.id for a in s.exec(select(Agency))}
    return {n: ids[agency_rules.name_key(n)] for n in wanted if agency_rules.name_key(n) in ids}


def _write(s: Session, actor: Actor, plan: Plan, ctx: Context, report: ImportReport) -> None:
    referral_ids = {ref: v["_id"] for ref, v in ctx.referrals.items()}
    rows = []
    for r in plan.referrals:
        values = {k: r[k] for k in REFERRAL_FIELDS if r.get(k) is not None}
        rows.append((r, Referral(reference=r["reference"], partnership_id=r["_pid"],
                                 referrer_agency_id=r["referrer_agency"], **values)))
    s.add_all([rec for _, rec in rows])
    s.flush()
    for r, rec in rows:
        referral_ids[rec.reference] = rec.id
        s.add_all([ReferralAgency(referral_id=rec.id, agency_id=a) for a in r["agencies_involved"]])
        audit.record(s, actor, "import", "referral", rec.id, rec.partnership_id, detail=report.file_name)
    s.add_all([Notification(referral_id=referral_ids[n["referral_reference"]], body=n["body"],
                            due_on=n["due_on"], sent_on=n["sent_on"], sent_reference=n.get("sent_reference"),
                            recorded_by_id=actor.user_id) for n in plan.notifications])
    decision_ids = {ref: v["_decision_id"] for ref, v in ctx.referrals.items() if v.get("_decision_id")}
    now = utcnow()
    decisions = []
    for d in plan.decisions:
        ref = d["referral_reference"]
        rid = referral_ids[ref]
        if ref in ctx.referrals:  # a draft awaiting signature is replaced, as a new decision would
            s.execute(update(Decision).where(Decision.referral_id == rid, Decision.status == "draft")
                      .values(status="withdrawn"))
        decisions.append((ref, Decision(
            referral_id=rid, version_no=d["version_no"], status="signed",
            review_type_id=d["review_type_id"], engine_regime=d["engine_regime"],
            engine_route=d["engine_route"], departs=d["departs"], rationale=tracker_io.IMPORTED_RATIONALE,
            departure_rationale=tracker_io.IMPORTED_DEPARTURE if d["departs"] else None,
            recorded_by_id=actor.user_id, decided_on=d["decided_on"], signed_by_id=actor.user_id,
            signed_at=now)))
    s.add_all([dec for _, dec in decisions])
    s.flush()
    decision_ids.update({ref: dec.id for ref, dec in decisions})
    # Rapid reviews (and every review not started by one) first, so each LCSPR points at an id.
    review_ids = {ref: v["_id"] for ref, v in ctx.reviews.items()}
    reviews = []
    for linked in (False, True):
        batch = [(rv, Review(
            reference=rv["review_reference"], partnership_id=rv["_pid"], review_type_id=rv["_type_id"],
            referral_id=referral_ids[rv["referral_reference"]], decision_id=decision_ids[rv["referral_reference"]],
            rapid_review_id=review_ids[rv["rapid_review_reference"]] if linked else None,
            **{k: rv[k] for k in REVIEW_FIELDS if rv.get(k) is not None}))
            for rv in plan.reviews if bool(rv.get("rapid_review_reference")) == linked]
        s.add_all([rec for _, rec in batch])
        s.flush()
        review_ids.update({rec.reference: rec.id for _, rec in batch})
        reviews += batch
    for rv, rec in reviews:
        s.add_all([ReviewMilestone(review_id=rec.id, **m) for m in rv["milestones"]])
    counts = {sheet: c["new"] for sheet, c in report.counts.items()}
    audit.record(s, actor, "import", "tracker",
                 after={"file": report.file_name, "new": counts,
                        "unchanged": {sheet: c["unchanged"] for sheet, c in report.counts.items()},
                        "decisions": len(plan.decisions)},
                 detail=f"{report.file_name}: " + ", ".join(f"{v} {k}" for k, v in counts.items())
                 + f", {len(plan.decisions)} decisions")


# -- export ----------------------------------------------------------------------------------

def export_scope(actor: Actor, partnership_ids: list[int] | None = None) -> list[int]:
    """Partnerships whose tracker the actor may export: those where they may read every case
    (the command line: all)."""
    with read_session() as s:
        every = sorted(s.exec(select(Partnership.id)).all())
    allowed = every if actor.is_system else [p for p in every if actor.can(EXPORT_PERMISSION, p)]
    if partnership_ids:
        allowed = [p for p in allowed if p in set(partnership_ids)]
    return allowed


def export_tracker(actor: Actor, partnership_ids: list[int] | None = None) -> bytes:
    """The tracker of the actor's partnerships (or some of them) in the import format; logged
    as a disclosure (docs/domain.md §8). Formula-looking text is neutralised.

    Refused, rather than an empty workbook, when none of the partnerships is readable: an
    empty export would look like a partnership with no cases.
    """
    pids = export_scope(actor, partnership_ids)
    if not pids:
        raise PermissionDenied(EXPORT_REFUSED)
    with read_session() as s:
        parts = {p.id: p.code for p in s.exec(select(Partnership).where(Partnership.id.in_(pids)))}
        agency_names = dict(s.exec(select(Agency.id, Agency.name)).all())
        types = review_types(s, pids)
        by_type_id = {info.id: info for per in types.values() for info in per.values()}
        referrals = list(s.exec(select(Referral).where(Referral.partnership_id.in_(pids))
                                .order_by(Referral.reference)))
        values = referral_values(s, referrals, parts)
        ref_of = {r.id: r.reference for r in referrals}
        notifications = list(s.exec(select(Notification).join(Referral, Referral.id == Notification.referral_id)
                                    .where(Referral.partnership_id.in_(pids))))
        reviews = list(s.exec(select(Review).where(Review.partnership_id.in_(pids)).order_by(Review.reference)))
        review_rows_by_ref = review_values(s, reviews, ref_of, by_type_id)
        review_ref = {rv.id: rv.reference for rv in reviews}
        milestones = list(s.exec(select(ReviewMilestone).join(Review, Review.id == ReviewMilestone.review_id)
                                 .where(Review.partnership_id.in_(pids))))
        source_rows, source_names = sources_db.export_rows(s, pids, agency_names)
        learning = {tracker_io.SOURCE_SHEET: source_rows,
                    **learning_db.export_rows(s, review_ref, agency_names, source_names)}
    referral_rows = []
    for ref in sorted(values):
        v = values[ref]
        referral_rows.append({k: x for k, x in v.items() if not k.startswith("_")}
                             | {"referrer_agency": agency_names[v["referrer_agency"]],
                                "agencies_involved": sorted(agency_names[a] for a in v["agencies_involved"])})
    order = {body: i for i, body in enumerate(screening.BODIES)}
    notification_rows = sorted(
        ({"referral_reference": ref_of[n.referral_id], "body": n.body, "due_on": n.due_on,
          "sent_on": n.sent_on, "sent_reference": n.sent_reference} for n in notifications),
        key=lambda n: (n["referral_reference"], order.get(n["body"], 99)))
    review_rows = [{k: x for k, x in review_rows_by_ref[ref].items() if not k.startswith("_")}
                   for ref in sorted(review_rows_by_ref)]
    milestone_rows = sorted(
        ({"review_reference": review_ref[m.review_id], "milestone_key": m.key, "planned_on": m.planned_on,
          "actual_on": m.actual_on, "_position": m.position} for m in milestones),
        key=lambda m: (m["review_reference"], m["_position"]))
    guide = tracker_io.guide_rows(sorted(agency_names.values()), sorted(parts.values()),
                                  {parts[pid]: [t.spec for t in per.values()] for pid, per in sorted(types.items())})
    data = tracker_io.write_workbook({"referrals": referral_rows, "notifications": notification_rows,
                                      "reviews": review_rows, "milestones": milestone_rows, **learning}, guide)
    counts = {"referrals": len(referral_rows), "notifications": len(notification_rows),
              "reviews": len(review_rows), "milestones": len(milestone_rows)} | {k: len(v) for k, v in learning.items()}
    with transaction() as s:
        audit.record(s, actor, "export", "tracker", after={"partnerships": sorted(parts.values()), **counts},
                     detail="xlsx tracker: " + ", ".join(f"{v} {k}" for k, v in counts.items())
                     + f" ({', '.join(sorted(parts.values()))})")
    return data
