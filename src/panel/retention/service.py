"""Retention: what is due for review, anonymisation or deletion, and carrying it out
(docs/retention.md).

`due()` only reads. `apply()` acts on the `delete` and `anonymise` items, one transaction per
record (dependent rows first: foreign keys are on), each with an audit row naming the record by
reference and the rule, never the personal data removed. `review` items are listed for a person
to decide and never changed here. Administrators only (or the command line, SYSTEM); records
without a partnership (user accounts, the reminder log, installation-wide audit rows) need an
administrator of every partnership. What anonymising a case changes is in
panel.retention.anonymise.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta

import bcrypt
from sqlalchemy import delete, exists, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from panel.core import audit, clock
from panel.core.access import Actor
from panel.core.config import get_settings
from panel.core.db import read_session, transaction, utcnow
from panel.core.errors import PermissionDenied
from panel.documents import removal as documents_removal
from panel.models import (
    Action,
    ActionNote,
    AgendaItem,
    AuditEvent,
    Decision,
    Finding,
    ItemConflict,
    Meeting,
    MeetingMember,
    Membership,
    Notification,
    Partnership,
    Referral,
    ReferralAgency,
    ReferralLink,
    ReminderLog,
    Review,
    ReviewMilestone,
    User,
)
from panel.retention import rules
from panel.retention.anonymise import anonymise_case
from panel.reviews.types import PUBLICATION_KEY


@dataclass(frozen=True)
class DueItem:
    record_type: str
    entity: str
    entity_id: int | None
    reference: str  # never personal data: it goes into the audit row
    partnership: str  # code, or "" for installation-wide records
    partnership_id: int | None
    trigger_on: date
    due_on: date
    action: str
    rule: str
    note: str = ""

    def as_dict(self) -> dict:
        d = asdict(self)
        d["trigger_on"], d["due_on"] = self.trigger_on.isoformat(), self.due_on.isoformat()
        return d


@dataclass
class ApplyResult:
    done: list[tuple[DueItem, dict]] = field(default_factory=list)
    flagged: list[DueItem] = field(default_factory=list)  # `review`: left for a person
    failed: list[tuple[DueItem, str]] = field(default_factory=list)


def policies() -> dict[str, rules.Policy]:
    """The defaults overridden by PANEL_RETENTION_POLICY (RetentionConfigError if refused)."""
    return rules.load_policies(get_settings().retention_policy)


def _scope(s: Session, actor: Actor, permission: str) -> tuple[dict[int, str], bool]:
    """Partnerships (id -> code) the actor may act on, and whether installation-wide records too."""
    codes = dict(s.exec(select(Partnership.id, Partnership.code)).all())
    pids = set(codes) if actor.is_system else set(actor.partnerships_with(permission))
    if not actor.is_system and not pids:
        raise PermissionDenied("You do not have permission to do that.")
    return {p: codes[p] for p in pids}, actor.is_system or pids == set(codes)


def _day(value: datetime | date) -> date:
    return value.date() if isinstance(value, datetime) else value


def _born(r: Referral) -> date | None:
    return rules.latest_birth(r.child_dob, r.child_age_years, r.received_on)


def _item(policy, record_type, entity, entity_id, reference, codes, pid, trigger_on, born=None):
    d = rules.due(policy, trigger_on, born)
    return DueItem(record_type, entity, entity_id, reference, codes.get(pid, ""), pid, trigger_on,
                   d.due_on, d.action, policy.describe(), d.note)


def _review_closures(s: Session, pids) -> dict[int, tuple[int, date | None, bool]]:
    """review id -> (referral id, closed on or None while open, published)."""
    stats = {rid: (n, done, last) for rid, n, done, last in s.exec(
        select(ReviewMilestone.review_id, func.count(), func.count(ReviewMilestone.actual_on),
               func.max(ReviewMilestone.actual_on)).group_by(ReviewMilestone.review_id)).all()}
    published = set(s.exec(select(ReviewMilestone.review_id).where(
        ReviewMilestone.key == PUBLICATION_KEY, ReviewMilestone.actual_on.is_not(None))).all())
    out = {}
    for rv in s.exec(select(Review).where(Review.partnership_id.in_(pids))):
        n, done, last = stats.get(rv.id, (0, 0, None))
        closed = rv.status in ("closed", "superseded") or (n > 0 and done == n)
        # A review closed under docs/domain.md §6.3 has its day; an older one, its last milestone.
        out[rv.id] = (rv.referral_id, (rv.closed_on or last or rv.started_on) if closed else None, rv.id in published)
    return out


def _case_items(s, pol, codes) -> list[DueItem]:
    pids = list(codes)
    items = []
    live = select(Referral).where(Referral.partnership_id.in_(pids), Referral.child_initials != "")
    p = pol["referral_not_taken_forward"]
    for r in s.exec(live.where(Referral.status == "closed",
                               ~exists().where(Decision.referral_id == Referral.id))):
        items.append(_item(p, "referral_not_taken_forward", "referral", r.id, r.reference, codes,
                           r.partnership_id, _day(r.updated_at), _born(r)))
    closures = _review_closures(s, pids)
    by_referral: dict[int, list[tuple[date | None, bool]]] = defaultdict(list)
    for referral_id, closed_on, published in closures.values():
        by_referral[referral_id].append((closed_on, published))
    p = pol["decision"]
    signed = dict(s.exec(select(Decision.referral_id, func.max(Decision.decided_on))
                         .where(Decision.status == "signed").group_by(Decision.referral_id)).all())
    for r in s.exec(live.where(Referral.status == "decided")):
        if r.id not in by_referral and r.id in signed:
            items.append(_item(p, "decision", "referral", r.id, r.reference, codes, r.partnership_id,
                               signed[r.id], _born(r)))
    p = pol["referral_with_review"]
    ids = [rid for rid, rows in by_referral.items() if all(c is not None for c, _ in rows)]
    for r in s.exec(live.where(Referral.id.in_(ids))):
        items.append(_item(p, "referral_with_review", "referral", r.id, r.reference, codes,
                           r.partnership_id, max(c for c, _ in by_referral[r.id]), _born(r)))
    p = pol["review"]
    unpublished = {rv: c for rv, (_, c, pub) in closures.items() if c is not None and not pub}
    for rv, r in s.exec(select(Review, Referral).join(Referral, Referral.id == Review.referral_id)
                        .where(Review.id.in_(list(unpublished)))):
        born = _born(r) if r.child_initials else None
        items.append(_item(p, "review", "review", rv.id, rv.reference, codes, rv.partnership_id,
                           unpublished[rv.id], born))
    return items


def _other_items(s, pol, codes, wide: bool, as_of: date) -> list[DueItem]:
    items = []
    p = pol["meeting"]
    for m in s.exec(select(Meeting).where(Meeting.partnership_id.in_(list(codes)), Meeting.status == "closed")):
        items.append(_item(p, "meeting", "meeting", m.id, f"meeting {m.held_on.isoformat()} #{m.id}",
                           codes, m.partnership_id, m.held_on))
    p = pol["learning"]
    if p.action != "keep":  # by default learning is kept; if configured, one item per year
        years: dict[tuple[int, int], int] = defaultdict(int)
        for pid, recorded_on in s.exec(select(Finding.partnership_id, Finding.recorded_on)
                                       .where(Finding.partnership_id.in_(list(codes)))):
            years[(pid, recorded_on.year)] += 1
        for (pid, year), n in sorted(years.items()):
            items.append(_item(p, "learning", "finding", None, f"{n} findings of {year}", codes, pid,
                               date(year, 12, 31)))
    if wide:
        p = pol["reminder_log"]
        for log in s.exec(select(ReminderLog)):
            items.append(_item(p, "reminder_log", "reminderlog", log.id, f"digest #{log.id}", codes, None,
                               _day(log.sent_at)))
        p = pol["user_disabled"]
        active = dict(s.exec(select(AuditEvent.user_id, func.max(AuditEvent.at))
                             .where(AuditEvent.user_id.is_not(None)).group_by(AuditEvent.user_id)).all())
        for u in s.exec(select(User).where(User.is_active == False)):  # noqa: E712
            if u.username == f"former-{u.id}":
                continue
            seen = [u.created_at, active.get(u.id), getattr(u, "last_seen_at", None)]
            last = max(_day(x) for x in seen if x is not None)
            items.append(_item(p, "user_disabled", "user", u.id, f"user #{u.id}", codes, None, last))
    p = pol["audit_log"]
    if p.action != "keep":
        end = _audit_end(p, as_of)
        scope = [AuditEvent.partnership_id.in_(list(codes))]
        if wide:
            scope.append(AuditEvent.partnership_id.is_(None))
        for pid, n, newest in s.exec(select(AuditEvent.partnership_id, func.count(), func.max(AuditEvent.at))
                                     .where(AuditEvent.at < end, or_(*scope))
                                     .group_by(AuditEvent.partnership_id)):
            items.append(_item(p, "audit_log", "auditevent", None, f"{n} audit rows", codes, pid, _day(newest)))
    return items


def _audit_end(policy: rules.Policy, as_of: date) -> datetime:
    """Audit rows written before this instant are due: those of the day `period` before as_of."""
    cutoff = policy.period.before(as_of)
    return datetime(cutoff.year, cutoff.month, cutoff.day, tzinfo=UTC) + timedelta(days=1)


def due(actor: Actor, as_of: date, record_types: list[str] | None = None) -> list[DueItem]:
    """Every record due for review, anonymisation or deletion on `as_of`; reads only."""
    pol = policies()
    with read_session() as s:
        codes, wide = _scope(s, actor, "retention.view")
        items = _case_items(s, pol, codes) + _other_items(s, pol, codes, wide, as_of)
    items = [i for i in items if rules.is_due(rules.Due(i.due_on, i.action), as_of)
             and (not record_types or i.record_type in record_types)]
    return sorted(items, key=lambda i: (i.due_on, i.record_type, i.partnership, i.reference))


# ---- carrying it out: each returns counts of rows changed, for the audit row -------------------

_FILES = "_files"  # an op's hashes of document files to remove once its transaction commits


def _delete_referral(s: Session, rid: int) -> dict:
    r = s.get(Referral, rid)
    if r is None or r.status != "closed" or s.exec(select(Decision.id).where(Decision.referral_id == rid)).first():
        raise LookupError("no longer a referral not taken forward")
    counts = {
        "agencies": s.execute(delete(ReferralAgency).where(ReferralAgency.referral_id == rid)).rowcount,
        "links": s.execute(delete(ReferralLink).where(or_(ReferralLink.referral_id == rid,
                                                         ReferralLink.linked_id == rid))).rowcount,
        "notifications": s.execute(delete(Notification).where(Notification.referral_id == rid)).rowcount,
    }
    counts["documents"], counts[_FILES] = documents_removal.delete_rows(s, referral_id=rid)
    s.delete(r)
    counts["referrals"] = 1
    return counts


def _delete_meeting(s: Session, mid: int) -> dict:
    """The meeting's own rows go; the actions agreed at it are learning (kept under its rule,
    docs/retention.md): each loses its link to the deleted agenda item and gains a note saying
    where it was agreed."""
    m = s.get(Meeting, mid)
    if m is None:
        raise LookupError("gone")
    items = list(s.exec(select(AgendaItem.id).where(AgendaItem.meeting_id == mid)))
    members = list(s.exec(select(MeetingMember.id).where(MeetingMember.meeting_id == mid)))
    kept = list(s.exec(select(Action.id).where(Action.meeting_item_id.in_(items))))
    s.add_all(ActionNote(action_id=a, text=f"Agreed at the meeting of {clock.day(m.held_on)}, whose record was "
                                           "deleted under the retention policy.") for a in kept)
    counts = {
        "carried_links_cleared": s.execute(update(AgendaItem).where(AgendaItem.carried_from_id.in_(items),
                                                                AgendaItem.meeting_id != mid)
                                        .values(carried_from_id=None)).rowcount,
        "actions_kept": s.execute(update(Action).where(Action.id.in_(kept))
                                  .values(meeting_item_id=None, version=Action.version + 1)).rowcount,
        "conflicts": s.execute(delete(ItemConflict).where(or_(ItemConflict.item_id.in_(items),
                                                           ItemConflict.member_id.in_(members)))).rowcount,
    }
    s.execute(update(AgendaItem).where(AgendaItem.meeting_id == mid).values(carried_from_id=None))
    counts["agenda_items"] = s.execute(delete(AgendaItem).where(AgendaItem.meeting_id == mid)).rowcount
    counts["members"] = s.execute(delete(MeetingMember).where(MeetingMember.meeting_id == mid)).rowcount
    s.delete(m)
    counts["meetings"] = 1
    return counts


def _delete_reminder(s: Session, log_id: int) -> dict:
    return {"reminder_logs": s.execute(delete(ReminderLog).where(ReminderLog.id == log_id)).rowcount}


def _anonymise_user(s: Session, uid: int) -> dict:
    """The account stays (its id attributes decisions and audit rows); who it was does not."""
    u = s.get(User, uid)
    if u is None or u.is_active or u.username == f"former-{uid}":
        raise LookupError("active, already anonymised or gone")
    memberships = s.execute(delete(Membership).where(Membership.user_id == uid)).rowcount
    u.username, u.name, u.email = f"former-{uid}", f"Former user {uid}", ""
    u.password_hash = bcrypt.hashpw(secrets.token_bytes(32), bcrypt.gensalt()).decode()
    u.sessions_valid_after = utcnow()
    s.add(u)
    return {"users": 1, "memberships": memberships}


_OPS = {("referral_not_taken_forward", "delete"): _delete_referral,
        ("referral_not_taken_forward", "anonymise"): anonymise_case,
        ("decision", "anonymise"): anonymise_case,
        ("referral_with_review", "anonymise"): anonymise_case,
        ("meeting", "delete"): _delete_meeting,
        ("reminder_log", "delete"): _delete_reminder,
        ("user_disabled", "anonymise"): _anonymise_user}


def _purge_audit(actor: Actor, as_of: date, items: list[DueItem], result: ApplyResult) -> None:
    """Old audit rows go in one purge, first (so this run's own audit rows are never purged),
    through the database's one allowed path; the purge writes its own audit row."""
    if not items:
        return
    purge = getattr(audit, "purge_before", None)
    why = ("audit rows are purged from the command line only" if not actor.is_system else
           "this installation has no audit purge (docs/security.md)" if purge is None else None)
    if why:
        result.failed.extend((i, why) for i in items)
        return
    gone = purge(actor, _audit_end(policies()["audit_log"], as_of))
    result.done.extend((i, {"auditevent": gone} if n == 0 else {}) for n, i in enumerate(items))


def apply(actor: Actor, as_of: date, record_types: list[str] | None = None) -> ApplyResult:
    """Delete or anonymise what is due on `as_of`, one audited transaction per record.

    A record that changed since it was listed (already gone or anonymised) is reported as
    failed and left alone; one failure does not stop the rest."""
    with read_session() as s:
        _scope(s, actor, "retention.apply")
    result = ApplyResult()
    items = due(actor, as_of, record_types)
    _purge_audit(actor, as_of, [i for i in items if i.record_type == "audit_log" and i.action == "delete"], result)
    for item in items:
        if item.record_type == "audit_log" and item.action == "delete":
            continue
        if item.action == "review":
            result.flagged.append(item)
            continue
        op = _OPS.get((item.record_type, item.action))
        if op is None:
            result.failed.append((item, f"no way to {item.action} a {item.record_type} record"))
            continue
        if item.partnership_id is not None and not actor.can("retention.apply", item.partnership_id):
            result.failed.append((item, "you do not have permission to do that"))
            continue
        try:
            with transaction() as s:
                counts = op(s, item.entity_id)
                files = counts.pop(_FILES, set())
                audit.record(s, actor, f"retention_{item.action}", item.entity, item.entity_id,
                             item.partnership_id,
                             after={"reference": item.reference, "record_type": item.record_type,
                                    "trigger_on": item.trigger_on, "due_on": item.due_on, "changed": counts},
                             detail=f"{item.record_type}: {item.rule}")
            if files:  # only once the rows are gone for good
                counts["document files"] = documents_removal.forget_files(files)
            result.done.append((item, counts))
        except LookupError as e:
            result.failed.append((item, str(e)))
        except IntegrityError:  # a row this code does not know still points at the record
            result.failed.append((item, "other records still refer to it; nothing was changed"))
    return result
