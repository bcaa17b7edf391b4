"""One click to the next step: each page leads on to what its user does next."""

import json

from streamlit.proto.WidgetStates_pb2 import WidgetState

from panel.referrals import service as referrals
from panel.referrals.visits import NEW_TO_YOU
from tests import factories
from tests.apptest import shown, signed_in, texts
from tests.conftest import TODAY


def choose_row(at, key: str, row: int):
    """Choose row `row` of the table `key` with the pointer (AppTest has no way to), and run."""
    table = next(d for d in at.dataframe if d.key == key)
    states = at._tree.get_widget_states()
    ws = WidgetState(id=table.proto.id)
    ws.string_value = json.dumps({"selection": {"rows": [row], "columns": [], "cells": []}})
    states.widgets.append(ws)
    at._run(states)
    assert not at.exception, at.exception
    return at


def _queue(at):
    return next(d for d in at.dataframe if d.key == "queue_table").value


def test_choosing_a_queue_row_opens_that_referral(demo_db):
    at = signed_in("chair")
    ref = _queue(at).iloc[2]["reference"]
    choose_row(at, "queue_table", 2)
    assert at.query_params["ref"] == [ref] or at.query_params["ref"] == ref
    assert ref in texts(at)  # its heading
    assert "Open a referral" not in [s.label for s in at.selectbox]  # now on the referral page


def test_the_keyboard_picker_stays_beside_the_table(demo_db):
    at = signed_in("chair")
    assert "Open a referral" in [s.label for s in at.selectbox]
    assert "Open referral" in [b.label for b in at.button]


def test_a_referral_made_since_the_last_visit_is_marked_new(demo_db):
    at = signed_in("chair")  # the first visit: nothing to compare with
    assert set(_queue(at)["new"]) == {""}
    ref = referrals.submit(factories.actor("chair"), factories.nb_id(), factories.referral_form(), TODAY).reference
    again = signed_in("chair")  # a later visit, in a new session
    df = _queue(again)
    assert set(df.loc[df["new"] == NEW_TO_YOU, "reference"]) == {ref}
    assert "arrived since your last visit" in texts(again)
    assert "not the status New" in texts(again)  # the mark is told apart from the status
    assert any(f" · {NEW_TO_YOU} · " in o for o in again.selectbox(key="queue_open").options)
    # A third visit: the last visit is now after it was made.
    assert set(_queue(signed_in("chair"))["new"]) == {""}


def test_screening_asks_only_the_questions_of_the_regime_that_applies(demo_db):
    from datetime import date

    new_case = factories.accepted()  # aware in 2026: WT2018
    at = signed_in("chair", "pages/screening.py", query={"ref": new_case})
    keys = {w.key for w in [*at.radio, *at.toggle]}
    assert f"sc_{new_case}_location" in keys
    assert not {f"sc_{new_case}_{f}" for f in ("interagency_concerns", "media_interest", "practice_concerns")} & keys
    assert "questions of WT2018" in texts(at)

    old_case = factories.accepted(aware_on=date(2018, 3, 5), incident_date=date(2018, 3, 1))  # WT2015
    at = signed_in("chair", "pages/screening.py", query={"ref": old_case})
    keys = {w.key for w in [*at.radio, *at.toggle]}
    assert {f"sc_{old_case}_{f}" for f in ("interagency_concerns", "media_interest", "practice_concerns")} <= keys
    assert f"sc_{old_case}_location" not in keys
    assert "questions of WT2015" in texts(at)


def test_the_screening_result_is_kept_in_view_beside_the_questions(demo_db):
    ref = factories.accepted()
    at = signed_in("chair", "pages/screening.py", query={"ref": ref})
    panel = at.get_by_key("result_panel")  # kept in view by the app's styles (REFLOW_CSS)
    assert any("What the criteria say" in m.value for m in panel.markdown)
    assert [c for c in at.columns if "result_panel" in [getattr(b, "key", None) for b in c.children.values()]]
    from panel.ui.a11y import REFLOW_CSS

    assert ".st-key-result_panel" in REFLOW_CSS and "sticky" in REFLOW_CSS


def _action_page(username: str, action_id: int):
    """The action register opened by a link to one action (?id=), as a reminder or review links it."""
    return signed_in(username, "pages/actions.py", query={"id": str(action_id)})


def test_a_link_to_one_action_lands_on_it_and_a_member_is_not_offered_close(demo_db):
    planted = factories.plant_learning()
    at = _action_page("member", planted.overdue)
    assert at.header and f"Action {planted.overdue} " in at.header[0].value
    assert at.selectbox(key="act_open").value == planted.overdue
    labels = [b.label for b in at.button]
    assert "Record progress" in labels
    assert not {"Close action", "Carry action"} & set(labels)
    assert "closed" not in at.radio(key=f"act_{planted.overdue}_status").options  # progress only
    assert "Closed" not in at.radio(key=f"act_{planted.overdue}_status").options
    assert "Close action" in [b.label for b in _action_page("chair", planted.overdue).button]


