"""Referrals: submit, list the queue, open one, triage, link. Every call checks the actor."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import pandas as pd
from sqlalchemy import func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from panel.agencies import service as agency_service
from panel.core import audit, exports
from panel.core.access import Actor
from panel.core.db import escape_like, read_session, transaction, utcnow
from panel.core.errors import AlreadySaved, PermissionDenied, StaleEdit, ValidationFailed
from panel.models import (
    Agency,
    AuditEvent,
    Decision,
    Notification,
    Partnership,
    Referral,
    ReferralAgency,
    ReferralLink,
    Review,
    ReviewType,
)
from panel.referrals.rules import (
    LINK_KINDS,
    OPEN_STATUSES,
    STATUSES,
    TRIAGE_ACTIONS,
    TRIAGE_FROM,
    age_band,
    format_reference,
    parse_reference,
    possible_duplicate,
    validate_referral,
)
from panel.screening.rules import running_clock

NOT_FOUND = "No referral with that reference is open to you."
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
# Fields a panel member may see; the referrer of a case sees only its progress.
DETAIL_FIELDS = (
    "reference", "status", "status_note", "received_on", "aware_on", "referrer_name",
    "identified_by", "referrer_view", "child_initials", "child_dob", "child_age_years",
    "child_sex", "child_ethnicity", "looked_after", "child_protection_plan", "known_to_csc",
    "care_leaver", "incident_date", "incident_summary", "harm", "abuse_or_neglect", "location",
    "interagency_concerns", "custody_death", "media_interest", "practice_concerns",
)


@dataclass
class QueueFilter:
    partnership_ids: list[int] | None = None
    statuses: tuple[str, ...] = OPEN_STATUSES
    harm: tuple[str, ...] = ()
    agency_id: int | None = None
    received_from: date | None = None
    received_to: date | None = None
    reference: str = ""
    limit: int = 200
    offset: int = 0


@dataclass
class ReferralDetail:
    referral: Referral
    partnership_name: str
    partnership_code: str
    referrer_agency: str
    agencies_involved: list[str]
    links: list[dict]
    duplicates: list[dict]
    history: list[AuditEvent]
    can_triage: bool
    can_screen: bool
    full_view: bool  # False for a referrer looking at their own referral
    clocks: list = field(default_factory=list)  # screening.rules.NotificationClock, per body
    outcome: str | None = None  # the signed decision's outcome
    decided_on: date | None = None
    reviews: list[tuple[str, str]] = field(default_factory=list)  # (reference, status) it created
    history_names: dict[str, str] = field(default_factory=dict)  # username -> name, for the history


@dataclass
class SubmitResult:
    referral_id: int
    reference: str
    duplicates: list[dict] = field(default_factory=list)


def queue(actor: Actor, f: QueueFilter, today: date) -> tuple[pd.DataFrame, int]:
    """One page of the queue, ordered by the statutory clock, and the total count.

    The notification due date rises with aware-on, so SQL orders by aware_on and pages
    without computing the clock for rows that are not shown; within the page, referrals whose
    clock runs (docs/domain.md §4.5) come first.
    """
    pids = actor.partnerships_with("referral.read", f.partnership_ids)
    if not pids:
        return _queue_frame([], {}, today), 0
    conds = [Referral.partnership_id.in_(pids)]
    if f.statuses:
        conds.append(Referral.status.in_(f.statuses))
    if f.harm:
        conds.append(Referral.harm.in_(f.harm))
    if f.received_from:
        conds.append(Referral.received_on >= f.received_from)
    if f.received_to:
        conds.append(Referral.received_on <= f.received_to)
    if f.reference.strip():
        conds.append(Referral.reference.ilike(f"%{escape_like(f.reference.strip().upper())}%", escape="\\"))
    if f.agency_id:
        involved = select(ReferralAgency.referral_id).where(ReferralAgency.agency_id == f.agency_id)
        conds.append(or_(Referral.referrer_agency_id == f.agency_id, Referral.id.in_(involved)))
    notified = (select(func.min(Notification.sent_on)).where(Notification.referral_id == Referral.id)
                .correlate(Referral).scalar_subquery())
    with read_session() as s:
        total = s.exec(select(func.count()).select_from(Referral).where(*conds)).one()
        stmt = (
            select(Referral, Partnership.code, Agency.name, notified.label("notified_on"))
            .join(Partnership, Partnership.id == Referral.partnership_id)
            .join(Agency, Agency.id == Referral.referrer_agency_id)
            .where(*conds)
            # Referrals still to be notified first, by their clock; notified ones after.
            .order_by(notified.is_not(None), Referral.aware_on, Referral.id)
            .offset(f.offset)
            .limit(f.limit)
        )
        rows = s.exec(stmt).all()
        clocks = _clocks(s, [r for r, *_ in rows], today)
    # Whether a clock runs is the criteria's answer, not a column: within the page, referrals
    # whose clock runs come first, by it; the rest keep the SQL order.
    order = {row[0].id: n for n, row in enumerate(rows)}
    def place(row) -> tuple:
        clock = running_clock(clocks[row[0].id])
        return (0, clock.due, order[row[0].id]) if clock else (1, order[row[0].id])

    rows = sorted(rows, key=place)
    return _queue_frame(rows, clocks, today), int(total)


def _clocks(s: Session, rows: list[Referral], today: date) -> dict:
    # Screening's service loads referrals through this module: imported here, not at the top.
    from panel.screening.service import clocks_of

    return clocks_of(s, rows, today)


QUEUE_COLUMNS = [
    "reference", "partnership", "status", "received_on", "aware_on", "notification_due",
    "working_days_left", "rag", "notified_on", "harm", "abuse_or_neglect", "child", "referring_agency",
]


def _queue_frame(rows, clocks: dict, today: date) -> pd.DataFrame:
    records = []
    for r, code, agency, notified_on in rows:
        mine = clocks.get(r.id, [])
        clock = running_clock(mine)
        records.append({
            "reference": r.reference,
            "partnership": code,
            "status": STATUSES.get(r.status, r.status),
            "received_on": r.received_on,
            "aware_on": r.aware_on,
            # Only a clock that runs has a due date and days left (docs/domain.md §4.5).
            "notification_due": clock.due if clock else None,
            "working_days_left": clock.days_left if clock else None,
            "rag": clock.rag if clock else ("done" if any(c.state == "notified" for c in mine) else "none"),
            "notified_on": notified_on,
            "harm": r.harm,
            "abuse_or_neglect": r.abuse_or_neglect,
            "child": f"{r.child_initials} ({age_band(r.child_age_years, r.child_dob, today)})",
            "referring_agency": agency,
        })
    return pd.DataFrame.from_records(records, columns=QUEUE_COLUMNS)


def export_queue(actor: Actor, f: QueueFilter, today: date, fmt: str) -> bytes:
    """The current view as CSV or Excel; logged as a disclosure."""
    if not any(actor.can("referral.export", p) for p in actor.partnerships_with("referral.read", f.partnership_ids)):
        raise PermissionDenied("You do not have permission to export referrals.")
    f = QueueFilter(**{**f.__dict__, "limit": 100_000, "offset": 0})
    df, total = queue(actor, f, today)
    data = exports.to_xlsx(df, "Referral queue") if fmt == "xlsx" else exports.to_csv(df)
    with transaction() as s:
        audit.record(s, actor, "export", "referral", detail=f"{fmt}: {total} referrals")
    return data


def my_referrals(actor: Actor, today: date) -> pd.DataFrame:
    """A referrer's own referrals: reference, dates, the child's initials, status, the panel's
    outcome once signed, and the panel's note (a question, or why it closed) in full."""
    with read_session() as s:
        rows = s.exec(
            select(Referral.reference, Referral.received_on, Referral.child_initials, Referral.status,
                   Referral.status_note, Partnership.name, ReviewType.name)
            .join(Partnership, Partnership.id == Referral.partnership_id)
            .outerjoin(Decision, (Decision.referral_id == Referral.id) & (Decision.status == "signed"))
            .outerjoin(ReviewType, ReviewType.id == Decision.review_type_id)
            .where(Referral.submitted_by_id == actor.user_id)
            .order_by(Referral.received_on.desc(), Referral.id.desc())
            .limit(500)
        ).all()
    return pd.DataFrame(
        [{"reference": ref, "partnership": p, "received_on": rec, "child": initials,
          "status": STATUSES.get(st_, st_), "outcome": outcome or "", "note from the panel": note or ""}
         for ref, rec, initials, st_, note, p, outcome in rows],
        columns=["reference", "partnership", "received_on", "child", "status", "outcome", "note from the panel"],
    )


