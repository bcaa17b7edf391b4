"""The incident notification's service (panel.notifications.service), from an empty partnership:
the drafts a referral's page shows, the downloads, and recording it sent on every sibling at once."""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.accounts.partnerships import create_partnership
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import NotFound, PermissionDenied, ValidationFailed
from panel.models import AuditEvent, Notification
from panel.notifications import service as notifications
from panel.referrals import service as referrals
from panel.screening import decisions
from panel.screening import service as screening
from tests.conftest import TODAY
from tests.factories import (
    AWARE,
    accepted,
    actor,
    decision_form,
    empty_nb,
    nb_id,
    referral,
    referral_form,
    review_row,
    row_counts,
)

DUE = date(2026, 11, 27)  # five working days after the factory's Friday 20 November


def siblings(*initials: str, **kw) -> list[str]:
    """Accepted referrals of one incident, linked in a chain (A-B, B-C, ...); their references."""
    refs = [accepted(child_initials=i, **kw) for i in initials]
    for a, b in zip(refs, refs[1:], strict=False):
        referrals.link(actor("chair"), a, b, "sibling")
    return refs


def sent(ref: str) -> dict[str, tuple[date, date, str | None]]:
    with read_session() as s:
        return {n.body: (n.sent_on, n.due_on, n.sent_reference)
                for n in s.exec(select(Notification).where(Notification.referral_id == referral(ref).id))}


def audit_rows(action: str) -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_each_notification_owed_covers_the_referral_and_its_siblings_in_reference_order(db):
    empty_nb()
    refs = siblings("AB", "CD", "EF")
    other = accepted(child_initials="GH")  # the same child again: a duplicate, not this incident
    referrals.link(actor("chair"), refs[0], other, "same_child")
    drafts = notifications.prepare(actor("member"), refs[2], TODAY)
    assert [d.body for d in drafts] == ["national_panel", "safeguarding_partners"]
    d = drafts[0]
    assert d.references == tuple(refs) and d.others == () and d.due == DUE
    assert [c.initials for c in d.in_detail] == ["AB", "CD", "EF"]
    assert d.notifier.name == "Northbrook member" and d.notifier.email == "member@example.org"
    assert d.incident.reference == refs[2] and d.route == "rapid_review"


def test_more_than_four_children_the_first_four_in_detail(db):
    empty_nb()
    refs = siblings(*"ABCDEF")
    d = notifications.prepare(actor("chair"), refs[3], TODAY)[0]
    assert [c.reference for c in d.in_detail] == refs[:4]
    assert [c.reference for c in d.others] == refs[4:]


def test_a_sibling_the_body_is_not_owed_for_is_named_not_covered(db):
    empty_nb()
    refs = siblings("AB", "CD")
    quiet = accepted(child_initials="EF", harm="other", abuse_or_neglect="no")
    referrals.link(actor("chair"), refs[1], quiet, "sibling")
    d = notifications.prepare(actor("chair"), refs[0], TODAY)[0]
    assert d.references == tuple(refs) and d.not_covered == (quiet,)
    assert notifications.prepare(actor("chair"), quiet, TODAY) == []  # nothing owed on it


def test_recording_it_sent_records_every_sibling_in_one_step_and_twice_changes_nothing(db):
    empty_nb()
    refs = siblings("AB", "CD", "EF")
    out = notifications.record_sent(actor("manager"), refs[1], "national_panel", TODAY, " CINS-77 ", TODAY)
    assert out.recorded == refs and out.already == []
    assert all(sent(r) == {"national_panel": (TODAY, DUE, "CINS-77")} for r in refs)
    rows = [e for e in audit_rows("notification") if e.username == "manager"]
    assert sorted(e.entity_id for e in rows) == sorted(referral(r).id for r in refs)
    before = row_counts()
    again = notifications.record_sent(actor("chair"), refs[0], "national_panel", TODAY, "CINS-78", TODAY)
    assert again.recorded == [] and again.already == [(r, TODAY) for r in refs]
    assert row_counts() == before and all(sent(r)["national_panel"][2] == "CINS-77" for r in refs)
    # the partners are still owed, for all three
    assert [d.body for d in notifications.prepare(actor("chair"), refs[0], TODAY)] == ["safeguarding_partners"]


def test_a_sibling_already_recorded_is_left_as_it_is_and_named(db):
    empty_nb()
    refs = siblings("AB", "CD", "EF")
    earlier = TODAY - timedelta(days=1)
    screening.record_notification(actor("chair"), refs[2], "national_panel", earlier, "OLD-1", TODAY)
    d = notifications.prepare(actor("chair"), refs[0], TODAY)[0]
    assert d.references == tuple(refs)  # still about the whole incident
    out = notifications.record_sent(actor("chair"), refs[0], "national_panel", TODAY, "CINS-9", TODAY)
    assert out.recorded == refs[:2] and out.already == [(refs[2], earlier)]
    assert sent(refs[2])["national_panel"] == (earlier, DUE, "OLD-1")


