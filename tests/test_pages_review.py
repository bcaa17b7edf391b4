"""The review page, the tracker and the referral page through AppTest, from an empty partnership:
a rapid review's LCSPR decision and the link it makes, and closing a review (docs/domain.md §6.3)."""

from __future__ import annotations

import json
from datetime import date

import pytest

from panel.core.clock import day
from panel.learning import actions
from panel.learning import service as learning
from panel.reviews import closing, context
from panel.reviews import record as review_record
from panel.screening import decisions
from panel.screening.rules import LCSPR_CONSIDERATIONS
from tests.apptest import press, shown, signed_in, texts
from tests.conftest import TODAY
from tests.factories import accepted, actor, agency_id, decision_form, empty_nb, review_row

DECIDED = date(2026, 11, 20)


@pytest.fixture
def nb(db):
    return empty_nb()


def rapid_review() -> tuple[str, str]:
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form(decided_on=DECIDED), TODAY)
    return ref, decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def labelled(widgets, label):
    return next(w for w in widgets if w.label == label)


def links(at) -> list[str]:
    return [shown(p.label) for p in at.page_link]


def test_an_lcspr_decision_on_the_page_opens_the_lcspr_and_links_both_ways(nb):
    ref, rapid = rapid_review()
    at = signed_in("chair", "pages/review.py", query={"ref": rapid})
    assert labelled(at.date_input, "Decision made on").value is None  # no date until one is chosen
    for _, text in LCSPR_CONSIDERATIONS:
        labelled(at.radio, text).set_value("yes")
    labelled(at.radio, "Decision").set_value("lcspr")
    press(at, "Save the rapid review outcome")
    assert [shown(e.value) for e in at.error if "Enter the date" in e.value] == [
        "Enter the date the partners made the decision."]
    assert review_row(rapid).lcspr_decision is None and not any("LCSPR:" in link for link in links(at))
    labelled(at.date_input, "Decision made on").set_value(TODAY)
    press(at, "Save the rapid review outcome")
    lcspr = f"{ref}-R2"
    assert review_row(lcspr).started_on == TODAY
    assert f"LCSPR: {lcspr}" in links(at)
    back = signed_in("member", "pages/review.py", query={"ref": lcspr})
    assert f"Started by rapid review {rapid}" in links(back)
    assert "Local Child Safeguarding Practice Review" in texts(back)
    referral = signed_in("member", "pages/referral.py", query={"ref": ref})
    assert f"Review {rapid} (open) · LCSPR {lcspr}" in links(referral)
    assert f"Review {lcspr} (open) · started by rapid review {rapid}" in links(referral)


def test_once_the_lcspr_is_open_its_decision_and_date_are_shown_not_offered(nb):
    ref, rapid = rapid_review()
    at = signed_in("chair", "pages/review.py", query={"ref": rapid})
    for _, text in LCSPR_CONSIDERATIONS:
        labelled(at.radio, text).set_value("no")
    labelled(at.radio, "Decision").set_value("lcspr")
    labelled(at.date_input, "Decision made on").set_value(TODAY)
    press(at, "Save the rapid review outcome")
    # The service refuses a change of either (test_rapid_review_lcspr): the page does not offer one.
    assert labelled(at.radio, "Decision").disabled and labelled(at.date_input, "Decision made on").disabled
    assert f"The LCSPR {ref}-R2 was opened from this decision and is planned from its date" in texts(at)
    labelled(at.date_input, "Sent to the National Panel on").set_value(TODAY)
    labelled(at.radio, "National Panel's response").set_value("agrees")
    press(at, "Save the rapid review outcome")  # the rest of the outcome is still saved
    row = review_row(rapid)
    assert (row.lcspr_decision, row.national_panel_response, row.sent_to_national_panel_on) == ("lcspr", "agrees", TODAY)
    assert not at.error


def columns(frame) -> dict:
    """A st.dataframe's column configuration as the page sent it (labels, types, hidden)."""
    return json.loads(frame.proto.columns)


