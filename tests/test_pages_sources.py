"""The Learning sources page, per role, through Streamlit's AppTest: panel chairs, members and
business managers see it, record a source and open it (its details, agencies and grades, and its
findings and recommendations); referrers and administrators do not see it. Every case starts from
an empty partnership."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import select

from panel.accounts import service as accounts
from panel.accounts.partnerships import create_partnership
from panel.core.access import SYSTEM
from panel.core.db import read_session
from panel.learning import sources
from panel.learning.source_rules import SourceForm
from panel.models import AuditEvent, LearningSource, SourceAgency
from tests.apptest import menu, signed_in, texts
from tests.conftest import TODAY
from tests.factories import actor, agency_id, empty_nb

PAGE = "pages/sources.py"
MARCH = date(2026, 3, 2)


def _by_key(widgets, key: str):
    return next(w for w in widgets if w.key == key)


def _press(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def an_audit(pid: int, **kw) -> int:
    values = dict(kind="case_file_audit", title="Neglect audit, March 2026", topic="Neglect of under-5s",
                  cases_sampled=12, started_on=MARCH, completed_on=MARCH + timedelta(days=20),
                  agencies={agency_id("Police"): "good", agency_id("Children's social care"): None})
    values.update(kw)
    return sources.create_source(actor("manager"), pid, SourceForm(**values), TODAY)


@pytest.mark.parametrize("username", ["chair", "member", "manager"])
def test_panel_roles_record_an_audit_and_open_it(db, username):
    empty_nb()
    at = signed_in(username)
    assert "Learning sources" in menu(at)
    at.switch_page(PAGE).run()
    assert "No learning sources recorded yet." in texts(at)
    _by_key(at.selectbox, "src_add_0_kind").select("case_file_audit").run()
    _by_key(at.text_input, "src_add_0_title").input("Neglect: multi-agency case file audit")
    _by_key(at.text_area, "src_add_0_topic").input("Neglect of children under five")
    _by_key(at.date_input, "src_add_0_done").set_value(MARCH)
    _by_key(at.number_input, "src_add_0_cases").set_value(12)
    police = agency_id("Police")
    _by_key(at.multiselect, "src_add_0_agencies").select(police).run()
    _by_key(at.selectbox, f"src_add_0_g{police}").select("requires_improvement")
    _press(at, "Record the learning source")
    with read_session() as s:
        [src] = s.exec(select(LearningSource)).all()
        grades = {a.agency_id: a.grade for a in s.exec(select(SourceAgency))}
    assert (src.kind, src.cases_sampled, src.completed_on, src.created_by_id) == (
        "case_file_audit", 12, MARCH, actor(username).user_id)
    assert grades == {police: "requires_improvement"}
    # the page opens the new source: its details, its agencies' grades and its learning
    shown = texts(at)
    assert "Learning source recorded." in shown and "Neglect: multi-agency case file audit · NB" in shown
    assert "Cases sampled: 12" in shown.replace("*", "") and "Learning: findings, recommendations and actions" in shown
    grid = at.dataframe[0].value
    assert list(grid["agency"]) == ["Police"] and list(grid["grade"]) == ["Requires improvement"]


@pytest.mark.parametrize("username", ["referrer", "admin"])
def test_referrers_and_administrators_do_not_see_it(db, username):
    empty_nb()
    accounts.create_user(SYSTEM, username=username, name=f"Northbrook {username}", email=f"{username}@example.org",
                         password="a long test password", memberships=[("NB", username)])
    assert "Learning sources" not in menu(signed_in(username))
    with pytest.raises(ValueError):  # not registered for them
        signed_in(username, PAGE)


def test_the_form_shows_what_the_kind_records_and_problems_beside_their_fields(db):
    empty_nb()
    at = signed_in("member", PAGE)
    _by_key(at.selectbox, "src_add_0_kind").select("inspection").run()
    keys = {w.key for w in [*at.selectbox, *at.number_input]}
    assert "src_add_0_insp" in keys and "src_add_0_cases" not in keys  # an inspection samples no cases
    _by_key(at.text_input, "src_add_0_title").input("Ofsted ILACS")
    _by_key(at.date_input, "src_add_0_done").set_value(TODAY + timedelta(days=1))
    _press(at, "Record the learning source")
    shown = texts(at)
    assert "The date cannot be in the future." in shown and "Choose the inspectorate" in shown
    assert "There is a problem with 2 answer(s)" in shown
    with read_session() as s:
        assert not s.exec(select(LearningSource)).all()
    _by_key(at.selectbox, "src_add_0_kind").select("child_death_review").run()
    assert "src_add_0_insp" not in {w.key for w in at.selectbox}
    assert "CDOP reference" in [w.label for w in at.text_input]


def test_the_list_filters_by_kind_and_year(db):
    pid = empty_nb()
    audit = an_audit(pid)
    cdop = sources.create_source(actor("member"), pid, SourceForm(
        kind="child_death_review", title="CDOP: safer sleep", reference="CDOP/25/9", completed_on=date(2025, 9, 1)),
        TODAY)
    at = signed_in("chair", PAGE)
    assert list(at.dataframe[0].value["title"]) == ["Neglect audit, March 2026", "CDOP: safer sleep"]
    assert list(at.dataframe[0].value["reference"]) == ["", "CDOP/25/9"]  # an audit has none: blank, not "None"
    _by_key(at.selectbox, "src_kind").select("child_death_review").run()
    assert list(at.dataframe[0].value["title"]) == ["CDOP: safer sleep"]
    assert list(at.dataframe[0].value["kind"]) == ["Child death review learning"]
    _by_key(at.selectbox, "src_kind").select(None).run()
    _by_key(at.selectbox, "src_year").select(2026).run()
    assert list(at.dataframe[0].value["title"]) == ["Neglect audit, March 2026"]
    _by_key(at.selectbox, "src_kind").select("inspection").run()
    assert "No learning sources match these filters." in texts(at)
    _by_key(at.selectbox, "src_kind").select(None)
    _by_key(at.selectbox, "src_year").select(None).run()
    _by_key(at.selectbox, "src_open").select(cdop).run()
    _press(at, "Open")
    assert "CDOP: safer sleep · NB" in texts(at) and audit != cdop


def test_a_source_opened_by_address_is_audited_once_and_another_partnerships_is_not_found(db):
    pid = empty_nb()
    sid = an_audit(pid)
    at = signed_in("member", PAGE, query={"id": str(sid)})
    at.run()  # a rerun is not a new view
    with read_session() as s:
        views = s.exec(select(AuditEvent).where(AuditEvent.action == "view",
                                                AuditEvent.entity == "learning_source")).all()
    assert [(v.username, v.entity_id) for v in views] == [("member", sid)]
    grid = at.dataframe[0].value
    assert dict(zip(grid["agency"], grid["grade"], strict=True)) == {"Children's social care": "Not graded",
                                                                     "Police": "Good"}
    other = create_partnership(SYSTEM, "WV", "Westvale Safeguarding Children Partnership")
    theirs = sources.create_source(SYSTEM, other, SourceForm(kind="inspection", title="Westvale JTAI",
                                                             inspectorate="jtai", completed_on=MARCH), TODAY)
    for wanted in (str(theirs), "abc", "0"):
        at = signed_in("member", PAGE, query={"id": wanted})
        assert sources.NOT_FOUND in texts(at) and "Westvale JTAI" not in texts(at)


def test_a_change_is_saved_from_the_sources_page(db):
    pid = empty_nb()
    sid = an_audit(pid)
    at = signed_in("manager", PAGE, query={"id": str(sid)})
    key = f"src_edit_{sid}_1_0"
    _by_key(at.text_input, f"{key}_title").input("Neglect audit (re-graded)")
    csc = agency_id("Children's social care")
    _by_key(at.selectbox, f"{key}_g{csc}").select("inadequate")
    _press(at, "Save changes")
    v = sources.get_source(actor("manager"), sid, record_view=False)
    assert (v.source.title, v.source.version) == ("Neglect audit (re-graded)", 2)
    assert {a["agency"]: a["grade"] for a in v.agencies} == {"Children's social care": "Inadequate", "Police": "Good"}
    assert "Changes saved." in texts(at)


def test_a_cdop_reference_is_hidden_when_presenting(db):
    pid = empty_nb()
    sid = sources.create_source(actor("member"), pid, SourceForm(
        kind="child_death_review", title="CDOP: safer sleep", reference="CDOP/25/9", completed_on=MARCH), TODAY)
    assert "CDOP/25/9" in texts(signed_in("chair", PAGE, query={"id": str(sid)}))
    accounts.set_presentation_mode(actor("chair"), True)
    for query in ({"id": str(sid)}, None):
        at = signed_in("chair", PAGE, query=query)
        assert "CDOP/25/9" not in texts(at) + str([d.value for d in at.dataframe])
