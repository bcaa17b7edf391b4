"""The referral services: partnership walls, the referrer's narrow view, one-transaction writes."""

import io
import threading
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func
from sqlmodel import select

from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.core.errors import AlreadySaved, NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.models import AuditEvent, Referral, ReferralLink
from panel.referrals import service as referrals
from tests.conftest import TODAY


def actor(name):
    return accounts.actor_for(name)


def count(model, *where):
    with read_session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def form(**overrides):
    agencies = {a.name: a.id for a in agency_service.list_agencies(SYSTEM)}
    data = {
        "received_on": TODAY, "aware_on": date(2026, 11, 20), "incident_date": date(2026, 11, 19),
        "referrer_name": "Named nurse", "referrer_agency_id": agencies["Acute hospital trust"],
        "identified_by": "staff_partner_community", "child_initials": "QZ", "child_age_years": 1,
        "child_sex": "male", "child_ethnicity": "mixed",
        "incident_summary": "Baby admitted with bruising to the face and an unexplained fracture.",
        "harm": "serious_harm", "abuse_or_neglect": "suspected", "location": "in_area",
        "agencies_involved": [agencies["Police"]],
    }
    data.update(overrides)
    return data


def nb_id():
    return next(p.id for p in accounts.partnerships(actor("chair"), "referral.read"))


def test_queue_is_ordered_by_the_statutory_clock_and_walled_by_partnership(demo_db):
    df, total = referrals.queue(actor("chair"), referrals.QueueFilter(), TODAY)
    assert total == len(df) == 9
    assert set(df["partnership"]) == {"NB"}
    running = [d for d in df["notification_due"] if d is not None]
    assert running and list(df["notification_due"])[: len(running)] == sorted(running)  # no clock: after
    em_df, _ = referrals.queue(actor("chair.em"), referrals.QueueFilter(), TODAY)
    assert set(em_df["partnership"]) == {"EM"}
    assert not set(em_df["reference"]) & set(df["reference"])


def test_queue_filters(demo_db):
    chair = actor("chair")
    died, _ = referrals.queue(chair, referrals.QueueFilter(harm=("died",)), TODAY)
    assert len(died) and set(died["harm"]) == {"died"}
    one, total = referrals.queue(chair, referrals.QueueFilter(reference="nb-2026-01"), TODAY)
    assert total >= 1 and all(r.startswith("NB-2026-01") for r in one["reference"])
    everything, all_total = referrals.queue(chair, referrals.QueueFilter(statuses=()), TODAY)
    assert all_total > 40  # five years of history
    # Asking for another partnership's id yields nothing, not their data.
    em = actor("chair.em")
    em_pid = em.partnerships_with("referral.read")[0]
    _, leaked = referrals.queue(chair, referrals.QueueFilter(partnership_ids=[em_pid]), TODAY)
    assert leaked == 0


def test_other_partnership_cannot_read_or_change_and_the_attempt_is_audited(demo_db):
    ref = referrals.queue(actor("chair"), referrals.QueueFilter(), TODAY)[0].iloc[0]["reference"]
    before = count(AuditEvent, AuditEvent.action == "not_found")
    with pytest.raises(NotFound):
        referrals.get_referral(actor("chair.em"), ref, TODAY)
    with pytest.raises(NotFound):
        referrals.triage(actor("member.em"), ref, "accept", "", 1)
    assert count(AuditEvent, AuditEvent.action == "not_found") == before + 2
    with pytest.raises(NotFound):
        referrals.get_referral(actor("chair"), "NB-1999-999", TODAY)


def test_referrer_sees_only_their_own(demo_db):
    referrer = actor("referrer")
    pid = referrer.partnerships_with("referral.submit")[0]
    mine = referrals.submit(referrer, pid, form(), TODAY)
    listed = referrals.my_referrals(referrer, TODAY)
    assert mine.reference in set(listed["reference"])
    d = referrals.get_referral(referrer, mine.reference, TODAY)
    assert not d.full_view and d.history == [] and d.links == []
    assert set(referrals.detail_record(d)) == {"reference", "status", "status_note", "received_on"}
    with read_session() as s:
        others = s.exec(select(Referral.reference).where(
            Referral.partnership_id == pid, Referral.submitted_by_id.is_(None))).first()
    with pytest.raises(NotFound):
        referrals.get_referral(referrer, others, TODAY)
    _, total = referrals.queue(referrer, referrals.QueueFilter(), TODAY)
    assert total == 0
    with pytest.raises(NotFound):
        referrals.triage(referrer, others, "accept", "", 1)
    with pytest.raises(PermissionDenied):
        referrals.triage(referrer, mine.reference, "accept", "", 1)