def test_the_next_milestone_is_named_in_full_and_dates_not_recorded_are_blank(nb):
    _, rapid = rapid_review()
    context.record_process(actor("chair"), rapid, context.ProcessForm(kind="inquest", started_on=DECIDED), TODAY)
    at = signed_in("chair", "pages/review.py", query={"ref": rapid})
    due = labelled(at.metric, "Next milestone due")  # the date in the metric, the name beneath it
    assert due.value == "Mon 30 Nov 2026" and "Agency summaries requested (day 1)" in [shown(c.value) for c in at.caption]
    milestones = at.dataframe[0].value
    assert list(milestones.columns[:2]) == ["milestone", "status"]  # both in view on a phone
    # ...and both whole: a 390 px phone leaves about 356 px of table, which the two columns share
    # (left to size themselves, the milestone's name took it all and the status showed as "Ov...").
    widths = {k: v.get("width") for k, v in columns(at.dataframe[0]).items() if k in ("milestone", "status")}
    assert all(isinstance(w, int) for w in widths.values()) and sum(widths.values()) <= 356, widths
    assert widths["status"] >= 90  # "Not yet due", the longest status, in full
    # A phone is shown the same rows as a list instead (the browser picks: tests/browser), each whole.
    listed = next(shown(m.value) for m in at.markdown if m.value.startswith("- **Agency summaries"))
    assert listed.splitlines()[0] == "- **Agency summaries requested (day 1)**: Due soon · planned Mon 30 Nov 2026"
    assert len(listed.splitlines()) == len(milestones)
    assert set(milestones["actual"]) == {""}  # not a date column's "None"
    processes = next(d for d in at.dataframe if "process" in d.value.columns)
    assert {k: v["label"] for k, v in columns(processes).items() if "label" in v} == {
        "process": "Process", "reference": "Reference", "status": "Status", "started": "Started",
        "next": "Next event", "concluded": "Concluded", "outcome": "Outcome", "delays publication": "Publication waits"}
    assert processes.value.iloc[0][["started", "concluded"]].tolist() == ["Fri 20 Nov 2026", ""]
    assert {"Add a process", "Record a step"} <= set(texts(at).replace("**", "").splitlines())


def test_the_tracker_shows_the_linked_review(nb):
    ref, rapid = rapid_review()
    at = signed_in("chair", "pages/review.py", query={"ref": rapid})
    for _, text in LCSPR_CONSIDERATIONS:
        labelled(at.radio, text).set_value("yes")
    labelled(at.radio, "Decision").set_value("lcspr")
    labelled(at.date_input, "Decision made on").set_value(TODAY)
    press(at, "Save the rapid review outcome")
    tracker = signed_in("manager", "pages/tracker.py")
    df = next(d.value for d in tracker.dataframe if "linked" in d.value.columns)
    assert dict(zip(df["reference"], df["linked"], strict=True)) == {rapid: f"{ref}-R2", f"{ref}-R2": rapid}


def lcspr_with_an_action() -> tuple[str, int]:
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form("lcspr"), TODAY)
    review_ref = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    me, police = actor("manager"), agency_id("Police")
    rec = learning.add_recommendation(me, "Police attend every strategy meeting.", TODAY, [police],
                                      review_reference=review_ref, today=TODAY)
    return review_ref, actions.add_action(me, rec, police, "Dana Owner", None, "Audit strategy meeting attendance.",
                                          date(2027, 1, 29))


def test_the_close_section_lists_what_blocks_it_then_closes_the_review(nb):
    ref, action_id = lcspr_with_an_action()
    at = signed_in("manager", "pages/review.py", query={"ref": ref})
    shown_text = texts(at)
    assert "Close the review" in shown_text and "Closure has not been recorded." in shown_text
    assert "Dana Owner" in shown_text and f"Action {action_id}: close it or carry it" in links(at)
    press(at, "Close the review")  # no date chosen: nothing is closed, today least of all
    assert [shown(e.value) for e in at.error if "Enter the date" in e.value] == ["Enter the date the review closed."]
    labelled(at.date_input, "Closed on").set_value(TODAY)
    press(at, "Close the review")
    assert any("The review cannot close yet." in shown(e.value) for e in at.error)
    assert review_row(ref).status == "open"

    review_record.record_milestone(actor("manager"), ref, "closure", TODAY, review_row(ref).version, TODAY)
    actions.close_action(actor("chair"), action_id, "A re-audit found the police at all 20 strategy meetings.",
                         1, TODAY)
    at = signed_in("manager", "pages/review.py", query={"ref": ref})
    assert "Nothing stops it closing." in texts(at)
    labelled(at.date_input, "Closed on").set_value(TODAY)
    press(at, "Close the review")
    assert review_row(ref).status == "closed" and review_row(ref).closed_on == TODAY
    assert f"closed on {day(TODAY)}" in texts(at)
    assert labelled(at.metric, "State").value == "Closed"
    assert not [b for b in at.button if b.label in ("Close the review", "Save date")]


