"""The Learning events page per role, the follow-up controls on the Actions page and the
explorer's "Found, done and shared" tab, through Streamlit's AppTest (docs/domain.md §7.1). Pages run
directly with the signed-in actor in the session, as app.py leaves it; data starts from an empty
partnership and is entered through the services."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select
from streamlit.testing.v1 import AppTest

from panel.accounts import service as accounts
from panel.core.access import SYSTEM
from panel.core.clock import day
from panel.core.db import read_session
from panel.learning import actions, dissemination
from panel.learning import service as learning
from panel.models import Action, LearningEvent, Theme
from panel.screening import decisions
from panel.themes import service as themes
from tests.apptest import menu, signed_in, texts
from tests.conftest import TODAY
from tests.factories import accepted, actor, agency_id, decision_form, empty_nb, review_row

ROOT = Path(__file__).resolve().parent.parent
EVENTS, ACTIONS, EXPLORER = (str(ROOT / "pages" / p) for p in ("events.py", "actions.py", "explorer.py"))
EVIDENCE = "A re-audit of 20 strategy meetings found the police at every one of them."
RESULT = "The re-audit six months on found police at 19 of 20 strategy meetings."
HELD = TODAY - timedelta(days=7)


def page(path: str, username: str, query: dict | None = None) -> AppTest:
    at = AppTest.from_file(path, default_timeout=60)
    at.session_state["actor"] = accounts.actor_for(username)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    return at


def button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def events() -> list[LearningEvent]:
    with read_session() as s:
        return list(s.exec(select(LearningEvent).order_by(LearningEvent.id)))


def load(action_id: int) -> Action:
    with read_session() as s:
        return s.get(Action, action_id)


@pytest.fixture
def nb(db):
    """An empty NB with one LCSPR: a neglect finding, its recommendation and an open action."""
    pid = empty_nb()
    themes.seed_defaults(SYSTEM)
    with read_session() as s:
        neglect = s.exec(select(Theme.id).where(Theme.name == "neglect")).one()
    did = decisions.record_decision(actor("member"), accepted(), decision_form("lcspr"), TODAY)
    ref = decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)
    me, police = actor("manager"), agency_id("Police")
    fid = learning.add_finding(me, "The baby was not seen by anyone for six weeks.", TODAY, review_reference=ref,
                               theme_ids=[neglect], today=TODAY)
    rec = learning.add_recommendation(me, "Health visitors see every baby at home.", TODAY, [police],
                                      finding_id=fid, today=TODAY)
    aid = actions.add_action(me, rec, police, "Dana Owner", "dana@example.org", "Audit home visits.",
                             TODAY + timedelta(days=30))
    return {"pid": pid, "ref": ref, "review": review_row(ref).id, "rec": rec, "action": aid, "police": police}


def fill(at: AppTest, key: str, *, attended=12, reviews=(), recs=()) -> AppTest:
    at.date_input(key=f"{key}_held_on").set_value(HELD)
    at.selectbox(key=f"{key}_kind").set_value("bitesize")
    at.text_input(key=f"{key}_topic").input("Seeing the baby")
    at.multiselect(key=f"{key}_reviews").set_value(list(reviews))
    at.run()
    if recs:
        at.multiselect(key=f"{key}_recs").set_value(list(recs))
    at.session_state[f"{key}_attendance"] = {"edited_rows": {}, "deleted_rows": [], "added_rows": [
        {"agency": "Police", "role": "Response officers", "attended": attended},
        {"agency": "Children's social care", "role": "Social workers", "attended": 20}]}
    at.run()
    assert not at.exception, at.exception
    return at


# --- the Learning events page -------------------------------------------------------------------


@pytest.mark.parametrize("username", ["chair", "member", "manager"])
def test_panel_roles_record_an_event_from_the_empty_state(nb, username):
    at = page(EVENTS, username)
    assert "No learning events recorded yet." in texts(at)
    assert [m.value for m in at.metric] == ["0", "0"]
    fill(at, "ev_add", reviews=[nb["review"]], recs=[nb["rec"]])
    button(at, "Record event").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [ev] = events()
    assert (ev.kind, ev.topic, ev.held_on, ev.created_by_id) == ("bitesize", "Seeing the baby", HELD,
                                                                  actor(username).user_id)
    d = dissemination.get_event(actor(username), ev.id)
    assert d.attended == 32 and {(x["entity"], x["id"]) for x in d.links} == {
        ("review", nb["review"]), ("recommendation", nb["rec"])}
    listed = at.dataframe[0].value
    assert list(listed["topic"]) == ["Seeing the baby"] and list(listed["attended"]) == [32]
    assert [m.value for m in at.metric] == ["1", "32"]
    assert "Learning event recorded." in texts(at)
    assert at.text_input(key="ev_add_topic").value == ""  # a fresh form for the next one


def test_a_negative_count_is_refused_beside_the_table_and_nothing_is_saved(nb):
    at = fill(page(EVENTS, "member"), "ev_add", attended=-3)
    button(at, "Record event").click().run()
    assert "the number attended cannot be negative" in texts(at)
    # the box above the form names the field; the message itself sits beneath the table
    assert "Nothing has been saved." in texts(at) and "Who attended: Check the attendance: row 1" in texts(at)
    assert events() == []


@pytest.mark.parametrize("username", ["referrer", "admin"])
def test_others_get_an_empty_state_and_no_form(nb, username):
    if username == "referrer":
        accounts.create_user(SYSTEM, username="referrer", name="Rita Referrer", email="rita@example.org",
                             password="a long test password", memberships=[("NB", "referrer")])
    else:
        accounts.create_user(SYSTEM, username="admin", name="Ada Admin", email="ada@example.org",
                             password="a long test password", memberships=[("NB", "admin")])
    at = page(EVENTS, username)
    assert "There are no learning events for you to see." in texts(at)
    assert not at.button and not at.dataframe and not at.metric


def test_the_menu_offers_the_page_to_the_panel_only(nb):
    assert "Learning events" in menu(signed_in("member"))
    accounts.create_user(SYSTEM, username="referrer", name="Rita Referrer", email="rita@example.org",
                         password="a long test password", memberships=[("NB", "referrer")])
    assert "Learning events" not in menu(signed_in("referrer"))


def test_an_event_opens_and_is_corrected(nb):
    eid = dissemination.record_event(actor("member"), nb["pid"], HELD, "learning_event", "The review's learning",
                                     "Front-line staff", [("review", nb["review"])],
                                     [{"agency_id": nb["police"], "role": "Officers", "attended": 9}], today=TODAY)
    at = page(EVENTS, "chair")
    at.selectbox(key="ev_open").set_value(eid).run()
    assert "The review's learning" in [t.value for t in at.text] and nb["ref"] in "\n".join(t.value for t in at.text)
    assert "Who attended: 9" in texts(at)
    key = f"ev_{eid}_1"
    at.text_input(key=f"{key}_topic").input("The review's learning, corrected").run()
    button(at, "Save changes").click().run()
    assert not at.exception and not at.error
    d = dissemination.get_event(actor("chair"), eid)
    assert (d.event.topic, d.event.version, d.attended) == ("The review's learning, corrected", 2, 9)


# --- the Actions page: where it was shared, and the follow-up -----------------------------------


def open_action(at: AppTest, action_id: int) -> AppTest:
    at.query_params["id"] = str(action_id)
    at.run()
    at.selectbox(key="act_open").set_value(action_id).run()
    assert not at.exception, at.exception
    return at


def test_the_action_page_says_where_its_recommendation_was_shared(nb):
    at = open_action(page(ACTIONS, "member"), nb["action"])
    assert "Not yet shared at a learning event." in texts(at)
    dissemination.record_event(actor("member"), nb["pid"], HELD, "bitesize", "Home visits", None,
                               [("recommendation", nb["rec"])],
                               [{"agency_id": nb["police"], "role": "Officers", "attended": 9}], today=TODAY)
    at.run()
    assert f"Shared at: Bitesize session on {day(HELD)} (9 attended)." in texts(at)


def test_closing_sets_a_follow_up_and_the_chair_records_its_result(nb):
    a = nb["action"]
    at = open_action(page(ACTIONS, "chair"), a)
    at.text_area(key=f"act_{a}_evidence").input(EVIDENCE)
    at.date_input(key=f"act_{a}_follow_up_on").set_value(TODAY)  # not after the closing day: refused
    button(at, "Close action").click().run()
    assert "Choose a follow-up date after the action is closed" in texts(at)
    assert load(a).status == "open"
    at.date_input(key=f"act_{a}_follow_up_on").set_value(TODAY + timedelta(days=3))
    button(at, "Close action").click().run()
    assert not at.exception and (load(a).status, load(a).follow_up_on) == ("closed", TODAY + timedelta(days=3))
    at.run()
    assert f"Follow-up due on {day(TODAY + timedelta(days=3))}" in texts(at)
    assert {m.label: m.value for m in at.metric}["Follow-ups due"] == "1"
    due = next(d.value for d in at.dataframe if "follow_up_on" in d.value.columns)
    assert list(due["id"]) == [a] and list(due["state"]) == ["Follow-up due"]
    at.date_input(key=f"act_{a}_fu_done_on").set_value(TODAY)
    at.text_area(key=f"act_{a}_fu_result").input("Too short.")
    button(at, "Record follow-up").click().run()
    assert "Say what the follow-up found" in texts(at) and load(a).follow_up_done_on is None
    at.text_area(key=f"act_{a}_fu_result").input(RESULT)
    button(at, "Record follow-up").click().run()
    assert not at.exception and (load(a).follow_up_done_on, load(a).follow_up_result) == (TODAY, RESULT)
    at.run()
    assert f"Followed up on {day(TODAY)}." in texts(at) and RESULT in [t.value for t in at.text]
    assert "Record follow-up" not in [b.label for b in at.button]


def test_a_member_sees_the_follow_up_but_has_no_controls(nb):
    actions.close_action(actor("chair"), nb["action"], EVIDENCE, 1, TODAY, follow_up_on=TODAY + timedelta(days=90))
    at = open_action(page(ACTIONS, "member"), nb["action"])
    assert f"Follow-up due on {day(TODAY + timedelta(days=90))}" in texts(at)
    assert not {"Record follow-up", "Set follow-up date"} & {b.label for b in at.button}


def test_the_chair_sets_a_follow_up_date_after_closing(nb):
    actions.close_action(actor("chair"), nb["action"], EVIDENCE, 1, TODAY)
    at = open_action(page(ACTIONS, "manager"), nb["action"])
    assert "No follow-up date set." in texts(at)
    at.date_input(key=f"act_{nb['action']}_fu_on").set_value(TODAY + timedelta(days=180))
    button(at, "Set follow-up date").click().run()
    assert not at.exception and load(nb["action"]).follow_up_on == TODAY + timedelta(days=180)


# --- the explorer's reach ------------------------------------------------------------------------


def test_the_explorer_shows_per_theme_reach(nb):
    actions.close_action(actor("chair"), nb["action"], EVIDENCE, 1, TODAY)
    dissemination.record_event(actor("member"), nb["pid"], HELD, "bitesize", "Home visits", None,
                               [("review", nb["review"])],
                               [{"agency_id": nb["police"], "role": "Officers", "attended": 14}], today=TODAY)
    at = page(EXPLORER, "member")
    table = next(t for t in at.table if "Shared" in t.value.columns)
    # Short headings that may break at their soft hyphens, so the table fits a 390 px screen.
    assert [c.replace("\u00ad", "") for c in table.value.columns] == [
        "Findings", "Recommendations", "Actions closed", "Shared"]
    row = table.value.loc["neglect"].set_axis(["findings", "recommendations", "closed", "shared"])
    assert (int(row["findings"]), int(row["recommendations"]), int(row["closed"]), row["shared"]) == (
        1, 1, 1, "14 reached at 1 event")
    assert "“neglect” reached most: 14 practitioners at 1 event(s)." in texts(at)
    with read_session() as s:
        assert s.exec(select(func.count()).select_from(LearningEvent)).one() == 1
