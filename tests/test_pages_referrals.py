"""Every referral page, for every role, through Streamlit's AppTest."""

import json
import re

import pytest

from panel.accounts import service as accounts
from panel.agencies import service as agency_service
from panel.core.access import SYSTEM
from panel.referrals import service as referrals
from panel.ui.common import DATETIME_FORMAT
from tests import apptest
from tests.apptest import menu, signed_in, texts
from tests.conftest import MULTI_MANAGER, TODAY, add_multi_manager

PANEL_MENU = ["Referral queue", "Screening", "Make a referral"]
MENUS = {
    "chair": PANEL_MENU,
    "member": PANEL_MENU,
    "manager": PANEL_MENU,
    # published briefings and shared documents: every partner user
    "referrer": ["Make a referral", "My referrals", "Briefing library", "Shared documents"],
    MULTI_MANAGER: PANEL_MENU,  # a manager in all three partnerships
}


@pytest.mark.parametrize("username", list(MENUS))
def test_each_role_sees_only_its_pages(demo_db, username):
    if username == MULTI_MANAGER:
        add_multi_manager()
    at = signed_in(username)
    assert menu(at)[: len(MENUS[username])] == MENUS[username]
    if username == "referrer":
        assert menu(at) == MENUS[username] + ["My account", "Accessibility statement"]  # open to everyone
    assert "Referral queue" in at.title[0].value or "Make a referral" in at.title[0].value


def test_regional_account_gets_the_learning_explorer_only(demo_db):
    at = signed_in("regional")
    assert menu(at) == ["Learning explorer", "My account", "Accessibility statement"]
    assert at.title[0].value.endswith("Learning explorer")
    with pytest.raises(ValueError):  # no case page is registered for it
        at.switch_page("pages/queue.py").run()


def test_admin_without_case_roles_gets_no_case_pages(demo_db):
    at = signed_in("admin")
    assert "Referral queue" not in menu(at)
    assert "Make a referral" not in menu(at)


def test_chair_queue_shows_own_partnership_in_clock_order(demo_db):
    at = signed_in("chair")
    df = at.dataframe[0].value.data if hasattr(at.dataframe[0].value, "data") else at.dataframe[0].value
    assert len(df) == 9
    assert set(df["partnership"]) == {"NB"}
    running = [d for d in df["notification_due"] if d is not None and d == d]  # NaT/None: no clock runs
    assert list(df["notification_due"])[: len(running)] == sorted(running)
    assert {"Overdue", "Due soon", "On track"} <= set(df["rag"])


def test_queue_empty_state_tells_what_to_do(demo_db):
    at = signed_in("chair")
    at.text_input[0].input("ZZ-9999").run()
    assert "No referrals match" in texts(at)


def test_referrer_cannot_reach_the_queue_by_switching(demo_db):
    at = signed_in("referrer")
    with pytest.raises(ValueError):  # the page is not registered for a referrer
        at.switch_page("pages/queue.py").run()


def _fill_referral(at):
    agencies = {a.name: a.id for a in agency_service.list_agencies(SYSTEM)}
    at.date_input(key="mr_aware_on").set_value(TODAY)
    at.text_input(key="mr_referrer_name").input("Designated safeguarding lead")
    at.selectbox(key="mr_referrer_agency_id").set_value(agencies["Schools and education"])
    at.selectbox(key="mr_identified_by").set_value("staff_partner_community")
    at.text_input(key="mr_child_initials").input("xy")
    at.number_input(key="mr_child_age_years").set_value(9)
    at.selectbox(key="mr_child_sex").set_value("female")
    at.selectbox(key="mr_child_ethnicity").set_value("asian")
    at.date_input(key="mr_incident_date").set_value(TODAY)
    at.text_area(key="mr_incident_summary").input("Pupil disclosed serious physical abuse at home.")
    at.radio(key="mr_harm").set_value("serious_harm")
    at.radio(key="mr_abuse_or_neglect").set_value("known")


def test_referrer_makes_a_referral_and_sees_it_in_my_referrals(demo_db):
    at = signed_in("referrer", "pages/make_referral.py")
    at.button[0].click().run()  # submit the empty form
    assert "There is a problem with" in texts(at)
    shown = [apptest.shown(e.value) for e in at.error]
    assert any("Enter the child's initials" in v for v in shown)
    assert any("Choose the harm" in v for v in shown)
    _fill_referral(at)
    at.button[0].click().run()
    assert not at.exception
    success = [apptest.shown(s.value) for s in at.success]
    assert success and "saved" in success[0]
    ref = success[0].split()[1]
    at.switch_page("pages/my_referrals.py").run()
    assert ref in list(at.dataframe[0].value["reference"])


