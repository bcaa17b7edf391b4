"""The database as the tracker's checks and its export read it: review types, referrals and
reviews as clean tracker rows, and the `Context` the checks are given (docs/import-format.md).

Read only: `panel.tracker_io.service` calls these inside its own session or transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from panel import tracker_io
from panel.models import (
    Agency,
    Decision,
    Notification,
    Partnership,
    Referral,
    ReferralAgency,
    Review,
    ReviewMilestone,
    ReviewType,
)
from panel.reviews.types_service import spec_of
from panel.screening import rules as screening
from panel.screening.service import facts_of
from panel.tracker_io import Context, TypeInfo, learning_db, sources_db

CHUNK = 500
# Referral columns stored as they are (the rest are looked up: partnership, agencies, outcome).
REFERRAL_FIELDS = tuple(c.name for c in tracker_io.REFERRAL_COLUMNS if c.name in Referral.model_fields
                        and c.name not in ("reference",))
REVIEW_FIELDS = ("started_on", "notified_on", "lead_reviewer", "status", "lead_reviewer_email",
                 "publication_status", "publication_reason", "lcspr_decision",
                 "sent_to_national_panel_on", "national_panel_response", "national_panel_note", "closed_on")


def _chunks(values: Iterable, size: int = CHUNK) -> Iterator[list]:
    values = list(values)
    for i in range(0, len(values), size):
        yield values[i:i + size]


def review_types(s: Session, pids: Iterable[int] | None = None) -> dict[int, dict[str, TypeInfo]]:
    stmt = select(ReviewType).order_by(ReviewType.partnership_id, ReviewType.id)
    if pids is not None:
        stmt = stmt.where(ReviewType.partnership_id.in_(list(pids)))
    out: dict[int, dict[str, TypeInfo]] = {}
    for t in s.exec(stmt):
        out.setdefault(t.partnership_id, {})[t.key] = TypeInfo(t.id, spec_of(t))
    return out


def _facts(r: Referral) -> dict | None:
    facts = facts_of(r)
    try:
        screening.assess(facts)
    except ValueError:
        return None
    return facts


def referral_values(s: Session, referrals: list[Referral], codes: dict[int, str]) -> dict[str, dict]:
    """Each referral as a clean tracker row (agencies as ids), with its decision's outcome."""
    ids = [r.id for r in referrals]
    involved: dict[int, list[int]] = {}
    signed: dict[int, tuple[int, int, date]] = {}  # referral id -> decision id, type id, decided on
    versions: dict[int, int] = {}
    type_keys: dict[int, str] = {}
    for chunk in _chunks(ids):
        for rid, aid in s.exec(select(ReferralAgency.referral_id, ReferralAgency.agency_id)
                               .where(ReferralAgency.referral_id.in_(chunk))):
            involved.setdefault(rid, []).append(aid)
        for d in s.exec(select(Decision).where(Decision.referral_id.in_(chunk), Decision.status == "signed")
                        .order_by(Decision.version_no)):
            signed[d.referral_id] = (d.id, d.review_type_id, d.decided_on)
        versions.update(s.exec(select(Decision.referral_id, func.max(Decision.version_no))
                               .where(Decision.referral_id.in_(chunk)).group_by(Decision.referral_id)).all())
    if signed:
        wanted = {t for _, t, _ in signed.values()}
        for chunk in _chunks(wanted):
            type_keys.update(s.exec(select(ReviewType.id, ReviewType.key).where(ReviewType.id.in_(chunk))).all())
    out = {}
    for r in referrals:
        decision = signed.get(r.id)
        out[r.reference] = {
            "reference": r.reference, "partnership_code": codes[r.partnership_id],
            "referrer_agency": r.referrer_agency_id,
            "agencies_involved": tuple(sorted(involved.get(r.id, ()))),
            **{k: getattr(r, k) for k in REFERRAL_FIELDS},
            "outcome": type_keys.get(decision[1]) if decision else None,
            "decided_on": decision[2] if decision else None,
            "_id": r.id, "_pid": r.partnership_id, "_facts": _facts(r),
            "_outcome": type_keys.get(decision[1]) if decision else None,
            "_decided_on": decision[2] if decision else None,
            "_decision_id": decision[0] if decision else None,
            "_max_version": versions.get(r.id, 0),
        }
    return out


