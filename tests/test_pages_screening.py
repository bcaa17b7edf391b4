"""The screening and review pages, for every role, through Streamlit's AppTest.

Each test makes its own accepted referral through the services (see test_decisions_service), so
it does not depend on the demo's historic decisions.
"""

from __future__ import annotations

import json

import pytest

from panel.reviews import service as reviews
from panel.reviews.types_service import spec_of
from panel.screening import decisions
from panel.screening.rules import LCSPR_CONSIDERATIONS
from tests.apptest import menu, shown, signed_in, texts
from tests.conftest import TODAY
from tests.factories import (
    accepted,
    actor,
    decision_form,
    decision_rows,
    referral,
    review_row,
    type_id,
    type_row,
    user_id,
)

PAGE = "pages/screening.py"
# The questions of a case the authority became aware of in 2026 (WT2018's criteria).
CRITERIA = ("abuse_or_neglect", "harm", "location")
TOGGLES = ("looked_after", "custody_death")


def screen_as(username: str, ref: str):
    return signed_in(username, PAGE, query={"ref": ref})


def labelled(widgets, label: str):
    found = [w for w in widgets if w.label == label]
    assert found, f"no widget labelled {label!r} among {[w.label for w in widgets]}"
    return found[0]


def button_labels(at) -> list[str]:
    return [b.label for b in at.button]


def metric(at, label: str) -> str:
    return labelled(at.metric, label).value


def flat(node) -> list:
    out = []
    for child in getattr(node, "children", {}).values():
        out.append(child)
        out += flat(child)
    return out


def form_holding(at, label: str) -> list:
    """The elements of the form that holds the widget `label`, in page order."""
    for el in flat(at.main):
        kids = list(getattr(el, "children", {}).values())
        if el.type == "form" and any(getattr(k, "label", None) == label for k in kids):
            return kids
    raise AssertionError(f"no form holds {label!r}")


def after(elements: list, label: str):
    """The element right after the widget `label` (where its message goes)."""
    i = next(i for i, e in enumerate(elements) if getattr(e, "label", None) == label)
    return elements[i + 1]


# --- who sees what -------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["chair", "member"])
def test_chair_and_member_can_answer_and_record(demo_db, username):
    ref = accepted()
    assert "Screening" in menu(signed_in(username))
    at = screen_as(username, ref)
    assert any(ref in shown(s.value) for s in at.header)
    for fact in CRITERIA:
        assert not at.radio(key=f"sc_{ref}_{fact}").disabled
    for fact in TOGGLES:
        assert not at.toggle(key=f"sc_{ref}_{fact}").disabled
    labels = button_labels(at)
    assert "Save answers" in labels and "Record decision" in labels
    assert metric(at, "Route") == "Rapid review"


def test_manager_sees_the_screening_read_only(demo_db):
    ref = accepted()
    assert "Screening" in menu(signed_in("manager"))
    at = screen_as("manager", ref)
    for fact in CRITERIA:
        assert at.radio(key=f"sc_{ref}_{fact}").disabled
    for fact in TOGGLES:
        assert at.toggle(key=f"sc_{ref}_{fact}").disabled
    labels = button_labels(at)
    assert "Save answers" not in labels
    assert "Record decision" not in labels and "Sign decision" not in labels
    assert "Record the decision" not in [e.label for e in at.expander]
    assert "The decision is recorded once the referral is accepted for screening, by a chair or member." in texts(at)
    # The result is still shown, and a manager may record that a notification went.
    assert metric(at, "Route") == "Rapid review"
    assert "Record notification" in labels


def test_referrer_has_no_screening_page(demo_db):
    at = signed_in("referrer")
    assert "Screening" not in menu(at)
    with pytest.raises(ValueError):  # not registered for a referrer
        at.switch_page(PAGE).run()


def test_another_partnerships_chair_is_told_not_found(demo_db):
    ref = accepted()
    at = screen_as("chair.em", ref)
    assert any("No referral with that reference is open to you" in e.value for e in at.error)
    assert not at.radio and not at.metric
    assert ref not in texts(at)


