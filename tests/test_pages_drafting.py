"""The review page's drafted documents and the administrator's headings through AppTest, from an
empty partnership (docs/domain.md §11): agency summaries, drafting the rapid review report,
editing it, the partners' sign-off and the date sent; who is offered what."""

from __future__ import annotations

from datetime import timedelta

import pytest
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.drafting import rules
from panel.drafting import service as drafting
from panel.reviews import record as review_record
from panel.screening import decisions
from panel.ui import drafting as ui_drafting
from tests.apptest import APP, press, shown, signed_in, texts
from tests.conftest import TODAY
from tests.factories import accepted, actor, agency_id, decision_form, empty_nb, review_row

ROOT = APP.parent


@pytest.fixture
def nb(db):
    return empty_nb()


def rapid_review(outcome: str = "rapid_review") -> str:
    ref = accepted(incident_summary="DQ was brought to hospital with a fractured arm.")
    did = decisions.record_decision(actor("member"), ref, decision_form(outcome), TODAY)
    rv = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    review_record.add_agency_request(actor("manager"), rv, agency_id=agency_id("Police"), kind="agency_summary",
                                     requested_on=TODAY, due_on=TODAY + timedelta(days=10), contact_email="",
                                     today=TODAY)
    return rv


def labelled(widgets, label):
    return next(w for w in widgets if shown(w.label) == label)


def section(at, heading: str) -> str:
    """The text shown beneath a drafted section's heading that the record writes (not a text area)."""
    blocks = [shown(m.value) for m in at.markdown]
    return blocks[blocks.index(f"**{heading}**") + 1]


def button_labels(at) -> list[str]:
    return [b.label for b in at.button]


def test_a_member_enters_a_summary_drafts_edits_and_the_partners_sign_off(nb):
    rv = rapid_review()
    at = signed_in("member", "pages/review.py", query={"ref": rv})
    assert "Rapid review report" in texts(at)
    labelled(at.text_area, "The agency's summary").set_value("Police attended twice; DQ was seen alone.")
    assert labelled(at.date_input, "Received on").value is None  # no date until one is chosen
    press(at, "Save the summary")
    assert any(shown(e.value) == "Enter the date it arrived." for e in at.error), [e.value for e in at.error]
    labelled(at.date_input, "Received on").set_value(TODAY)
    press(at, "Save the summary")
    assert drafting.agency_summaries(actor("chair"), rv)[0]["summary"].startswith("Police attended twice")
    press(at, "Draft the rapid review report")
    assert not at.error, [e.value for e in at.error]
    facts = labelled(at.text_area, rules.DEFAULT_HEADINGS["rapid_review"][0]["heading"])
    assert "Child X was brought to hospital" in facts.value and "DQ" not in facts.value
    agencies = labelled(at.text_area, rules.DEFAULT_HEADINGS["rapid_review"][1]["heading"])
    assert "Police attended twice; Child X was seen alone." in agencies.value
    labelled(at.text_area, "Immediate action taken to keep children safe").set_value("Siblings seen that day.")
    press(at, "Save the draft")
    view = drafting.draft(actor("chair"), rv, "rapid_review", record_view=False)
    assert next(s for s in view.sections if s["key"] == "immediate_action")["text"] == "Siblings seen that day."
    press(at, "Prepare the Word file")
    assert at.get("download_button")  # the file is made only when asked for
    # a sign-off without a name or a date is refused beside the fields: no date is chosen for the user
    labelled(at.selectbox, "Partner").set_value("police")
    assert labelled(at.date_input, "Signed on").value is None
    press(at, "Record the sign-off")
    assert any("name and role" in e.value for e in at.error)
    assert any(shown(e.value) == "Enter the date it was signed." for e in at.error)
    assert "The partners' sign-off" not in [shown(t.label) for t in at.text_area]  # the record writes it
    assert "- The police: not yet signed." in section(at, "The partners' sign-off")
    for partner, who in (("police", "DCI Jo Bloggs, Head of PPU"), ("local_authority", "Ann Smith, DCS"),
                         ("health", "Dr A Lee, Designated Doctor")):
        labelled(at.selectbox, "Partner").set_value(partner)
        labelled(at.text_input, "Signed by (name and role)").set_value(who)
        labelled(at.date_input, "Signed on").set_value(TODAY)
        press(at, "Record the sign-off")
    assert drafting.draft(actor("chair"), rv, "rapid_review", record_view=False).status == "approved"
    assert "Signed off: the three safeguarding partners" in texts(at)
    assert labelled(at.text_area, "Immediate action taken to keep children safe").disabled
    # the drafted report's sign-off section says what the sign-offs say, though drafted before them
    assert section(at, "The partners' sign-off").splitlines() == [
        "- The local authority: signed by Ann Smith, DCS on 23 November 2026.",
        "- The police: signed by DCI Jo Bloggs, Head of PPU on 23 November 2026.",
        "- Health: signed by Dr A Lee, Designated Doctor on 23 November 2026."]
    assert labelled(at.date_input, "Date the report was sent").value is None
    press(at, "Record the date sent to the National Panel")
    assert any(shown(e.value) == "Enter the date it was sent." for e in at.error)
    assert review_row(rv).sent_to_national_panel_on is None
    labelled(at.date_input, "Date the report was sent").set_value(TODAY)
    press(at, "Record the date sent to the National Panel")
    assert review_row(rv).sent_to_national_panel_on == TODAY
    assert "Sent to the National Panel on" in texts(at)