def review_values(s: Session, reviews: list[Review], referral_refs: dict[int, str],
                   types: dict[int, TypeInfo]) -> dict[str, dict]:
    """Each review as a clean tracker row, with the rapid review an LCSPR names and, for a rapid
    review, the LCSPR it started ("_lcspr"; docs/domain.md §6.3), by reference."""
    refs = {rv.id: rv.reference for rv in reviews}
    lcspr: dict[int, str] = {}
    for chunk in _chunks(refs):
        for ref, rid in s.exec(select(Review.reference, Review.rapid_review_id).where(Review.rapid_review_id.in_(chunk))):
            lcspr.setdefault(rid, ref)
    for chunk in _chunks({rv.rapid_review_id for rv in reviews if rv.rapid_review_id} - set(refs)):
        refs.update(s.exec(select(Review.id, Review.reference).where(Review.id.in_(chunk))).all())
    return {rv.reference: {
        "review_reference": rv.reference, "referral_reference": referral_refs[rv.referral_id],
        "review_type_key": types[rv.review_type_id].spec.key,
        **{k: getattr(rv, k) for k in REVIEW_FIELDS}, "rapid_review_reference": refs.get(rv.rapid_review_id),
        "_id": rv.id, "_pid": rv.partnership_id, "_type": types[rv.review_type_id], "_lcspr": lcspr.get(rv.id),
    } for rv in reviews}


def load_context(s: Session, allowed: frozenset[int] | None, parsed: tracker_io.Parsed, today: date) -> Context:
    """What the checks need to know about the database for this file; `allowed`: the partnerships
    the file may write to (None: every one, the command line)."""
    parts = dict(s.exec(select(Partnership.code, Partnership.id)).all())
    codes = {pid: code for code, pid in parts.items()}
    types = review_types(s)
    by_type_id = {info.id: info for per in types.values() for info in per.values()}
    ctx = Context(
        today=today, partnerships=parts, importable=allowed,
        agencies={name.casefold(): aid for aid, name in s.exec(select(Agency.id, Agency.name))},
        review_types=types,
    )
    referral_refs, review_refs = tracker_io.references(parsed)
    referrals: list[Referral] = []
    for chunk in _chunks(referral_refs):
        referrals += s.exec(select(Referral).where(Referral.reference.in_(chunk))).all()
    reviews: list[Review] = []
    for chunk in _chunks(review_refs):
        reviews += s.exec(select(Review).where(Review.reference.in_(chunk))).all()
    known = {r.id for r in referrals}
    missing = {rv.referral_id for rv in reviews} - known
    for chunk in _chunks(missing):
        referrals += s.exec(select(Referral).where(Referral.id.in_(chunk))).all()
    ctx.referrals = referral_values(s, referrals, codes)
    ref_of = {r.id: r.reference for r in referrals}
    for chunk in _chunks(ref_of):
        for n in s.exec(select(Notification).where(Notification.referral_id.in_(chunk))):
            ctx.notifications[(ref_of[n.referral_id], n.body)] = {
                "due_on": n.due_on, "sent_on": n.sent_on, "sent_reference": n.sent_reference}
    ctx.reviews = review_values(s, reviews, ref_of, by_type_id)
    review_ref = {rv.id: rv.reference for rv in reviews}
    for chunk in _chunks(review_ref):
        for m in s.exec(select(ReviewMilestone).where(ReviewMilestone.review_id.in_(chunk))):
            ctx.milestones[(review_ref[m.review_id], m.key)] = {"planned_on": m.planned_on,
                                                                "actual_on": m.actual_on}
    learning_db.load(s, ctx, sources_db.load(s, ctx, parsed))
    return ctx
