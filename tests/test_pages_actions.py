"""The action register and 7-minute briefing pages, per role, through Streamlit's AppTest.

Pages run directly (AppTest.from_file) with the signed-in actor put in the session, as app.py
does; the learning rows are planted by the tests on top of the demo's reviews."""

from pathlib import Path

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.core.db import read_session
from panel.models import Action, ActionNote, AgendaItem, AuditEvent, Referral, Review
from tests.apptest import shown, signed_in, texts
from tests.factories import EVIDENCE, OWNER, plant_learning, plant_meeting_action

ROOT = Path(__file__).resolve().parent.parent
BRIEF_REF = "NB-2022-003-R1"


def page(path: str, username: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / path), default_timeout=60)
    at.session_state["actor"] = accounts.actor_for(username)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def load(action_id):
    with read_session() as s:
        return s.get(Action, action_id)


def button(at, label):
    return next(b for b in at.button if b.label == label)


def open_action(at, action_id):
    """Open by link (?id=), as the review page and e-mail digests do: the demo register holds
    about a thousand actions, so a planted one need not be on the register's first page."""
    at.query_params["id"] = str(action_id)
    at.run()
    at.selectbox(key="act_open").set_value(action_id).run()
    assert not at.exception, at.exception
    return at


# --- action register --------------------------------------------------------------------------


def _register(at):
    """The register's table: the demo's follow-ups due, when any, are a table above it."""
    return next(d.value for d in at.dataframe if "rag" in getattr(d.value, "data", d.value))


@pytest.mark.parametrize("username", ["chair", "member", "manager"])
def test_panel_roles_see_their_partnerships_register_overdue_first(demo_db, username):
    planted = plant_learning()
    at = page("pages/actions.py", username)
    df = _register(at)
    df = getattr(df, "data", df)  # a Styler in some versions
    assert set(df["partnership"]) == {"NB"} and planted.em_overdue not in set(df["id"])
    overdue = list(df["rag"] == "Overdue")
    assert overdue == sorted(overdue, reverse=True)
    assert "Overdue" in set(df["rag"]) and planted.overdue in set(df["id"])
    assert [m.label for m in at.metric][:3] == ["Actions", "Overdue", "Due within 10 working days"]
    assert [b.proto.label for b in at.get("download_button")] == ["Export Excel"]
    assert "Open an action" in [s.label for s in at.selectbox]


def test_filters_and_empty_state(demo_db):
    plant_learning()
    at = page("pages/actions.py", "chair")
    at.text_input(key="act_owner").input("quinn").run()
    df = _register(at)
    df = getattr(df, "data", df)
    assert set(df["owner"]) == {OWNER} and len(df) == 3
    assert list(df["rag"]) == ["Overdue", "Due soon", "On track"]
    at.toggle(key="act_overdue").set_value(True).run()
    df = _register(at)
    df = getattr(df, "data", df)
    assert len(df) == 1 and list(df["rag"]) == ["Overdue"]
    at.text_input(key="act_owner").input("nobody by this name").run()
    assert "No actions match" in texts(at) and not at.dataframe


def test_member_records_progress_but_has_no_close_form(demo_db):
    planted = plant_learning()
    at = open_action(page("pages/actions.py", "member"), planted.overdue)
    assert "Action" in at.header[0].value and "Police" in at.header[0].value
    assert "Audit strategy meeting attendance." in [t.value for t in at.text]
    labels = [b.label for b in at.button]
    assert "Record progress" in labels and "Close action" not in labels
    assert "business manager closes an action" in texts(at)
    # a note is required: the message sits beside the field and nothing is saved
    button(at, "Record progress").click().run()
    assert any("Write a progress note" in e.value for e in at.error)
    assert load(planted.overdue).version == 1
    at.text_area(key=f"act_{planted.overdue}_note").input("Audit tool agreed with the police lead.")
    at.radio(key=f"act_{planted.overdue}_status").set_value("in_progress")
    button(at, "Record progress").click().run()
    assert not at.exception and not at.error
    a = load(planted.overdue)
    assert (a.status, a.version) == ("in_progress", 2)
    notes = at.dataframe[-1].value
    assert list(notes["note"]) == ["Audit tool agreed with the police lead."]
    assert list(notes["by"]) == ["Morgan Member"]