def test_submit_writes_referral_agencies_and_audit_in_one_go(demo_db):
    chair = actor("chair")
    pid = nb_id()
    before = count(Referral)
    result = referrals.submit(chair, pid, form(), TODAY)
    assert result.reference.startswith("NB-2026-")
    assert count(Referral) == before + 1
    assert count(AuditEvent, AuditEvent.action == "create", AuditEvent.entity_id == result.referral_id) == 1
    again = referrals.submit(chair, pid, form(child_initials="ZZ"), TODAY)
    assert int(again.reference[-3:]) == int(result.reference[-3:]) + 1


def test_bad_input_writes_nothing(demo_db):
    chair = actor("chair")
    before = (count(Referral), count(AuditEvent))
    with pytest.raises(ValidationFailed) as e:
        referrals.submit(chair, nb_id(), form(child_initials="Alice Smith", harm=None), TODAY)
    assert set(e.value.errors) == {"child_initials", "harm"}
    with pytest.raises(ValidationFailed) as e:
        referrals.submit(chair, 999, form(), TODAY)
    assert "partnership_id" in e.value.errors
    assert (count(Referral), count(AuditEvent)) == before


def test_duplicates_offered_to_the_panel_not_to_referrers(demo_db):
    chair = actor("chair")
    pid = nb_id()
    first = referrals.submit(chair, pid, form(child_dob=date(2025, 6, 1), child_age_years=None), TODAY)
    dupes = referrals.possible_duplicates(chair, pid, form(child_dob=date(2025, 6, 1), child_age_years=None,
                                                           incident_date=date(2026, 11, 1)), TODAY)
    assert [d["reference"] for d in dupes] == [first.reference]
    assert referrals.possible_duplicates(actor("referrer"), pid, form(child_dob=date(2025, 6, 1), child_age_years=None), TODAY) == []
    sibling = referrals.submit(chair, pid, form(child_initials="QY"), TODAY, link_to=[(first.referral_id, "sibling")])
    assert count(ReferralLink, ReferralLink.referral_id == sibling.referral_id) == 1
    d = referrals.get_referral(chair, first.reference, TODAY)
    assert [link["reference"] for link in d.links] == [sibling.reference]


def test_triage_checks_version_note_and_role(demo_db):
    chair, member = actor("chair"), actor("member")
    ref = referrals.submit(chair, nb_id(), form(), TODAY).reference
    with pytest.raises(ValidationFailed) as e:
        referrals.triage(member, ref, "close", "  ", 1)
    assert "note" in e.value.errors
    assert referrals.triage(member, ref, "request_information", "Send the GP records", 1) == "awaiting_information"
    with pytest.raises(StaleEdit):  # chair opened the form at version 1
        referrals.triage(chair, ref, "accept", "", 1)
    assert referrals.triage(chair, ref, "accept", "", 2) == "accepted"
    with pytest.raises(PermissionDenied):
        referrals.triage(actor("manager"), ref, "close", "no", 3)
    d = referrals.get_referral(chair, ref, TODAY)
    assert d.referral.status == "accepted" and d.can_screen
    assert [e.action for e in d.history if e.action != "view"][:3] == ["triage", "triage", "create"]


def test_export_neutralises_formulas_and_is_logged(demo_db):
    chair = actor("chair")
    referrals.submit(chair, nb_id(), form(referrer_name="=HYPERLINK(\"http://x\")"), TODAY)
    before = count(AuditEvent, AuditEvent.action == "export")
    f = referrals.QueueFilter()
    csv = referrals.export_queue(chair, f, TODAY, "csv").decode("utf-8-sig")
    assert "NB-2026-" in csv
    xlsx = referrals.export_queue(chair, f, TODAY, "xlsx")
    ws = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    values = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert values and not any(v.startswith(("=", "+", "-", "@")) for v in values)
    assert count(AuditEvent, AuditEvent.action == "export") == before + 2
    with pytest.raises(PermissionDenied):
        referrals.export_queue(actor("referrer"), f, TODAY, "csv")