def test_refilling_needs_the_confirmation(nb):
    rv = rapid_review()
    drafting.create_draft(actor("chair"), rv, "rapid_review")
    at = signed_in("chair", "pages/review.py", query={"ref": rv})
    press(at, "Re-fill from the record")
    assert any("replaces every edit" in e.value for e in at.error)


def test_a_role_that_may_not_draft_sees_no_drafting_controls(nb):
    rv = rapid_review()
    accounts.create_user(SYSTEM, username="reader", name="Northbrook reader", email="reader@example.org",
                         password="a long test password", memberships=[("NB", "referrer")])
    drafting.create_draft(actor("chair"), rv, "rapid_review")
    at = signed_in("manager", "pages/review.py", query={"ref": rv})
    assert "Save the draft" in button_labels(at)
    # a referrer has no review page; run directly, it finds no review and offers nothing
    at = AppTest.from_file(str(ROOT / "pages" / "review.py"), default_timeout=60)
    at.session_state["actor"] = actor("reader")
    at.query_params["ref"] = rv
    at.run()
    assert not at.exception
    assert "Save the draft" not in button_labels(at) and "Rapid review report" not in texts(at)
    assert "No review with that reference is open to you." in texts(at)


def test_the_terms_of_reference_are_offered_on_an_lcspr(nb):
    rv = rapid_review("lcspr")
    at = signed_in("chair", "pages/review.py", query={"ref": rv})
    assert "Draft the terms of reference" in button_labels(at)
    assert "Draft the rapid review report" not in button_labels(at)
    press(at, "Draft the terms of reference")
    assert labelled(at.text_area, "Timescale").value.startswith("- Terms of reference agreed: planned for")


def test_the_administrator_edits_the_headings_beside_the_review_types(nb):
    accounts.create_user(SYSTEM, username="admin", name="Admin", email="admin@example.org",
                         password="a long test password", memberships=[("NB", "admin")])
    at = signed_in("admin", "pages/review_types.py")
    assert "Headings of the documents Panel drafts" in texts(at)
    press(at, "Save headings")  # unchanged defaults saved as the partnership's own
    t = drafting.template(actor("admin"), nb, "rapid_review")
    assert t.version == 1 and [h["heading"] for h in t.headings] == [
        h["heading"] for h in rules.DEFAULT_HEADINGS["rapid_review"]]


def test_with_no_summary_asked_the_page_says_how_to_ask_for_one(nb):
    ref = accepted()
    did = decisions.record_decision(actor("member"), ref, decision_form("rapid_review"), TODAY)
    rv = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    at = signed_in("chair", "pages/review.py", query={"ref": rv})
    assert "0 of 0" not in texts(at) and not [e for e in at.expander if e.label.startswith("Agency summaries")]
    assert ui_drafting.NO_SUMMARIES in [c.value for c in at.caption]
    assert "Agency summary" in ui_drafting.NO_SUMMARIES and "Add request" in ui_drafting.NO_SUMMARIES
    assert "Add request" in button_labels(at)  # the form the sentence points to is on the page
