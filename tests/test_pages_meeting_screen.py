"""AppTest of meeting mode, the meeting page's layout for the shared screen (docs/domain.md §6.3):
entering and leaving it (kept in the address), one item at a time with its bounds, no editing
form but the chair's decision, none for a member, the decision the meeting page then shows, and
child identifiers hidden whatever the user's own presentation setting."""

from __future__ import annotations

from sqlmodel import select

from panel.accounts import service as accounts
from panel.core.db import read_session
from panel.meetings import attendance as meeting_attendance
from panel.meetings import service as svc
from panel.models import Agency
from panel.reviews import types_service as review_types
from panel.screening import service as screening
from tests.apptest import press, shown, signed_in, texts
from tests.conftest import TODAY
from tests.factories import AgendaCases, empty_nb, meeting_with_cases

SIDEBAR_HIDDEN = '[data-testid="stSidebar"]'


def _quorate() -> AgendaCases:
    """The three items' meeting, with one present from each statutory partner."""
    empty_nb()
    c = meeting_with_cases()
    chair = accounts.actor_for("chair")
    with read_session() as s:
        kinds = {a.kind: a.id for a in s.exec(select(Agency))}
    for kind in ("local_authority", "police", "health"):
        meeting_attendance.add_guest(chair, c.meeting_id, f"Guest from {kind.replace('_', ' ')}", kinds[kind])
    for mm in svc.get_meeting(chair, c.meeting_id).members:
        meeting_attendance.set_attendance(chair, c.meeting_id, mm.id, "present")
    return c


def _screen(at) -> bool:
    return any(SIDEBAR_HIDDEN in (h.proto.body or "") for h in at.get("html"))


def _labels(at) -> set[str]:
    return {b.label for b in at.button}


def test_the_chair_enters_meeting_mode_and_leaves_it_and_a_reload_keeps_it(db):
    c = _quorate()
    at = signed_in("chair", "pages/meeting.py", {"meeting": str(c.meeting_id)})
    assert not _screen(at) and "Meeting mode" in _labels(at)
    press(at, "Meeting mode")
    assert _screen(at) and at.query_params["mode"] == "screen"
    assert "Leave meeting mode" in _labels(at) and not at.tabs
    assert "Item 1 of 3" in texts(at)
    press(at, "Next item")
    assert at.query_params["item"] == "2"

    again = signed_in("chair", "pages/meeting.py", {"meeting": str(c.meeting_id), "mode": "screen", "item": "2"})
    assert _screen(again) and "Item 2 of 3" in texts(again)  # a reload opens the same item

    press(at, "Leave meeting mode")
    assert not _screen(at) and "mode" not in at.query_params and "item" not in at.query_params
    assert [t.label for t in at.tabs][:1] == ["Items"]
    assert "Meeting mode" in _labels(at)


def test_previous_and_next_stop_at_the_ends(db):
    c = _quorate()
    titles = [it.title for it in svc.get_meeting(accounts.actor_for("chair"), c.meeting_id).items]
    at = signed_in("chair", "pages/meeting.py", {"meeting": str(c.meeting_id), "mode": "screen"})

    def button(label: str):
        return next(b for b in at.button if b.label == label)

    assert button("Previous item").disabled and not button("Next item").disabled
    assert shown(at.title[-1].value) == titles[0]
    press(at, "Next item")
    press(at, "Next item")
    assert "Item 3 of 3" in texts(at) and shown(at.title[-1].value) == titles[2]
    assert button("Next item").disabled and not button("Previous item").disabled
    press(at, "Previous item")
    assert "Item 2 of 3" in texts(at) and shown(at.title[-1].value) == titles[1]


def test_only_the_decision_form_is_drawn_and_its_decision_is_the_meeting_pages(db):
    c = _quorate()
    chair = accounts.actor_for("chair")
    at = signed_in("chair", "pages/meeting.py", {"meeting": str(c.meeting_id), "mode": "screen"})
    assert c.referral in shown(at.title[-1].value)
    submits = {b.key.split(":", 1)[1] for b in at.button if (b.key or "").startswith("FormSubmitter:")}
    assert submits == {f"mt_decide_{svc.get_meeting(chair, c.meeting_id).items[0].id}-Record and sign the decision"}
    assert [s.label for s in at.selectbox] == ["Outcome"]
    assert {t.label for t in at.text_area} == {"Rationale", "Departs from the criteria because…"}
    assert not (at.text_input or at.multiselect or at.date_input or at.segmented_control or at.checkbox)
    assert not {"Save summary", "Carry to the next meeting", "Add action", "Save conflicts", "Add attendee",
                "Close the meeting", "Add to the agenda"} & _labels(at)

    sc = screening.screen(chair, c.referral, TODAY, {})
    consistent = next(t for t in review_types.list_types(chair, svc.get_meeting(chair, c.meeting_id).meeting.partnership_id)
                      if t.regime == sc.result["regime"] and sc.result["route"] in t.routes.split(","))
    at.selectbox[0].set_value(consistent.id)
    next(t for t in at.text_area if t.label == "Rationale").input("The panel agreed the criteria for a rapid review are met.")
    press(at, "Record and sign the decision")
    assert _screen(at) and "Decision recorded and signed" in texts(at)
    assert f"Decision: {consistent.name}" in texts(at) and not at.text_area  # decided: the form is gone

    v = svc.get_meeting(chair, c.meeting_id)
    (d,) = v.decisions[v.items[0].id]
    assert v.items[0].status == "decided" and d.review_type_id == consistent.id and d.status == "signed"
    press(at, "Leave meeting mode")  # the meeting page shows the same record
    assert f"Decision: {consistent.name}" in texts(at) and "criteria for a rapid review are met" in texts(at)

    press(at, "Meeting mode")
    press(at, "Next item")  # a rapid review: no screening decision here, and no other form
    assert not at.text_area and not at.selectbox
    assert "its summary and actions are recorded on the meeting page" in texts(at)


def test_a_member_sees_the_item_without_the_decision_form(db):
    c = _quorate()
    at = signed_in("member", "pages/meeting.py", {"meeting": str(c.meeting_id)})
    press(at, "Meeting mode")
    assert _screen(at) and c.referral in shown(at.title[-1].value)
    assert not at.selectbox and not at.text_area and "Record and sign the decision" not in _labels(at)
    assert "The chair records the panel's decision on this item." in texts(at)
    assert "Next item" in _labels(at)


def test_identifiers_stay_hidden_on_the_shared_screen_without_presentation_mode(db):
    c = _quorate()
    assert not accounts.actor_for("chair").presenting
    at = signed_in("chair", "pages/meeting.py", {"meeting": str(c.meeting_id), "mode": "screen"})
    page = texts(at)
    assert "Meeting mode: child identifiers are hidden, as in presentation mode." in page
    assert "Hidden in presentation mode: the reasons can state the child's age." in page
    assert "aware on " not in page  # the criteria's reasons line by line
    assert "DQ" not in page  # the referral's child's initials
    assert "**Criteria (WT2018):**" in page and "working days left" in page  # the facts the panel needs