def test_without_a_reference_the_page_lists_accepted_referrals(demo_db):
    ref = accepted()
    at = signed_in("chair", PAGE)
    pick = labelled(at.selectbox, "Referral to screen")
    assert any(o.startswith(ref) for o in pick.options)
    pick.set_value(ref).run()
    labelled(at.button, "Screen").click().run()
    assert not at.exception
    assert ref in at.query_params["ref"]
    assert any(ref in shown(s.value) for s in at.header)


# --- the criteria --------------------------------------------------------------------------


def test_the_result_follows_the_answers_before_they_are_saved(demo_db):
    ref = accepted()
    at = screen_as("chair", ref)
    assert metric(at, "Route") == "Rapid review"
    assert metric(at, "Rapid review due") == "Fri 18 Dec 2026"
    at.radio(key=f"sc_{ref}_abuse_or_neglect").set_value("no").run()
    assert not at.exception
    assert metric(at, "Route") == "No statutory review"
    assert "No statutory notification is required on these answers." in texts(at)
    assert "1 unsaved answer(s)." in texts(at)
    assert referral(ref).abuse_or_neglect == "known"  # nothing saved yet


def test_saving_answers_persists_them(demo_db):
    ref = accepted()
    at = screen_as("member", ref)
    assert labelled(at.button, "Save answers").disabled  # nothing to save yet
    at.radio(key=f"sc_{ref}_location").set_value("resident_outside_england")
    at.toggle(key=f"sc_{ref}_looked_after").set_value(True)
    at.run()
    assert "2 unsaved answer(s)." in texts(at)
    labelled(at.button, "Save answers").click().run()
    assert not at.exception
    r = referral(ref)
    assert r.location == "resident_outside_england" and r.looked_after is True
    assert "unsaved answer" not in texts(at)
    assert at.radio(key=f"sc_{ref}_location").value == "resident_outside_england"


def test_a_bad_combination_cannot_be_assessed_or_saved(demo_db):
    ref = accepted()
    at = screen_as("chair", ref)
    at.toggle(key=f"sc_{ref}_custody_death").set_value(True).run()
    assert any("These answers cannot be assessed" in e.value and "custody_death" in shown(e.value) for e in at.error)
    assert labelled(at.button, "Save answers").disabled
    # The message sits beneath the question it is about (after the question's help caption).
    page = flat(at.main)
    i = next(i for i, e in enumerate(page) if getattr(e, "label", None) == "Did the child die in custody or detention?")
    assert type(page[i + 2]).__name__ == "Error" and "custody_death" in shown(page[i + 2].value)
    assert not any(type(e).__name__ == "Error" for e in page[:i])
    assert referral(ref).custody_death is False


# --- the decision --------------------------------------------------------------------------


def test_an_empty_decision_shows_one_message_beside_each_missing_part(demo_db):
    ref = accepted()
    at = screen_as("chair", ref)
    labelled(at.button, "Record decision").click().run()
    assert not at.exception
    assert any("There is a problem with 3 answer(s). Nothing has been saved." in shown(e.value) for e in at.error)
    form = form_holding(at, "Outcome")
    assert shown(after(form, "Outcome").value) == "Choose the outcome."
    assert "rationale" in after(form, "Rationale").value
    assert "Record who was present." in [shown(e.value) for e in form if type(e).__name__ == "Error"]
    messages = [e.value for e in form if type(e).__name__ == "Error"]
    assert len(messages) == 3, messages  # nothing beside the parts that were fine
    assert decision_rows(ref) == []


def record_as(username: str, ref: str):
    at = screen_as(username, ref)
    labelled(at.selectbox, "Outcome").set_value(type_id("rapid_review"))
    labelled(at.text_area, "Rationale").input("Known abuse and serious harm: a serious child safeguarding case.")
    for who in ("chair", "member"):
        at.segmented_control(key=f"sc_{ref}_att_{user_id(who)}").set_value("present")
    labelled(at.button, "Record decision").click().run()
    assert not at.exception
    return at


def confirm_and_sign(at):
    labelled(at.checkbox, "I confirm attendance as shown").check()
    labelled(at.button, "Sign decision").click().run()
    return at