@pytest.mark.parametrize("username", ["manager", "chair"])
def test_chair_and_manager_close_only_with_evidence(demo_db, username):
    planted = plant_learning()
    at = open_action(page("pages/actions.py", username), planted.green)
    at.text_area(key=f"act_{planted.green}_evidence").input("Done.")
    button(at, "Close action").click().run()
    assert any("Record the evidence that practice changed before closing" in e.value for e in at.error)
    assert load(planted.green).status == "open"
    at.text_area(key=f"act_{planted.green}_evidence").input(EVIDENCE)
    button(at, "Close action").click().run()
    assert not at.exception
    a = load(planted.green)
    assert (a.status, a.evidence_of_impact) == ("closed", EVIDENCE)
    at.run()  # the closed action stays open on the page by its picker, now read-only
    assert "Closed on" in texts(at) and EVIDENCE in [t.value for t in at.text]
    assert not [b for b in at.button if b.label in ("Close action", "Record progress")]


def test_a_stale_form_says_so(demo_db):
    planted = plant_learning()
    at = open_action(page("pages/actions.py", "manager"), planted.amber)
    from panel.learning import actions
    actions.record_progress(accounts.actor_for("member"), planted.amber, "Somebody else saved first.",
                            "in_progress", 1)
    at.text_area(key=f"act_{planted.amber}_evidence").input(EVIDENCE)
    button(at, "Close action").click().run()
    assert any("changed by someone else" in e.value for e in at.error)
    assert load(planted.amber).status == "in_progress"


def test_other_partnerships_action_by_link_is_not_found(demo_db):
    planted = plant_learning()
    at = page("pages/actions.py", "chair", query={"id": str(planted.em_overdue)})
    assert any("No action with that number" in e.value for e in at.error)
    at = page("pages/actions.py", "chair.em", query={"id": str(planted.em_overdue)})
    assert "Eastmere: audit attendance." in [t.value for t in at.text]


def test_a_meeting_action_shows_its_meeting_and_links_to_its_agenda_and_minutes(demo_db):
    agreed, old = plant_meeting_action(), plant_meeting_action(agency=None, text="Check the chronology.")
    at = signed_in("member", "pages/actions.py", {"id": str(agreed)})
    with read_session() as s:
        meeting_id = s.get(AgendaItem, s.get(Action, agreed).meeting_item_id).meeting_id
    links = {shown(el.proto.label): el.proto for el in at.get("page_link")}
    link = links["Agreed at the meeting of Mon 2 Nov 2026: agenda and minutes"]
    assert link.page == "meeting" and f"meeting={meeting_id}" in link.query_string
    page_text = texts(at)
    assert "Attendance at school" in page_text and "Recommendation" not in page_text
    assert "Ask the school for its attendance records." in [x.value for x in at.text]
    at = signed_in("member", "pages/actions.py", {"id": str(old)})
    assert f"Action {old} · Agency not recorded · NB" in texts(at)


def test_referrer_sees_an_empty_state_on_both_pages(demo_db):
    plant_learning()
    for path in ("pages/actions.py", "pages/briefing.py"):
        at = page(path, "referrer")
        assert not at.dataframe and not at.text_area and not at.get("download_button")
        assert at.info and ("no actions" in at.info[0].value or "no reviews" in at.info[0].value)


# --- 7-minute briefing ------------------------------------------------------------------------


def exports():
    with read_session() as s:
        return s.exec(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "export")).one()