def test_a_sibling_someone_else_records_at_the_same_moment_is_left_as_theirs(db, monkeypatch):
    empty_nb()
    refs = siblings("AB", "CD")
    real, raced = notifications.clocks_of, []

    def racing(s, rows, today):
        out = real(s, rows, today)  # read before the other user's row exists
        if not raced:
            raced.append(True)
            screening.record_notification(actor("member"), refs[1], "national_panel", TODAY, "THEIRS", TODAY)
        return out

    monkeypatch.setattr(notifications, "clocks_of", racing)
    out = notifications.record_sent(actor("chair"), refs[0], "national_panel", TODAY, "MINE", TODAY)
    assert out.recorded == [refs[0]] and out.already == [(refs[1], TODAY)]
    assert sent(refs[0])["national_panel"][2] == "MINE" and sent(refs[1])["national_panel"][2] == "THEIRS"


def test_a_rapid_review_planned_before_it_was_sent_replans_from_the_day_sent(db):
    empty_nb()
    refs = siblings("AB", "CD")
    did = decisions.record_decision(actor("member"), refs[1], decision_form("rapid_review"), TODAY)
    review = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    day = TODAY - timedelta(days=2)
    notifications.record_sent(actor("chair"), refs[0], "national_panel", day, "CINS-3", TODAY)
    assert review_row(review).notified_on == day


@pytest.mark.parametrize(("args", "field"), [
    (("nobody", TODAY, "CINS-1"), "body"),
    (("secretary_of_state", TODAY, "CINS-1"), "body"),  # the criteria do not call for it here
    (("national_panel", None, "CINS-1"), "sent_on"),
    (("national_panel", TODAY + timedelta(days=1), "CINS-1"), "sent_on"),
    (("national_panel", AWARE - timedelta(days=1), "CINS-1"), "sent_on"),
    (("national_panel", TODAY, "  "), "sent_reference"),
    (("national_panel", TODAY, "C" * 101), "sent_reference"),
])
def test_each_wrong_answer_is_refused_beside_its_field_and_nothing_is_written(db, args, field):
    empty_nb()
    refs = siblings("AB", "CD")
    before = row_counts()
    with pytest.raises(ValidationFailed) as e:
        notifications.record_sent(actor("chair"), refs[0], *args, TODAY)
    assert list(e.value.errors) == [field]
    assert row_counts() == before


def test_only_those_who_notify_in_that_partnership_may_see_download_or_record_it(db):
    empty_nb()
    accounts.create_user(SYSTEM, username="referrer", name="School lead", email="lead@example.org",
                         password="a long test password", memberships=[("NB", "referrer")])
    create_partnership(SYSTEM, "EM", "Eastmere Safeguarding Children Partnership")
    accounts.create_user(SYSTEM, username="chair.em", name="Eastmere chair", email="em@example.org",
                         password="a long test password", memberships=[("EM", "chair")])
    own = referrals.submit(actor("referrer"), nb_id(), referral_form(), TODAY).reference
    referrals.triage(actor("chair"), own, "accept", "", referral(own).version)
    calls = [lambda a: notifications.prepare(a, own, TODAY),
             lambda a: notifications.download(a, own, "national_panel", "txt", TODAY),
             lambda a: notifications.record_sent(a, own, "national_panel", TODAY, "CINS-1", TODAY)]
    before = row_counts()
    for call in calls:
        with pytest.raises(PermissionDenied):
            call(actor("referrer"))  # they made it, and may follow it, but do not notify
        with pytest.raises(NotFound):
            call(actor("chair.em"))  # another partnership's referral does not exist for them
    after = row_counts()
    assert {k: v for k, v in after.items() if k != "auditevent"} == {k: v for k, v in before.items() if k != "auditevent"}
    assert {e.action for e in audit_rows("not_found")} == {"not_found"}
    assert not [e for e in audit_rows("view") + audit_rows("export") if e.username in ("referrer", "chair.em")]


def test_viewing_it_is_audited_on_every_child_shown_and_downloading_as_an_export(db):
    empty_nb()
    refs = siblings("AB", "CD")
    ids = sorted(referral(r).id for r in refs)
    notifications.prepare(actor("chair"), refs[0], TODAY, record_view=False)
    assert audit_rows("view") == []
    notifications.prepare(actor("chair"), refs[0], TODAY)
    views = audit_rows("view")
    assert sorted(e.entity_id for e in views) == ids and {e.username for e in views} == {"chair"}
    assert {e.detail for e in views} == {f"notification summary (from {refs[0]})"}
    text = notifications.download(actor("chair"), refs[0], "national_panel", "txt", TODAY).decode()
    assert text.startswith("NOTIFICATION") and "Initials (as recorded): CD" in text
    word = notifications.download(actor("chair"), refs[0], "safeguarding_partners", "docx", TODAY)
    with zipfile.ZipFile(io.BytesIO(word)) as z:
        assert "Initials (as recorded): " in z.read("word/document.xml").decode()
    exports = audit_rows("export")
    assert sorted(e.entity_id for e in exports) == sorted(ids * 2)
    assert {e.detail for e in exports} == {f"notification to national_panel (txt) (from {refs[0]})",
                                           f"notification to safeguarding_partners (docx) (from {refs[0]})"}
    with pytest.raises(ValidationFailed):
        notifications.download(actor("chair"), refs[0], "ofsted", "txt", TODAY)  # not owed here
    with pytest.raises(ValidationFailed):
        notifications.download(actor("chair"), refs[0], "national_panel", "pdf", TODAY)


def test_nothing_owed_nothing_shown_and_no_view_recorded(db):
    empty_nb()
    ref = accepted(harm="other", abuse_or_neglect="no")
    assert notifications.prepare(actor("chair"), ref, TODAY) == []
    assert audit_rows("view") == []
