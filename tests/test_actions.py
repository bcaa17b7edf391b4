"""The action register: progress by members, closing only with evidence of impact by a chair or
manager, stale edits refused, overdue first, walls by partnership, exports and reminders.

The demo's own learning data may change; these tests add their own findings, recommendations
and actions on top of the demo's reviews, and only assert about those."""

import io
from datetime import timedelta

import openpyxl
import pytest
from sqlmodel import func, select

from panel.accounts import service as accounts
from panel.core.clock import add_working_days
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.learning import actions
from panel.models import (
    Action,
    ActionNote,
    AgendaItem,
    AuditEvent,
)
from tests.conftest import TODAY, add_multi_manager
from tests.factories import (
    EVIDENCE,
    MEETING_OWNER,
    NB_REVIEW,
    OWNER,
    Planted,
    agency_id,
    plant_learning,
    plant_meeting_action,
)


def actor(name):
    return accounts.actor_for(name)


@pytest.fixture
def planted(demo_db) -> Planted:
    return plant_learning()


def load(action_id: int) -> Action:
    with read_session() as s:
        return s.get(Action, action_id)


def count(model, *where) -> int:
    with read_session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def mine(f: actions.RegisterFilter | None = None) -> actions.RegisterFilter:
    f = f or actions.RegisterFilter()
    f.owner = OWNER
    return f


# --- closing needs evidence of impact ---------------------------------------------------------


@pytest.mark.parametrize("evidence", [
    "", "   ", "done", "Training delivered.",  # missing, or under 20 characters
    "x" * 30,  # long enough but one "word": not evidence
    "Completed as planned.",  # 21 characters, 3 words: too thin
])
def test_closing_without_evidence_of_impact_is_refused_and_nothing_changes(planted, evidence):
    before = load(planted.overdue)
    audits, notes = count(AuditEvent), count(ActionNote)
    with pytest.raises(ValidationFailed) as e:
        actions.close_action(actor("manager"), planted.overdue, evidence, before.version, TODAY)
    assert "Record the evidence that practice changed before closing" in e.value.errors["evidence_of_impact"]
    after = load(planted.overdue)
    assert (after.status, after.version, after.evidence_of_impact, after.closed_on, after.closed_by_id) == (
        before.status, before.version, None, None, None)
    assert count(AuditEvent) == audits and count(ActionNote) == notes


def test_member_records_progress_but_cannot_close(planted):
    member = actor("member")
    a = load(planted.overdue)
    actions.record_progress(member, a.id, "Audit tool agreed with the police lead.", "in_progress", a.version)
    a2 = load(a.id)
    assert a2.status == "in_progress" and a2.version == a.version + 1
    d = actions.get_action(member, a.id, TODAY)
    assert [n["text"] for n in d.notes] == ["Audit tool agreed with the police lead."]
    assert d.notes[0]["by"] == "Morgan Member"
    assert d.can_edit and not d.can_close
    with read_session() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "action_progress")).one()
    assert (row.username, row.entity_id) == ("member", a.id)
    assert '"in_progress"' in row.after and '"open"' in row.before
    with pytest.raises(PermissionDenied):
        actions.close_action(member, a.id, EVIDENCE, a2.version, TODAY)
    assert load(a.id).status == "in_progress"


@pytest.mark.parametrize("closer", ["manager", "chair"])
def test_chair_or_manager_closes_with_evidence(planted, closer):
    who = actor(closer)
    a = load(planted.amber)
    actions.record_progress(actor("member"), a.id, "All team managers briefed.", "completed", a.version)
    actions.close_action(who, a.id, f"  {EVIDENCE}  ", a.version + 1, TODAY)
    done = load(a.id)
    assert (done.status, done.evidence_of_impact, done.closed_on, done.closed_by_id) == (
        "closed", EVIDENCE, TODAY, who.user_id)
    d = actions.get_action(who, a.id, TODAY)
    assert d.notes[-1]["text"].startswith("Closed with evidence of impact:")
    assert not d.can_edit and not d.can_close and d.rag == "none"
    assert count(AuditEvent, AuditEvent.action == "action_close", AuditEvent.entity_id == a.id) == 1
    # closed actions leave the register (unless asked for) and cannot take more progress
    df, _ = actions.register(who, mine(), TODAY)
    assert a.id not in set(df["id"])
    df, _ = actions.register(who, mine(actions.RegisterFilter(statuses=("closed",))), TODAY)
    assert a.id in set(df["id"])
    with pytest.raises(ValidationFailed):
        actions.record_progress(who, a.id, "More work.", "in_progress", done.version)
    with pytest.raises(ValidationFailed):
        actions.close_action(who, a.id, EVIDENCE, done.version, TODAY)