def child_of(ref):
    with read_session() as s:
        rv = s.exec(select(Review).where(Review.reference == ref)).one()
        return s.get(Referral, rv.referral_id)


@pytest.mark.parametrize("username", ["chair", "member", "manager"])
def test_briefing_page_drafts_seven_sections_and_passes_the_draft(demo_db, username):
    before = exports()
    at = page("pages/briefing.py", username, query={"ref": BRIEF_REF})
    assert shown(at.header[0].value) == "7-minute briefing: Rapid review (2022)"
    assert [t.label for t in at.text_area] == [
        "1. Background", "2. Why it matters", "3. Key findings", "4. Key findings (continued)",
        "5. Key findings (continued)", "6. Things to remember", "7. What to do: reflective questions"]
    assert "Child X" in at.text_area[0].value
    assert any("No initials, date of birth or names" in s.value for s in at.success)
    dl = at.get("download_button")
    assert [b.proto.label for b in dl] == ["Download briefing (Word)"] and not dl[0].proto.disabled
    assert exports() == before  # nothing is exported until the button is clicked


def test_briefing_warns_on_identifiers_and_download_waits_for_the_tick(demo_db):
    r = child_of(BRIEF_REF)
    at = page("pages/briefing.py", "chair")
    at.selectbox(key="brief_ref").set_value(BRIEF_REF).run()
    at.text_area(key=f"brief_{BRIEF_REF}_key_findings_2").input(
        f"{r.child_initials} was born on {r.child_dob:%d %B %Y}.").run()
    warnings = [shown(w.value) for w in at.warning]
    assert any("2 possible identifier(s)" in w for w in warnings)
    assert any("4. Key findings (continued)" in w and "initials" in w for w in warnings)
    assert any("date of birth" in w for w in warnings)
    assert at.get("download_button")[0].proto.disabled
    at.checkbox[0].check().run()
    assert at.checkbox[0].label == "I have checked the anonymisation warnings"
    assert not at.get("download_button")[0].proto.disabled
    # a new identifier asks for the tick again
    at.text_area(key=f"brief_{BRIEF_REF}_key_findings_3").input(f"{r.child_initials} moved school.").run()
    assert any("3 possible identifier(s)" in w.value for w in at.warning)
    assert not at.checkbox[0].value and at.get("download_button")[0].proto.disabled
    # fixing the text clears the warnings
    at.text_area(key=f"brief_{BRIEF_REF}_key_findings_2").input("Child X was not seen alone.")
    at.text_area(key=f"brief_{BRIEF_REF}_key_findings_3").input("Child X moved school.").run()
    assert not at.warning and any("No initials" in s.value for s in at.success)


def test_briefing_for_another_partnerships_review_is_not_found(demo_db):
    at = page("pages/briefing.py", "chair.em", query={"ref": BRIEF_REF})
    assert any("No review with that reference" in e.value for e in at.error)
    assert not at.text_area


def test_notes_table_is_empty_before_progress(demo_db):
    planted = plant_learning()
    at = open_action(page("pages/actions.py", "chair"), planted.overdue)
    assert "No progress recorded yet." in texts(at)
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(ActionNote)
                      .where(ActionNote.action_id == planted.overdue)).one() == 0


def test_an_action_opened_by_link_comes_before_the_register(demo_db):
    agreed = plant_meeting_action()
    at = page("pages/actions.py", "chair", query={"id": str(agreed)})
    folded = {e.label: e.proto.expanded for e in at.expander}
    register = [label for label in folded if label.startswith("The register (")]
    assert folded["Filters"] is False and len(register) == 1 and folded[register[0]] is False
    # no review to close: carrying it is worded for a meeting's action
    assert "When someone else goes on with this action: name who takes it on" in texts(at)
    assert "When the review closes" not in texts(at)
    plain = {e.label: e.proto.expanded for e in page("pages/actions.py", "chair").expander}
    assert plain["Filters"] is True and not [label for label in plain if label.startswith("The register (")]