def test_attendance_is_taken_person_by_person_and_nobody_is_present_by_default(demo_db):
    ref = accepted()
    at = screen_as("chair", ref)
    assert not [w for w in at.multiselect if w.label in ("Present", "Apologies")]
    people = decisions.panel_members(actor("chair"), referral(ref).partnership_id)
    assert len(people) > 2
    for uid in people:
        control = at.segmented_control(key=f"sc_{ref}_att_{uid}")
        assert control.value is None and control.options == ["Present", "Apologies", "Absent"]
    labelled(at.selectbox, "Outcome").set_value(type_id("rapid_review"))
    labelled(at.text_area, "Rationale").input("Known abuse and serious harm: a serious child safeguarding case.")
    at.segmented_control(key=f"sc_{ref}_att_{user_id('chair')}").set_value("present")
    at.segmented_control(key=f"sc_{ref}_att_{user_id('member')}").set_value("apologies")
    at.checkbox(key=f"sc_{ref}_conflict_{user_id('chair')}").check()
    labelled(at.button, "Record decision").click().run()
    # Only the chair is present, and conflicted: the panel cannot decide.
    assert any("Everyone present is conflicted" in e.value for e in at.error)
    at.segmented_control(key=f"sc_{ref}_att_{user_id('manager')}").set_value("present")
    labelled(at.button, "Record decision").click().run()
    assert not at.exception
    [d] = decision_rows(ref)
    assert json.loads(d.present) == sorted([user_id("chair"), user_id("manager")])
    assert json.loads(d.apologies) == [user_id("member")] and json.loads(d.conflicts) == [user_id("chair")]


def test_signing_needs_the_chair_to_confirm_the_attendance_shown(demo_db):
    ref = accepted()
    record_as("member", ref)
    at = screen_as("chair", ref)
    shown_text = texts(at)
    names = decisions.panel_members(actor("chair"), referral(ref).partnership_id)
    present = ", ".join(n for uid, n in names.items() if uid in (user_id("chair"), user_id("member")))
    assert f"Recorded as present: {present}" in shown_text
    assert "Conflicted, excluded from the decision: nobody" in shown_text
    labelled(at.button, "Sign decision").click().run()
    assert not at.exception
    # The message sits beneath the confirmation it is about, and nothing is signed.
    page = flat(at.main)
    i = next(i for i, e in enumerate(page) if getattr(e, "label", None) == "I confirm attendance as shown")
    assert type(page[i + 1]).__name__ == "Error" and shown(page[i + 1].value) == decisions.ATTENDANCE_UNCONFIRMED
    assert [d.status for d in decision_rows(ref)] == ["draft"]
    confirm_and_sign(at)
    assert any("Decision signed." in shown(s.value) for s in at.success)
    assert [d.status for d in decision_rows(ref)] == ["signed"]


def test_the_outcomes_say_whether_they_follow_the_criteria(demo_db):
    ref = accepted()
    at = screen_as("chair", ref)
    outcome = labelled(at.selectbox, "Outcome")
    assert "Rapid review — consistent with the criteria" in outcome.options
    assert "No further review — departs from the criteria" in outcome.options
    assert not any(o.startswith("Serious Case Review") for o in outcome.options)  # WT2015 only


def test_a_member_records_and_the_decision_waits_for_the_chair(demo_db):
    ref = accepted()
    at = record_as("member", ref)
    assert "A decision is recorded and waiting for the chair's signature." in [i.value for i in at.info]
    assert "Sign decision" not in button_labels(at)
    [d] = decision_rows(ref)
    assert d.status == "draft" and d.recorded_by_id == user_id("member")
    assert "Known abuse and serious harm" in texts(at)


def test_the_chair_signs_and_gets_a_link_to_the_review(demo_db):
    ref = accepted()
    record_as("member", ref)
    at = screen_as("chair", ref)
    confirm_and_sign(at)
    assert not at.exception
    review_ref = f"{ref}-R1"
    assert any(shown(s.value) == f"Decision signed. Review {review_ref} created with its milestones." for s in at.success)
    links = [shown(p.label) for p in at.page_link]
    assert f"Open review {review_ref} (Rapid review, open)" in links
    assert "Sign decision" not in button_labels(at)
    assert "Amend the signed decision" in [e.label for e in at.expander]
    assert referral(ref).status == "decided"
    assert review_row(review_ref).status == "open"


