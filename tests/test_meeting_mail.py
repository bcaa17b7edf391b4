"""Minutes e-mailed to attendees through the reminder mail settings ."""

import email
import email.policy

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.db import read_session
from panel.core.errors import PanelError, PermissionDenied
from panel.meetings import attendance as meeting_attendance
from panel.meetings import mail as meeting_mail
from panel.meetings import service as meetings
from panel.models import AuditEvent, MeetingMember, User
from tests.conftest import TODAY
from tests.loopback import SMTPServer, refusing_port


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=email.policy.default)))
        return "250 OK"


@pytest.fixture
def meeting(demo_db):
    chair = accounts.actor_for("chair")
    pid = chair.partnerships_with("meeting.run")[0]
    members = {u: accounts.actor_for(u).user_id for u in ("chair", "member", "manager")}
    mid = meetings.create_meeting(chair, pid, TODAY, list(members.values()), TODAY)
    with read_session() as s:
        mm = {m.user_id: m.id for m in s.exec(select(MeetingMember).where(MeetingMember.meeting_id == mid))}
    meeting_attendance.set_attendance(chair, mid, mm[members["chair"]], "present")
    meeting_attendance.set_attendance(chair, mid, mm[members["member"]], "apologies")
    return mid


def test_minutes_go_to_attendees_with_the_document(meeting, monkeypatch):
    inbox = Inbox()
    controller = SMTPServer(inbox)
    controller.start()
    try:
        monkeypatch.setenv("PANEL_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PANEL_SMTP_PORT", str(controller.port))
        sent = meeting_mail.email_minutes(accounts.actor_for("chair"), meeting)
    finally:
        controller.stop()
    assert sent == ["chair@example.org", "member@example.org"]  # not the manager, who was only invited
    (rcpts, msg), = inbox.messages
    assert sorted(rcpts) == sent and "minutes" in msg["Subject"].lower()
    att = next(msg.iter_attachments())
    assert att.get_filename() == f"minutes-{TODAY:%Y-%m-%d}.docx" and len(att.get_content()) > 1000
    with read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.detail.like("minutes e-mailed%"))).first()


def test_mail_server_down_is_reported_and_nothing_audited(meeting, monkeypatch):
    with refusing_port() as port, pytest.raises(PanelError, match="Could not send the minutes"):
        monkeypatch.setenv("PANEL_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PANEL_SMTP_PORT", str(port))
        meeting_mail.email_minutes(accounts.actor_for("chair"), meeting)
    with read_session() as s:
        assert not s.exec(select(AuditEvent).where(AuditEvent.detail.like("minutes e-mailed%"))).first()


def test_only_the_chair_sends(meeting):
    with pytest.raises(PermissionDenied):
        meeting_mail.email_minutes(accounts.actor_for("member"), meeting)
    with read_session() as s:
        assert s.exec(select(User).where(User.username == "member")).one().email == "member@example.org"
