"""Learning shared with practitioners (docs/domain.md §7.1): learning events recorded, edited and
listed through the services, each refusal, the audit rows, where a recommendation's learning was
shared, and the explorer's per-theme reach. Built from an empty partnership."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlmodel import func, select

from panel.core.access import SYSTEM
from panel.core.db import read_session, transaction
from panel.core.errors import NotFound, PermissionDenied, StaleEdit, ValidationFailed
from panel.core.validation import FUTURE_DATE
from panel.learning import actions, dissemination, reach
from panel.learning import dissemination_rules as rules
from panel.learning import service as learning
from panel.learning.explore import LearningFilter
from panel.models import (
    Agency,
    AuditEvent,
    LearningEvent,
    LearningEventAttendance,
    LearningEventLink,
    Partnership,
    Theme,
)
from panel.screening import decisions
from panel.themes import service as themes
from tests.conftest import TODAY
from tests.factories import accepted, actor, agency_id, decision_form, empty_nb, review_row

EVIDENCE = "A re-audit of 20 strategy meetings found the police at every one of them."
HELD = TODAY - timedelta(days=7)


@pytest.fixture
def nb(db):
    pid = empty_nb()
    themes.seed_defaults(SYSTEM)
    return pid


def rows(police, csc, *, police_n=12, csc_n=20):
    return [{"agency_id": police, "role": "Response officers", "attended": police_n},
            {"agency_id": csc, "role": "Social workers", "attended": csc_n}]


def count(model, *where) -> int:
    with read_session() as s:
        return s.exec(select(func.count()).select_from(model).where(*where)).one()


def theme(name: str) -> int:
    with read_session() as s:
        return s.exec(select(Theme.id).where(Theme.name == name)).one()


def decided(outcome: str = "lcspr") -> str:
    did = decisions.record_decision(actor("member"), accepted(), decision_form(outcome), TODAY)
    return decisions.sign_decision(actor("chair"), did, TODAY, attendance_confirmed=True)


@pytest.fixture
def learnt(nb):
    """A review with a finding and a recommendation about neglect, and one direct recommendation
    about information sharing; an action on the first, closed with evidence."""
    me, police = actor("manager"), agency_id("Police")
    ref = decided()
    fid = learning.add_finding(me, "The baby was not seen by anyone for six weeks.", TODAY,
                               review_reference=ref, theme_ids=[theme("neglect")], today=TODAY)
    rec = learning.add_recommendation(me, "Health visitors see every baby at home.", TODAY, [police],
                                      finding_id=fid, today=TODAY)
    other = learning.add_recommendation(me, "Police share call-outs with schools the next day.", TODAY, [police],
                                        review_reference=ref, theme_ids=[theme("information sharing")], today=TODAY)
    aid = actions.add_action(me, rec, police, "Dana Owner", None, "Audit home visits.", TODAY + timedelta(days=30))
    actions.close_action(actor("chair"), aid, EVIDENCE, 1, TODAY)
    return {"pid": nb, "ref": ref, "review": review_row(ref).id, "finding": fid, "rec": rec, "other": other,
            "action": aid, "police": police, "csc": agency_id("Children's social care")}


# --- the pure rules ---------------------------------------------------------------------------


def test_attendance_rows_are_cleaned_and_blank_rows_skipped():
    clean, problem = rules.attendance([{"agency_id": 3, "role": "  Social   workers ", "attended": 12.0},
                                       {"agency_id": None, "role": None, "attended": None},
                                       {"agency_id": None, "role": "Youth workers", "attended": "4"},
                                       {"agency_id": 5, "role": "Nurses", "attended": 0}])
    assert problem is None
    assert clean == [(3, "Social workers", 12), (None, "Youth workers", 4), (5, "Nurses", 0)]
    assert rules.reached(clean) == 16


@pytest.mark.parametrize(("given", "says"), [
    ([{"agency_id": 3, "role": "Officers", "attended": -1}], "row 1: the number attended cannot be negative"),
    ([{"agency_id": 3, "role": "Officers", "attended": 2.5}], "row 1: enter a whole number"),
    ([{"agency_id": 3, "role": "Officers", "attended": True}], "row 1: enter a whole number"),
    ([{"agency_id": 3, "role": "", "attended": 4}], "row 1: say who attended"),
    ([{"agency_id": 3, "role": "Officers", "attended": None}], "row 1: enter how many attended"),
    ([{"agency_id": 3, "role": "Officers", "attended": 20_000}], "row 1: enter at most 10000"),
    ([{"agency_id": 3, "role": "Officers", "attended": 2}, {"agency_id": 3, "role": "officers", "attended": 1}],
     "row 2 repeats row 1"),
    ([{"agency_id": "Police", "role": "Officers", "attended": 2}], "row 1: choose the agency from the list"),
    ([{"agency_id": 3, "role": "Officers", "attended": 0}], rules.NOBODY),
    ([], rules.NOBODY),
])
def test_attendance_refusals_name_the_row(given, says):
    _, problem = rules.attendance(given)
    assert problem is not None and says in problem


ANY = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30), st.dates(),
                st.lists(st.integers(), max_size=2))


@given(st.lists(st.dictionaries(st.sampled_from(["agency_id", "role", "attended", "other"]), ANY), max_size=5),
       st.lists(st.one_of(ANY, st.tuples(st.sampled_from(["review", "source", "x"]), ANY)), max_size=4), ANY, ANY, ANY)
def test_the_rules_answer_any_input_with_messages_never_an_error(attendance, links, held_on, kind, topic):
    clean, problem = rules.attendance(attendance)
    assert problem is not None or (clean and all(isinstance(n, int) and n >= 0 for _, _, n in clean))
    rules.links(links)
    assert all(isinstance(v, str) for v in rules.event_errors(held_on, kind, topic, topic, TODAY).values())


def test_event_fields_and_links():
    assert rules.event_errors(TODAY, "bitesize", "Neglect", None, TODAY) == {}
    errors = rules.event_errors(TODAY + timedelta(days=1), "webinar", " a ", "x" * 2001, TODAY)
    assert errors == {"held_on": FUTURE_DATE, "kind": errors["kind"], "topic": "Say what the event was about.",
                      "audience": "Keep the audience to 2000 characters."}
    assert "bitesize session" in errors["kind"]
    assert rules.event_errors(date(1999, 12, 31), "other", "Old", "", TODAY)["held_on"].startswith("Enter a date from")
    assert rules.links([("review", 1), ("review", 1), ("recommendation", 2)]) == (
        [("review", 1), ("recommendation", 2)], None)
    assert rules.links([("meeting", 1)])[1] and rules.links([("review", "1")])[1] and rules.links([7])[1]


# --- recording, editing, reading ----------------------------------------------------------------


def test_a_member_records_an_event_and_everyone_on_the_panel_reads_it(learnt):
    before = count(AuditEvent)
    eid = dissemination.record_event(actor("member"), learnt["pid"], HELD, "bitesize", "Seeing the baby",
                                     "Health visitors and social workers",
                                     [("review", learnt["review"]), ("recommendation", learnt["rec"])],
                                     rows(learnt["police"], learnt["csc"]), today=TODAY)
    with read_session() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.id > before)).one()
        ev = s.get(LearningEvent, eid)
    assert (row.action, row.entity, row.entity_id, row.username, row.partnership_id) == (
        "event_add", "learning_event", eid, "member", learnt["pid"])
    assert '"attended": 32' in row.after and f'"review:{learnt["review"]}"' in row.after
    assert (ev.kind, ev.topic, ev.version, ev.created_by_id) == ("bitesize", "Seeing the baby", 1, actor("member").user_id)
    for who in ("chair", "member", "manager"):
        d = dissemination.get_event(actor(who), eid)
        assert d.attended == 32 and d.partnership_code == "NB"
        assert [x["label"] for x in d.links] == [learnt["ref"], f"Recommendation {learnt['rec']}: Health visitors "
                                                                 "see every baby at home."]
        assert [(x["agency"], x["role"], x["attended"]) for x in d.attendance] == [
            ("Police", "Response officers", 12), ("Children's social care", "Social workers", 20)]
    df = dissemination.list_events(actor("chair"))
    assert df.to_dict("records") == [{
        "id": eid, "partnership": "NB", "held_on": HELD, "kind": "Bitesize session", "topic": "Seeing the baby",
        "audience": "Health visitors and social workers",
        "shared": f"{learnt['ref']}; Recommendation {learnt['rec']}: Health visitors see every baby at home.",
        "agencies": 2, "attended": 32}]


@pytest.mark.parametrize(("change", "field"), [
    ({"held_on": TODAY + timedelta(days=1)}, "held_on"),  # an event in the future is refused: not held yet
    ({"held_on": None}, "held_on"),
    ({"kind": "webinar"}, "kind"),
    ({"topic": ""}, "topic"),
    ({"attendance": [{"agency_id": 3, "role": "Officers", "attended": -5}]}, "attendance"),
    ({"attendance": [{"agency_id": 3, "role": "Officers", "attended": 0}]}, "attendance"),
    ({"attendance": []}, "attendance"),
    ({"links": [("meeting", 1)]}, "links"),
])
def test_bad_input_is_refused_by_field_and_nothing_is_written(learnt, change, field):
    form = {"held_on": HELD, "kind": "learning_event", "topic": "Neglect", "audience": None,
            "links": [("review", learnt["review"])], "attendance": rows(learnt["police"], learnt["csc"])} | change
    audits = count(AuditEvent)
    with pytest.raises(ValidationFailed) as e:
        dissemination.record_event(actor("member"), learnt["pid"], today=TODAY, **form)
    assert field in e.value.errors
    assert count(LearningEvent) == 0 and count(AuditEvent) == audits


def test_links_and_agencies_must_be_the_partnerships_own(learnt):
    em = Partnership(code="EM", name="Eastmere")
    with transaction() as s:
        s.add(em)
        s.add(Agency(name="Retired trust", kind="health", active=False))
    retired = agency_id("Retired trust")
    me = actor("member")
    with pytest.raises(ValidationFailed) as e:  # a record that does not exist, or is another partnership's
        dissemination.record_event(me, learnt["pid"], HELD, "bitesize", "Neglect", None,
                                   [("recommendation", 999_999)], rows(learnt["police"], learnt["csc"]), today=TODAY)
    assert set(e.value.errors) == {"links"}
    with pytest.raises(ValidationFailed) as e:
        dissemination.record_event(me, learnt["pid"], HELD, "bitesize", "Neglect", None, [],
                                   [{"agency_id": retired, "role": "Nurses", "attended": 3}], today=TODAY)
    assert set(e.value.errors) == {"attendance"}
    with pytest.raises(NotFound):
        dissemination.record_event(me, em.id, HELD, "bitesize", "Neglect", None, [],
                                   rows(learnt["police"], learnt["csc"]), today=TODAY)
    assert count(LearningEvent) == 0
    # an event with no link (a general training day) and people from an unlisted organisation
    eid = dissemination.record_event(me, learnt["pid"], HELD, "other", "Safeguarding week", None, [],
                                     [{"agency_id": None, "role": "Faith group leaders", "attended": 9}], today=TODAY)
    assert dissemination.get_event(me, eid).attendance[0]["agency"] == rules.NO_AGENCY


def test_only_the_panel_writes_and_reads(learnt):
    from panel.core.access import Actor
    referrer = Actor(user_id=None, username="ref", name="Ref", roles={learnt["pid"]: frozenset({"referrer"})})
    with pytest.raises((NotFound, PermissionDenied)):
        dissemination.record_event(referrer, learnt["pid"], HELD, "bitesize", "Neglect", None, [],
                                   rows(learnt["police"], learnt["csc"]), today=TODAY)
    eid = dissemination.record_event(actor("manager"), learnt["pid"], HELD, "bitesize", "Neglect", None, [],
                                     rows(learnt["police"], learnt["csc"]), today=TODAY)
    with pytest.raises(NotFound):
        dissemination.get_event(referrer, eid)
    assert dissemination.list_events(referrer).empty
    with read_session() as s:
        assert s.exec(select(AuditEvent).where(AuditEvent.action == "not_found",
                                               AuditEvent.entity == "learning_event")).one().username == "ref"


def test_an_edit_replaces_the_record_checks_the_version_and_says_what_changed(learnt):
    me = actor("member")
    eid = dissemination.record_event(me, learnt["pid"], HELD, "bitesize", "Neglect", None,
                                     [("review", learnt["review"])], rows(learnt["police"], learnt["csc"]), today=TODAY)
    dissemination.update_event(actor("chair"), eid, held_on=HELD, kind="learning_event", topic="Neglect: the baby",
                               audience="Front-line staff", links=[("recommendation", learnt["other"])],
                               attendance=rows(learnt["police"], learnt["csc"], csc_n=25), expected_version=1,
                               today=TODAY)
    d = dissemination.get_event(me, eid)
    assert (d.event.kind, d.event.topic, d.event.version, d.attended) == ("learning_event", "Neglect: the baby", 2, 37)
    assert [(x["entity"], x["id"]) for x in d.links] == [("recommendation", learnt["other"])]
    assert count(LearningEventLink) == 1 and count(LearningEventAttendance) == 2
    with read_session() as s:
        row = s.exec(select(AuditEvent).where(AuditEvent.action == "event_edit")).one()
    assert row.username == "chair" and "held_on" not in row.after and '"learning_event"' in row.after
    assert f'"review:{learnt["review"]}"' in row.before and '"attended": 37' in row.after
    with pytest.raises(StaleEdit):  # someone else saved version 2 first
        dissemination.update_event(me, eid, held_on=HELD, kind="bitesize", topic="Neglect", audience=None,
                                   links=[], attendance=rows(learnt["police"], learnt["csc"]), expected_version=1,
                                   today=TODAY)
    assert dissemination.get_event(me, eid).event.topic == "Neglect: the baby"


def test_where_a_recommendations_learning_was_shared(learnt):
    me = actor("member")
    assert dissemination.shared_for(me, learnt["rec"]) == []
    by_review = dissemination.record_event(me, learnt["pid"], HELD - timedelta(days=30), "learning_event",
                                           "The review's learning", None, [("review", learnt["review"])],
                                           rows(learnt["police"], learnt["csc"]), today=TODAY)
    direct = dissemination.record_event(me, learnt["pid"], HELD, "bitesize", "Home visits", None,
                                        [("recommendation", learnt["rec"]), ("review", learnt["review"])],
                                        [{"agency_id": learnt["csc"], "role": "Health visitors", "attended": 7}],
                                        today=TODAY)
    shared = dissemination.shared_for(me, learnt["rec"])
    assert [(x["id"], x["via"], x["attended"], x["kind"]) for x in shared] == [
        (by_review, "review", 32, "Multi-agency learning event"), (direct, "recommendation", 7, "Bitesize session")]
    with pytest.raises(NotFound):
        dissemination.shared_for(me, 999_999)


def test_link_choices_list_the_partnerships_reviews_and_recommendations(learnt):
    got = dissemination.link_choices(actor("member"), learnt["pid"])
    assert list(got["reviews"]) == [learnt["review"]] and got["reviews"][learnt["review"]].startswith(learnt["ref"])
    assert {r["id"] for r in got["recommendations"]} == {learnt["rec"], learnt["other"]}
    assert all(r["review_id"] == learnt["review"] for r in got["recommendations"])
    with pytest.raises(NotFound):
        dissemination.link_choices(actor("member"), learnt["pid"] + 100)


# --- the explorer: per theme, found, recommended, done and reached ------------------------------


def test_reach_per_theme_counts_each_event_once_and_its_attendance(learnt):
    me = actor("member")
    # shared the review (both themes through its finding and recommendations) and the neglect
    # recommendation: counted once under neglect
    dissemination.record_event(me, learnt["pid"], HELD, "learning_event", "The review's learning", None,
                               [("review", learnt["review"]), ("recommendation", learnt["rec"])],
                               rows(learnt["police"], learnt["csc"]), today=TODAY)
    # shared only the information-sharing recommendation
    dissemination.record_event(me, learnt["pid"], HELD, "bitesize", "Call-outs", None,
                               [("recommendation", learnt["other"])],
                               [{"agency_id": learnt["police"], "role": "Sergeants", "attended": 5}], today=TODAY)
    # shared nothing Panel holds: no theme's reach
    dissemination.record_event(me, learnt["pid"], HELD, "conference", "Safeguarding week", None, [],
                               [{"agency_id": None, "role": "Everyone", "attended": 200}], today=TODAY)
    df = reach.theme_reach(me, LearningFilter())
    assert df.to_dict("records") == [
        {"theme": "information sharing", "findings": 0, "recommendations": 1, "done": 0, "events": 2, "reached": 37},
        {"theme": "neglect", "findings": 1, "recommendations": 1, "done": 1, "events": 1, "reached": 32},
    ]
    police_only = reach.theme_reach(me, LearningFilter(agency_id=learnt["police"]))
    assert dict(zip(police_only["theme"], police_only["reached"], strict=True)) == {
        "information sharing": 17, "neglect": 12}
    national = reach.theme_reach(me, LearningFilter(level="national"))
    assert set(national["theme"]) == {"information sharing", "the child's voice and lived experience"}
    assert int(national["reached"].sum()) == 69
    later = reach.theme_reach(me, LearningFilter(year_from=TODAY.year + 1, year_to=TODAY.year + 1))
    assert later.empty
    outsider = actor("chair").__class__(user_id=None, username="x", name="x", roles={})
    assert reach.theme_reach(outsider, LearningFilter()).empty