def test_stale_version_is_refused(planted):
    a = load(planted.green)
    actions.record_progress(actor("chair"), a.id, "Guidance drafted.", "in_progress", a.version)
    audits = count(AuditEvent)
    with pytest.raises(StaleEdit):  # a form opened before the chair saved
        actions.record_progress(actor("member"), a.id, "Guidance out for comment.", "in_progress", a.version)
    with pytest.raises(StaleEdit):
        actions.close_action(actor("manager"), a.id, EVIDENCE, a.version, TODAY)
    after = load(a.id)
    assert (after.status, after.version) == ("in_progress", a.version + 1)
    assert count(ActionNote, ActionNote.action_id == a.id) == 1 and count(AuditEvent) == audits


def test_progress_needs_a_note_and_an_open_status(planted):
    a = load(planted.green)
    with pytest.raises(ValidationFailed) as e:
        actions.record_progress(actor("member"), a.id, "  ", "closed", a.version)
    assert set(e.value.errors) == {"note", "status"}
    assert load(a.id).version == a.version


# --- the register -----------------------------------------------------------------------------


def test_register_is_overdue_first_with_rag_and_walled_by_partnership(planted):
    df, total = actions.register(actor("chair"), actions.RegisterFilter(limit=1000), TODAY)
    assert set(df["partnership"]) == {"NB"} and total == len(df)
    assert list(df.columns) == actions.COLUMNS
    overdue = list(df["due"] < TODAY)
    assert overdue == sorted(overdue, reverse=True)  # every overdue action before any other
    assert planted.em_overdue not in set(df["id"]) and planted.closed not in set(df["id"])
    by_id = df.set_index("id")
    assert by_id.loc[planted.overdue, "rag"] == "red" and by_id.loc[planted.overdue, "working_days_left"] < 0
    assert by_id.loc[planted.amber, "rag"] == "amber" and by_id.loc[planted.amber, "working_days_left"] == 3
    assert by_id.loc[planted.green, "rag"] == "green"
    row = by_id.loc[planted.overdue]
    assert (row["review"], row["owner_agency"], row["owner"], row["status"]) == (
        NB_REVIEW, "Police", OWNER, "Open")
    assert row["recommendation"].startswith("Police attend every strategy meeting")
    # mine, in order: overdue, then by agency (Children's social care < Police), owner, due date
    ours = [i for i in df["id"] if i in {planted.overdue, planted.amber, planted.green}]
    assert ours == [planted.overdue, planted.amber, planted.green]

    em, _ = actions.register(actor("chair.em"), actions.RegisterFilter(limit=1000), TODAY)
    assert set(em["partnership"]) == {"EM"} and planted.em_overdue in set(em["id"])
    several, _ = actions.register(actor(add_multi_manager()), actions.RegisterFilter(limit=1000), TODAY)
    assert {planted.overdue, planted.em_overdue} <= set(several["id"])
    for nobody in ("regional", "referrer"):  # regional: anonymised learning only, no register
        empty, n = actions.register(actor(nobody), actions.RegisterFilter(), TODAY)
        assert empty.empty and n == 0
    empty, n = actions.register(actor("referrer"), actions.RegisterFilter(), TODAY)
    assert empty.empty and n == 0 and list(empty.columns) == actions.COLUMNS


def test_other_partnerships_actions_are_not_found(planted):
    audits = count(AuditEvent, AuditEvent.action == "not_found")
    for who in ("chair", "manager", "referrer"):
        with pytest.raises(NotFound):
            actions.get_action(actor(who), planted.em_overdue, TODAY)
    with pytest.raises(NotFound):
        actions.record_progress(actor("chair.em"), planted.overdue, "Not ours.", "in_progress", 1)
    with pytest.raises(NotFound):
        actions.close_action(actor("chair.em"), planted.overdue, EVIDENCE, 1, TODAY)
    with pytest.raises(NotFound):
        actions.get_action(actor("chair"), 10**9, TODAY)
    assert count(AuditEvent, AuditEvent.action == "not_found") == audits + 6
    assert load(planted.overdue).version == 1