def test_chair_opens_a_referral_by_link_and_triages_it(demo_db):
    ref = referrals.queue(accounts.actor_for("chair"), referrals.QueueFilter(statuses=("new",)), TODAY)[0].iloc[0]["reference"]
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    assert any(ref in apptest.shown(s.value) for s in at.header)
    at.radio(key="triage_action").set_value("accept")
    submit = [b for b in at.button if b.label == "Record triage"][0]
    submit.click().run()
    assert not at.exception
    d = referrals.get_referral(accounts.actor_for("chair"), ref, TODAY)
    assert d.referral.status == "accepted"


def test_close_without_reason_shows_the_message_beside_the_note(demo_db):
    ref = referrals.queue(accounts.actor_for("chair"), referrals.QueueFilter(statuses=("new",)), TODAY)[0].iloc[0]["reference"]
    at = signed_in("member", "pages/referral.py", query={"ref": ref})
    at.radio(key="triage_action").set_value("close")
    [b for b in at.button if b.label == "Record triage"][0].click().run()
    assert any("reason" in e.value for e in at.error)
    d = referrals.get_referral(accounts.actor_for("chair"), ref, TODAY)
    assert d.referral.status == "new"


def test_other_partnerships_reference_in_the_url_is_not_found(demo_db):
    ref = referrals.queue(accounts.actor_for("chair"), referrals.QueueFilter(), TODAY)[0].iloc[0]["reference"]
    at = signed_in("chair.em", "pages/referral.py", query={"ref": ref})
    assert any("No referral with that reference" in e.value for e in at.error)
    assert "The child" not in texts(at)


def test_referrer_sees_progress_only_on_their_referral(demo_db):
    referrer = accounts.actor_for("referrer")
    df = referrals.my_referrals(referrer, TODAY)
    assert len(df), "demo gives the referrer some referrals"
    ref = df.iloc[0]["reference"]
    # The referral page is not in a referrer's navigation; their view is My referrals.
    at = signed_in("referrer", "pages/my_referrals.py")
    assert ref in list(at.dataframe[0].value["reference"])
    assert "incident" not in " ".join(at.dataframe[0].value.columns).lower()


def _referrals_count() -> int:
    from sqlalchemy import func
    from sqlmodel import select

    from panel.core.db import read_session
    from panel.models import Referral

    with read_session() as s:
        return s.exec(select(func.count()).select_from(Referral)).one()


def test_pressing_save_twice_makes_one_referral(demo_db):
    """The first press's run has saved the referral (with the form's token) when the second press
    arrives with the same form: the page answers "Already saved" with a link, and makes no second
    referral."""
    at = signed_in("referrer", "pages/make_referral.py")
    _fill_referral(at)
    token = at.session_state["mr_token"]
    before = _referrals_count()
    referrer = accounts.actor_for("referrer")
    pid = accounts.partnerships(referrer, "referral.submit")[0].id
    agencies = {a.name: a.id for a in agency_service.list_agencies(SYSTEM)}
    first = referrals.submit(referrer, pid, {
        "received_on": TODAY, "aware_on": TODAY, "referrer_name": "Designated safeguarding lead",
        "referrer_agency_id": agencies["Schools and education"], "identified_by": "staff_partner_community",
        "child_initials": "XY", "child_age_years": 9, "child_sex": "female", "child_ethnicity": "asian",
        "incident_date": TODAY, "incident_summary": "Pupil disclosed serious physical abuse at home.",
        "harm": "serious_harm", "abuse_or_neglect": "known", "location": "in_area", "agencies_involved": [],
    }, TODAY, submission_token=token)  # the first press
    at.button[0].click().run()  # the second press of the same form
    assert not at.exception
    assert _referrals_count() == before + 1
    assert any(f"Already saved: {first.reference}" in apptest.shown(i.value) for i in at.info)
    assert "Follow it under My referrals" in [p.label for p in at.page_link]
    assert "Check and save referral" not in [b.label for b in at.button]  # the form is done
    # A new form gets a new token, starts empty and saves a second, genuine referral.
    next(b for b in at.button if b.label == "Make another referral").click().run()
    assert at.session_state["mr_token"] != token
    assert at.text_input(key="mr_child_initials").value == ""
    _fill_referral(at)
    at.button[0].click().run()
    assert _referrals_count() == before + 2