def load_referral(s: Session, actor: Actor, reference: str) -> Referral:
    """The referral if the actor may read it; NotFound otherwise (the attempt is audited).
    Screening, decisions and reviews load a referral through this, so the wall between
    partnerships (and a referrer's view of only their own) is in one place."""
    try:
        parse_reference(reference)
        ref = reference.strip().upper()
    except ValueError:
        ref = None
    r = s.exec(select(Referral).where(Referral.reference == ref)).first() if ref else None
    if r is not None and (
        actor.can("referral.read", r.partnership_id)
        or (actor.can("referral.read_own", r.partnership_id) and r.submitted_by_id == actor.user_id)
    ):
        return r
    raise audit.not_found(actor, "referral", reference, NOT_FOUND)


def get_referral(actor: Actor, reference: str, today: date, record_view: bool = True) -> ReferralDetail:
    """Open one referral. Each first view in a browser session is audited (docs/domain.md §8)."""
    with read_session() as s:
        r = load_referral(s, actor, reference)
        full = actor.can("referral.read", r.partnership_id)
        p = s.get(Partnership, r.partnership_id)
        agency = s.get(Agency, r.referrer_agency_id)
        involved = s.exec(
            select(Agency.name).join(ReferralAgency, ReferralAgency.agency_id == Agency.id)
            .where(ReferralAgency.referral_id == r.id).order_by(Agency.name)
        ).all()
        links = _links(s, r.id) if full else []
        dupes = _duplicates(s, r.partnership_id, _as_dict(r), exclude=r.id) if full else []
        linked = {link_row["reference"] for link_row in links}
        dupes = [d for d in dupes if d["reference"] not in linked]
        hist = audit.history(s, "referral", r.id) if full else []
        names = audit.names_of(s, {e.username for e in hist})
        clocks = _clocks(s, [r], today)[r.id] if full else []
        signed = s.exec(select(Decision.decided_on, ReviewType.name)
                        .join(ReviewType, ReviewType.id == Decision.review_type_id)
                        .where(Decision.referral_id == r.id, Decision.status == "signed")).first() if full else None
        made = s.exec(select(Review.reference, Review.status).where(Review.referral_id == r.id)
                      .order_by(Review.id)).all() if full else []
    if record_view:
        with transaction() as s:
            audit.record(s, actor, "view", "referral", r.id, r.partnership_id)
    return ReferralDetail(
        referral=r, partnership_name=p.name, partnership_code=p.code,
        referrer_agency=agency.name, agencies_involved=list(involved), links=links,
        duplicates=dupes, history=hist, history_names=names,
        can_triage=actor.can("referral.triage", r.partnership_id) and r.status in TRIAGE_FROM,
        can_screen=actor.can("screening.edit", r.partnership_id) and r.status == "accepted",
        full_view=full, clocks=clocks, outcome=signed[1] if signed else None,
        decided_on=signed[0] if signed else None, reviews=[tuple(x) for x in made],
    )


