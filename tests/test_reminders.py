"""`panel remind` (docs/reminders.md): who gets which digest, what a digest says (and never says), and
sending through a real SMTP server (aiosmtpd) the test starts on a loopback port."""

from __future__ import annotations

import argparse
import dataclasses
import email
import email.policy
import re
import socket
from datetime import date, timedelta

import pytest
from sqlalchemy import delete as sa_delete
from sqlalchemy import func
from sqlmodel import select

from panel.cli.remind import add_parser
from panel.core.clock import add_working_days
from panel.core.db import read_session, transaction
from panel.models import (
    Action,
    ActionNote,
    Agency,
    AgencyRequest,
    AuditEvent,
    Membership,
    Notification,
    Partnership,
    Referral,
    ReminderLog,
    Review,
    ReviewMilestone,
    User,
)
from panel.referrals.rules import OPEN_STATUSES
from panel.reminders import service
from panel.reminders.digests import (
    Digest,
    ReminderItem,
    build_digests,
    normalise_address,
    render,
    subject,
)
from panel.screening.rules import assess
from panel.screening.service import facts_of
from tests.conftest import MULTI_MANAGER, TODAY, add_multi_manager
from tests.factories import plant_meeting_action
from tests.loopback import SMTPServer, refusing_port

AS_OF = TODAY  # Monday 23 November 2026
LEAD = "lead.reviewer@reviews.example.net"
AGENCY_LEAD = "safeguarding.lead@police.example.net"
EM_MANAGER = "em.manager@example.org"
WV_MANAGER = "manager.wv@example.org"  # the demo's Westvale business manager
MULTI = f"{MULTI_MANAGER}@example.org"  # a manager in all three partnerships (the scenario adds it)
LINE_RE = re.compile(
    r"^(?P<ref>[A-Z]{2,8}-\d{4}-\d{3,6}(-R\d+)?)\s+(?P<what>.+) - due "
    r"(?P<due>\w{3} \d{1,2} \w{3} \d{4}) - (?P<when>\d+ working days? (late|left)|due today"
    r"|overdue since a non-working day)$"
)


# -- helpers --------------------------------------------------------------------------------


def item(due: date, ref: str, what: str = "Draft report", code: str = "NB", kind: str = "milestone"):
    return ReminderItem(due_on=due, reference=ref, what=what, partnership=code, kind=kind)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """The `remind` subcommand through the same argparse wiring cli.py will use."""
    parser = argparse.ArgumentParser(prog="panel")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    code = args.fn(args)
    out, err = capsys.readouterr()
    return code, out, err


def by_recipient(digests: list[Digest]) -> dict[str, Digest]:
    return {d.recipient: d for d in digests}


def keys(d: Digest) -> set[tuple[str, str, date]]:
    return {(line.item.reference, line.item.what, line.item.due_on) for line in d.lines}


def count(model, *where) -> int:
    with read_session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


