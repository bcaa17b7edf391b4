"""Retention service on the demo data: what is due, applying it exactly, audit, access."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, text, update
from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.core.db import read_session, transaction
from panel.core.errors import PermissionDenied
from panel.learning.library_rules import decode, encode
from panel.models import (
    Action,
    ActionNote,
    Agency,
    AgencyRequest,
    AgendaItem,
    AuditEvent,
    Briefing,
    BriefingVersion,
    Decision,
    Document,
    DocumentHit,
    DocumentVersion,
    FamilyInvolvement,
    ItemConflict,
    LearningEvent,
    LearningEventLink,
    Meeting,
    MeetingMember,
    Membership,
    Notification,
    ParallelProcess,
    Partnership,
    Recommendation,
    Referral,
    ReferralAgency,
    ReminderLog,
    ReportDraft,
    Review,
    User,
)
from panel.retention import anonymise, service
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


def test_a_deleted_referral_takes_its_documents_and_files_but_not_a_file_another_shares(demo_db):
    from panel.documents import service as documents
    from panel.documents.service import Target
    from panel.documents.store import digest, get_store
    from tests.document_files import PNG, docx_bytes
    from tests.factories import actor

    r = _closed_referral_closed_on(date(2020, 3, 1))
    with read_session() as s:
        other = s.exec(select(Referral).where(Referral.partnership_id == r.partnership_id,
                                              Referral.id != r.id)).first()
    chair = next(u for u in ("chair", "manager") if actor(u).can("document.upload", r.partnership_id))
    own = docx_bytes(["Only on the referral being deleted."])
    documents.upload(actor(chair), Target(referral=r.reference), kind="other", title="Own", agency_id=None,
                     visibility="panel", filename="own.docx", data=own, today=TODAY)
    for ref in (r.reference, other.reference):  # the same picture on both: stored once
        documents.upload(actor(chair), Target(referral=ref), kind="other", title="Shared", agency_id=None,
                         visibility="panel", filename="p.png", data=PNG, today=TODAY)
    store = get_store()
    assert store.exists(digest(own)) and store.exists(digest(PNG))
    result = service.apply(SYSTEM, date(2026, 3, 1), ["referral_not_taken_forward"])
    ((item, changed),) = result.done
    assert item.reference == r.reference and result.failed == []
    assert changed["documents"] == 2 and changed["document files"] == 1
    with read_session() as s:
        left = s.exec(select(Document.referral_id).where(Document.referral_id.is_not(None))).all()
    assert left == [other.id] and fk_problems() == []
    assert not store.exists(digest(own)) and store.exists(digest(PNG))


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
        assert note.text.startswith("Agreed at the meeting of Thu 10 Jan 2019, whose record was deleted")
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


class _RolledBack(Exception):
    pass


def _redactions_without_learning(rid: int) -> int:
    """What anonymising the case redacts before the test adds its learning: run, then rolled back."""
    try:
        with transaction() as s:
            n = anonymise.anonymise_case(s, rid)["texts_redacted"]
            raise _RolledBack
    except _RolledBack:
        return n


def test_anonymising_reaches_the_cases_briefings_learning_events_and_action_follow_up(demo_db):
    item = next(i for i in service.due(SYSTEM, FAR) if i.record_type == "referral_with_review")
    with transaction() as s:
        r = s.get(Referral, item.entity_id)
        r.child_dob = date(2019, 3, 14)
        s.add(r)
        ini, pid = r.child_initials, r.partnership_id
        rv = s.exec(select(Review).where(Review.referral_id == r.id)).first()
        other = s.exec(select(Partnership.id).where(Partnership.id != pid)).first()
    base = _redactions_without_learning(item.entity_id)
    with transaction() as s:
        b = Briefing(partnership_id=pid, review_id=rv.id, title=f"Learning from {ini}'s case")
        elsewhere = Briefing(partnership_id=other, title=f"Learning from {ini}'s case")
        rec = Recommendation(partnership_id=pid, review_id=rv.id, text=f"Share {ini}'s plan.", recorded_on=TODAY)
        s.add_all([b, elsewhere, rec])
        s.flush()
        draft = encode(f"Learning from {ini}'s case", {"background": f"{ini} was born on 14/03/2019.",
                                                       "why_it_matters": f"Nobody asked {ini}."})
        published = encode("Learning from Child X", {"background": f"Child X ({ini}) was not seen."})
        untouched = encode(f"Learning from {ini}'s case", {"background": f"{ini} was born on 14/03/2019."})
        act = Action(partnership_id=pid, recommendation_id=rec.id, owner_name="Named nurse", text="Re-audit.",
                     due_on=TODAY, follow_up_result=f"The re-audit found {ini}'s school now shares.",
                     carried_reason=f"{ini}'s case moved area.")
        events = [LearningEvent(partnership_id=pid, held_on=TODAY, kind="bitesize", topic=f"What {ini}'s case taught us",
                                audience=f"Teachers of {ini}"),
                  LearningEvent(partnership_id=pid, held_on=TODAY, kind="bitesize", topic=f"Briefing on {ini}"),
                  LearningEvent(partnership_id=pid, held_on=TODAY, kind="bitesize", topic=f"Acting on {ini}'s plan"),
                  LearningEvent(partnership_id=other, held_on=TODAY, kind="bitesize", topic=f"Briefing on {ini}")]
        s.add_all([BriefingVersion(briefing_id=b.id, version_no=1, status="draft", sections=draft),
                   BriefingVersion(briefing_id=b.id, version_no=2, status="published", sections=published),
                   BriefingVersion(briefing_id=elsewhere.id, version_no=1, status="published", sections=untouched),
                   act, *events])
        s.flush()
        s.add(ActionNote(action_id=act.id, text=f"Spoke to {ini}'s school."))
        s.add_all(LearningEventLink(event_id=e.id, entity=entity, entity_id=i) for e, (entity, i) in
                  zip(events, (("review", rv.id), ("briefing", b.id), ("recommendation", rec.id)), strict=False))
        ids = {"b": b.id, "elsewhere": elsewhere.id, "act": act.id, "events": [e.id for e in events]}
    service.apply(SYSTEM, FAR, ["referral_with_review"])
    with read_session() as s:
        assert s.get(Briefing, ids["b"]).title == "Learning from [removed]'s case"
        versions = {v.version_no: v for v in s.exec(select(BriefingVersion).where(BriefingVersion.briefing_id == ids["b"]))}
        assert {n: v.status for n, v in versions.items()} == {1: "draft", 2: "published"}  # nothing deleted
        title, sections = decode(versions[1].sections)
        assert (title, sections["background"], sections["why_it_matters"]) == (
            "Learning from [removed]'s case", "[removed] was born on [removed].", "Nobody asked [removed].")
        assert decode(versions[2].sections)[1]["background"] == "Child X ([removed]) was not seen."
        assert [(e.topic, e.audience) for e in (s.get(LearningEvent, i) for i in ids["events"])] == [
            ("What [removed]'s case taught us", "Teachers of [removed]"), ("Briefing on [removed]", None),
            ("Acting on [removed]'s plan", None), (f"Briefing on {ini}", None)]
        a = s.get(Action, ids["act"])
        assert (a.follow_up_result, a.carried_reason) == ("The re-audit found [removed]'s school now shares.",
                                                          "[removed]'s case moved area.")
        assert s.exec(select(ActionNote.text).where(ActionNote.action_id == a.id)).one() == "Spoke to [removed]'s school."
        # Another partnership's briefing naming the same initials is not this case's: untouched.
        assert s.get(Briefing, ids["elsewhere"]).title == f"Learning from {ini}'s case"
        assert s.exec(select(BriefingVersion.sections).where(BriefingVersion.briefing_id == ids["elsewhere"])).one() == untouched
    done = next(a for a in retention_audit() if a.entity == "referral" and a.entity_id == item.entity_id)
    # briefing title 1, draft 3 (title, two sections), published 1, events 4, recommendation 1,
    # action 2, note 1
    assert json.loads(done.after)["changed"]["texts_redacted"] == base + 13
    assert "14/03/2019" not in done.after


def test_anonymising_reaches_what_was_recorded_while_running_the_cases_review(demo_db):
    item = next(i for i in service.due(SYSTEM, FAR) if i.record_type == "referral_with_review")
    with transaction() as s:
        r = s.get(Referral, item.entity_id)
        ini, pid, ref = r.child_initials, r.partnership_id, r.reference
        rv = s.exec(select(Review).where(Review.referral_id == r.id)).first()
        agency = Agency(name="Test agency for retention", kind="other")
        m = Meeting(partnership_id=pid, held_on=date(2026, 1, 5), status="open")
        doc = Document(partnership_id=pid, review_id=rv.id, kind="agency_report", title=f"{ini} chronology")
        s.add_all([agency, m, doc])
        s.flush()
        version = DocumentVersion(document_id=doc.id, filename="c.docx", content_type="application/msword", size=1,
                                  sha256="0" * 64, note=f"Second draft about {ini}.")
        rows = [ParallelProcess(review_id=rv.id, kind="inquest", next_event=f"Inquest into {ini}",
                                outcome=f"{ini}: narrative verdict"),
                FamilyInvolvement(review_id=rv.id, family_member="Mother", event="met", happened_on=TODAY,
                                  note=f"Mother spoke about {ini}."),
                AgencyRequest(review_id=rv.id, agency_id=agency.id, kind="agency_summary", requested_on=TODAY,
                              due_on=TODAY, summary=f"{ini} was known to us."),
                ReportDraft(review_id=rv.id, kind="terms_of_reference",
                            sections=json.dumps([{"key": "scope", "heading": "Scope", "text": f"{ini}'s last year."}])),
                AgendaItem(meeting_id=m.id, kind="referral", reference=ref, title=f"{ref} ({ini})",
                           summary=f"The panel discussed {ini}."),
                version]
        s.add_all(rows)
        s.flush()
        s.add(DocumentHit(version_id=version.id, location="page 1", identifier="initials",
                          excerpt=f"... {ini} was seen ...", status="accepted", reason=f"{ini} is a school's name"))
        keys = [(type(x), x.id) for x in rows] + [(Document, doc.id)]
    service.apply(SYSTEM, FAR, ["referral_with_review"])
    with read_session() as s:
        p, f, a, d, item_, v = (s.get(model, i) for model, i in keys[:6])
        assert (p.next_event, p.outcome) == ("Inquest into [removed]", "[removed]: narrative verdict")
        assert (f.note, a.summary) == ("Mother spoke about [removed].", "[removed] was known to us.")
        assert json.loads(d.sections) == [{"heading": "Scope", "key": "scope", "text": "[removed]'s last year."}]
        assert (item_.title, item_.summary) == (f"{ref} ([removed])", "The panel discussed [removed].")
        assert (s.get(Document, keys[6][1]).title, v.note) == ("[removed] chronology", "Second draft about [removed].")
        hit = s.exec(select(DocumentHit).where(DocumentHit.version_id == v.id)).one()
        assert (hit.excerpt, hit.reason) == ("... [removed] was seen ...", "[removed] is a school's name")


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