def test_the_chair_records_and_signs_in_one_sitting(demo_db):
    ref = accepted()
    at = record_as("chair", ref)
    confirm_and_sign(at)
    assert not at.exception
    assert any("Decision signed." in s.value for s in at.success)
    assert [d.status for d in decision_rows(ref)] == ["signed"]


def test_answers_can_still_be_saved_after_signing_in_the_same_session(demo_db):
    ref = accepted()
    at = record_as("chair", ref)
    confirm_and_sign(at)
    at.radio(key=f"sc_{ref}_location").set_value("resident_outside_england").run()
    labelled(at.button, "Save answers").click().run()
    assert not [e.value for e in at.error if "changed by someone else" in e.value]
    assert referral(ref).location == "resident_outside_england"


def test_a_conflicted_chair_is_told_another_chair_must_sign(demo_db):
    ref = accepted()
    decisions.record_decision(actor("member"), ref, decision_form(conflicts=[user_id("chair")]), TODAY)
    at = screen_as("chair", ref)
    confirm_and_sign(at)
    assert any("another chair must sign it" in e.value for e in at.error)
    assert decision_rows(ref)[0].status == "draft"


# --- the review page -----------------------------------------------------------------------


def signed_review(ref: str) -> str:
    did = decisions.record_decision(actor("member"), ref, decision_form(), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


def test_the_review_page_shows_the_milestones_and_the_lcspr_considerations(demo_db):
    ref = accepted()
    review_ref = signed_review(ref)
    at = signed_in("chair", "pages/review.py", query={"ref": review_ref})
    assert not at.exception
    assert any(review_ref in shown(s.value) and "Rapid review" in s.value for s in at.header)
    df = at.dataframe[0].value
    spec = spec_of(type_row("rapid_review"))
    assert list(df["milestone"]) == [m.name for m in spec.milestones]
    assert list(df["planned"]) == [m["planned"] for m in reviews.get_review(actor("chair"), review_ref, TODAY).milestones]
    radios = [r.label for r in at.radio]
    for _, text in LCSPR_CONSIDERATIONS:
        assert text in radios
    assert "Decision" in radios and "National Panel's response" in radios
    assert "Save the rapid review outcome" in button_labels(at)
    assert any(shown(p.label).startswith(f"Referral {ref}") for p in at.page_link)


def test_the_lcspr_form_needs_every_answer_then_saves(demo_db):
    ref = accepted()
    review_ref = signed_review(ref)
    at = signed_in("chair", "pages/review.py", query={"ref": review_ref})
    labelled(at.button, "Save the rapid review outcome").click().run()
    assert not at.exception
    assert len([e for e in at.error if shown(e.value) == "Answer this consideration."]) == len(LCSPR_CONSIDERATIONS)
    assert [shown(e.value) for e in at.error if "Enter the date" in e.value] == [
        "Enter the date the partners made the decision."]  # beside the empty date, not assumed today
    assert review_row(review_ref).lcspr_decision is None
    for _, text in LCSPR_CONSIDERATIONS:
        labelled(at.radio, text).set_value("no")
    labelled(at.radio, "Decision").set_value("no_lcspr")
    labelled(at.date_input, "Decision made on").set_value(TODAY)
    labelled(at.date_input, "Sent to the National Panel on").set_value(TODAY)
    labelled(at.button, "Save the rapid review outcome").click().run()
    assert not at.exception
    assert not [e for e in at.error if e.value == "Answer this consideration."]
    rv = review_row(review_ref)
    assert rv.lcspr_decision == "no_lcspr" and rv.sent_to_national_panel_on == TODAY
    df = at.dataframe[0].value
    done = dict(zip(df["milestone"], df["status"], strict=True))
    sent_name = next(m.name for m in spec_of(type_row("rapid_review")).milestones if m.key == "sent_to_national_panel")
    assert done[sent_name] == "Done"


def test_another_partnerships_chair_cannot_open_the_review(demo_db):
    review_ref = signed_review(accepted())
    at = signed_in("chair.em", "pages/review.py", query={"ref": review_ref})
    assert any("No review with that reference" in e.value for e in at.error)
    assert not at.dataframe