def test_filters_pagination_and_summary(planted):
    chair = actor("chair")
    police = agency_id("Police")
    df, _ = actions.register(chair, mine(actions.RegisterFilter(agency_id=police)), TODAY)
    assert set(df["id"]) == {planted.overdue, planted.green}
    df, _ = actions.register(chair, mine(actions.RegisterFilter(overdue_only=True)), TODAY)
    assert list(df["id"]) == [planted.overdue]
    f = actions.RegisterFilter(owner="quinn TEST")
    assert set(actions.register(chair, f, TODAY)[0]["id"]) == {planted.overdue, planted.amber, planted.green}
    assert actions.register(chair, actions.RegisterFilter(owner="%"), TODAY)[1] == 0  # LIKE characters are text
    page1, total = actions.register(chair, mine(actions.RegisterFilter(limit=2)), TODAY)
    page2, _ = actions.register(chair, mine(actions.RegisterFilter(limit=2, offset=2)), TODAY)
    assert total == 3 and list(page1["id"]) + list(page2["id"]) == [planted.overdue, planted.amber, planted.green]
    assert actions.summary(chair, mine(), TODAY) == {"actions": 3, "overdue": 1, "due_soon": 1}
    assert actions.summary(actor("referrer"), mine(), TODAY) == {"actions": 0, "overdue": 0, "due_soon": 0}


def test_get_action_has_recommendation_finding_and_review(planted):
    d = actions.get_action(actor("member"), planted.overdue, TODAY)
    assert d.review_reference == NB_REVIEW and d.partnership_code == "NB" and d.owner_agency == "Police"
    assert d.recommendation.id == planted.nb_rec and d.recommendation_agencies == ["Police"]
    assert d.finding is not None and "without police" in d.finding.text
    assert d.rag == "red" and d.notes == []


def test_add_action(planted):
    police = agency_id("Police")
    with pytest.raises(ValidationFailed) as e:
        actions.add_action(actor("member"), planted.nb_rec, None, " ", "not-an-address", "", None)
    assert set(e.value.errors) == {"owner_agency_id", "owner_name", "owner_email", "text", "due_on"}
    new = actions.add_action(actor("member"), planted.nb_rec, police, "Dana Owner", "dana@example.org",
                             "Add police attendance to the strategy meeting template.", TODAY + timedelta(days=30))
    a = load(new)
    assert (a.status, a.partnership_id, a.owner_name, a.version) == ("open", load(planted.overdue).partnership_id,
                                                                      "Dana Owner", 1)
    assert count(AuditEvent, AuditEvent.action == "action_add", AuditEvent.entity_id == new) == 1
    with pytest.raises(NotFound):  # another partnership's recommendation
        actions.add_action(actor("member"), planted.em_rec, police, "Dana Owner", "", "Do something useful.",
                           TODAY)
    with pytest.raises(NotFound):
        actions.add_action(actor("referrer"), planted.nb_rec, police, "Dana Owner", "", "Do something useful.",
                           TODAY)


def test_export_neutralises_formulas_and_is_logged(planted):
    with transaction() as s:
        a = s.get(Action, planted.green)
        a.text = '=HYPERLINK("http://example.org","click")'
        a.owner_name = f"+{OWNER}"
        s.add(a)
    before = count(AuditEvent, AuditEvent.action == "export")
    data = actions.export_register(actor("manager"), actions.RegisterFilter(owner=OWNER), TODAY)
    ws = openpyxl.load_workbook(io.BytesIO(data)).active
    values = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
    assert "'=HYPERLINK(\"http://example.org\",\"click\")" in values
    assert not any(v.startswith(("=", "+", "-", "@")) for v in values)
    assert [c.value for c in ws[1]][:3] == ["Action", "Partnership", "Review or source"]
    assert ws.max_row == 1 + 3
    assert count(AuditEvent, AuditEvent.action == "export") == before + 1
    with read_session() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "export").order_by(AuditEvent.id.desc())).first()
    assert (row.entity, row.username, row.detail) == ("action", "manager", "xlsx: 3 actions")
    with pytest.raises(PermissionDenied):
        actions.export_register(actor("referrer"), actions.RegisterFilter(), TODAY)


