"""The notification clock read the same everywhere (docs/domain.md §4.5): the queue, the referral
page, the reminders and the meeting agenda all follow `screening.rules.notification_clocks`."""

from __future__ import annotations

from datetime import date

import pandas as pd

from panel.meetings import cases as meeting_cases
from panel.meetings import service as meetings
from panel.referrals import service as referrals
from panel.reminders import service as reminders
from panel.screening import decisions
from panel.screening import service as screening
from tests.apptest import shown, signed_in, texts
from tests.conftest import TODAY
from tests.factories import accepted, actor, decision_form, nb_id

NOTIFY_DUE = date(2026, 11, 27)  # five working days after the factory's Friday 20 November
AS_OF = date(2026, 11, 26)  # the day before: every running clock is due soon


def queue_row(reference: str) -> pd.Series:
    df, _ = referrals.queue(actor("chair"), referrals.QueueFilter(statuses=()), TODAY)
    return df.set_index("reference").loc[reference]


def reminded(as_of: date = AS_OF) -> set[str]:
    return {line.item.reference for d in reminders.digests(as_of) for line in d.lines
            if line.item.kind == "notification"}


def decide(ref: str, outcome: str = "rapid_review", **kw) -> str | None:
    did = decisions.record_decision(actor("member"), ref, decision_form(outcome, **kw), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def test_other_harm_without_abuse_has_no_clock_anywhere(demo_db):
    quiet = accepted(harm="other", abuse_or_neglect="no")
    owed = accepted()
    row = queue_row(quiet)
    assert row["rag"] == "none" and pd.isna(row["notification_due"]) and pd.isna(row["working_days_left"])
    assert referrals.get_referral(actor("chair"), quiet, TODAY, record_view=False).clocks == []
    assert quiet not in reminded() and owed in reminded()
    agenda = {it["reference"]: it for it in meetings.agenda_preview(actor("chair"), nb_id(), TODAY)}
    assert agenda[quiet]["case"]["clocks"] == [] and "notify by" not in agenda[quiet]["title"]
    assert agenda[owed]["case"]["clocks"][0].due == NOTIFY_DUE


def test_queue_reminders_and_agenda_agree_with_the_rule(demo_db):
    chair = actor("chair")
    owed = accepted()
    with_rule = referrals.get_referral(chair, owed, TODAY, record_view=False).clocks
    assert [c.body for c in with_rule] == ["national_panel", "safeguarding_partners"]
    assert {c.state for c in with_rule} == {"running"}
    row = queue_row(owed)
    assert (row["notification_due"], row["working_days_left"], row["rag"]) == (NOTIFY_DUE, 4, "green")
    screening.record_notification(chair, owed, "national_panel", TODAY, "", TODAY)
    assert queue_row(owed)["rag"] == "green" and owed in reminded()  # the partners are still owed
    screening.record_notification(chair, owed, "safeguarding_partners", TODAY, "", TODAY)
    row = queue_row(owed)
    assert row["rag"] == "done" and pd.isna(row["working_days_left"]) and owed not in reminded()
    agenda = {it["reference"]: it for it in meetings.agenda_preview(chair, nb_id(), TODAY)}
    assert {c.state for c in agenda[owed]["case"]["clocks"]} == {"notified"}


def test_a_signed_decision_departing_from_the_rapid_review_stops_its_clocks(demo_db):
    ref = accepted()
    decide(ref, "local_learning_review", departure_rationale="Not a serious case: injuries were accidental.")
    clocks = referrals.get_referral(actor("chair"), ref, TODAY, record_view=False).clocks
    assert {c.state for c in clocks} == {"none_due"}
    assert queue_row(ref)["rag"] == "none" and ref not in reminded()


def test_a_decided_referral_still_owing_its_notification_is_reminded(demo_db):
    ref = accepted()
    decide(ref)
    assert queue_row(ref)["rag"] == "green" and ref in reminded()


# --- the referral page ---------------------------------------------------------------------


def test_referral_page_shows_notified_on_and_no_working_days_once_notified(demo_db):
    chair = actor("chair")
    ref = accepted()
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    running = texts(at)
    assert "**Notify by:** Fri 27 Nov 2026 (National Child Safeguarding Practice Review Panel, and any other body due)" \
        in running
    assert "**Clock:** " in running and "working day" in running
    for body in ("national_panel", "safeguarding_partners"):
        screening.record_notification(chair, ref, body, date(2026, 11, 30), "", date(2026, 12, 1))
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    assert not at.exception
    shown = texts(at)
    assert "Notified on Mon 30 Nov 2026: National Child Safeguarding Practice Review Panel, 1 working day late" in shown
    assert "**Status:** Accepted for screening" in shown
    assert "Notify by" not in shown and "**Clock:**" not in shown and "-1" not in shown


def test_referral_page_shows_no_clock_for_other_harm_without_abuse(demo_db):
    ref = accepted(harm="other", abuse_or_neglect="no")
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    assert "**Status:** Accepted for screening" in texts(at) and "Notify by" not in texts(at)
    assert "No notification clock" in texts(at)


def test_referral_page_shows_the_signed_outcome_and_links_to_its_review(demo_db):
    ref = accepted()
    review_ref = decide(ref)
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    assert not at.exception
    assert "**Decision:** Rapid review, signed" in texts(at)
    links = {shown(el.proto.label): el.proto.page for el in at.get("page_link")}
    assert links[f"Review {review_ref} (open)"] == "review"


# --- the meeting item ----------------------------------------------------------------------


def test_a_meeting_referral_item_shows_the_criteria_result_and_its_clock(demo_db):
    chair = actor("chair")
    owed = accepted()
    quiet = accepted(harm="other", abuse_or_neglect="no")
    mid = meetings.create_meeting(chair, nb_id(), TODAY, [chair.user_id], TODAY)
    items = meetings.get_meeting(chair, mid).items
    cases = meeting_cases.item_cases(chair, mid, TODAY)
    by_ref = {it.reference: cases[it.id] for it in items}
    assert by_ref[owed].result["route"] == "rapid_review" and by_ref[owed].clocks[0].due == NOTIFY_DUE
    assert by_ref[quiet].result["route"] == "no_review" and by_ref[quiet].clocks == []
    at = signed_in("chair", "pages/meeting.py", query={"meeting": str(mid)})
    while owed not in shown(at.title[-1].value):
        next(b for b in at.button if b.label == "Next").click().run()
    assert not at.exception
    page = texts(at)
    assert "**Criteria (WT2018):** Rapid review." in page
    assert "National Child Safeguarding Practice Review Panel, Safeguarding partners" in page
    assert "National Child Safeguarding Practice Review Panel: notify by Fri 27 Nov 2026, on track (4 working days left)" in page
    assert any(shown(el.proto.label) == f"Screening: {owed}" for el in at.get("page_link"))
    while quiet not in shown(at.title[-1].value):
        next(b for b in at.button if b.label == "Next").click().run()
    assert "No notification clock" in texts(at) and "notify by" not in shown(at.title[-1].value)
