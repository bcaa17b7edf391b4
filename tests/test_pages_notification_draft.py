"""The referral page's notification, ready to send, through Streamlit's AppTest: shown to those
who notify (chair, member, manager) as plain text with its downloads and the form that records it
sent on every sibling; never to the referrer who made the referral."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.models import AuditEvent, Notification
from panel.notifications import service as notifications
from panel.referrals import service as referrals
from tests.apptest import signed_in, texts
from tests.conftest import TODAY
from tests.factories import accepted, actor, empty_nb, nb_id, referral, referral_form

PAGE = Path(__file__).resolve().parent.parent / "pages" / "referral.py"
HEADING = "Notification, ready to send"


def incident() -> list[str]:
    """Three siblings of one incident, accepted; their references."""
    refs = [accepted(child_initials=i) for i in ("AB", "CD", "EF")]
    referrals.link(actor("chair"), refs[0], refs[1], "sibling")
    referrals.link(actor("chair"), refs[1], refs[2], "sibling")
    return refs


def notified(ref: str) -> dict[str, str | None]:
    with read_session() as s:
        rows = s.exec(select(Notification).where(Notification.referral_id == referral(ref).id))
        return {n.body: n.sent_reference for n in rows}


@pytest.mark.parametrize("username", ["chair", "member", "manager"])
def test_those_who_notify_see_it_copy_it_and_record_it_for_every_sibling(db, username):
    empty_nb()
    refs = incident()
    at = signed_in(username, "pages/referral.py", query={"ref": refs[1]})
    assert HEADING in texts(at)
    summary = at.code[0].value  # plain text, no Markdown: the record's text as typed
    assert summary.startswith("NOTIFICATION") and "covering 3 children: " + ", ".join(refs) in summary
    assert "Initials (as recorded): CD" in summary and "Still to find before sending" in summary
    labels = {b.label for b in at.get("download_button")}
    assert {"Download .txt", "Download Word"} <= labels
    with read_session() as s:
        viewed = {e.entity_id for e in s.exec(select(AuditEvent).where(
            AuditEvent.username == username, AuditEvent.action == "view",
            AuditEvent.detail.startswith("notification summary")))}
    assert viewed == {referral(r).id for r in refs}
    with read_session() as s:  # the files are made (and logged) only when a download is pressed
        assert not s.exec(select(AuditEvent).where(AuditEvent.action == "export")).first()

    at.selectbox(key="nd_sent_body").set_value("national_panel")
    at.text_input(key="nd_sent_ref").input("CINS-2026-0042")
    next(b for b in at.button if b.label == "Record as sent").click().run()
    assert not at.exception
    assert all(notified(r) == {"national_panel": "CINS-2026-0042"} for r in refs)
    assert "Recorded as sent on " + ", ".join(refs) in texts(at)


def test_a_missing_reference_and_a_future_date_are_shown_beside_their_fields(db):
    empty_nb()
    ref = accepted()
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    at.date_input(key="nd_sent_on").set_value(TODAY + timedelta(days=1))
    next(b for b in at.button if b.label == "Record as sent").click().run()
    shown = [e.value for e in at.error]
    assert any("reference the notification service gave" in m for m in shown)
    assert notified(ref) == {}


def test_the_referrer_who_made_it_never_sees_it(db):
    empty_nb()
    accounts.create_user(SYSTEM, username="referrer", name="School lead", email="lead@example.org",
                         password="a long test password", memberships=[("NB", "referrer")])
    ref = referrals.submit(actor("referrer"), nb_id(), referral_form(), TODAY).reference
    referrals.triage(actor("chair"), ref, "accept", "", referral(ref).version)
    at = AppTest.from_file(str(PAGE), default_timeout=60)
    at.session_state["actor"] = actor("referrer")
    at.query_params["ref"] = ref
    at.run()
    assert not at.exception
    assert "You made this referral" in texts(at)
    assert HEADING not in texts(at) and not at.code and not at.get("download_button")
    with read_session() as s:
        assert not s.exec(select(AuditEvent).where(AuditEvent.username == "referrer",
                                                   AuditEvent.detail.startswith("notification"))).first()


def test_nothing_is_offered_once_every_notification_is_recorded(db):
    empty_nb()
    ref = accepted()
    for body in ("national_panel", "safeguarding_partners"):
        notifications.record_sent(actor("chair"), ref, body, TODAY, "CINS-1", TODAY)
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    assert HEADING not in texts(at) and not at.code


def test_it_is_never_on_a_shared_screen(db):
    empty_nb()
    ref = accepted()
    accounts.set_presentation_mode(actor("chair"), True)
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    assert HEADING not in texts(at) and not at.code and "DQ" not in texts(at)