def test_a_member_sees_the_blockers_but_cannot_close(nb):
    ref, _ = lcspr_with_an_action()
    at = signed_in("member", "pages/review.py", query={"ref": ref})
    assert "Closure has not been recorded." in texts(at)
    assert not [b for b in at.button if b.label == "Close the review"]


def test_the_tracker_filters_by_state(nb):
    ref, action_id = lcspr_with_an_action()
    other, _ = lcspr_with_an_action()
    review_record.record_milestone(actor("manager"), ref, "closure", TODAY, review_row(ref).version, TODAY)
    actions.close_action(actor("chair"), action_id, "A re-audit found the police at all 20 strategy meetings.",
                         1, TODAY)
    closing.close_review(actor("manager"), ref, TODAY, review_row(ref).version, TODAY)
    at = signed_in("manager", "pages/tracker.py")

    def table():
        return next(d.value for d in at.dataframe if "state" in d.value.columns)

    assert list(table()["reference"]) == [other] and set(table()["state"]) == {"Open"}
    at.segmented_control[0].set_value(["closed"]).run()
    assert not at.exception
    assert list(table()["reference"]) == [ref] and set(table()["state"]) == {"Closed"}


def test_a_milestone_is_recorded_only_on_a_date_chosen_and_the_form_then_starts_again_empty(nb):
    ref, _ = lcspr_with_an_action()
    first = review_row(ref).version
    at = signed_in("manager", "pages/review.py", query={"ref": ref})
    milestone = labelled(at.selectbox, "Milestone")
    before = milestone.value
    name = milestone.format_func(before)
    assert labelled(at.date_input, "Date").value is None  # not today: one stray click would record today
    press(at, "Save date")
    assert [shown(e.value) for e in at.error if "Enter the date" in e.value] == ["Enter the date the milestone happened."]
    assert review_row(ref).version == first and set(at.dataframe[0].value["actual"]) == {""}  # nothing written
    labelled(at.date_input, "Date").set_value(TODAY)
    press(at, "Save date")
    assert f"Recorded: {name} happened on Mon 23 Nov 2026." in [shown(s.value) for s in at.success]
    assert "Mon 23 Nov 2026" in set(at.dataframe[0].value["actual"])  # with its weekday, as every date
    # The form starts again: the next milestone offered, and no date until one is chosen.
    after = labelled(at.selectbox, "Milestone")
    assert after.value != before and labelled(at.date_input, "Date").value is None


@pytest.mark.parametrize(("button", "label", "message"), [
    ("Record delay", "Delay starts", "Enter the date the delay starts."),
    ("Add request", "Asked on", "Enter the date it was asked for."),
])
def test_the_record_s_other_dates_start_empty_and_saving_without_one_writes_nothing(nb, button, label, message):
    ref, _ = lcspr_with_an_action()
    first = review_row(ref).version
    at = signed_in("manager", "pages/review.py", query={"ref": ref})
    assert labelled(at.date_input, label).value is None
    press(at, button)
    assert message in [shown(e.value) for e in at.error]
    assert review_row(ref).version == first
    _, delays, requests = review_record.record_details(actor("manager"), ref)
    assert not delays and not requests


def test_publication_dates_have_their_weekday_and_its_status_its_label(nb):
    ref, _ = lcspr_with_an_action()
    review_record.update_details(actor("manager"), ref, lead_reviewer="", lead_reviewer_email="",
                                 publication_status="delayed", publication_reason="Criminal trial set for spring.",
                                 expected_version=review_row(ref).version)
    at = signed_in("manager", "pages/review.py", query={"ref": ref})
    pub, _, _ = review_record.record_details(actor("manager"), ref)
    assert labelled(at.metric, "Publication planned").value == day(pub.planned_on)
    assert day(pub.planned_on).split()[0] in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
    warning = next(shown(w.value) for w in at.warning if "Publication status" in w.value)
    assert warning.startswith("**Publication status: Delayed**") and "Criminal trial set for spring." in warning