def test_a_saved_referral_is_shown_with_a_link_and_the_form_cleared(demo_db):
    at = signed_in("chair", "pages/make_referral.py")
    _fill_referral(at)
    before = _referrals_count()
    at.button[0].click().run()
    assert not at.exception and _referrals_count() == before + 1
    [link] = [p for p in at.page_link if p.label.startswith("Open referral ")]
    assert "Check and save referral" not in [b.label for b in at.button]
    assert "mr_child_initials" not in at.session_state
    assert apptest.shown(link.label).removeprefix("Open referral ") in texts(at)


# --- the referral page in words ------------------------------------------------------------


def test_labels_inside_a_sentence_keep_their_proper_nouns_and_acronyms():
    from panel.referrals.rules import IDENTIFIED_BY, LOCATION, SEX
    from panel.ui.common import in_sentence

    assert in_sentence(IDENTIFIED_BY["iro_service"]) == "IRO service (child protection conference or LAC review)"
    assert in_sentence(IDENTIFIED_BY["marat_strategy"]) == "referral to MARAT or a strategy meeting"
    assert in_sentence(LOCATION["resident_outside_england"]) == "normally resident here, harmed outside England"
    assert in_sentence(LOCATION["elsewhere"]) == "in another English authority's area"
    assert in_sentence(SEX["female"]) == "female"


def test_no_referral_label_loses_a_capital_inside_a_sentence():
    from panel.referrals import rules
    from panel.ui.common import in_sentence

    lower_proper = re.compile(r"\b(england|english|wales|ofsted|iro|lac|lcspr|dcs|marat|dfe|nhs)\b")
    for vocabulary in (rules.IDENTIFIED_BY, rules.LOCATION, rules.SEX, rules.ABUSE_OR_NEGLECT, rules.HARM,
                       rules.STATUSES, rules.LINK_KINDS, rules.ETHNICITY):
        for label in vocabulary.values():
            assert not lower_proper.search(in_sentence(label)), label


def test_a_running_clock_is_told_in_words_not_a_negative_number():
    from panel.ui.referral_view import days_left_words

    assert days_left_words(3) == "3 working days left"
    assert days_left_words(1) == "1 working day left"
    assert days_left_words(0) == "due today"
    assert days_left_words(-1) == "1 working day past the date"
    assert days_left_words(-4) == "4 working days past the date"


def test_referral_page_keeps_proper_nouns_and_writes_dates_one_way(demo_db):
    from panel.core.clock import day
    from tests.factories import accepted

    ref = accepted(location="resident_outside_england", identified_by="iro_service", child_ethnicity="not_recorded")
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    assert not at.exception
    shown = texts(at)
    assert "normally resident here, harmed outside England." in shown
    assert "; male; ethnicity not recorded" in shown  # not "male; Not recorded"
    assert "Identified by: IRO service (child protection conference or LAC review)." in shown
    assert f"Received {day(TODAY)} from Named nurse" in shown
    assert "on Thu 19 Nov 2026; abuse or neglect: **known**" in shown
    assert "**Notify by:** Fri 27 Nov 2026" in shown
    assert not re.search(r"\b0\d (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b", shown)  # no leading zero
    assert not re.search(r"(?<!Mon |Tue |Wed |Thu |Fri |Sat |Sun )\b\d{1,2} (Nov|Dec) 2026", shown)  # weekday first


def test_referral_history_reads_as_words(demo_db):
    from tests.factories import accepted

    ref = accepted()
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    [table] = [t for t in at.dataframe if "Who" in list(t.value.columns)]
    frame = table.value
    assert list(frame.columns) == ["When (UTC)", "Who", "What", "Detail"]
    assert {"Created", "Triaged"} <= set(frame["What"])
    assert "triage" not in set(frame["What"])
    assert set(frame["Who"]) == {accounts.actor_for("chair").name}  # a name, not a username
    assert "Now accepted for screening" in set(frame["Detail"])  # not the triage's key, "accept"
    config = json.loads(table.proto.columns)
    assert config["When (UTC)"]["type_config"]["format"] == DATETIME_FORMAT  # "Fri 11 Dec 2026, 14:05"


def test_a_referral_without_history_says_so_instead_of_an_empty_table(demo_db):
    ref = referrals.queue(accounts.actor_for("chair"), referrals.QueueFilter(statuses=("new",)), TODAY)[0].iloc[0]["reference"]
    detail = referrals.get_referral(accounts.actor_for("chair"), ref, TODAY, record_view=False)
    at = signed_in("chair", "pages/referral.py", query={"ref": ref})
    if not detail.history:
        assert "Nothing recorded yet." in texts(at)
        assert not [t for t in at.dataframe if "Who" in list(t.value.columns)]
