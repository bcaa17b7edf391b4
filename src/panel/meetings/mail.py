"""E-mail a meeting's minutes to its attendees, through the same mail settings as reminders.

Only Panel users are written to (guests have no address here); the minutes carry references,
never child identifiers. Sending is a disclosure, so it is audited like an export.
"""

from __future__ import annotations

import smtplib
from collections.abc import Callable

from sqlmodel import select

from panel.core import audit, mail
from panel.core.access import Actor
from panel.core.config import get_settings
from panel.core.db import read_session, transaction
from panel.core.errors import PanelError
from panel.meetings.minutes_service import minutes_docx
from panel.meetings.service import meeting_for
from panel.models import MeetingMember, User

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def recipients(actor: Actor, meeting_id: int) -> list[str]:
    """Addresses of the Panel users recorded as present or sending apologies."""
    with read_session() as s:
        m = meeting_for(s, actor, meeting_id)
        rows = s.exec(select(User.email).join(MeetingMember, MeetingMember.user_id == User.id)
                      .where(MeetingMember.meeting_id == m.id, User.is_active == True,  # noqa: E712
                             MeetingMember.attendance.in_(("present", "apologies")))).all()
    return sorted({e.strip().lower() for e in rows if e and "@" in e})


def email_minutes(actor: Actor, meeting_id: int,
                  smtp_factory: Callable[..., smtplib.SMTP] | None = None) -> list[str]:
    """Send the Word minutes to the attendees; returns who they went to."""
    with read_session() as s:
        m = meeting_for(s, actor, meeting_id)
    actor.require("meeting.run", m.partnership_id)
    to = recipients(actor, meeting_id)
    if not to:
        raise PanelError("Nobody with a Panel e-mail address was present or sent apologies.")
    settings = get_settings()
    data = minutes_docx(actor, meeting_id)
    msg = mail.new_message(settings, ", ".join(to), f"Panel: minutes of the meeting on {m.held_on:%d %B %Y}")
    msg.set_content("The minutes of the panel meeting are attached. They contain references only; "
                    "open the cases in Panel for details.\n")
    msg.add_attachment(data, maintype=DOCX.split("/")[0], subtype=DOCX.split("/")[1],
                       filename=f"minutes-{m.held_on:%Y-%m-%d}.docx")
    try:
        with mail.connection(settings, smtp_factory=smtp_factory) as smtp:
            smtp.send_message(msg, from_addr=settings.smtp_sender, to_addrs=to)
    except (OSError, smtplib.SMTPException) as e:
        raise mail.MailFailed(f"Could not send the minutes: {mail.failure(e, settings)}.") from e
    with transaction() as s:
        audit.record(s, actor, "export", "meeting", m.id, m.partnership_id,
                     detail=f"minutes e-mailed to {len(to)} attendee(s)")
    return to