def test_the_progress_note_box_is_empty_after_saving_a_note(demo_db):
    planted = factories.plant_learning()
    at = _action_page("member", planted.overdue)
    box = f"act_{planted.overdue}_note"
    at.text_area(key=box).input("Audit tool agreed with the police lead.")
    next(b for b in at.button if b.label == "Record progress").click().run()
    assert not at.exception and not at.error
    assert "Audit tool agreed with the police lead." in list(at.dataframe[-1].value["note"])
    assert at.text_area(key=box).value in ("", None)


def test_the_referral_form_starts_with_the_referrers_name_and_agency(demo_db):
    at = signed_in("referrer", "pages/make_referral.py")
    assert at.text_input(key="mr_referrer_name").value == "Robin Referrer"
    assert at.selectbox(key="mr_referrer_agency_id").value == factories.agency_id("Schools and education")


def test_my_referrals_shows_initials_status_outcome_and_the_panels_question_in_full(demo_db):
    referrer = factories.actor("referrer")
    question = ("Please send the school's chronology for the last two terms, the dates of each concern "
                "raised with children's social care, and who the designated safeguarding lead spoke to. " * 2).strip()
    asked = referrals.submit(referrer, factories.nb_id(), factories.referral_form(child_initials="QZ"), TODAY).reference
    referrals.triage(factories.actor("chair"), asked, "request_information", question,
                     factories.referral(asked).version)
    at = signed_in("referrer", "pages/my_referrals.py")
    df = at.dataframe[0].value
    row = df[df["reference"] == asked].iloc[0]
    assert (row["child"], row["status"]) == ("QZ", "Awaiting information")
    assert "outcome" in df.columns
    assert any(question in shown(i.value) and asked in shown(i.value) for i in at.info)
    decided = df[df["outcome"] != ""]
    assert not decided.empty and set(decided["status"]) == {"Decided"}  # the demo's decided referrals


def test_timeliness_opens_the_late_and_overdue_lists_that_hold_anything(demo_db):
    at = signed_in("manager", "pages/timeliness.py")
    lists = {e.label: e.proto.expanded for e in at.expander
             if e.label.startswith(("Late ", "LCSPR publications", "Overdue milestones"))}
    assert len(lists) == 5
    counts = {label: int(label.rpartition("(")[2].rstrip(")")) for label in lists}
    assert any(counts.values()), "the demo has something late or overdue"
    assert all(lists[label] == (counts[label] > 0) for label in lists), lists
    assert any(shown(s.value).startswith("Headline: ") for s in at.header)  # the headline names its period


def test_accepting_for_screening_offers_screen_now_which_opens_the_screening(demo_db):
    from panel.accounts import service as accounts

    ref = referrals.queue(accounts.actor_for("chair"), referrals.QueueFilter(statuses=("new",)), TODAY)[0] \
        .iloc[0]["reference"]
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    assert "Screen now" not in [b.label for b in at.button]  # nothing accepted yet
    at.radio(key="triage_action").set_value("accept")
    next(b for b in at.button if b.label == "Record triage").click().run()
    assert not at.exception, at.exception
    at.button(key="screen_now").click().run()
    assert not at.exception, at.exception
    assert at.query_params["ref"] in ([ref], ref)
    assert "Screening" in texts(at) and "Record triage" not in [b.label for b in at.button]


def test_screen_now_is_not_offered_to_one_who_cannot_screen_or_after_other_triage(demo_db):
    from panel.accounts import service as accounts

    new = referrals.queue(accounts.actor_for("chair"), referrals.QueueFilter(statuses=("new",)), TODAY)[0]
    at = signed_in("chair", "pages/referral.py", query={"ref": new.iloc[0]["reference"]})
    at.radio(key="triage_action").set_value("request_information")
    at.text_area(key="triage_note").set_value("Which school does the child attend?")
    next(b for b in at.button if b.label == "Record triage").click().run()
    assert not at.exception and "Screen now" not in [b.label for b in at.button]


def _decision_log(at):
    return next(d for d in at.dataframe if d.key == "dl_table").value


def test_choosing_a_row_of_the_decision_log_opens_that_decisions_screening(demo_db):
    at = signed_in("chair", "pages/decision_log.py")
    ref = _decision_log(at).iloc[1]["referral"]
    choose_row(at, "dl_table", 1)
    assert at.query_params["ref"] in (ref, [ref])
    assert "Open a decision" not in [s.label for s in at.selectbox]  # now on the screening page
    assert ref in texts(at)


def test_the_decision_log_keeps_a_keyboard_picker_that_opens_the_same_screening(demo_db):
    at = signed_in("chair", "pages/decision_log.py")
    ref = _decision_log(at).iloc[0]["referral"]
    at.selectbox(key="dl_open").set_value(0).run()
    next(b for b in at.button if b.label == "Open screening").click().run()
    assert not at.exception
    assert at.query_params["ref"] in (ref, [ref])
