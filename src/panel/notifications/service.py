"""The incident notification, ready to send, and recorded as sent for every child it covered.

Every call loads the referral through `referrals.service.load_referral` (the wall between
partnerships) and needs `notification.record`: the summary shows the children's details, so
only those who notify see it, and each view is audited like a view of the referral (docs/domain.md §8).
The rules (which referrals make one incident, the four in detail, what is missing) are in
`panel.notifications.rules`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from panel.core import audit
from panel.core.access import Actor
from panel.core.clock import day
from panel.core.db import read_session, transaction
from panel.core.errors import ValidationFailed
from panel.core.validation import not_after_today
from panel.models import Notification, Partnership, Referral, ReferralLink, User
from panel.notifications import document
from panel.notifications import rules as nrules
from panel.referrals.service import load_referral
from panel.screening.rules import BODIES, NotificationClock
from panel.screening.service import (
    assess_facts,
    clocks_of,
    facts_of,
    first_notified_on,
    replan_from_notification,
)

FORMATS = {"txt": "text/plain", "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}
COVERED = ("running", "notified")  # a child the body's notification is about: owed, or already sent


@dataclass
class Sent:
    """What recording the notification did: the referrals it recorded it on, and those already
    recorded as sent to that body (left as they were), each with the day it was sent."""

    recorded: list[str] = field(default_factory=list)
    already: list[tuple[str, date]] = field(default_factory=list)


@dataclass
class _Incident:
    referral: Referral
    group: list[Referral]  # the referral and its same-incident siblings, by reference
    clocks: dict[int, list[NotificationClock]]

    def clock(self, referral_id: int, body: str) -> NotificationClock | None:
        return next((c for c in self.clocks.get(referral_id, []) if c.body == body), None)

    def covered(self, body: str) -> list[Referral]:
        return [x for x in self.group if (c := self.clock(x.id, body)) is not None and c.state in COVERED]

    def due_bodies(self) -> list[str]:
        return [c.body for c in self.clocks.get(self.referral.id, []) if c.state == "running"]


def _incident(s: Session, actor: Actor, reference: str, today: date) -> _Incident:
    r = load_referral(s, actor, reference)
    actor.require("notification.record", r.partnership_id)
    ids: set[int] = {r.id}
    while True:  # follow sibling links outwards until the incident stops growing
        links = s.exec(select(ReferralLink.referral_id, ReferralLink.linked_id, ReferralLink.kind).where(
            ReferralLink.kind == nrules.SAME_INCIDENT,
            or_(ReferralLink.referral_id.in_(ids), ReferralLink.linked_id.in_(ids)))).all()
        grown = nrules.incident_group(r.id, links)
        if grown <= ids:
            break
        ids = grown
    group = [x for x in s.exec(select(Referral).where(Referral.id.in_(ids),
                                                         Referral.partnership_id == r.partnership_id))]
    group.sort(key=lambda x: nrules.reference_key(x.reference))
    return _Incident(r, group, clocks_of(s, group, today))


def _child(x: Referral) -> nrules.Child:
    return nrules.Child(reference=x.reference, initials=x.child_initials,
                        age=nrules.age_of(x.child_age_years, x.child_dob, x.incident_date), sex=x.child_sex,
                        ethnicity=x.child_ethnicity, harm=x.harm, abuse_or_neglect=x.abuse_or_neglect,
                        looked_after=x.looked_after, child_protection_plan=x.child_protection_plan,
                        known_to_csc=x.known_to_csc, care_leaver=x.care_leaver)


def _drafts(s: Session, actor: Actor, inc: _Incident) -> list[nrules.Draft]:
    r = inc.referral
    bodies = inc.due_bodies()
    if not bodies:
        return []
    user = s.get(User, actor.user_id) if actor.user_id is not None else None
    p = s.get(Partnership, r.partnership_id)
    notifier = nrules.Notifier(name=user.name if user else actor.name, email=user.email if user else "",
                               partnership=p.name, local_authority=p.local_authority_area)
    incident = nrules.Incident(reference=r.reference, aware_on=r.aware_on, incident_date=r.incident_date,
                               location=r.location, abuse_or_neglect=r.abuse_or_neglect, summary=r.incident_summary)
    result, _ = assess_facts(facts_of(r))
    out = []
    for body in bodies:
        covered = inc.covered(body)
        ids = {x.id for x in covered}
        out.append(nrules.draft(body, inc.clock(r.id, body).due, notifier, incident, [_child(x) for x in covered],
                                result, not_covered=[x.reference for x in inc.group if x.id not in ids]))
    return out


def prepare(actor: Actor, reference: str, today: date, record_view: bool = True) -> list[nrules.Draft]:
    """One draft per notification still owed on this referral (its running clocks, in the
    engine's body order), each covering the referral and the siblings it is owed for too.
    Showing a child's details is a view of their referral: audited on each, the first time in a
    browser session (`record_view`), as opening the referral is."""
    with read_session() as s:
        inc = _incident(s, actor, reference, today)
        drafts = _drafts(s, actor, inc)
    if drafts and record_view:
        _audit_each(actor, inc, drafts, "view", "notification summary")
    return drafts


def _audit_each(actor: Actor, inc: _Incident, drafts: list[nrules.Draft], action: str, detail: str) -> None:
    shown = {ref for d in drafts for ref in d.references}
    with transaction() as s:
        for x in inc.group:
            if x.reference in shown:
                audit.record(s, actor, action, "referral", x.id, x.partnership_id,
                             detail=f"{detail} (from {inc.referral.reference})")


def download(actor: Actor, reference: str, body: str, fmt: str, today: date) -> bytes:
    """The notification to `body` as .txt or Word: a disclosure, logged on every child's referral."""
    if fmt not in FORMATS:
        raise ValidationFailed({"format": "Choose a text or Word file."})
    with read_session() as s:
        inc = _incident(s, actor, reference, today)
        draft = next((d for d in _drafts(s, actor, inc) if d.body == body), None)
    if draft is None:
        raise ValidationFailed({"body": "No notification to them is owed on this referral."})
    data = nrules.as_text(draft).encode("utf-8") if fmt == "txt" else document.build(draft)
    _audit_each(actor, inc, [draft], "export", f"notification to {body} ({fmt})")
    return data


def _check(body: str, sent_on: date | None, sent_reference: str, today: date) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not isinstance(body, str) or body not in BODIES:
        errors["body"] = "Choose who was notified."
    if sent_on is None:
        errors["sent_on"] = "Enter the date it was sent."
    elif not isinstance(sent_on, date) or isinstance(sent_on, datetime):
        errors["sent_on"] = "Enter a real date."
    else:
        errors.update(not_after_today("sent_on", sent_on, today))
    text = sent_reference.strip() if isinstance(sent_reference, str) else ""
    if not text:
        errors["sent_reference"] = "Enter the reference the notification service gave."
    elif len(text) > 100:
        errors["sent_reference"] = "Keep the reference to 100 characters."
    return errors


def record_sent(actor: Actor, reference: str, body: str, sent_on: date | None, sent_reference: str,
                today: date) -> Sent:
    """Record the notification to `body` as sent on every child's referral it covered (this one
    and its same-incident siblings for whom it is owed), in one transaction, each audited. A
    referral already recorded as sent to that body is left as it is and named in the answer, so
    recording the same notification twice changes nothing."""
    if errors := _check(body, sent_on, sent_reference, today):
        raise ValidationFailed(errors)
    for attempt in range(2):
        try:
            with transaction() as s:
                return _record(s, actor, reference, body, sent_on, sent_reference.strip(), today)
        except IntegrityError:
            # Someone recorded one of them at the same moment (one row per referral and body):
            # read again, and theirs is then left as it is.
            if attempt:
                raise
    raise AssertionError("unreachable")


def _record(s: Session, actor: Actor, reference: str, body: str, sent_on: date, sent_reference: str,
            today: date) -> Sent:
    out = Sent()
    inc = _incident(s, actor, reference, today)
    mine = inc.clock(inc.referral.id, body)
    if mine is None or mine.state not in COVERED:
        raise ValidationFailed({"body": "The criteria do not call for notifying them on these facts."})
    covered = inc.covered(body)
    aware = max(x.aware_on for x in covered)
    if sent_on < aware:
        raise ValidationFailed({"sent_on": "A notification cannot be sent before the authority became "
                                           f"aware ({day(aware)})."})
    refs = [x.reference for x in covered]
    for x in covered:
        clock = inc.clock(x.id, body)
        if clock.state == "notified":
            out.already.append((x.reference, clock.sent_on))
            continue
        s.add(Notification(referral_id=x.id, body=body, due_on=clock.due, sent_on=sent_on,
                           sent_reference=sent_reference, recorded_by_id=actor.user_id))
        audit.record(s, actor, "notification", "referral", x.id, x.partnership_id,
                     after={"body": body, "sent_on": sent_on, "due_on": clock.due, "late": sent_on > clock.due,
                            "reference": sent_reference, "incident": refs})
        out.recorded.append(x.reference)
    s.flush()  # a row another user recorded meanwhile fails here, inside the retry
    if body in ("national_panel", "ofsted"):
        for x in covered:
            if x.reference in out.recorded:
                replan_from_notification(s, x.id, first_notified_on(s, x.id))
    return out
