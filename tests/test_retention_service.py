"""Retention service on the demo data: what is due, applying it exactly, audit, access."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, text, update
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.core.db import read_session, transaction
from panel.core.errors import PermissionDenied
from panel.models import (
    Action,
    ActionNote,
    AgendaItem,
    AuditEvent,
    Decision,
    ItemConflict,
    Meeting,
    MeetingMember,
    Membership,
    Notification,
    Referral,
    ReferralAgency,
    ReminderLog,
    User,
)
from panel.retention import service
from panel.retention.rules import ANONYMISED_SUMMARY, RetentionConfigError
from tests.conftest import TODAY
from tests.factories import row_counts as counts

FAR = date(2060, 1, 1)


def fk_problems() -> list:
    """Rows pointing at deleted rows. PostgreSQL refuses such a delete outright (its foreign keys
    are checked at every write), so there a bad purge fails the test by raising instead."""
    with read_session() as s:
        if s.get_bind().dialect.name != "sqlite":
            return []
        return list(s.execute(text("PRAGMA foreign_key_check")))


def retention_audit() -> list[AuditEvent]:
    with read_session() as s:
        return list(s.exec(select(AuditEvent).where(AuditEvent.action.like("retention_%"))))


def test_dry_run_changes_nothing(demo_db):
    before = counts()
    items = service.due(SYSTEM, FAR)
    assert len(items) > 100
    assert counts() == before


def test_nothing_is_due_near_now(demo_db):
    before = counts()
    assert service.due(SYSTEM, TODAY) == []
    result = service.apply(SYSTEM, TODAY + timedelta(days=30))
    assert result.done == [] and result.failed == []
    assert counts() == before


def test_apply_far_future_changes_exactly_what_is_due(demo_db):
    items = service.due(SYSTEM, FAR)
    gone = {i.entity_id for i in items if i.action == "delete" and i.entity == "referral"}
    anon = {i.entity_id for i in items if i.action == "anonymise" and i.entity == "referral"}
    assert gone and anon and not gone & anon
    with read_session() as s:
        agencies = s.exec(select(func.count()).select_from(ReferralAgency)
                          .where(ReferralAgency.referral_id.in_(gone))).one()
        notes = s.exec(select(func.count()).select_from(Notification)
                       .where(Notification.referral_id.in_(gone))).one()
        deleted_text = [r.incident_summary for r in s.exec(select(Referral).where(Referral.id.in_(gone)))]
    before = counts()

    result = service.apply(SYSTEM, FAR)

    after = counts()
    print(f"retention far future: {len(result.done)} done, {len(result.flagged)} flagged, "
          f"{len(gone)} referrals deleted, {len(anon)} anonymised")
    assert result.failed == []
    assert len(result.done) == len(gone) + len(anon)
    assert after["referral"] == before["referral"] - len(gone)
    assert after["referralagency"] == before["referralagency"] - agencies
    assert after["notification"] == before["notification"] - notes
    assert after["auditevent"] == before["auditevent"] + len(result.done)
    changed = {"referral", "referralagency", "notification", "auditevent", "referrallink"}
    assert {k: v for k, v in after.items() if k not in changed} == \
        {k: v for k, v in before.items() if k not in changed}
    assert fk_problems() == []
    with read_session() as s:
        assert s.exec(select(Referral).where(Referral.id.in_(gone))).all() == []
        for r in s.exec(select(Referral).where(Referral.id.in_(anon))):
            assert (r.child_initials, r.child_dob, r.child_age_years) == ("", None, None)
            assert r.incident_summary == ANONYMISED_SUMMARY and r.referrer_view is None
        untouched = s.exec(select(func.count()).select_from(Referral)
                           .where(Referral.child_initials != "")).one()
    assert untouched == before["referral"] - len(gone) - len(anon)
    # one audit row per record, naming the rule and reference, never the removed text
    rows = retention_audit()
    assert len(rows) == len(result.done)
    assert {r.entity_id for r in rows if r.action == "retention_delete"} == gone
    assert {r.entity_id for r in rows if r.action == "retention_anonymise"} == anon
    assert all(r.username == "system" and r.detail.startswith(("referral", "decision")) for r in rows)
    blob = "\n".join(f"{r.after} {r.detail}" for r in rows)
    assert not [t for t in deleted_text if t[:40] in blob]
    # applying again finds nothing left to do
    again = service.apply(SYSTEM, FAR)
    assert again.done == [] and again.failed == [] and counts() == after


def _closed_referral_closed_on(day: date) -> Referral:
    with transaction() as s:
        r = s.exec(select(Referral).where(Referral.status == "closed").order_by(Referral.id)).first()
        s.execute(update(Referral).where(Referral.id == r.id)
                  .values(updated_at=datetime(day.year, day.month, day.day, 15, tzinfo=UTC)))
        return r


def test_referral_not_taken_forward_due_six_years_after_closure_not_a_day_before(demo_db):
    r = _closed_referral_closed_on(date(2020, 3, 1))
    assert [i.reference for i in service.due(SYSTEM, date(2026, 2, 28))] == []
    (item,) = service.due(SYSTEM, date(2026, 3, 1))
    assert (item.reference, item.trigger_on, item.due_on, item.action) == \
        (r.reference, date(2020, 3, 1), date(2026, 3, 1), "delete")
    before = counts()
    service.apply(SYSTEM, date(2026, 2, 28))
    assert counts() == before
    result = service.apply(SYSTEM, date(2026, 3, 1))
    assert [i.reference for i, _ in result.done] == [r.reference]
    assert counts()["referral"] == before["referral"] - 1 and fk_problems() == []


def test_policy_file_overrides_and_bad_policy_refused(demo_db, tmp_path, monkeypatch):
    policy = tmp_path / "retention.toml"
    policy.write_text('[referral_not_taken_forward]\nperiod = "1 day"\naction = "review"\n')
    monkeypatch.setenv("PANEL_RETENTION_POLICY", str(policy))
    items = service.due(SYSTEM, TODAY + timedelta(days=30))
    assert len(items) == 50 and {i.action for i in items} == {"review"}
    before = counts()
    result = service.apply(SYSTEM, TODAY + timedelta(days=30))
    assert len(result.flagged) == 50 and result.done == [] and counts() == before
    policy.write_text('[referral_not_taken_forward]\nperiod = "1 fortnight"\n')
    with pytest.raises(RetentionConfigError, match="not a period"):
        service.due(SYSTEM, TODAY)
    with pytest.raises(RetentionConfigError):
        service.apply(SYSTEM, TODAY)
    assert counts() == before


def test_anonymising_redacts_the_childs_initials_in_the_decision(demo_db):
    item = next(i for i in service.due(SYSTEM, FAR) if i.record_type == "referral_with_review")
    with transaction() as s:
        r = s.get(Referral, item.entity_id)
        initials = r.child_initials
        d = s.exec(select(Decision).where(Decision.referral_id == r.id)).first()
        d.rationale = f"{initials} was known to services; the panel agreed a review."
        s.add(d)
    service.apply(SYSTEM, FAR, ["referral_with_review"])
    with read_session() as s:
        d = s.exec(select(Decision).where(Decision.referral_id == item.entity_id)).first()
    assert d.rationale == "[removed] was known to services; the panel agreed a review."


def _meeting(s, held_on: date, status: str = "closed", reference: str | None = None,
             action: str = "Do it", pid: int = 1) -> tuple[int, int]:
    m = Meeting(partnership_id=pid, held_on=held_on, status=status)
    s.add(m)
    s.flush()
    mm = MeetingMember(meeting_id=m.id, name="Guest from health")
    item = AgendaItem(meeting_id=m.id, kind="other", title="Item", status="carried", reference=reference)
    s.add_all([mm, item])
    s.flush()
    s.add_all([ItemConflict(item_id=item.id, member_id=mm.id),
               Action(partnership_id=pid, meeting_item_id=item.id, text=action, owner_name="Someone", due_on=held_on)])
    return m.id, item.id


def test_old_meetings_deleted_with_their_rows_and_carried_items_kept(demo_db):
    with transaction() as s:
        old, old_item = _meeting(s, date(2019, 1, 10))
        new, _ = _meeting(s, date(2026, 11, 1))
        s.add(AgendaItem(meeting_id=new, kind="other", title="Carried", carried_from_id=old_item))
    before = counts()
    items = [i for i in service.due(SYSTEM, date(2025, 1, 10)) if i.record_type == "meeting"]
    assert [i.entity_id for i in items] == [old]
    assert [i for i in service.due(SYSTEM, date(2025, 1, 9)) if i.record_type == "meeting"] == []
    service.apply(SYSTEM, date(2025, 1, 10), ["meeting"])
    after = counts()
    assert after["meeting"] == before["meeting"] - 1
    assert after["agendaitem"] == before["agendaitem"] - 1
    assert after["meetingmember"] == before["meetingmember"] - 1
    assert after["itemconflict"] == before["itemconflict"] - 1
    assert fk_problems() == []
    with read_session() as s:
        carried = s.exec(select(AgendaItem).where(AgendaItem.title == "Carried")).one()
        assert carried.carried_from_id is None and s.get(Meeting, new) is not None
        # The action agreed at it is learning, kept: unlinked from the deleted item, with a note.
        kept = s.exec(select(Action).where(Action.text == "Do it", Action.due_on == date(2019, 1, 10))).one()
        assert (kept.meeting_item_id, kept.status, kept.version) == (None, "open", 2)
        note = s.exec(select(ActionNote).where(ActionNote.action_id == kept.id)).one()
        assert note.text.startswith("Agreed at the meeting of 10 Jan 2019, whose record was deleted")
    assert after["action"] == before["action"] and after["actionnote"] == before["actionnote"] + 1
    done = next(r for r in retention_audit() if r.entity == "meeting")
    assert '"actions_kept": 1' in done.after


def test_anonymising_redacts_the_childs_initials_in_an_action_agreed_at_a_meeting(demo_db):
    item = next(i for i in service.due(SYSTEM, FAR) if i.record_type == "referral_with_review")
    with transaction() as s:
        r = s.get(Referral, item.entity_id)
        _meeting(s, date(2026, 1, 5), reference=r.reference, action=f"Ask the GP about {r.child_initials}'s weight.",
                 pid=r.partnership_id)
    service.apply(SYSTEM, FAR, ["referral_with_review"])
    with read_session() as s:
        assert s.exec(select(Action).where(Action.text == "Ask the GP about [removed]'s weight.")).one()


def test_reminder_log_and_disabled_user(demo_db):
    with transaction() as s:
        s.add(ReminderLog(recipient="lead@example.org", digest="NB-2021-001 overdue",
                          sent_at=datetime(2020, 1, 1, tzinfo=UTC)))
        u = s.exec(select(User).where(User.username == "referrer.em")).one()
        u.is_active = False
        s.add(u)
        uid = u.id
    items = {i.record_type: i for i in service.due(SYSTEM, FAR) if i.record_type in ("reminder_log", "user_disabled")}
    assert items["user_disabled"].reference == f"user #{uid}"
    service.apply(SYSTEM, FAR, ["reminder_log", "user_disabled"])
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(ReminderLog)).one() == 0
        u = s.get(User, uid)
        assert (u.username, u.name, u.email) == (f"former-{uid}", f"Former user {uid}", "")
        assert s.exec(select(Membership).where(Membership.user_id == uid)).all() == []
    assert accounts.actor_for("referrer.em") is None
    blob = "\n".join(f"{r.after} {r.detail}" for r in retention_audit())
    assert "referrer.em" not in blob and "example.org" not in blob
    assert fk_problems() == []


def test_only_administrators(demo_db):
    for name in ("chair", "manager", "member", "referrer", "regional"):
        who = accounts.actor_for(name)
        with pytest.raises(PermissionDenied):
            service.due(who, FAR)
        with pytest.raises(PermissionDenied):
            service.apply(who, FAR)
    before = counts()
    admin = accounts.actor_for("admin")
    assert len(service.due(admin, FAR)) == len(service.due(SYSTEM, FAR))
    result = service.apply(admin, FAR, ["referral_not_taken_forward"])
    assert len(result.done) == 50
    assert all(r.username == "admin" for r in retention_audit())
    assert counts()["referral"] == before["referral"] - 50


def test_an_administrator_of_one_partnership_sees_only_its_records(demo_db):
    from panel.core.access import Actor

    nb_admin = Actor(user_id=None, username="nb-admin", name="NB admin", roles={1: frozenset({"admin"})})
    mine = service.due(nb_admin, FAR)
    assert mine and {i.partnership_id for i in mine} == {1}  # no installation-wide items either
    everyone = service.due(SYSTEM, FAR)
    assert len(mine) == len([i for i in everyone if i.partnership_id == 1])
    service.apply(nb_admin, FAR)
    assert {r.partnership_id for r in retention_audit()} == {1}


def test_a_record_changed_since_listing_is_reported_and_left(demo_db, monkeypatch):
    stale = [i for i in service.due(SYSTEM, FAR) if i.action in ("delete", "anonymise")][:4]
    service.apply(SYSTEM, FAR)
    before = counts()
    monkeypatch.setattr(service, "due", lambda *a, **k: stale)
    result = service.apply(SYSTEM, FAR)
    assert result.done == [] and len(result.failed) == 4
    assert {why for _, why in result.failed} <= {"no longer a referral not taken forward",
                                                  "already anonymised or gone"}
    assert counts() == before


def test_audit_log_deleted_only_through_the_purge_from_the_command_line(demo_db, tmp_path, monkeypatch):
    policy = tmp_path / "retention.toml"
    policy.write_text('[audit_log]\naction = "delete"\nperiod = "1 day"\n')
    monkeypatch.setenv("PANEL_RETENTION_POLICY", str(policy))
    as_of = date.today() + timedelta(days=2)  # demo audit rows are written at load time
    old = counts()["auditevent"]
    admin = accounts.actor_for("admin")
    result = service.apply(admin, as_of, ["audit_log"])
    assert result.done == [] and result.failed
    assert {why for _, why in result.failed} == {"audit rows are purged from the command line only"}
    assert counts()["auditevent"] == old
    from panel.core import audit

    if not hasattr(audit, "purge_before"):
        result = service.apply(SYSTEM, as_of, ["audit_log"])
        assert {why for _, why in result.failed} == {"this installation has no audit purge (docs/security.md)"}
        return
    result = service.apply(SYSTEM, as_of, ["audit_log"])
    assert result.failed == [] and sum(c.get("auditevent", 0) for _, c in result.done) == old
    with read_session() as s:
        (purge,) = s.exec(select(AuditEvent)).all()  # only the purge's own row is left
    assert purge.action == "audit_purge" and purge.username == "system"