def _as_dict(r: Referral) -> dict:
    return {k: getattr(r, k) for k in ("child_initials", "child_dob", "child_age_years", "incident_date")}


def _links(s: Session, referral_id: int) -> list[dict]:
    rows = s.exec(
        select(ReferralLink, Referral.reference, Referral.status)
        .join(Referral, or_(
            (ReferralLink.linked_id == Referral.id) & (ReferralLink.referral_id == referral_id),
            (ReferralLink.referral_id == Referral.id) & (ReferralLink.linked_id == referral_id),
        ))
        .where(or_(ReferralLink.referral_id == referral_id, ReferralLink.linked_id == referral_id))
    ).all()
    return [{"reference": ref, "kind": LINK_KINDS[link.kind], "status": STATUSES.get(st_, st_)}
            for link, ref, st_ in rows]


def _duplicates(s: Session, partnership_id: int, clean: dict, exclude: int | None = None) -> list[dict]:
    if not clean.get("child_initials") or not clean.get("incident_date"):
        return []
    window = timedelta(days=30)
    stmt = select(Referral).where(
        Referral.partnership_id == partnership_id,
        Referral.child_initials == clean["child_initials"],
        Referral.incident_date >= clean["incident_date"] - window,
        Referral.incident_date <= clean["incident_date"] + window,
    ).limit(50)
    out = []
    for r in s.exec(stmt):
        if r.id != exclude and possible_duplicate(clean, _as_dict(r)):
            out.append({"id": r.id, "reference": r.reference, "incident_date": r.incident_date,
                        "status": STATUSES.get(r.status, r.status), "harm": r.harm})
    return out