class Collector:
    """An aiosmtpd handler that keeps every accepted message and can refuse on cue."""

    def __init__(self, refuse_rcpt: set[str] = frozenset(), fail_data_after: int | None = None):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.refuse_rcpt = refuse_rcpt
        self.fail_data_after = fail_data_after

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse_rcpt:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.fail_data_after is not None and len(self.messages) >= self.fail_data_after:
            return "554 5.7.1 Message rejected by policy"
        msg = email.message_from_bytes(envelope.original_content or envelope.content,
                                       policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp(monkeypatch):
    """Start a local SMTP server; yields a function that starts it with a given handler."""
    started: list[SMTPServer] = []

    def start(handler: Collector | None = None) -> Collector:
        handler = handler or Collector()
        controller = SMTPServer(handler)
        controller.start()
        started.append(controller)
        monkeypatch.setenv("PANEL_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PANEL_SMTP_PORT", str(controller.port))
        monkeypatch.setenv("PANEL_SMTP_SENDER", "panel@partnership.example.org")
        return handler

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def scenario(demo_db):
    """Demo data plus: an Eastmere-only manager (mixed-case address), an inactive Northbrook
    manager, a manager of all three partnerships, a lead reviewer's address on one open review,
    and three agency requests (one overdue with a contact, one received, one on a closed review).
    The demo's learning actions are removed: these tests work out the review-world digests
    exactly; actions have their own."""
    add_multi_manager()
    with transaction() as s:
        s.execute(sa_delete(ActionNote))
        s.execute(sa_delete(Action))
        codes = {p.code: p.id for p in s.exec(select(Partnership))}
        pw = s.exec(select(User.password_hash)).first()
        em = User(username="manager.em", name="Erin Manager", email="Em.Manager@Example.org ",
                  password_hash=pw)
        gone = User(username="manager.old", name="Old Manager", email="old.manager@example.org",
                    password_hash=pw, is_active=False)
        s.add_all([em, gone])
        s.flush()
        s.add(Membership(user_id=em.id, partnership_id=codes["EM"], role="manager"))
        s.add(Membership(user_id=gone.id, partnership_id=codes["NB"], role="manager"))
        horizon = add_working_days(AS_OF, 5)
        open_with_due = s.exec(
            select(Review).join(ReviewMilestone, ReviewMilestone.review_id == Review.id)
            .where(Review.status == "open", Review.partnership_id == codes["EM"],
                   ReviewMilestone.actual_on.is_(None), ReviewMilestone.planned_on <= horizon)
            .order_by(Review.id)
        ).first()
        assert open_with_due is not None, "the demo should have an Eastmere review with work due"
        open_with_due.lead_reviewer_email = LEAD.upper()
        s.add(open_with_due)
        nb_open = s.exec(select(Review).where(Review.status == "open",
                                              Review.partnership_id == codes["NB"])
                         .order_by(Review.id)).first()
        nb_closed = s.exec(select(Review).where(Review.status == "closed",
                                                Review.partnership_id == codes["NB"])
                           .order_by(Review.id)).first()
        police = s.exec(select(Agency).where(Agency.name == "Police")).one()
        health = s.exec(select(Agency).where(Agency.name == "Integrated care board")).one()
        s.add(AgencyRequest(review_id=nb_open.id, agency_id=police.id, kind="chronology",
                            requested_on=AS_OF - timedelta(days=30), due_on=AS_OF - timedelta(days=7),
                            contact_email=AGENCY_LEAD))
        s.add(AgencyRequest(review_id=nb_open.id, agency_id=health.id, kind="agency_report",
                            requested_on=AS_OF - timedelta(days=30), due_on=AS_OF - timedelta(days=7),
                            received_on=AS_OF - timedelta(days=8), contact_email="icb@example.net"))
        s.add(AgencyRequest(review_id=nb_closed.id, agency_id=health.id, kind="chronology",
                            requested_on=AS_OF - timedelta(days=30), due_on=AS_OF - timedelta(days=2),
                            contact_email="closed@example.net"))
    return {"codes": codes, "lead_review": open_with_due.reference, "lead_review_id": open_with_due.id,
            "nb_open": nb_open.reference}


# -- the pure digest builder ----------------------------------------------------------------


def test_digest_groups_overdue_first_then_due_soon_each_in_date_order():
    pairs = [
        ("Mel@Example.org", item(date(2026, 11, 26), "NB-2026-003-R1", "Panel sign-off")),
        ("mel@example.org", item(date(2026, 11, 10), "NB-2026-001-R1", "Draft report")),
        ("mel@example.org", item(date(2026, 11, 23), "NB-2026-004", "Serious incident notification",
                                 kind="notification")),
        ("mel@example.org", item(date(2026, 11, 20), "NB-2026-002-R1", "Terms of reference agreed")),
        ("mel@example.org", item(date(2026, 12, 1), "NB-2026-005-R1", "Too far ahead")),
        (" mel@example.org ", item(date(2026, 11, 10), "NB-2026-001-R1", "Draft report")),  # again
        ("mel@example.org", item(date(2026, 11, 30), "NB-2026-006-R1", "Practitioner event")),
        ("", item(date(2026, 11, 10), "NB-2026-007-R1")),
        (None, item(date(2026, 11, 10), "NB-2026-007-R1")),
        ("not an address", item(date(2026, 11, 10), "NB-2026-007-R1")),
        ("a@b.org, c@d.org", item(date(2026, 11, 10), "NB-2026-007-R1")),
        ("far@example.org", item(date(2026, 12, 10), "NB-2026-008-R1")),
        ("ann@example.org", item(date(2026, 11, 24), "EM-2026-001-R1", "Draft report", "EM")),
    ]
    digests = build_digests(pairs, AS_OF)
    assert [d.recipient for d in digests] == ["ann@example.org", "mel@example.org"]
    mel = by_recipient(digests)["mel@example.org"]
    assert [(line.item.reference, line.status, line.working_days) for line in mel.lines] == [
        ("NB-2026-001-R1", "overdue", 9),
        ("NB-2026-002-R1", "overdue", 1),
        ("NB-2026-004", "due_soon", 0),
        ("NB-2026-003-R1", "due_soon", 3),
        ("NB-2026-006-R1", "due_soon", 5),
    ]
    assert mel.items == 5 and mel.partnerships == ("NB",)
    assert subject(mel) == mel.subject == "Panel: 2 overdue, 3 due within 5 working days"
    assert by_recipient(digests)["ann@example.org"].subject == "Panel: 1 due within 5 working days"

    body = render(mel)
    assert body == mel.body
    assert body.index("Overdue") < body.index("NB-2026-001-R1") < body.index("NB-2026-002-R1")
    assert body.index("NB-2026-002-R1") < body.index("Due within 5 working days")
    assert body.index("Due within 5 working days") < body.index("NB-2026-004") < body.index(
        "NB-2026-003-R1") < body.index("NB-2026-006-R1")
    lines = body.splitlines()
    assert "NB-2026-001-R1  Draft report - due Tue 10 Nov 2026 - 9 working days late" in lines
    assert "NB-2026-002-R1  Terms of reference agreed - due Fri 20 Nov 2026 - 1 working day late" in lines
    assert "NB-2026-004     Serious incident notification - due Mon 23 Nov 2026 - due today" in lines
    assert "NB-2026-006-R1  Practitioner event - due Mon 30 Nov 2026 - 5 working days left" in lines
    assert "Too far ahead" not in body and body.count("NB-2026-001-R1") == 1
    assert "as of Mon 23 Nov 2026" in body


def test_due_soon_counts_working_days_across_weekends_and_bank_holidays():
    friday = date(2026, 11, 27)
    digests = build_digests([
        ("a@example.org", item(date(2026, 12, 4), "NB-2026-001-R1")),  # 5th working day
        ("a@example.org", item(date(2026, 12, 5), "NB-2026-002-R1")),  # the Saturday after: still 5
        ("a@example.org", item(date(2026, 12, 7), "NB-2026-003-R1")),  # 6th working day: not yet
        ("a@example.org", item(date(2026, 11, 28), "NB-2026-004-R1")),  # tomorrow (Saturday)
    ], friday)
    [d] = digests
    assert [(line.item.reference, line.working_days) for line in d.due_soon] == [
        ("NB-2026-004-R1", 0), ("NB-2026-001-R1", 5), ("NB-2026-002-R1", 5)]
    # Christmas: as of Wed 23 Dec 2026 the working days are 24, 29, 30, 31 Dec and 4 Jan
    # (25 Dec, Boxing Day's substitute 28 Dec and 1 Jan are bank holidays).
    [d] = build_digests([("a@example.org", item(date(2026, 12, 31), "NB-2026-005-R1")),
                         ("a@example.org", item(date(2027, 1, 4), "NB-2026-006-R1")),
                         ("a@example.org", item(date(2027, 1, 5), "NB-2026-007-R1"))], date(2026, 12, 23))
    assert [(line.item.reference, line.working_days) for line in d.lines] == [
        ("NB-2026-005-R1", 4), ("NB-2026-006-R1", 5)]
    # Due on a Saturday, looked at on Sunday: overdue, though no working day has passed.
    [d] = build_digests([("a@example.org", item(date(2026, 11, 21), "NB-2026-008-R1"))], date(2026, 11, 22))
    assert d.overdue[0].working_days == 0 and "overdue since a non-working day" in d.body


def test_a_digest_item_has_no_room_for_child_details():
    """docs/domain.md §8: e-mail leaves the system, so an item holds references and what is due only."""
    assert {f.name for f in dataclasses.fields(ReminderItem)} == {
        "due_on", "reference", "what", "partnership", "kind"}
    [d] = build_digests([("a@example.org", item(AS_OF, "NB-2026-001-R1", "Draft report"))], AS_OF)
    body_lines = [ln for ln in d.body.splitlines() if re.match(r"^[A-Z]{2,8}-\d{4}", ln)]
    assert body_lines and all(LINE_RE.match(ln) for ln in body_lines)


@pytest.mark.parametrize(("raw", "clean"), [
    ("Mel@Example.org", "mel@example.org"), ("  mel@example.org\t", "mel@example.org"),
    ("", None), (None, None), ("mel", None), ("mel@localhost", None), ("a b@example.org", None),
    ("a@example.org\nBcc: x@evil.example", None), ("<a@example.org>", None), ("a@x.org;b@y.org", None),
])
def test_addresses_are_normalised_or_refused(raw, clean):
    assert normalise_address(raw) == clean


def test_nothing_due_means_no_digest():
    assert build_digests([], AS_OF) == []
    assert build_digests([("a@example.org", item(date(2027, 1, 1), "NB-2026-001-R1"))], AS_OF) == []


# -- who receives what, on the demo ---------------------------------------------------------


def test_each_manager_gets_only_their_partnerships_items(scenario):
    digests = by_recipient(service.digests(AS_OF))
    nb, em, wv, several = (digests["manager@example.org"], digests[EM_MANAGER],
                           digests[WV_MANAGER], digests[MULTI])
    assert nb.partnerships == ("NB",) and em.partnerships == ("EM",) and wv.partnerships == ("WV",)
    assert several.partnerships == ("EM", "NB", "WV")
    assert all(line.item.reference.startswith("NB-") for line in nb.lines)
    assert all(line.item.reference.startswith("EM-") for line in em.lines)
    in_partnership = {code: {k for k in keys(several) if k[0].startswith(f"{code}-")}
                      for code in ("NB", "EM", "WV")}
    assert keys(nb) == in_partnership["NB"] and keys(em) == in_partnership["EM"]
    assert keys(wv) == in_partnership["WV"]
    assert all(in_partnership.values())  # each partnership has something due in the demo
    # Nobody who is not a manager, an agency lead or a lead reviewer is written to: not an
    # inactive manager, and not the regional account (it holds no role, so no case work).
    assert set(digests) == {"manager@example.org", EM_MANAGER, WV_MANAGER, MULTI, LEAD, AGENCY_LEAD}


def test_manager_digest_holds_every_due_milestone_request_and_unsent_notification(scenario):
    """Worked out independently of the service: plain date comparisons (as of a Monday, 'within
    5 working days' is 'by the next Monday')."""
    nb_id = scenario["codes"]["NB"]
    by_monday = AS_OF + timedelta(days=7)
    with read_session() as s:
        milestones = {
            (ref, name, planned) for ref, name, planned in s.exec(
                select(Review.reference, ReviewMilestone.name, ReviewMilestone.planned_on)
                .join(Review, Review.id == ReviewMilestone.review_id)
                .where(Review.partnership_id == nb_id, Review.status == "open",
                       ReviewMilestone.actual_on.is_(None), ReviewMilestone.planned_on <= by_monday))}
        sent = {(n.referral_id, n.body) for n in s.exec(select(Notification))}
        # A clock runs for each body the referral's facts call for and no notification records.
        referrals = [(r.reference, r.aware_on) for r in s.exec(
            select(Referral).where(Referral.partnership_id == nb_id,
                                   Referral.status.in_((*OPEN_STATUSES, "decided"))))
            if any((r.id, n["to"]) not in sent for n in assess(facts_of(r))["notify"])]
    notifications = {(ref, "Serious incident notification", add_working_days(aware, 5))
                     for ref, aware in referrals if add_working_days(aware, 5) <= by_monday}
    request = (scenario["nb_open"], "Chronology from Police", AS_OF - timedelta(days=7))
    nb = by_recipient(service.digests(AS_OF))["manager@example.org"]
    assert milestones and notifications
    assert keys(nb) == milestones | notifications | {request}
    overdue = {k for k in keys(nb) if k[2] < AS_OF}
    assert {(ln.item.reference, ln.item.what, ln.item.due_on) for ln in nb.overdue} == overdue


def test_lead_reviewer_gets_that_reviews_milestones_only(scenario):
    digests = by_recipient(service.digests(AS_OF))
    lead = digests[LEAD]
    assert {line.item.reference for line in lead.lines} == {scenario["lead_review"]}
    assert {line.item.kind for line in lead.lines} == {"milestone"}
    with read_session() as s:
        due = {(m.name, m.planned_on) for m in s.exec(
            select(ReviewMilestone).where(ReviewMilestone.review_id == scenario["lead_review_id"],
                                          ReviewMilestone.actual_on.is_(None),
                                          ReviewMilestone.planned_on <= AS_OF + timedelta(days=7)))}
    assert {(line.item.what, line.item.due_on) for line in lead.lines} == due
    # The managers of the review's partnership get the same lines.
    assert keys(lead) <= keys(digests[EM_MANAGER]) and keys(lead) <= keys(digests[MULTI])


def test_agency_lead_gets_their_outstanding_request_only(scenario):
    digests = by_recipient(service.digests(AS_OF))
    [line] = digests[AGENCY_LEAD].lines
    assert (line.item.reference, line.item.what, line.status, line.working_days) == (
        scenario["nb_open"], "Chronology from Police", "overdue", 5)
    assert "icb@example.net" not in digests  # received
    assert "closed@example.net" not in digests  # the review is closed
    assert all("Agency report from Integrated care board" != ln.item.what
               for d in digests.values() for ln in d.lines)


def test_digests_carry_no_child_details(scenario):
    digests = service.digests(AS_OF)
    with read_session() as s:
        referrals = list(s.exec(select(Referral)))
    secrets = {r.incident_summary for r in referrals} | {r.referrer_name for r in referrals}
    secrets |= {r.status_note for r in referrals if r.status_note}
    secrets |= {r.referrer_view for r in referrals if r.referrer_view}
    names = {"Rowan Regional", "Mel Manager", "Erin Manager"}
    for d in digests:
        text = d.subject + "\n" + d.body
        assert not any(x in text for x in secrets | names)
        item_lines = [ln for ln in d.body.splitlines() if re.match(r"^[A-Z]{2,8}-\d{4}-", ln)]
        assert len(item_lines) == d.items
        for ln in item_lines:  # every item line is reference, what, due date, days: nothing else
            m = LINE_RE.match(ln)
            assert m, ln
            assert m["ref"] in {x.item.reference for x in d.lines}
            assert m["what"] in {x.item.what for x in d.lines}
        other = [ln for ln in d.body.splitlines() if ln not in item_lines]
        assert not any(re.search(r"\b[A-Z]{1,4}\b", ln.replace("Panel", "")) for ln in other), other


# -- sending ---------------------------------------------------------------------------------


def test_remind_sends_one_digest_per_recipient_and_logs_each(scenario, smtp, capsys):
    server = smtp()
    expected = by_recipient(service.digests(AS_OF))
    audits_before = count(AuditEvent)
    code, out, err = run(capsys, "remind", "--as-of", AS_OF.isoformat())
    assert code == 0 and not err
    items = sum(d.items for d in expected.values())
    assert out.strip() == f"Sent {len(expected)} digests ({items} items) as of 2026-11-23."

    assert len(server.messages) == len(expected)
    received = {}
    for mail_from, rcpt_tos, msg in server.messages:
        assert mail_from == "panel@partnership.example.org"
        assert len(rcpt_tos) == 1 and msg["To"] == rcpt_tos[0]
        received[rcpt_tos[0]] = msg
    assert set(received) == set(expected)
    for address, msg in received.items():
        digest = expected[address]
        assert msg["From"] == "panel@partnership.example.org"
        assert msg["Subject"] == digest.subject
        assert re.fullmatch(r"Panel: (\d+ overdue)?(, )?(\d+ due within 5 working days)?", msg["Subject"])
        assert msg["Auto-Submitted"] == "auto-generated"
        assert msg.get_content().replace("\r\n", "\n") == digest.body
    nb = received["manager@example.org"]
    assert nb["Subject"] == (f"Panel: {len(expected['manager@example.org'].overdue)} overdue, "
                             f"{len(expected['manager@example.org'].due_soon)} due within 5 working days")
    assert "Chronology from Police" in received[AGENCY_LEAD].get_content()

    with read_session() as s:
        logs = list(s.exec(select(ReminderLog)))
        events = list(s.exec(select(AuditEvent).where(AuditEvent.action == "reminder")))
        users = {u.username: u.id for u in s.exec(select(User))}
    assert {(log.recipient, log.items, log.digest) for log in logs} == {
        (d.recipient, d.items, d.body) for d in expected.values()}
    assert count(AuditEvent) == audits_before + len(expected)
    assert len(events) == len(expected) and {e.username for e in events} == {"system"}
    by_target = {(e.entity, e.entity_id) for e in events}
    assert ("user", users["manager"]) in by_target and ("user", users["manager.em"]) in by_target
    assert ("user", users[MULTI_MANAGER]) in by_target and ("user", users["regional"]) not in by_target
    emails = [e for e in events if e.entity == "email"]
    assert {e.detail.split(":")[0] for e in emails} == {LEAD, AGENCY_LEAD}
    nb_event = next(e for e in events if e.entity_id == users["manager"])
    assert nb_event.partnership_id == scenario["codes"]["NB"]


def test_dry_run_prints_every_digest_and_sends_and_writes_nothing(scenario, smtp, capsys):
    server = smtp()
    expected = service.digests(AS_OF)
    audits_before = count(AuditEvent)
    code, out, err = run(capsys, "remind", "--dry-run", "--as-of", "2026-11-23")
    assert code == 0 and not err
    for d in expected:
        assert f"To: {d.recipient}\nSubject: {d.subject}\n\n{d.body}" in out
    items = sum(d.items for d in expected)
    assert f"Dry run: {len(expected)} digests ({items} items) as of 2026-11-23; nothing was sent." in out
    assert server.messages == []
    assert count(ReminderLog) == 0 and count(AuditEvent) == audits_before


def test_as_of_defaults_to_today(scenario, capsys, monkeypatch):
    monkeypatch.setenv("PANEL_TODAY", "2026-11-24")
    code, out, _ = run(capsys, "remind", "--dry-run")
    assert code == 0 and "as of 2026-11-24" in out


def test_smtp_down_exits_2_and_marks_nothing_as_sent(scenario, capsys, monkeypatch):
    audits_before = count(AuditEvent)
    with refusing_port() as port:
        monkeypatch.setenv("PANEL_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PANEL_SMTP_PORT", str(port))
        code, out, err = run(capsys, "remind", "--as-of", "2026-11-23")
    assert code == 2 and out == ""
    assert err.startswith(f"Could not send reminders: the mail server at 127.0.0.1:{port} is not reachable (")
    assert "refused" in err.lower() and err.strip().endswith("Nothing was marked as sent.")
    assert count(ReminderLog) == 0 and count(AuditEvent) == audits_before


def test_server_refusing_mid_run_keeps_only_accepted_digests_marked(scenario, smtp, capsys):
    server = smtp(Collector(fail_data_after=1))
    expected = service.digests(AS_OF)
    code, out, err = run(capsys, "remind", "--as-of", "2026-11-23")
    assert code == 2 and out == ""
    assert "refused the mail (554 5.7.1 Message rejected by policy)" in err
    assert f"1 digest was sent and marked as sent before this; the other {len(expected) - 1} were not" in err
    [(_, [first], _)] = server.messages
    with read_session() as s:
        assert [log.recipient for log in s.exec(select(ReminderLog))] == [first]
    assert count(AuditEvent, AuditEvent.action == "reminder") == 1


def test_a_refused_recipient_is_reported_and_the_others_still_go(scenario, smtp, capsys):
    server = smtp(Collector(refuse_rcpt={AGENCY_LEAD}))
    expected = service.digests(AS_OF)
    code, out, err = run(capsys, "remind", "--as-of", "2026-11-23")
    assert code == 2
    assert out.startswith(f"Sent {len(expected) - 1} digests")
    assert f"The mail server refused {AGENCY_LEAD} (550 5.1.1 No such mailbox here)" in err
    assert AGENCY_LEAD not in {rcpt for _, tos, _ in server.messages for rcpt in tos}
    with read_session() as s:
        logged = {log.recipient for log in s.exec(select(ReminderLog))}
    assert logged == {d.recipient for d in expected} - {AGENCY_LEAD}


def test_nothing_due_sends_nothing_and_needs_no_mail_server(db, capsys, monkeypatch):
    with refusing_port() as port:
        monkeypatch.setenv("PANEL_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PANEL_SMTP_PORT", str(port))
        code, out, err = run(capsys, "remind", "--as-of", "2026-11-23")
    assert (code, err) == (0, "") and out.strip() == "Nothing to remind anyone of as of 2026-11-23."
    assert count(ReminderLog) == 0


def test_bad_as_of_is_refused_by_the_parser(db, capsys):
    with pytest.raises(SystemExit) as e:
        run(capsys, "remind", "--as-of", "23/11/2026")
    assert e.value.code == 2
    assert "'23/11/2026' is not a date like 2026-11-23" in capsys.readouterr().err


def test_a_server_that_never_answers_times_out_as_not_reachable(scenario, monkeypatch):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # accepts the connection, never says hello
        monkeypatch.setenv("PANEL_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("PANEL_SMTP_PORT", str(silent.getsockname()[1]))
        with pytest.raises(service.MailServerUnavailable) as e:
            service.send(service.digests(AS_OF), timeout=0.5)
    assert "is not reachable (" in str(e.value) and "timed out" in str(e.value)
    assert str(e.value).endswith("Nothing was marked as sent.")
    assert count(ReminderLog) == 0


def test_overdue_learning_actions_reach_their_owner_and_the_managers(demo_db):
    """Overdue learning actions are owed like milestones: they feed the reminder digests."""
    from datetime import timedelta

    from sqlmodel import select

    from panel.core.db import transaction
    from panel.models import Action, Agency, Recommendation, Review
    from panel.reminders import service as svc

    with transaction() as s:
        rv = s.exec(select(Review).where(Review.reference == "NB-2026-005-R2")).one()
        rec = Recommendation(partnership_id=rv.partnership_id, review_id=rv.id, recorded_on=TODAY,
                             text="Health visitors to ask about fathers and partners at every visit.")
        s.add(rec)
        s.flush()
        police = s.exec(select(Agency).where(Agency.name == "Police")).one()
        s.add(Action(partnership_id=rv.partnership_id, recommendation_id=rec.id, owner_agency_id=police.id,
                     owner_name="Detective inspector", owner_email="di.owner@example.org",
                     text="Brief all response officers", due_on=TODAY - timedelta(days=7)))
    sent = {d.recipient: d.body for d in svc.digests(TODAY)}
    assert "Brief all response officers" in sent["di.owner@example.org"]
    assert "Brief all response officers" in sent["manager@example.org"]
    assert "Brief all response officers" not in sent.get("manager.em@example.org", "")


def test_a_meeting_action_reaches_its_owner_and_the_managers(demo_db):
    """An action agreed at a meeting is an action like any other (docs/domain.md §6.3): overdue or
    due soon, it is in its owner's and the partnership's managers' digests, named by its meeting."""
    overdue = plant_meeting_action()
    soon = plant_meeting_action(due_on=add_working_days(TODAY, 2), text="Share the safety plan with the GP.")
    sent = {d.recipient: d.body.splitlines() for d in service.digests(TODAY)}
    for who in ("morgan.owner@example.org", "manager@example.org"):
        line = next(x for x in sent[who] if f"Action {overdue} for Police: Ask the school" in x)
        assert line.startswith("Meeting Mon 2 Nov 2026 ") and line.endswith("- 1 working day late")
        assert any(f"Action {soon} for Police: Share the safety plan with the GP." in x for x in sent[who])
    assert not any("Ask the school" in x for who in ("manager.em@example.org", EM_MANAGER) for x in sent.get(who, []))
