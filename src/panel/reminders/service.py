"""Reminders: find who is owed which overdue or due-soon item, and e-mail their digests.

Who gets what (the digest text is built by `panel.reminders.digests`):

- a milestone of an open review, not done: the review's lead reviewer (`lead_reviewer_email`)
  and every active business manager of the review's partnership;
- a chronology or agency report asked for an open review, not received: the agency's contact
  (`contact_email`) and the managers;
- a referral not closed whose notification clock (docs/domain.md §4.5: the criteria call for a
  notification not yet recorded nor decided away) has run out or runs out soon: the managers;
- an open action, from a review's recommendation or agreed at a panel meeting (docs/domain.md
  §6.3): its owner (`owner_email`) and the managers;
- a closed action's impact follow-up not yet recorded (docs/domain.md §7.1): its owner and the
  managers.

Managers get only the items of partnerships where they hold the manager role. A digest is
marked as sent (a ReminderLog row and an audit row, in one transaction) only after the mail
server has accepted it.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage

from sqlalchemy import func
from sqlmodel import Session, select

from panel.core import audit, mail
from panel.core.access import SYSTEM, Actor
from panel.core.clock import add_working_days
from panel.core.config import Settings, get_settings
from panel.core.db import read_session, transaction
from panel.learning import actions, follow_up
from panel.models import (
    Agency,
    AgencyRequest,
    Membership,
    Partnership,
    Referral,
    ReminderLog,
    Review,
    ReviewMilestone,
    User,
)
from panel.referrals.rules import OPEN_STATUSES
from panel.reminders.digests import DUE_SOON_WORKING_DAYS, Digest, ReminderItem, build_digests
from panel.screening.rules import running_clock
from panel.screening.service import clocks_of

REQUEST_KINDS = {
    "chronology": "Chronology",
    "agency_report": "Agency report",
    "agency_summary": "Agency summary",
}
NOTIFICATION_WHAT = "Serious incident notification"
CLOCK_STATUSES = (*OPEN_STATUSES, "decided")  # a closed referral is not for the panel


class MailServerUnavailable(mail.MailFailed):
    """The mail server could not be reached or refused the mail: the run stopped."""


@dataclass
class SendResult:
    sent: list[Digest] = field(default_factory=list)
    refused: list[tuple[Digest, str]] = field(default_factory=list)  # recipient refused by the server

    @property
    def items(self) -> int:
        return sum(d.items for d in self.sent)


def _horizon(as_of: date) -> date:
    """Every date due within DUE_SOON_WORKING_DAYS working days is before this day.

    The day after the 5th working day may still be 5 working days away (a weekend), so the
    bound is the 6th working day, exclusive; the digest builder applies the exact rule.
    """
    return add_working_days(as_of, DUE_SOON_WORKING_DAYS + 1)


def _managers(s: Session) -> dict[int, list[str]]:
    """Partnership id -> e-mail addresses of its active business managers."""
    rows = s.exec(
        select(Membership.partnership_id, User.email)
        .join(User, User.id == Membership.user_id)
        .where(Membership.role == "manager", User.is_active.is_(True))
    ).all()
    out: dict[int, list[str]] = {}
    for pid, email in rows:
        out.setdefault(pid, []).append(email)
    return out


def assignments(s: Session, as_of: date) -> list[tuple[str, ReminderItem]]:
    """(recipient address, item) for every not-done item due before the horizon.

    Addresses are as stored; `build_digests` normalises them and drops the unusable ones.
    """
    horizon = _horizon(as_of)
    managers = _managers(s)
    codes = dict(s.exec(select(Partnership.id, Partnership.code)).all())
    out: list[tuple[str, ReminderItem]] = []

    def give(pid: int, item: ReminderItem, *owners: str | None) -> None:
        for address in (*owners, *managers.get(pid, ())):
            if address:
                out.append((address, item))

    milestones = s.exec(
        select(ReviewMilestone.name, ReviewMilestone.planned_on, Review.reference,
               Review.partnership_id, Review.lead_reviewer_email)
        .join(Review, Review.id == ReviewMilestone.review_id)
        .where(Review.status == "open", ReviewMilestone.actual_on.is_(None),
               ReviewMilestone.planned_on < horizon)
    ).all()
    for name, planned_on, reference, pid, lead_email in milestones:
        item = ReminderItem(planned_on, reference, name, codes[pid], "milestone")
        give(pid, item, lead_email)

    requests = s.exec(
        select(AgencyRequest.kind, AgencyRequest.due_on, AgencyRequest.contact_email, Agency.name,
               Review.reference, Review.partnership_id)
        .join(Review, Review.id == AgencyRequest.review_id)
        .join(Agency, Agency.id == AgencyRequest.agency_id)
        .where(Review.status == "open", AgencyRequest.received_on.is_(None),
               AgencyRequest.due_on < horizon)
    ).all()
    for kind, due_on, contact, agency, reference, pid in requests:
        what = f"{REQUEST_KINDS.get(kind, kind.replace('_', ' ').capitalize())} from {agency}"
        give(pid, ReminderItem(due_on, reference, what, codes[pid], "agency_request"), contact)

    # The notification clock (docs/domain.md §4.5): only a referral whose criteria call for a
    # notification not yet recorded nor decided away has one. A decided referral still owes it.
    referrals = list(s.exec(select(Referral).where(Referral.status.in_(CLOCK_STATUSES))))
    clocks = clocks_of(s, referrals, as_of)
    for r in referrals:
        clock = running_clock(clocks[r.id])
        if clock is not None and clock.due < horizon:
            give(r.partnership_id, ReminderItem(clock.due, r.reference, NOTIFICATION_WHAT, codes[r.partnership_id],
                                                "notification"))

    # Learning actions stay open until evidence of impact: overdue ones reach their owner.
    for a in actions.overdue_for_reminders(s, as_of):
        give(a["partnership_id"], ReminderItem(a["due_on"], a["reference"], a["what"], codes[a["partnership_id"]],
                                               "action"), a["owner_email"])
    # A closed action's impact follow-up (docs/domain.md §7.1): did the change hold?
    for f in follow_up.due_for_reminders(s, as_of):
        give(f["partnership_id"], ReminderItem(f["follow_up_on"], f["reference"], f["what"],
                                               codes[f["partnership_id"]], "follow_up"), f["owner_email"])
    return out


def digests(as_of: date) -> list[Digest]:
    """Every digest due as of `as_of`, one per recipient, sorted by recipient. Writes nothing."""
    with read_session() as s:
        pairs = assignments(s, as_of)
    return build_digests(pairs, as_of)


def message(digest: Digest, settings: Settings) -> EmailMessage:
    msg = mail.new_message(settings, digest.recipient, digest.subject)
    # Quoted-printable keeps the message 7-bit (milestone names may hold an en dash) for any relay.
    msg.set_content(digest.body, charset="utf-8", cte="quoted-printable")
    return msg


def _record_sent(digest: Digest, actor: Actor) -> None:
    """The ReminderLog row and its audit row, together."""
    with transaction() as s:
        s.add(ReminderLog(recipient=digest.recipient, items=digest.items, digest=digest.body))
        ids = s.exec(select(User.id).where(func.lower(func.trim(User.email)) == digest.recipient)).all()
        codes = digest.partnerships
        pid = None
        if len(codes) == 1:
            pid = s.exec(select(Partnership.id).where(Partnership.code == codes[0])).first()
        detail = (f"{digest.recipient}: {digest.subject.removeprefix('Panel: ')} as of "
                  f"{digest.as_of.isoformat()} ({', '.join(codes)})")
        if len(ids) == 1:
            audit.record(s, actor, "reminder", "user", ids[0], pid, detail=detail)
        else:
            audit.record(s, actor, "reminder", "email", None, pid, detail=detail)


def _failure(e: BaseException, settings: Settings, sent: int, left: int) -> MailServerUnavailable:
    if sent:
        was = "1 digest was" if sent == 1 else f"{sent} digests were"
        rest = "the other was" if left == 1 else f"the other {left} were"
        tail = f"{was} sent and marked as sent before this; {rest} not marked as sent."
    else:
        tail = "Nothing was marked as sent."
    return MailServerUnavailable(f"Could not send reminders: {mail.failure(e, settings)}. {tail}")


def send(
    to_send: Iterable[Digest],
    settings: Settings | None = None,
    actor: Actor = SYSTEM,
    timeout: float | None = None,
    smtp_factory: Callable[..., smtplib.SMTP] | None = None,
) -> SendResult:
    """E-mail each digest over one SMTP connection; mark each as sent once the server accepts it.

    A recipient the server refuses is skipped (and reported in the result); the others still
    go. If the server cannot be reached, cannot be secured, refuses the sign-in, or fails or
    refuses otherwise, the run stops with MailServerUnavailable: digests already accepted stay
    marked as sent, no other is. `timeout` defaults to PANEL_SMTP_TIMEOUT.
    """
    settings = settings or get_settings()
    pending = list(to_send)
    result = SendResult()
    if not pending:
        return result
    try:
        with mail.connection(settings, timeout=timeout, smtp_factory=smtp_factory) as smtp:
            for digest in pending:
                try:
                    smtp.send_message(message(digest, settings),
                                      from_addr=settings.smtp_sender, to_addrs=[digest.recipient])
                except smtplib.SMTPRecipientsRefused as e:
                    reasons = [mail.reason(smtplib.SMTPResponseException(code, msg))
                               for code, msg in e.recipients.values()]
                    result.refused.append((digest, "; ".join(reasons) or "refused"))
                    continue
                _record_sent(digest, actor)
                result.sent.append(digest)
    except (OSError, smtplib.SMTPException) as e:
        raise _failure(e, settings, len(result.sent), len(pending) - len(result.sent)) from e
    return result