def _validate(actor: Actor, partnership_id: int, data: dict, today: date) -> dict:
    if not actor.can("referral.submit", partnership_id):
        raise ValidationFailed({"partnership_id": "Choose one of your partnerships."})
    with read_session() as s:
        agency_ids = agency_service.active_ids(s)  # a retired agency is no longer offered
    clean, errors = validate_referral(data, today, agency_ids)
    if errors:
        raise ValidationFailed(errors)
    return clean


def possible_duplicates(actor: Actor, partnership_id: int, data: dict, today: date,
                        submission_token: str | None = None) -> list[dict]:
    """Shown before saving, to panel users only: a referrer is not told of other referrals.
    A form already saved raises AlreadySaved (as `submit` does) rather than offering its own
    referral as a possible duplicate."""
    if submission_token is not None:
        with read_session() as s:
            _check_token(s, actor, submission_token)
    clean = _validate(actor, partnership_id, data, today)
    if not actor.can("referral.read", partnership_id):
        return []
    with read_session() as s:
        return _duplicates(s, partnership_id, clean)


TOKEN_EXPIRED = "This form has expired: reload the page and enter the referral again."


def _check_token(s: Session, actor: Actor, token: str | None) -> None:
    """Refuse a form already saved (AlreadySaved names the referral). Another user's token is
    "expired": its referral is not disclosed."""
    if token is None:
        return
    done = s.exec(select(Referral.reference, Referral.submitted_by_id)
                  .where(Referral.submission_token == token)).first()
    if done is not None:
        if done[1] != actor.user_id:
            raise ValidationFailed({"submission_token": TOKEN_EXPIRED})
        raise AlreadySaved(done[0])


def submit(actor: Actor, partnership_id: int, data: dict, today: date,
           link_to: list[tuple[int, str]] = (), submission_token: str | None = None) -> SubmitResult:
    """Validate everything first, then write the referral, its agencies, links and audit row
    in one transaction.

    `submission_token` is the form's one-time token: a second call with it makes no second
    referral but raises AlreadySaved with the first one's reference, even when both calls run at
    once (the unique index decides; the loser retries and finds the winner's referral). It is
    checked before the answers, so a resend of an already-cleared form still gets that answer.
    """
    if submission_token is not None and not (
            isinstance(submission_token, str) and TOKEN_PATTERN.fullmatch(submission_token)):
        raise ValidationFailed({"submission_token": TOKEN_EXPIRED})
    with read_session() as s:
        _check_token(s, actor, submission_token)
    clean = _validate(actor, partnership_id, data, today)
    for _, kind in link_to:
        if kind not in LINK_KINDS:
            raise ValidationFailed({"link": "Choose how the referrals are linked."})
    if link_to and not actor.can("referral.link", partnership_id):
        raise PermissionDenied("You do not have permission to link referrals.")
    involved = clean.pop("agencies_involved")
    for attempt in range(5):
        try:
            with transaction() as s:
                _check_token(s, actor, submission_token)
                p = s.get(Partnership, partnership_id)
                year = clean["received_on"].year
                prefix = f"{p.code}-{year}-"
                # Longest first, then highest: past 999 a plain max() of the text would pick
                # "-999" over "-1000" and hand out a reference that is already taken.
                last = s.exec(
                    select(Referral.reference).where(Referral.reference.startswith(prefix))
                    .order_by(func.length(Referral.reference).desc(), Referral.reference.desc()).limit(1)
                ).first()
                seq = int(last.rsplit("-", 1)[1]) + 1 if last else 1
                r = Referral(partnership_id=partnership_id, reference=format_reference(p.code, year, seq),
                             submitted_by_id=actor.user_id, submission_token=submission_token, **clean)
                s.add(r)
                s.flush()
                for agency_id in involved:
                    s.add(ReferralAgency(referral_id=r.id, agency_id=agency_id))
                for other_id, kind in link_to:
                    other = s.get(Referral, other_id)
                    if other is None or other.partnership_id != partnership_id:
                        raise ValidationFailed({"link": "Linked referrals must be in the same partnership."})
                    s.add(ReferralLink(referral_id=r.id, linked_id=other_id, kind=kind))
                audit.record(s, actor, "create", "referral", r.id, partnership_id,
                             after={**clean, "reference": r.reference, "agencies_involved": involved,
                                    "links": list(link_to)})
                return SubmitResult(referral_id=r.id, reference=r.reference)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