def test_overdue_for_reminders(planted):
    with transaction() as s:  # due on the 5th and 6th working day from today
        for n, name in ((5, "Fifth Day"), (6, "Sixth Day")):
            s.add(Action(partnership_id=load(planted.overdue).partnership_id, recommendation_id=planted.nb_rec,
                         owner_agency_id=agency_id("Police"), owner_name=name, owner_email=None,
                         text=f"Due on working day {n}.", due_on=add_working_days(TODAY, n)))
    with read_session() as s:
        items = actions.overdue_for_reminders(s, TODAY)
    by_id = {i["action_id"]: i for i in items}
    assert planted.overdue in by_id and planted.amber in by_id and planted.em_overdue in by_id
    assert planted.green not in by_id and planted.closed not in by_id
    names = {i["owner_name"] for i in items}
    assert "Fifth Day" in names and "Sixth Day" not in names
    item = by_id[planted.overdue]
    assert set(item) == {"action_id", "partnership_id", "partnership", "owner_email", "owner_name", "owner_agency",
                         "reference", "what", "due_on", "status", "working_days"}
    assert (item["partnership"], item["owner_email"], item["reference"], item["status"]) == (
        "NB", "quinn@example.org", NB_REVIEW, "overdue")
    assert item["what"].startswith(f"Action {planted.overdue} for Police: Audit strategy")
    assert item["due_on"] == TODAY - timedelta(days=5) and item["working_days"] > 0
    assert by_id[planted.amber]["status"] == "due_soon" and by_id[planted.amber]["working_days"] == 3
    assert by_id[planted.em_overdue]["partnership"] == "EM"


# --- actions agreed at a meeting (docs/domain.md §6.3) -----------------------------------------


def test_meeting_actions_are_on_the_register_and_in_the_reminders_with_their_meeting(planted):
    agreed = plant_meeting_action()
    old = plant_meeting_action(agency=None, text="Check the chronology (older record).")
    f = actions.RegisterFilter(owner=MEETING_OWNER)
    df, total = actions.register(actor("chair"), f, TODAY)
    assert list(df["id"]) == [agreed, old] and total == 2  # both overdue: no agency recorded goes last
    by_id = df.set_index("id")
    assert (by_id.loc[agreed, "review"], by_id.loc[agreed, "owner_agency"], by_id.loc[agreed, "recommendation"]) == (
        "Agreed at the meeting of Mon 2 Nov 2026", "Police", "")
    assert by_id.loc[old, "owner_agency"] == "Agency not recorded" and by_id.loc[agreed, "rag"] == "red"
    assert actions.summary(actor("chair"), f, TODAY) == {"actions": 2, "overdue": 2, "due_soon": 0}
    assert actions.register(actor("chair.em"), f, TODAY)[1] == 0

    d = actions.get_action(actor("member"), agreed, TODAY)
    assert d.recommendation is None and d.finding is None and d.recommendation_agencies == []
    assert (d.source, d.meeting_item, d.owner_agency) == ("Agreed at the meeting of Mon 2 Nov 2026",
                                                         "Attendance at school", "Police")
    with read_session() as s:
        assert d.meeting_id == s.get(AgendaItem, load(agreed).meeting_item_id).meeting_id
    assert actions.get_action(actor("member"), old, TODAY).owner_agency == "Agency not recorded"

    with read_session() as s:
        items = {i["action_id"]: i for i in actions.overdue_for_reminders(s, TODAY)}
    assert (items[agreed]["reference"], items[agreed]["owner_agency"], items[agreed]["owner_email"]) == (
        "Meeting Mon 2 Nov 2026", "Police", "morgan.owner@example.org")
    assert items[agreed]["what"] == f"Action {agreed} for Police: Ask the school for its attendance records."
    assert items[old]["what"] == f"Action {old}: Check the chronology (older record)."