def test_notified_referrals_leave_the_clock_and_sink_below_the_unnotified(demo_db):
    from panel.screening import service as screening

    chair = actor("chair")
    df, _ = referrals.queue(chair, referrals.QueueFilter(), TODAY)
    accepted = df[(df["status"] == "Accepted for screening") & (df["rag"] != "done")].iloc[0]["reference"]
    bodies = [n.body for n in screening.screen(chair, accepted, TODAY).notifications]
    screening.record_notification(chair, accepted, bodies[0], TODAY, "CIN-1", TODAY)
    if len(bodies) > 1:  # one body told, another still owed: its clock still runs
        row = referrals.queue(chair, referrals.QueueFilter(), TODAY)[0].set_index("reference").loc[accepted]
        assert row["rag"] != "done" and row["notified_on"] == TODAY
    for body in bodies[1:]:
        screening.record_notification(chair, accepted, body, TODAY, "CIN-1", TODAY)
    after, _ = referrals.queue(chair, referrals.QueueFilter(), TODAY)
    row = after[after["reference"] == accepted].iloc[0]
    assert row["rag"] == "done" and row["notified_on"] == TODAY and row["notification_due"] is None
    waiting = after[after["rag"] != "done"]
    running = [d for d in waiting["notification_due"] if d is not None]
    assert list(waiting["notification_due"])[: len(running)] == sorted(running)
    assert after.index[after["reference"] == accepted][0] > waiting.index.max()


def test_references_keep_counting_past_999(demo_db):
    """A partnership's thousandth referral of a year gets -1000, not a clash with -999."""
    from panel.core.db import transaction

    chair, pid = actor("chair"), nb_id()
    first = referrals.submit(chair, pid, form(), TODAY)
    with transaction() as s:
        proto = s.exec(select(Referral).where(Referral.reference == first.reference)).one()
        data = proto.model_dump(exclude={"id", "reference"})
        s.add(Referral(**data, reference="NB-2026-999"))
    assert referrals.submit(chair, pid, form(child_initials="ZA"), TODAY).reference == "NB-2026-1000"
    assert referrals.submit(chair, pid, form(child_initials="ZB"), TODAY).reference == "NB-2026-1001"


# --- one-time form tokens -------------------------------------------------------------------

TOKEN = "form-token-0123456789abcdef"


def test_the_same_form_token_twice_makes_one_referral_and_answers_with_its_reference(demo_db):
    chair = actor("chair")
    before = count(Referral)
    first = referrals.submit(chair, nb_id(), form(), TODAY, submission_token=TOKEN)
    with pytest.raises(AlreadySaved) as e:
        referrals.submit(chair, nb_id(), form(), TODAY, submission_token=TOKEN)
    assert e.value.reference == first.reference and str(e.value) == f"Already saved: {first.reference}"
    # A resend of the cleared form gets the same answer, not "enter the child's initials".
    with pytest.raises(AlreadySaved):
        referrals.submit(chair, nb_id(), {}, TODAY, submission_token=TOKEN)
    assert count(Referral) == before + 1
    # Another user presenting that token learns nothing about the referral.
    with pytest.raises(ValidationFailed) as e:
        referrals.submit(actor("member"), nb_id(), form(), TODAY, submission_token=TOKEN)
    assert first.reference not in str(e.value)
    # Without a token, or with a new one, each call is a new referral.
    referrals.submit(chair, nb_id(), form(), TODAY)
    referrals.submit(chair, nb_id(), form(), TODAY, submission_token=TOKEN + "x")
    assert count(Referral) == before + 3


def test_two_concurrent_submissions_of_one_form_make_one_referral(demo_db):
    """Both calls start together (a barrier); the unique token decides, on either engine."""
    chair, pid = actor("chair"), nb_id()
    before = count(Referral)
    for n in range(3):
        token = f"concurrent-token-{n:04d}-abcdef"
        gate = threading.Barrier(2)
        outcomes: list = []

        def press(gate=gate, outcomes=outcomes, token=token):
            gate.wait()
            try:
                outcomes.append(referrals.submit(chair, pid, form(), TODAY, submission_token=token).reference)
            except AlreadySaved as e:
                outcomes.append(("already", e.reference))
            except Exception as e:  # noqa: BLE001  (reported by the assertion below)
                outcomes.append(e)

        threads = [threading.Thread(target=press) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        saved = [o for o in outcomes if isinstance(o, str)]
        assert len(saved) == 1 and outcomes.count(("already", saved[0])) == 1, outcomes
        assert count(Referral, Referral.submission_token == token) == 1
    assert count(Referral) == before + 3