def triage(actor: Actor, reference: str, action: str, note: str, expected_version: int) -> str:
    """Accept for screening, ask for more information, or close. Returns the new status."""
    note = (note or "").strip()
    if action not in TRIAGE_ACTIONS:
        raise ValidationFailed({"action": "Choose what to do with the referral."})
    if action == "request_information" and not note:
        raise ValidationFailed({"note": "Say what information the panel needs."})
    if action == "close" and not note:
        raise ValidationFailed({"note": "Give the reason the referral is not for the panel."})
    if len(note) > 2000:
        raise ValidationFailed({"note": "Keep the note to 2,000 characters or fewer."})
    with transaction() as s:
        r = load_referral(s, actor, reference)
        actor.require("referral.triage", r.partnership_id)
        if r.status not in TRIAGE_FROM:
            raise ValidationFailed({"action": f"A referral that is {STATUSES[r.status].lower()} cannot be triaged."})
        new_status = TRIAGE_ACTIONS[action]
        before = {"status": r.status, "status_note": r.status_note}
        result = s.execute(
            update(Referral)
            .where(Referral.id == r.id, Referral.version == expected_version)
            .values(status=new_status, status_note=note or None, version=Referral.version + 1,
                    updated_at=utcnow())
        )
        if result.rowcount != 1:
            raise StaleEdit("referral")
        audit.record(s, actor, "triage", "referral", r.id, r.partnership_id, before=before,
                     after={"status": new_status, "status_note": note or None}, detail=action)
        return new_status


def link(actor: Actor, reference: str, other_reference: str, kind: str) -> None:
    if kind not in LINK_KINDS:
        raise ValidationFailed({"kind": "Choose how the referrals are linked."})
    with transaction() as s:
        r = load_referral(s, actor, reference)
        actor.require("referral.link", r.partnership_id)
        other = load_referral(s, actor, other_reference)
        if other.partnership_id != r.partnership_id or other.id == r.id:
            raise ValidationFailed({"other": "Link to a different referral of the same partnership."})
        exists = s.exec(select(ReferralLink).where(or_(
            (ReferralLink.referral_id == r.id) & (ReferralLink.linked_id == other.id),
            (ReferralLink.referral_id == other.id) & (ReferralLink.linked_id == r.id),
        ))).first()
        if exists:
            raise ValidationFailed({"other": "Those referrals are already linked."})
        s.add(ReferralLink(referral_id=r.id, linked_id=other.id, kind=kind))
        audit.record(s, actor, "link", "referral", r.id, r.partnership_id,
                     after={"linked": other.reference, "kind": kind})


def detail_record(d: ReferralDetail) -> dict:
    """The referral's fields as shown on its page (referrers see progress only)."""
    r = d.referral
    if not d.full_view:
        return {k: getattr(r, k) for k in ("reference", "status", "status_note", "received_on")}
    return {k: getattr(r, k) for k in DETAIL_FIELDS}
