"""AppTest of the meeting and decision log pages as chair (runs), member (follows) and referrer."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.core.clock import day
from panel.core.db import read_session
from panel.meetings import attendance as meeting_attendance
from panel.meetings import cases as meeting_cases
from panel.meetings import service as svc
from panel.models import Agency, AuditEvent, Partnership
from panel.reviews import types_service as review_types
from panel.screening import service as screening
from tests.apptest import shown, signed_in, texts
from tests.conftest import TODAY
from tests.factories import empty_nb, meeting_with_cases

ROOT = Path(__file__).resolve().parent.parent


def run(username: str, page: str, query: dict | None = None) -> AppTest:
    """The page as `username` sees it. Through the app (its navigation resolves the items' links
    to screening and reviews) for anyone it registers the page for; a referrer, who has no such
    page, runs it alone to see what it refuses."""
    if username != "referrer":
        return signed_in(username, f"pages/{page}", query)
    at = AppTest.from_file(str(ROOT / "pages" / page), default_timeout=60)
    at.session_state["actor"] = accounts.actor_for(username)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def _meeting() -> int:
    chair = accounts.actor_for("chair")
    with read_session() as s:
        pid = s.exec(select(Partnership).where(Partnership.code == "NB")).one().id
        icb = s.exec(select(Agency).where(Agency.name == "Integrated care board")).one().id
    mid = svc.create_meeting(chair, pid, TODAY, [chair.user_id, accounts.actor_for("member").user_id], TODAY)
    meeting_attendance.add_guest(chair, mid, "Dr Hana Health", icb)
    return mid


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def test_chair_plans_a_meeting(demo_db):
    at = run("chair", "meeting.py")
    assert "No meetings yet" in texts(at)
    at.button(key="FormSubmitter:mt_new-Create the meeting and its agenda").click().run()
    assert not at.exception
    assert at.query_params["meeting"]
    t = texts(at)
    assert "Not quorate" in t and "health" in t
    assert "Item 1 of" in t


def test_chair_runs_the_meeting(demo_db):
    mid = _meeting()
    at = run("chair", "meeting.py", {"meeting": str(mid)})
    v = svc.get_meeting(accounts.actor_for("chair"), mid)
    assert shown(at.title[-1].value) == v.items[0].title  # the item, large
    _button(at, "Next").click().run()
    assert shown(at.title[-1].value) == v.items[1].title
    for mm in v.members:
        at.segmented_control(key=f"mt_att_{mm.id}").set_value("present").run()
    assert "Quorate" in texts(at)
    assert any(b.label == "Close the meeting" for b in at.button)
    assert any(f.label == "Record and sign the decision" for f in at.button) or v.items[1].kind != "referral"
    _button(at, "Prepare the minutes (Word)").click().run()
    assert at.get("download_button")
    with read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "export", AuditEvent.entity == "meeting")).first()


def test_member_follows_without_changing(demo_db):
    mid = _meeting()
    at = run("member", "meeting.py", {"meeting": str(mid)})
    assert "only the chair changes it" in texts(at)
    labels = {b.label for b in at.button}
    assert "Close the meeting" not in labels and "Record and sign the decision" not in labels
    assert not at.segmented_control
    assert "Plan a meeting" not in [e.label for e in at.expander]


def test_referrer_sees_an_empty_state(demo_db):
    at = run("referrer", "meeting.py")
    assert "no meetings for you to see" in texts(at)
    at = run("referrer", "decision_log.py")
    assert "no decisions for you to see" in texts(at)


def test_decision_log_page(demo_db):
    at = run("manager", "decision_log.py")
    assert "decision(s)" in texts(at)
    at.toggle(key="dl_departs").set_value(True).run()
    assert not at.exception
    _button(at, "Prepare Excel export").click().run()
    assert at.get("download_button")


def test_chair_decides_an_item_and_carries_another_through_the_page(demo_db):
    mid = _meeting()
    chair = accounts.actor_for("chair")
    v = svc.get_meeting(chair, mid)
    for mm in v.members:
        meeting_attendance.set_attendance(chair, mid, mm.id, "present")
    assert v.items[0].kind == "referral"
    at = run("chair", "meeting.py", {"meeting": str(mid)})
    sc = screening.screen(chair, v.items[0].reference, TODAY, {})
    consistent = next(t for t in review_types.list_types(chair, v.meeting.partnership_id)
                      if t.regime == sc.result["regime"] and sc.result["route"] in t.routes.split(","))
    next(s for s in at.selectbox if s.label == "Outcome").set_value(consistent.id)
    next(t for t in at.text_area if t.label == "Rationale").input("The panel agreed the statutory criteria are met.")
    _button(at, "Record and sign the decision").click().run()
    assert not at.exception
    assert "Decision recorded and signed" in texts(at)
    _button(at, "Next").click().run()
    _button(at, "Carry to the next meeting").click().run()
    at.checkbox(key="mt_close_sure").check().run()
    _button(at, "Close the meeting").click().run()
    assert "Undecided items carried" in texts(at)
    after = svc.get_meeting(chair, mid)
    assert after.items[0].status == "decided" and after.items[1].status == "carried"
    assert after.meeting.status == "closed"


def test_meeting_mode_shows_each_items_case_and_hides_the_reasons_when_presenting(db):
    empty_nb()
    c = meeting_with_cases()
    chair = accounts.actor_for("chair")
    order = [it.reference for it in svc.get_meeting(chair, c.meeting_id).items]
    case = meeting_cases.item_cases(chair, c.meeting_id, TODAY)
    rapid = next(case[it.id] for it in svc.get_meeting(chair, c.meeting_id).items if it.reference == c.rapid_review)
    at = signed_in("chair", "pages/meeting.py", {"meeting": str(c.meeting_id)})

    def show(reference: str) -> str:
        at.session_state[f"mt_{c.meeting_id}_idx"] = order.index(reference)
        at.run()
        assert not at.exception, at.exception
        assert reference in shown(at.title[-1].value)
        return texts(at)

    page = show(c.referral)
    assert "**Criteria (WT2018):** Rapid review. **Notifications due:** National Child Safeguarding Practice " in page
    assert "**Rapid review due:** Fri 18 Dec 2026." in page
    assert "National Child Safeguarding Practice Review Panel: notify by Fri 27 Nov 2026" in page
    assert "- Children Act 2004 s.16C / SI 2018/789 (from 29 June 2018): aware on Fri 20 Nov 2026" in page
    assert any(shown(el.proto.label) == f"Screening: {c.referral}" for el in at.get("page_link"))

    assert "The panel cannot decide without quorum. Mark who is present on the Attendance tab." in page

    page = show(c.rapid_review)
    assert f"next {rapid.stage}, due {day(rapid.due)}." in page
    # what the item is for: the LCSPR decision, when it is due, and where it is recorded
    assert (f"**Next step:** the partners decide whether to hold an LCSPR, due {day(rapid.lcspr_decision_due)}. "
            "Record it, with the eight considerations, on the review's page") in page
    assert any(shown(el.proto.label) == f"Review {c.rapid_review}" for el in at.get("page_link"))

    page = show(c.lcspr)
    assert "next Panel sign-off, due " in page and "**The report** (publication as planned):" in page
    assert f"- Draft report: done {day(TODAY)}" in page and "- Panel sign-off: planned for " in page
    assert "- Publication: planned for " in page
    assert any(shown(el.proto.label) == f"Review {c.lcspr}" for el in at.get("page_link"))

    accounts.set_presentation_mode(chair, True)
    at.session_state["actor"] = accounts.actor_for("chair")  # as app.py reads it on every run
    page = show(c.referral)
    assert "**Criteria (WT2018):** Rapid review." in page and "aware on Fri 20 Nov 2026" not in page
    assert "Hidden in presentation mode: the reasons can state the child's age." in page
